"""Lesson 03's checkers: right answers pass, typical wrong ones get specific help, and no message gives
the solution away. The right answers here are worked out independently of the package: MobileNet's
cost from the paper's Table 1 and TF-slim's width rule, the block from plain ``torch.nn`` layers."""

import pytest
import torch
from torch import nn

from smallnets_edu import paper_figures
from smallnets_edu.exercises import Feedback
from smallnets_edu.exercises import lesson03 as ex

# Independent solutions --------------------------------------------------------------------------------

# MobileNet Table 1: (output channels, stride) of the 13 separable blocks after the 32-filter stem.
TABLE_1 = (
    [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
)


def kind_macs(alpha: float, side: int, classes: int = 1000) -> dict[str, int]:
    """MACs per layer kind of the ImageNet MobileNet, from the paper's formulas."""
    width = lambda c: max(int(c * alpha), 8)  # TF-slim's depth(): truncate, at least 8
    size = (side + 1) // 2  # 3x3 stride 2, padding 1
    channels = width(32)
    out = {"conv": 9 * 3 * channels * size * size, "depthwise": 0, "pointwise": 0}
    for c, stride in TABLE_1:
        size = (size - 1) // stride + 1
        out["depthwise"] += 9 * channels * size * size
        out["pointwise"] += channels * width(c) * size * size
        channels = width(c)
    out["linear"] = channels * classes
    return out


def budget_truth(budget: int) -> tuple[float, int]:
    grid = {
        (e["width_mult"], e["resolution"]): e["top1"]
        for e in paper_figures.figures("mobilenet_v1")
        if e["source"] == "TF-slim mobilenet_v1 table"
    }
    assert len(grid) == 16
    fits = {k: t for k, t in grid.items() if sum(kind_macs(*k).values()) <= budget}
    return max(fits, key=fits.get)


def make_block(
    m,
    n,
    stride,
    *,
    groups_dw=True,
    order="dw_pw",
    stride_on="dw",
    bn=True,
    act=True,
    bias=False,
    padding=1,
):
    """MobileNet's block written out with torch.nn, with switches for the usual mistakes."""
    s_dw, s_pw = (stride, 1) if stride_on == "dw" else (1, stride)

    def tail(c):
        return ([nn.BatchNorm2d(c)] if bn else []) + ([nn.ReLU()] if act else [])

    if order == "full":
        return nn.Sequential(nn.Conv2d(m, n, 3, stride, padding, bias=bias), *tail(n))
    if order == "pw_dw":
        return nn.Sequential(
            nn.Conv2d(m, n, 1, bias=bias),
            *tail(n),
            nn.Conv2d(n, n, 3, stride, padding, groups=n, bias=bias),
            *tail(n),
        )
    return nn.Sequential(
        nn.Conv2d(m, m, 3, s_dw, padding, groups=m if groups_dw else 1, bias=bias),
        *tail(m),
        nn.Conv2d(m, n, 1, s_pw, bias=bias),
        *tail(n),
    )


def leaks(feedback: Feedback, *forms: str) -> bool:
    text = feedback.text() + feedback._repr_html_()
    return any(form in text for form in forms)


# Exercise 1: the block ---------------------------------------------------------------------------------


def test_block_accepts_a_correct_implementation():
    result = ex.check_separable_block(make_block)
    assert result and result.status == "correct", result.text()


def test_block_accepts_the_relu6_of_tf_slim():
    def with_relu6(m, n, stride):
        return nn.Sequential(
            nn.Conv2d(m, m, 3, stride, 1, groups=m, bias=False),
            nn.BatchNorm2d(m),
            nn.ReLU6(inplace=True),
            nn.Conv2d(m, n, 1, bias=False),
            nn.BatchNorm2d(n),
            nn.ReLU6(inplace=True),
        )

    assert ex.check_separable_block(with_relu6)


def test_block_placeholders_are_not_answered_yet():
    def todo(m, n, stride):
        raise NotImplementedError

    for answer in (None, todo):
        result = ex.check_separable_block(answer)
        assert not result and result.status == "unanswered"


@pytest.mark.parametrize(
    ("mistake", "says"),
    [
        ({"order": "full"}, "full 3×3 convolution"),
        ({"groups_dw": False}, "groups=1"),
        ({"order": "pw_dw"}, "first"),
        ({"stride_on": "pw"}, "stride sits on the 1×1"),
        ({"bn": False}, "BatchNorm"),
        ({"act": False}, "activation"),
        ({"bias": True}, "bias"),
        ({"padding": 0}, "pad by 1"),
    ],
)
def test_block_names_the_mistake_without_the_solution(mistake, says):
    result = ex.check_separable_block(lambda m, n, stride: make_block(m, n, stride, **mistake))
    assert not result and result.status == "wrong"
    assert says in result.text(), result.text()
    assert not leaks(result, "groups=in_channels", "groups=m", "groups=channels")


def test_block_reports_errors_and_wrong_types_kindly():
    def broken(m, n, stride):
        raise ValueError("oops")

    result = ex.check_separable_block(broken)
    assert not result and "ValueError" in result.message and "stride=" in result.message
    result = ex.check_separable_block(lambda m, n, stride: torch.zeros(1))
    assert not result and "nn.Module" in result.text()
    result = ex.check_separable_block(3)
    assert not result and "function" in result.message

    def wrong_channels(m, n, stride):
        return nn.Sequential(nn.Conv2d(m + 1, m + 1, 3, stride, 1, groups=m + 1), nn.Conv2d(m + 1, n, 1))

    result = ex.check_separable_block(wrong_channels)
    assert not result and "raised" in result.message


# Exercise 2: off the law -------------------------------------------------------------------------------


def law_truth() -> set[str]:
    wide, thin = kind_macs(1.0, 224), kind_macs(0.5, 224)
    return {k for k in wide if thin[k] * 4 != wide[k]}


def test_law_truth_agrees_with_the_formulas():
    assert ex.kinds_off_the_law() == law_truth()


def test_law_accepts_the_right_kinds_by_name_or_alias():
    truth = law_truth()
    assert ex.check_off_the_law(truth)
    assert ex.check_off_the_law(sorted(truth))
    aliases = {"conv": "first layer", "depthwise": "dw", "linear": "FC", "pointwise": "1x1"}
    assert ex.check_off_the_law({aliases[k] for k in truth})


def test_law_rejects_a_kind_that_follows_the_law_and_says_why():
    follows = sorted(set(ex.KINDS) - law_truth())
    result = ex.check_off_the_law(law_truth() | {follows[0]})
    assert not result and follows[0] in result.message and "α²" in result.message


def test_law_rejects_an_incomplete_answer_without_naming_what_is_missing():
    truth = sorted(law_truth())
    result = ex.check_off_the_law(set(truth[:1]))
    assert not result and "missing" in result.message
    assert not leaks(result, *(f"'{k}'" for k in truth[1:]), *(f"`{k}`" for k in truth[1:]))


def test_law_handles_placeholders_and_odd_answers():
    assert ex.check_off_the_law(None).status == "unanswered"
    result = ex.check_off_the_law({"softmax"})
    assert not result and "softmax" in result.message
    result = ex.check_off_the_law(5)
    assert not result and "set of names" in result.message


# Exercise 3: a model for a budget ----------------------------------------------------------------------


def test_budget_truth_agrees_with_the_formulas():
    assert ex.best_within_budget() == budget_truth(ex.BUDGET_MACS)
    for alpha, side in [(1.0, 224), (0.75, 160), (0.25, 128)]:
        assert ex.mobilenet_macs(alpha, side) == sum(kind_macs(alpha, side).values())


def test_budget_accepts_the_best_model_in_any_pair_form():
    alpha, side = budget_truth(ex.BUDGET_MACS)
    assert ex.check_budget_pick((alpha, side))
    assert ex.check_budget_pick([str(alpha), str(side)])


def test_budget_rejects_a_model_over_budget():
    over = next(k for k in ex.grid() if sum(kind_macs(*k).values()) > ex.BUDGET_MACS)
    result = ex.check_budget_pick(over)
    assert not result and "over the" in result.message


def test_budget_rejects_a_worse_model_that_fits_without_naming_the_best():
    best = budget_truth(ex.BUDGET_MACS)
    fits = [k for k in ex.grid() if sum(kind_macs(*k).values()) <= ex.BUDGET_MACS and k != best]
    assert fits, "the budget should leave a choice"
    result = ex.check_budget_pick(fits[0])
    assert not result and "more accurate" in result.message
    assert not leaks(result, f"{best[0]:g} MobileNet-{best[1]}", f"({best[0]}, {best[1]})")


def test_budget_handles_placeholders_and_odd_answers():
    assert ex.check_budget_pick(None).status == "unanswered"
    result = ex.check_budget_pick((0.3, 160))
    assert not result and "not one of the sixteen" in result.message
    result = ex.check_budget_pick("0.5 at 128")
    assert not result and "pair" in result.message
