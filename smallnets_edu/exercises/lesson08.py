"""Checkers for lesson 08 (the showdown).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the
right answers are computed here, each time a checker runs, from :mod:`smallnets_edu.showdown` and
:mod:`smallnets_edu.cost`.
"""

from __future__ import annotations

import functools
import numbers
import random
from collections.abc import Iterable

from .. import cost, models, showdown
from ._feedback import Feedback, checker, is_unanswered
from .checks import check_function, number_mistake

# Exercise 1: the checker's point sets; the hand-made ones hold the traps (ties, duplicates, one point).
FRONT_CASES: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...] = (
    ((46.4, 88.0, 42.6, 52.5, 23.5, 9.0, 44.2), (0.62, 0.70, 0.60, 0.55, 0.50, 0.45, 0.61)),
    ((1, 2, 3, 4), (0.1, 0.2, 0.3, 0.4)),  # every point on the front
    ((1, 2, 3, 4), (0.4, 0.3, 0.2, 0.1)),  # only the cheapest
    ((2, 2, 3), (0.5, 0.6, 0.6)),  # same cost: the better one; same value: the cheaper one
    ((1, 1, 2), (0.5, 0.5, 0.4)),  # two identical points: both stay
    ((5,), (0.3,)),
)
FRONT_RANDOM_CASES = 8
FRONT_SEED = 8

# Exercise 2: a depthwise 3x3 layer and a 1x1 layer from MobileNet's 28x28 stage, one image, fp32.
INTENSITY = {"channels": 256, "size": 28, "kernel": 3}
INTENSITY_TOLERANCE = 0.02

# Exercise 3: the microcontroller's limits, for the cifar networks at 32x32.
MCU = {"activation_kib": 512, "weight_bytes": 1_000_000, "bytes_per_weight": 1, "macs": 45_000_000}


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def front_cases() -> list[tuple[list[float], list[float]]]:
    """The hand-made cases, then random ones with many ties (small integer costs and values)."""
    rng = random.Random(FRONT_SEED)
    cases = [(list(c), list(v)) for c, v in FRONT_CASES]
    for _ in range(FRONT_RANDOM_CASES):
        n = rng.randint(3, 12)
        cases.append(([rng.randint(1, 6) for _ in range(n)], [rng.randint(1, 6) / 10 for _ in range(n)]))
    return cases


def _describe(i: int, costs, values) -> str:
    return f"point {i} (cost {costs[i]:g}, value {values[i]:g})"


@checker("Exercise 1 (a Pareto front)")
def check_front(my_front: object) -> Feedback:
    """``my_front(costs, values)`` should return the indices of :func:`showdown.pareto_front`, any order."""
    return check_function(
        my_front,
        front_cases(),
        placeholder=Feedback.unanswered(
            "Write `my_front(costs, values)` and pass the function to the checker."
        ),
        not_callable=Feedback.wrong(
            f"The checker wants the function itself, got a {type(my_front).__name__}.",
            "Pass the function without calling it: `check_front(my_front)`.",
        ),
        call=lambda my_front, case: my_front(list(case[0]), list(case[1])),
        not_implemented_hint="For each point, ask: is there another point that beats it?",
        describe=lambda case: f"`my_front({case[0]}, {case[1]})`",
        judge=lambda shown, case, answer: _judge_front(shown, *case, answer),
        passed=lambda: Feedback.correct(
            f"Your front matches on all {len(front_cases())} sets of points, ties and duplicates included. "
            "Checking every pair is fine for seven networks; sorting by cost first and keeping each point "
            "whose value beats the best so far does it in O(n log n)."
        ),
    )


def _judge_front(shown: str, costs: list[float], values: list[float], answer: object) -> Feedback | None:
    """What is wrong with the learner's front of one set of points (``shown``: the call), or None."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, Iterable):
        return Feedback.wrong(
            f"{shown} returned a {type(answer).__name__}; return a list of indices.",
            "Indices are positions in the lists: 0 for the first network.",
        )
    items = list(answer)
    if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in items):
        kinds = sorted({type(i).__name__ for i in items})
        return Feedback.wrong(
            f"{shown} returned items of type {', '.join(kinds)}; return the indices (ints) of the points.",
            "Return `i`, the position, rather than the cost or the value.",
        )
    chosen = {int(i) for i in items}
    outside = sorted(i for i in chosen if not 0 <= i < len(costs))
    if outside:
        return Feedback.wrong(
            f"{shown} returned {outside}, which are not positions in lists of {len(costs)}."
        )
    truth = set(showdown.pareto_front(costs, values))
    if chosen == truth:
        return None
    extra = sorted(chosen - truth)
    missing = sorted(truth - chosen)
    if extra:
        i = extra[0]
        j = next(
            j
            for j in range(len(costs))
            if costs[j] <= costs[i]
            and values[j] >= values[i]
            and (costs[j], values[j]) != (costs[i], values[i])
        )
        hint = "Check both directions: a point must not be beaten on cost and value together."
        if costs[j] == costs[i] or values[j] == values[i]:
            hint = "A tie on one axis is not a draw: the other axis still decides."
        return Feedback.wrong(
            f"For {shown} you kept {_describe(i, costs, values)}, but {_describe(j, costs, values)} "
            "costs no more and is worth no less, and is better in one of the two.",
            hint,
        )
    i = missing[0]
    twin = any(k != i and (costs[k], values[k]) == (costs[i], values[i]) for k in range(len(costs)))
    hint = (
        "Two identical points: neither is strictly better than the other, so neither beats the other."
        if twin
        else "Beating needs 'no worse on both' and 'strictly better on at least one'."
    )
    return Feedback.wrong(
        f"For {shown} you left out {_describe(i, costs, values)}, but no other point beats it.", hint
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def intensities() -> tuple[float, float]:
    """(depthwise, pointwise) arithmetic intensity of exercise 2's layers, in MACs per byte."""
    q = INTENSITY
    c, s, k = q["channels"], q["size"], q["kernel"]
    return showdown.conv_intensity(c, c, k, s, groups=c), showdown.conv_intensity(c, c, 1, s)


def _slips(c: int, s: int, k: int, groups: int) -> dict[str, float]:
    """Intensities computed with a typical slip, to recognise what a wrong answer did."""
    kernel = 1 if groups == 1 else k
    macs = cost.conv_macs(c, c, kernel, s, groups=groups)
    weights = cost.conv_params(c, c, kernel, groups=groups)
    act = 2 * c * s * s  # input + output values
    slips = {
        "counting values, not bytes (each 32-bit value is 4 bytes)": macs / (weights + act),
        "leaving out the weights": macs / (4 * act),
        "leaving out the output": macs / (4 * (weights + c * s * s)),
        "counting FLOPs (2 per multiply-accumulate) instead of MACs": 2 * macs / (4 * (weights + act)),
    }
    if groups > 1:
        full = cost.conv_macs(c, c, k, s)
        slips["forgetting the groups (a full 3x3 convolution's MACs)"] = full / (4 * (weights + act))
    return slips


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= INTENSITY_TOLERANCE * abs(b)


def _intensity_mistake(layer: str, groups: int, number: float) -> Feedback:
    """What a wrong intensity of ``layer`` looks like: every slip that gives it, or else a hint."""
    q = INTENSITY
    c, s, k = q["channels"], q["size"], q["kernel"]
    slips = [slip for slip, expected in _slips(c, s, k, groups).items() if _close(number, expected)]
    if slips:
        return Feedback.wrong(
            f"Your {layer} intensity ({number:.3g}) is what you get by {' or by '.join(slips)}.",
            "Bytes moved = 4 × (weights + input values + output values), for one image.",
        )
    return Feedback.wrong(
        f"Your {layer} intensity ({number:.3g} MACs per byte) is not right yet.",
        f"The {layer} layer's MACs are `cost.conv_macs(...)` with "
        + ("`groups` equal to the channels" if groups > 1 else "a 1x1 kernel")
        + "; the input and the output each hold channels × 28 × 28 values.",
    )


@checker(
    "Exercise 2 (arithmetic intensity)",
    placeholder=(
        "Set `depthwise_intensity` and `pointwise_intensity` to numbers (MACs per byte).",
        "For each layer: count its MACs, then the bytes of its weights, its input and its output.",
    ),
)
def check_intensity(depthwise: object, pointwise: object) -> Feedback:
    """Both intensities in MACs per byte, within 2%."""
    c = INTENSITY["channels"]
    truth = dict(zip(("depthwise", "pointwise"), intensities(), strict=True))
    answers = {"depthwise": depthwise, "pointwise": pointwise}
    for layer, groups in (("depthwise", c), ("pointwise", 1)):
        value = answers[layer]
        if is_unanswered(value):
            return Feedback.unanswered(f"The {layer} intensity is still `None`.")
        mistake = number_mistake(
            value,
            truth[layer],
            close=_close,
            finite=False,
            not_a_number=Feedback.wrong(
                f"The {layer} intensity should be a number, got a {type(value).__name__}."
            ),
            otherwise=functools.partial(_intensity_mistake, layer, groups),
        )
        if mistake is not None:
            return mistake
    dw, pw = truth["depthwise"], truth["pointwise"]
    return Feedback.correct(
        f"Depthwise about {dw:.2f} MACs per byte, pointwise about {pw:.1f}: {pw / dw:.0f} times more "
        "arithmetic per byte. The depthwise layer's intensity stays near k²/8 whatever its width, so it is "
        "memory-bound on almost any processor; the 1x1 layer's grows with its channels."
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def _limits(profile: cost.Profile) -> list[str]:
    """The microcontroller's limits this network breaks, in words."""
    broken = []
    if profile.peak_activation_bytes > MCU["activation_kib"] * 1024:
        broken.append(f"its peak activations are {profile.peak_activation_bytes / 1024:,.0f} KiB")
    weight_bytes = profile.params * MCU["bytes_per_weight"]
    if weight_bytes > MCU["weight_bytes"]:
        broken.append(f"its {profile.params:,} parameters need {weight_bytes / 1e6:.2f} MB at 8 bits")
    if profile.macs > MCU["macs"]:
        broken.append(f"it needs {profile.macs / 1e6:.1f}M MACs")
    return broken


def microcontroller_fits() -> set[str]:
    """The cifar networks within every limit of ``MCU``."""
    return {name for name, p in showdown.costs().items() if not _limits(p)}


@checker(
    "Exercise 3 (a network for a microcontroller)",
    placeholder=(
        'Write the networks that fit as a set of names, e.g. `answer = {"effnet"}`.',
        "The table of section 1 has all three numbers for every network.",
    ),
)
def check_microcontroller(answer: object) -> Feedback:
    """``answer``: the set of network names that fit all three limits."""
    if isinstance(answer, str):
        answer = {answer}
    if not isinstance(answer, Iterable) or not all(isinstance(n, str) for n in answer):
        return Feedback.wrong(
            f'Your answer is a {type(answer).__name__}; write a set of names such as `{{"effnet"}}`.',
        )
    chosen = {n.strip().lower() for n in answer}
    known = set(models.names())
    unknown = sorted(chosen - known)
    if unknown:
        return Feedback.wrong(
            f"{', '.join(repr(n) for n in unknown)} is not a network name; the names are "
            f"{', '.join(sorted(known))}.",
        )
    profiles = showdown.costs()
    truth = microcontroller_fits()
    extra = sorted(chosen - truth)
    if extra:
        return Feedback.wrong(
            f"{extra[0]} does not fit: {' and '.join(_limits(profiles[extra[0]]))}.",
            "Check each network against all three limits: activations, weights at one byte each, and MACs.",
        )
    missing = truth - chosen
    if missing:
        at_limit = any(profiles[n].peak_activation_bytes == MCU["activation_kib"] * 1024 for n in missing)
        return Feedback.wrong(
            f"Every network you chose fits, but {len(missing)} more "
            f"{'does' if len(missing) == 1 else 'do'} too.",
            "A limit is 'at most': a network exactly at the limit still fits."
            if at_limit
            else "Go through the table once more, all three columns for every network.",
        )
    return Feedback.correct(
        f"{', '.join(sorted(truth))}: the only {len(truth)} within all three limits. Note that the weights "
        "rule out networks that pass on MACs and memory, and that 8-bit weights made the flash limit "
        "four times looser than 32-bit ones would."
    )


__all__ = [
    "FRONT_CASES",
    "INTENSITY",
    "MCU",
    "check_front",
    "check_intensity",
    "check_microcontroller",
    "front_cases",
    "intensities",
    "microcontroller_fits",
]
