"""Checkers for lesson 02 (SqueezeNet and Deep Compression).

Each exercise's numbers are module constants, so the lesson, the checker and the tests agree; the right
answers are computed here from :mod:`smallnets_edu.models.squeezenet`, :mod:`smallnets_edu.cost` and
:mod:`smallnets_edu.compression` each time a checker runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import torch
from torch import nn

from .. import compression, cost
from ..models import squeezenet
from ._feedback import Feedback, checker
from .checks import check_count, check_function, first_mistake

# Exercise 1: the parameters of one Fire module (fire5 at SR = 0.25).
FIRE = {"in_channels": 256, "squeeze": 64, "expand1x1": 128, "expand3x3": 128}
# Exercise 2: the learner's Fire module is tried on these (in_channels, squeeze, expand1x1, expand3x3),
# all four numbers different so every convolution is recognised by its shape.
FIRE_CASES = ((24, 6, 10, 14), (12, 5, 9, 3), (40, 8, 16, 20))
# Exercise 3: relative indices, tried on these (positions, index_bits): the examples of the exercise,
# the edge cases (empty, a gap of exactly the filler, a weight at position 0), then random ones.
_rng = np.random.default_rng(2)
INDEX_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((2, 3), 3),
    ((20,), 3),
    ((0, 1, 2, 5), 2),
    ((), 4),
    ((7, 15), 3),
    ((0, 40, 41, 300), 4),
    *(
        (tuple(int(p) for p in np.sort(_rng.choice(400, size=60, replace=False))), bits)
        for bits in (1, 2, 3, 5, 8)
    ),
)


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def fire_params() -> int:
    """Weights + biases of the ``FIRE`` module, counted on the package's Fire."""
    q = FIRE
    return cost.count_params(squeezenet.Fire(q["in_channels"], q["squeeze"], q["expand1x1"], q["expand3x3"]))


@checker(
    "Exercise 1 (Fire module parameters)",
    placeholder=(
        "Replace `None` with the number of parameters (you may compute it in Python).",
        "A Fire module is three convolutions: add up their weights and their biases.",
    ),
)
def check_fire_params(answer: object) -> Feedback:
    """``answer``: the parameters (weights and biases) of the ``FIRE`` module."""
    q = FIRE
    m, s, e1, e3 = q["in_channels"], q["squeeze"], q["expand1x1"], q["expand3x3"]
    truth = fire_params()
    biases = s + e1 + e3
    return check_count(
        answer,
        truth,
        correct=f"{truth:,} parameters, {biases} of them biases. The 3×3 expand filters hold "
        f"{9 * s * e3 / truth:.0%} of them although they are half of the expand filters: squeezing their "
        f"input to {s} channels (instead of {m}) is what keeps them affordable. A plain 3×3 convolution "
        f"from {m} to {e1 + e3} channels would need {cost.conv_params(m, e1 + e3, 3) / truth:.1f}× more.",
        mistakes=[
            (
                truth - biases,
                "That counts the weights but not the biases.",
                "SqueezeNet 1.0 has no BatchNorm, so every convolution has a bias: one per filter.",
            ),
            (
                m * s + s * e1 + s * e3 + biases,
                "The 3×3 filters seem to be counted like 1×1 filters.",
                "A 3×3 filter has 9 weights per input channel.",
            ),
            (
                m * s + s * e1 + s * e3,
                "The 3×3 filters seem to be counted like 1×1 filters, and the biases are missing.",
                "A 3×3 filter has 9 weights per input channel; every filter also has a bias.",
            ),
            (
                m * s + m * e1 + 9 * m * e3 + biases,
                f"Your expand filters read all {m} input channels.",
                "The expand layer reads the squeeze layer's output, not the module's input.",
            ),
            (
                cost.conv_params(m, e1 + e3, 3, bias=True),
                "That is a plain 3×3 convolution with the module's input and output channels.",
                "A Fire module replaces it with a 1×1 squeeze, then 1×1 and 3×3 expand filters.",
            ),
            (
                s * e1 + 9 * s * e3 + e1 + e3,
                "That is the expand layer alone.",
                "Add the squeeze layer: 1×1 filters from the module's input channels.",
            ),
        ],
        not_a_number_hint="Write it like `answer = 123_456` or compute it: `answer = 256 * 64 + ...`.",
        near_hint="The count is a whole number: check the biases (one per filter) and compute it exactly.",
        far_hint="Weights: M·s (squeeze) + s·e1x1 (expand 1×1) + 9·s·e3x3 (expand 3×3); then one bias per "
        "filter.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def _case_name(case: tuple[int, int, int, int]) -> str:
    m, s, e1, e3 = case
    return f"my_fire({m}, {s}, {e1}, {e3})"


def _reference(case: tuple[int, int, int, int], seed: int) -> nn.Module:
    torch.manual_seed(seed)
    fire = squeezenet.Fire(*case)
    with torch.no_grad():  # non-zero biases, so a missing bias shows in the output
        for conv in fire.modules():
            if isinstance(conv, nn.Conv2d):
                conv.bias.uniform_(-0.2, 0.2)
    return fire.eval()


def _convs_by_role(module: nn.Module, case: tuple[int, int, int, int]) -> dict[str, list[nn.Conv2d]]:
    m, s, e1, e3 = case
    shapes = {"squeeze": (s, m, 1, 1), "expand1x1": (e1, s, 1, 1), "expand3x3": (e3, s, 3, 3)}
    found: dict[str, list[nn.Conv2d]] = {role: [] for role in shapes}
    for conv in module.modules():
        if isinstance(conv, nn.Conv2d):
            for role, shape in shapes.items():
                if tuple(conv.weight.shape) == shape:
                    found[role].append(conv)
    return found


def _manual_fire(
    fire: nn.Module, x: torch.Tensor, relu_squeeze: bool = True, relu_out: bool = True, swap: bool = False
) -> torch.Tensor:
    """The reference computation with one thing changed: what typical mistakes compute."""
    convs = [m for m in fire.modules() if isinstance(m, nn.Conv2d)]
    squeeze, e1, e3 = convs
    s = squeeze(x)
    s = torch.relu(s) if relu_squeeze else s
    a, b = e1(s), e3(s)
    if relu_out:
        a, b = torch.relu(a), torch.relu(b)
    return torch.cat([b, a] if swap else [a, b], dim=1)


@checker("Exercise 2 (write the Fire module)")
def check_fire_module(fn: Callable[[int, int, int, int], nn.Module] | None) -> Feedback:
    """``fn(in_channels, squeeze, expand1x1, expand3x3)``: the learner's Fire, against the package's."""
    if isinstance(fn, nn.Module):
        return Feedback.wrong(
            "You passed a module; the checker wants the function that builds one, to try several shapes.",
            "Write `check_fire_module(my_fire)`, without parentheses after the name.",
        )
    return check_function(
        fn,
        FIRE_CASES,
        usage="check_fire_module(my_fire)",
        not_implemented="Your function still raises `NotImplementedError`: replace that line with your "
        "module.",
        not_implemented_hint="Three `nn.Conv2d` layers and a `forward` that concatenates two of their "
        "outputs.",
        describe=_case_name,
        returns=(
            nn.Module,
            "a torch module",
            "Return an instance of your `nn.Module` subclass (or another module).",
        ),
        judge=_judge_fire,
        passed=lambda: Feedback.correct(
            f"Your Fire module matches the package's on all {len(FIRE_CASES)} shapes, weights, biases, ReLUs "
            "and channel order included."
        ),
    )


def _judge_fire(name: str, case: tuple[int, int, int, int], module: nn.Module) -> Feedback | None:
    """What is wrong with the learner's module for one shape, or None if it computes the package's Fire."""
    m, s, e1, e3 = case
    if any(isinstance(layer, nn.modules.batchnorm._BatchNorm) for layer in module.modules()):
        return Feedback.wrong(
            "Your module has BatchNorm; SqueezeNet 1.0 has none.",
            "Every convolution has a bias and a ReLU, nothing else.",
        )
    found = _convs_by_role(module, case)
    for role, kernel, channels in (
        ("squeeze", "1×1", f"{m} → {s}"),
        ("expand1x1", "1×1", f"{s} → {e1}"),
        ("expand3x3", "3×3", f"{s} → {e3}"),
    ):
        if len(found[role]) != 1:
            what = "no" if not found[role] else "more than one"
            hint = (
                "The expand layers read the squeeze layer's output, so their input is the squeeze width."
                if role != "squeeze"
                else "The squeeze layer reads the module's input."
            )
            return Feedback.wrong(f"{name} has {what} {kernel} convolution for {role} ({channels}).", hint)
    convs = {role: convs[0] for role, convs in found.items()}
    if any(conv.bias is None for conv in convs.values()):
        return Feedback.wrong(
            "Some of your convolutions have no bias.",
            "SqueezeNet 1.0 has no BatchNorm, so its convolutions keep their biases (`bias=True`).",
        )
    if any(conv.groups != 1 or conv.stride != (1, 1) or conv.dilation != (1, 1) for conv in convs.values()):
        return Feedback.wrong(
            "One of your convolutions has a stride, groups or dilation.",
            "All three are plain convolutions with stride 1: a Fire module keeps the map size.",
        )
    if convs["expand3x3"].padding not in ((1, 1), "same"):
        return Feedback.wrong(
            f"{name}: the 3×3 convolution has padding {convs['expand3x3'].padding}, so its output map "
            "is smaller than the 1×1 branch's.",
            "Pad the 3×3 convolution by one pixel (`padding=1`) so both branches keep the map size.",
        )
    k = FIRE_CASES.index(case)  # each case has its own weights and input, the same on every run
    reference = _reference(case, seed=k)
    ref_convs = [c for c in reference.modules() if isinstance(c, nn.Conv2d)]
    with torch.no_grad():
        for role, ref in zip(("squeeze", "expand1x1", "expand3x3"), ref_convs, strict=True):
            convs[role].weight.copy_(ref.weight)
            convs[role].bias.copy_(ref.bias)
    module.eval()
    x = torch.randn(2, m, 7, 7, generator=torch.Generator().manual_seed(10 + k))
    try:
        with torch.no_grad():
            y = module(x)
    except Exception as error:
        return Feedback.wrong(
            f"The forward pass of {name} raised {type(error).__name__}: {error}",
            "Both expand layers read the squeeze output, and their outputs (different channel counts) "
            "are joined with `torch.cat([...], dim=1)`, not added.",
        )
    if not isinstance(y, torch.Tensor):
        return Feedback.wrong(
            f"The forward pass returned a {type(y).__name__}, not a tensor.",
            "Concatenate the two expand outputs with `torch.cat([...], dim=1)` and return it.",
        )
    with torch.no_grad():
        expected = reference(x)
    if y.shape[2:] != x.shape[2:]:
        return Feedback.wrong(
            f"{name} turns a 7×7 map into {y.shape[2]}×{y.shape[3]}.",
            "Pad the 3×3 convolution by one pixel (`padding=1`) so both branches keep the map size.",
        )
    if y.shape[1] != e1 + e3:
        return Feedback.wrong(
            f"{name} outputs {y.shape[1]} channels; a Fire module outputs e1x1 + e3x3 = {e1 + e3}.",
            "Concatenate the two expand outputs along the channels (`dim=1`), do not add them.",
        )
    if torch.allclose(y, expected, atol=1e-5):
        return None
    with torch.no_grad():
        mistake = first_mistake(
            y,
            [
                (
                    _manual_fire(reference, x, swap=True),
                    f"{name}: The 3×3 outputs come first in your concatenation.",
                    "The paper (and the package) put the 1×1 expand outputs first.",
                ),
                (
                    _manual_fire(reference, x, relu_squeeze=False),
                    f"{name}: The squeeze output has no ReLU.",
                    "Apply a ReLU after the squeeze convolution too.",
                ),
                (
                    _manual_fire(reference, x, relu_out=False),
                    f"{name}: The expand outputs have no ReLU.",
                    "Each expand convolution is followed by a ReLU, before the concatenation.",
                ),
                (
                    _manual_fire(reference, x, relu_squeeze=False, relu_out=False),
                    f"{name}: Your module has no ReLU.",
                    "Every convolution of a Fire module is followed by a ReLU.",
                ),
            ],
            close=lambda ours, wrong: torch.allclose(ours, wrong, atol=1e-5),
        )
    if mistake is not None:
        return mistake
    return Feedback.wrong(
        f"{name} has the right layers and output shape, but computes something else.",
        "Squeeze, ReLU; then expand 1×1 and expand 3×3 on that, each with a ReLU; then concatenate.",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def _as_int_list(value: object) -> list[int] | None:
    if isinstance(value, torch.Tensor | np.ndarray):
        value = value.tolist()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return None
    items = list(value)
    if not all(isinstance(i, int | np.integer) and not isinstance(i, bool) for i in items):
        return None
    return [int(i) for i in items]


def _case_text(positions: tuple[int, ...], bits: int) -> str:
    shown = (
        list(positions)
        if len(positions) <= 6
        else f"[{positions[0]}, {positions[1]}, ... ({len(positions)} positions)]"
    )
    return f"positions {shown} with {bits}-bit indices"


@checker("Exercise 3 (relative indices)")
def check_relative_indices(fn: Callable[[list[int], int], list[int]] | None) -> Feedback:
    """``fn(positions, index_bits)``: the learner's relative indices, against the package's."""
    if fn is compression.relative_indices:
        return Feedback.correct(
            "That is the package's own `relative_indices`, so of course it passes. Now write it yourself."
        )
    return check_function(
        fn,
        INDEX_CASES,
        usage="check_relative_indices(my_relative_indices)",
        call=lambda fn, case: fn(list(case[0]), case[1]),
        not_implemented_hint="Walk through the positions, keeping the previous one; the gap is the zeros in "
        "between.",
        describe=lambda case: _case_text(*case),
        raised="For {case} your function raised {error_type}: {error}",
        judge=_judge_relative_indices,
        passed=lambda: Feedback.correct(
            f"Your relative indices match the package's on all {len(INDEX_CASES)} cases, fillers and edge "
            "cases included. With 33% of the weights kept, most gaps are short, which is why 2 to 4 bits "
            "per index are enough for SqueezeNet (section 9)."
        ),
    )


def _judge_relative_indices(text: str, case: tuple[tuple[int, ...], int], result: object) -> Feedback | None:
    """What is wrong with the learner's codes for one case, or None if they are the package's."""
    positions, bits = case
    codes = _as_int_list(result)
    if codes is None:
        return Feedback.wrong(
            f"For {text} your function returned {type(result).__name__}, not a list of integers.",
            "Return a list of ints, e.g. `[2, 0]`.",
        )
    truth = compression.relative_indices(np.array(positions, dtype=np.int64), bits).tolist()
    if codes == truth:
        return None
    filler = 2**bits - 1
    previous = [-1, *positions[:-1]]
    gaps = [p - q - 1 for p, q in zip(positions, previous, strict=True)]
    if codes == gaps:
        return Feedback.wrong(
            f"For {text} you stored each gap as it is, but some need more than {bits} bits.",
            f"A gap of {filler} or more zeros needs fillers: each filler code {filler} skips {filler} "
            "positions and stores no weight.",
        )
    if codes == list(positions):
        return Feedback.wrong(
            f"For {text} you returned the positions themselves.",
            "Store how many zeros were skipped since the previous weight, not where the weight is.",
        )
    if codes == [g + 1 for g in gaps]:
        return Feedback.wrong(
            f"For {text} each of your codes is one too large: the distance, not the zeros skipped.",
            "A weight right after the previous one (or at position 0) has skipped no zeros: code 0.",
        )
    if any(not 0 <= c <= filler for c in codes):
        return Feedback.wrong(
            f"For {text} some of your codes do not fit in {bits} bits (0 to {filler}).",
            f"Split long gaps with fillers: the code {filler} means 'skip {filler} positions, no weight'.",
        )
    if len(codes) != len(truth):
        return Feedback.wrong(
            f"For {text} you returned {len(codes)} codes: a different number of fillers than needed.",
            f"A filler skips {filler} positions; a gap of g zeros needs g // {filler} of them, then the "
            f"code g % {filler} for the weight itself.",
        )
    return Feedback.wrong(
        f"For {text} your codes have the right count but some values are wrong.",
        "Decode your codes by hand: start at position -1, a filler moves on by its value, a "
        "weight's code c moves on by c + 1. Do you land on every position?",
    )


__all__ = [
    "FIRE",
    "FIRE_CASES",
    "INDEX_CASES",
    "check_fire_module",
    "check_fire_params",
    "check_relative_indices",
    "fire_params",
]
