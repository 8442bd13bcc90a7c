"""Checkers for lesson 01 (convolution variants).

Each exercise's numbers are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here from :mod:`smallnets_edu.cost`, :mod:`smallnets_edu.blocks` and
:mod:`smallnets_edu.diagrams` each time a checker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch

from .. import blocks, cost, diagrams
from ._feedback import Feedback, as_count, checker
from .checks import check_count, check_function

# Exercise 1: which inputs feed one output channel of a grouped convolution?
GROUPED = {"in_channels": 12, "out_channels": 12, "groups": 3, "kernel": 3, "output": 5}
# Exercise 2: the MACs of one depthwise-separable layer (MobileNet's 28x28, 128 -> 256 layer).
SEPARABLE = {"in_channels": 128, "out_channels": 256, "kernel": 3, "size": 28}
# Exercise 3: the fewest groups that bring a 3x3 convolution under a budget of MACs.
GROUPS_TARGET = {"in_channels": 256, "out_channels": 256, "kernel": 3, "size": 14, "target": 30_000_000}
# Exercise 4: channel shuffle, tried on these (batch, channels, height, width, groups).
SHUFFLE_CASES = ((1, 12, 1, 1, 3), (2, 12, 3, 4, 3), (3, 8, 2, 2, 4), (1, 6, 5, 3, 2), (2, 16, 2, 3, 8))


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def grouped_inputs() -> set[int]:
    """The input channels that feed ``GROUPED["output"]``, measured by :func:`diagrams.links`."""
    q = GROUPED
    (step,) = diagrams.links([diagrams.conv(q["out_channels"], q["kernel"], q["groups"])], q["in_channels"])
    return {int(i) for i in np.flatnonzero(step[q["output"]])}


def _as_channel_set(answer: object) -> set[int] | None:
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return None
    items = list(answer)
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        return None
    return {int(i) for i in items}


@checker(
    "Exercise 1 (grouped convolution)",
    placeholder=(
        "Write the input channels as a set of numbers, e.g. `answer = {0, 1, 2}`.",
        f"Picture the groups: the {GROUPED['in_channels']} inputs and the {GROUPED['out_channels']} "
        f"outputs are each cut into {GROUPED['groups']} groups of consecutive channels.",
    ),
)
def check_grouped_inputs(answer: object) -> Feedback:
    """``answer``: the set of input channels that feed output channel ``GROUPED["output"]``."""
    q = GROUPED
    m, n, g, out = q["in_channels"], q["out_channels"], q["groups"], q["output"]
    chosen = _as_channel_set(answer)
    if chosen is None:
        return Feedback.wrong(
            f"Your answer is a {type(answer).__name__}; this exercise wants a set of channel numbers.",
            "Write it like `answer = {0, 1, 2}`.",
        )
    truth = grouped_inputs()
    per_group = m // g
    outside = sorted(i for i in chosen if not 0 <= i < m)
    if outside:
        return Feedback.wrong(
            f"Channels are numbered 0 to {m - 1}; {outside} are not input channels.",
            "Count from zero, as PyTorch does.",
        )
    if chosen == truth:
        first, last = min(truth), max(truth)
        return Feedback.correct(
            f"Output {out} belongs to group {out // (n // g)}, and that group's filters see only input "
            f"channels {first} to {last}: M/g = {per_group} of the {m}. That is why a grouped convolution "
            f"is g = {g} times cheaper, and why its groups never exchange information."
        )
    if chosen == set(range(m)):
        return Feedback.wrong(
            "Every input channel feeds every output in a standard convolution, not in a grouped one.",
            f"The {m} inputs are split into {g} groups of {per_group}; each output sees one group only.",
        )
    groups = [set(range(k * per_group, (k + 1) * per_group)) for k in range(g)]
    if chosen in groups:
        return Feedback.wrong(
            "That is exactly one group of inputs, which is the right shape of answer, but not the group "
            f"that output channel {out} belongs to.",
            f"Outputs are split into groups the same way: N/g = {n // g} consecutive outputs per group.",
        )
    if chosen < truth:
        return Feedback.wrong(
            f"Every channel you listed does feed output {out}, but some are missing.",
            f"Each output of a grouped convolution sees a whole group: M/g = {per_group} input channels.",
        )
    if chosen > truth:
        return Feedback.wrong(
            f"Your set contains all the inputs of output {out}, "
            f"plus {len(chosen - truth)} from another group.",
            "Channels of different groups never meet inside a grouped convolution.",
        )
    return Feedback.wrong(
        f"Not the inputs of output {out}: {len(chosen & truth)} of your {len(chosen)} channels are right.",
        f"Split the {m} inputs into {g} consecutive groups of {per_group}, do the same with the outputs, "
        f"and match group k of the outputs with group k of the inputs.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


@checker(
    "Exercise 2 (depthwise-separable MACs)",
    placeholder=(
        "Replace `None` with the number of multiply-accumulates (you may compute it in Python).",
        "A depthwise-separable layer is two layers; add up what each one costs.",
    ),
)
def check_separable_macs(answer: object) -> Feedback:
    """``answer``: the multiply-accumulates of the ``SEPARABLE`` layer (depthwise + pointwise)."""
    q = SEPARABLE
    m, n, k, s = q["in_channels"], q["out_channels"], q["kernel"], q["size"]
    truth = cost.separable_macs(m, n, k, s)
    dw, pw = cost.depthwise_macs(m, k, s), cost.pointwise_macs(m, n, s)
    return check_count(
        answer,
        truth,
        correct=f"{truth:,} multiply-accumulates: the depthwise part is {100 * dw / truth:.1f}% of it, the "
        f"pointwise part {100 * pw / truth:.1f}%. A standard {k}×{k} convolution would cost "
        f"{cost.standard_conv_macs(m, n, k, s) / truth:.1f}× more (1/N + 1/Dk² = "
        f"{cost.separable_reduction(n, k):.3f}).",
        # What did the learner probably compute? Each wrong value comes from the formulas.
        mistakes=[
            (
                cost.standard_conv_macs(m, n, k, s),
                "That is the cost of a standard convolution with the same shape.",
                "A depthwise-separable layer replaces it by a depthwise layer followed by a 1×1 layer.",
            ),
            (
                cost.depthwise_macs(m, k, s),
                "That is the depthwise layer alone.",
                "Add the pointwise (1×1) layer that mixes the channels.",
            ),
            (
                cost.pointwise_macs(m, n, s),
                "That is the pointwise layer alone.",
                "Add the depthwise layer that filters each channel in space.",
            ),
            (
                2 * truth,
                "It looks like you counted a multiplication and an addition separately (FLOPs).",
                "The papers, and this course, count multiply-accumulates: one per multiplication.",
            ),
            (
                cost.depthwise_macs(n, k, s) + cost.pointwise_macs(m, n, s),
                "Your depthwise part uses the output channel count N.",
                "The depthwise layer comes first and keeps the M input channels: one k×k filter per input.",
            ),
            (
                truth // (s * s),
                "That is the cost of one output pixel.",
                "Every output position costs the same: multiply by the Df × Df positions of the map.",
            ),
            (
                truth // s,
                "That counts the positions of one row (or column) of the map only.",
                "The map is Df × Df: multiply by Df².",
            ),
        ],
        not_a_number_hint="Write it like `answer = 123_456` or compute it: `answer = 3 * 3 * ...`.",
        near_hint="The count is a whole number: compute it exactly in Python instead of rounding.",
        far_hint="Depthwise: Dk·Dk·M·Df·Df. Pointwise: M·N·Df·Df. Check which numbers play M, N, Dk and Df.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def valid_groups() -> list[int]:
    """Every groups value that divides both channel counts of ``GROUPS_TARGET``."""
    q = GROUPS_TARGET
    m, n = q["in_channels"], q["out_channels"]
    return [g for g in range(1, min(m, n) + 1) if m % g == 0 and n % g == 0]


def fewest_groups() -> int:
    """The smallest valid groups value whose grouped convolution fits ``GROUPS_TARGET["target"]``."""
    q = GROUPS_TARGET
    for g in valid_groups():
        if cost.grouped_macs(q["in_channels"], q["out_channels"], q["kernel"], q["size"], g) <= q["target"]:
            return g
    raise ValueError("no groups value meets the target")  # the exercise's numbers guarantee one


@checker(
    "Exercise 3 (groups for a budget)",
    placeholder=(
        "Replace `None` with a number of groups.",
        "`cost.grouped_macs(M, N, k, Df, g)` gives the cost of any candidate: try a few.",
    ),
)
def check_groups_for_target(answer: object) -> Feedback:
    """``answer``: the fewest groups that bring the ``GROUPS_TARGET`` convolution under its target."""
    q = GROUPS_TARGET
    m, n, k, s, target = q["in_channels"], q["out_channels"], q["kernel"], q["size"], q["target"]
    g = as_count(answer)
    if g is None:
        return Feedback.wrong(
            f"{answer!r} is not a number of groups: groups is a whole number, 1 or more.",
            "Write it like `answer = 2`.",
        )
    if m % g or n % g:
        return Feedback.wrong(
            f"{g} groups cannot split {m} input and {n} output channels into equal groups.",
            "groups must divide both channel counts.",
        )
    macs = cost.grouped_macs(m, n, k, s, g)
    if macs > target:
        return Feedback.wrong(
            f"With g = {g} the layer costs {macs:,} MACs, above the target of {target:,}.",
            "Each doubling of g halves the cost.",
        )
    best = fewest_groups()
    if g == best:
        return Feedback.correct(
            f"g = {g} costs {macs:,} MACs, within the target of {target:,}, and every smaller valid g "
            f"misses it. Fewest groups means each output still sees as many channels as the budget "
            f"allows: M/g = {m // g}."
        )
    return Feedback.wrong(
        f"g = {g} fits the target ({macs:,} MACs), but a smaller number of groups fits too.",
        "Fewer groups let each output see more channels, so take the fewest that fit.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 4
# --------------------------------------------------------------------------------------------------


def _case_name(case: tuple[int, ...]) -> str:
    b, c, h, w, g = case
    return f"an input of shape ({b}, {c}, {h}, {w}) with groups={g}"


def _is_channel_permutation(x: torch.Tensor, y: torch.Tensor) -> bool:
    """Does ``y`` hold the channels of ``x``, each moved whole, in some order?"""
    channels = x.shape[1]
    flat_x = x.transpose(0, 1).reshape(channels, -1)
    flat_y = y.transpose(0, 1).reshape(channels, -1)
    return all(any(torch.equal(row, other) for other in flat_x) for row in flat_y)


@checker("Exercise 4 (channel shuffle)")
def check_channel_shuffle(fn: Callable[[torch.Tensor, int], torch.Tensor] | None) -> Feedback:
    """``fn(x, groups)``: the learner's channel shuffle, compared with the package's on random inputs."""
    if fn is blocks.channel_shuffle:
        return Feedback.correct(
            "That is the package's own `channel_shuffle`, so of course it passes. "
            "Now try writing it yourself with `view`, `transpose` and `reshape`."
        )
    generator = torch.Generator().manual_seed(1)  # fixed inputs: the same feedback every run

    def run(fn: Callable[[torch.Tensor, int], object], case: tuple[int, ...]) -> tuple:
        b, c, h, w, g = case
        x = torch.randn(b, c, h, w, generator=generator)
        original = x.clone()
        return x, original, fn(x, g)

    batches, channels, groups = (sorted({case[i] for case in SHUFFLE_CASES}) for i in (0, 1, 4))
    return check_function(
        fn,
        SHUFFLE_CASES,
        usage="check_channel_shuffle(my_channel_shuffle)",
        call=run,
        not_implemented_hint="Three tensor operations are enough: view the channels as (groups, C/groups), "
        "transpose, flatten.",
        describe=_case_name,
        raised="Your function raised {error_type} on {case}: {error}",
        raised_hint="`x.view(...)` needs the exact sizes; read them from `x.shape`.",
        judge=_judge_shuffle,
        passed=lambda: Feedback.correct(
            f"Your function matches the package's channel shuffle on all {len(SHUFFLE_CASES)} inputs "
            f"(batches of {batches[0]} to {batches[-1]}, {channels[0]} to {channels[-1]} channels, "
            f"{groups[0]} to {groups[-1]} groups). It is ShuffleNet's shuffle: a fixed permutation, undone "
            "by shuffling again with C/groups groups."
        ),
    )


def _judge_shuffle(shown: str, case: tuple[int, ...], result: tuple) -> Feedback | None:
    """What is wrong with the learner's shuffle of one input, or None if it is the package's."""
    x, original, y = result
    c, g = case[1], case[4]
    if y is None:
        return Feedback.wrong(
            "Your function returned None.", "Did you forget `return`? A shuffle returns a new tensor."
        )
    if not isinstance(y, torch.Tensor):
        return Feedback.wrong(
            f"Your function returned a {type(y).__name__}, not a tensor.",
            "Keep working with torch tensors: `view`, `transpose`, `reshape`.",
        )
    if not torch.equal(x, original):
        return Feedback.wrong(
            f"Your function changed its input in place ({shown}).",
            "Build the result with `view`/`transpose`/`reshape` and leave `x` as it was.",
        )
    if y.shape != x.shape:
        return Feedback.wrong(
            f"For {shown} your function returned shape {tuple(y.shape)}.",
            "A shuffle only reorders channels: the output has the input's shape.",
        )
    if torch.equal(y, blocks.channel_shuffle(x, g)):
        return None
    if torch.equal(y, x):
        return Feedback.wrong(
            f"For {shown} your function returned the channels in their original order.",
            "After viewing the channels as (groups, C/groups), swap those two axes before flattening.",
        )
    if torch.equal(y, blocks.channel_shuffle(x, c // g)):
        return Feedback.wrong(
            f"For {shown} you returned the inverse shuffle: the channels were split as "
            "(C/groups, groups) instead of (groups, C/groups).",
            "The first axis after the batch should have `groups` entries.",
        )
    if _is_channel_permutation(x, y):
        return Feedback.wrong(
            f"For {shown} your output moves whole channels, but not into the shuffle's order.",
            "Channel i of group k should end up at position i·groups + k.",
        )
    return Feedback.wrong(
        f"For {shown} your output does not keep each channel intact: values changed, "
        "or moved between pixels or batch items.",
        "Transpose the two channel axes (1 and 2 of the 5-d view), not the batch or spatial ones.",
    )


__all__ = [
    "GROUPED",
    "GROUPS_TARGET",
    "SEPARABLE",
    "SHUFFLE_CASES",
    "check_channel_shuffle",
    "check_grouped_inputs",
    "check_groups_for_target",
    "check_separable_macs",
    "fewest_groups",
    "grouped_inputs",
    "valid_groups",
]
