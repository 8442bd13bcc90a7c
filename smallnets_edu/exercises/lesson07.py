"""Checkers for lesson 07 (FD-MobileNet).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here, each time a checker runs, from the MobileNet and FD-MobileNet builders,
:mod:`smallnets_edu.blocks` and :mod:`smallnets_edu.cost`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import torch
from torch import nn

from .. import blocks, cost, models, paper_figures
from ..models import fd_mobilenet, mobilenet_v1
from ._feedback import Feedback, as_number, checker
from .checks import first_mistake, unreadable

# Exercise 1: MobileNet's blocks with strides of the learner's choice, at this input side.
RESOLUTION = 224
FINAL_SIDE = 7  # 32x downsampling of a 224x224 image
WITHIN_LAYERS = 12  # FD-MobileNet reaches 7x7 at its 12th layer (stem, then depthwise and pointwise)
# Exercise 2: share of FD-MobileNet's MACs at this output side, at this width.
STEM_WIDTH = 0.25
STEM_SIDE = 112
SHARE_TOLERANCE = 0.0025  # a quarter of a percentage point
# Exercise 3: the resolution (a multiple of STEP) at which 1.0 MobileNet costs what FD-MobileNet 1x does.
STEP = 16
SIDES = tuple(range(32, 225, STEP))


def _meta(name: str, width_mult: float = 1.0) -> nn.Module:
    with torch.device("meta"):
        return models.build(name, width_mult=width_mult)


@functools.cache
def _profile(name: str, width_mult: float = 1.0, resolution: int = RESOLUTION) -> cost.Profile:
    return cost.profile(_meta(name, width_mult), resolution)


def _computing(profile: cost.Profile) -> list[cost.LayerCost]:
    """Convolutions and the classifier, in the order they run."""
    return [row for row in profile.layers if row.macs]


def _side(row: cost.LayerCost) -> int:
    return row.output_shape[-1] if len(row.output_shape) == 4 else 1


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def build_with_strides(strides: Iterable[int], num_classes: int = 1000) -> nn.Module:
    """MobileNet (stride-2 stem, its blocks' channels, pool and classifier) with these block strides.

    Built on the meta device: shapes only, enough to count.
    """
    with torch.device("meta"):
        stem = mobilenet_v1.STEM_CHANNELS
        layers = [blocks.ConvBNAct(3, stem, 3, 2)]
        channels = stem
        for (out, _), stride in zip(mobilenet_v1.BLOCKS, strides, strict=True):
            layers.append(blocks.DepthwiseSeparable(channels, out, stride))
            channels = out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(channels, num_classes)]
        return nn.Sequential(*layers)


@functools.cache
def _strides_profile(strides: tuple[int, ...]) -> cost.Profile:
    return cost.profile(build_with_strides(strides), RESOLUTION)


def layer_sides(strides: Iterable[int]) -> list[int]:
    """Output side of every convolution (stem, then depthwise and pointwise) for a 224x224 image."""
    return [_side(row) for row in _computing(_strides_profile(tuple(strides))) if row.kind != "linear"]


def _as_strides(answer: object) -> list[int] | None:
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return None
    values = [as_number(item) for item in answer]
    if any(v is None or not float(v).is_integer() for v in values):
        return None
    return [int(v) for v in values]


@checker(
    "Exercise 1 (make MobileNet fast)",
    placeholder=(
        f"Write a list of {len(mobilenet_v1.BLOCKS)} strides, one per block, "
        "e.g. `my_strides = [1, 2, 1, ...]`.",
        "Each stride-2 layer halves the map; the first convolution already halves 224 to 112.",
    ),
)
def check_fast_strides(answer: object) -> Feedback:
    """``answer``: the thirteen block strides (1 or 2) of a MobileNet that reaches 7x7 within 12 layers."""
    n = len(mobilenet_v1.BLOCKS)
    strides = _as_strides(answer)
    if strides is None:
        return unreadable(
            answer,
            "a list of whole numbers",
            f"Write {n} strides, each 1 or 2, in a list: `[2, 1, ...]`.",
        )
    if len(strides) != n:
        hint = (
            "FD-MobileNet has 11 blocks, but this exercise keeps all of MobileNet's."
            if len(strides) == len(fd_mobilenet.BLOCKS)
            else "One stride per block of `mobilenet_v1.BLOCKS`."
        )
        return Feedback.wrong(f"You gave {len(strides)} strides; MobileNet has {n} blocks.", hint)
    if any(s not in (1, 2) for s in strides):
        odd = sorted({s for s in strides if s not in (1, 2)})
        return Feedback.wrong(
            f"Strides must be 1 or 2; your list has {', '.join(map(str, odd))}.",
            "A stride of 2 halves the map; MobileNet and FD-MobileNet use no other.",
        )
    sides = layer_sides(strides)
    final = sides[-1]
    halvings = strides.count(2)
    needed = round(math.log2(RESOLUTION // 2 // FINAL_SIDE))
    if final != FINAL_SIDE:
        more_or_fewer = "more" if final > FINAL_SIDE else "fewer"
        return Feedback.wrong(
            f"Your network ends on {final}x{final} maps, not {FINAL_SIDE}x{FINAL_SIDE}: its blocks halve the "
            f"map {halvings} times after the first convolution.",
            f"From 112x112 to {FINAL_SIDE}x{FINAL_SIDE} takes a fixed number of halvings; you need "
            f"{more_or_fewer} stride-2 blocks.",
        )
    reached = sides.index(FINAL_SIDE) + 1
    if reached > WITHIN_LAYERS:
        return Feedback.wrong(
            f"Your network ends on {FINAL_SIDE}x{FINAL_SIDE}, but only at layer {reached}: the "
            f"{needed} halvings after the first convolution come too late.",
            "Block k's depthwise layer is layer 2k (the first convolution is layer 1): where must the last "
            "stride-2 block be?",
        )
    macs = _strides_profile(tuple(strides)).macs
    mobilenet = _profile("mobilenet_v1").macs
    fd = _profile("fd_mobilenet").macs
    return Feedback.correct(
        f"Your network reaches {FINAL_SIDE}x{FINAL_SIDE} at layer {reached} and costs {macs / 1e6:.1f}M MACs "
        f"at 224x224: {mobilenet / macs:.1f} times less than MobileNet's {mobilenet / 1e6:.1f}M, with the "
        f"same weights. FD-MobileNet also drops two of the widest blocks and costs {fd / 1e6:.1f}M."
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def stage_share(name: str, width_mult: float, side: int = STEM_SIDE) -> float:
    """Share of a network's MACs (at 224x224) spent in layers whose output is ``side`` x ``side``."""
    profile = _profile(name, width_mult)
    return sum(row.macs for row in _computing(profile) if _side(row) == side) / profile.macs


@checker(
    "Exercise 2 (the stem at small widths)",
    placeholder=(
        "Write the share as a number, e.g. `answer = 0.1` (or `answer = 10` for 10%).",
        f"Group FD-MobileNet {STEM_WIDTH:g}x's layers by output side; divide the {STEM_SIDE}x{STEM_SIDE} "
        "ones' MACs by the total.",
    ),
)
def check_stem_share(answer: object) -> Feedback:
    """``answer``: the share of FD-MobileNet 0.25x's MACs at 112x112, as a fraction or a percentage."""
    w, s = STEM_WIDTH, STEM_SIDE
    value = as_number(answer)
    if value is None:
        return unreadable(answer, "a number", "Write it like `answer = 0.1`.")
    if value > 100:
        return Feedback.wrong(
            f"{value:,.0f} looks like a count of MACs, not a share.",
            "Divide it by the network's total MACs.",
        )
    note = ""
    if value > 1:
        value, note = value / 100, f" (your {value:g} read as a percentage)"
    truth = stage_share("fd_mobilenet", w)
    close = lambda x, y: abs(x - y) <= SHARE_TOLERANCE
    if close(value, truth):
        full = stage_share("fd_mobilenet", 1.0)
        return Feedback.correct(
            f"{truth:.1%} of FD-MobileNet {w:g}x's MACs{note}, against {full:.1%} at 1x. The first "
            "convolution has 3 input channels whatever the width, so it shrinks with α, not α²: at small "
            "widths the stem becomes a large part of a small network."
        )
    layers = _computing(_profile("fd_mobilenet", w))
    mistake = first_mistake(
        value,
        [
            (
                stage_share("fd_mobilenet", 1.0),
                f"That is the share of FD-MobileNet 1x{note}, not {w:g}x.",
                "Build (or profile) the network at the width the exercise asks for.",
            ),
            (
                stage_share("mobilenet_v1", w),
                f"That is MobileNet {w:g}'s share{note}: it has three layers at {s}x{s}.",
                "Profile `fd_mobilenet`, not `mobilenet_v1`.",
            ),
            (
                sum(_side(r) == s for r in layers) / len(layers),
                f"That is the share of *layers* at {s}x{s}{note}, not of MACs.",
                "Add up the MACs of those layers, not their number.",
            ),
            *(
                (
                    stage_share("fd_mobilenet", w, side),
                    f"That is the share at {side}x{side}{note}, not at {s}x{s}.",
                    f"Which layers have a {s}x{s} output? Look at each row's output shape.",
                )
                for side in (56, 28, 14, 7)
            ),
        ],
        close,
    )
    if mistake is not None:
        return mistake
    higher = "higher" if value < truth else "lower"
    return Feedback.wrong(
        f"{value:.1%}{note} is off by more than rounding: the share is {higher}.",
        "Use the profile's rows with MACs (convolutions and the classifier) and group them by output side.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def mobilenet_macs_at(resolution: int) -> int:
    return _profile("mobilenet_v1", 1.0, resolution).macs


def equal_resolution() -> int:
    """The multiple of ``STEP`` at which 1.0 MobileNet's MACs come closest to FD-MobileNet 1x's at 224."""
    target = _profile("fd_mobilenet").macs
    return min(SIDES, key=lambda r: abs(math.log(mobilenet_macs_at(r) / target)))


@checker(
    "Exercise 3 (equal cost by resolution)",
    placeholder=(
        "Write an input side in pixels, e.g. `answer = 160`.",
        "A network's MACs scale with the area of its input.",
    ),
)
def check_equal_resolution(answer: object) -> Feedback:
    """``answer``: an input side in pixels, a multiple of ``STEP``."""
    value = as_number(answer)
    if value is None:
        return unreadable(answer, "a number", "Write it like `answer = 160`.")
    if 0 < value <= 1:
        return Feedback.wrong(
            f"{value:g} looks like a resolution multiplier ρ; the exercise asks for the side in pixels.",
            "Multiply by 224.",
        )
    if not float(value).is_integer() or int(value) % STEP:
        return Feedback.wrong(
            f"{value:g} is not a multiple of {STEP}.",
            f"Try the multiples of {STEP} around your estimate and count each one's MACs.",
        )
    r = int(value)
    if r not in SIDES:
        return Feedback.wrong(
            f"{r} pixels is outside the range that makes sense here ({SIDES[0]} to {SIDES[-1]}).",
            "FD-MobileNet 1x costs much less than MobileNet at 224: the side you want is smaller than 224.",
        )
    target = _profile("fd_mobilenet").macs
    macs = mobilenet_macs_at(r)
    truth = equal_resolution()
    if r == truth:
        sides = sorted(
            {_side(row) for row in _computing(_profile("mobilenet_v1", 1.0, r))} - {1}, reverse=True
        )
        slim = {
            e["resolution"]: e["top1"]
            for e in paper_figures.figures("mobilenet_v1")
            if e["source"] == "TF-slim mobilenet_v1 table" and e["width_mult"] == 1.0
        }
        nearest = min(slim, key=lambda side: abs(side - r))
        fd_top1 = paper_figures.lookup("fd_mobilenet", 1.0, RESOLUTION)["top1"]
        maps = ", ".join(map(str, sides))
        nearest_macs = mobilenet_macs_at(nearest) / 1e6
        return Feedback.correct(
            f"1.0 MobileNet-{r} costs {macs / 1e6:.1f}M MACs, FD-MobileNet 1x {target / 1e6:.1f}M "
            f"({macs / target - 1:+.1%}). It is the same trade made before the network: MobileNet-{r} runs "
            f"all its channels on maps of {maps}, where FD-MobileNet keeps one layer on the full "
            f"{RESOLUTION}x{RESOLUTION} image. TF-slim publishes no 1.0 MobileNet-{r}; its nearest, "
            f"1.0 MobileNet-{nearest} ({nearest_macs:.0f}M MACs), reaches {slim[nearest]}%, "
            f"FD-MobileNet 1x {fd_top1}%."
        )
    direction = "too much" if macs > target else "too little"
    return Feedback.wrong(
        f"1.0 MobileNet-{r} costs {macs / 1e6:.1f}M MACs, {direction} next to FD-MobileNet 1x's "
        f"{target / 1e6:.1f}M, and another multiple of {STEP} comes closer.",
        "MACs grow with the square of the side: estimate the side from the ratio of the costs, then check.",
    )


__all__ = [
    "SIDES",
    "STEM_SIDE",
    "STEM_WIDTH",
    "build_with_strides",
    "check_equal_resolution",
    "check_fast_strides",
    "check_stem_share",
    "equal_resolution",
    "layer_sides",
    "mobilenet_macs_at",
    "stage_share",
]
