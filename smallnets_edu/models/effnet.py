"""EffNet: a convolution block for networks that are small to begin with, on small images.

Freeman, Roese-Koerner and Kummert, "EffNet: An Efficient Structure for Convolutional Neural
Networks", 2018 (arXiv 1801.06434).

One model name, ``effnet``, with an option ``block`` that swaps the block of the paper's small-image
network, as the paper compares them:

- ``block="effnet"`` (default): :class:`EffNetBlock`;
- ``block="mobilenet"``: MobileNet's depthwise-separable conv, downsampling with a stride-2 depthwise
  3x3 (:class:`~smallnets_edu.blocks.DepthwiseSeparable`);
- ``block="shufflenet"``: ShuffleNet's stride-2 unit (Figure 2 (c) of the ShuffleNet paper,
  :class:`~smallnets_edu.models.shufflenet_v1.ShuffleUnit`) with 2 groups (ungrouped in the first
  block, whose input is the 3-channel image).

Every block halves the height and the width, so the network is a stack of blocks and a dense layer.
The course defines EffNet for small images only (the paper evaluates on CIFAR-10, SVHN and GTSRB):

========  =====  ======================================  =========  ===================================
variant   input  block output channels                   final map  why
========  =====  ======================================  =========  ===================================
cifar     32     64, 128, 256 (bottleneck 32, 64, 128)    4x4        the paper's network (Keras port)
tiny      64     64, 128, 256, 512                       4x4        one more block of the same pattern,
                                                                    so the dense layer again sees 4x4
========  =====  ======================================  =========  ===================================

The course quotes none of the paper's result figures, so ``PUBLISHED`` is empty: the lessons measure
their own comparison.
"""

from __future__ import annotations

import torch
from torch import nn

from ..blocks import ConvBNAct, DepthwiseSeparable, depthwise, make_divisible, pointwise
from ._registry import NO_SHORTCUT_RECIPE, SmallNet, register
from .shufflenet_v1 import ShuffleUnit

# The EffNet block, layer by layer, as the paper describes it (Keras port for the layer order).
# (layer, kernel (h, w), stride (h, w), output channels). Each conv is followed by LeakyReLU then BN.
EFFNET_BLOCK_LAYERS: tuple[tuple[str, tuple[int, int], tuple[int, int], str], ...] = (
    ("pointwise bottleneck", (1, 1), (1, 1), "ch_out / 2 (bottleneck factor 2)"),
    ("depthwise 1x3", (1, 3), (1, 1), "2 x bottleneck (depth multiplier 2)"),
    ("separable max-pool", (2, 1), (2, 1), "unchanged: halves the height only"),
    ("depthwise 3x1", (3, 1), (1, 1), "unchanged"),
    ("2x1 conv, stride 2", (1, 2), (1, 2), "ch_out: halves the width only"),
)
# The paper's small-image network (Keras port): three blocks, 32 -> 64 -> 128 -> 256 channels
# (bottleneck of the first block, then each block's output), flatten, dense. ``tiny`` adds a block.
NETWORK_CHANNELS: dict[str, tuple[int, ...]] = {"cifar": (64, 128, 256), "tiny": (64, 128, 256, 512)}
FINAL_MAP = 4  # the dense layer reads a 4x4 map in both variants
BLOCKS = ("effnet", "mobilenet", "shufflenet")
BOTTLENECK_FACTOR = 2
SHUFFLE_GROUPS = 2  # divides every width make_divisible(., 8) can give, and its 1/4 bottleneck


class EffNetBlock(nn.Module):
    """The EffNet block: a 3x3 depthwise conv split into 1x3 and 3x1, with the pooling in between.

    1x1 pointwise to ``out_channels / 2`` -> depthwise 1x3 with depth multiplier 2 -> max-pool 2x1
    (stride 2 along the height) -> depthwise 3x1 -> a 1x2 convolution with stride 2 along the width
    to ``out_channels``. Every convolution is followed by LeakyReLU, then BatchNorm (the order of the
    Keras port; the course's LeakyReLU has slope 0.1 where Keras defaults to 0.3).

    Why: pooling after the first half of the separable conv makes the second half run on half the
    rows, and the final strided 2-wide conv does the other half of the downsampling while it mixes
    channels, instead of a 1x1 pointwise followed by a pooling layer. Each block halves both sides.

    The paper writes the last layer as a "2x1 convolution with stride (1, 2)", in (width, height)
    order: its two taps run along the width, the axis the max-pool left alone. In PyTorch's (height,
    width) order that is kernel (1, 2), stride (1, 2), no padding (as the PyTorch port of the Keras code).
    """

    def __init__(self, in_channels: int, out_channels: int, depth_multiplier: int = 2) -> None:
        super().__init__()
        if out_channels % BOTTLENECK_FACTOR:
            raise ValueError(f"out_channels must be even (the bottleneck is half of it), got {out_channels}")
        post = {"act": "leaky_relu", "order": "act_bn"}
        bottleneck = out_channels // BOTTLENECK_FACTOR
        wide = bottleneck * depth_multiplier
        self.in_channels, self.out_channels = in_channels, out_channels
        self.bottleneck, self.depth_multiplier = bottleneck, depth_multiplier
        self.pointwise = pointwise(in_channels, bottleneck, **post)
        self.row = depthwise(bottleneck, (1, 3), multiplier=depth_multiplier, **post)
        self.pool = nn.MaxPool2d((2, 1), stride=(2, 1))
        self.column = depthwise(wide, (3, 1), **post)
        self.reduce = ConvBNAct(wide, out_channels, (1, 2), stride=(1, 2), padding=0, **post)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reduce(self.column(self.pool(self.row(self.pointwise(x)))))


def _block(kind: str, in_channels: int, out_channels: int, depth_multiplier: int) -> nn.Module:
    if kind == "effnet":
        return EffNetBlock(in_channels, out_channels, depth_multiplier)
    if kind == "mobilenet":
        return DepthwiseSeparable(in_channels, out_channels, stride=2)
    # The first block sees the 3-channel image: 3 channels do not split into groups, and the concat
    # shortcut leaves the branch out - 3 channels (odd), so that unit runs ungrouped (g=1, no shuffle).
    groups = SHUFFLE_GROUPS if in_channels % SHUFFLE_GROUPS == 0 else 1
    return ShuffleUnit(in_channels, out_channels, groups, stride=2)


@register(
    "effnet",
    paper="Freeman, Roese-Koerner, Kummert (2018). EffNet: An Efficient Structure for Convolutional "
    "Neural Networks. arXiv:1801.06434",
    variants=("cifar", "tiny"),
)
def build_effnet(
    *,
    num_classes: int,
    width_mult: float,
    variant: str,
    block: str = "effnet",
    depth_multiplier: int | None = None,
) -> SmallNet:
    """The EffNet paper's small-image network (Freeman, Roese-Koerner, Kummert 2018, arXiv 1801.06434).

    Blocks of ``block`` kind ("effnet", "mobilenet" or "shufflenet", see the module docstring), each
    halving both sides, then flatten and a dense layer, as the Keras port. The head average-pools to
    the 4x4 grid the dense layer expects: a no-op at the variant's own resolution (32 or 64), and what
    lets any input from ``min_resolution`` up run.

    Choices the paper leaves open, and the course's reading of them:

    - bottleneck: ``out / 2`` (the paper's factor 2; for 64/128/256 outputs that is the Keras port's
      32/64/128);
    - ``depth_multiplier`` of the first (1x3) depthwise conv: 2 by default, as the paper describes;
      the Keras port and its PyTorch translation use 1 (``depth_multiplier=1`` builds theirs). Only
      for ``block="effnet"``;
    - widths: ``make_divisible(c * width_mult, 8)`` for every block output;
    - the MobileNet block downsamples with its depthwise conv (stride 2), as MobileNet does; the
      ShuffleNet block is ShuffleNet's own stride-2 unit (bottleneck 1/4, concat shortcut), 2 groups.

    The course quotes no published count for this network: nothing here is checked against one.
    Measured at 32x32 with 10 classes (``cifar``): EffNet blocks 9.04M MACs / 239k parameters
    (5.64M / 151k with ``depth_multiplier=1``), MobileNet blocks 1.20M / 85k, ShuffleNet blocks
    1.06M / 54k. Most of an EffNet block's cost is its final 2-tap conv, which mixes all channels.
    """
    if variant not in NETWORK_CHANNELS:
        raise ValueError(
            f"the course defines EffNet for small images only: variant must be 'cifar' (32x32) or "
            f"'tiny' (64x64), got {variant!r}"
        )
    if block not in BLOCKS:
        raise ValueError(f"block must be one of {', '.join(map(repr, BLOCKS))}, got {block!r}")
    if depth_multiplier is not None and block != "effnet":
        raise ValueError(
            f"depth_multiplier applies to the EffNet block only; leave it out for block={block!r}"
        )
    depth_multiplier = 2 if depth_multiplier is None else depth_multiplier
    if (
        not isinstance(depth_multiplier, int)
        or isinstance(depth_multiplier, bool)
        or depth_multiplier not in (1, 2)
    ):
        raise ValueError(
            f"depth_multiplier must be 1 (the Keras port) or 2 (the paper), got {depth_multiplier!r}"
        )

    features = nn.Sequential()
    in_channels = 3
    for i, c in enumerate(NETWORK_CHANNELS[variant], start=1):
        out_channels = make_divisible(c * width_mult, 8)
        features.add_module(f"block{i}", _block(block, in_channels, out_channels, depth_multiplier))
        in_channels = out_channels
    classifier = nn.Sequential(
        nn.AdaptiveAvgPool2d(FINAL_MAP), nn.Flatten(), nn.Linear(in_channels * FINAL_MAP**2, num_classes)
    )
    # The EffNet block's 2x1 max-pool and 1x2 stride-2 conv have no padding: each needs at least 2
    # rows / columns, so n blocks need 2**n pixels. MobileNet and ShuffleNet blocks downsample with
    # padded 3x3 windows (ceil(n / 2)), which run on a single pixel.
    min_resolution = 2 ** len(NETWORK_CHANNELS[variant]) if block == "effnet" else 1
    net = SmallNet(features, classifier, min_resolution=min_resolution)
    net.recipe_defaults = dict(NO_SHORTCUT_RECIPE)  # every block kind alike, so lesson 06 compares blocks
    return net


# The paper compares networks on CIFAR-10, SVHN and GTSRB; the course quotes none of those figures.
PUBLISHED: list[dict] = []
