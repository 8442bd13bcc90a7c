"""FD-MobileNet against the authors' architecture and figures, and the third-party counts of imgclsmob.

Expected numbers come from the paper (arXiv:1802.03750), the authors' repository and osmr/imgclsmob, as
gathered in the course's reference notes. ImageNet-size counts use models built on the meta device.
"""

import functools

import pytest
import torch
from torch import nn

from smallnets_edu import cost, models, paper_figures
from smallnets_edu.models import fd_mobilenet
from tests.helpers import check_min_resolution, meta_model
from tests.helpers import meta_macs as _macs

# The authors' code: block channels and strides; stem 3x3/2 x32.
AUTHORS_CHANNELS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 1024]
AUTHORS_STRIDES = [2, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1]
SIZES = {"imagenet": 224, "cifar": 32, "tiny": 64}


_meta = functools.partial(meta_model, "fd_mobilenet")


def test_architecture_is_the_authors():
    assert fd_mobilenet.BLOCKS == list(zip(AUTHORS_CHANNELS, AUTHORS_STRIDES, strict=True))
    net = _meta()
    assert net.features.conv1[0].out_channels == 32 and net.features.conv1.stride == (2, 2)
    blocks = list(net.features)[1:]
    assert [b.out_channels for b in blocks] == AUTHORS_CHANNELS
    assert [b.stride for b in blocks] == AUTHORS_STRIDES
    # 24 layers: 1 convolution, 11 separable blocks of 2, 1 FC.
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 24


def test_fast_downsampling():
    net = _meta().eval()
    convs = [m for m in net.features.modules() if isinstance(m, nn.Conv2d)]
    sides = []
    handles = [c.register_forward_hook(lambda m, i, o: sides.append(o.shape[-1])) for c in convs]
    net(torch.zeros(1, 3, 224, 224, device="meta"))
    for h in handles:
        h.remove()
    # 32x downsampling (224 -> 7) within the first 12 layers, then 7x7 for the rest.
    assert sides.index(7) == 11
    assert set(sides[11:]) == {7}
    table = {row[1]: row[3] for row in fd_mobilenet.TABLE_1 if row[0] == "dw-sep"}  # channels -> side
    assert table == {64: 56, 128: 28, 256: 14, 512: 7, 1024: 7}


@pytest.mark.parametrize(
    "width, paper_macs, osmr_params, osmr_flops",
    [(1.0, 144, 2_901_288, 146.08), (0.5, 40, 993_928, 40.93), (0.25, 12, 383_160, 12.44)],
)
def test_counts_at_224(width, paper_macs, osmr_params, osmr_flops):
    net = _meta(width_mult=width)
    macs = _macs(net, 224)
    # The paper's MFLOPs are multiply-accumulates printed to whole millions: half a million either way.
    assert abs(macs / 1e6 - paper_macs) <= 0.5, macs
    # imgclsmob's parameter count is exact and, like PyTorch's, includes BatchNorm and the FC bias.
    assert cost.count_params(net, include_bn=True) == osmr_params
    # imgclsmob's FLOPs add one operation per ReLU output, per value entering the global pool and per
    # FC bias to the multiply-accumulates; printed to 0.01M, so 0.005M either way.
    with torch.device("meta"):
        prof = cost.profile(net, 224)
    relu_outputs = sum(torch.Size(r.output_shape).numel() for r in prof.layers if r.kind == "activation")
    pooled = next(r for r in prof.layers if r.kind == "pool")
    pool_inputs = pooled.working_bytes // prof.bytes_per_value - torch.Size(pooled.output_shape).numel()
    extra = relu_outputs + pool_inputs + 1000
    assert abs((macs + extra) / 1e6 - osmr_flops) <= 0.005, (macs, extra)


def test_cheaper_than_half_mobilenet_at_the_same_budget():
    # The paper compares 1x FD-MobileNet (144M) with 0.5 MobileNet (149M, Table 6): fewer MACs and 4x
    # the width, because most layers run on 7x7.
    with torch.device("meta"):
        mobilenet = models.build("mobilenet_v1", width_mult=0.5)
    assert _macs(_meta(), 224) < _macs(mobilenet, 224)


@pytest.mark.parametrize("variant", list(SIZES))
def test_profile_equals_flop_counter(variant):
    net = _meta(variant=variant, num_classes=10)
    with torch.device("meta"):  # shapes only: the same counts without the arithmetic
        assert cost.profile(net, SIZES[variant]).macs == cost.flop_counter_macs(net, SIZES[variant])


@pytest.mark.parametrize("variant, side", [("imagenet", 7), ("cifar", 4), ("tiny", 4)])
def test_variant_final_maps(variant, side):
    net = _meta(variant=variant)
    res = SIZES[variant]
    assert net.features(torch.zeros(1, 3, res, res, device="meta")).shape[-2:] == (side, side)


def test_small_variants_keep_the_parameters():
    assert cost.count_params(_meta(variant="cifar")) == cost.count_params(_meta()) == 2_901_288


def test_width_truncation():
    # The authors' int(c * width): 32 * 0.3 = 9.6 -> 9 (rounding would give 10), 1024 * 0.3 -> 307.
    assert fd_mobilenet.width(32, 0.3) == 9
    assert fd_mobilenet.width(1024, 0.3) == 307
    assert fd_mobilenet.width(32, 0.01) == 1  # at least one channel
    net = models.build("fd_mobilenet", width_mult=0.3, variant="cifar", num_classes=10)
    assert net.features.conv1[0].out_channels == 9 and net.classifier[-1].in_features == 307
    tiny = models.build("fd_mobilenet", width_mult=0.01, variant="cifar", num_classes=4)
    assert tiny(torch.zeros(2, 3, 32, 32)).shape == (2, 4)


def test_options():
    assert models.options("fd_mobilenet") == {"classifier_init": "scaled"}
    with pytest.raises(ValueError, match="width_mult"):
        models.build("fd_mobilenet", width_mult=0)


@pytest.mark.parametrize("variant", list(SIZES))
def test_min_resolution(variant):
    net = models.build("fd_mobilenet", variant=variant, width_mult=0.25, num_classes=7).eval()
    # Every convolution is padded 3x3 or 1x1 and the pool is global: a 1x1 input runs.
    assert net.min_resolution == 1
    check_min_resolution(net, batch=1, num_classes=7)


def test_published_figures():
    keys = {"name", "width_mult", "resolution", "options", "params", "macs", "top1", "source", "note"}
    assert all(set(e) == keys for e in fd_mobilenet.PUBLISHED)
    assert sorted(e["top1"] for e in fd_mobilenet.PUBLISHED if e["top1"]) == [45.1, 56.3, 65.3]
    assert paper_figures.lookup("fd_mobilenet", 0.25)["macs"] == 12_000_000
