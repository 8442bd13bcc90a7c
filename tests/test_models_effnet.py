"""EffNet (Freeman et al. 2018, arXiv 1801.06434): the block's cost against the course's formulas,
its downsampling, and the small-image network with EffNet, MobileNet and ShuffleNet blocks.

The course quotes no published figure for this network, so there is none to check: the
references here are the cost formulas of ``smallnets_edu.cost`` and the layer list of the Keras port.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from smallnets_edu import cost, models
from smallnets_edu.blocks import ChannelShuffle
from smallnets_edu.models.effnet import EffNetBlock, build_effnet

BLOCKS = ("effnet", "mobilenet", "shufflenet")
NATIVE = {"cifar": 32, "tiny": 64}


def build(**kw):
    kw.setdefault("variant", "cifar")
    kw.setdefault("num_classes", 10)
    return models.build("effnet", **kw)


@pytest.mark.parametrize("multiplier", [1, 2])
def test_block_cost_matches_formulas(multiplier):
    m, n, h, w = 64, 128, 16, 12
    block = EffNetBlock(m, n, depth_multiplier=multiplier)
    b = n // 2  # bottleneck factor 2
    wide = b * multiplier
    expected_macs = (
        cost.conv_macs(m, b, 1, h, w)  # 1x1 pointwise bottleneck
        + cost.conv_macs(b, wide, (1, 3), h, w, groups=b)  # depthwise 1x3 (depth multiplier)
        + cost.conv_macs(wide, wide, (3, 1), h // 2, w, groups=wide)  # depthwise 3x1 after the 2x1 pool
        + cost.conv_macs(wide, n, (1, 2), h // 2, w // 2)  # 2-tap conv, stride 2 along the width
    )
    assert cost.flop_counter_macs(block, (h, w), in_channels=m) == expected_macs
    expected_weights = (
        cost.conv_params(m, b, 1)
        + cost.conv_params(b, wide, (1, 3), groups=b)
        + cost.conv_params(wide, wide, (3, 1), groups=wide)
        + cost.conv_params(wide, n, (1, 2))
    )
    assert cost.count_params(block, include_bn=False) == expected_weights
    assert cost.count_params(block) == expected_weights + 2 * (b + wide + wide + n)  # BN gamma, beta


def test_pooling_between_the_halves_saves_a_quarter():
    """Pooling after the 1x3 half runs the 3x1 half on half the rows: 3/4 of the unpooled pair's cost."""
    c, size = 64, 16
    block = EffNetBlock(c, 2 * c, depth_multiplier=1)  # bottleneck = c: the pair runs on c channels
    rows = cost.profile(block, size, in_channels=c).layers
    pair = sum(r.macs for r in rows if r.kind in ("depthwise 1x3", "depthwise 3x1"))
    assert pair * 4 == 3 * cost.spatially_separable_macs(c, c, 3, size, depthwise=True)


@pytest.mark.parametrize("h, w", [(16, 12), (15, 13), (2, 2)])
def test_block_halves_both_sides(h, w):
    block = EffNetBlock(8, 16).eval()
    with torch.no_grad():
        out = block(torch.randn(2, 8, h, w))
    assert out.shape == (2, 16, h // 2, w // 2)


def test_block_layer_order_leaky_relu_then_bn():
    block = EffNetBlock(8, 16)
    for unit in (block.pointwise, block.row, block.column, block.reduce):
        assert [type(x) for x in unit] == [nn.Conv2d, nn.LeakyReLU, nn.BatchNorm2d]
    assert block.row[0].out_channels == 2 * block.row[0].in_channels  # depth multiplier 2 by default


def test_network_matches_the_keras_port_layer_list():
    """With depth_multiplier=1 the network is the Keras port's: count its weights from its layer list."""
    total, c_in = 0, 3
    for bottleneck, out in ((32, 64), (64, 128), (128, 256)):
        convs = c_in * bottleneck + 3 * bottleneck + 3 * bottleneck + 2 * bottleneck * out
        bns = 2 * (3 * bottleneck + out)
        total += convs + bns
        c_in = out
    total += 256 * 4 * 4 * 10 + 10  # flatten (4x4x256) -> dense with bias
    assert cost.count_params(build(depth_multiplier=1)) == total


def test_width_mult_scales_blocks():
    net = build(width_mult=0.5)
    assert [blk.out_channels for blk in net.features] == [32, 64, 128]


@pytest.mark.parametrize("variant", ["cifar", "tiny"])
@pytest.mark.parametrize("block", BLOCKS)
def test_profile_matches_flop_counter_and_final_map(variant, block):
    net = build(variant=variant, block=block).eval()
    res = NATIVE[variant]
    assert cost.profile(net, res).macs == cost.flop_counter_macs(net, res)
    with torch.no_grad():
        assert net.features(torch.zeros(1, 3, res, res)).shape[-2:] == (4, 4)


def test_shufflenet_blocks_shuffle_after_the_first():
    net = build(block="shufflenet")
    # Block 1 sees the 3-channel image and runs ungrouped; blocks 2 and 3 use 2 groups and a shuffle.
    assert sum(isinstance(m, ChannelShuffle) for m in net.modules()) == 2


@pytest.mark.parametrize("variant", ["cifar", "tiny"])
@pytest.mark.parametrize("block", BLOCKS)
def test_min_resolution_boundary(variant, block):
    net = build(variant=variant, block=block, width_mult=0.25).eval()
    side = net.min_resolution
    assert side == ((8 if variant == "cifar" else 16) if block == "effnet" else 1)
    with torch.no_grad():
        assert net(torch.zeros(2, 3, side, side)).shape == (2, 10)
        with pytest.raises(ValueError, match="at least"):
            net(torch.zeros(2, 3, side - 1, side - 1))
        if side > 1:  # the check is not stricter than the network: one pixel less really fails
            with pytest.raises(RuntimeError):
                net.classifier(net.features(torch.zeros(2, 3, side - 1, side - 1)))


@pytest.mark.parametrize("block", BLOCKS)
def test_forward_backward_cifar(block):
    net = build(block=block, width_mult=0.5)
    loss = nn.functional.cross_entropy(net(torch.randn(4, 3, 32, 32)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_option_value_errors():
    with pytest.raises(ValueError, match="block must be one of"):
        build(block="resnet")
    with pytest.raises(ValueError, match="depth_multiplier must be 1"):
        build(depth_multiplier=3)
    with pytest.raises(ValueError, match="depth_multiplier applies to the EffNet block only"):
        build(block="mobilenet", depth_multiplier=1)
    with pytest.raises(ValueError, match="cifar, tiny"):
        models.build("effnet", variant="imagenet")
    with pytest.raises(ValueError, match="small images only"):
        build_effnet(num_classes=10, width_mult=1.0, variant="imagenet")
