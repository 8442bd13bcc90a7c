"""Checkers for lesson 03 (MobileNet).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here, each time a checker runs, from :mod:`smallnets_edu.blocks`,
:mod:`smallnets_edu.cost`, the MobileNet builder and the published figures in
:mod:`smallnets_edu.paper_figures`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import torch
from torch import nn

from .. import blocks, cost, models, paper_figures
from ._feedback import Feedback, as_number, checker
from .checks import check_function, unreadable

# Exercise 1: a depthwise-separable block, tried on these (in_channels, out_channels, stride, input side).
BLOCK_CASES = ((32, 64, 1, 12), (64, 128, 2, 12), (16, 16, 1, 7), (24, 40, 2, 9))
# Exercise 2: which layer kinds do not get alpha^2 cheaper? Compared between these widths at 224x224.
LAW_WIDTHS = (1.0, 0.5)
LAW_RESOLUTION = 224
KINDS = ("conv", "depthwise", "pointwise", "linear")  # the names cost.layer_kind gives MobileNet's layers
KIND_ALIASES = {
    "first": "conv",
    "first conv": "conv",
    "first layer": "conv",
    "stem": "conv",
    "conv 3x3": "conv",
    "dw": "depthwise",
    "conv dw": "depthwise",
    "depthwise 3x3": "depthwise",
    "pw": "pointwise",
    "1x1": "pointwise",
    "conv 1x1": "pointwise",
    "fc": "linear",
    "fully connected": "linear",
    "classifier": "linear",
}
# Why a kind of layer shrinks by alpha only (shown once the answer is right).
WHY_OFF_THE_LAW = {
    "conv": "the first layer keeps its 3 input colours",
    "depthwise": "a depthwise layer has one channel count, not an input and an output one",
    "linear": "the classifier keeps its 1000 outputs",
}
# Exercise 3: the most accurate of the sixteen published MobileNets within this many MACs.
BUDGET_MACS = 60_000_000
GRID_SOURCE = "TF-slim mobilenet_v1 table"


def _meta_mobilenet(width_mult: float, **options) -> nn.Module:
    """A MobileNet on the meta device: shapes without weights, enough to count its cost."""
    with torch.device("meta"):
        return models.build("mobilenet_v1", width_mult=width_mult, **options)


@functools.cache
def mobilenet_macs(width_mult: float, resolution: int) -> int:
    """Multiply-accumulates of the ImageNet MobileNet at this width and input side."""
    return cost.profile(_meta_mobilenet(width_mult), resolution).macs


@functools.cache
def _kind_macs(width_mult: float) -> dict[str, int]:
    profile = cost.profile(_meta_mobilenet(width_mult), LAW_RESOLUTION)
    return {kind: entry["macs"] for kind, entry in profile.by_kind().items() if entry["macs"]}


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def _structure(profile: cost.Profile) -> tuple[list[str], int, int]:
    """The kinds of the layers that compute (in call order), and how many BatchNorms and activations."""
    kinds = [row.kind for row in profile.layers if row.macs]
    norms = sum(row.kind == "batchnorm" for row in profile.layers)
    acts = sum(row.kind == "activation" for row in profile.layers)
    return kinds, norms, acts


def _convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


@checker("Exercise 1 (a MobileNet block)")
def check_separable_block(make_block: object) -> Feedback:
    """``make_block(in_channels, out_channels, stride)`` should return MobileNet's separable block.

    It is compared with :class:`smallnets_edu.blocks.DepthwiseSeparable` on every case of
    ``BLOCK_CASES``: the layers it runs, their stride, its output shape, parameters and MACs.
    """
    name = getattr(make_block, "__name__", "your function")

    def passed() -> Feedback:
        m, n, stride, side = BLOCK_CASES[1]
        ref = cost.profile(blocks.DepthwiseSeparable(m, n, stride), side, in_channels=m)
        full = cost.conv_params(m, n, 3)
        return Feedback.correct(
            f"Your block matches MobileNet's on all {len(BLOCK_CASES)} cases: layers, strides, shapes, "
            f"parameters and MACs. For {m} → {n} channels it holds {ref.params:,} parameters (BatchNorm "
            f"included); a full 3×3 convolution would hold {full:,} weights."
        )

    return check_function(
        make_block,
        BLOCK_CASES,
        placeholder=Feedback.unanswered(
            "Write the function `my_separable(in_channels, out_channels, stride)` and pass it to the checker."
        ),
        not_callable=Feedback.wrong(
            f"The checker wants the function itself, got a {type(make_block).__name__}.",
            "Pass the function without calling it: `check_separable_block(my_separable)`.",
        ),
        call=lambda make_block, case: make_block(*case[:3]),
        not_implemented="Your function still raises `NotImplementedError`: replace that line with the block.",
        not_implemented_hint="Two convolutions, each followed by BatchNorm and ReLU.",
        describe=lambda case: f"`{name}({case[0]}, {case[1]}, stride={case[2]})`",
        returns=(
            nn.Module,
            "a `torch.nn.Module`",
            "Return the layers wrapped in a module, e.g. `nn.Sequential(...)`.",
        ),
        judge=_judge_block,
        passed=passed,
    )


# One branch per hint a learner can get: splitting it would scatter the hints.
def _judge_block(call: str, case: tuple[int, int, int, int], block: nn.Module) -> Feedback | None:  # noqa: C901
    """What is wrong with the learner's block for one case (``call`` shows it), or None if it is right."""
    m, n, stride, side = case
    try:
        ours = cost.profile(block, side, in_channels=m)
        with torch.no_grad():
            out = block.eval()(torch.zeros(2, m, side, side))
    except Exception as error:
        return Feedback.wrong(
            f"Running {call} on a batch of shape (2, {m}, {side}, {side}) raised "
            f"{type(error).__name__}: {error}",
            "Check each layer's `in_channels`: the depthwise layer keeps the input's channels.",
        )
    reference = blocks.DepthwiseSeparable(m, n, stride)
    ref = cost.profile(reference, side, in_channels=m)
    expected = tuple(ref.layers[-1].output_shape[1:])
    kinds, norms, acts = _structure(ours)
    convs = _convs(block)
    if "conv" in kinds and len(kinds) == 1:
        return Feedback.wrong(
            f"{call} is one full 3×3 convolution: it filters space and mixes channels in one layer, "
            f"which costs {ours.macs / ref.macs:.1f}× what the separable block does here.",
            "Split it in two: one 3×3 filter per channel (see `groups`), then a 1×1 convolution.",
        )
    if "conv" in kinds:
        return Feedback.wrong(
            f"{call} has a 3×3 convolution with `groups=1`: every filter sees every channel, so it is "
            "a standard convolution, not a depthwise one.",
            "A depthwise convolution gives each input channel its own filter; lesson 01 showed which "
            "argument of `nn.Conv2d` does that.",
        )
    if kinds == ["pointwise", "depthwise"]:
        return Feedback.wrong(
            f"{call} runs the 1×1 convolution first and the depthwise one second.",
            "MobileNet filters first, then combines: depthwise, then pointwise (the paper's Figure 3).",
        )
    if kinds != ["depthwise", "pointwise"]:
        return Feedback.wrong(
            f"{call} runs these computing layers: {', '.join(kinds) or 'none'}.",
            "MobileNet's block is exactly two convolutions: a depthwise 3×3, then a pointwise 1×1.",
        )
    if any(c.kernel_size != (3, 3) for c in convs[:1]):
        return Feedback.wrong(
            f"The depthwise convolution of {call} has a {convs[0].kernel_size} kernel.",
            "MobileNet uses 3×3 depthwise filters.",
        )
    if tuple(out.shape[2:]) != expected[1:]:
        size = tuple(out.shape[2:])
        if stride == 2 and size == (side, side):
            hint = "This case has stride 2: the block must halve the map."
        elif size[0] in (side - 2, (side - 3) // stride + 1):
            hint = "Without padding a 3×3 filter loses a pixel on each side: pad by 1."
        else:
            hint = "Stride and padding decide the output size: (side + 2·padding − 3) // stride + 1."
        return Feedback.wrong(
            f"{call} turns a {side}×{side} map into {size[0]}×{size[1]}, not {expected[1]}×{expected[2]}.",
            hint,
        )
    if out.shape[1] != n:
        return Feedback.wrong(f"{call} gives {out.shape[1]} output channels instead of {n}.")
    if stride == 2 and convs[0].stride != (2, 2):
        return Feedback.wrong(
            f"In {call} the stride sits on the 1×1 convolution. The output has the right size, but the "
            "depthwise layer then filters the full map and the 1×1 layer throws three quarters of it "
            "away: more work, and pixels the block never looks at.",
            "Put the stride on the depthwise convolution, as in Table 1 ('Conv dw / s2').",
        )
    if norms < 2:
        return Feedback.wrong(
            f"{call} has {norms} BatchNorm layer(s); MobileNet follows each of its two convolutions "
            "with BatchNorm and ReLU (the paper's Figure 3).",
            "`nn.BatchNorm2d(channels)` after each convolution.",
        )
    if acts < 2:
        return Feedback.wrong(
            f"{call} has {acts} activation(s). Without a nonlinearity between them, the depthwise and "
            "the 1×1 layer would still be linear maps; MobileNet puts a ReLU after each (Figure 3).",
            "Add `nn.ReLU()` after each BatchNorm.",
        )
    if any(c.bias is not None for c in convs):
        return Feedback.wrong(
            f"The convolutions of {call} have biases. Right after a convolution, BatchNorm subtracts "
            "the mean and adds its own shift β, so a bias there does nothing but add parameters.",
            "Create the convolutions with `bias=False`.",
        )
    if ours.params != ref.params or ours.macs != ref.macs:
        return Feedback.wrong(
            f"{call} has {ours.params:,} parameters and {ours.macs:,} MACs; MobileNet's block has "
            f"{ref.params:,} and {ref.macs:,}.",
            "Compare each layer's channel counts with Table 1: the depthwise layer keeps M channels.",
        )
    return None


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def kinds_off_the_law() -> set[str]:
    """Layer kinds whose MACs shrink by less than alpha^2 between the widths of ``LAW_WIDTHS``."""
    wide, thin = (_kind_macs(w) for w in LAW_WIDTHS)
    ratio = (LAW_WIDTHS[1] / LAW_WIDTHS[0]) ** 2
    return {kind for kind in wide if not math.isclose(thin[kind] / wide[kind], ratio, rel_tol=1e-9)}


def _as_kinds(answer: object) -> tuple[set[str], list[str]] | None:
    if isinstance(answer, str):
        answer = [answer]
    if isinstance(answer, bytes) or not isinstance(answer, Iterable):
        return None
    items = list(answer)
    if not all(isinstance(item, str) for item in items):
        return None
    known, unknown = set(), []
    for item in items:
        name = item.strip().lower()
        name = KIND_ALIASES.get(name, name)
        (known.add(name) if name in KINDS else unknown.append(item))
    return known, unknown


@checker(
    "Exercise 2 (off the α² law)",
    placeholder=(
        "Write a set of layer kinds, e.g. `answer = {'pointwise'}`; the kinds are "
        + ", ".join(f"'{k}'" for k in KINDS)
        + ".",
        "Write each kind's cost with αM input and αN output channels and count the α's.",
    ),
)
def check_off_the_law(answer: object) -> Feedback:
    """``answer``: the set of layer kinds (``KINDS``) whose MACs do not scale with alpha squared."""
    parsed = _as_kinds(answer)
    if parsed is None:
        return Feedback.wrong(
            f"Your answer is a {type(answer).__name__}; this exercise wants a set of names.",
            "Write it like `answer = {'pointwise', 'linear'}`.",
        )
    chosen, unknown = parsed
    if unknown:
        return Feedback.wrong(
            f"{', '.join(map(repr, unknown))} is not one of the layer kinds "
            + ", ".join(f"'{k}'" for k in KINDS)
            + ".",
            "These are the names `cost.layer_kind` gives, as in the lesson's bar charts.",
        )
    truth = kinds_off_the_law()
    wide, thin = (_kind_macs(w) for w in LAW_WIDTHS)
    a = LAW_WIDTHS[1] / LAW_WIDTHS[0]
    if chosen == truth:
        total_ratio = sum(thin.values()) / sum(wide.values())
        reasons = "; ".join(f"{WHY_OFF_THE_LAW.get(k, k)} ({thin[k] / wide[k]:.3f}×)" for k in sorted(truth))
        return Feedback.correct(
            f"Each of them has only one channel count that α shrinks: {reasons}. Measured at α = {a:g}, "
            f"the whole network costs {total_ratio:.3f} of the full-width one where α² says {a * a:.3f}."
        )
    extra, missing = sorted(chosen - truth), truth - chosen
    if extra:
        ratios = ", ".join(f"`{k}` costs {thin[k] / wide[k]:.3f}×" for k in extra)
        return Feedback.wrong(
            f"At α = {a:g} {ratios} of the full-width cost, exactly α² = {a * a:.3f}: "
            f"{'it follows' if len(extra) == 1 else 'they follow'} the law.",
            "A layer follows α² when both its input and its output channel counts are multiplied by α.",
        )
    return Feedback.wrong(
        f"Every kind you named is off the law, but {len(missing)} more "
        f"{'is' if len(missing) == 1 else 'are'} missing.",
        "Look at each kind's formula: which channel counts in it stay the same when α shrinks?",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def grid() -> dict[tuple[float, int], float]:
    """The sixteen published MobileNets: (width, resolution) -> published top-1 (TF-slim's table)."""
    return {
        (entry["width_mult"], entry["resolution"]): entry["top1"]
        for entry in paper_figures.figures("mobilenet_v1")
        if entry["source"] == GRID_SOURCE
    }


def best_within_budget(budget: int = BUDGET_MACS) -> tuple[float, int]:
    """The most accurate grid model whose MACs (counted by our cost model) fit ``budget``."""
    fits = {key: top1 for key, top1 in grid().items() if mobilenet_macs(*key) <= budget}
    if not fits:
        raise ValueError(f"no published MobileNet fits {budget:,} MACs")
    return max(fits, key=fits.get)


def _as_choice(answer: object) -> tuple[float, int] | None:
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return None
    items = list(answer)
    if len(items) != 2:
        return None
    alpha, resolution = (as_number(item) for item in items)
    if alpha is None or resolution is None:
        return None
    return alpha, int(resolution) if float(resolution).is_integer() else resolution


@checker(
    "Exercise 3 (a model for a budget)",
    placeholder=(
        "Write your choice as a pair `(alpha, resolution)`, e.g. `answer = (1.0, 224)`.",
        f"Which of the sixteen cost at most {BUDGET_MACS / 1e6:g}M MACs? Of those, which is most accurate?",
    ),
)
def check_budget_pick(answer: object) -> Feedback:
    """``answer``: ``(alpha, resolution)`` of the most accurate grid model within ``BUDGET_MACS``."""
    budget = BUDGET_MACS
    choice = _as_choice(answer)
    if choice is None:
        return unreadable(
            answer,
            "a pair of numbers",
            "Write it like `answer = (0.75, 192)`: the width multiplier first, then the input side.",
        )
    table = grid()
    key = next((k for k in table if math.isclose(k[0], choice[0]) and k[1] == choice[1]), None)
    if key is None:
        widths = sorted({k[0] for k in table})
        sides = sorted({k[1] for k in table})
        return Feedback.wrong(
            f"{choice[0]:g} MobileNet-{choice[1]} is not one of the sixteen published models.",
            f"Widths are {', '.join(f'{w:g}' for w in widths)}; resolutions {', '.join(map(str, sides))}.",
        )
    macs, top1 = mobilenet_macs(*key), table[key]
    name = f"{key[0]:g} MobileNet-{key[1]}"
    if macs > budget:
        return Feedback.wrong(
            f"{name} costs {macs / 1e6:.1f}M MACs: over the {budget / 1e6:g}M budget.",
            "Compute each model's MACs (the lesson's `mobilenet_cost` does it) and drop those above budget.",
        )
    best = best_within_budget(budget)
    if key == best:
        others = {k: t for k, t in table.items() if k != key and mobilenet_macs(*k) <= budget}
        runner = max(others, key=others.get) if others else None
        second = (
            f" The runner-up, {runner[0]:g} MobileNet-{runner[1]}, is "
            f"{top1 - table[runner]:.1f} points behind."
            if runner
            else ""
        )
        return Feedback.correct(
            f"{name}: {macs / 1e6:.1f}M MACs and {top1}% top-1, the best the budget allows.{second}"
        )
    gap = table[best] - top1
    return Feedback.wrong(
        f"{name} fits ({macs / 1e6:.1f}M MACs, {top1}% top-1), but another of the sixteen also fits and is "
        f"{gap:.1f} points more accurate.",
        "Both multipliers cut the cost: try the models that trade the other one.",
    )


__all__ = [
    "BLOCK_CASES",
    "BUDGET_MACS",
    "KINDS",
    "best_within_budget",
    "check_budget_pick",
    "check_off_the_law",
    "check_separable_block",
    "grid",
    "kinds_off_the_law",
    "mobilenet_macs",
]
