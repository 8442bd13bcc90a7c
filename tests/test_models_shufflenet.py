"""ShuffleNet v1 against the paper (Zhang et al. 2017, arXiv 1707.01083) and its own rules.

Expected numbers come from the paper's Tables 1, 2 and 5 and from MobileNetV2's Table 4; MACs are
``FlopCounterMode`` FLOPs / 2 at 224x224 with 1000 classes, as the paper counts ("FLOPs" = mult-adds).
"""

from __future__ import annotations

import pytest
import torch

from smallnets_edu import cost, models, paper_figures
from smallnets_edu.blocks import ChannelShuffle
from smallnets_edu.models.shufflenet_v1 import TABLE1_STAGE_CHANNELS, ShuffleUnit
from tests.helpers import check_min_resolution, check_profile_and_final_map


def build(**kw):
    return models.build("shufflenet_v1", **kw)


def macs(model, resolution=224):
    return cost.flop_counter_macs(model, resolution)


# ShuffleNet Table 1: complexity at 1x, per number of groups.
@pytest.mark.parametrize("groups, mflops", [(1, 143), (2, 140), (3, 137), (4, 133), (8, 137)])
def test_table1_complexity(groups, mflops):
    got = macs(build(groups=groups)) / 1e6
    # 1.5%: Table 1 rounds to whole MFLOPs, and its per-g figures are themselves approximate: Table 5
    # quotes the 1x g=8 model at 140M where Table 1 says 137M (a 2% disagreement inside the paper).
    assert got == pytest.approx(mflops, rel=0.015), f"g={groups}: {got:.2f}M vs Table 1's {mflops}M"


@pytest.mark.parametrize("scale, mflops", [(2.0, 524), (1.5, 292), (0.5, 38)])
def test_table5_complexity(scale, mflops):
    """Table 5's ShuffleNet 2x / 1.5x (g=3) and 0.5x (g=4) models, to the whole MFLOP."""
    groups = 4 if scale == 0.5 else 3
    got = macs(build(width_mult=scale, groups=groups)) / 1e6
    # 0.5M: the paper rounds to whole MFLOPs, and the authors' released stems (48 at 2x, 24 at 1.5x,
    # 12 at 0.5x) are what the course uses, so the count should round to exactly the printed figure.
    assert abs(got - mflops) <= 0.5, f"{scale}x: {got:.2f}M vs Table 5's {mflops}M"


def test_table5_g8_between_the_papers_two_figures():
    got = macs(build(groups=8)) / 1e6
    # The paper gives this model as 137M (Table 1) and 140M (Table 5); both within 1.5% of ours.
    assert got == pytest.approx(137, rel=0.015) and got == pytest.approx(140, rel=0.015), got


@pytest.mark.parametrize("scale, mflops", [(0.5, 38), (0.25, 13)])
@pytest.mark.parametrize("groups", [1, 2, 3, 4])
def test_table2_small_models(scale, mflops, groups):
    got = macs(build(width_mult=scale, groups=groups)) / 1e6
    # 4%: Table 2 prints one headline complexity per scale for every g; at 1x the paper's own per-g
    # figures (133-143M) spread +-4% around its headline 140M, so no tighter match can be expected.
    # (g=8 is left out: at 0.25x it comes to 15.7M, see the builder's docstring.)
    assert got == pytest.approx(mflops, rel=0.04), f"{scale}x g={groups}: {got:.2f}M vs {mflops}M"


@pytest.mark.parametrize("scale, millions", [(1.5, 3.4), (2.0, 5.4)])
def test_params_quoted_by_mobilenet_v2(scale, millions):
    got = cost.count_params(build(width_mult=scale, groups=3), include_bn=False) / 1e6
    # 0.05M: MobileNetV2's Table 4 rounds to 0.1M; paper counts leave BatchNorm out.
    assert abs(got - millions) <= 0.05, f"{scale}x g=3: {got:.3f}M vs {millions}M"


@pytest.mark.parametrize("groups", [1, 3, 8])
def test_table1_structure(groups):
    """Table 1 widths at 1x, 1/4 bottlenecks, dense first pointwise of stage 2, concat branch widths."""
    net = build(groups=groups)
    units = [u for u in net.modules() if isinstance(u, ShuffleUnit)]
    assert [len(getattr(net.features, f"stage{i}")) for i in (2, 3, 4)] == [4, 8, 4]
    assert (
        tuple(getattr(net.features, f"stage{i}")[-1].out_channels for i in (2, 3, 4))
        == (TABLE1_STAGE_CHANNELS[groups])
    )
    assert net.features.conv1.out_channels == 24
    for unit in units:
        assert unit.bottleneck * 4 == unit.out_channels
        expand_out = unit.expand[0].out_channels
        if unit.stride == 2:
            assert expand_out == unit.out_channels - unit.in_channels
        else:
            assert expand_out == unit.out_channels
        assert unit.expand[0].groups == groups
    assert units[0].compress[0].groups == 1
    assert all(u.compress[0].groups == groups for u in units[1:])


def test_stem_scaling_follows_the_released_models():
    # Authors' released models (paper-facts): 48 for 2x and 12 for 0.5x with g=3.
    assert build(width_mult=2.0, groups=3).features.conv1.out_channels == 48
    assert build(width_mult=0.5, groups=3).features.conv1.out_channels == 12


def _group_gradients(shuffle: bool) -> torch.Tensor:
    """|d output group 0 / d input group j| summed, for j = 0, 1, 2, through a stride-1 unit with g=3."""
    torch.manual_seed(0)
    unit = ShuffleUnit(48, 48, groups=3, stride=1, shuffle=shuffle).eval()
    x = torch.randn(2, 48, 6, 6, requires_grad=True)
    unit(x)[:, :16].sum().backward()
    return x.grad.abs().sum(dim=(0, 2, 3)).view(3, 16).sum(dim=1)


def test_channel_shuffle_mixes_groups():
    with_shuffle = _group_gradients(True)
    without = _group_gradients(False)
    # With the shuffle, output group 0 depends on every input group; without it, only on its own
    # (the identity shortcut and two grouped convs never cross groups).
    assert (with_shuffle > 1e-6).all(), with_shuffle
    assert without[0] > 1e-6 and torch.all(without[1:] == 0), without


def test_shuffle_option_removes_every_shuffle():
    # 16 units; the first (dense first pointwise) needs no shuffle.
    assert sum(isinstance(m, ChannelShuffle) for m in build(groups=3).modules()) == 15
    assert sum(isinstance(m, ChannelShuffle) for m in build(groups=3, shuffle=False).modules()) == 0
    # g=1 has nothing to shuffle.
    assert sum(isinstance(m, ChannelShuffle) for m in build(groups=1).modules()) == 0


@pytest.mark.parametrize(
    "variant, resolution, final", [("imagenet", 224, 7), ("cifar", 32, 4), ("tiny", 64, 4)]
)
def test_variants_profile_and_final_map(variant, resolution, final):
    check_profile_and_final_map(build(variant=variant, num_classes=10, groups=3).eval(), resolution, final)


@pytest.mark.parametrize("variant", ["imagenet", "cifar", "tiny"])
def test_min_resolution_boundary(variant):
    net = build(variant=variant, num_classes=10, width_mult=0.5).eval()
    side = net.min_resolution
    assert side == 1  # every strided layer is a padded 3x3 window: ceil(n / 2) never reaches 0
    check_min_resolution(net, batch=2, num_classes=10)


def test_forward_backward_cifar():
    net = build(variant="cifar", num_classes=10, groups=3, width_mult=0.5)
    x = torch.randn(4, 3, 32, 32)
    loss = torch.nn.functional.cross_entropy(net(x), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


@pytest.mark.parametrize("bad", [0, 5, 6, 16, "3", 3.0, True])
def test_groups_value_errors(bad):
    with pytest.raises(ValueError, match="groups must be one of 1, 2, 3, 4, 8"):
        build(groups=bad)


def test_shuffle_value_error():
    with pytest.raises(ValueError, match="shuffle must be True or False"):
        build(shuffle="yes")


def test_too_small_width_error():
    with pytest.raises(ValueError, match="width_mult"):
        build(width_mult=0.05, groups=3)


def test_published_figures():
    entry = paper_figures.lookup("shufflenet_v1", 2.0, 224, groups=3)
    assert entry["macs"] == 524_000_000 and entry["top1"] == pytest.approx(73.7)
    assert paper_figures.lookup("shufflenet_v1", 1.0, 224, groups=8, shuffle=False)["top1"] == pytest.approx(
        62.4
    )
    for entry in paper_figures.figures("shufflenet_v1"):
        assert set(entry) >= {"name", "width_mult", "resolution", "options", "params", "macs", "top1"}
        assert entry["top1"] is None or 40 < entry["top1"] < 80


def test_residual_branches_of_a_network_start_at_zero():
    """Stride-1 units of a built network start as the identity (zero-scale last BatchNorm); the
    stride-2 units and a unit built on its own keep a live branch."""
    net = models.build("shufflenet_v1", variant="cifar", num_classes=10)
    units = [m for m in net.modules() if isinstance(m, ShuffleUnit)]
    assert len(units) == 16
    for unit in units:
        scale = unit.expand[1].weight
        assert (scale == 0).all() if unit.stride == 1 else (scale != 0).all()
    x = torch.rand(2, units[1].in_channels, 8, 8)  # non-negative, as after a ReLU
    assert torch.equal(units[1].eval()(x), x)
    alone = ShuffleUnit(48, 48, 3)
    assert (alone.expand[1].weight != 0).all()
