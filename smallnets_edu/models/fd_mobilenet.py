"""FD-MobileNet: MobileNet with fast downsampling, so most layers work on 7x7 maps.

Zheng Qin, Zhaoning Zhang, Xiaotao Chen, Yuxing Peng (2018), "FD-MobileNet: Improved MobileNet with
a Fast Downsampling Strategy", arXiv:1802.03750. The network reaches 32x downsampling within its
first 12 layers (MobileNet needs 24): a 3x3/2 convolution and four more stride-2 depthwise-separable
blocks in the first six, then five 512-channel blocks and one 1024-channel block at 7x7. Fewer pixels
per layer buy width at a budget: 144M multiply-accumulates against 0.5 MobileNet's 149M, and 65.3%
top-1 against 63.7%.

Variants (the blocks are those of the table below; only strides change):

=========== ============================ ===================================== =========================
variant     stride-1 instead of 2        maps (input, after stem, per stage)   why
=========== ============================ ===================================== =========================
imagenet    none                         224: 112, 56, 28, 14, 7               the paper's network
cifar       stem conv and block 1        32: 32, 32, 16, 8, 4                  8x downsampling in all,
                                                                               ending on 4x4
tiny        stem conv                    64: 64, 32, 16, 8, 4                  16x, ending on 4x4
=========== ============================ ===================================== =========================

Why: five stride-2 layers take a 32x32 image to 1x1. The small variants drop the first strides only, so
the downsampling stays early and fast, and the 512- and 1024-channel blocks still run on the last, 4x4
map, as they run on 7x7 in the paper's network.

Every convolution is 3x3 with padding 1 or 1x1, and the head is a global average pool (the authors'
code uses ``AvgPool2d(7)``, which only fits 224x224 inputs), so any input of at least 1x1 runs:
``min_resolution`` is 1.
"""

from __future__ import annotations

import math

from torch import nn

from ..blocks import ConvBNAct, DepthwiseSeparable
from ._registry import NO_SHORTCUT_RECIPE, SmallNet, register

# FD-MobileNet Table 1 (as built by the authors' code, qinzheng93/FD-MobileNet):
# (layer, output channels, stride, output side for a 224x224 input).
TABLE_1: list[tuple[str, int, int | None, int]] = [
    ("conv 3x3", 32, 2, 112),
    ("dw-sep", 64, 2, 56),
    ("dw-sep", 128, 2, 28),
    ("dw-sep", 128, 1, 28),
    ("dw-sep", 256, 2, 14),
    ("dw-sep", 256, 1, 14),
    ("dw-sep", 512, 2, 7),
    ("dw-sep", 512, 1, 7),
    ("dw-sep", 512, 1, 7),
    ("dw-sep", 512, 1, 7),
    ("dw-sep", 512, 1, 7),
    ("dw-sep", 1024, 1, 7),
    ("global avg pool", 1024, None, 1),
    ("fc", 1000, None, 1),
]

STEM_CHANNELS = TABLE_1[0][1]
BLOCKS: list[tuple[int, int]] = [(c, s) for kind, c, s, _ in TABLE_1 if kind == "dw-sep"]
# Which strides become 1 in the small-image variants: "stem" and 1-based block numbers.
STRIDE_ONE = {"imagenet": (), "cifar": ("stem", 1), "tiny": ("stem",)}

PAPER = (
    "Qin, Zhang, Chen, Peng (2018). FD-MobileNet: Improved MobileNet with a Fast Downsampling "
    "Strategy. arXiv:1802.03750"
)

_PAPER_NOTE = (
    "The paper's FLOPs are multiply-accumulates (as ShuffleNet's); it gives no parameter counts. "
    "Our count of the convolutions and FC layer: {ours}."
)
_OSMR_NOTE = (
    "Third-party count (osmr/imgclsmob, imgclsmob's FD-MobileNet port). Its parameters include "
    "BatchNorm and the FC bias and equal ours exactly. Its FLOPs are our {ours} multiply-accumulates plus "
    "one operation per ReLU output and per pooled input value and the FC biases: the model-statistics "
    "script of that repository counts those too."
)


def _entry(width: float, params, macs, top1, source: str, note: str) -> dict:
    return {
        "name": "fd_mobilenet",
        "width_mult": width,
        "resolution": 224,
        "options": {},
        "params": params,
        "macs": macs,
        "top1": top1,
        "source": source,
        "note": note,
    }


PUBLISHED: list[dict] = [
    _entry(
        1.0,
        None,
        144_000_000,
        65.3,
        "FD-MobileNet paper, authors' repository",
        _PAPER_NOTE.format(ours="144.5M"),
    ),
    _entry(
        0.5,
        None,
        40_000_000,
        56.3,
        "FD-MobileNet paper, authors' repository",
        _PAPER_NOTE.format(ours="40.1M"),
    ),
    _entry(
        0.25,
        None,
        12_000_000,
        45.1,
        "FD-MobileNet paper, authors' repository",
        _PAPER_NOTE.format(ours="12.0M"),
    ),
    _entry(1.0, 2_901_288, 146_080_000, None, "osmr/imgclsmob", _OSMR_NOTE.format(ours="144.5M")),
    _entry(0.5, 993_928, 40_930_000, None, "osmr/imgclsmob", _OSMR_NOTE.format(ours="40.1M")),
    _entry(0.25, 383_160, 12_440_000, None, "osmr/imgclsmob", _OSMR_NOTE.format(ours="12.0M")),
]


def width(channels: int, width_mult: float) -> int:
    """The authors' width rule, truncation: ``int(channels * width_mult)``, kept at least 1 channel."""
    return max(1, int(channels * width_mult))


CLASSIFIER_INITS = ("scaled", "paper")
PAPER_CLASSES = 1000  # the class count the authors' classifier initialisation was made for


@register("fd_mobilenet", paper=PAPER)
def build_fd_mobilenet(
    *, num_classes: int, width_mult: float, variant: str, classifier_init: str = "scaled"
) -> SmallNet:
    """FD-MobileNet (Qin et al. 2018, arXiv:1802.03750), the authors' architecture.

    ``width_mult`` is the paper's "1x / 0.5x / 0.25x" (any value > 0 works): every layer gets
    ``int(c * width_mult)`` channels, truncated as in the authors' code, with at least 1. BatchNorm and
    ReLU follow every convolution; no dropout.

    ``classifier_init``: the authors initialise the FC layer Kaiming-normal with fan-out, i.e. standard
    deviation sqrt(2 / classes), made for ImageNet's 1000 classes. At 10 classes that is 10x larger and
    the first loss is about 8 instead of ln 10 = 2.3 (the network spends its first steps undoing it).
    ``"scaled"`` (default) keeps the 1000-class standard deviation for smaller heads, sqrt(2 / max(classes,
    1000)): identical to the authors' at 1000 classes or more, a first loss near ln(classes) below.
    ``"paper"`` is the authors' own, at any class count (lesson 07 shows its effect).

    Counts at 224x224, 1000 classes (multiply-accumulates of convolutions and FC / parameters with
    BatchNorm and FC bias): 1x 144.5M / 2,901,288; 0.5x 40.1M / 993,928; 0.25x 12.0M / 383,160.
    The paper's 144 / 40 / 12 MFLOPs are the same multiply-accumulates, rounded. The third-party counts
    (osmr/imgclsmob) have exactly our parameters and 146.08 / 40.93 / 12.44 MFLOPs: about 1.6M more at
    1x, because that count adds one operation for every ReLU output, every value entering the pooling
    layer and every FC bias, which the papers (and :mod:`smallnets_edu.cost`) do not count.
    """
    if classifier_init not in CLASSIFIER_INITS:
        raise ValueError(
            f"classifier_init must be one of {', '.join(CLASSIFIER_INITS)}, got {classifier_init!r}: "
            f"'scaled' keeps the 1000-class head's scale at any class count, 'paper' is the authors' own"
        )
    small = STRIDE_ONE[variant]
    stem = width(STEM_CHANNELS, width_mult)
    features = nn.Sequential()
    features.add_module("conv1", ConvBNAct(3, stem, 3, 1 if "stem" in small else 2))
    channels = stem
    for index, (out, stride) in enumerate(BLOCKS, start=1):
        out_ch = width(out, width_mult)
        features.add_module(
            f"block{index}", DepthwiseSeparable(channels, out_ch, 1 if index in small else stride)
        )
        channels = out_ch
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(channels, num_classes))

    # The authors' initialisation: Kaiming-normal, fan-in for depthwise convolutions (one filter per
    # channel sees only 9 inputs), fan-out elsewhere; BatchNorm at 1 / 0; zero FC bias.
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            depthwise = module.groups == module.in_channels and module.groups > 1
            nn.init.kaiming_normal_(module.weight, mode="fan_in" if depthwise else "fan_out")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    fc = classifier[-1]
    if classifier_init == "paper":
        nn.init.kaiming_normal_(fc.weight, mode="fan_out")
    else:
        nn.init.normal_(fc.weight, std=math.sqrt(2.0 / max(num_classes, PAPER_CLASSES)))
    nn.init.zeros_(fc.bias)
    net = SmallNet(features, classifier, min_resolution=1)
    net.recipe_defaults = dict(NO_SHORTCUT_RECIPE)
    return net
