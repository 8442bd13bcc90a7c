"""Lesson 08's checkers accept right answers and explain typical wrong ones, without the solution."""

from __future__ import annotations

import pytest

from smallnets_edu import cost, models
from smallnets_edu.exercises import lesson08


def sweep_front(costs, values):
    """An independent solution: sort by cost (then best value first) and keep new bests, ties included."""
    order = sorted(range(len(costs)), key=lambda i: (costs[i], -values[i]))
    front, best, last = [], None, None
    for i in order:
        point = (costs[i], values[i])
        if best is None or values[i] > best or point == last:
            front.append(i)
            best, last = values[i], point
    return front


def check_texts(feedback):
    return feedback.message + " " + (feedback.hint or "")


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def test_front_placeholders_are_unanswered():
    assert lesson08.check_front(None).status == "unanswered"

    def not_yet(costs, values):
        raise NotImplementedError

    assert lesson08.check_front(not_yet).status == "unanswered"


def test_front_accepts_an_independent_solution():
    assert lesson08.check_front(sweep_front)
    assert lesson08.check_front(lambda c, v: list(reversed(sweep_front(c, v))))  # any order
    assert lesson08.check_front(lambda c, v: tuple(sweep_front(c, v)))


def test_front_rejects_strict_domination_only():
    def strict(costs, values):  # keeps points beaten with a tie on one axis
        n = len(costs)
        return [
            i for i in range(n) if not any(costs[j] < costs[i] and values[j] > values[i] for j in range(n))
        ]

    fb = lesson08.check_front(strict)
    assert not fb and "tie" in check_texts(fb).lower()


def test_front_rejects_dropping_duplicates():
    def unique(costs, values):
        seen, out = set(), []
        for i in sweep_front(costs, values):
            if (costs[i], values[i]) not in seen:
                seen.add((costs[i], values[i]))
                out.append(i)
        return out

    fb = lesson08.check_front(unique)
    assert not fb and "identical" in check_texts(fb)


def test_front_rejects_the_wrong_direction_and_types():
    assert not lesson08.check_front(lambda c, v: sweep_front([-x for x in c], v))  # maximised the cost
    fb = lesson08.check_front(lambda c, v: [c[i] for i in sweep_front(c, v)])  # costs, not indices
    assert not fb and "indices" in check_texts(fb)
    fb = lesson08.check_front(lambda c, v: 3)
    assert not fb and "list of indices" in fb.message
    assert "itself" in lesson08.check_front([0, 1]).message
    fb = lesson08.check_front(lambda c, v: 1 / 0)
    assert not fb and "ZeroDivisionError" in fb.message


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def by_hand():
    c, s, k = (lesson08.INTENSITY[key] for key in ("channels", "size", "kernel"))
    activations = 2 * c * s * s
    dw = (k * k * c * s * s) / (4 * (k * k * c + activations))
    pw = (c * c * s * s) / (4 * (c * c + activations))
    return dw, pw


def test_intensity_accepts_the_right_numbers():
    dw, pw = by_hand()
    assert lesson08.check_intensity(dw, pw)
    assert lesson08.check_intensity(round(dw, 2), f"{pw:.1f}")  # rounded, or a string
    assert pw / dw > 10  # the point of the exercise


@pytest.mark.parametrize(
    "slip, words",
    [
        (lambda dw, pw: (4 * dw, pw), "bytes"),
        (lambda dw, pw: (2 * dw, pw), "FLOPs"),
        (lambda dw, pw: (dw, 2 * pw), "FLOPs"),
        (lambda dw, pw: (dw, 4 * pw), "bytes"),
    ],
)
def test_intensity_recognises_slips(slip, words):
    fb = lesson08.check_intensity(*slip(*by_hand()))
    assert not fb and words in fb.message


def test_intensity_recognises_missing_weights_and_groups():
    c, s, k = (lesson08.INTENSITY[key] for key in ("channels", "size", "kernel"))
    dw, pw = by_hand()
    no_weights = (c * c * s * s) / (4 * 2 * c * s * s)
    fb = lesson08.check_intensity(dw, no_weights)
    assert not fb and "weights" in fb.message
    full = cost.conv_macs(c, c, k, s) / (4 * (k * k * c + 2 * c * s * s))
    fb = lesson08.check_intensity(full, pw)
    assert not fb and "groups" in fb.message


def test_intensity_unanswered_and_wrong_types():
    assert lesson08.check_intensity(None, None).status == "unanswered"
    assert lesson08.check_intensity(by_hand()[0], None).status == "unanswered"
    fb = lesson08.check_intensity("many", 3)
    assert not fb and "number" in fb.message
    dw, pw = by_hand()
    fb = lesson08.check_intensity(dw, pw * 1.5)
    assert not fb and f"{pw:.3g}" not in check_texts(fb)  # never the solution


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def fitting_by_hand():
    out = set()
    for name in models.names():
        p = cost.profile(models.build(name, num_classes=10, variant="cifar"), 32)
        if (
            p.peak_activation_bytes <= lesson08.MCU["activation_kib"] * 1024
            and p.params * lesson08.MCU["bytes_per_weight"] <= lesson08.MCU["weight_bytes"]
            and p.macs <= lesson08.MCU["macs"]
        ):
            out.add(name)
    return out


def test_microcontroller_accepts_the_right_set():
    truth = fitting_by_hand()
    assert 1 <= len(truth) < len(models.names())
    assert lesson08.check_microcontroller(truth)
    assert lesson08.check_microcontroller([n.upper() for n in truth])


def test_microcontroller_explains_what_does_not_fit():
    truth = fitting_by_hand()
    too_many = sorted(set(models.names()) - truth)
    fb = lesson08.check_microcontroller(truth | {too_many[0]})
    assert not fb and too_many[0] in fb.message and "does not fit" in fb.message
    fb = lesson08.check_microcontroller(set(sorted(truth)[:1]))
    assert not fb and "more" in fb.message
    for name in truth - set(sorted(truth)[:1]):
        assert name not in check_texts(fb)  # the missing ones are not named
    assert "not a network name" in lesson08.check_microcontroller({"mobilenet"}).message
    assert lesson08.check_microcontroller(None).status == "unanswered"
    assert not lesson08.check_microcontroller(42)
