"""Lesson 10's checkers accept right answers and explain typical wrong ones, without the solution."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from smallnets_edu import budget, models
from smallnets_edu.exercises import lesson10
from smallnets_edu.train import Settings


def texts(feedback) -> str:
    return feedback.message + " " + (feedback.hint or "")


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def by_formula(k: int) -> float:
    """The lesson's formula for the warm-up then cosine, with the exercise's step counts."""
    peak = lesson10.SCHEDULE["peak"]
    total, warmup = lesson10.schedule_steps()
    if k < warmup:
        return peak * (k + 1) / (warmup + 1)
    return peak / 2 * (1 + math.cos(math.pi * (k - warmup) / (total - warmup)))


def test_the_exercise_run_is_the_gpu_budget_as_fit_counts_it():
    gpu = budget.get("gpu")
    s = lesson10.SCHEDULE
    assert (s["peak"], s["epochs"], s["batch_size"], s["warmup_epochs"]) == (
        gpu.lr,
        gpu.epochs,
        gpu.batch_size,
        gpu.warmup_epochs,
    )
    assert lesson10.schedule_steps() == (30 * 195, 195)
    step_in_warmup, step_in_cosine = lesson10.STEPS
    assert step_in_warmup < 195 <= step_in_cosine < 30 * 195


def test_rates_accept_the_formula_and_rounded_answers():
    a, b = (by_formula(k) for k in lesson10.STEPS)
    assert lesson10.check_rates(a, b)
    assert lesson10.check_rates(round(a, 5), float(f"{b:.4g}"))
    assert lesson10.check_rates(str(a), torch.tensor(b))
    fb = lesson10.check_rates(a, b)
    assert "5850 steps" in fb.message and "195" in fb.message
    assert lesson10.check_rates.title.startswith("Exercise 1")


def test_rates_follow_the_package_scheduler():
    rates = lesson10.scheduled_rates()
    assert len(rates) == lesson10.schedule_steps()[0]
    assert all(math.isclose(rates[k], by_formula(k), rel_tol=1e-9) for k in range(0, len(rates), 97))


def test_rates_recognise_typical_slips():
    peak = lesson10.SCHEDULE["peak"]
    total, warmup = lesson10.schedule_steps()
    k, later = lesson10.STEPS
    right_later = by_formula(later)
    fb = lesson10.check_rates(peak * k / warmup, right_later)
    assert not fb and "from zero" in fb.message and "step 100" in fb.message
    fb = lesson10.check_rates(peak * k / (warmup + 1), right_later)
    assert not fb and "one step behind" in fb.message
    right = by_formula(k)
    fb = lesson10.check_rates(right, peak / 2 * (1 + math.cos(math.pi * later / total)))
    assert not fb and "whole run" in fb.message and "step 4000" in fb.message
    fb = lesson10.check_rates(right, 2 * right_later)
    assert not fb and "twice" in fb.message
    fb = lesson10.check_rates(right, peak * (total - later) / (total - warmup))
    assert not fb and "straight line" in fb.message
    fb = lesson10.check_rates(
        right, peak / 2 * (1 + math.cos(math.pi * (later - 195.3125) / (5859.375 - 195.3125)))
    )
    assert not fb and "fraction of a step" in fb.message and "//" in fb.hint
    fb = lesson10.check_rates(right, 0.5)
    assert not fb and "above the peak" in fb.message
    fb = lesson10.check_rates(right, right_later * 1.3)
    assert not fb and "too large" in fb.message


def test_rates_placeholders_and_non_numbers():
    assert lesson10.check_rates(None, None).status == "unanswered"
    assert lesson10.check_rates(by_formula(lesson10.STEPS[0]), None).status == "unanswered"
    fb = lesson10.check_rates("fast", None)
    assert not fb and fb.status == "wrong" and "number" in fb.message


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def by_dimension(model):
    return {name for name, p in model.named_parameters() if p.ndim > 1}


def by_layer(model):
    return {f"{name}.weight" for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))}


def test_decay_accepts_both_rules_names_and_parameters():
    assert lesson10.check_decayed(by_dimension)
    assert lesson10.check_decayed(by_layer)
    assert lesson10.check_decayed(lambda m: sorted(by_dimension(m)))
    assert lesson10.check_decayed(lambda m: [p for p in m.parameters() if p.ndim > 1])
    fb = lesson10.check_decayed(by_dimension)
    assert "MobileNetV2" in fb.message and "%" in fb.message
    assert lesson10.check_decayed.title.startswith("Exercise 2")


def test_decay_recognises_typical_slips():
    fb = lesson10.check_decayed(lambda m: {n for n, _ in m.named_parameters() if n.endswith("weight")})
    assert not fb and "BatchNorm" in fb.message and "`bn.weight`" in fb.message
    fb = lesson10.check_decayed(
        lambda m: {n for n, p in m.named_parameters() if p.ndim > 1 or n == "conv.bias"}
    )
    assert not fb and "1 bias," in fb.message and "`conv.bias`" in fb.message
    only_convs = lambda m: {f"{n}.weight" for n, x in m.named_modules() if isinstance(x, nn.Conv2d)}
    fb = lesson10.check_decayed(only_convs)
    assert not fb and "linear layers" in fb.message and "`fc.weight`" in fb.message
    no_depthwise = lambda m: by_dimension(m) - {"depthwise.weight"}
    fb = lesson10.check_decayed(no_depthwise)
    assert not fb and "1 weight that" in fb.message and "depthwise" in fb.hint
    fb = lesson10.check_decayed(lambda m: {n for n, p in m.named_parameters() if p.ndim <= 1})
    assert not fb and "do *not* decay" in fb.message
    fb = lesson10.check_decayed(lambda m: by_dimension(m) | {"classifier"})
    assert not fb and "not the name" in fb.message


def test_decay_slips_on_the_course_networks_name_the_network():
    # Right on the small network, wrong on SqueezeNet 1.1, whose convolutions carry biases.
    def biases_of_big_networks(model):
        extra = (
            {"features.conv1.0.bias"} if "features.conv1.0.bias" in dict(model.named_parameters()) else set()
        )
        return by_dimension(model) | extra

    fb = lesson10.check_decayed(biases_of_big_networks)
    assert not fb and "squeezenet1_1" in fb.message and "bias" in fb.message


def test_decay_placeholders_errors_and_types():
    assert lesson10.check_decayed(None).status == "unanswered"

    def template(model):
        raise NotImplementedError

    assert lesson10.check_decayed(template).status == "unanswered"
    fb = lesson10.check_decayed(lambda m: m.head.weight)
    assert not fb and "raised AttributeError" in fb.message and "a small network" in fb.message
    fb = lesson10.check_decayed(lambda m: m.fc.weight)
    assert not fb and "Parameter, not a collection" in fb.message
    fb = lesson10.check_decayed(lambda m: 3)
    assert not fb and "collection of names" in fb.message
    fb = lesson10.check_decayed(by_dimension(nn.Linear(2, 2)))
    assert not fb and "function itself" in fb.message


def test_decay_cases_cover_every_kind_of_parameter():
    kinds = set()
    for case in lesson10.DECAY_CASES:
        model = lesson10.decay_case_model(case)
        assert lesson10.decayed_names(model) == by_dimension(model)
        for module in model.modules():
            for p_name, _ in module.named_parameters(recurse=False):
                kinds.add((type(module).__name__, p_name))
    assert {("Conv2d", "bias"), ("BatchNorm2d", "weight"), ("Linear", "weight"), ("Linear", "bias")} <= kinds


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def floor_by_formula(eps: float, c: int) -> tuple[float, float]:
    q_true, q_other = 1 - eps + eps / c, eps / c
    return q_true, -q_true * math.log(q_true) - (c - 1) * q_other * math.log(q_other)


def test_floor_matches_the_formula_and_is_a_minimum():
    q_true, floor = floor_by_formula(lesson10.SMOOTHING, lesson10.CLASSES)
    assert math.isclose(lesson10.loss_floor(), floor, rel_tol=1e-9)
    assert math.isclose(lesson10.loss_floor(0.1, 10), floor_by_formula(0.1, 10)[1], rel_tol=1e-9)
    assert math.isclose(float(lesson10.best_probabilities()[0]), q_true)
    g = torch.Generator().manual_seed(0)
    best = lesson10.best_probabilities().log()[None]
    for _ in range(20):  # any other prediction pays more
        nudged = best + 0.1 * torch.randn(best.shape, generator=g, dtype=torch.float64)
        loss = F.cross_entropy(nudged, torch.tensor([0]), label_smoothing=lesson10.SMOOTHING)
        assert loss.item() > lesson10.loss_floor()


def test_floor_accepts_three_decimals():
    q_true, floor = floor_by_formula(lesson10.SMOOTHING, lesson10.CLASSES)
    assert lesson10.check_floor(q_true, floor)
    assert lesson10.check_floor(round(q_true, 3), round(floor, 3))
    assert lesson10.check_floor("0.802", f"{floor:.3f}")
    assert "ln 100" in lesson10.check_floor(q_true, floor).message


@pytest.mark.parametrize(
    ("loss", "says"),
    [
        (0.0, "without smoothing"),
        (math.log(100), "same score"),
        (None, "unanswered"),
    ],
)
def test_floor_recognises_slips_on_the_loss(loss, says):
    q_true, _ = floor_by_formula(lesson10.SMOOTHING, lesson10.CLASSES)
    fb = lesson10.check_floor(q_true, loss)
    assert not fb
    assert fb.status == "unanswered" if says == "unanswered" else says in fb.message


def test_floor_recognises_other_slips():
    eps, c = lesson10.SMOOTHING, lesson10.CLASSES
    q_true, floor = floor_by_formula(eps, c)
    fb = lesson10.check_floor(q_true, floor / math.log(2))
    assert not fb and "bits" in fb.message
    fb = lesson10.check_floor(q_true, -math.log(q_true))
    assert not fb and "true class's term" in fb.message
    other = -(1 - eps) * math.log(1 - eps) - eps * math.log(eps / (c - 1))
    fb = lesson10.check_floor(q_true, other)
    assert not fb and "other classes only" in fb.message
    fb = lesson10.check_floor(1 - eps, floor)
    assert not fb and "uniform part" in fb.message
    fb = lesson10.check_floor(1.0, floor)
    assert not fb and "everything" in fb.message
    fb = lesson10.check_floor(1.5, floor)
    assert not fb and "between 0 and 1" in fb.message
    fb = lesson10.check_floor(q_true, floor + 0.2)
    assert not fb and "too large" in fb.message and "entropy" in fb.hint
    assert lesson10.check_floor(None, None).status == "unanswered"
    assert lesson10.check_floor(None, floor).status == "unanswered"
    assert not lesson10.check_floor("most", floor)


# --------------------------------------------------------------------------------------------------
# What the lesson says about the recipe
# --------------------------------------------------------------------------------------------------


def test_the_lessons_settings_table_holds():
    """Section 1's claims: SqueezeNet's short budget triples the epochs without augmentation at laptop
    only, an explicit optimizer brings its own rate and decay, and the rate follows the batch."""

    def resolved(name, budget_name, **explicit):
        defaults = models.build_meta(name, num_classes=10, variant="cifar").recipe_defaults
        return Settings.resolve(budget.get(budget_name), None, explicit, defaults)

    laptop, gpu = resolved("squeezenet1_1", "laptop"), resolved("squeezenet1_1", "gpu")
    assert (laptop.epochs, laptop.augment) == (15, False) and (gpu.epochs, gpu.augment) == (30, None)
    sgd = resolved("effnet", "laptop", optimizer="sgd")
    assert (sgd.lr, sgd.weight_decay) == (0.1, 5e-4)
    assert math.isclose(resolved("effnet", "laptop", batch_size=32).lr, 2e-2 / 4)
    assert resolved("effnet", "laptop", epochs=2).augment is False  # short runs see plain images
