"""MobileNetV2: inverted residuals and linear bottlenecks.

Sandler, Howard, Zhu, Zhmoginov and Chen, "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
2018 (arXiv 1801.04381; CVPR 2018).

Variants (``build("mobilenet_v2", variant=...)``); blocks and channels never change, only two strides:

========  =====  ===========  ===================  =========  ========================================
variant   input  conv stride  first c=24 row (s)   final map  why
========  =====  ===========  ===================  =========  ========================================
imagenet  224    2            2                    7x7        the paper's Table 2
cifar     32     1            1                    4x4        as kuangliu/pytorch-cifar: a 32x32 image
                                                              keeps full resolution through the first
                                                              two rows (total stride 8 instead of 32)
tiny      64     1            2                    4x4        Tiny-ImageNet: drop only the stem's
                                                              stride (total stride 16)
========  =====  ===========  ===================  =========  ========================================
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import ConvBNAct, depthwise, make_divisible, pointwise
from ._registry import SmallNet, register

# MobileNetV2 Table 2: bottleneck rows (t, c, n, s) = expansion factor, output channels, repeats,
# stride of the first repeat. Before them: conv2d 3x3, 32 channels, stride 2. After them: conv2d 1x1
# to 1280 channels, 7x7 average pool, conv2d 1x1 to k classes (a fully connected layer).
TABLE2_ROWS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
TABLE2_STEM_CHANNELS = 32
TABLE2_LAST_CHANNELS = 1280

# (stem stride, stride of the first c=24 row) per variant: see the table in the module docstring.
VARIANT_STRIDES = {"imagenet": (2, 2), "cifar": (1, 1), "tiny": (1, 2)}


class InvertedResidual(nn.Module):
    """The MobileNetV2 bottleneck block (Table 1, Figure 4).

    1x1 conv expands ``in_channels`` to ``t * in_channels`` (BN, ReLU6) -> 3x3 depthwise conv with
    stride s (BN, ReLU6) -> 1x1 conv projects to ``out_channels`` (BN, no activation: the "linear
    bottleneck", since a ReLU in a narrow space destroys information). The input is added back when
    the block keeps the shape (stride 1 and equal widths). With ``t = 1`` there is nothing to expand
    and the first 1x1 conv is left out (the first row of Table 2).

    The expanded width is ``round(in_channels * t)``, not rounded to a multiple of 8 (as torchvision).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: float) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"a MobileNetV2 block has stride 1 or 2, got {stride}")
        hidden = round(in_channels * expansion)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride, self.hidden = stride, hidden
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand = pointwise(in_channels, hidden, act="relu6") if expansion != 1 else None
        self.depthwise = depthwise(hidden, 3, stride, act="relu6")
        self.project = pointwise(hidden, out_channels, act="none")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(x) if self.expand is not None else x
        out = self.project(self.depthwise(out))
        return x + out if self.use_residual else out


@register(
    "mobilenet_v2",
    paper="Sandler, Howard, Zhu, Zhmoginov, Chen (2018). MobileNetV2: Inverted Residuals and Linear "
    "Bottlenecks. arXiv:1801.04381",
)
def build_mobilenet_v2(
    *, num_classes: int, width_mult: float, variant: str, expansion: float = 6
) -> SmallNet:
    """MobileNetV2 (Sandler, Howard, Zhu, Zhmoginov, Chen 2018, arXiv 1801.04381), Table 2.

    Options: ``width_mult`` alpha, ``expansion`` t (default 6; it replaces the t of every t=6 row of
    Table 2, the t=1 row stays 1; the paper suggests 5 to 10, smaller for smaller networks).

    Rounding as torchvision (and TF-slim): every width is ``make_divisible(c * alpha, 8)``; the last
    1x1 conv keeps 1280 channels unless alpha > 1 (then ``make_divisible(1280 * alpha, 8)``); the
    expanded width inside a block is ``round(in * t)`` (timm rounds it to 8 as well, torchvision not).
    The classifier is global average pooling, dropout 0.2 and a linear layer, as torchvision.

    Our count against the published figures (224x224 unless said, 1000 classes):

    - 1.0: 3,504,872 parameters, exactly torchvision's, and 3,470,760 without BatchNorm (TF-slim's
      3.47M); 300.77M multiply-accumulates, the paper's "300M" (Table 4 rounds).
    - TF-slim's checkpoint table (1001 classes) is our count truncated to whole millions, for all seven
      checkpoints: 1.4_224 582.2M (582), 1.0_224 300.8M (300), 1.0_96 56.3M (56), 0.5_96 18.9M (18),
      0.35_224 59.3M (59), 0.35_128 20.2M (20), 0.35_96 11.9M (11); parameters without BN match its
      6.06 / 3.47 / 1.95 / 1.66M to the digit.
    - 1.4: Table 4 of the paper says 6.9M parameters and 585M MAdds for the same network that TF-slim
      lists at 6.06M and 582M. We match TF-slim; the paper's 585M is 0.5% above our 582.2M and its 6.9M
      is not reproduced by any rounding rule we know of (with BN we count 6.11M).
    """
    if isinstance(expansion, bool) or not isinstance(expansion, (int, float)) or not expansion >= 1:
        raise ValueError(
            f"expansion (t) must be a number of at least 1, got {expansion!r}; the paper uses 6, "
            f"1 means no expansion layer"
        )
    stem_stride, row24_stride = VARIANT_STRIDES[variant]
    stem = make_divisible(TABLE2_STEM_CHANNELS * width_mult, 8)
    last = make_divisible(TABLE2_LAST_CHANNELS * max(1.0, width_mult), 8)

    features = nn.Sequential()
    features.add_module("conv1", ConvBNAct(3, stem, 3, stride=stem_stride, act="relu6"))
    in_channels = stem
    for row, (t, c, n, s) in enumerate(TABLE2_ROWS, start=1):
        out_channels = make_divisible(c * width_mult, 8)
        if c == 24:
            s = row24_stride
        blocks = []
        for i in range(n):
            blocks.append(
                InvertedResidual(in_channels, out_channels, s if i == 0 else 1, expansion if t == 6 else t)
            )
            in_channels = out_channels
        features.add_module(f"bottleneck{row}", nn.Sequential(*blocks))
    features.add_module("conv_last", pointwise(in_channels, last, act="relu6"))
    classifier = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(last, num_classes)
    )
    # Each residual block starts as the identity: the BatchNorm after its projection starts at zero
    # scale (Goyal et al. 2017, arXiv:1706.02677; torchvision's zero_init_residual for ResNets). In our
    # laptop-budget runs this took the cifar network from 28% to 38% test accuracy on the shapes
    # dataset. A block built alone keeps the default initialisation, so its branch is live.
    for module in features.modules():
        if isinstance(module, InvertedResidual) and module.use_residual:
            nn.init.zeros_(module.project[1].weight)
    # Every strided layer is a 3x3 conv with padding 1 (ceil(n / 2)): a 1x1 input runs to the end.
    return SmallNet(features, classifier, min_resolution=1)


def _entry(
    alpha: float,
    res: int,
    params: float | None,
    macs: float | None,
    top1: float | None,
    source: str,
    note: str,
) -> dict:
    return {
        "name": "mobilenet_v2",
        "width_mult": alpha,
        "resolution": res,
        "options": {"expansion": 6},
        "params": None if params is None else int(params),
        "macs": None if macs is None else int(macs),
        "top1": top1,
        "source": source,
        "note": note,
    }


_TF_SLIM_NOTE = "TF-slim checkpoint table (M MACs / M params / top-1); 1001 classes, parameters without BN"
PUBLISHED: list[dict] = [
    _entry(
        1.0,
        224,
        3.4e6,
        300e6,
        72.0,
        "MobileNetV2 Table 4",
        "MAdds are multiply-accumulates; 75 ms on a Pixel 1",
    ),
    _entry(1.4, 224, 6.9e6, 585e6, 74.7, "MobileNetV2 Table 4", "143 ms on a Pixel 1; TF-slim: 6.06M, 582M"),
    _entry(1.4, 224, 6.06e6, 582e6, 75.0, "TF-slim", _TF_SLIM_NOTE),
    _entry(1.0, 224, 3.47e6, 300e6, 71.8, "TF-slim", _TF_SLIM_NOTE),
    _entry(1.0, 96, 3.47e6, 56e6, 60.3, "TF-slim", _TF_SLIM_NOTE),
    _entry(0.5, 96, 1.95e6, 18e6, 51.2, "TF-slim", _TF_SLIM_NOTE),
    _entry(0.35, 224, 1.66e6, 59e6, 60.3, "TF-slim", _TF_SLIM_NOTE),
    _entry(0.35, 128, 1.66e6, 20e6, 50.8, "TF-slim", _TF_SLIM_NOTE),
    _entry(0.35, 96, 1.66e6, 11e6, 45.5, "TF-slim", _TF_SLIM_NOTE + "; recomputed: about 11.9M MACs"),
    _entry(
        1.0,
        224,
        3_504_872,
        None,
        71.878,
        "torchvision",
        "mobilenet_v2 weights; parameters include BatchNorm (3,470,760 without)",
    ),
]
