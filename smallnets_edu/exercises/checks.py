"""The steps checkers share, so that each checker states only what is particular to its exercise.

A number exercise: :func:`check_number` (or :func:`check_count` for a whole count, such as MACs) reads
the answer, compares it with the truth, recognises known mistakes and words what is left. An exercise
whose answer is a function: :func:`check_function` runs it on the exercise's cases and says which case
went wrong and how; :func:`check_count_function` does so for a function that returns a count.

Known mistakes are data, a list of ``(wrong, message, hint)``: ``wrong`` is the value a typical slip
gives, or a test that takes the learner's value, or ``None`` where the slip does not apply. The first
one that matches is told; so specific slips come first, broad tests (a band around the truth) last.

The placeholder of a number exercise is answered by :func:`.checker` (its ``placeholder``) before the
checker runs: the truth can take a moment to compute or draw random weights, and an untouched exercise
cell should cost nothing.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._feedback import Feedback, as_number, is_unanswered

Mistake = tuple[object, str, str | None]  # (wrong value, or a test of the answer, or None), message, hint
Case = TypeVar("Case")

_STILL_RAISES = "Your function still raises `NotImplementedError`: replace that line with your code."


def within(share: float, expected: float) -> Callable[[float], bool]:
    """A known mistake's test: the value is within ``share`` of ``expected`` (0.01 for 1%).

    Last in a list of mistakes, it tells a count that was rounded, or lost a small term, from one that
    is far off, without saying what the count is.
    """
    return lambda value: abs(value - expected) <= share * expected


def unreadable(answer: object, wanted: str, hint: str) -> Feedback:
    """The feedback on an answer that is not ``wanted`` at all ("a number", "a pair of numbers").

    It shows the answer as the checker received it: a string where a number was meant, say, is plain
    to see.
    """
    return Feedback.wrong(f"Your answer ({answer!r}) is not {wanted}.", hint)


def first_mistake(
    value: object, mistakes: Iterable[Mistake], close: Callable[[Any, Any], bool] = operator.eq
) -> Feedback | None:
    """The feedback of the first known mistake that ``value`` matches, or None if it matches none.

    ``close(value, wrong)`` decides whether the value is a mistake's wrong value: it should be the same
    test that decides whether it is the right one.
    """
    for wrong, message, hint in mistakes:
        if wrong is None:
            continue
        matches = wrong(value) if callable(wrong) else close(value, wrong)
        if matches:
            return Feedback.wrong(message, hint)
    return None


def number_mistake(
    answer: object,
    expected: float,
    *,
    not_a_number: Feedback,
    otherwise: Callable[[float], Feedback],
    mistakes: Iterable[Mistake] = (),
    close: Callable[[float, float], bool] = operator.eq,
    finite: bool = True,
) -> Feedback | None:
    """What is wrong with a number ``answer``, or None when it is ``expected``.

    ``not_a_number`` is for an answer that is no number at all (with ``finite``, also for infinity and
    NaN). ``close(value, other)`` says what counts as equal; exact by default, because a count that is
    off by one is not right. ``otherwise(value)`` words a wrong value that matches no known mistake.
    Returning None lets a checker that tries several cases go on to the next one.
    """
    value = as_number(answer)
    if value is None or (finite and not math.isfinite(value)):
        return not_a_number
    if close(value, expected):
        return None
    mistake = first_mistake(value, mistakes, close)
    return mistake if mistake is not None else otherwise(value)


def check_number(answer: object, expected: float, *, correct: str, **options: Any) -> Feedback:
    """The feedback on a number exercise: :func:`number_mistake`, or ``correct`` when it finds none.

    ``options`` are those of :func:`number_mistake` (``not_a_number`` and ``otherwise`` at least), passed
    on as they are, so that the two read an answer the same way.
    """
    mistake = number_mistake(answer, expected, **options)
    return Feedback.correct(correct) if mistake is None else mistake


def check_count(
    answer: object,
    truth: int,
    *,
    correct: str,
    mistakes: Iterable[Mistake],
    not_a_number_hint: str,
    near_hint: str,
    far_hint: str,
) -> Feedback:
    """The feedback on a whole count (MACs, parameters): exact, or a known slip, or within 1%, or not.

    The count exercises word the last steps alike, so only their hints are the exercise's own.
    """
    return check_number(
        answer,
        truth,
        correct=correct,
        not_a_number=Feedback.wrong(
            f"Your answer ({answer!r}) is not a count; this exercise wants a number.", not_a_number_hint
        ),
        mistakes=[
            *mistakes,
            (within(0.01, truth), "Within 1% of the right count, but not exact.", near_hint),
        ],
        otherwise=lambda value: Feedback.wrong(
            f"Too {'large' if value > truth else 'small'} by more than 1%.", far_hint
        ),
    )


def returned_count_mistake(
    answer: object,
    truth: int,
    *,
    where: str,
    mistakes: Iterable[Mistake],
    return_hint: str,
    far_hint: str,
) -> Feedback | None:
    """What is wrong with the count a learner's function returned for one case, or None when right.

    Every message names the case (``where``, the call with its arguments), so that the learner knows
    which arguments to try by hand.
    """
    return number_mistake(
        answer,
        truth,
        not_a_number=Feedback.wrong(
            f"On {where} your function returned {answer!r}, not a number.", return_hint
        ),
        mistakes=[
            *((wrong, f"On {where}: {message}", hint) for wrong, message, hint in mistakes),
            (
                within(0.01, truth),
                f"On {where} your count is within 1% but not exact.",
                "Use integer arithmetic (`//`) so that nothing is rounded.",
            ),
        ],
        otherwise=lambda value: Feedback.wrong(
            f"On {where} your count is too {'large' if value > truth else 'small'} by more than 1%.", far_hint
        ),
    )


def check_count_function(
    fn: object,
    cases: Iterable[tuple[int, ...]],
    *,
    truth: Callable[..., int],
    mistakes: Callable[..., Iterable[Mistake]],
    usage: str,
    describe: Callable[[tuple[int, ...]], str],
    not_implemented_hint: str,
    raised_hint: str,
    return_hint: str,
    far_hint: str,
    passed: Callable[[], Feedback],
) -> Feedback:
    """The feedback on an exercise whose answer is a function that counts (MACs, say) from whole numbers.

    :func:`check_function` runs ``fn(*case)`` on each case and :func:`returned_count_mistake` compares
    what it returns with ``truth(*case)``, telling the slips of ``mistakes(*case)`` apart; the other
    arguments are passed on to those two. An error in the learner's function is reported with the case
    it came from, as in every count exercise.
    """
    return check_function(
        fn,
        cases,
        usage=usage,
        not_implemented_hint=not_implemented_hint,
        describe=describe,
        raised="Your function raised {error_type} on {case}: {error}",
        raised_hint=raised_hint,
        judge=lambda shown, case, answer: returned_count_mistake(
            answer,
            truth(*case),
            where=shown,
            mistakes=mistakes(*case),
            return_hint=return_hint,
            far_hint=far_hint,
        ),
        passed=passed,
    )


def check_function(
    fn: object,
    cases: Iterable[Case],
    *,
    describe: Callable[[Case], str],
    judge: Callable[[str, Case, object], Feedback | None],
    passed: Callable[[], Feedback],
    usage: str = "",
    call: Callable[[Callable[..., object], Case], object] = lambda fn, case: fn(*case),
    not_implemented: str = _STILL_RAISES,
    not_implemented_hint: str | None = None,
    raised: str = "{case} raised {error_type}: {error}",
    raised_hint: str | None = None,
    returns: tuple[type, str, str] | None = None,
    placeholder: Feedback | None = None,
    not_callable: Feedback | None = None,
) -> Feedback:
    """The feedback on an exercise whose answer is a function: it is run on each case, in order.

    - ``fn`` is still the placeholder: ``placeholder``, by default "pass your function: ``usage``".
    - ``fn`` is not callable (the learner called it, say): ``not_callable``, by default a hint to write
      ``usage``.
    - ``call(fn, case)`` runs it. While it raises ``NotImplementedError`` (the exercise cell's
      template), the exercise is not answered yet: ``not_implemented``, with ``not_implemented_hint``.
      Any other error is reported with the template ``raised`` (fields ``case``, ``error_type`` and
      ``error``) and ``raised_hint``.
    - ``returns``, ``(kind, named, hint)``: a result that is not a ``kind`` is wrong at once, with
      ``hint`` ("``shown`` returned a list, not ``named``."), so that ``judge`` only ever gets a ``kind``.
    - ``judge(shown, case, result)`` returns what is wrong with the result, or None to go on to the
      next case.
    - Once every case has passed, ``passed()`` is the answer: usually the success message, or a
      judgement of all the results together.

    ``describe(case)`` shows a case in messages (``shown``), so that the learner knows which input to
    try by hand. The learner's code runs inside the checker: every way it can fail ends in feedback.
    """
    if is_unanswered(fn):
        if placeholder is not None:
            return placeholder
        return Feedback.unanswered(f"Pass your function: `{usage}`.")
    if not callable(fn):
        if not_callable is not None:
            return not_callable
        return Feedback.wrong(
            f"Pass the function itself (a {type(fn).__name__} is not callable).",
            f"Write `{usage}`, without parentheses after the name.",
        )
    for case in cases:
        shown = describe(case)
        try:
            result = call(fn, case)
        except NotImplementedError:
            return Feedback.unanswered(not_implemented, not_implemented_hint)
        except Exception as error:  # the learner's code may fail in any way: report it, kindly
            message = raised.format(case=shown, error_type=type(error).__name__, error=error)
            return Feedback.wrong(message, raised_hint)
        if returns is not None and not isinstance(result, returns[0]):
            _, named, hint = returns
            return Feedback.wrong(f"{shown} returned a {type(result).__name__}, not {named}.", hint)
        mistake = judge(shown, case, result)
        if mistake is not None:
            return mistake
    return passed()


__all__ = [
    "Mistake",
    "check_count",
    "check_count_function",
    "check_function",
    "check_number",
    "first_mistake",
    "number_mistake",
    "returned_count_mistake",
    "unreadable",
    "within",
]
