"""The cost model's formulas against PyTorch's FlopCounterMode, on every layer kind."""

import pytest
import torch
from torch import nn

from smallnets_edu import blocks, cost


def _counter(module: nn.Module, channels: int, size: int) -> int:
    return cost.flop_counter_macs(module, size, in_channels=channels)


@pytest.mark.parametrize(
    "m, n, k, size, groups, stride",
    [
        (3, 32, 3, 32, 1, 2),  # standard stem
        (16, 24, 1, 14, 1, 1),  # pointwise
        (12, 24, 1, 10, 3, 1),  # grouped pointwise
        (16, 32, 3, 9, 4, 2),  # grouped 3x3, odd size, stride 2
        (32, 32, 3, 12, 32, 1),  # depthwise
        (8, 16, 3, 12, 8, 1),  # depthwise with multiplier 2
        (5, 7, 5, 11, 1, 1),  # odd everything
    ],
)
def test_conv_formula_equals_flop_counter(m, n, k, size, groups, stride):
    conv = nn.Conv2d(m, n, k, stride, k // 2, groups=groups, bias=False)
    out = cost.conv_output_size(size, k, stride)
    assert cost.conv_macs(m, n, k, out, groups=groups) == _counter(conv, m, size)
    assert cost.conv_params(m, n, k, groups) == sum(p.numel() for p in conv.parameters())


def test_named_formulas_equal_flop_counter():
    m, n, k, s = 24, 48, 3, 14
    assert cost.standard_conv_macs(m, n, k, s) == _counter(blocks.ConvBNAct(m, n, k), m, s)
    assert cost.pointwise_macs(m, n, s) == _counter(blocks.pointwise(m, n), m, s)
    assert cost.grouped_macs(m, n, 1, s, 4) == _counter(blocks.grouped(m, n, 4), m, s)
    assert cost.depthwise_macs(m, k, s) == _counter(blocks.depthwise(m, k), m, s)
    assert cost.separable_macs(m, n, k, s) == _counter(blocks.DepthwiseSeparable(m, n), m, s)
    spatial = blocks.SpatiallySeparable(m, n, k)
    assert cost.spatially_separable_macs(m, n, k, s) == _counter(spatial, m, s)
    spatial_dw = blocks.SpatiallySeparable(m, m, k, depthwise=True)
    assert cost.spatially_separable_macs(m, m, k, s, depthwise=True) == _counter(spatial_dw, m, s)


def test_linear_formula_equals_flop_counter():
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 10))
    assert cost.linear_macs(48, 10) == _counter(model, 3, 4)


def test_separable_reduction_is_the_ratio_of_the_formulas():
    m = n = 512
    ratio = cost.separable_macs(m, n, 3, 14) / cost.standard_conv_macs(m, n, 3, 14)
    assert ratio == pytest.approx(cost.separable_reduction(n, 3))


def test_mobilenet_table3_worked_example():
    # MobileNet Table 3: one 14x14x512 layer, 3x3, 512 -> 512 (million mult-adds / million params).
    assert cost.standard_conv_macs(512, 512, 3, 14) / 1e6 == pytest.approx(462, abs=0.5)
    assert cost.conv_params(512, 512, 3) / 1e6 == pytest.approx(2.36, abs=0.005)
    assert cost.separable_macs(512, 512, 3, 14) / 1e6 == pytest.approx(52.3, abs=0.05)
    separable_params = cost.conv_params(512, 512, 3, groups=512) + cost.conv_params(512, 512, 1)
    assert separable_params / 1e6 == pytest.approx(0.27, abs=0.005)


def _small_net() -> nn.Module:
    return nn.Sequential(
        blocks.ConvBNAct(3, 16, 3, stride=2),
        blocks.DepthwiseSeparable(16, 32, stride=2),
        blocks.grouped(32, 48, groups=4),
        blocks.ChannelShuffle(4),
        blocks.SpatiallySeparable(48, 48, 3, depthwise=True),
        blocks.depthwise(48, multiplier=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(96, 10),
    )


@pytest.mark.parametrize("resolution", [32, (40, 24)])
def test_profile_sums_to_flop_counter_and_counts_every_parameter(resolution):
    net = _small_net()
    prof = cost.profile(net, resolution)
    assert prof.macs == cost.flop_counter_macs(net, resolution)
    assert sum(layer.params for layer in prof.layers) == sum(p.numel() for p in net.parameters())
    assert prof.params == cost.count_params(net)


def test_profile_names_layer_kinds():
    kinds = {layer.kind for layer in cost.profile(_small_net(), 32).layers}
    expected = {"conv", "depthwise", "pointwise", "grouped pointwise", "depthwise 1x3", "depthwise 3x1"}
    assert expected | {"linear", "batchnorm", "shuffle", "activation", "pool"} <= kinds


def test_profile_activation_memory():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 1))
    prof = cost.profile(net, 10, bytes_per_value=2)
    assert [layer.activation_bytes for layer in prof.layers] == [8 * 100 * 2, 8 * 100 * 2, 4 * 100 * 2]
    # The largest input + output held together: the ReLU (8 in, 8 out channels).
    assert prof.peak_activation_bytes == (8 + 8) * 100 * 2
    assert "4x10x10" in prof.table()


def test_count_params_without_batchnorm():
    net = blocks.ConvBNAct(4, 8, 3)
    assert cost.count_params(net) == 4 * 8 * 9 + 2 * 8
    assert cost.count_params(net, include_bn=False) == 4 * 8 * 9


def test_profile_leaves_training_mode_alone():
    net = _small_net().train()
    cost.profile(net, 32)
    cost.flop_counter_macs(net, 32)
    assert net.training


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cost.conv_macs(0, 8, 3, 10), "in_channels"),
        (lambda: cost.conv_macs(8, 8, 3, 10, groups=3), "groups=3 must divide"),
        (lambda: cost.conv_params(8, -8, 3), "out_channels"),
        (lambda: cost.conv_output_size(4, 7, padding=1), "does not fit"),
        (lambda: cost.separable_reduction(0, 3), "n must be"),
        (lambda: cost.profile(_small_net(), 0), "height"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_latency_measures_something():
    result = cost.latency(_small_net(), 32, batch_size=2, min_run_time=0.05)
    assert result.median > 0 and result.batch_size == 2 and result.images_per_second > 0
    assert torch.get_num_threads() >= 1


@pytest.mark.parametrize("n, text", [(999, "999"), (1500, "1.5k"), (2_500_000, "2.5M"), (3.2e9, "3.2G")])
def test_human(n, text):
    assert cost.human(n) == text
