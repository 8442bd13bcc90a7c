"""Lesson 04's checkers: right answers pass, wrong ones get a specific message, none leaks the answer."""

import pytest

from smallnets_edu.exercises import lesson04
from smallnets_edu.models import shufflenet_v1


def _paper_unit_macs(channels, groups, size):
    """The ShuffleNet paper's cost of a stride-1 unit, hw(2cm/g + 9m), written independently."""
    m = channels // 4
    return size * size * (2 * channels * m // groups + 9 * m)


# -- the truths the checkers use ----------------------------------------------------------------------


@pytest.mark.parametrize("case", lesson04.UNIT_CASES)
def test_unit_cost_is_the_papers_formula(case):
    assert lesson04.unit_cost(*case) == _paper_unit_macs(*case)


@pytest.mark.parametrize("groups", [2, 3, 4, 8])
def test_equal_cost_rule_reproduces_table_1(groups):
    # Table 1's stage-2 widths follow from "as wide as the g = 1 unit's cost allows".
    assert lesson04.widest_equal_cost(groups) == shufflenet_v1.TABLE1_STAGE_CHANNELS[groups][0]


@pytest.mark.parametrize("groups", [2, 3, 4, 5])
def test_full_mixing_needs_as_many_channels_per_group_as_groups(groups):
    assert lesson04.smallest_full_mixing(groups) == groups * groups
    assert lesson04.inputs_seen(groups * groups - groups, groups) < groups * groups - groups


# -- exercise 1 ---------------------------------------------------------------------------------------


def _unanswered(channels, groups, size):
    raise NotImplementedError


def test_unit_macs_placeholders_are_not_answered_yet():
    for placeholder in (None, _unanswered):
        feedback = lesson04.check_unit_macs(placeholder)
        assert not feedback and feedback.status == "unanswered"


def test_unit_macs_accepts_the_formula():
    feedback = lesson04.check_unit_macs(_paper_unit_macs)
    assert feedback and feedback.status == "correct"


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda c, g, s: s * s * (2 * c * (c // 4) + 9 * (c // 4)), "dense"),
        (lambda c, g, s: s * s * (2 * c * (c // 4) // g + 9 * (c // 4) ** 2), "full convolution"),
        (lambda c, g, s: s * s * (2 * c * (c // 4) // g), "1x1 convolutions alone"),
        (lambda c, g, s: 2 * _paper_unit_macs(c, g, s), "FLOPs"),
        (lambda c, g, s: _paper_unit_macs(c, g, s) // (s * s), "one output pixel"),
        (lambda c, g, s: s * s * (2 * c * c // g + 9 * c), "bottleneck"),
        (lambda c, g, s: _paper_unit_macs(c, g, s) * 3, "too large"),
    ],
)
def test_unit_macs_names_the_mistake(wrong, words):
    feedback = lesson04.check_unit_macs(wrong)
    assert not feedback and feedback.status == "wrong"
    assert words in feedback.message
    assert feedback.hint


def test_unit_macs_survives_broken_functions():
    feedback = lesson04.check_unit_macs(lambda c, g, s: 1 / 0)
    assert not feedback and "ZeroDivisionError" in feedback.message
    feedback = lesson04.check_unit_macs(lambda c, g, s: "many")
    assert not feedback and "not a number" in feedback.message
    feedback = lesson04.check_unit_macs(123)
    assert not feedback and "callable" in feedback.message


# -- exercise 2 ---------------------------------------------------------------------------------------


def test_full_mixing():
    g = lesson04.MIXING_GROUPS
    best = lesson04.smallest_full_mixing()
    assert lesson04.check_full_mixing(None).status == "unanswered"
    assert lesson04.check_full_mixing(best).status == "correct"
    assert lesson04.check_full_mixing(str(best)).status == "correct"
    too_few = lesson04.check_full_mixing(best - g)
    assert too_few.status == "wrong" and "see only" in too_few.message
    too_many = lesson04.check_full_mixing(best + g)
    assert too_many.status == "wrong" and "smaller" in too_many.message
    not_multiple = lesson04.check_full_mixing(best + 1)
    assert not_multiple.status == "wrong" and "equal groups" in not_multiple.message
    assert lesson04.check_full_mixing("lots").status == "wrong"
    for wrong in (best - g, best + g, best + 1, 2.5):
        feedback = lesson04.check_full_mixing(wrong)
        assert str(best) not in feedback.message + (feedback.hint or "")


# -- exercise 3 ---------------------------------------------------------------------------------------


def test_equal_cost_width():
    q = lesson04.EQUAL_COST
    step = 4 * q["groups"]
    best = lesson04.widest_equal_cost()
    assert lesson04.check_equal_cost_width(None).status == "unanswered"
    assert lesson04.check_equal_cost_width(best).status == "correct"
    over = lesson04.check_equal_cost_width(best + step)
    assert over.status == "wrong" and "more than" in over.message
    under = lesson04.check_equal_cost_width(best - step)
    assert under.status == "wrong" and "wider" in under.message
    odd = lesson04.check_equal_cost_width(best + 4)
    assert odd.status == "wrong" and f"multiple of 4g = {step}" in odd.message
    for wrong in (best + step, best - step, best + 4, -3, "wide"):
        feedback = lesson04.check_equal_cost_width(wrong)
        assert not feedback
        assert str(best) not in feedback.message + (feedback.hint or "")
