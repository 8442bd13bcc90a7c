"""MobileNet v1: a 3x3 convolution, then thirteen depthwise-separable blocks, global pooling, one FC.

Howard, Zhu, Chen, Kalenichenko, Wang, Weyand, Andreetto, Adam (2017), "MobileNets: Efficient
Convolutional Neural Networks for Mobile Vision Applications", arXiv:1704.04861.

Variants (the separable blocks keep the paper's strides in all three):

=========== =========== ============================================ ===========================
variant     stem stride maps (input: after stem, then per stage)     why
=========== =========== ============================================ ===========================
imagenet    2           224: 112, 112, 56, 28, 14, 7                 the paper's Table 1
cifar       1           32: 32, 32, 16, 8, 4, 2                      kuangliu/pytorch-cifar's
                                                                     MobileNet (stem stride 1)
tiny        1           64: 64, 64, 32, 16, 8, 4                     the same network; a 64x64
                                                                     image ends on a 4x4 map
=========== =========== ============================================ ===========================

The CIFAR network is kuangliu's, with the result it is known for (about 92% on CIFAR-10 in community
runs); it ends on a 2x2 map of 32x32 images. Removing one more stride-2 would give 4x4, at four times
the cost of every later layer and with no published result to compare against. For Tiny-ImageNet the
same single change (stem stride 1) leaves 4x4 at the end, as the paper's network has 7x7 of 224.

Every convolution is 3x3 with padding 1 (or 1x1), and the head is a global average pool, so any
input of at least 1x1 runs: ``min_resolution`` is 1 in every variant (below 32 pixels the ImageNet
network's last maps are 1x1, which runs but is of little use).
"""

from __future__ import annotations

from torch import nn

from ..blocks import ConvBNAct, DepthwiseSeparable
from ._registry import NO_SHORTCUT_RECIPE, SmallNet, register

# MobileNet Table 1: MobileNet Body Architecture, one row per layer as printed:
# (type, stride, filter shape, input size). The paper prints the 512-channel pair once with "5x";
# it is written out here.
TABLE_1: list[tuple[str, int, tuple[int, ...], tuple[int, int, int]]] = [
    ("conv", 2, (3, 3, 3, 32), (224, 224, 3)),
    ("conv dw", 1, (3, 3, 32), (112, 112, 32)),
    ("conv", 1, (1, 1, 32, 64), (112, 112, 32)),
    ("conv dw", 2, (3, 3, 64), (112, 112, 64)),
    ("conv", 1, (1, 1, 64, 128), (56, 56, 64)),
    ("conv dw", 1, (3, 3, 128), (56, 56, 128)),
    ("conv", 1, (1, 1, 128, 128), (56, 56, 128)),
    ("conv dw", 2, (3, 3, 128), (56, 56, 128)),
    ("conv", 1, (1, 1, 128, 256), (28, 28, 128)),
    ("conv dw", 1, (3, 3, 256), (28, 28, 256)),
    ("conv", 1, (1, 1, 256, 256), (28, 28, 256)),
    ("conv dw", 2, (3, 3, 256), (28, 28, 256)),
    ("conv", 1, (1, 1, 256, 512), (14, 14, 256)),
    ("conv dw", 1, (3, 3, 512), (14, 14, 512)),  # 5x, 1 of 5
    ("conv", 1, (1, 1, 512, 512), (14, 14, 512)),
    ("conv dw", 1, (3, 3, 512), (14, 14, 512)),  # 2 of 5
    ("conv", 1, (1, 1, 512, 512), (14, 14, 512)),
    ("conv dw", 1, (3, 3, 512), (14, 14, 512)),  # 3 of 5
    ("conv", 1, (1, 1, 512, 512), (14, 14, 512)),
    ("conv dw", 1, (3, 3, 512), (14, 14, 512)),  # 4 of 5
    ("conv", 1, (1, 1, 512, 512), (14, 14, 512)),
    ("conv dw", 1, (3, 3, 512), (14, 14, 512)),  # 5 of 5
    ("conv", 1, (1, 1, 512, 512), (14, 14, 512)),
    ("conv dw", 2, (3, 3, 512), (14, 14, 512)),
    ("conv", 1, (1, 1, 512, 1024), (7, 7, 512)),
    # Printed "Conv dw / s2": a typo. The next row's input is still 7x7, and the paper's totals
    # (569M Mult-Adds) need stride 1 here.
    ("conv dw", 1, (3, 3, 1024), (7, 7, 1024)),
    ("conv", 1, (1, 1, 1024, 1024), (7, 7, 1024)),
    ("avg pool", 1, (7, 7), (7, 7, 1024)),
    ("fc", 1, (1024, 1000), (1, 1, 1024)),
    ("softmax", 1, (), (1, 1, 1000)),
]

STEM_CHANNELS = TABLE_1[0][2][-1]
# (output channels, stride) of the 13 depthwise-separable blocks, read off Table 1's dw / 1x1 pairs.
BLOCKS: list[tuple[int, int]] = [
    (TABLE_1[i + 1][2][-1], TABLE_1[i][1]) for i in range(1, len(TABLE_1) - 3, 2)
]
MIN_DEPTH = 8  # TF-slim's min_depth: no layer narrower than 8 channels
STEM_STRIDE = {"imagenet": 2, "cifar": 1, "tiny": 1}

PAPER = (
    "Howard, Zhu, Chen, Kalenichenko, Wang, Weyand, Andreetto, Adam (2017). MobileNets: Efficient "
    "Convolutional Neural Networks for Mobile Vision Applications. arXiv:1704.04861"
)


def _published(width, res, params, macs, top1, source, note, **options) -> dict:
    return {
        "name": "mobilenet_v1",
        "width_mult": width,
        "resolution": res,
        "options": options,
        "params": params,
        "macs": macs,
        "top1": top1,
        "source": source,
        "note": note,
    }


_PAPER_NOTE = (
    "Mult-Adds are multiply-accumulates; parameters are weights (no BatchNorm), in millions as printed."
)
_SLIM_NOTE = (
    "TF-slim's mobilenet_v1 checkpoint table: MACs and parameters in millions as printed, 1001 classes; "
    "the paper's Figures 4 and 5 plot these 16 models. The table does not say what its parameters "
    "include; ours with BatchNorm and 1001 classes are within 0.6% (4.233M for 4.24M, 1.332M for 1.34M)."
)
# TF-slim's table: width -> (params in M, {resolution: (M MACs, top-1)}).
_SLIM_GRID = {
    1.0: (4.24, {224: (569, 70.9), 192: (418, 70.0), 160: (291, 68.0), 128: (186, 65.2)}),
    0.75: (2.59, {224: (317, 68.4), 192: (233, 67.2), 160: (162, 65.3), 128: (104, 62.1)}),
    0.5: (1.34, {224: (150, 63.3), 192: (110, 61.7), 160: (77, 59.1), 128: (49, 56.3)}),
    0.25: (0.47, {224: (41, 49.8), 192: (34, 47.7), 160: (21, 45.5), 128: (14, 41.5)}),
}
_SLIM_ODD = {
    0.75: {
        None: " The 0.75 rows are 2.6% below the network's count (325.4M at 224, as Tables 5 and 6 print)."
    },
    0.25: {
        192: " 34 does not follow the resolution scaling of the other rows (30.2M from 41.0M at 224 times "
        "(192/224)**2): a misprint."
    },
}

# The paper's figures first (so paper.lookup finds them), then TF-slim's grid.
PUBLISHED: list[dict] = [
    _published(1.0, 224, 4_200_000, 569_000_000, 70.6, "MobileNet Table 4, 6 and 7", _PAPER_NOTE),
    _published(
        1.0,
        224,
        4_209_088,
        568_740_352,
        None,
        "MobileNet Table 2 (totals behind its percentages)",
        "Exact totals for 1000 classes: weights only (no BatchNorm, no FC bias) and multiply-accumulates "
        "of convolutions and FC. With BatchNorm gamma/beta and the FC bias: 4,231,976 parameters.",
    ),
    _published(
        1.0,
        224,
        29_300_000,
        4_866_000_000,
        71.7,
        "MobileNet Table 4 (Conv MobileNet)",
        "Full 3x3 convolutions instead of depthwise-separable ones; the 4866M leaves out the FC layer's "
        "1.0M (4867.3M with it). " + _PAPER_NOTE,
        separable=False,
    ),
    _published(0.75, 224, 2_600_000, 325_000_000, 68.4, "MobileNet Table 5 and 6", _PAPER_NOTE),
    _published(
        1.0,
        224,
        2_900_000,
        307_000_000,
        65.3,
        "MobileNet Table 5 (shallow)",
        "The five 14x14x512 separable layers removed. " + _PAPER_NOTE,
        shallow=True,
    ),
    _published(0.5, 224, 1_300_000, 149_000_000, 63.7, "MobileNet Table 6", _PAPER_NOTE),
    _published(0.25, 224, 500_000, 41_000_000, 50.6, "MobileNet Table 6", _PAPER_NOTE),
    _published(1.0, 192, 4_200_000, 418_000_000, 69.1, "MobileNet Table 7", _PAPER_NOTE),
    _published(1.0, 160, 4_200_000, 290_000_000, 67.2, "MobileNet Table 7", _PAPER_NOTE),
    _published(1.0, 128, 4_200_000, 186_000_000, 64.4, "MobileNet Table 7", _PAPER_NOTE),
    _published(0.5, 160, 1_320_000, 76_000_000, 60.2, "MobileNet Table 9", _PAPER_NOTE),
    *[
        _published(
            width,
            res,
            round(params * 1e6),
            macs * 1_000_000,
            top1,
            "TF-slim mobilenet_v1 table",
            _SLIM_NOTE + _SLIM_ODD.get(width, {}).get(res, _SLIM_ODD.get(width, {}).get(None, "")),
        )
        for width, (params, row) in _SLIM_GRID.items()
        for res, (macs, top1) in row.items()
    ],
    _published(
        0.25,
        128,
        464_600,
        13_600_000,
        41.5,
        "course reference notes (recomputed from the architecture)",
        "0.25 MobileNet-128 in detail: about 13.6M MACs and 464,600 parameters (weights, FC bias, no "
        "BatchNorm), 257,000 of them in the FC layer.",
    ),
]


def depth(channels: int, width_mult: float) -> int:
    """TF-slim's width rule for MobileNet v1: ``max(int(channels * width_mult), 8)`` (truncation).

    For the paper's multipliers 1, 0.75, 0.5 and 0.25 every product is already a whole multiple of 8,
    so this rule and MobileNetV2's ``make_divisible`` give the same networks; they differ only for other
    multipliers (e.g. 0.35: 32 -> 11 here, 16 with ``make_divisible``).
    """
    return max(int(channels * width_mult), MIN_DEPTH)


@register("mobilenet_v1", paper=PAPER)
def build_mobilenet_v1(
    *, num_classes: int, width_mult: float, variant: str, shallow: bool = False, separable: bool = True
) -> SmallNet:
    """MobileNet v1 (Howard et al. 2017, arXiv:1704.04861), Table 1 with the width multiplier alpha.

    ``shallow=True`` removes the five 14x14x512 separable blocks (Table 5); ``separable=False`` replaces
    each depthwise-separable block by a full 3x3 convolution of the same stride and widths ("Conv
    MobileNet", Table 4). BatchNorm and ReLU follow every convolution (the paper's Figure 3; TF-slim
    uses ReLU6). No dropout before the FC layer (TF-slim's keep probability is 0.999).

    Width: every layer gets ``max(int(c * alpha), 8)`` channels (TF-slim's ``depth`` function); the
    FC layer keeps ``num_classes`` outputs.

    Counts at 1.0 and 224x224, 1000 classes: 568,740,352 multiply-accumulates and 4,209,088 weights,
    the totals behind Table 2's percentages; PyTorch also counts BatchNorm gamma/beta (21,888) and the
    FC bias (1,000): 4,231,976. The paper's tables agree with our counts to the printed digit (Table 7's
    290M at 160 is 290.7M, Table 6's 149M is 149.5M, Table 4's 4866M for Conv MobileNet leaves out the
    FC's 1.0M). TF-slim's table differs in two places: its 0.75 rows are 2.6% below the count (317M at
    224 against 325.4M, which Tables 5 and 6 print), and its 0.25-192 entry (34M) is off the
    resolution scaling of its neighbours (30.2M). Its parameter column (4.24M, 1.34M) is up to 0.6%
    above ours with BatchNorm and 1001 classes (4.233M, 1.332M); it does not say what it counts.
    """
    for name, value in (("shallow", shallow), ("separable", separable)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    stem = depth(STEM_CHANNELS, width_mult)
    features = nn.Sequential()
    features.add_module("conv1", ConvBNAct(3, stem, 3, STEM_STRIDE[variant]))
    channels, table_channels = stem, STEM_CHANNELS
    for index, (out, stride) in enumerate(BLOCKS, start=1):
        if shallow and (table_channels, out, stride) == (512, 512, 1):
            continue  # Table 5: the five 14x14x512 layers go
        table_channels = out
        out_ch = depth(out, width_mult)
        if separable:
            block: nn.Module = DepthwiseSeparable(channels, out_ch, stride)
        else:
            block = ConvBNAct(channels, out_ch, 3, stride)
        features.add_module(f"block{index}", block)
        channels = out_ch
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(channels, num_classes))

    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    nn.init.normal_(classifier[-1].weight, 0.0, 0.01)
    nn.init.zeros_(classifier[-1].bias)
    net = SmallNet(features, classifier, min_resolution=1)
    net.recipe_defaults = dict(NO_SHORTCUT_RECIPE)
    return net
