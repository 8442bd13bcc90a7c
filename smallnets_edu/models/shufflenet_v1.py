"""ShuffleNet v1: pointwise group convolutions made to talk to each other by a channel shuffle.

Zhang, Zhou, Lin and Sun, "ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile
Devices", 2017 (arXiv 1707.01083; CVPR 2018).

Variants (``build("shufflenet_v1", variant=...)``); the units and channels never change, only where the
network downsamples before stage 2:

========  =====  ============  ============  =========  ===========================================
variant   input  conv1 stride  3x3 max-pool  final map  why
========  =====  ============  ============  =========  ===========================================
imagenet  224    2             stride 2      7x7        the paper's Table 1
cifar     32     1             removed       4x4        the common CIFAR recipe: a 32x32 image cannot
                                                        afford a 4x reduction before stage 2
tiny      64     1             stride 2      4x4        Tiny-ImageNet: drop one factor of 2 (the
                                                        stem's) so the last stage still sees 4x4
========  =====  ============  ============  =========  ===========================================

Stages 2, 3 and 4 each open with a stride-2 unit in every variant.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..blocks import ChannelShuffle, ConvBNAct, depthwise, grouped, make_divisible, pointwise
from ._registry import SmallNet, register

# ShuffleNet Table 1: output channels of stages 2, 3, 4 at 1x, for each number of groups g.
TABLE1_STAGE_CHANNELS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
# ShuffleNet Table 1: units per stage (one stride-2 unit, then stride-1 units) and the stem.
TABLE1_STAGE_REPEATS = (4, 8, 4)
TABLE1_STEM_CHANNELS = 24
# ShuffleNet Table 1: complexity (MFLOPs, i.e. million multiply-accumulates) at 1x, 224x224.
TABLE1_COMPLEXITY_MFLOPS = {1: 143, 2: 140, 3: 137, 4: 133, 8: 137}

GROUPS = tuple(TABLE1_STAGE_CHANNELS)
BOTTLENECK_RATIO = 4  # "we set the number of bottleneck channels to 1/4 of the output channels"

# (conv1 stride, keep the max-pool) per variant: see the table in the module docstring.
_STEM = {"imagenet": (2, True), "cifar": (1, False), "tiny": (1, True)}


class ShuffleUnit(nn.Module):
    """The ShuffleNet unit of Figure 2 (b) (stride 1) and (c) (stride 2).

    Residual branch: 1x1 group conv -> BN -> ReLU -> channel shuffle -> 3x3 depthwise conv (stride 1 or
    2) -> BN (no ReLU) -> 1x1 group conv -> BN. The bottleneck is ``out_channels / 4`` wide.

    - stride 1: ``out = ReLU(x + branch(x))``; the input and output widths are equal.
    - stride 2: ``out = ReLU(concat(avgpool3x3/2(x), branch(x)))``; the branch only has to produce
      ``out_channels - in_channels`` channels, the shortcut brings the other ``in_channels`` for free.

    ``group_first=False`` makes the first 1x1 conv dense, as in the first unit of stage 2 whose input
    (the 24-channel stem) is too narrow to split. The shuffle is then left out too: after a dense conv,
    reordering channels changes nothing a learned conv could not do by reordering its own filters.
    ``shuffle=False`` removes the shuffle everywhere (the ablation of Table 3).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        groups: int,
        stride: int = 1,
        shuffle: bool = True,
        group_first: bool = True,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"a ShuffleNet unit has stride 1 or 2, got {stride}")
        if stride == 1 and in_channels != out_channels:
            raise ValueError(
                f"a stride-1 ShuffleNet unit adds its input to its output, so in_channels ({in_channels}) "
                f"must equal out_channels ({out_channels})"
            )
        branch_out = out_channels - in_channels if stride == 2 else out_channels
        if branch_out < 1:
            raise ValueError(
                f"a stride-2 ShuffleNet unit concatenates its input, so out_channels ({out_channels}) must "
                f"exceed in_channels ({in_channels})"
            )
        bottleneck = out_channels // BOTTLENECK_RATIO
        first_groups = groups if group_first else 1
        for what, value, g in (
            ("bottleneck (out_channels / 4)", bottleneck, groups),
            ("residual branch output", branch_out, groups),
            ("in_channels", in_channels, first_groups),
        ):
            if value < 1 or value % g:
                raise ValueError(
                    f"the {what} has {value} channels, which groups={g} does not divide; "
                    f"choose channel counts that are multiples of {BOTTLENECK_RATIO * groups}"
                )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups, self.stride = groups, stride
        self.bottleneck = bottleneck
        self.compress = (
            grouped(in_channels, bottleneck, first_groups, act="relu")
            if first_groups > 1
            else pointwise(in_channels, bottleneck, act="relu")
        )
        # None rather than nn.Identity, so that a cost profile lists only layers that exist.
        self.shuffle = ChannelShuffle(groups) if shuffle and groups > 1 and group_first else None
        self.depthwise = depthwise(bottleneck, 3, stride, act="none")
        self.expand = (
            grouped(bottleneck, branch_out, groups, act="none")
            if groups > 1
            else pointwise(bottleneck, branch_out, act="none")
        )
        self.shortcut = nn.AvgPool2d(3, stride=2, padding=1) if stride == 2 else None
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.compress(x)
        if self.shuffle is not None:
            branch = self.shuffle(branch)
        branch = self.expand(self.depthwise(branch))
        if self.shortcut is not None:
            out = torch.cat([self.shortcut(x), branch], dim=1)
        else:
            out = x + branch
        return self.act(out)


def stem_channels(groups: int, width_mult: float) -> int:
    """conv1's width: 24 scaled by the largest power of two not above s (at least 1/2), divisible by g.

    This is what the authors' released models use (12 / 24 / 24 / 48 channels for g=3 at 0.5x / 1x /
    1.5x / 2x; 16 for g=8 at 0.5x, as 12 does not split into 8 groups).
    """
    scale = max(0.5, 2.0 ** math.floor(math.log2(width_mult)))
    return make_divisible(TABLE1_STEM_CHANNELS * scale, groups)


def stage_channels(groups: int, width_mult: float) -> tuple[int, int, int, int]:
    """Stem and stage 2/3/4 output channels for ``groups`` at scale ``width_mult`` (rule: see the builder)."""
    stem = stem_channels(groups, width_mult)
    stages = tuple(
        make_divisible(c * width_mult, BOTTLENECK_RATIO * groups) for c in TABLE1_STAGE_CHANNELS[groups]
    )
    return (stem, *stages)


@register(
    "shufflenet_v1",
    paper="Zhang, Zhou, Lin, Sun (2017). ShuffleNet: An Extremely Efficient Convolutional Neural Network "
    "for Mobile Devices. arXiv:1707.01083",
)
def build_shufflenet_v1(
    *, num_classes: int, width_mult: float, variant: str, groups: int = 3, shuffle: bool = True
) -> SmallNet:
    """ShuffleNet v1 (Zhang, Zhou, Lin, Sun 2017, arXiv 1707.01083), Table 1 and Figure 2.

    Options: ``groups`` g in {1, 2, 3, 4, 8} (Table 1's columns; default 3, the paper's main model),
    ``width_mult`` the scale factor "s x" (0.25, 0.5, 1, 1.5, 2 in the paper), ``shuffle`` (False for
    Table 3's ablation: the same network with no channel shuffle).

    Channel rounding when s != 1 (at 1x every rule gives Table 1 exactly):

    - stage widths: ``make_divisible(c * s, 4 * g)``, the nearest multiple of ``4g``, so that the width,
      the bottleneck (1/4 of it) and the stride-2 branch (stage width minus its input) all divide by g.
      This gives the authors' released widths (e.g. 360/720/1440 for 1.5x g=3, 192/384/768 for 0.5x g=8).
    - stem (conv1): the 24 channels scale by the largest power of two not above s, but not below 1/2,
      then round up to a multiple of g: 12 for s <= 0.5 (16 for g=8), 24 for 1x and 1.5x, 48 for 2x.
      These are the stems of the authors' released models; the paper does not state the rule. Scaling
      the stem linearly instead (36 at 1.5x, 6 at 0.25x) misses Table 5's 292M by +2.6% and Table 2's
      13M by -15%.

    Our count against the paper (multiply-accumulates at 224x224, 1000 classes, the FC layer included):

    - 1x, g = 1 / 2 / 3 / 4 / 8: 143.1 / 140.8 / 137.5 / 134.3 / 138.4M vs Table 1's 143 / 140 / 137 /
      133 / 137M (within 1.1%; Table 5 itself quotes the 1x g=8 model at 140M);
    - 2x g=3: 524.05M vs 524M; 1.5x g=3: 292.4M vs 292M (Table 5); their parameters, 5.40M and 3.41M
      without BatchNorm, match the 5.4M and 3.4M that MobileNetV2's Table 4 quotes;
    - 0.5x: 38.5 / 38.9 / 37.6 / 37.9 / 40.5M vs Table 2's single headline 38M;
    - 0.25x: 13.2 / 13.5 / 13.3 / 13.5 / 15.7M vs Table 2's 13M. Only g=8 is far off (+21%): its
      16-channel stem and the largest Table 1 widths weigh more at 0.25x. A stem scaled linearly
      (24 x 0.25 = 6) and rounded to a multiple of g (6 / 6 / 6 / 8 / 8) gives 11.0 / 11.2 / 11.0 / 11.9 /
      12.4M: g=8 comes within 5% of 13M, the others fall 8-15% under it. No single stem rule gives 13M
      for every g; the paper quotes one figure for every g at a scale and does not publish the 0.25x
      models, so the rule of the released models is kept.
    """
    if not isinstance(groups, int) or isinstance(groups, bool) or groups not in GROUPS:
        raise ValueError(
            f"groups must be one of {', '.join(map(str, GROUPS))} (the columns of ShuffleNet's Table 1), "
            f"got {groups!r}"
        )
    if not isinstance(shuffle, bool):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}")
    stem, *widths = stage_channels(groups, width_mult)
    if widths[0] <= stem:
        raise ValueError(
            f"width_mult={width_mult} gives stage 2 only {widths[0]} channels for groups={groups}, not more "
            f"than the {stem}-channel stem its first unit concatenates; use a larger width_mult "
            f"(the paper's smallest is 0.25)"
        )
    conv1_stride, maxpool = _STEM[variant]

    layers: dict[str, nn.Module] = {"conv1": ConvBNAct(3, stem, 3, stride=conv1_stride, act="relu")}
    if maxpool:
        layers["maxpool"] = nn.MaxPool2d(3, stride=2, padding=1)
    in_channels = stem
    for stage, (out_channels, repeats) in enumerate(zip(widths, TABLE1_STAGE_REPEATS, strict=True), start=2):
        units = []
        for i in range(repeats):
            units.append(
                ShuffleUnit(
                    in_channels,
                    out_channels,
                    groups,
                    stride=2 if i == 0 else 1,
                    shuffle=shuffle,
                    # Table 1 note: no group conv on the first pointwise layer of stage 2.
                    group_first=not (stage == 2 and i == 0),
                )
            )
            in_channels = out_channels
        layers[f"stage{stage}"] = nn.Sequential(*units)
    features = nn.Sequential()
    for name, module in layers.items():
        features.add_module(name, module)
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes))
    # Each stride-1 unit starts as the identity: the BatchNorm closing its residual branch starts at
    # zero scale (Goyal et al. 2017, arXiv:1706.02677; torchvision's zero_init_residual). Without it,
    # 16 residual sums at the usual learning rate of 0.1 blow the loss up in the first epoch (to 15-30 in
    # our runs) and the network spends its short budget recovering. A unit built alone keeps the
    # default initialisation, so its branch is live when a lesson probes it.
    for module in features.modules():
        if isinstance(module, ShuffleUnit) and module.stride == 1:
            nn.init.zeros_(module.expand[1].weight)
    # Every strided layer is a 3x3 window with padding 1 (conv, max-pool, depthwise conv and the
    # shortcut's average pool all give ceil(n / 2)), so even a 1x1 input keeps a 1x1 map to the end.
    return SmallNet(features, classifier, min_resolution=1)


def _entry(s: float, g: int, macs: float | None, top1: float | None, source: str, note: str, **kw) -> dict:
    return {
        "name": "shufflenet_v1",
        "width_mult": s,
        "resolution": 224,
        "options": {"groups": g, "shuffle": kw.pop("shuffle", True)},
        "params": kw.pop("params", None),
        "macs": None if macs is None else int(macs),
        "top1": top1,
        "source": source,
        "note": note,
    }


_T2_ERRORS = {  # ShuffleNet Table 2: top-1 error (%) for g = 1, 2, 3, 4, 8
    1.0: (33.6, 32.7, 32.6, 32.8, 32.4),
    0.5: (45.1, 44.4, 43.2, 41.6, 42.3),
    0.25: (57.1, 56.8, 55.0, 54.2, 52.7),
}
_T2_MFLOPS = {1.0: None, 0.5: 38, 0.25: 13}  # Table 2's headline complexity per scale (1x: Table 1)

PUBLISHED: list[dict] = [
    _entry(
        s,
        g,
        (TABLE1_COMPLEXITY_MFLOPS[g] if s == 1.0 else _T2_MFLOPS[s]) * 1e6,
        round(100 - err, 1),
        "ShuffleNet Table 1 (complexity), Table 2 (error)" if s == 1.0 else "ShuffleNet Table 2",
        "FLOPs in the paper are multiply-accumulates; top-1 = 100 - Table 2's error"
        + ("" if s == 1.0 else f"; {_T2_MFLOPS[s]}M is the paper's one figure for every g at this scale"),
    )
    for s, errors in _T2_ERRORS.items()
    for g, err in zip(GROUPS, errors, strict=True)
]
PUBLISHED += [  # ShuffleNet Table 3: the same networks without channel shuffle
    _entry(s, g, None, round(100 - err, 1), "ShuffleNet Table 3", "without channel shuffle", shuffle=False)
    for s, g, err in (
        (1.0, 3, 34.5),
        (1.0, 8, 37.6),
        (0.5, 3, 45.7),
        (0.5, 8, 48.1),
        (0.25, 3, 56.3),
        (0.25, 8, 56.5),
    )
]
PUBLISHED += [  # ShuffleNet Table 5: against MobileNet at similar complexity
    _entry(2.0, 3, 524e6, 73.7, "ShuffleNet Table 5", "error 26.3%; stem scaled to 48 channels"),
    _entry(1.5, 3, 292e6, 71.5, "ShuffleNet Table 5", "error 28.5%"),
    _entry(1.0, 8, 140e6, 67.6, "ShuffleNet Table 5", "error 32.4%; Table 1 gives 137M for this model"),
    _entry(0.5, 4, 38e6, 58.4, "ShuffleNet Table 5", "error 41.6%"),
]
PUBLISHED += [  # MobileNetV2 Table 4 quotes ShuffleNet with parameter counts (the ShuffleNet paper has none)
    _entry(
        1.5,
        3,
        292e6,
        71.5,
        "MobileNetV2 Table 4",
        "3.4M parameters as quoted by MobileNetV2",
        params=3_400_000,
    ),
    _entry(
        2.0,
        3,
        524e6,
        73.7,
        "MobileNetV2 Table 4",
        "5.4M parameters as quoted by MobileNetV2",
        params=5_400_000,
    ),
]
