"""Feedback for exercise checkers: one small object that reads well in a notebook and in a terminal.

A checker looks at a learner's answer and returns a :class:`Feedback`: whether it is right, a message
that says specifically what is right or what went wrong, and (when it is not right yet) a hint that
points at the idea without giving the answer away. In JupyterLab it shows as a coloured box; printed,
it is plain text; ``bool(feedback)`` is ``True`` only for a correct answer, so a teacher can write
``assert lesson01.check_separable_macs(answer)``.

Messages may mark code with backticks (`` `groups` ``); the HTML view turns those into ``<code>``.
"""

from __future__ import annotations

import functools
import html
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

CORRECT, WRONG, UNANSWERED = "correct", "wrong", "unanswered"

_STYLE = {
    # status: (symbol, heading, accent colour, background)
    CORRECT: ("✔", "Correct", "#55A868", "#EEF7F0"),
    WRONG: ("✘", "Not yet", "#C44E52", "#FBEEEE"),
    UNANSWERED: ("…", "Not answered yet", "#4C72B0", "#EEF2F8"),
}


@dataclass(frozen=True)
class Feedback:
    """What a checker says about one answer.

    ``ok``: the answer is right. ``message``: what is right, or what is wrong, about this answer.
    ``hint``: a nudge for the next try (never the solution). ``answered=False`` marks the kind
    "not answered yet" state of an exercise cell that still holds its placeholder.
    """

    ok: bool
    message: str
    hint: str | None = None
    title: str | None = None
    answered: bool = True

    @classmethod
    def correct(cls, message: str, title: str | None = None) -> Feedback:
        return cls(True, message, None, title)

    @classmethod
    def wrong(cls, message: str, hint: str | None = None, title: str | None = None) -> Feedback:
        return cls(False, message, hint, title)

    @classmethod
    def unanswered(
        cls,
        message: str = "Replace the placeholder with your answer and run the cell again.",
        hint: str | None = None,
        title: str | None = None,
    ) -> Feedback:
        return cls(False, message, hint, title, answered=False)

    @property
    def status(self) -> str:
        """``"correct"``, ``"wrong"`` or ``"unanswered"``."""
        if self.ok:
            return CORRECT
        return WRONG if self.answered else UNANSWERED

    def titled(self, title: str) -> Feedback:
        return self if self.title else replace(self, title=title)

    def __bool__(self) -> bool:
        return self.ok

    def text(self) -> str:
        symbol, heading, _, _ = _STYLE[self.status]
        prefix = f"{self.title}: " if self.title else ""
        lines = [f"{symbol} {prefix}{heading}. {self.message}"]
        if self.hint:
            lines.append(f"  Hint: {self.hint}")
        return "\n".join(lines)

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        symbol, heading, accent, background = _STYLE[self.status]
        title = f"{_inline(self.title)} · " if self.title else ""
        hint = f"<div style='margin-top:4px'><i>Hint:</i> {_inline(self.hint)}</div>" if self.hint else ""
        return (
            f"<div class='smallnets-feedback smallnets-{self.status}' style='border-left:4px solid {accent};"
            f"background:{background};padding:6px 10px;margin:4px 0;border-radius:3px;color:#222'>"
            f"<b style='color:{accent}'>{symbol} {title}{heading}.</b> {_inline(self.message)}{hint}</div>"
        )


def _inline(text: str) -> str:
    """Escape HTML, then turn `code` spans into <code> elements."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def is_unanswered(answer: object) -> bool:
    """The placeholders an exercise cell starts with: ``None`` and ``...``."""
    return answer is None or answer is Ellipsis


def as_number(answer: object) -> float | None:
    """A learner's number, forgiving about form: ``26_593_280``, ``"26,593,280"``, ``2.6e7``, numpy ints.

    Returns None when ``answer`` is not a number at all.
    """
    if isinstance(answer, bool):
        return None
    if isinstance(answer, numbers.Real):
        return float(answer)
    item = getattr(answer, "item", None)  # numpy 0-d arrays and one-element torch tensors
    if callable(item):
        try:
            return as_number(item())
        except (TypeError, ValueError, RuntimeError):
            return None
    if isinstance(answer, str):
        cleaned = answer.strip().replace(",", "").replace("_", "").replace(" ", "")
        try:
            return float(cleaned)
        except ValueError:
            return None
    return None


def as_count(answer: object) -> int | None:
    """A learner's whole number of things (groups, channels), 1 or more; None for anything else.

    As forgiving about form as :func:`as_number`: ``8``, ``8.0`` and ``"8"`` are all 8 groups.
    """
    value = as_number(answer)
    if value is None or not float(value).is_integer() or value < 1:
        return None
    return int(value)


def checker(
    title: str, *, placeholder: tuple[str, str] | None = None
) -> Callable[[Callable[..., Feedback]], Callable[..., Feedback]]:
    """Decorator for checkers: titles the feedback, and turns any error into feedback, never a traceback.

    ``placeholder`` is ``(message, hint)`` for an exercise cell that still holds its placeholder (every
    answer passed is ``None`` or ``...``): what to write, and where to start. That feedback is "not
    answered yet", and the checker does not run, so an untouched cell costs nothing even where computing
    the truth takes a moment. (A checker whose answer is a function leaves its placeholder, and the
    template that raises ``NotImplementedError``, to :func:`.checks.check_function`.)

    The checker itself should catch errors raised by the learner's code and say which input caused
    them; this is the safety net for everything else (an unexpected type of answer, say).
    """

    def wrap(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
        @functools.wraps(check)
        def run(*args, **kwargs) -> Feedback:
            answers = (*args, *kwargs.values())
            if placeholder is not None and answers and all(map(is_unanswered, answers)):
                return Feedback.unanswered(*placeholder, title=title)
            try:
                result = check(*args, **kwargs)
            except Exception as error:  # a checker must always answer kindly
                result = Feedback.wrong(
                    f"Checking your answer failed with {type(error).__name__}: {error}",
                    "Look at the type of your answer: the cell above the check says what form it takes.",
                )
            return result.titled(title)

        run.title = title
        return run

    return wrap


__all__ = ["CORRECT", "UNANSWERED", "WRONG", "Feedback", "as_count", "as_number", "checker", "is_unanswered"]
