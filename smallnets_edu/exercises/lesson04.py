"""Checkers for lesson 04 (ShuffleNet).

Each exercise's numbers are module constants, so the lesson, the checker and the tests agree; the right
answers are computed here, each time a checker runs, from the package: a profile of the real
:class:`~smallnets_edu.models.shufflenet_v1.ShuffleUnit` (exercises 1 and 3) and the connectivity that
:func:`smallnets_edu.diagrams.reach` measures on real PyTorch layers (exercise 2).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch

from .. import cost, diagrams
from ..models import shufflenet_v1
from ._feedback import Feedback, as_count, checker
from .checks import check_count_function

# Exercise 1: stride-1 units (channels, groups, size) the learner's formula is tried on. Table 1 widths
# at their stage's map size, plus two that are not in the paper.
UNIT_CASES = ((240, 3, 28), (480, 3, 14), (384, 8, 28), (144, 1, 28), (1088, 4, 7), (96, 2, 10))
# Exercise 2: two grouped 1x1 layers with this many groups and a shuffle between them.
MIXING_GROUPS = 5
# Exercise 3: the widest stage-2 width for NEW_GROUPS whose unit costs no more than the reference unit.
EQUAL_COST = {"groups": 6, "reference_groups": 1, "reference_channels": 144, "size": 28}


# --------------------------------------------------------------------------------------------------
# Shared: the cost of a unit, measured on the package's ShuffleUnit
# --------------------------------------------------------------------------------------------------


@functools.cache
def unit_cost(channels: int, groups: int, size: int) -> int:
    """MACs of a stride-1 ``ShuffleUnit(channels, channels, groups)`` on a ``size`` x ``size`` map."""
    with torch.device("meta"):  # shapes only: counting needs no weights
        unit = shufflenet_v1.ShuffleUnit(channels, channels, groups)
    return cost.profile(unit, size, in_channels=channels).macs


def _not_channels(answer: object, example: str) -> Feedback:
    """What exercises 2 and 3 say to an answer that is no channel count; ``example`` is the cell's line."""
    return Feedback.wrong(
        f"{answer!r} is not a number of channels: a whole number, 1 or more.", f"Write it like `{example}`."
    )


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def _unit_mistakes(c: int, g: int, size: int) -> list[tuple[int, str, str]]:
    """(what a typical slip gives, what it looks like, a hint), from the cost formulas."""
    m = c // shufflenet_v1.BOTTLENECK_RATIO
    one_by_one = cost.grouped_macs(c, m, 1, size, g) + cost.grouped_macs(m, c, 1, size, g)
    dw = cost.depthwise_macs(m, 3, size)
    truth = one_by_one + dw
    return [
        (
            cost.pointwise_macs(c, m, size) + cost.pointwise_macs(m, c, size) + dw,
            "Your 1x1 convolutions look dense: the count matches a unit whose 1x1s are not grouped.",
            "In the ShuffleNet unit both 1x1 convolutions are grouped: each filter sees C/g channels.",
        ),
        (
            one_by_one + cost.standard_conv_macs(m, m, 3, size),
            "Your 3x3 layer looks like a full convolution over the bottleneck.",
            "The 3x3 layer is depthwise: one 3x3 filter per channel, no mixing of channels.",
        ),
        (
            one_by_one + cost.grouped_macs(m, m, 3, size, g),
            "Your 3x3 layer looks grouped with g groups, as in ResNeXt.",
            "ShuffleNet's 3x3 layer is depthwise: as many groups as channels.",
        ),
        (
            one_by_one,
            "That is the two 1x1 convolutions alone.",
            "Add the 3x3 depthwise convolution on the bottleneck.",
        ),
        (
            2 * truth,
            "It looks like you counted a multiplication and an addition separately (FLOPs).",
            "The papers and this course count multiply-accumulates: one per multiplication.",
        ),
        (
            cost.grouped_macs(c, c, 1, size, g) * 2 + cost.depthwise_macs(c, 3, size),
            "Your bottleneck seems to be as wide as the unit.",
            "The bottleneck has a quarter of the unit's channels: m = channels // 4.",
        ),
        (
            truth // (size * size),
            "That is the cost of one output pixel.",
            "Every position of the size × size map costs the same: multiply by the number of positions.",
        ),
    ]


def _case_text(case: tuple[int, int, int]) -> str:
    c, g, size = case
    return f"`unit_macs({c}, {g}, {size})`"


@checker("Exercise 1 (cost of a ShuffleNet unit)")
def check_unit_macs(fn: Callable[[int, int, int], object] | None) -> Feedback:
    """``fn(channels, groups, size)``: the MACs of a stride-1 ShuffleNet unit, tried on ``UNIT_CASES``."""
    listed = ", ".join(f"{c}/{g}/{s}" for c, g, s in UNIT_CASES)
    return check_count_function(
        fn,
        UNIT_CASES,
        truth=unit_cost,
        mistakes=_unit_mistakes,
        usage="check_unit_macs(unit_macs)",
        describe=_case_text,
        not_implemented_hint="Only three layers do arithmetic: a grouped 1x1, a depthwise 3x3 and another "
        "grouped 1x1.",
        raised_hint="Compute with the three arguments only; the bottleneck is `channels // 4`.",
        return_hint="Return the count, e.g. `return first + second + third`.",
        far_hint="The paper's formula for this unit is hw(2cm/g + 9m), with m the bottleneck width.",
        passed=lambda: Feedback.correct(
            f"Your function matches the profile of the package's `ShuffleUnit` on all {len(UNIT_CASES)} "
            f"units (channels/groups/size {listed}). The two grouped 1x1s carry almost all of it, which is "
            "why grouping them, and not the 3x3, is what makes ShuffleNet cheap."
        ),
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def mixing_layers(groups: int = MIXING_GROUPS) -> list[diagrams.Layer]:
    """Grouped 1x1, shuffle, grouped 1x1: the stack of exercise 2."""
    return [diagrams.conv(None, 1, groups), diagrams.shuffle(groups), diagrams.conv(None, 1, groups)]


def inputs_seen(channels: int, groups: int = MIXING_GROUPS) -> int:
    """The fewest input channels any output channel of the stack sees, measured by ``diagrams.reach``."""
    return int(diagrams.reach(mixing_layers(groups), channels).sum(axis=1).min())


def smallest_full_mixing(groups: int = MIXING_GROUPS) -> int:
    """The smallest multiple of ``groups`` for which every output sees every input."""
    channels = groups
    while channels <= diagrams.MAX_CHANNELS:
        if inputs_seen(channels, groups) == channels:
            return channels
        channels += groups
    raise ValueError(f"no channel count up to {diagrams.MAX_CHANNELS} mixes fully with {groups} groups")


@checker(
    "Exercise 2 (when the shuffle mixes everything)",
    placeholder=(
        "Replace `None` with a number of channels.",
        "Picture the shuffle as dealing cards: each group of the next layer gets C/g channels, "
        "one from each group in turn.",
    ),
)
def check_full_mixing(answer: object) -> Feedback:
    """``answer``: the smallest channel count at which the ``MIXING_GROUPS`` stack connects all to all."""
    g = MIXING_GROUPS
    channels = as_count(answer)
    if channels is None:
        return _not_channels(answer, "smallest_channels = 10")
    if channels % g:
        return Feedback.wrong(
            f"{channels} channels cannot be split into {g} equal groups.",
            f"C must be a multiple of g = {g}.",
        )
    if channels > diagrams.MAX_CHANNELS:
        return Feedback.wrong(
            f"{channels} channels mix fully, but far fewer do.",
            "Try the smallest multiples of g one by one.",
        )
    seen = inputs_seen(channels)
    best = smallest_full_mixing()
    if channels == best:
        return Feedback.correct(
            f"With {channels} channels each group holds {channels // g}, enough for the shuffle to hand "
            f"every group of the second layer one channel from each of the {g} groups; with "
            f"{channels - g}, some outputs see only {inputs_seen(channels - g)} of the {channels - g} "
            "inputs. In general a shuffle mixes fully once C/g ≥ g."
        )
    if seen < channels:
        return Feedback.wrong(
            f"With {channels} channels some output channels see only {seen} of the {channels} inputs.",
            f"Each group of the second layer receives C/g = {channels // g} channels. From how many "
            f"different groups can they come, and how many groups are there?",
        )
    return Feedback.wrong(
        f"{channels} channels do mix fully, but a smaller multiple of {g} does too.",
        "Look for the point where each group has just enough channels to hand one to every group.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def reference_cost() -> int:
    """MACs of the reference unit (g = 1 with Table 1's stage-2 width) on the exercise's map."""
    q = EQUAL_COST
    return unit_cost(q["reference_channels"], q["reference_groups"], q["size"])


def widest_equal_cost(groups: int | None = None) -> int:
    """The widest multiple of 4g whose stride-1 unit costs no more than the reference unit."""
    q = EQUAL_COST
    g = q["groups"] if groups is None else groups
    step = shufflenet_v1.BOTTLENECK_RATIO * g
    budget, channels = reference_cost(), step
    while unit_cost(channels + step, g, q["size"]) <= budget:
        channels += step
    return channels


@checker(
    "Exercise 3 (Table 1 for six groups)",
    placeholder=(
        "Replace `None` with a number of channels.",
        f"Compute the cost of the g = {EQUAL_COST['reference_groups']} unit with "
        f"{EQUAL_COST['reference_channels']} channels first, then try multiples of "
        f"{shufflenet_v1.BOTTLENECK_RATIO * EQUAL_COST['groups']} for g = {EQUAL_COST['groups']}.",
    ),
)
def check_equal_cost_width(answer: object) -> Feedback:
    """``answer``: the widest stage-2 width for ``EQUAL_COST["groups"]`` within the reference unit's cost."""
    q = EQUAL_COST
    g, size = q["groups"], q["size"]
    step = shufflenet_v1.BOTTLENECK_RATIO * g
    channels = as_count(answer)
    if channels is None:
        return _not_channels(answer, "width_for_six_groups = 240")
    if channels % step:
        return Feedback.wrong(
            f"{channels} is not a multiple of 4g = {step}: the bottleneck ({channels / 4:g} channels) "
            f"would not split into {g} equal groups.",
            f"Only widths that are multiples of {step} can be built.",
        )
    budget, macs = reference_cost(), unit_cost(channels, g, size)
    if macs > budget:
        return Feedback.wrong(
            f"A unit with {channels} channels and g = {g} costs {macs:,} MACs, "
            f"{100 * (macs / budget - 1):.1f}% more than the g = {q['reference_groups']} unit.",
            "Go narrower: the cost grows roughly with the square of the width.",
        )
    best = widest_equal_cost()
    if channels == best:
        ratio = channels / q["reference_channels"]
        return Feedback.correct(
            f"{channels} channels: the unit costs {macs:,} MACs against {budget:,}, and {channels + step} "
            f"would exceed it. That is {ratio:.2f} times the g = 1 width, "
            f"close to √{g} = {math.sqrt(g):.2f}. "
            "The same rule gives Table 1's widths for g = 2, 3, 4 and 8: try it."
        )
    return Feedback.wrong(
        f"{channels} channels fit ({macs:,} MACs, {100 * (1 - macs / budget):.1f}% under the budget of "
        f"{budget:,}), but a wider multiple of {step} fits too.",
        "The exercise asks for the widest width that still fits.",
    )


__all__ = [
    "EQUAL_COST",
    "MIXING_GROUPS",
    "UNIT_CASES",
    "check_equal_cost_width",
    "check_full_mixing",
    "check_unit_macs",
    "inputs_seen",
    "mixing_layers",
    "reference_cost",
    "smallest_full_mixing",
    "unit_cost",
    "widest_equal_cost",
]
