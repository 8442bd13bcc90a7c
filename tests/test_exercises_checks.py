"""The steps checkers share: reading a number, known mistakes as data, running a learner's function."""

import math

import numpy as np
import pytest

from smallnets_edu.exercises import Feedback, as_count, checker
from smallnets_edu.exercises.checks import (
    check_count,
    check_function,
    check_number,
    first_mistake,
    number_mistake,
    returned_count_mistake,
    within,
)

# Reading answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [8, 8.0, "8", np.int64(8), " 8 "])
def test_as_count_reads_a_whole_number_in_any_form(answer):
    assert as_count(answer) == 8


@pytest.mark.parametrize("answer", [0, -2, 2.5, math.nan, math.inf, "eight", True, None, [8]])
def test_as_count_rejects_what_is_not_a_count(answer):
    assert as_count(answer) is None


# Untouched exercise cells -----------------------------------------------------------------------------


def test_checker_answers_an_untouched_cell_without_running_the_check():
    ran = []

    @checker("Exercise 0 (two numbers)", placeholder=("Set `a` and `b` to numbers.", "Any numbers."))
    def check_two(a, b):
        ran.append((a, b))
        return Feedback.correct("checked")

    for untouched in ((None, None), (..., None)):
        feedback = check_two(*untouched)
        assert feedback.status == "unanswered" and feedback.title == "Exercise 0 (two numbers)"
        assert (feedback.message, feedback.hint) == ("Set `a` and `b` to numbers.", "Any numbers.")
    assert not ran
    assert check_two(None, 3).message == "checked" and ran == [(None, 3)]  # half answered: the check runs


# Known mistakes ----------------------------------------------------------------------------------------

MISTAKES = [
    (None, "never", "a slip that does not apply here"),
    (20, "twice", "count once"),
    (lambda v: v < 0, "negative", "a count is positive"),
    (within(0.01, 10), "close", "compute it exactly"),
]


@pytest.mark.parametrize(
    "value, message", [(20, "twice"), (-1, "negative"), (10.05, "close"), (9.95, "close"), (15, None)]
)
def test_first_mistake_matches_values_and_tests_in_order(value, message):
    mistake = first_mistake(value, MISTAKES)
    assert (None if mistake is None else mistake.message) == message  # wrong feedback is falsy
    if mistake is not None:
        assert mistake.status == "wrong" and mistake.hint


def test_first_mistake_compares_with_the_given_closeness():
    close = lambda a, b: math.isclose(a, b, rel_tol=0.01)
    assert first_mistake(20.1, MISTAKES, close).message == "twice"
    assert first_mistake(20.1, MISTAKES) is None  # exact by default


def test_within_is_relative_to_the_expected_value():
    near = within(0.01, 1000)
    assert near(1010) and near(990) and not near(1011) and not near(989)


# Numbers -------------------------------------------------------------------------------------------------


def number(answer, **options):
    return number_mistake(
        answer,
        10,
        not_a_number=Feedback.wrong("not a number"),
        otherwise=lambda value: Feedback.wrong(f"off: {value:g}"),
        mistakes=MISTAKES,
        **options,
    )


@pytest.mark.parametrize("answer", [10, 10.0, "10", np.float64(10)])
def test_number_mistake_is_none_for_the_right_number(answer):
    assert number(answer) is None


@pytest.mark.parametrize(
    "answer, message",
    [
        ("ten", "not a number"),
        (None, "not a number"),
        (math.nan, "not a number"),
        (20, "twice"),
        (15, "off: 15"),
    ],
)
def test_number_mistake_names_what_is_wrong(answer, message):
    assert number(answer).message == message


def test_number_mistake_can_pass_non_finite_values_on():
    assert number(math.inf, finite=False).message == "off: inf"


def test_check_number_tells_a_right_answer_it_is_right():
    right = check_number(
        "10", 10, correct="yes", not_a_number=Feedback.wrong("no"), otherwise=lambda v: Feedback.wrong("no")
    )
    assert right and right.message == "yes"


FLOPS = [(2000, "It looks like FLOPs.", "count MACs")]  # the slip the count helpers below know


def count(answer):
    """check_count on a count of 1000, worded with the hints of a made-up exercise."""
    return check_count(
        answer,
        1000,
        correct="right",
        mistakes=FLOPS,
        not_a_number_hint="write a number",
        near_hint="compute it exactly",
        far_hint="check the formula",
    )


def returned(answer):
    """returned_count_mistake on what ``f(1)`` returned, where it should have returned 1000."""
    return returned_count_mistake(
        answer,
        1000,
        where="`f(1)`",
        mistakes=FLOPS,
        return_hint="return a number",
        far_hint="check the formula",
    )


@pytest.mark.parametrize(
    "answer, message",
    [
        (1000, "right"),
        (2000, "It looks like FLOPs."),
        (1005, "Within 1% of the right count, but not exact."),
        (1200, "Too large by more than 1%."),
        (800, "Too small by more than 1%."),
        ("many", "Your answer ('many') is not a count; this exercise wants a number."),
    ],
)
def test_check_count_words_the_common_steps(answer, message):
    assert count(answer).message == message


@pytest.mark.parametrize(
    "answer, message",
    [
        (1000, None),
        (2000, "On `f(1)`: It looks like FLOPs."),
        (995, "On `f(1)` your count is within 1% but not exact."),
        (10, "On `f(1)` your count is too small by more than 1%."),
        ([1], "On `f(1)` your function returned [1], not a number."),
    ],
)
def test_returned_count_mistake_names_the_case(answer, message):
    mistake = returned(answer)
    assert (None if mistake is None else mistake.message) == message


# Functions -----------------------------------------------------------------------------------------------


def run(fn, cases=(1, 2, 3), **options):
    """check_function on ``f(x) == 2 * x``, recording which cases were judged."""
    judged = []

    def judge(shown, case, result):
        judged.append(case)
        return None if result == 2 * case else Feedback.wrong(f"{shown} gave {result}")

    options = {"usage": "check_double(double)", **options}
    feedback = check_function(
        fn,
        cases,
        call=lambda fn, case: fn(case),
        describe=lambda case: f"`f({case})`",
        judge=judge,
        passed=lambda: Feedback.correct(f"all {len(judged)} cases"),
        not_implemented_hint="multiply by two",
        **options,
    )
    return feedback, judged


def test_check_function_passes_a_right_function_on_every_case():
    feedback, judged = run(lambda x: 2 * x)
    assert feedback and feedback.message == "all 3 cases" and judged == [1, 2, 3]


def test_check_function_stops_at_the_first_wrong_case():
    feedback, judged = run(lambda x: 2 * x if x < 2 else 0)
    assert not feedback and feedback.message == "`f(2)` gave 0" and judged == [1, 2]


def test_check_function_placeholder_and_values_that_are_not_functions():
    feedback, judged = run(None)
    assert feedback.status == "unanswered" and "`check_double(double)`" in feedback.message and judged == []
    feedback, _ = run(4)
    assert feedback.status == "wrong" and "int is not callable" in feedback.message
    assert "`check_double(double)`" in feedback.hint
    custom = Feedback.unanswered("Write `double(x)`.")
    assert run(..., placeholder=custom)[0] is custom
    feedback, _ = run("f", not_callable=Feedback.wrong("a str"))
    assert feedback.message == "a str"


def test_check_function_reports_a_result_of_the_wrong_type():
    feedback, judged = run(str, returns=(int, "a whole number", "return `2 * x`"))
    assert feedback.message == "`f(1)` returned a str, not a whole number."
    assert feedback.hint == "return `2 * x`" and judged == []  # the judge sees results of the right type only
    assert run(lambda x: 2 * x, returns=(int, "a whole number", "return `2 * x`"))[0]


def test_check_function_template_and_errors():
    def template(x):
        raise NotImplementedError

    feedback, _ = run(template)
    assert feedback.status == "unanswered" and "NotImplementedError" in feedback.message
    assert feedback.hint == "multiply by two"

    def broken(x):
        return 2 * x if x != 2 else 1 / 0

    feedback, _ = run(broken, raised="Your function raised {error_type} on {case}: {error}", raised_hint="h")
    assert feedback.status == "wrong" and feedback.hint == "h"
    assert feedback.message == "Your function raised ZeroDivisionError on `f(2)`: division by zero"


def test_check_function_reads_its_cases_only_for_a_function():
    started = []

    def cases():  # a checker may seed torch when its cases start: not for a placeholder
        started.append(True)
        yield 1

    assert run(None, cases=cases())[0].status == "unanswered" and not started
    assert run(lambda x: 2 * x, cases=cases())[0] and started
