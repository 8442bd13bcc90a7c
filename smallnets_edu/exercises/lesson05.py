"""Checkers for lesson 05 (MobileNetV2).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here, each time a checker runs, from
:class:`~smallnets_edu.models.mobilenet_v2.InvertedResidual`, :mod:`smallnets_edu.cost`,
:mod:`smallnets_edu.memory` and :mod:`smallnets_edu.relu_spiral`.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from .. import cost, memory, models, relu_spiral
from ..models.mobilenet_v2 import InvertedResidual
from ._feedback import Feedback, as_number, checker
from .checks import check_function, check_number, unreadable

# Exercise 1: the block, tried on these (in_channels, out_channels, stride, expansion t, input side).
BLOCK_CASES = ((24, 24, 1, 6, 8), (16, 24, 2, 6, 9), (32, 32, 1, 4, 7), (24, 32, 1, 6, 7), (32, 32, 2, 6, 8))
# Exercise 2: the largest tensor streamed MobileNetV2 must hold, at this width and input side.
MEMORY_WIDTH, MEMORY_RESOLUTION, BYTES_PER_VALUE = 1.0, 192, 2
# Exercise 3: the chance that a point of the plane survives ReLU(T x) recoverably, for these n.
PROBABILITY_DIMS = tuple(range(2, 11))
PROBABILITY_SEEDS = 400
PROBABILITY_TOLERANCE = 0.05


# --------------------------------------------------------------------------------------------------
# Exercise 1: an inverted residual block
# --------------------------------------------------------------------------------------------------


def _convs_in_call_order(block: nn.Module, channels: int, side: int) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    handles = [
        m.register_forward_hook(lambda mod, _i, _o: order.append(mod))
        for m in block.modules()
        if isinstance(m, nn.Conv2d)
    ]
    try:
        with torch.no_grad():
            block(torch.zeros(1, channels, side, side))
    finally:
        for h in handles:
            h.remove()
    return order


def _fresh_eval(block: nn.Module) -> nn.Module:
    """A copy in eval mode with BatchNorm at its initial state: in eval, ``BN(z) = z / sqrt(1 + eps)``."""
    block = copy.deepcopy(block).eval()
    for m in block.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_parameters()
    return block


def _block_cases() -> Iterator[tuple[int, int, int, int, int]]:
    """``BLOCK_CASES``, torch seeded first: the learner's block gets the same weights and inputs each run."""
    torch.manual_seed(0)
    yield from BLOCK_CASES


@checker("Exercise 1 (an inverted residual block)")
def check_inverted_residual(make_block: object) -> Feedback:
    """``make_block(in_channels, out_channels, stride, t)`` should return MobileNetV2's block.

    Compared with :class:`~smallnets_edu.models.mobilenet_v2.InvertedResidual` on every case of
    ``BLOCK_CASES``: its layers and their widths, where the stride sits, which layers have an activation
    (and which one), the shortcut, the output shape, parameters and MACs.
    """
    name = getattr(make_block, "__name__", "your block")

    def passed() -> Feedback:
        cin, cout, stride, t, _side = BLOCK_CASES[0]
        ref = cost.profile(InvertedResidual(cin, cout, stride, t), 56, in_channels=cin)
        return Feedback.correct(
            f"Your block matches MobileNetV2's on all {len(BLOCK_CASES)} cases: layers, widths, stride, "
            f"ReLU6 where it belongs, a linear projection and the shortcut. On a 56×56 map the {cin} → "
            f"{t * cin} → {cout} block costs {ref.macs / 1e6:.1f}M MACs."
        )

    return check_function(
        make_block,
        _block_cases(),
        placeholder=Feedback.unanswered(
            "Write the class or function `my_block(in_channels, out_channels, stride, t)` and pass it "
            "to the checker."
        ),
        not_callable=Feedback.wrong(
            f"The checker wants the function (or class) itself, got a {type(make_block).__name__}.",
            "Pass it without calling it: `check_inverted_residual(MyBlock)`.",
        ),
        call=lambda make_block, case: make_block(*case[:4]),
        not_implemented="Your block still raises `NotImplementedError`: replace that line with the layers.",
        not_implemented_hint="Three convolutions: 1x1 to t·in channels, 3x3 depthwise, 1x1 to out channels.",
        describe=lambda case: f"`{name}({case[0]}, {case[1]}, stride={case[2]}, t={case[3]})`",
        returns=(
            nn.Module,
            "a `torch.nn.Module`",
            "Subclass `nn.Module` and write `forward`, so the shortcut can add the input back.",
        ),
        judge=_judge_block,
        passed=passed,
    )


# One branch per hint a learner can get: splitting it would scatter the hints.
def _judge_block(call: str, case: tuple[int, int, int, int, int], block: nn.Module) -> Feedback | None:  # noqa: C901
    """What is wrong with the learner's block for one case (``call`` shows it), or None if it is right."""
    cin, cout, stride, t, side = case
    reference = InvertedResidual(cin, cout, stride, t)
    try:
        block.eval()
        ours = cost.profile(block, side, in_channels=cin)
        with torch.no_grad():
            out = block(torch.randn(2, cin, side, side))
    except Exception as error:
        return Feedback.wrong(
            f"Running {call} on a batch of shape (2, {cin}, {side}, {side}) raised "
            f"{type(error).__name__}: {error}",
            "Check each layer's channels: the depthwise layer keeps the expanded width t·in; the "
            "shortcut only exists when the input and output shapes agree.",
        )
    ref = cost.profile(reference, side, in_channels=cin)
    expected = tuple(ref.layers[-1].output_shape[1:])
    kinds = [row.kind for row in ours.layers if row.macs]
    if kinds.count("conv"):
        return Feedback.wrong(
            f"{call} has a full 3×3 convolution (`groups=1`), where MobileNetV2 filters each channel "
            "on its own.",
            "The 3×3 layer is depthwise: `groups` equal to its channel count.",
        )
    if kinds != ["pointwise", "depthwise", "pointwise"]:
        return Feedback.wrong(
            f"{call} runs these layers: {', '.join(kinds) or 'none'}.",
            "MobileNetV2's block (Table 1) is 1x1 expand → 3x3 depthwise → 1x1 project.",
        )
    convs = _convs_in_call_order(block, cin, side)
    hidden = reference.hidden
    if convs[0].out_channels != hidden:
        if convs[0].out_channels == cout * t:
            hint = "Expand the block's input, not its output: t times the input channels."
        else:
            hint = "The expanded width is t times the input channels."
        return Feedback.wrong(
            f"The first 1×1 convolution of {call} makes {convs[0].out_channels} channels, not "
            f"t × {cin} = {hidden}.",
            hint,
        )
    if tuple(out.shape[1:]) != expected:
        return Feedback.wrong(
            f"{call} turns a ({cin}, {side}, {side}) input into {tuple(out.shape[1:])}, not {expected}.",
            "The stride halves the map; padding 1 keeps a 3×3 filter from shrinking it.",
        )
    if stride == 2 and convs[1].stride != (2, 2):
        return Feedback.wrong(
            f"In {call} the stride is not on the depthwise convolution.",
            "Put the stride on the 3×3 depthwise layer, as in Table 1 of the paper.",
        )
    norms = sum(row.kind == "batchnorm" for row in ours.layers)
    if norms < 3:
        return Feedback.wrong(
            f"{call} has {norms} BatchNorm layer(s); MobileNetV2 follows each of its three "
            "convolutions with BatchNorm.",
            "`nn.BatchNorm2d(channels)` after each convolution, the projection included.",
        )
    if any(type(m) in (nn.ReLU, nn.LeakyReLU, nn.SiLU, nn.Hardswish) for m in block.modules()):
        return Feedback.wrong(
            f"{call} uses another activation than ReLU6.",
            "MobileNetV2 uses `nn.ReLU6()`: it caps values at 6, which keeps activations in a range "
            "8-bit arithmetic can hold (section 3 of the lesson).",
        )
    # What the activations do, measured on a copy whose BatchNorm is the identity (eval mode).
    probe = _fresh_eval(block)
    x = torch.randn(4, cin, side, side)
    with torch.no_grad():
        plain, flipped, big = probe(x), probe(-x), probe(100 * x)
    if torch.allclose(flipped, -plain, atol=1e-4):
        return Feedback.wrong(
            f"{call} is a linear map: it has no activation at all.",
            "ReLU6 after the expansion and after the depthwise layer (only the projection is linear).",
        )
    if torch.allclose(big, 100 * plain, rtol=1e-3, atol=1e-3):
        return Feedback.wrong(
            f"{call} scales exactly with its input, so its activations never saturate: they are "
            "ReLUs, not ReLU6.",
            "`nn.ReLU6()` caps values at 6, which keeps activations in a range 8-bit arithmetic can "
            "hold (section 3 of the lesson).",
        )
    last_conv = max(i for i, row in enumerate(ours.layers) if row.macs)
    after = [row.kind for row in ours.layers[last_conv + 1 :]]
    ends_nonlinear = "activation" in after or (stride == 2 and bool((plain >= 0).all()))
    if ends_nonlinear:
        return Feedback.wrong(
            f"{call} puts an activation after the projection. That is the ReLU in a narrow space "
            "that the paper shows destroys information (section 2: the spiral).",
            "Leave the last 1×1 convolution linear: BatchNorm, then nothing.",
        )
    # The shortcut: with the projection's weights zeroed, the block returns x (shortcut) or 0.
    zeroed = _fresh_eval(block)
    last = _convs_in_call_order(zeroed, cin, side)[-1]
    with torch.no_grad():
        last.weight.zero_()
        if last.bias is not None:
            last.bias.zero_()
        rest = zeroed(x)
    shortcut = reference.use_residual
    has_shortcut = torch.allclose(rest, x, atol=1e-5) if rest.shape == x.shape else False
    if shortcut and not has_shortcut:
        return Feedback.wrong(
            f"{call} keeps the shape (stride 1, {cin} → {cout} channels) but does not add its input back.",
            "When stride is 1 and the channels agree, return `x + out`.",
        )
    if any(c.bias is not None for c in convs):
        return Feedback.wrong(
            f"The convolutions of {call} have biases; BatchNorm right after each makes them useless.",
            "Create the convolutions with `bias=False`.",
        )
    if ours.params != ref.params or ours.macs != ref.macs:
        return Feedback.wrong(
            f"{call} has {ours.params:,} parameters and {ours.macs:,} MACs; MobileNetV2's block has "
            f"{ref.params:,} and {ref.macs:,}.",
            "Compare each layer's input and output channels with Table 1 of the paper.",
        )
    return None


# --------------------------------------------------------------------------------------------------
# Exercise 2: the memory streamed inference needs
# --------------------------------------------------------------------------------------------------


@functools.cache
def _records(width: float, resolution: int) -> tuple[memory.Tensor, ...]:
    with torch.device("meta"):
        model = models.build("mobilenet_v2", width_mult=width)
    return tuple(memory.tensors(model, resolution))


def streamed_peak_kb(width: float = MEMORY_WIDTH, resolution: int = MEMORY_RESOLUTION) -> float:
    """Table 3's number for MobileNetV2: the largest materialised tensor, in thousands of bytes."""
    return memory.kb(memory.peak(list(_records(width, resolution)), streamed=True).bytes(BYTES_PER_VALUE))


@checker(
    "Exercise 2 (memory for streamed inference)",
    placeholder=(
        "Write a number of kilobytes, e.g. `answer = 123.4`.",
        "Which tensors must exist whole when the expanded ones are computed in slices?",
    ),
)
def check_streamed_memory(answer: object) -> Feedback:
    """``answer``: kilobytes (thousands of bytes) of the largest tensor, as a number."""
    width, res = MEMORY_WIDTH, MEMORY_RESOLUTION
    records = list(_records(width, res))
    truth = streamed_peak_kb(width, res)
    top = memory.peak(records, streamed=True)
    naive = memory.peak(records, streamed=False)
    naive_kb = memory.kb(naive.bytes(BYTES_PER_VALUE))
    stem = next(t for t in records if t.name.endswith("conv1"))
    image = records[0]
    at_224 = memory.kb(memory.peak(list(_records(width, 224)), streamed=True).bytes(BYTES_PER_VALUE))
    twice = "That is twice the answer: it looks like 4 bytes per value (32-bit floats)."
    twice_hint = (
        "Table 3 assumes 16-bit activations (2 bytes per value), and counts only tensors that must "
        "exist whole."
    )
    return check_number(
        answer,
        truth,
        close=lambda value, other: math.isclose(value, other, rel_tol=0.01),
        finite=False,
        not_a_number=unreadable(answer, "a number", "Write it like `answer = 123.4` (kilobytes)."),
        correct=f"{truth:.1f} KB: {top.channels} channels × {top.height} × {top.width} values × 2 bytes, the "
        f"output of `{top.name}`. Run layer by layer, the same network would hold {naive_kb:,.1f} KB "
        f"for its largest tensor, {naive_kb / truth:.0f} times as much.",
        mistakes=[
            (
                truth * 1000 / 1024,
                "That is the right tensor counted in KiB (units of 1024 bytes).",
                "Table 3's K is a thousand bytes: divide the bytes by 1000.",
            ),
            (
                memory.kb(stem.bytes(BYTES_PER_VALUE)),
                f"{twice} Or it is the first convolution's output ({stem.channels} channels), which feeds "
                "a depthwise layer and so can be produced a few channels at a time.",
                twice_hint,
            ),
            (truth * 2, twice, twice_hint),
            (truth * 2 * 1000 / 1024, twice, twice_hint),
            (truth * 8, "That looks like kilobits.", "Count bytes: 2 per 16-bit value."),
            (
                truth / 2,
                "That is half the answer: it looks like 1 byte per value.",
                "Table 3 assumes 16-bit activations: 2 bytes per value.",
            ),
            (
                naive_kb,
                f"That is the largest tensor of all, the expanded one ({naive.channels} channels). Streamed "
                "inference never holds an expanded tensor whole.",
                "Only the narrow tensors between blocks (and the input image) must exist in full.",
            ),
            (
                memory.kb(image.bytes(BYTES_PER_VALUE)),
                "That is the input image. It must be held, but something else is larger.",
                "Which bottleneck tensor has the most values?",
            ),
            (
                at_224,
                f"That is the number for a 224×224 input; this exercise uses {res}×{res}.",
                "Every map shrinks with the input: follow the strides from the new input side.",
            ),
        ],
        otherwise=lambda value: Feedback.wrong(
            f"{value:,.1f} KB is not it.",
            "Find the largest tensor between two blocks: its channels × height × width × 2 bytes, / 1000.",
        ),
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3: how likely is a point to survive ReLU(T x)?
# --------------------------------------------------------------------------------------------------


@functools.cache
def measured_recoverable(dims: tuple[int, ...] = PROBABILITY_DIMS, seeds: int = PROBABILITY_SEEDS) -> tuple:
    """The share of recoverable points for each ``n``, averaged over ``seeds`` random matrices ``T``."""
    points = relu_spiral.spiral(64)
    return tuple(
        float(np.mean([relu_spiral.round_trip(points, n, s).recoverable_fraction for s in range(seeds)]))
        for n in dims
    )


@checker("Exercise 3 (the chance to survive a ReLU)")
def check_recoverable_probability(p: object) -> Feedback:
    """``p(n)``: the probability that a point stays recoverable after ``ReLU(T x)`` with ``n`` rows."""
    values: list[float] = []

    def judge(shown: str, n: int, value: float | None) -> Feedback | None:
        if value is None or not 0 <= value <= 1:
            return Feedback.wrong(
                f"{shown} returned {value!r}, which is not a probability.",
                "A probability is a number between 0 and 1.",
            )
        values.append(value)
        return None

    return check_function(
        p,
        PROBABILITY_DIMS,
        placeholder=Feedback.unanswered(
            "Write the function `p_recoverable(n)` and pass it to the checker.",
            "Each row is active with probability 1/2; how many active rows does recovery need?",
        ),
        not_callable=Feedback.wrong(
            f"The checker wants a function of n, got a {type(p).__name__}.",
            "Define `def p_recoverable(n): return ...` and pass `p_recoverable`.",
        ),
        call=lambda p, n: as_number(p(n)),
        not_implemented="Your function still raises `NotImplementedError`.",
        describe=lambda n: f"`p({n})`",
        judge=judge,
        passed=lambda: _judge_probabilities(values),
    )


def _judge_probabilities(values: list[float]) -> Feedback:
    """The learner's probabilities for every n of ``PROBABILITY_DIMS``, against the measured shares."""
    measured = measured_recoverable()
    off = [(n, v, m) for n, v, m in zip(PROBABILITY_DIMS, values, measured, strict=True)]
    worst = max(off, key=lambda item: abs(item[1] - item[2]))
    if abs(worst[1] - worst[2]) <= PROBABILITY_TOLERANCE:
        return Feedback.correct(
            f"Your formula agrees with the measured share for every n from {PROBABILITY_DIMS[0]} to "
            f"{PROBABILITY_DIMS[-1]} (largest gap {abs(worst[1] - worst[2]):.3f}, over "
            f"{PROBABILITY_SEEDS} random matrices). With n = 2 only {values[0]:.0%} of the plane survives; "
            f"by n = {PROBABILITY_DIMS[-1]} the loss is {1 - values[-1]:.1%}."
        )
    n, v, m = worst
    if v > m:
        return Feedback.wrong(
            f"For n = {n} your formula gives {v:.3f}, but {m:.3f} of the points are measured recoverable: "
            "too optimistic.",
            "A point is lost not only when no coordinate survives: with one surviving coordinate the "
            "ReLU squashes it onto a line.",
        )
    return Feedback.wrong(
        f"For n = {n} your formula gives {v:.3f}, but {m:.3f} of the points are measured recoverable: "
        "too pessimistic.",
        "Two active rows (of random directions) already span the plane; count the cases with fewer.",
    )


__all__ = [
    "BLOCK_CASES",
    "MEMORY_RESOLUTION",
    "MEMORY_WIDTH",
    "PROBABILITY_DIMS",
    "check_inverted_residual",
    "check_recoverable_probability",
    "check_streamed_memory",
    "measured_recoverable",
    "streamed_peak_kb",
]
