"""Lesson 05's checkers: right answers pass, typical wrong ones get specific help, and no message gives
the solution away. The right answers here are worked out independently of the package: the block from
plain ``torch.nn`` layers, the memory from the paper's Table 2, the probability by counting."""

import pytest
from torch import nn

from smallnets_edu.exercises import Feedback
from smallnets_edu.exercises import lesson05 as ex

# MobileNetV2 Table 2 bottleneck rows (t, c, n, s), after a 32-channel stride-2 stem: typed from the paper
# once, in the model's tests, not read from the package.
from tests.test_models_mobilenet_v2 import PAPER_TABLE_2 as TABLE_2

# Independent solutions --------------------------------------------------------------------------------


def streamed_kb(side: int) -> float:
    """Largest of: the input image, every bottleneck output (16-bit values, thousands of bytes)."""
    largest = 3 * side * side
    side = (side + 1) // 2
    for _, c, _, s in TABLE_2:
        side = (side - 1) // s + 1
        largest = max(largest, c * side * side)
    return largest * 2 / 1000


def layer_by_layer_kb(side: int) -> float:
    """The expanded tensor of the first t=6 block: 16 x 6 channels at half the input side."""
    return 96 * ((side + 1) // 2) ** 2 * 2 / 1000


def p_true(n: int) -> float:
    # Each row is active with probability 1/2; recovery needs two or more active rows.
    return 1 - (1 + n) / 2**n


class Block(nn.Module):
    """MobileNetV2's block written out, with switches for the usual mistakes."""

    def __init__(
        self,
        cin,
        cout,
        stride,
        t,
        *,
        act=nn.ReLU6,
        last_act=False,
        shortcut=True,
        expand_from="in",
        depthwise=True,
        stride_on="dw",
        norms=True,
        skip_expand=False,
    ):
        super().__init__()
        hidden = (cin if expand_from == "in" else cout) * t
        layers = []
        if not skip_expand:
            layers += [
                nn.Conv2d(
                    cin, hidden, 1, stride=2 if stride_on == "expand" and stride == 2 else 1, bias=False
                )
            ]
            layers += [nn.BatchNorm2d(hidden)] if norms else []
            layers += [act()]
        else:
            hidden = cin
        dw_stride = stride if stride_on == "dw" else 1
        layers += [nn.Conv2d(hidden, hidden, 3, dw_stride, 1, groups=hidden if depthwise else 1, bias=False)]
        layers += [nn.BatchNorm2d(hidden)] if norms else []
        layers += [act()]
        layers += [nn.Conv2d(hidden, cout, 1, bias=False)]
        layers += [nn.BatchNorm2d(cout)] if norms else []
        layers += [act()] if last_act else []
        self.body = nn.Sequential(*layers)
        self.residual = shortcut and stride == 1 and cin == cout

    def forward(self, x):
        out = self.body(x)
        return x + out if self.residual else out


def variant(**switches):
    return lambda cin, cout, stride, t: Block(cin, cout, stride, t, **switches)


def assert_helpful(feedback: Feedback, *fragments: str):
    assert isinstance(feedback, Feedback)
    assert not feedback.ok and feedback.answered
    text = feedback.text().lower()
    for fragment in fragments:
        assert fragment.lower() in text, (fragment, feedback.text())


# Exercise 1 -------------------------------------------------------------------------------------------


def test_block_correct():
    feedback = ex.check_inverted_residual(variant())
    assert feedback.ok, feedback.text()
    assert "correct" in feedback.text().lower()


def test_block_unanswered():
    def todo(cin, cout, stride, t):
        raise NotImplementedError

    for answer in (None, todo):
        feedback = ex.check_inverted_residual(answer)
        assert not feedback.ok and not feedback.answered


@pytest.mark.parametrize(
    "switches,fragments",
    [
        ({"last_act": True}, ["after the projection", "linear"]),
        ({"act": nn.ReLU}, ["ReLU6"]),
        ({"act": nn.Identity}, ["linear map", "ReLU6"]),
        ({"shortcut": False}, ["add its input back"]),
        ({"expand_from": "out"}, ["not t ×", "input"]),
        ({"depthwise": False}, ["full 3×3", "groups"]),
        ({"stride_on": "expand"}, ["stride is not on the depthwise"]),
        ({"norms": False}, ["BatchNorm"]),
        ({"skip_expand": True}, ["depthwise, pointwise"]),
    ],
)
def test_block_mistakes_are_named(switches, fragments):
    assert_helpful(ex.check_inverted_residual(variant(**switches)), *fragments)


def test_block_that_crashes_is_reported_with_its_input():
    def always_add(cin, cout, stride, t):
        block = Block(cin, cout, stride, t)
        block.residual = True
        return block

    assert_helpful(ex.check_inverted_residual(always_add), "raised", "shortcut")


def test_block_not_a_module():
    assert_helpful(ex.check_inverted_residual(lambda *args: 42), "nn.Module")
    assert_helpful(ex.check_inverted_residual(3), "function")


# Exercise 2 -------------------------------------------------------------------------------------------


def test_memory_correct():
    truth = streamed_kb(ex.MEMORY_RESOLUTION)
    assert ex.streamed_peak_kb() == pytest.approx(truth)
    for answer in (truth, f"{truth:.1f}", round(truth)):
        feedback = ex.check_streamed_memory(answer)
        assert feedback.ok, feedback.text()


def test_memory_unanswered():
    assert not ex.check_streamed_memory(None).answered


@pytest.mark.parametrize(
    "wrong,fragments",
    [
        (lambda kb: kb * 2, ["4 bytes"]),
        (lambda kb: kb * 1000 / 1024, ["KiB"]),
        (lambda kb: kb * 8, ["kilobits"]),
        (lambda kb: layer_by_layer_kb(ex.MEMORY_RESOLUTION), ["expanded"]),
        (lambda kb: streamed_kb(224), ["224×224"]),
        (lambda kb: 3 * ex.MEMORY_RESOLUTION**2 * 2 / 1000, ["input image"]),
        (lambda kb: 32 * (ex.MEMORY_RESOLUTION // 2) ** 2 * 2 / 1000, ["first convolution"]),
        (lambda kb: 1.0, ["is not it"]),
    ],
)
def test_memory_mistakes_are_named(wrong, fragments):
    answer = wrong(streamed_kb(ex.MEMORY_RESOLUTION))
    feedback = ex.check_streamed_memory(answer)
    assert_helpful(feedback, *fragments)
    assert f"{streamed_kb(ex.MEMORY_RESOLUTION):.1f}" not in feedback.text()


def test_memory_not_a_number():
    assert_helpful(ex.check_streamed_memory("lots"), "not a number")


# Exercise 3 -------------------------------------------------------------------------------------------


def test_probability_correct():
    feedback = ex.check_recoverable_probability(p_true)
    assert feedback.ok, feedback.text()
    for n, measured in zip(ex.PROBABILITY_DIMS, ex.measured_recoverable(), strict=True):
        assert measured == pytest.approx(p_true(n), abs=0.03)


@pytest.mark.parametrize(
    "wrong,fragments",
    [
        (lambda n: 1 - 1 / 2**n, ["too optimistic", "onto a line"]),
        (lambda n: 1 - n / 2**n, ["too optimistic"]),
        (lambda n: 1 - (n + 1) / n**2, ["too"]),
        (lambda n: 0.5, ["too"]),
    ],
)
def test_probability_mistakes_are_named(wrong, fragments):
    assert_helpful(ex.check_recoverable_probability(wrong), *fragments)


def test_probability_rejects_non_probabilities():
    assert_helpful(ex.check_recoverable_probability(lambda n: n), "not a probability")
    assert_helpful(ex.check_recoverable_probability(0.25), "function")
    assert not ex.check_recoverable_probability(None).answered


def test_no_message_contains_the_formula():
    for answer in (None, lambda n: 0.5, lambda n: 1 - 1 / 2**n, p_true):
        text = ex.check_recoverable_probability(answer).text()
        assert "(n + 1)" not in text and "n+1" not in text
