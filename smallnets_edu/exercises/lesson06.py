"""Checkers for lesson 06 (EffNet).

Each exercise's inputs are module constants, so the lesson, the checker and the tests agree; the right
answers are computed here, each time a checker runs, from the package and from PyTorch: the rank of a
kernel from ``torch.linalg`` (exercise 1), a profile of the package's
:class:`~smallnets_edu.models.effnet.EffNetBlock` (exercise 2) and profiles of the EffNet paper's small
network built with each block type (exercise 3).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch

from .. import cost, models
from ..models import effnet
from ._feedback import Feedback, as_number, checker
from .checks import check_count_function, check_function

# --------------------------------------------------------------------------------------------------
# Exercise 1: factor a 3x3 kernel into a column and a row
# --------------------------------------------------------------------------------------------------


def _outer(column: list[float], row: list[float]) -> torch.Tensor:
    return torch.outer(torch.tensor(column, dtype=torch.float64), torch.tensor(row, dtype=torch.float64))


def _random(seed: int, rank_one: bool) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if rank_one:
        column = torch.randn(3, generator=g, dtype=torch.float64)
        return torch.outer(column, torch.randn(3, generator=g, dtype=torch.float64))
    return torch.randn(3, 3, generator=g, dtype=torch.float64)


def kernels() -> dict[str, torch.Tensor]:
    """The 3x3 kernels exercise 1 tries a learner's ``factor`` on (float64)."""
    return {
        "box blur": torch.full((3, 3), 1 / 9, dtype=torch.float64),
        "Gaussian blur": _outer([1, 2, 1], [1, 2, 1]) / 16,
        "Sobel (vertical edges)": _outer([1, 2, 1], [-1, 0, 1]),
        "Sobel (horizontal edges)": _outer([-1, 0, 1], [1, 2, 1]),
        "Laplacian": torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float64),
        "sharpen": torch.tensor([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=torch.float64),
        "diagonal edge": torch.tensor([[0, 1, 1], [-1, 0, 1], [-1, -1, 0]], dtype=torch.float64),
        "zero top row": _outer([0, 1, -2], [0, 3, 1]),
        "random rank one": _random(6, rank_one=True),
        "random": _random(6, rank_one=False),
    }


def is_rank_one(kernel: torch.Tensor) -> bool:
    """Whether ``kernel`` is an outer product (rank 1), from its singular values."""
    return int(torch.linalg.matrix_rank(kernel, rtol=1e-9)) == 1


def _as_vector(value: object) -> torch.Tensor | None:
    try:
        v = torch.as_tensor(
            value if not isinstance(value, torch.Tensor) else value.detach(), dtype=torch.float64
        )
    except (TypeError, ValueError, RuntimeError):
        return None
    v = v.flatten()
    return v if v.numel() == 3 else None


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.allclose(a, b, rtol=1e-6, atol=1e-6 * max(1.0, float(b.abs().max()))))


@checker("Exercise 1 (which kernels split into a row and a column)")
def check_factor(fn: Callable[[torch.Tensor], object] | None) -> Feedback:
    """``fn(kernel)``: ``(column, row)`` with ``torch.outer(column, row) == kernel``, else None."""

    def passed() -> Feedback:
        count = sum(is_rank_one(k) for k in kernels().values())
        return Feedback.correct(
            f"Your function factors the {count} rank-one kernels exactly and refuses the "
            f"{len(kernels()) - count} others. Blurs and Sobel filters split into a 1x3 and a 3x1; the "
            "Laplacian, sharpening and diagonal kernels do not, and neither does a random kernel."
        )

    return check_function(
        fn,
        kernels().items(),
        usage="check_factor(factor)",
        call=lambda fn, item: fn(item[1].clone()),
        not_implemented_hint="`torch.linalg.svd` splits any matrix into a sum of outer products, largest "
        "first.",
        describe=lambda item: f"the {item[0]} kernel",
        raised="Your function raised {error_type} on {case}: {error}",
        raised_hint="Some kernels have zeros where you might divide; singular vectors never fail.",
        judge=lambda shown, item, answer: _judge_factor(*item, answer),
        passed=passed,
    )


def _judge_factor(name: str, kernel: torch.Tensor, answer: object) -> Feedback | None:
    """What is wrong with the learner's factors of one kernel, or None if they are right."""
    rank_one = is_rank_one(kernel)
    if answer is None:
        if rank_one:
            return Feedback.wrong(
                f"You returned None for the {name} kernel, but it is an outer product of a column and a row.",
                "Look at its singular values: how many are not zero?",
            )
        return None
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return Feedback.wrong(
            f"On the {name} kernel your function returned {type(answer).__name__}, not a pair.",
            "Return `(column, row)`, two sequences of 3 numbers, or None.",
        )
    column, row = _as_vector(answer[0]), _as_vector(answer[1])
    if column is None or row is None:
        return Feedback.wrong(
            f"On the {name} kernel the column or the row is not 3 numbers.",
            "Return `(column, row)` with 3 numbers in each (a tensor, an array or a list).",
        )
    rebuilt = torch.outer(column, row)
    if not rank_one:
        error = float(torch.linalg.matrix_norm(rebuilt - kernel) / torch.linalg.matrix_norm(kernel))
        return Feedback.wrong(
            f"You factored the {name} kernel, but no column and row can: your pair rebuilds a kernel "
            f"that is {error:.0%} off (relative Frobenius error).",
            "A column times a row has rank 1. Check the second singular value before you factor.",
        )
    if _close(rebuilt, kernel):
        return None
    if _close(rebuilt.T, kernel):
        return Feedback.wrong(
            f"On the {name} kernel your pair gives the transposed kernel.",
            "`torch.outer(column, row)[i, j]` is `column[i] * row[j]`: the column runs down the "
            "rows of the kernel, the row along its columns.",
        )
    return Feedback.wrong(
        f"On the {name} kernel `torch.outer(column, row)` does not give the kernel back.",
        "The first singular value has to go somewhere: into the column, the row, or split between them.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2: the cost of an EffNet block
# --------------------------------------------------------------------------------------------------

# (in_channels, out_channels, size, depth_multiplier): the blocks of the cifar network, and two others.
BLOCK_CASES = ((3, 64, 32, 2), (64, 128, 16, 2), (128, 256, 8, 1), (32, 48, 12, 1), (16, 40, 20, 2))


@functools.cache
def block_cost(in_channels: int, out_channels: int, size: int, depth_multiplier: int) -> int:
    """MACs of the package's ``EffNetBlock`` on a ``size`` x ``size`` input."""
    with torch.device("meta"):  # shapes only: counting needs no weights
        block = effnet.EffNetBlock(in_channels, out_channels, depth_multiplier)
    return cost.profile(block, size, in_channels=in_channels).macs


def block_formula(
    c_in: int,
    c_out: int,
    size: int,
    dm: int,
    *,
    bottleneck: int | None = None,
    pooled: bool = True,
    reduce_kernel: tuple[int, int] = (1, 2),
    strided: bool = True,
    depthwise: bool = True,
) -> int:
    """The block's MACs from the cost formulas; the keyword arguments model a typical slip each."""
    b = c_out // effnet.BOTTLENECK_FACTOR if bottleneck is None else bottleneck
    w = b * dm
    rows = size // 2 if pooled else size
    cols = size // 2 if strided else size
    total = cost.conv_macs(c_in, b, 1, size, size)
    total += cost.conv_macs(b, w, (1, 3), size, size, groups=b if depthwise else 1)
    total += cost.conv_macs(w, w, (3, 1), rows, size, groups=w if depthwise else 1)
    return total + cost.conv_macs(w, c_out, reduce_kernel, size // 2, cols)


def _block_mistakes(c_in: int, c_out: int, size: int, dm: int) -> list[tuple[int | None, str, str]]:
    """(what a typical slip gives, what it looks like, a hint); None where a slip does not apply."""
    truth = block_formula(c_in, c_out, size, dm)
    return [
        (
            block_formula(c_in, c_out, size, dm, pooled=False),
            "Your 3x1 convolution runs on the full height: the max-pool before it halves the rows.",
            "The 2x1 max-pool comes between the 1x3 and the 3x1 convolutions.",
        ),
        (
            block_formula(c_in, c_out, size, dm, reduce_kernel=(1, 1)),
            "Your last layer looks like a 1x1 convolution.",
            "The last layer is a 1x2 convolution (two taps along the width) with stride 2.",
        ),
        (
            block_formula(c_in, c_out, size, dm, strided=False),
            "Your last layer keeps the full width, but it has stride 2 along the width.",
            "After it the map is half as high (pool) and half as wide (stride): size/2 x size/2.",
        ),
        (
            block_formula(c_in, c_out, size, 1) if dm != 1 else None,
            "Your count ignores the depth multiplier.",
            "With depth multiplier d, the 1x3 layer gives every bottleneck channel d filters: d times "
            "as many channels from there on.",
        ),
        (
            block_formula(c_in, c_out, size, dm, depthwise=False),
            "Your 1x3 and 3x1 layers look like full convolutions.",
            "Both are depthwise: each output channel reads one input channel.",
        ),
        (
            2 * truth,
            "It looks like you counted a multiplication and an addition separately (FLOPs).",
            "The papers and this course count multiply-accumulates: one per multiplication.",
        ),
        (
            block_formula(c_in, c_out, size, dm, bottleneck=c_out),
            "Your bottleneck looks as wide as the block's output.",
            "EffNet's bottleneck is half of the output channels (bottleneck factor 2).",
        ),
        (
            block_formula(c_in, c_out, size, dm, bottleneck=c_in // 2) if c_in % 2 == 0 else None,
            "Your bottleneck looks like half of the *input* channels.",
            "EffNet's bottleneck is half of the block's *output* channels.",
        ),
    ]


def _block_text(case: tuple[int, int, int, int]) -> str:
    return f"`effnet_block_macs{case}`"


@checker("Exercise 2 (cost of an EffNet block)")
def check_block_macs(fn: Callable[[int, int, int, int], object] | None) -> Feedback:
    """``fn(in_channels, out_channels, size, depth_multiplier)``: MACs of an EffNet block."""
    return check_count_function(
        fn,
        BLOCK_CASES,
        truth=block_cost,
        mistakes=_block_mistakes,
        usage="check_block_macs(effnet_block_macs)",
        describe=_block_text,
        not_implemented_hint="Four layers cost something: a 1x1, a depthwise 1x3, a depthwise 3x1 and a 1x2 "
        "convolution.",
        raised_hint="Compute with the four arguments only; the bottleneck is `out_channels // 2`.",
        return_hint="Return the count, e.g. `return first + second + third + fourth`.",
        far_hint="Follow a tensor through the block and write down its channels and map size after each "
        "layer.",
        passed=lambda: Feedback.correct(
            f"Your function matches the profile of the package's `EffNetBlock` on all {len(BLOCK_CASES)} "
            "blocks. Look at which term is largest: in the network's blocks it is the 1x2 convolution, the "
            "only layer that mixes all the wide channels."
        ),
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3: how wide must the MobileNet-block network be to cost as much as EffNet's?
# --------------------------------------------------------------------------------------------------

EQUAL_COST = {"block": "mobilenet", "target_depth_multiplier": 2, "resolution": 32, "step": 0.25}


@functools.cache
def network_macs(
    block: str, width_mult: float, depth_multiplier: int | None = None, resolution: int = 32
) -> int:
    """MACs of the EffNet paper's cifar network built with ``block`` blocks (10 classes)."""
    options = {"block": block}
    if depth_multiplier is not None:
        options["depth_multiplier"] = depth_multiplier
    with torch.device("meta"):
        net = models.build("effnet", num_classes=10, variant="cifar", width_mult=width_mult, **options)
    return cost.profile(net, resolution).macs


def target_macs(depth_multiplier: int | None = None) -> int:
    """What the EffNet-block network costs at width 1.0 (the exercise's target)."""
    q = EQUAL_COST
    dm = q["target_depth_multiplier"] if depth_multiplier is None else depth_multiplier
    return network_macs("effnet", 1.0, dm, q["resolution"])


def narrowest_matching_width(block: str | None = None, depth_multiplier: int | None = None) -> float:
    """The smallest multiple of the step at which ``block``'s network costs at least the target."""
    q = EQUAL_COST
    block = q["block"] if block is None else block
    target, k = target_macs(depth_multiplier), 1
    while network_macs(block, k * q["step"], None, q["resolution"]) < target:
        k += 1
        if k > 100:
            raise ValueError("no width up to 25x matches the target")
    return k * q["step"]


@checker(
    "Exercise 3 (a MobileNet as expensive as EffNet)",
    placeholder=(
        "Replace `None` with a width multiplier, like `1.5`.",
        'Build the network with `block="mobilenet"` at a few widths and profile it at 32x32.',
    ),
)
def check_matching_width(answer: object) -> Feedback:
    """``answer``: the smallest width multiplier (multiple of 0.25) matching the EffNet network's MACs."""
    q = EQUAL_COST
    step = q["step"]
    value = as_number(answer)
    if value is None or not math.isfinite(value) or value <= 0:
        return Feedback.wrong(
            f"{answer!r} is not a width multiplier: a number greater than 0.",
            "Write it like `matching_width = 1.5`.",
        )
    if abs(value / step - round(value / step)) > 1e-9:
        return Feedback.wrong(
            f"{value:g} is not a multiple of {step:g}.",
            f"The exercise asks for the answer in steps of {step:g}: 0.25, 0.5, 0.75, ...",
        )
    width = round(value / step) * step
    target = target_macs()
    macs = network_macs(q["block"], width, None, q["resolution"])
    best = narrowest_matching_width()
    if width == best:
        return Feedback.correct(
            f"At width {width:g} the MobileNet-block network costs {macs:,} MACs, against {target:,} for the "
            f"EffNet network; at {width - step:g} it would still be cheaper. The EffNet network spends as "
            f"much as a MobileNet-block network {width:g} times as wide: compare them at equal cost "
            "before you compare their accuracy."
        )
    if macs < target:
        other = narrowest_matching_width(depth_multiplier=1)
        if width == other:
            return Feedback.wrong(
                f"At width {width:g} the MobileNet-block network matches the EffNet network with depth "
                f"multiplier 1 (the Keras port), not the paper's.",
                "The target is the package's default EffNet network: depth multiplier 2.",
            )
        return Feedback.wrong(
            f"At width {width:g} the MobileNet-block network costs {macs:,} MACs, "
            f"{100 * (1 - macs / target):.0f}% short of the EffNet network's {target:,}.",
            "Go wider: a network of 1x1-dominated blocks costs roughly the square of its width.",
        )
    return Feedback.wrong(
        f"At width {width:g} the MobileNet-block network costs {macs:,} MACs, at least the target of "
        f"{target:,}, but a narrower multiple of {step:g} does too.",
        "The exercise asks for the smallest width that reaches the target.",
    )


__all__ = [
    "BLOCK_CASES",
    "EQUAL_COST",
    "block_cost",
    "block_formula",
    "check_block_macs",
    "check_factor",
    "check_matching_width",
    "is_rank_one",
    "kernels",
    "narrowest_matching_width",
    "network_macs",
    "target_macs",
]
