"""Lesson 06's checkers: right answers pass, wrong ones get a specific message, none leaks the answer."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from smallnets_edu import cost
from smallnets_edu.exercises import lesson06
from smallnets_edu.models import effnet

# -- the truths the checkers use ----------------------------------------------------------------------


def test_rank_one_kernels_are_exactly_two_separable_convolutions():
    # A 1x3 row filter then a 3x1 column filter is one 3x3 filter, torch.outer(column, row).
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    column, row = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    two = F.conv2d(F.conv2d(x, row.view(1, 1, 1, 3), padding=(0, 1)), column.view(1, 1, 3, 1), padding=(1, 0))
    one = F.conv2d(x, torch.outer(column, row).view(1, 1, 3, 3), padding=1)
    assert torch.allclose(one, two)
    assert lesson06.is_rank_one(torch.outer(column, row))


def test_the_kernel_set_has_both_kinds():
    ranks = {name: lesson06.is_rank_one(k) for name, k in lesson06.kernels().items()}
    assert ranks["Laplacian"] is False and ranks["random"] is False
    assert ranks["Sobel (vertical edges)"] is True and ranks["zero top row"] is True
    assert 2 <= sum(ranks.values()) <= len(ranks) - 2


@pytest.mark.parametrize("case", lesson06.BLOCK_CASES)
def test_block_cost_is_the_formula_and_the_flop_counter(case):
    c_in, c_out, size, dm = case
    assert lesson06.block_cost(*case) == lesson06.block_formula(*case)
    block = effnet.EffNetBlock(c_in, c_out, dm)
    assert lesson06.block_cost(*case) == cost.flop_counter_macs(block, size, in_channels=c_in)


def test_matching_width_reaches_the_target_and_the_step_below_does_not():
    best = lesson06.narrowest_matching_width()
    step = lesson06.EQUAL_COST["step"]
    target = lesson06.target_macs()
    assert lesson06.network_macs("mobilenet", best) >= target
    assert lesson06.network_macs("mobilenet", best - step) < target
    # The Keras port's network (depth multiplier 1) is cheaper, so it needs a narrower MobileNet.
    assert lesson06.narrowest_matching_width(depth_multiplier=1) < best


# -- exercise 1 ---------------------------------------------------------------------------------------


def _svd_factor(kernel):
    u, s, vh = torch.linalg.svd(kernel)
    if s[1] > 1e-9 * s[0]:
        return None
    return u[:, 0] * s[0], vh[0]


def test_factor_accepts_svd_and_numpy_and_lists():
    assert lesson06.check_factor(_svd_factor).status == "correct"

    def numpy_factor(kernel):
        u, s, vh = np.linalg.svd(kernel.numpy())
        if s[1] > 1e-9 * s[0]:
            return None
        return list(u[:, 0] * np.sqrt(s[0])), vh[0] * np.sqrt(s[0])

    assert lesson06.check_factor(numpy_factor).status == "correct"


# (a learner's factor with a typical slip, words its feedback must have); tried below with exercise 2's.
FACTOR_MISTAKES = [
    (lambda k: (lambda f: None if f is None else (f[1], f[0]))(_svd_factor(k)), "transposed"),
    (lambda k: (lambda u, s, vh: (u[:, 0] * s[0], vh[0]))(*torch.linalg.svd(k)), "no column and row"),
    (lambda k: None, "returned None"),
    (lambda k: (k[:, 1], k[1]), "does not give the kernel back"),
    (lambda k: (lambda f: None if f is None else (f[0] / 2, f[1]))(_svd_factor(k)), "does not give"),
    (lambda k: k, "not a pair"),
    (lambda k: (k[0], k[1][:2]), "not 3 numbers"),
]


# -- exercise 2 ---------------------------------------------------------------------------------------


def _block_macs(c_in, c_out, size, dm):
    """The EffNet block's cost written out independently of the package."""
    b, half = c_out // 2, size // 2
    w = b * dm
    return c_in * b * size * size + 3 * w * size * size + 3 * w * half * size + 2 * w * c_out * half * half


def test_block_macs_accepts_the_formula():
    feedback = lesson06.check_block_macs(_block_macs)
    assert feedback and feedback.status == "correct"


# (a learner's count with a typical slip, words its feedback must have)
BLOCK_MACS_MISTAKES = [
    (lambda i, o, s, d: _block_macs(i, o, s, d) + 3 * (o // 2) * d * (s // 2) * s, "full height"),
    (lambda i, o, s, d: _block_macs(i, o, s, d) - (o // 2) * d * o * (s // 2) ** 2, "1x1"),
    (lambda i, o, s, d: _block_macs(i, o, s, 1), "depth multiplier"),
    (lambda i, o, s, d: 2 * _block_macs(i, o, s, d), "FLOPs"),
    (lambda i, o, s, d: _block_macs(i, o, s, d) * 5, "too large"),
    (lambda i, o, s, d: _block_macs(i, o, s, d) // 5, "too small"),
    (lambda i, o, s, d: "lots", "not a number"),
]


# -- exercises 1 and 2: what every checker of a function must do -------------------------------------

FUNCTION_CHECKERS = [lesson06.check_factor, lesson06.check_block_macs]


def _unanswered(*args):
    raise NotImplementedError


@pytest.mark.parametrize("check", FUNCTION_CHECKERS)
@pytest.mark.parametrize("placeholder", [None, _unanswered])
def test_function_placeholders_are_not_answered_yet(check, placeholder):
    feedback = check(placeholder)
    assert not feedback and feedback.status == "unanswered"


@pytest.mark.parametrize(
    ("check", "wrong", "words"),
    [(lesson06.check_factor, *mistake) for mistake in FACTOR_MISTAKES]
    + [(lesson06.check_block_macs, *mistake) for mistake in BLOCK_MACS_MISTAKES],
)
def test_wrong_functions_get_their_mistake_named(check, wrong, words):
    feedback = check(wrong)
    assert not feedback and feedback.status == "wrong"
    assert words in feedback.message
    assert feedback.hint


@pytest.mark.parametrize(
    ("check", "not_a_function"), [(lesson06.check_factor, "factor"), (lesson06.check_block_macs, 42)]
)
def test_function_checkers_survive_broken_functions(check, not_a_function):
    feedback = check(lambda *args: 1 / 0)
    assert not feedback and "ZeroDivisionError" in feedback.message
    feedback = check(not_a_function)
    assert not feedback and "callable" in feedback.message


# -- exercise 3 ---------------------------------------------------------------------------------------


def test_matching_width_placeholder_is_not_answered_yet():
    feedback = lesson06.check_matching_width(None)
    assert not feedback and feedback.status == "unanswered"


def test_matching_width_accepts_the_answer_in_any_form():
    best = lesson06.narrowest_matching_width()
    for form in (best, str(best), np.float64(best)):
        feedback = lesson06.check_matching_width(form)
        assert feedback and feedback.status == "correct"


def test_matching_width_explains_wrong_answers_without_the_solution():
    best = lesson06.narrowest_matching_width()
    step = lesson06.EQUAL_COST["step"]
    keras = lesson06.narrowest_matching_width(depth_multiplier=1)
    cases = [
        (best - step, "short"),
        (best + step, "narrower"),
        (keras, "depth multiplier 1"),
        (best + 0.1, "not a multiple"),
        ("wide", "not a width multiplier"),
        (-1, "not a width multiplier"),
    ]
    for answer, words in cases:
        feedback = lesson06.check_matching_width(answer)
        assert not feedback and feedback.status == "wrong", answer
        assert words in feedback.message, (answer, feedback.message)
        assert not re.search(rf"\bwidth {best:g}(?![.\d])", feedback.message + (feedback.hint or ""))
        assert feedback.hint
