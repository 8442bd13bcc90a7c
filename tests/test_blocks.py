"""Every block's output shape, its argument checks, and the channel shuffle's permutation."""

import pytest
import torch
from torch import nn

from smallnets_edu import blocks


def _torchvision_make_divisible(v: float, divisor: int = 8) -> int:
    # The rule as written in datasets-and-references.md (torchvision's _make_divisible).
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


@pytest.mark.parametrize(
    "module, in_shape, out_shape",
    [
        (blocks.ConvBNAct(3, 32, 3, stride=2), (2, 3, 32, 32), (2, 32, 16, 16)),
        (blocks.ConvBNAct(8, 8, (1, 3)), (2, 8, 9, 9), (2, 8, 9, 9)),
        (blocks.pointwise(16, 24), (2, 16, 7, 7), (2, 24, 7, 7)),
        (blocks.grouped(12, 24, groups=3), (2, 12, 5, 5), (2, 24, 5, 5)),
        (blocks.grouped(12, 24, groups=4, kernel_size=3, stride=2), (2, 12, 8, 8), (2, 24, 4, 4)),
        (blocks.depthwise(16), (2, 16, 10, 10), (2, 16, 10, 10)),
        (blocks.depthwise(16, stride=2, multiplier=2), (2, 16, 10, 10), (2, 32, 5, 5)),
        (blocks.DepthwiseSeparable(16, 32, stride=2), (2, 16, 10, 10), (2, 32, 5, 5)),
        (blocks.SpatiallySeparable(8, 16, 3), (2, 8, 6, 6), (2, 16, 6, 6)),
        (blocks.SpatiallySeparable(8, 8, 5, depthwise=True), (2, 8, 6, 6), (2, 8, 6, 6)),
        (blocks.ChannelShuffle(4), (2, 16, 3, 3), (2, 16, 3, 3)),
    ],
)
def test_block_output_shapes(module: nn.Module, in_shape, out_shape):
    x = torch.randn(*in_shape, requires_grad=True)
    y = module(x)
    assert tuple(y.shape) == out_shape
    y.square().sum().backward()  # gradients flow back through every block
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_depthwise_has_one_filter_per_channel():
    conv = blocks.depthwise(10, kernel_size=3)[0]
    assert conv.groups == 10 and tuple(conv.weight.shape) == (10, 1, 3, 3)


def test_separable_is_depthwise_then_pointwise():
    block = blocks.DepthwiseSeparable(8, 16)
    kinds = [(m.groups, m.kernel_size) for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert kinds == [(8, (3, 3)), (1, (1, 1))]


def test_spatially_separable_is_row_then_column():
    block = blocks.SpatiallySeparable(4, 4, 3, depthwise=True)
    kernels = [m.kernel_size for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert kernels == [(1, 3), (3, 1)]


def test_activation_order_and_no_bn():
    act_bn = blocks.ConvBNAct(4, 4, act="leaky_relu", order="act_bn")
    assert isinstance(act_bn[1], nn.LeakyReLU) and isinstance(act_bn[2], nn.BatchNorm2d)
    no_bn = blocks.ConvBNAct(4, 4, bn=False)
    assert no_bn[0].bias is not None and not any(isinstance(m, nn.BatchNorm2d) for m in no_bn)


def test_channel_shuffle_is_the_papers_permutation():
    # ShuffleNet: reshape (g, n), transpose to (n, g), flatten. For 12 channels and 3 groups the
    # reference order is given in datasets-and-references.md.
    assert blocks.shuffle_permutation(12, 3) == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]
    x = torch.randn(2, 12, 4, 4)
    assert torch.equal(blocks.channel_shuffle(x, 3), x[:, [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]])


def test_channel_shuffle_matches_torch_and_is_inverted_by_the_transposed_shuffle():
    x = torch.randn(2, 24, 3, 3)
    assert torch.equal(blocks.channel_shuffle(x, 4), nn.ChannelShuffle(4)(x))
    # Shuffling with g groups is undone by shuffling with C/g groups.
    assert torch.equal(blocks.channel_shuffle(blocks.channel_shuffle(x, 4), 6), x)


def test_channel_shuffle_keeps_channels_last_memory():
    x = torch.randn(2, 12, 4, 5)
    cl = x.contiguous(memory_format=torch.channels_last)
    out = blocks.channel_shuffle(cl, 3)
    assert torch.equal(out, blocks.channel_shuffle(x, 3))
    assert out.is_contiguous(memory_format=torch.channels_last) and not out.is_contiguous()
    # Gradients flow back through the channels-last path as through the plain one.
    leaf = cl.clone().requires_grad_(True)
    (blocks.channel_shuffle(leaf, 3) * torch.arange(12.0).view(1, 12, 1, 1)).sum().backward()
    expected = torch.tensor(blocks.shuffle_permutation(12, 3)).argsort().float().view(1, 12, 1, 1)
    assert torch.equal(leaf.grad, expected.expand_as(leaf))


def test_channel_shuffle_lets_each_group_see_every_group():
    perm = blocks.shuffle_permutation(12, 3)
    for group in range(3):
        sources = {perm[i] // 4 for i in range(group * 4, group * 4 + 4)}
        assert sources == {0, 1, 2}


@pytest.mark.parametrize(
    "value", [3, 8, 11.2, 16 * 0.35, 24 * 0.5, 32 * 1.4, 96 * 0.75, 1280 * 0.35, 320 * 1.3]
)
def test_make_divisible_follows_the_reference_rule(value):
    ours = blocks.make_divisible(value, 8)
    assert ours == _torchvision_make_divisible(value, 8)
    assert ours % 8 == 0 and ours >= 8 and ours >= 0.9 * value


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: blocks.ConvBNAct(0, 8), "in_channels"),
        (lambda: blocks.ConvBNAct(8, -1), "out_channels"),
        (lambda: blocks.grouped(10, 12, groups=4), "groups=4 must divide"),
        (lambda: blocks.grouped(12, 10, groups=4), "groups=4 must divide"),
        (lambda: blocks.depthwise(0), "channels"),
        (lambda: blocks.ConvBNAct(4, 4, kernel_size=0), "kernel"),
        (lambda: blocks.ConvBNAct(4, 4, act="swish"), "unknown activation"),
        (lambda: blocks.SpatiallySeparable(4, 8, depthwise=True), "keeps the channel count"),
        (lambda: blocks.ChannelShuffle(0), "groups"),
        (lambda: blocks.shuffle_permutation(10, 3), "must divide"),
        (lambda: blocks.make_divisible(0), "positive"),
    ],
)
def test_bad_arguments_raise_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_channel_shuffle_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="divide the 10 channels"):
        blocks.channel_shuffle(torch.zeros(1, 10, 2, 2), 3)
