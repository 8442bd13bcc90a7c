"""Exercise feedback and lesson 01's checkers: right answers pass, wrong ones get specific help, and no
message gives the solution away. The right answers here are worked out independently of the package."""

import math

import numpy as np
import pytest
import torch

from smallnets_edu.exercises import Feedback, as_number, checker, is_unanswered
from smallnets_edu.exercises import lesson01 as ex

# Independent solutions --------------------------------------------------------------------------------


def grouped_truth() -> set[int]:
    q = ex.GROUPED
    group = q["output"] // (q["out_channels"] // q["groups"])
    size = q["in_channels"] // q["groups"]
    return set(range(group * size, (group + 1) * size))


def separable_truth() -> int:
    q = ex.SEPARABLE
    m, n, k, s = q["in_channels"], q["out_channels"], q["kernel"], q["size"]
    return k * k * m * s * s + m * n * s * s


def groups_truth() -> int:
    q = ex.GROUPS_TARGET
    m, n, k, s = q["in_channels"], q["out_channels"], q["kernel"], q["size"]
    return min(
        g
        for g in range(1, m + 1)
        if m % g == 0 and n % g == 0 and k * k * (m // g) * n * s * s <= q["target"]
    )


def shuffle_by_index(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Channel i of group k goes to position i * groups + k (ShuffleNet, Section 3.1)."""
    c = x.shape[1]
    per = c // groups
    order = [0] * c
    for k in range(groups):
        for i in range(per):
            order[i * groups + k] = k * per + i
    return x[:, order]


def leaks(feedback: Feedback, *forms: str) -> bool:
    text = feedback.text() + feedback._repr_html_()
    return any(form in text for form in forms)


# The feedback object -----------------------------------------------------------------------------------


def test_feedback_states_and_truthiness():
    right, wrong, pending = Feedback.correct("yes"), Feedback.wrong("no", "try"), Feedback.unanswered()
    assert right and not wrong and not pending
    assert (right.status, wrong.status, pending.status) == ("correct", "wrong", "unanswered")
    assert "Hint: try" in wrong.text() and "Hint" not in right.text()
    assert repr(wrong) == str(wrong) == wrong.text()


def test_feedback_html_escapes_and_marks_code():
    html = Feedback.wrong("<script>alert(1)</script> use `groups`", "see `x.shape`")._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<code>groups</code>" in html and "<code>x.shape</code>" in html
    assert "smallnets-wrong" in html


def test_checker_titles_feedback_and_turns_errors_into_feedback():
    @checker("Exercise 9")
    def broken(answer):
        raise KeyError(answer)

    result = broken(3)
    assert isinstance(result, Feedback) and not result and result.title == "Exercise 9"
    assert "KeyError" in result.message


@pytest.mark.parametrize(
    "answer,value",
    [(12, 12.0), ("26,593,280", 26593280.0), ("1_000", 1000.0), (np.int64(7), 7.0), (torch.tensor(4), 4.0)],
)
def test_as_number_is_forgiving(answer, value):
    assert as_number(answer) == value


@pytest.mark.parametrize("answer", [True, "twelve", [1, 2], torch.ones(3), object()])
def test_as_number_rejects_non_numbers(answer):
    assert as_number(answer) is None


def test_placeholders_are_unanswered():
    assert is_unanswered(None) and is_unanswered(...) and not is_unanswered(0)


# Every checker: placeholder, nonsense, never a traceback ---------------------------------------------------

CHECKERS = [
    ex.check_grouped_inputs,
    ex.check_separable_macs,
    ex.check_groups_for_target,
    ex.check_channel_shuffle,
]


@pytest.mark.parametrize("check", CHECKERS, ids=lambda c: c.__name__)
def test_placeholder_is_not_answered_yet(check):
    result = check(None)
    assert not result and result.status == "unanswered" and result.title


@pytest.mark.parametrize("check", CHECKERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", [object(), "abc", -3, 2.5, float("nan"), [], {"a": 1}, True])
def test_nonsense_gets_feedback_not_an_exception(check, answer):
    result = check(answer)
    assert isinstance(result, Feedback) and not result and result.message


# Exercise 1 ------------------------------------------------------------------------------------------------


def test_grouped_inputs_agrees_with_the_formula():
    assert ex.grouped_inputs() == grouped_truth()


@pytest.mark.parametrize("form", [set, list, tuple, sorted])
def test_grouped_right_answer_in_any_collection(form):
    assert ex.check_grouped_inputs(form(grouped_truth()))


def test_grouped_wrong_answers_are_diagnosed_without_the_solution():
    truth = sorted(grouped_truth())
    m, g = ex.GROUPED["in_channels"], ex.GROUPED["groups"]
    per = m // g
    other_groups = [set(range(k * per, (k + 1) * per)) for k in range(g)]
    cases = {
        "standard": set(range(m)),
        "another group": next(s for s in other_groups if s != set(truth)),
        "missing": set(truth[:-1]),
        "too many": set(truth) | {(truth[-1] + 1) % m},
        "out of range": {m + 3},
    }
    messages = {}
    for name, answer in cases.items():
        result = ex.check_grouped_inputs(answer)
        assert not result and result.status == "wrong", name
        assert not leaks(result, ", ".join(map(str, truth)), f"{truth[0]} to {truth[-1]}"), name
        messages[name] = result.message
    assert len(set(messages.values())) == len(messages)  # each mistake gets its own message


# Exercise 2 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", [int, float, lambda v: f"{v:,}", np.int64, torch.tensor])
def test_separable_right_answer_in_any_form(form):
    assert ex.check_separable_macs(form(separable_truth()))


def test_separable_common_mistakes_get_their_own_message():
    q = ex.SEPARABLE
    m, n, k, s = q["in_channels"], q["out_channels"], q["kernel"], q["size"]
    truth = separable_truth()
    mistakes = {
        "standard": k * k * m * n * s * s,
        "depthwise only": k * k * m * s * s,
        "pointwise only": m * n * s * s,
        "flops": 2 * truth,
        "N in depthwise": k * k * n * s * s + m * n * s * s,
        "one pixel": k * k * m + m * n,
        "close": truth + 1,
        "far": truth * 3 + 7,
    }
    messages = set()
    for name, answer in mistakes.items():
        result = ex.check_separable_macs(answer)
        assert not result and result.status == "wrong", name
        assert not leaks(result, f"{truth:,}", str(truth)), name
        messages.add(result.message)
    assert len(messages) == len(mistakes)


# Exercise 3 ------------------------------------------------------------------------------------------------


def test_exactly_one_groups_value_is_accepted():
    accepted = [g for g in range(1, 65) if ex.check_groups_for_target(g)]
    assert accepted == [groups_truth()] == [ex.fewest_groups()]


def test_groups_feedback_never_names_the_answer_when_wrong():
    truth = groups_truth()
    for g in range(1, 65):
        if g != truth:
            result = ex.check_groups_for_target(g)
            assert f"g = {truth} " not in result.text() and f"g={truth}" not in result.text()


def test_groups_that_do_not_divide_are_explained():
    q = ex.GROUPS_TARGET
    bad = next(g for g in range(2, 20) if q["in_channels"] % g)
    assert "equal groups" in ex.check_groups_for_target(bad).message


# Exercise 4 ------------------------------------------------------------------------------------------------


def test_independent_shuffle_passes():
    assert ex.check_channel_shuffle(shuffle_by_index)


def test_view_transpose_reshape_passes():
    def mine(x, groups):
        n, c, h, w = x.shape
        return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)

    assert ex.check_channel_shuffle(mine)


def test_template_that_raises_not_implemented_is_unanswered():
    def template(x, groups):
        raise NotImplementedError

    result = ex.check_channel_shuffle(template)
    assert result.status == "unanswered"


@pytest.mark.parametrize(
    "fn,words",
    [
        (lambda x, g: shuffle_by_index(x, x.shape[1] // g), "inverse"),
        (lambda x, g: x.clone(), "original order"),
        (lambda x, g: None, "returned None"),
        (lambda x, g: x.numpy(), "not a tensor"),
        (lambda x, g: x[:, :-1], "shape"),
        (lambda x, g: x.flip(1), "whole channels"),
        (lambda x, g: 2 * x, "intact"),
        (lambda x, g: x.mul_(2), "in place"),
        (lambda x, g: x.view(7, -1), "raised RuntimeError"),
    ],
)
def test_wrong_shuffles_are_diagnosed(fn, words):
    result = ex.check_channel_shuffle(fn)
    assert not result and result.status == "wrong" and words in result.message


def test_shuffle_feedback_is_deterministic():
    assert (
        ex.check_channel_shuffle(lambda x, g: x.flip(1)).text()
        == ex.check_channel_shuffle(lambda x, g: x.flip(1)).text()
    )


def test_nan_is_not_a_count():
    assert "not a count" in ex.check_separable_macs(math.nan).message
