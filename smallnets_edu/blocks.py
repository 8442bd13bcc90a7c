"""Building blocks shared by every architecture in the course.

Each block is a small ``nn.Module`` (or ``nn.Sequential``) whose constructor checks its arguments and
says what is wrong in plain words. Models are assembled from these, so the cost model and the lessons
can name every layer by what it is: ``pointwise``, ``depthwise``, ``grouped``...
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

Activation = Callable[[], nn.Module] | None

ACTIVATIONS: dict[str, Activation] = {
    "relu": lambda: nn.ReLU(inplace=True),
    "relu6": lambda: nn.ReLU6(inplace=True),
    "leaky_relu": lambda: nn.LeakyReLU(0.1, inplace=True),
    "none": None,
}


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor`` (the rule of TF-slim and torchvision).

    Rounds to the nearest multiple, never below ``min_value`` (default: ``divisor``), and adds one
    more ``divisor`` when rounding down would lose more than 10% of ``value``.
    """
    if divisor < 1:
        raise ValueError(f"divisor must be a positive integer, got {divisor}")
    if value <= 0:
        raise ValueError(f"a channel count must be positive, got {value}")
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    _check_positive(groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels={in_channels} and out_channels={out_channels}; "
            f"pick a channel count that is a multiple of {groups} or another number of groups"
        )


def _activation(act: str | Activation) -> nn.Module | None:
    if isinstance(act, str):
        if act not in ACTIVATIONS:
            raise ValueError(f"unknown activation {act!r}; choose one of {sorted(ACTIVATIONS)}")
        act = ACTIVATIONS[act]
    return act() if act is not None else None


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class ConvBNAct(nn.Sequential):
    """Convolution -> BatchNorm -> activation, the unit every small net is made of.

    ``padding`` defaults to "same"-style ``k // 2`` so a stride-1 block keeps the map size.
    ``bn=False`` keeps a bias on the convolution instead (SqueezeNet has no BatchNorm).
    ``order="act_bn"`` puts the activation before BatchNorm, as EffNet's reference code does.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        groups: int = 1,
        *,
        act: str | Activation = "relu",
        bn: bool = True,
        padding: int | tuple[int, int] | None = None,
        order: str = "bn_act",
    ) -> None:
        _check_positive(in_channels=in_channels, out_channels=out_channels)
        kh, kw = _pair(kernel_size)
        _check_positive(kernel_height=kh, kernel_width=kw)
        _check_groups(in_channels, out_channels, groups)
        if order not in ("bn_act", "act_bn"):
            raise ValueError(f"order must be 'bn_act' or 'act_bn', got {order!r}")
        if padding is None:
            padding = (kh // 2, kw // 2)
        conv = nn.Conv2d(in_channels, out_channels, (kh, kw), stride, padding, groups=groups, bias=not bn)
        layers: list[nn.Module] = [conv]
        norm = [nn.BatchNorm2d(out_channels)] if bn else []
        activation = _activation(act)
        acts = [activation] if activation is not None else []
        layers += norm + acts if order == "bn_act" else acts + norm
        super().__init__(*layers)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = (kh, kw), _pair(stride)


def pointwise(in_channels: int, out_channels: int, act: str | Activation = "relu", **kw) -> ConvBNAct:
    """1x1 convolution: mixes channels at each pixel, sees no neighbours."""
    return ConvBNAct(in_channels, out_channels, 1, act=act, **kw)


def grouped(
    in_channels: int,
    out_channels: int,
    groups: int,
    kernel_size: int = 1,
    act: str | Activation = "relu",
    **kw,
) -> ConvBNAct:
    """Grouped convolution: ``groups`` independent convolutions side by side, each on C/groups channels."""
    return ConvBNAct(in_channels, out_channels, kernel_size, groups=groups, act=act, **kw)


def depthwise(
    channels: int,
    kernel_size: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    act: str | Activation = "relu",
    multiplier: int = 1,
    **kw,
) -> ConvBNAct:
    """Depthwise convolution: one k x k filter per channel (groups = channels), no channel mixing.

    ``multiplier`` > 1 gives each input channel several filters (a "depth multiplier", used by EffNet).
    """
    _check_positive(channels=channels, multiplier=multiplier)
    return ConvBNAct(channels, channels * multiplier, kernel_size, stride, groups=channels, act=act, **kw)


class DepthwiseSeparable(nn.Sequential):
    """MobileNet's factorisation of a k x k convolution: depthwise k x k, then pointwise 1x1.

    Costs ``k*k*M*H*W + M*N*H*W`` multiply-accumulates instead of ``k*k*M*N*H*W``:
    a ratio of ``1/N + 1/k**2``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        kernel_size: int = 3,
        act: str | Activation = "relu",
    ) -> None:
        super().__init__()
        self.depthwise = depthwise(in_channels, kernel_size, stride, act=act)
        self.pointwise = pointwise(in_channels, out_channels, act=act)
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride


class SpatiallySeparable(nn.Sequential):
    """A k x k convolution factored in space: a 1 x k convolution then a k x 1 convolution.

    With ``depthwise=True`` (EffNet) both are per-channel; otherwise they are full convolutions.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        depthwise: bool = False,
        act: str | Activation = "relu",
    ) -> None:
        _check_positive(in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size)
        if depthwise and in_channels != out_channels:
            raise ValueError(
                f"a depthwise spatially separable conv keeps the channel count: "
                f"got in_channels={in_channels}, out_channels={out_channels}"
            )
        groups = in_channels if depthwise else 1
        super().__init__()
        self.row = ConvBNAct(in_channels, out_channels, (1, kernel_size), groups=groups, act=act)
        self.column = ConvBNAct(out_channels, out_channels, (kernel_size, 1), groups=groups, act=act)
        self.in_channels, self.out_channels = in_channels, out_channels


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle: view channels as (groups, C/groups), transpose, flatten.

    A fixed permutation, not a random one: with 12 channels and 3 groups the new order is
    0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, so every group of the next layer sees every group of this one.
    """
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f"channel shuffle needs groups={groups} to divide the {c} channels")
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        # Channels-last memory holds the channels of a pixel side by side: permuting them there keeps
        # the layout, instead of handing every following layer an NCHW tensor to convert back.
        nhwc = x.permute(0, 2, 3, 1).reshape(n, h, w, groups, c // groups).transpose(3, 4)
        return nhwc.reshape(n, h, w, c).permute(0, 3, 1, 2)
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ChannelShuffle(nn.Module):
    """Module form of :func:`channel_shuffle` (no parameters, no multiply-accumulates)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        _check_positive(groups=groups)
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


def shuffle_permutation(channels: int, groups: int) -> list[int]:
    """The input channel that lands at each output position of a channel shuffle."""
    _check_positive(channels=channels, groups=groups)
    if channels % groups:
        raise ValueError(f"groups={groups} must divide channels={channels}")
    index = torch.arange(channels, dtype=torch.float32).view(1, channels, 1, 1)
    return channel_shuffle(index, groups).flatten().long().tolist()
