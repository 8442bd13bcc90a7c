"""Lesson 07's checkers: right answers pass, typical wrong ones get specific help, and no message gives
the solution away. The right answers here are worked out independently of the package: map sizes and
MACs from the two papers' architecture tables and the convolution arithmetic."""

import itertools
import math

import pytest

from smallnets_edu.exercises import Feedback
from smallnets_edu.exercises import lesson07 as ex

# Independent solutions --------------------------------------------------------------------------------

# (output channels, stride) of the separable blocks after the 32-filter, stride-2 stem.
MOBILENET = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5
MOBILENET += [(1024, 2), (1024, 1)]
FD_MOBILENET = [(64, 2), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 4 + [(1024, 1)]


def conv_out(side: int, stride: int) -> int:
    return (side + 2 - 3) // stride + 1  # 3x3, padding 1


def layers(blocks, width=1.0, side=224, rule=lambda c, w: max(1, int(c * w)), classes=1000):
    """(output side, MACs) of every layer: the stem, each depthwise and pointwise layer, the classifier."""
    out = []
    side = conv_out(side, 2)
    c = rule(32, width)
    out.append((side, 27 * c * side * side))
    for channels, stride in blocks:
        n = rule(channels, width)
        side = conv_out(side, stride)
        out.append((side, 9 * c * side * side))
        out.append((side, c * n * side * side))
        c = n
    out.append((1, c * classes))
    return out


def share(blocks, width, side):
    rows = layers(blocks, width)
    return sum(m for s, m in rows if s == side) / sum(m for _, m in rows)


def mobilenet_macs(side):
    return sum(m for _, m in layers(MOBILENET, side=side, rule=lambda c, w: max(int(c * w), 8)))


def leaks(feedback: Feedback, *forms: str) -> bool:
    text = feedback.text() + feedback._repr_html_()
    return any(form in text for form in forms)


# Exercise 1: make MobileNet fast -----------------------------------------------------------------------


def valid_schedules():
    """Every choice of four stride-2 blocks among the first six: each reaches 7x7 by layer 12."""
    for chosen in itertools.combinations(range(6), 4):
        yield [2 if i in chosen else 1 for i in range(13)]


def test_layer_sides_agree_with_the_arithmetic():
    strides = [s for _, s in MOBILENET]
    assert ex.layer_sides(strides) == [s for s, _ in layers(MOBILENET)[:-1]]


@pytest.mark.parametrize("strides", list(valid_schedules()))
def test_fast_strides_accepts_every_valid_schedule(strides):
    result = ex.check_fast_strides(strides)
    assert result and result.status == "correct", result.text()
    blocks = [(c, s) for (c, _), s in zip(MOBILENET, strides, strict=True)]
    macs = sum(m for _, m in layers(blocks))
    assert f"{macs / 1e6:.1f}M" in result.message


def test_fast_strides_accepts_tuples_and_numpy_like_numbers():
    strides = next(valid_schedules())
    assert ex.check_fast_strides(tuple(strides))
    assert ex.check_fast_strides([float(s) for s in strides])


def test_fast_strides_rejects_mobilenets_own_schedule_as_too_late():
    result = ex.check_fast_strides([s for _, s in MOBILENET])
    assert not result and "layer 24" in result.message and "too late" in result.message


def test_fast_strides_rejects_a_late_last_stride():
    strides = [2, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1]  # fourth halving in block 7: layer 14
    result = ex.check_fast_strides(strides)
    assert not result and "layer 14" in result.message


@pytest.mark.parametrize(("halvings", "final", "says"), [(3, 14, "more"), (5, 4, "fewer")])
def test_fast_strides_counts_the_halvings(halvings, final, says):
    strides = [2] * halvings + [1] * (13 - halvings)
    result = ex.check_fast_strides(strides)
    assert not result and f"{final}x{final}" in result.message and says in result.hint


def test_fast_strides_knows_fd_mobilenets_eleven_blocks():
    result = ex.check_fast_strides([s for _, s in FD_MOBILENET])
    assert not result and "11" in result.message and "FD-MobileNet has 11 blocks" in result.hint


def test_fast_strides_handles_placeholders_and_odd_answers():
    assert ex.check_fast_strides(None).status == "unanswered"
    result = ex.check_fast_strides([3] + [1] * 12)
    assert not result and "1 or 2" in result.message
    result = ex.check_fast_strides("2,2,1")
    assert not result and "whole numbers" in result.message
    result = ex.check_fast_strides([1.5] * 13)
    assert not result and "whole numbers" in result.message


def test_fast_strides_wrong_answers_do_not_name_a_schedule():
    for wrong in ([s for _, s in MOBILENET], [2] * 3 + [1] * 10):
        result = ex.check_fast_strides(wrong)
        for good in valid_schedules():
            assert not leaks(result, str(good), str(tuple(good)))


# Exercise 2: the stem at small widths ------------------------------------------------------------------


def test_stem_share_agrees_with_the_arithmetic():
    for width in (1.0, 0.5, 0.25):
        assert math.isclose(ex.stage_share("fd_mobilenet", width), share(FD_MOBILENET, width, 112))


def test_stem_share_accepts_a_fraction_or_a_percentage():
    truth = share(FD_MOBILENET, ex.STEM_WIDTH, ex.STEM_SIDE)
    assert ex.check_stem_share(truth)
    assert ex.check_stem_share(round(truth, 3))
    assert ex.check_stem_share(f"{100 * truth:.2f}")


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (share(FD_MOBILENET, 1.0, 112), "1x"),
        (share(MOBILENET, 0.25, 112), "MobileNet"),
        (1 / 24, "layers"),
        (share(FD_MOBILENET, 0.25, 7), "7x7"),
    ],
)
def test_stem_share_recognises_typical_mistakes(wrong, says):
    result = ex.check_stem_share(wrong)
    assert not result and result.status == "wrong" and says in result.message, result.text()
    truth = share(FD_MOBILENET, ex.STEM_WIDTH, ex.STEM_SIDE)
    assert not leaks(result, f"{truth:.1%}", f"{truth:.3f}", f"{100 * truth:.1f}")


def test_stem_share_handles_placeholders_and_odd_answers():
    assert ex.check_stem_share(None).status == "unanswered"
    result = ex.check_stem_share(2_709_504)
    assert not result and "count of MACs" in result.message
    result = ex.check_stem_share("a fifth")
    assert not result and "not a number" in result.message
    result = ex.check_stem_share(0.9)
    assert not result and "lower" in result.message


# Exercise 3: equal cost by resolution ------------------------------------------------------------------


def resolution_truth():
    target = sum(m for _, m in layers(FD_MOBILENET))
    return min(ex.SIDES, key=lambda r: abs(math.log(mobilenet_macs(r) / target)))


def test_equal_resolution_agrees_with_the_arithmetic():
    assert ex.equal_resolution() == resolution_truth()
    for side in (112, 160, 224):
        assert ex.mobilenet_macs_at(side) == mobilenet_macs(side)


def test_equal_resolution_accepts_the_side_in_any_number_form():
    truth = resolution_truth()
    assert ex.check_equal_resolution(truth)
    assert ex.check_equal_resolution(float(truth))
    assert ex.check_equal_resolution(str(truth))


@pytest.mark.parametrize("offset", [-16, 16])
def test_equal_resolution_rejects_the_neighbours_without_naming_the_answer(offset):
    truth = resolution_truth()
    result = ex.check_equal_resolution(truth + offset)
    assert not result and ("too much" if offset > 0 else "too little") in result.message
    assert not leaks(result, f"MobileNet-{truth}", f" {truth} ")


def test_equal_resolution_handles_placeholders_and_odd_answers():
    assert ex.check_equal_resolution(None).status == "unanswered"
    result = ex.check_equal_resolution(0.5)
    assert not result and "multiplier" in result.message
    result = ex.check_equal_resolution(113)
    assert not result and "multiple of 16" in result.message
    result = ex.check_equal_resolution(512)
    assert not result and "outside" in result.message
    result = ex.check_equal_resolution([112])
    assert not result and "not a number" in result.message
