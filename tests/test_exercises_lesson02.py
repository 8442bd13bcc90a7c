"""Lesson 02 checkers: right answers pass, typical wrong ones get a specific message, none gives it away."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from smallnets_edu import compression
from smallnets_edu.exercises import UNANSWERED, lesson02
from smallnets_edu.models import squeezenet

# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------

M, S, E1, E3 = (lesson02.FIRE[k] for k in ("in_channels", "squeeze", "expand1x1", "expand3x3"))
TRUTH = M * S + S * E1 + 9 * S * E3 + S + E1 + E3  # the formula of the lesson


def test_fire_params_truth_is_the_formula_and_the_module():
    assert lesson02.fire_params() == TRUTH
    assert TRUTH == sum(p.numel() for p in squeezenet.Fire(M, S, E1, E3).parameters())


@pytest.mark.parametrize("answer", [TRUTH, float(TRUTH), f"{TRUTH:,}", np.int64(TRUTH), torch.tensor(TRUTH)])
def test_fire_params_accepts_the_right_count_in_any_form(answer):
    feedback = lesson02.check_fire_params(answer)
    assert feedback.ok, feedback.text()


@pytest.mark.parametrize(
    "answer, expected",
    [
        (TRUTH - (S + E1 + E3), "biases"),
        (M * S + S * E1 + S * E3 + S + E1 + E3, "3×3 filters seem to be counted like 1×1"),
        (M * S + M * E1 + 9 * M * E3 + S + E1 + E3, "read all"),
        (9 * M * (E1 + E3) + E1 + E3, "plain 3×3 convolution"),
        (S * E1 + 9 * S * E3 + E1 + E3, "expand layer alone"),
        (TRUTH + 1, "Within 1%"),
        (2 * TRUTH, "Too large"),
        (100, "Too small"),
        ("many", "not a count"),
    ],
)
def test_fire_params_explains_typical_mistakes_without_the_answer(answer, expected):
    feedback = lesson02.check_fire_params(answer)
    assert not feedback.ok and feedback.answered
    assert expected in feedback.text()
    for form in (str(TRUTH), f"{TRUTH:,}"):
        assert form not in feedback.text()


def test_unanswered_placeholders():
    assert lesson02.check_fire_params(None).status == UNANSWERED
    assert lesson02.check_fire_module(None).status == UNANSWERED
    assert lesson02.check_relative_indices(None).status == UNANSWERED

    def todo(*args):
        raise NotImplementedError

    assert lesson02.check_fire_module(todo).status == UNANSWERED
    assert lesson02.check_relative_indices(todo).status == UNANSWERED


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


class GoodFire(nn.Module):
    def __init__(
        self, m, s, e1, e3, *, padding=1, order="1x1 first", relu=(True, True), bias=True, combine="cat"
    ):
        super().__init__()
        self.squeeze = nn.Conv2d(m, s, 1, bias=bias)
        self.expand1x1 = nn.Conv2d(s, e1, 1, bias=bias)
        self.expand3x3 = nn.Conv2d(s, e3, 3, padding=padding, bias=bias)
        self.order, self.relu, self.combine = order, relu, combine

    def forward(self, x):
        s = self.squeeze(x)
        s = torch.relu(s) if self.relu[0] else s
        a, b = self.expand1x1(s), self.expand3x3(s)
        if self.relu[1]:
            a, b = torch.relu(a), torch.relu(b)
        if self.combine == "add":
            return a + b
        return torch.cat([a, b] if self.order == "1x1 first" else [b, a], dim=1)


def test_fire_module_accepts_a_correct_module_and_the_lessons():
    assert lesson02.check_fire_module(lambda m, s, e1, e3: GoodFire(m, s, e1, e3)).ok
    assert lesson02.check_fire_module(lambda m, s, e1, e3: squeezenet.Fire(m, s, e1, e3)).ok

    class Sequentials(nn.Module):  # another common way to write it: ReLUs inside nn.Sequential, inplace
        def __init__(self, m, s, e1, e3):
            super().__init__()
            self.squeeze = nn.Sequential(nn.Conv2d(m, s, 1), nn.ReLU(inplace=True))
            self.e1 = nn.Sequential(nn.Conv2d(s, e1, 1), nn.ReLU(inplace=True))
            self.e3 = nn.Sequential(nn.Conv2d(s, e3, 3, padding=1), nn.ReLU(inplace=True))

        def forward(self, x):
            x = self.squeeze(x)
            return torch.cat([self.e1(x), self.e3(x)], 1)

    feedback = lesson02.check_fire_module(Sequentials)
    assert feedback.ok, feedback.text()


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"padding": 0}, "padding=1"),
        ({"order": "3x3 first"}, "3×3 outputs come first"),
        ({"relu": (False, True)}, "squeeze output has no ReLU"),
        ({"relu": (True, False)}, "expand outputs have no ReLU"),
        ({"relu": (False, False)}, "no ReLU"),
        ({"bias": False}, "no bias"),
        ({"combine": "add"}, "not added"),
    ],
)
def test_fire_module_names_the_mistake(kwargs, expected):
    feedback = lesson02.check_fire_module(lambda m, s, e1, e3: GoodFire(m, s, e1, e3, **kwargs))
    assert not feedback.ok and feedback.answered
    assert expected in feedback.text(), feedback.text()


def test_fire_module_wrong_structure():
    def expand_reads_input(m, s, e1, e3):
        module = GoodFire(m, s, e1, e3)
        module.expand3x3 = nn.Conv2d(m, e3, 3, padding=1)
        return module

    feedback = lesson02.check_fire_module(expand_reads_input)
    assert not feedback.ok and "expand3x3" in feedback.text() and "squeeze layer's output" in feedback.text()

    def with_bn(m, s, e1, e3):
        module = GoodFire(m, s, e1, e3)
        module.bn = nn.BatchNorm2d(s)
        return module

    assert "BatchNorm" in lesson02.check_fire_module(with_bn).text()
    assert "not a torch module" in lesson02.check_fire_module(lambda *a: 42).text()
    assert "passed a module" in lesson02.check_fire_module(GoodFire(3, 2, 4, 5)).text()
    assert "not callable" in lesson02.check_fire_module(42).text()

    def crashes(m, s, e1, e3):
        raise RuntimeError("oops")

    assert "RuntimeError" in lesson02.check_fire_module(crashes).text()


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def good_indices(positions, index_bits):
    filler, out, previous = 2**index_bits - 1, [], -1
    for p in positions:
        gap = p - previous - 1
        out += [filler] * (gap // filler) + [gap % filler]
        previous = p
    return out


def test_relative_indices_accepts_a_correct_function_in_any_output_form():
    assert lesson02.check_relative_indices(good_indices).ok
    assert lesson02.check_relative_indices(lambda p, b: np.array(good_indices(p, b), dtype=np.int64)).ok
    assert lesson02.check_relative_indices(lambda p, b: torch.tensor(good_indices(p, b), dtype=torch.long)).ok


def test_relative_indices_examples_of_the_lesson_are_the_packages():
    assert compression.relative_indices(np.array([2, 3]), 3).tolist() == [2, 0]
    assert compression.relative_indices(np.array([20]), 3).tolist() == [7, 7, 6]


def no_fillers(positions, bits):
    previous, out = -1, []
    for p in positions:
        out.append(p - previous - 1)
        previous = p
    return out


def distances(positions, bits):
    previous, out = -1, []
    for p in positions:
        out.append(p - previous)
        previous = p
    return out


def filler_skips_one_more(positions, bits):  # a common slip: a filler that moves on by M + 1
    filler, out, previous = 2**bits - 1, [], -1
    for p in positions:
        gap = p - previous - 1
        out += [filler] * (gap // (filler + 1)) + [gap % (filler + 1)]
        previous = p
    return out


def gap_of_filler_not_split(positions, bits):  # forgets that a gap of exactly M needs a filler
    filler, out, previous = 2**bits - 1, [], -1
    for p in positions:
        gap = p - previous - 1
        if gap == filler:
            out.append(gap)
        else:
            out += [filler] * (gap // filler) + [gap % filler]
        previous = p
    return out


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda p, b: list(p), "positions themselves"),
        (distances, "one too large"),
        (no_fillers, "needs fillers"),
        (filler_skips_one_more, "right count but some values are wrong"),
        (gap_of_filler_not_split, "needs fillers"),
        (lambda p, b: [*good_indices(p, b), 0], "codes: a different number"),
        (lambda p, b: [min(c, 2**b) for c in no_fillers(p, b)], "do not fit in"),
        (lambda p, b: "2, 0", "not a list of integers"),
        (lambda p, b: [1 / 0], "ZeroDivisionError"),
    ],
)
def test_relative_indices_names_the_mistake(fn, expected):
    feedback = lesson02.check_relative_indices(fn)
    assert not feedback.ok and feedback.answered
    assert expected in feedback.text(), feedback.text()
