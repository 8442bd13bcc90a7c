"""MobileNet v1 against the paper's Tables 1-7 and 9 and TF-slim's 16-model table.

Expected numbers come from the paper (arXiv:1704.04861) and TF-slim's checkpoint table, as gathered in
the course's reference notes. ImageNet-size counts use models built on the meta device: FlopCounterMode
sees the same shapes without doing the arithmetic, so the whole grid takes a second.
"""

import functools

import pytest
import torch
from torch import nn

from smallnets_edu import cost, models, paper_figures
from smallnets_edu.models import mobilenet_v1
from tests.helpers import check_min_resolution, meta_model
from tests.helpers import meta_macs as _macs

# Table 1 body: (output channels, stride) of the 13 separable blocks, last dw at stride 1.
PAPER_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
PAPER_BLOCKS += [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


_meta = functools.partial(meta_model, "mobilenet_v1")


def _profile(net: nn.Module, res: int) -> cost.Profile:
    with torch.device("meta"):
        return cost.profile(net, res)


def _weights(net: nn.Module) -> int:
    """Weights of convolutions and the FC layer: what the paper counts (no BatchNorm, no biases)."""
    return sum(m.weight.numel() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def test_table1_blocks():
    assert mobilenet_v1.BLOCKS == PAPER_BLOCKS
    net = _meta()
    built = [(b.out_channels, b.stride) for b in list(net.features)[1:]]
    assert built == PAPER_BLOCKS


def test_map_sizes_follow_table1_input_column():
    net = _meta().eval()
    convs = [m for m in net.features.modules() if isinstance(m, nn.Conv2d)]
    seen = []
    handles = [c.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape[1:]))) for c in convs]
    net(torch.zeros(1, 3, 224, 224, device="meta"))
    for h in handles:
        h.remove()
    table = [(c, h, w) for kind, _, _, (h, w, c) in mobilenet_v1.TABLE_1 if kind.startswith("conv")]
    assert seen == table
    assert net.features(torch.zeros(1, 3, 224, 224, device="meta")).shape[-2:] == (7, 7)  # avg pool 7x7


def test_exact_totals_at_224():
    net = _meta()
    # Exact: the totals behind Table 2's percentages.
    assert _macs(net, 224) == 568_740_352
    assert _weights(net) == 4_209_088
    # PyTorch's count adds BatchNorm gamma/beta (2 x 10,944 channels) and the FC layer's 1,000 biases.
    assert cost.count_params(net, include_bn=True) == 4_231_976
    assert cost.count_params(net, include_bn=False) == 4_209_088 + 1_000


def test_table2_shares():
    net = _meta()
    prof = _profile(net, 224)
    kinds = prof.by_kind()
    weights: dict[str, int] = {}
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            weights[cost.layer_kind(m)] = weights.get(cost.layer_kind(m), 0) + m.weight.numel()
    macs = {k: round(100 * kinds[k]["macs"] / prof.macs, 2) for k in weights}
    params = {k: round(100 * v / sum(weights.values()), 2) for k, v in weights.items()}
    # Table 2 prints two decimals: compare exactly at two decimals. The first layer's Mult-Adds are 1.91%,
    # printed 1.19% (the column then sums to 99.29%: a transposition).
    assert macs == {"conv": 1.91, "depthwise": 3.06, "pointwise": 94.86, "linear": 0.18}
    assert params == {"conv": 0.02, "depthwise": 1.06, "pointwise": 74.59, "linear": 24.33}


def _layer_cost(prof: cost.Profile, prefix: str) -> tuple[int, int]:
    rows = [r for r in prof.layers if r.name.startswith(prefix)]
    return sum(r.macs for r in rows), sum(r.params for r in rows if r.kind != "batchnorm")


def test_table3_one_14x14x512_layer():
    # block7 is the first 512 -> 512 layer at 14x14. Table 3: million Mult-Adds / million params, printed
    # to 3 significant digits, so half a unit of the last digit either way.
    macs, params = _layer_cost(_profile(_meta(), 224), "features.block7.")
    assert abs(macs / 1e6 - 52.3) <= 0.05 and abs(params / 1e6 - 0.27) <= 0.005
    macs, params = _layer_cost(_profile(_meta(separable=False), 224), "features.block7.")
    assert abs(macs / 1e6 - 462) <= 0.5 and abs(params / 1e6 - 2.36) <= 0.005
    macs, params = _layer_cost(_profile(_meta(width_mult=0.75), 224), "features.block7.")
    assert abs(macs / 1e6 - 29.6) <= 0.05 and abs(params / 1e6 - 0.15) <= 0.005
    # rho = 0.714 is 160 / 224: the 14x14 map becomes 10x10.
    macs, params = _layer_cost(_profile(_meta(width_mult=0.75), 160), "features.block7.")
    assert abs(macs / 1e6 - 15.1) <= 0.05 and abs(params / 1e6 - 0.15) <= 0.005


# Paper tables: (width, resolution, options, M Mult-Adds, M params, source)
PAPER_ROWS = [
    (1.0, 224, {}, 569, 4.2, "Table 4/6/7"),
    (1.0, 224, {"separable": False}, 4866, 29.3, "Table 4 Conv MobileNet"),
    (0.75, 224, {}, 325, 2.6, "Table 5/6"),
    (1.0, 224, {"shallow": True}, 307, 2.9, "Table 5 shallow"),
    (0.5, 224, {}, 149, 1.3, "Table 6"),
    (0.25, 224, {}, 41, 0.5, "Table 6"),
    (1.0, 192, {}, 418, 4.2, "Table 7"),
    (1.0, 160, {}, 290, 4.2, "Table 7"),
    (1.0, 128, {}, 186, 4.2, "Table 7"),
    (0.5, 160, {}, 76, 1.32, "Table 9"),
]


@pytest.mark.parametrize("width, res, options, macs, params, source", PAPER_ROWS)
def test_paper_tables(width, res, options, macs, params, source):
    net = _meta(width_mult=width, **options)
    ours = _macs(net, res) / 1e6
    if not options.get("separable", True):
        # Table 4's Conv MobileNet figure leaves out the FC layer's 1.024M: 4867.3M with it, 4866.3M
        # without (the MobileNet row next to it includes it: 568.7M -> 569).
        ours -= 1024 * 1000 / 1e6
    # Mult-Adds are printed as whole millions, some rounded and some cut (290.7 -> 290, 149.5 -> 149):
    # within one unit of the last digit.
    assert abs(ours - macs) < 1.0, (source, ours)
    # Parameters are weights (no BatchNorm), printed to 0.1M (Table 9: 0.01M): half a unit either way.
    half_unit = 0.005 if source == "Table 9" else 0.05
    assert abs(_weights(net) / 1e6 - params) <= half_unit, (source, _weights(net))


SLIM_GRID = {
    1.0: (4.24, {224: 569, 192: 418, 160: 291, 128: 186}),
    0.75: (2.59, {224: 317, 192: 233, 160: 162, 128: 104}),
    0.5: (1.34, {224: 150, 192: 110, 160: 77, 128: 49}),
    0.25: (0.47, {224: 41, 192: 34, 160: 21, 128: 14}),
}


@pytest.mark.parametrize("width", list(SLIM_GRID))
def test_tf_slim_grid(width):
    params, row = SLIM_GRID[width]
    net = _meta(width_mult=width, num_classes=1001)  # TF-slim's checkpoints have 1001 classes
    # TF-slim does not say what its parameter column counts; ours with BatchNorm is within 0.6% of it
    # (4.233M vs 4.24M, 1.332M vs 1.34M): 1%.
    assert abs(cost.count_params(net) / 1e6 - params) <= 0.01 * params
    for res, macs in row.items():
        ours = _macs(net, res) / 1e6
        if (width, res) == (0.25, 192):
            continue  # a misprint: see test_resolution_scales_macs_by_rho_squared
        if width == 0.75:
            # TF-slim's 0.75 rows are 2.6% below the count, while the paper's Tables 5 and 6 print our
            # 325M: two published sources disagree, so 5%.
            assert abs(ours - macs) <= 0.05 * macs, (width, res, ours)
        else:
            # Printed to whole millions: within one unit of the last digit.
            assert abs(ours - macs) < 1.0, (width, res, ours)


def test_resolution_scales_macs_by_rho_squared():
    # Every map at 192 is 6/7 of the one at 224 (both are multiples of 32), so the convolutions cost
    # exactly (6/7)**2 as much; the FC layer does not depend on resolution.
    net = _meta(width_mult=0.25)
    fc = 256 * 1000
    assert (_macs(net, 192) - fc) * 49 == (_macs(net, 224) - fc) * 36
    # Hence TF-slim's "34" for 0.25-192 is not this network's count (about 30.2M; 41M x 36/49 = 30.1M).
    assert abs(_macs(net, 192) / 1e6 - 41 * 36 / 49) < 0.5


def test_smallest_grid_model_in_detail():
    net = _meta(width_mult=0.25)
    # About 13.6M MACs and 464,600 params (weights and FC bias, no BatchNorm), 257,000 in the FC layer.
    assert abs(_macs(net, 128) / 1e6 - 13.6) <= 0.05
    assert cost.count_params(net, include_bn=False) == 464_600
    assert sum(p.numel() for p in net.classifier.parameters()) == 257_000


def test_shallow_and_conv_options():
    plain, shallow, full = _meta(), _meta(shallow=True), _meta(separable=False)
    assert len(plain.features) - len(shallow.features) == 5
    # The same five blocks go at any width (the rule reads Table 1's channels, not the scaled ones).
    assert len(_meta(width_mult=0.5).features) - len(_meta(width_mult=0.5, shallow=True).features) == 5
    assert all(isinstance(block, mobilenet_v1.ConvBNAct) for block in list(full.features)[1:])
    assert all(b[0].kernel_size == (3, 3) and b[0].groups == 1 for b in list(full.features)[1:])


SIZES = {"imagenet": 224, "cifar": 32, "tiny": 64}


@pytest.mark.parametrize("variant", list(SIZES))
@pytest.mark.parametrize("options", [{}, {"shallow": True}, {"separable": False}])
def test_profile_equals_flop_counter(variant, options):
    net = _meta(variant=variant, num_classes=10, **options)
    assert _profile(net, SIZES[variant]).macs == _macs(net, SIZES[variant])


@pytest.mark.parametrize("variant, side", [("imagenet", 7), ("cifar", 2), ("tiny", 4)])
def test_variant_final_maps(variant, side):
    net = _meta(variant=variant)
    assert net.features(torch.zeros(1, 3, SIZES[variant], SIZES[variant], device="meta")).shape[-2:] == (
        side,
        side,
    )


def test_small_variants_keep_the_parameters():
    # Only the stem's stride changes: same layers, same parameter count as the ImageNet network.
    assert cost.count_params(_meta(variant="cifar")) == cost.count_params(_meta(variant="tiny")) == 4_231_976


@pytest.mark.parametrize(
    "options", [{"shallow": "yes"}, {"shallow": 1}, {"separable": None}, {"separable": 0}]
)
def test_option_values_are_checked(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        models.build("mobilenet_v1", **options)


def test_width_rounding():
    # TF-slim: max(int(c * alpha), 8). The paper's multipliers give exact multiples of 8.
    assert [mobilenet_v1.depth(32, a) for a in (1.0, 0.75, 0.5, 0.25)] == [32, 24, 16, 8]
    assert mobilenet_v1.depth(32, 0.35) == 11  # truncated, not rounded to a multiple of 8
    assert mobilenet_v1.depth(1024, 0.001) == 8  # never below 8 channels
    net = models.build("mobilenet_v1", width_mult=0.35, variant="cifar", num_classes=10)
    assert net.features.conv1[0].out_channels == 11
    assert net.classifier[-1].in_features == 358  # int(1024 * 0.35)


@pytest.mark.parametrize("variant", list(SIZES))
def test_min_resolution(variant):
    net = models.build("mobilenet_v1", variant=variant, width_mult=0.25, num_classes=7).eval()
    # Every convolution is padded 3x3 or 1x1 and the pool is global: a 1x1 input runs.
    assert net.min_resolution == 1
    check_min_resolution(net, batch=1, num_classes=7)
    with pytest.raises(ValueError, match="1x0"):
        net(torch.zeros(1, 3, 1, 0))


def test_published_figures():
    keys = {"name", "width_mult", "resolution", "options", "params", "macs", "top1", "source", "note"}
    for entry in mobilenet_v1.PUBLISHED:
        assert set(entry) == keys
        _meta(width_mult=entry["width_mult"], **entry["options"])
    grid = [e for e in mobilenet_v1.PUBLISHED if e["source"] == "TF-slim mobilenet_v1 table"]
    assert len(grid) == 16
    assert paper_figures.lookup("mobilenet_v1", 1.0, 224, separable=False)["top1"] == 71.7
    assert paper_figures.lookup("mobilenet_v1", 0.5, 160)["top1"] == 60.2
