"""SqueezeNet 1.0 and 1.1: Fire modules, a 1x1 classifier and no fully connected layer.

Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer (2016), "SqueezeNet: AlexNet-level accuracy with 50x
fewer parameters and <0.5MB model size", arXiv:1602.07360. Version 1.1 is DeepScale's revision
(released with the authors' Caffe models): conv1 has 64 filters of 3x3/2 and the max-pools come after
conv1, fire3 and fire5 instead of conv1, fire4 and fire8, for 2.4x less computation at the same
accuracy.

A Fire module squeezes the input with ``s`` 1x1 filters, then expands with ``e1`` 1x1 and ``e3`` 3x3
filters whose outputs are concatenated (``e = e1 + e3`` channels). The eight Fire modules (fire2 ..
fire9) take their sizes from five metaparameters (Section 3.3, Table 1)::

    e_i = base_e + incr_e * floor(i / freq)     i = 0 .. 7 for fire2 .. fire9
    s_i = SR * e_i         e3_i = pct3x3 * e_i        e1_i = e_i - e3_i

SqueezeNet has no BatchNorm: every convolution has a bias and a ReLU (``ConvBNAct(..., bn=False)``).
The classifier is torchvision's arrangement: dropout 0.5, conv10 (1x1 to ``num_classes``), ReLU,
global average pooling. ``batch_norm=True`` (not in the paper) is the recipe of the CIFAR SqueezeNets
in common use: BatchNorm after every convolution but conv10 (the convolutions then drop their biases)
and no ReLU on the class scores. Trained from scratch at 10 classes with SGD, the
published network stays at chance (the ReLU on its class scores blocks the gradient of every negative
one, and early training makes them all negative); so it asks ``train.fit`` for AdamW at a tenth of its
rate (:func:`published_recipe`), which changes the training, not the network. With BatchNorm it
needs no such help.

Variants (max-pools are 3x3/2 with ceil rounding, as Caffe and torchvision; final map for the
variant's intended input size):

============ ================================ ================================ ==============
variant      conv1 (1.0 / 1.1)                max-pools                        maps
============ ================================ ================================ ==============
imagenet     7x7/2 x96, no padding /          after conv1, fire4, fire8 /      224: 109, 54,
             3x3/2 x64, no padding            after conv1, fire3, fire5        27, 13 (1.0)
cifar        3x3/1 pad 1 (96 / 64 filters)    unchanged (three)                32: 32, 16, 8, 4
tiny         3x3/2 pad 1 (96 / 64 filters)    unchanged (three)                64: 32, 16, 8, 4
============ ================================ ================================ ==============

Why: a 7x7/2 conv and three pools shrink a 32x32 image to 1x1 before fire9. The small variants use
a 3x3 conv1 (a 7x7 kernel is large on a 32x32 image) and keep the three pools, so fire9 and conv10 see
a 4x4 map, as the ImageNet network sees 13x13 of 224. The CIFAR layout (3x3 stride-1 stem, then three
2x down-samplings between the Fire groups) is the one of weiaicunzai/pytorch-cifar100, whose SqueezeNet
reaches 30.59% top-1 error on CIFAR-100 (that version adds BatchNorm, which ours does not). Tiny-ImageNet
images are twice as large, so conv1 keeps stride 2 there and the maps match the CIFAR ones from then on.
Only conv1 differs from the ImageNet network, so the Fire modules have the same parameters:
1.0 cifar/tiny has 1,236,904 parameters at 1000 classes (conv1 2,688 instead of 14,208).

Width: ``width_mult`` multiplies every channel count (conv1 and each ``e_i``), then ``s_i`` and
``e3_i`` are derived from the scaled ``e_i``. Rounding is to the nearest integer, halves up, with at
least 1 channel (``e_i`` at least 2, and ``1 <= e3_i <= e_i - 1`` so both expand branches exist).
At 1.0 the defaults give Table 1 exactly.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import torch
from torch import nn

from ..blocks import ConvBNAct, pointwise
from ._registry import SmallNet, register


class Table1Row(NamedTuple):
    layer: str
    output_size: int  # side of the output map (the table's sizes imply a 227x227 input)
    channels: int  # output channels ("depth")
    squeeze: int | None  # s1x1
    expand1x1: int | None  # e1x1
    expand3x3: int | None  # e3x3
    params: int | None  # "# parameter before pruning": weights + biases


# SqueezeNet Table 1 (v1.0). The table prints a 224x224 input, but conv1 (7x7/2, no padding) gives
# 111x111 only from 227x227, the crop of the authors' Caffe model.
TABLE_1: list[Table1Row] = [
    Table1Row("conv1", 111, 96, None, None, None, 14_208),
    Table1Row("maxpool1", 55, 96, None, None, None, None),
    Table1Row("fire2", 55, 128, 16, 64, 64, 11_920),
    Table1Row("fire3", 55, 128, 16, 64, 64, 12_432),
    Table1Row("fire4", 55, 256, 32, 128, 128, 45_344),
    Table1Row("maxpool4", 27, 256, None, None, None, None),
    Table1Row("fire5", 27, 256, 32, 128, 128, 49_440),
    Table1Row("fire6", 27, 384, 48, 192, 192, 104_880),
    Table1Row("fire7", 27, 384, 48, 192, 192, 111_024),
    Table1Row("fire8", 27, 512, 64, 256, 256, 188_992),
    Table1Row("maxpool8", 13, 512, None, None, None, None),
    Table1Row("fire9", 13, 512, 64, 256, 256, 197_184),
    Table1Row("conv10", 13, 1000, None, None, None, 513_000),
    Table1Row("avgpool10", 1, 1000, None, None, None, None),
]

# Where the max-pools go: after the named layer (v1.0 from Table 1, v1.1 from DeepScale's release).
POOLS_AFTER = {"1_0": ("conv1", "fire4", "fire8"), "1_1": ("conv1", "fire3", "fire5")}
CONV1 = {"1_0": (96, 7), "1_1": (64, 3)}  # filters, kernel (stride 2, no padding)
FIRE_NAMES = tuple(f"fire{i}" for i in range(2, 10))
BYPASS_CHOICES = ("none", "simple", "complex")

PAPER = (
    "Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer (2016). SqueezeNet: AlexNet-level accuracy with "
    "50x fewer parameters and <0.5MB model size. arXiv:1602.07360"
)
PAPER_1_1 = (
    PAPER + "; v1.1 from DeepScale's SqueezeNet release (conv1 3x3/2 x64, pools after conv1, fire3, fire5)"
)

# The paper's figures (and those of the releases and papers that quote it); keys in paper_figures.
PUBLISHED: list[dict] = [
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 227,
        "options": {"bypass": "none"},
        "params": 1_248_424,
        "macs": None,
        "top1": 57.5,
        "source": "SqueezeNet Table 1 (params), Table 2 and Table 3 (accuracy)",
        "note": "Weights + biases, no BatchNorm; torchvision squeezenet1_0 has the same 1,248,424. "
        "4.8MB at 32 bits; top-5 80.3% (AlexNet 57.2% / 80.3% with 240MB).",
    },
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 227,
        "options": {"bypass": "none"},
        "params": None,
        "macs": 833_000_000,
        "top1": 57.5,
        "source": "ShuffleNet Table 6",
        "note": "ShuffleNet quotes 'SqueezeNet 833 MFLOPs' with 42.5% top-1 error; its FLOPs are "
        "multiply-accumulates.",
    },
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 224,
        "options": {"bypass": "none"},
        "params": 1_248_424,
        "macs": 820_000_000,
        "top1": None,
        "source": "torchvision squeezenet1_0",
        "note": "torchvision lists 0.82 GFLOPS at 224x224: multiply-accumulates, rounded to 10M.",
    },
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 227,
        "options": {"bypass": "none"},
        "params": 1_250_000,
        "macs": 850_000_000,
        "top1": 57.5,
        "source": "MobileNet Table 9",
        "note": "MobileNet prints 1700 million Mult-Adds and 1.25M params; the 1700 counts multiply and "
        "add separately (DeepScale's '1.72 GFLOPS'), so it is about 850M multiply-accumulates. Counting "
        "the convolutions alone gives about 833M at 227 (ShuffleNet's figure) and 819M at 224.",
    },
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 227,
        "options": {"bypass": "simple"},
        "params": 1_248_424,
        "macs": None,
        "top1": 60.4,
        "source": "SqueezeNet Table 3",
        "note": "Simple bypass around fire3, 5, 7, 9: top-5 82.5%, still 4.8MB (an identity shortcut "
        "has no parameters).",
    },
    {
        "name": "squeezenet1_0",
        "width_mult": 1.0,
        "resolution": 227,
        "options": {"bypass": "complex"},
        "params": None,
        "macs": None,
        "top1": 58.8,
        "source": "SqueezeNet Table 3",
        "note": "Complex bypass: top-5 82.0%, 7.7MB (MB = 2**20 bytes of 32-bit weights, so about 2.02M "
        "parameters; 1,248,424 give the 4.8MB). Our complex "
        "bypass (1x1 conv with bias on fire2, 4, 6, 8; identity on fire3, 5, 7, 9) adds 341,248 "
        "parameters, 1,589,672 in all (6.1MB): the paper does not say what else its 7.7MB holds.",
    },
    {
        "name": "squeezenet1_1",
        "width_mult": 1.0,
        "resolution": 224,
        "options": {"bypass": "none"},
        "params": 1_235_496,
        "macs": 349_000_000,
        "top1": None,
        "source": "DeepScale SqueezeNet v1.1 release notes; torchvision squeezenet1_1",
        "note": "'2.4x less computation than SqueezeNet v1.0, without sacrificing accuracy'; torchvision "
        "lists 1,235,496 params and 0.35 GFLOPS (multiply-accumulates) at 224.",
    },
]


def _half_up(value: float) -> int:
    """Nearest integer, halves rounded up (Python's ``round`` sends 2.5 to 2)."""
    return int(value + 0.5)


def _check_number(name: str, value: object, low: float, high: float, high_ok: bool, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}; {hint}")
    upper_fails = value > high if high_ok else value >= high
    if not value > low or upper_fails:
        bound = f"{low} < {name} {'<=' if high_ok else '<'} {high}"
        raise ValueError(f"{name} must satisfy {bound}, got {value!r}; {hint}")
    return float(value)


def _check_int(name: str, value: object, minimum: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}; {hint}")
    return value


def fire_config(
    squeeze_ratio: float = 0.125,
    pct3x3: float = 0.5,
    base_e: int = 128,
    incr_e: int = 128,
    freq: int = 2,
    width_mult: float = 1.0,
) -> list[tuple[int, int, int]]:
    """(s1x1, e1x1, e3x3) of fire2 .. fire9 from the paper's metaparameters (Section 3.3).

    ``e_i = base_e + incr_e * floor(i / freq)`` scaled by ``width_mult``, ``s_i = SR * e_i``,
    ``e3_i = pct3x3 * e_i``; each rounded to the nearest integer (halves up), with ``s_i >= 1``,
    ``e_i >= 2`` and ``1 <= e3_i <= e_i - 1``. The defaults give Table 1.
    """
    squeeze_ratio = _check_number(
        "squeeze_ratio", squeeze_ratio, 0, 1, True, "the paper sweeps SR from 0.125 to 1.0 (default 0.125)"
    )
    pct3x3 = _check_number(
        "pct3x3", pct3x3, 0, 1, False, "it is the fraction of expand filters that are 3x3 (default 0.5)"
    )
    base_e = _check_int("base_e", base_e, 1, "it is the expand width of fire2 (default 128)")
    incr_e = _check_int("incr_e", incr_e, 0, "it is added to e every freq Fire modules (default 128)")
    freq = _check_int("freq", freq, 1, "it is how many Fire modules share one width (default 2)")
    config = []
    for i in range(len(FIRE_NAMES)):
        e = max(2, _half_up((base_e + incr_e * (i // freq)) * width_mult))
        s = max(1, _half_up(squeeze_ratio * e))
        e3 = min(e - 1, max(1, _half_up(pct3x3 * e)))
        config.append((s, e - e3, e3))
    return config


class Fire(nn.Module):
    """SqueezeNet's Fire module: squeeze 1x1 -> (expand 1x1 | expand 3x3), concatenated.

    ``bypass``: ``"none"``; ``"identity"`` adds the input to the output (simple bypass, needs equal
    channel counts); ``"conv"`` adds a 1x1 convolution of the input (complex bypass). ``batch_norm``
    puts BatchNorm after the three convolutions (not in the paper; see ``build_squeezenet1_0``).
    Defined here rather than in ``blocks`` because only SqueezeNet uses it; its convolutions are the
    shared blocks, so the cost profile names them ``pointwise`` and ``conv``.
    """

    def __init__(
        self,
        in_channels: int,
        squeeze: int,
        expand1x1: int,
        expand3x3: int,
        bypass: str = "none",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        out_channels = expand1x1 + expand3x3
        if bypass not in ("none", "identity", "conv"):
            raise ValueError(f"Fire bypass must be 'none', 'identity' or 'conv', got {bypass!r}")
        if bypass == "identity" and in_channels != out_channels:
            raise ValueError(
                f"an identity bypass needs as many input as output channels, got {in_channels} -> "
                f"{out_channels}; use bypass='conv' (a 1x1 convolution on the shortcut)"
            )
        self.squeeze = pointwise(in_channels, squeeze, bn=batch_norm)
        self.expand1x1 = pointwise(squeeze, expand1x1, bn=batch_norm)
        self.expand3x3 = ConvBNAct(squeeze, expand3x3, 3, bn=batch_norm)
        self.shortcut = (
            pointwise(in_channels, out_channels, act="none", bn=False) if bypass == "conv" else None
        )
        self.bypass = bypass
        self.in_channels, self.out_channels = in_channels, out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(x)
        out = torch.cat([self.expand1x1(s), self.expand3x3(s)], dim=1)
        if self.bypass == "identity":
            out = out + x
        elif self.shortcut is not None:
            out = out + self.shortcut(x)
        return out


def _conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1 if size + 2 * padding >= kernel else 0


def _ceil_pool_out(size: int, kernel: int = 3, stride: int = 2) -> int:
    """PyTorch's max-pool output length with ``ceil_mode=True`` and no padding (0 when it fails)."""
    out = (size - kernel + stride - 1) // stride + 1
    if (out - 1) * stride >= size:  # the last window must start inside the input
        out -= 1
    return max(out, 0)


def _min_resolution(kernel: int, stride: int, padding: int, pools: int) -> int:
    """Smallest input side for which conv1 and every max-pool have at least one output pixel.

    The Fire modules and conv10 keep the map size (1x1 convs, and 3x3 convs with padding 1).
    """
    side = 1
    while True:
        size = _conv_out(side, kernel, stride, padding)
        for _ in range(pools):
            size = _ceil_pool_out(size) if size >= 1 else 0
        if size >= 1:
            return side
        side += 1


def _build(
    version: str,
    *,
    num_classes: int,
    width_mult: float,
    variant: str,
    squeeze_ratio: float,
    pct3x3: float,
    base_e: int,
    incr_e: int,
    freq: int,
    bypass: str,
    batch_norm: bool,
) -> SmallNet:
    if not isinstance(batch_norm, bool):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
    if bypass not in BYPASS_CHOICES:
        raise ValueError(
            f"bypass must be one of {', '.join(BYPASS_CHOICES)}, got {bypass!r}; 'simple' adds identity "
            f"shortcuts around fire3, 5, 7, 9 and 'complex' also 1x1-conv shortcuts around the others "
            f"(SqueezeNet Table 3)"
        )
    fires = fire_config(squeeze_ratio, pct3x3, base_e, incr_e, freq, width_mult)
    filters, kernel = CONV1[version]
    filters = max(1, _half_up(filters * width_mult))
    if variant == "imagenet":
        stride, padding = 2, 0
    else:  # a 3x3 conv1, stride 1 for 32x32 images and 2 for 64x64 ones
        kernel, stride, padding = 3, (1 if variant == "cifar" else 2), 1

    layers: list[tuple[str, nn.Module]] = [
        ("conv1", ConvBNAct(3, filters, kernel, stride, bn=batch_norm, padding=padding))
    ]
    if "conv1" in POOLS_AFTER[version]:
        layers.append(("maxpool1", nn.MaxPool2d(3, 2, ceil_mode=True)))
    channels = filters
    for index, (name, (s, e1, e3)) in enumerate(zip(FIRE_NAMES, fires, strict=True)):
        odd = index % 2 == 1  # fire3, 5, 7, 9: the modules the paper's simple bypass goes around
        mode = "none"
        if bypass != "none" and odd:
            mode = "identity" if channels == e1 + e3 or bypass == "simple" else "conv"
        elif bypass == "complex":
            mode = "conv"
        if mode == "identity" and channels != e1 + e3:
            raise ValueError(
                f"bypass='simple' needs {name} to keep its channel count, but these metaparameters give "
                f"{channels} -> {e1 + e3}; use bypass='complex' (1x1 conv shortcuts where counts differ) "
                f"or metaparameters that change the width every second Fire module (freq=2)"
            )
        layers.append((name, Fire(channels, s, e1, e3, mode, batch_norm=batch_norm)))
        channels = e1 + e3
        if name in POOLS_AFTER[version]:
            layers.append((f"maxpool{name[4:]}", nn.MaxPool2d(3, 2, ceil_mode=True)))
    features = nn.Sequential()
    for name, layer in layers:
        features.add_module(name, layer)

    classifier = nn.Sequential()
    classifier.add_module("dropout", nn.Dropout(0.5))
    # With BatchNorm the class scores are left unclipped: a ReLU on them only slows the start.
    conv10_act = "none" if batch_norm else "relu"
    classifier.add_module("conv10", pointwise(channels, num_classes, act=conv10_act, bn=False))
    classifier.add_module("avgpool10", nn.AdaptiveAvgPool2d(1))
    classifier.add_module("flatten", nn.Flatten(1))

    # torchvision's initialisation: Kaiming-uniform convolutions, a small normal conv10 so the ReLU
    # before the average pool starts with live logits, zero biases.
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    nn.init.normal_(classifier.conv10[0].weight, mean=0.0, std=0.01)
    nn.init.zeros_(classifier.conv10[0].bias)

    pools = len(POOLS_AFTER[version])
    net = SmallNet(features, classifier, _min_resolution(kernel, stride, padding, pools))
    net.recipe_defaults = {} if batch_norm else published_recipe()
    return net


# At the short budgets (``budget.Budget.short``) the published network underfits: after the laptop
# budget's 5 epochs its training loss is still far above what label smoothing allows, so augmentation
# only slows it, and its images cost a third (1.0) to a fifth (1.1) of MobileNetV2's. It trains three
# times the budget's epochs on the plain images, and still finishes no later than MobileNetV2.
SHORT_BUDGET_RECIPE: dict[str, Any] = {"epochs_scale": 3, "augment": False}
ADAMW_LR = 3e-4  # AdamW's peak at the budget's batch size, for every budget; at 6e-4 the scores die


def published_recipe() -> dict[str, Any]:
    """What the published (BatchNorm-free) network asks of ``train.fit``: AdamW at 3e-4 (at the budget's
    batch size), and at the short budgets three times the epochs without augmentation.

    With SGD the network does not leave chance in a short run. conv10 reads 512 non-negative,
    unnormalised channels and its class scores pass through a ReLU. Near the start the quickest way
    down the loss is to make every class equally likely, and the body finds it by driving every class
    score below zero at every position (measured: the fraction of live scores fell from half to none
    within 120 steps); the ReLU then passes no gradient and the network is at chance for good. Slowing
    conv10 (even to ``num_classes / 1000`` of the rate) does not stop it: the body's weights, 26
    convolutions without BatchNorm, get gradients a thousandth of their size, and their SGD steps are
    too small to learn anything else in a few hundred steps.

    AdamW (``train.recipe``) scales every weight's step by its own gradient history, so the body learns
    at the rate it is given however small its gradients are. At 1e-3 and at 6e-4 the scores still died;
    at 3e-4 they live, at every budget (the BatchNorm networks take ``budget.Budget.adamw_lr``, 2e-2 at
    ``laptop``). Measured at the ``laptop`` budget on the offline set, mean of three seeds, 5 epochs:
    SqueezeNet 1.1 33% (SGD at any rate and conv10 rate tried: 10-12%), 1.0 42% (SGD: 11%).

    It then underfits (its training loss ends far above label smoothing's floor), so at the short
    budgets it trains three times the epochs without augmentation (:data:`SHORT_BUDGET_RECIPE`): 1.1
    71% and 1.0 82% at the ``laptop`` budget (three seeds). It changes the training, not the network;
    an explicit ``optimizer``, ``lr``, ``epochs`` or ``augment`` wins.
    """
    return {"optimizer": "adamw", "adamw_lr": ADAMW_LR, "short_budget": dict(SHORT_BUDGET_RECIPE)}


@register("squeezenet1_0", paper=PAPER)
def build_squeezenet1_0(
    *,
    num_classes: int,
    width_mult: float,
    variant: str,
    squeeze_ratio: float = 0.125,
    pct3x3: float = 0.5,
    base_e: int = 128,
    incr_e: int = 128,
    freq: int = 2,
    bypass: str = "none",
    batch_norm: bool = False,
) -> SmallNet:
    """SqueezeNet 1.0 (Iandola et al. 2016, arXiv:1602.07360, Table 1).

    Options are the paper's metaparameters (Section 3.3): ``squeeze_ratio`` (SR), ``pct3x3``,
    ``base_e``, ``incr_e``, ``freq``, and ``bypass`` in ``"none"``, ``"simple"`` (identity shortcuts
    around fire3, 5, 7, 9) or ``"complex"`` (also 1x1-conv shortcuts around fire2, 4, 6, 8), Table 3;
    and ``batch_norm`` (default False, the paper's network; True adds BatchNorm after every convolution
    but conv10 and drops the ReLU on the class scores, the usual recipe for training on CIFAR).

    Counts: at the defaults every Fire module has Table 1's parameters and the total is 1,248,424
    (torchvision agrees). The convolutions cost about 819M multiply-accumulates at 224x224 and 833M at
    227x227 (ShuffleNet's "833 MFLOPs"); MobileNet Table 9's "1700 million" counts multiply and add
    separately. The complex bypass adds 341,248 parameters, not the 2.9MB that Table 3's 7.7MB implies.
    """
    return _build(
        "1_0",
        num_classes=num_classes,
        width_mult=width_mult,
        variant=variant,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        base_e=base_e,
        incr_e=incr_e,
        freq=freq,
        bypass=bypass,
        batch_norm=batch_norm,
    )


@register("squeezenet1_1", paper=PAPER_1_1)
def build_squeezenet1_1(**options: Any) -> SmallNet:
    """SqueezeNet 1.1 (DeepScale's revision of Iandola et al. 2016, arXiv:1602.07360).

    Same Fire modules as 1.0; conv1 is 64 filters of 3x3/2 and the max-pools follow conv1, fire3 and
    fire5, so fire4 .. fire9 run on smaller maps. 1,235,496 parameters (torchvision agrees) and about
    349M multiply-accumulates at 224x224, 2.4x less than 1.0. Options as :func:`build_squeezenet1_0`
    (the bypasses are the paper's 1.0 experiment, applied to the same Fire modules here).
    """
    bound = inspect.signature(build_squeezenet1_0).bind(**options)  # 1.0's options and defaults
    bound.apply_defaults()
    return _build("1_1", **bound.arguments)


# ``models.options`` and ``build`` read the options from the signature: 1.1 has 1.0's.
build_squeezenet1_1.__signature__ = inspect.signature(build_squeezenet1_0)  # type: ignore[attr-defined]
