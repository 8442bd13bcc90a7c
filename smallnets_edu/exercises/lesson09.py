"""Checkers for lesson 09 (from paper to device).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here, each time a checker runs, from :mod:`smallnets_edu.deploy`.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import deploy, models
from ._feedback import Feedback, as_number, checker, is_unanswered
from .checks import check_number

# Exercise 1: a small convolution and its BatchNorm, with statistics as after training.
FOLD = {"in_channels": 3, "out_channels": 4, "kernel": 3, "seed": 9}
FOLD_TOLERANCE = 1e-4

# Exercise 2: the network whose 8-bit weights you size, and how close an estimate must be.
INT8_NETWORK = "mobilenet_v2"
INT8_TOLERANCE = 0.05

# Exercise 3: the largest |weight| of each channel of one depthwise layer after folding.
DEPTHWISE_PEAKS = (2.4, 0.9, 0.15, 0.03)
LEVELS = 127  # symmetric int8: integers -127 .. 127


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def fold_exercise() -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """The convolution (no bias, as in the course's networks) and the BatchNorm of exercise 1."""
    g = torch.Generator().manual_seed(FOLD["seed"])
    c_in, c_out, k = FOLD["in_channels"], FOLD["out_channels"], FOLD["kernel"]
    conv = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    bn = nn.BatchNorm2d(c_out)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * 0.5)
        bn.weight.copy_(torch.rand(c_out, generator=g) * 1.5 + 0.25)
        bn.bias.copy_(torch.randn(c_out, generator=g) * 0.3)
        bn.running_mean.copy_(torch.randn(c_out, generator=g))
        bn.running_var.copy_(torch.rand(c_out, generator=g) * 3 + 0.01)
    return conv.eval(), bn.eval()


def _fold_slips(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """(weight, bias) as a typical slip computes them, to recognise what a wrong answer did."""
    w, gamma, beta = conv.weight.detach(), bn.weight.detach(), bn.bias.detach()
    mean, var, eps = bn.running_mean, bn.running_var, bn.eps
    s = gamma / torch.sqrt(var + eps)
    per = lambda t: t.reshape(-1, 1, 1, 1)
    no_eps = gamma / torch.sqrt(var)
    no_sqrt = gamma / (var + eps)
    return {
        "forgetting the square root (dividing by the variance, not the standard deviation)": (
            w * per(no_sqrt),
            beta - mean * no_sqrt,
        ),
        "leaving the weights as they were (only the bias changes)": (w, beta - mean * s),
        "forgetting the mean in the bias": (w * per(s), beta),
        "adding the mean instead of subtracting it": (w * per(s), beta + mean * s),
        "subtracting the mean without scaling it by gamma / sqrt(var + eps)": (w * per(s), beta - mean),
        "leaving out eps": (w * per(no_eps), beta - mean * no_eps),
    }


@checker(
    "Exercise 1 (fold a BatchNorm by hand)",
    placeholder=(
        "Set `folded_weight` and `folded_bias` to tensors computed from `conv` and `bn`.",
        "One scale per output channel: s = gamma / sqrt(running_var + eps).",
    ),
)
def check_fold(weight: object, bias: object) -> Feedback:
    """``weight`` (out, in, k, k) and ``bias`` (out,) of the folded convolution, within 1e-4."""
    conv, bn = fold_exercise()
    truth = deploy.fold_conv_bn(conv, bn)
    answers = {}
    for what, value, shape in (
        ("weight", weight, tuple(truth.weight.shape)),
        ("bias", bias, tuple(truth.bias.shape)),
    ):
        if is_unanswered(value):
            return Feedback.unanswered(f"`folded_{what}` is still `None`.")
        try:
            tensor = torch.as_tensor(value, dtype=torch.float32).detach()
        except (TypeError, ValueError, RuntimeError):
            return Feedback.wrong(f"`folded_{what}` should be a tensor, got a {type(value).__name__}.")
        if tuple(tensor.shape) != shape:
            hint = (
                "The scale has one value per output channel: reshape it to (out, 1, 1, 1) so that it "
                "multiplies each output channel's whole filter."
                if what == "weight"
                else "The bias has one value per output channel."
            )
            return Feedback.wrong(
                f"`folded_{what}` has shape {tuple(tensor.shape)}; the folded convolution's {what} has "
                f"shape {shape}.",
                hint,
            )
        answers[what] = tensor
    close = lambda a, b: bool(torch.allclose(a, b, atol=FOLD_TOLERANCE, rtol=FOLD_TOLERANCE))
    w_ok = close(answers["weight"], truth.weight.detach())
    b_ok = close(answers["bias"], truth.bias.detach())
    if w_ok and b_ok:
        return Feedback.correct(
            "Both match `deploy.fold_conv_bn`: the BatchNorm costs nothing at inference any more. The "
            "folded convolution has a bias even though the original had none: BatchNorm's shift moved "
            "into it."
        )
    for slip, (w, b) in _fold_slips(conv, bn).items():
        if close(answers["weight"], w) and close(answers["bias"], b):
            return Feedback.wrong(
                f"Your answer is what you get by {slip}.",
                "Write BatchNorm as y = s * (x - mean) + beta with s = gamma / sqrt(var + eps), then put "
                "x = w * input into it.",
            )
    which = "weight" if not w_ok else "bias"
    return Feedback.wrong(
        f"Your folded {which} does not match yet" + (" (the weight does)." if which == "bias" else "."),
        "w' = w * s for each output channel; b' = beta + (b - mean) * s, with b = 0 here (no conv bias).",
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def int8_estimate(name: str = INT8_NETWORK) -> dict[str, int]:
    """The payload of ``name``'s int8 network: 1 byte per weight, 4 bytes per (float) bias.

    Counted on the ``cifar`` variant with 10 classes after folding BatchNorm, which is what
    ``deploy.quantize`` stores.
    """
    folded = deploy.fold_batchnorm(models.build_meta(name, num_classes=10, variant="cifar"))
    weights = biases = 0
    for module in folded.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            weights += module.weight.numel()
            biases += module.bias.numel() if module.bias is not None else 0
    return {"weights": weights, "biases": biases, "bytes": weights + 4 * biases}


@checker(
    "Exercise 2 (the size of an 8-bit network)",
    placeholder=(
        "Set `int8_bytes` to a number of bytes.",
        "Start from the parameter count: how many bytes does one 8-bit weight take?",
    ),
)
def check_int8_size(answer: object) -> Feedback:
    """``answer``: the int8 size of :data:`INT8_NETWORK`'s weights in bytes, within 5% of the payload."""
    est = int8_estimate()
    truth = est["bytes"]
    params = sum(
        p.numel() for p in models.build_meta(INT8_NETWORK, num_classes=10, variant="cifar").parameters()
    )
    not_bytes = f"The answer should be a positive number of bytes, got {answer!r}."
    return check_number(
        answer,
        truth,
        close=lambda value, other: abs(value - other) <= INT8_TOLERANCE * other,
        not_a_number=Feedback.wrong(not_bytes),
        correct=f"About {truth:,} bytes: {est['weights']:,} weights at one byte and {est['biases']:,} "
        "float biases at four. The file `deploy.quantize` writes is larger (see the table of "
        "section 3): PyTorch also stores a float64 scale and an int64 zero point for every output "
        "channel of every layer (16 bytes each), and the names and layout of every tensor. Still "
        f"about a quarter of the {4 * params:,} bytes of 32-bit floats.",
        mistakes=[
            (lambda value: value <= 0, not_bytes, None),  # a number, but no size
            *(
                (factor * truth, f"Your answer is about {slip}.", "One 8-bit integer is one byte.")
                for factor, slip in (
                    (4, "four bytes per parameter: that is the 32-bit network"),
                    (8, "eight per parameter: 8 bits are one byte, not eight"),
                    (1 / 8, "one bit per parameter"),
                    (2, "two bytes per parameter: that is a 16-bit network"),
                )
            ),
        ],
        otherwise=lambda value: Feedback.wrong(
            f"{value:,.0f} bytes is {'more' if value > truth else 'less'} than the 8-bit weights need.",
            f"`cost.count_params` gives {INT8_NETWORK}'s parameters; each weight becomes one byte.",
        ),
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def levels_used(peaks: tuple[float, ...] = DEPTHWISE_PEAKS) -> tuple[int, int]:
    """Distinct int8 values the last channel's weights can take, with one scale per tensor / per channel.

    Symmetric quantization: step = (largest |w| in scope) / 127; a channel whose largest weight is m
    uses the integers -round(m / step) .. round(m / step).
    """
    step = max(peaks) / LEVELS
    reach = round(peaks[-1] / step)
    return 2 * reach + 1, 2 * LEVELS + 1


@checker(
    "Exercise 3 (where 8 bits hurt)",
    placeholder=(
        "Set `levels_per_tensor` and `levels_per_channel` to whole numbers.",
        "With one scale for the whole tensor, the step between levels is max |w| / 127.",
    ),
)
def check_levels(per_tensor: object, per_channel: object) -> Feedback:
    """How many int8 levels the smallest channel of :data:`DEPTHWISE_PEAKS` can use, both ways."""
    truth_tensor, truth_channel = levels_used()
    for what, value, truth in (
        ("per_tensor", per_tensor, truth_tensor),
        ("per_channel", per_channel, truth_channel),
    ):
        number = as_number(value)
        if is_unanswered(value):
            return Feedback.unanswered(f"`levels_{what}` is still `None`.")
        if number is None or not float(number).is_integer():
            return Feedback.wrong(f"`levels_{what}` should be a whole number of levels, got {value!r}.")
        if int(number) == truth:
            continue
        if int(number) == (truth - 1) // 2:
            return Feedback.wrong(
                f"{int(number)} counts the positive levels only.",
                "Symmetric quantization uses -n .. n: the negative levels and zero count too.",
            )
        if what == "per_channel" and int(number) == 256:
            return Feedback.wrong(
                "256 is every value of a byte, but symmetric int8 weights leave out -128.",
                "The integers run from -127 to 127.",
            )
        if int(number) == truth - 1:
            return Feedback.wrong(f"{int(number)} leaves out one level.", "Zero is a level too.")
        return Feedback.wrong(
            f"`levels_{what}` = {int(number)} is not right yet.",
            "Find the step (largest |w| in scope / 127), then how many steps fit in the last channel's "
            "largest weight, on both sides of zero.",
        )
    return Feedback.correct(
        f"{truth_tensor} levels against {truth_channel}: with one scale for the tensor, the smallest "
        f"channel's weights are rounded to {truth_tensor} values, nearly a 2-bit channel. That is why "
        "per-tensor scales hurt depthwise layers after folding, and why PyTorch and ONNX Runtime default "
        "to one scale per output channel."
    )


__all__ = [
    "DEPTHWISE_PEAKS",
    "FOLD",
    "INT8_NETWORK",
    "check_fold",
    "check_int8_size",
    "check_levels",
    "fold_exercise",
    "int8_estimate",
    "levels_used",
]
