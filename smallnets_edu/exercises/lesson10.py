"""Checkers for lesson 10 (the recipe, opened).

Each exercise's settings are module constants, so the lesson, the checker and the tests agree; the right
answers are computed here, each time a checker runs: the learning rate from the package's own optimizer
and scheduler (:func:`smallnets_edu.train.make_scheduler`, exercise 1), the parameters that decay from
:func:`smallnets_edu.train.param_groups` (exercise 2), and the loss floor from PyTorch's cross-entropy with
label smoothing, the criterion ``train.fit`` uses (exercise 3).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .. import models
from ..train import recipe
from ._feedback import Feedback, checker, is_unanswered
from .checks import check_function, number_mistake

# --------------------------------------------------------------------------------------------------
# Exercise 1: the learning rate at a given step of warm-up then cosine
# --------------------------------------------------------------------------------------------------

# MobileNetV2 at the gpu budget on CIFAR-10: SGD at 0.2, 30 epochs of the 50,000 training images in
# batches of 256, one epoch of warm-up. Steps are counted from 0: step 0 is the first optimizer step.
SCHEDULE: dict[str, Any] = {
    "peak": 0.2,
    "epochs": 30,
    "train_size": 50_000,
    "batch_size": 256,
    "warmup_epochs": 1.0,
}
STEPS = (100, 4000)  # one step in the warm-up, one in the cosine
RATE_TOLERANCE = 1e-3  # relative: four significant digits are plenty


def schedule_steps(settings: dict[str, Any] = SCHEDULE) -> tuple[int, int]:
    """(all optimizer steps, warm-up steps) of a run, counted as ``fit`` counts them.

    An epoch takes ``train_size // batch_size`` steps (the last incomplete batch is dropped), and the
    warm-up is rounded to whole steps.
    """
    per_epoch = settings["train_size"] // settings["batch_size"]
    return settings["epochs"] * per_epoch, round(settings["warmup_epochs"] * per_epoch)


def scheduled_rates(settings: dict[str, Any] = SCHEDULE, schedule: str = "cosine") -> list[float]:
    """The rate of every optimizer step of the run, from the package's optimizer and scheduler."""
    optimizer = recipe.make_optimizer(nn.Linear(2, 2), settings["peak"], 0.0)
    total, warmup = schedule_steps(settings)
    scheduler = recipe.make_scheduler(optimizer, total, warmup, schedule)
    rates = []
    for _ in range(total):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # no gradients, so nothing moves; the scheduler expects a step before its own
        scheduler.step()
    return rates


def _rate_slips(step: int, settings: dict[str, Any] = SCHEDULE) -> list[tuple[float, str, str]]:
    """(the rate a typical slip gives at ``step``, what it looks like, a hint)."""
    peak = settings["peak"]
    total, warmup = schedule_steps(settings)
    per_epoch_exact = settings["train_size"] / settings["batch_size"]
    total_exact, warmup_exact = (
        settings["epochs"] * per_epoch_exact,
        settings["warmup_epochs"] * per_epoch_exact,
    )

    def cosine(k: float, start: float, length: float) -> float:
        return peak / 2 * (1 + math.cos(math.pi * (k - start) / length))

    count_hint = (
        "An epoch is `train_size // batch_size` whole steps (the last incomplete batch is dropped), and "
        "the warm-up is rounded to whole steps."
    )
    if step < warmup:
        return [
            (
                peak * step / warmup,
                "Your warm-up starts from zero.",
                "The package never starts at zero: step 0 already uses peak / (warm-up steps + 1).",
            ),
            (
                peak * step / (warmup + 1),
                "Your warm-up is one step behind.",
                "Step 0 is the first step, and it already uses peak / (warm-up steps + 1).",
            ),
            (
                peak * (step + 1) / (warmup_exact + 1),
                "Your warm-up has a fraction of a step.",
                count_hint,
            ),
        ]
    return [
        (
            cosine(step, 0, total),
            "Your cosine runs over the whole run, from step 0.",
            "The cosine starts at the peak when the warm-up ends, and reaches zero at the last step.",
        ),
        (
            cosine(step, 0, total - warmup),
            "Your cosine starts at step 0 instead of at the end of the warm-up.",
            "Count the cosine's steps from the end of the warm-up.",
        ),
        (
            cosine(step, warmup, total),
            "Your cosine lasts the whole run: it would reach zero after the run has ended.",
            "The cosine has the steps that the warm-up leaves: all steps less the warm-up steps.",
        ),
        (
            peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))),
            "Your rate is twice too large: half a cosine goes from 1 to -1, so (1 + cos) goes from 2 to 0.",
            "Halve (1 + cos(...)) so that the rate starts at the peak.",
        ),
        (
            peak * (total - step) / (total - warmup),
            "Your rate falls in a straight line.",
            "After the warm-up the rate follows half a cosine, not a line.",
        ),
        (
            cosine(step, warmup_exact, total_exact - warmup_exact),
            "Your run has a fraction of a step.",
            count_hint,
        ),
    ]


@checker(
    "Exercise 1 (the learning rate at a given step)",
    placeholder=(
        "Set `rate_at_100` and `rate_at_4000` to numbers.",
        "First count the steps: how many in the whole run, and how many in the warm-up?",
    ),
)
def check_rates(rate_at_100: object, rate_at_4000: object) -> Feedback:
    """The rates of :data:`STEPS` in the run :data:`SCHEDULE` describes, within 0.1%."""
    rates = scheduled_rates()
    for name, step, answer in (
        ("rate_at_100", STEPS[0], rate_at_100),
        ("rate_at_4000", STEPS[1], rate_at_4000),
    ):
        if is_unanswered(answer):
            return Feedback.unanswered(f"`{name}` is still `None`.")
        truth = rates[step]
        mistake = number_mistake(
            answer,
            truth,
            close=lambda value, other: abs(value - other) <= RATE_TOLERANCE * abs(other),
            not_a_number=Feedback.wrong(f"`{name}` should be a number (a learning rate), got {answer!r}."),
            mistakes=[
                (
                    lambda value: value > SCHEDULE["peak"],
                    f"`{name}` is above the peak rate.",
                    "No step goes above the peak.",
                ),
                *((wrong, f"At step {step}: {message}", hint) for wrong, message, hint in _rate_slips(step)),
            ],
            otherwise=lambda value, step=step, truth=truth: Feedback.wrong(
                f"At step {step} your rate is too {'large' if value > truth else 'small'}.",
                "Is this step in the warm-up or in the cosine? Write the formula of that part with the "
                "step counts of this run.",
            ),
        )
        if mistake is not None:
            return mistake
    total, warmup = schedule_steps()
    return Feedback.correct(
        f"Both match the package's scheduler: {total} steps, {warmup} of them warming up. Step "
        f"{STEPS[0]} is about half-way up the warm-up, and by step {STEPS[1]} the cosine has taken the "
        "rate well below half the peak: a cosine spends its first steps near the peak and falls fastest "
        "in the middle of the run."
    )


# --------------------------------------------------------------------------------------------------
# Exercise 2: which parameters get weight decay
# --------------------------------------------------------------------------------------------------


class _Tiny(nn.Module):
    """A small network of every kind of layer the course's networks hold, biases included."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)  # with a bias, as SqueezeNet's convolutions
        self.bn = nn.BatchNorm2d(8)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn(self.conv(x)))
        x = torch.relu(self.bn2(self.depthwise(x)))
        return self.fc(self.pool(x).flatten(1))


# (network, build options): built on the meta device, shapes without weights, so checking is instant.
DECAY_CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("a small network of every layer kind", {}),
    ("effnet", {}),
    ("mobilenet_v2", {}),
    ("squeezenet1_1", {}),
    ("squeezenet1_1", {"batch_norm": True}),
)


def decay_case_model(case: tuple[str, dict[str, Any]]) -> nn.Module:
    """The model of one case of exercise 2 (the course's networks: cifar variant, 10 classes)."""
    name, options = case
    if name not in models.names():
        torch.manual_seed(0)
        return _Tiny()
    return models.build_meta(name, num_classes=10, variant="cifar", **options)


def decayed_names(model: nn.Module) -> set[str]:
    """The names of the parameters that get weight decay, from :func:`smallnets_edu.train.param_groups`."""
    decays = {
        id(p)
        for group in recipe.param_groups(model, 1.0)
        if group["weight_decay"] > 0
        for p in group["params"]
    }
    return {name for name, p in model.named_parameters() if id(p) in decays}


def _describe(case: tuple[str, dict[str, Any]]) -> str:
    name, options = case
    if name not in models.names():
        return name
    extra = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return f"{name} ({extra})" if extra else name


def _as_names(answer: object, model: nn.Module) -> set[str] | None:
    """The learner's answer as a set of parameter names (parameters themselves are accepted too)."""
    if isinstance(answer, (str, bytes, torch.Tensor)) or not isinstance(answer, Iterable):
        return None
    by_id = {id(p): name for name, p in model.named_parameters()}
    names = set()
    for item in answer:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, torch.Tensor) and id(item) in by_id:
            names.add(by_id[id(item)])
        else:
            return None
    return names


def _count(items: list[str], one: str, many: str | None = None) -> str:
    return f"1 {one}" if len(items) == 1 else f"{len(items)} {many or one + 's'}"


def _owner(model: nn.Module, name: str) -> nn.Module:
    return model.get_submodule(name.rpartition(".")[0]) if "." in name else model


def _judge_decay(shown: str, model: nn.Module, answer: object) -> Feedback | None:
    names = _as_names(answer, model)
    if names is None:
        return Feedback.wrong(
            f"On {shown} your function returned {type(answer).__name__}, not a collection of names.",
            "Return a set (or list) of names as `model.named_parameters()` gives them.",
        )
    truth = decayed_names(model)
    every = {name for name, _ in model.named_parameters()}
    if names == truth:
        return None
    unknown = sorted(names - every)
    if unknown:
        return Feedback.wrong(
            f"On {shown}, `{unknown[0]}` is not the name of one of the model's parameters.",
            "Take the names from `model.named_parameters()`.",
        )
    if names and names == every - truth:
        return Feedback.wrong(
            f"On {shown} you returned exactly the parameters that do *not* decay.", "Swap the two groups."
        )
    extra, missing = sorted(names - truth), sorted(truth - names)
    norms = [n for n in extra if isinstance(_owner(model, n), (nn.BatchNorm1d, nn.BatchNorm2d))]
    if norms:
        return Feedback.wrong(
            f"On {shown} you decay {_count(norms, 'BatchNorm parameter')}, such as `{norms[0]}`.",
            "BatchNorm's scale and shift set each channel's size and offset: decay would only pull them "
            "away from what normalisation needs.",
        )
    if extra:
        return Feedback.wrong(
            f"On {shown} you decay {_count(extra, 'bias', 'biases')}, such as `{extra[0]}`.",
            "A bias has one value per channel; only the weights of convolutions and linear layers decay.",
        )
    linear = [n for n in missing if isinstance(_owner(model, n), nn.Linear)]
    if linear:
        return Feedback.wrong(
            f"On {shown} you leave out the weights of the linear layers, such as `{linear[0]}`.",
            "The classifier's weights decay too.",
        )
    return Feedback.wrong(
        f"On {shown} you leave out {_count(missing, 'weight')} that should decay, such as `{missing[0]}`.",
        "Every weight of a convolution decays, grouped and depthwise ones included.",
    )


@checker("Exercise 2 (which parameters get weight decay)")
def check_decayed(fn: Callable[[nn.Module], object] | None) -> Feedback:
    """``fn(model)``: the names of the parameters that decay, compared with ``param_groups``."""

    def passed() -> Feedback:
        model = decay_case_model(DECAY_CASES[2])
        decays = decayed_names(model)
        kept = [p.numel() for name, p in model.named_parameters() if name not in decays]
        share = sum(kept) / sum(p.numel() for p in model.parameters())
        return Feedback.correct(
            f"Your split matches `train.param_groups` on all {len(DECAY_CASES)} networks. In MobileNetV2, "
            f"{len(kept)} of its parameter tensors (BatchNorm's scales and shifts, the classifier's bias) "
            f"are left alone; together they hold {share:.1%} of its values."
        )

    # One model per case, built once: the learner's function and the judge must see the same parameters.
    cases = [(case, decay_case_model(case)) for case in DECAY_CASES]
    return check_function(
        fn,
        cases,
        usage="check_decayed(decayed_names)",
        call=lambda fn, case: fn(case[1]),
        not_implemented_hint="Go through `model.named_modules()` (or `model.named_parameters()`) and ask "
        "what kind of layer each parameter belongs to, or how many dimensions it has.",
        describe=lambda case: _describe(case[0]),
        raised="Your function raised {error_type} on {case}: {error}",
        raised_hint="The models are on PyTorch's meta device: their parameters have shapes but no values.",
        judge=lambda shown, case, answer: _judge_decay(shown, case[1], answer),
        passed=passed,
    )


# --------------------------------------------------------------------------------------------------
# Exercise 3: the loss floor of label smoothing
# --------------------------------------------------------------------------------------------------

SMOOTHING = 0.2
CLASSES = 100
FLOOR_TOLERANCE = 1e-3  # absolute, in nats: three decimals


def best_probabilities(epsilon: float = SMOOTHING, classes: int = CLASSES) -> torch.Tensor:
    """The smoothed target of class 0: what the best possible network predicts (float64)."""
    q = torch.full((classes,), epsilon / classes, dtype=torch.float64)
    q[0] += 1 - epsilon
    return q


def loss_floor(epsilon: float = SMOOTHING, classes: int = CLASSES) -> float:
    """The smallest cross-entropy with label smoothing ``epsilon`` over ``classes`` classes, in nats.

    Computed with PyTorch's own loss (what ``fit``'s ``nn.CrossEntropyLoss`` computes) at the
    prediction that equals the smoothed target, where the loss is smallest (Gibbs' inequality).
    """
    logits = best_probabilities(epsilon, classes).log()[None]
    return float(F.cross_entropy(logits, torch.tensor([0]), label_smoothing=epsilon))


def _entropy(probabilities: list[float]) -> float:
    return -sum(p * math.log(p) for p in probabilities if p > 0)


@checker(
    "Exercise 3 (the loss floor of label smoothing)",
    placeholder=(
        "Set `best_true_probability` and `lowest_loss` to numbers.",
        "Write down the smoothed target: how much goes to the true class, and how much to each other class?",
    ),
)
def check_floor(best_true_probability: object, lowest_loss: object) -> Feedback:
    """The best network's probability of the true class, and the lowest loss, for :data:`SMOOTHING`
    and :data:`CLASSES`, within 0.001."""
    eps, c = SMOOTHING, CLASSES
    q = best_probabilities()
    truth_p, truth_loss = float(q[0]), loss_floor()
    close = lambda value, other: abs(value - other) <= FLOOR_TOLERANCE
    if is_unanswered(best_true_probability):
        return Feedback.unanswered("`best_true_probability` is still `None`.")
    mistake = number_mistake(
        best_true_probability,
        truth_p,
        close=close,
        not_a_number=Feedback.wrong(
            f"`best_true_probability` should be a number, got {best_true_probability!r}."
        ),
        mistakes=[
            (lambda v: not 0 < v <= 1, "A probability lies between 0 and 1.", None),
            (
                1.0,
                "A network that puts everything on the true class does not minimise the smoothed loss.",
                "The smoothed target is the best prediction: what does it give the true class?",
            ),
            (
                1 - eps,
                "You gave the true class 1 - ε, but the smoothing's uniform part goes to it too.",
                "The target is (1 - ε) on the true class plus ε / C on every class, the true one included.",
            ),
        ],
        otherwise=lambda v: Feedback.wrong(
            f"`best_true_probability` is too {'large' if v > truth_p else 'small'}.",
            "The loss is smallest where the prediction equals the smoothed target.",
        ),
    )
    if mistake is not None:
        return mistake
    if is_unanswered(lowest_loss):
        return Feedback.unanswered("`lowest_loss` is still `None`.")
    other = eps / c
    mistake = number_mistake(
        lowest_loss,
        truth_loss,
        close=close,
        not_a_number=Feedback.wrong(f"`lowest_loss` should be a number, got {lowest_loss!r}."),
        mistakes=[
            (
                0.0,
                "Zero is the floor without smoothing.",
                "With smoothing, even the best prediction pays for the target's spread.",
            ),
            (
                math.log(c),
                "That is the loss of a network that gives every class the same score: where training "
                "starts, not where it can end.",
                None,
            ),
            (
                truth_loss / math.log(2),
                "Your loss is in bits; PyTorch's cross-entropy uses the natural logarithm.",
                None,
            ),
            (
                -math.log(truth_p),
                "That is only the true class's term.",
                "The smoothed target has a term for every class, and all of them count.",
            ),
            (
                -truth_p * math.log(truth_p),
                "That is only the true class's term.",
                "The other classes' terms count too, one for each of them.",
            ),
            (
                _entropy([1 - eps] + [eps / (c - 1)] * (c - 1)),
                "That is the floor of another convention: ε spread over the other classes only.",
                "PyTorch spreads ε over all classes, the true one included (ε / C each).",
            ),
            (
                -truth_p * math.log(truth_p) - other * math.log(other),
                "You counted one of the other classes, not all of them.",
                f"There are {c - 1} other classes.",
            ),
        ],
        otherwise=lambda v: Feedback.wrong(
            f"`lowest_loss` is too {'large' if v > truth_loss else 'small'}.",
            "The floor is the entropy of the smoothed target: −Σ q log q over all classes.",
        ),
    )
    if mistake is not None:
        return mistake
    return Feedback.correct(
        f"At ε = {eps} and {c} classes, training starts near ln {c} = {math.log(c):.2f} and can never go "
        f"below {truth_loss:.3f}, however long it runs. Read a training loss against this floor, not "
        "against zero."
    )


__all__ = [
    "CLASSES",
    "DECAY_CASES",
    "SCHEDULE",
    "SMOOTHING",
    "STEPS",
    "best_probabilities",
    "check_decayed",
    "check_floor",
    "check_rates",
    "decay_case_model",
    "decayed_names",
    "loss_floor",
    "schedule_steps",
    "scheduled_rates",
]
