"""What a network costs: parameters, multiply-accumulates, activation memory and latency.

Three layers of tools, from the blackboard to the stopwatch:

1. Formulas (``conv_params``, ``conv_macs`` and the named variants) are the ones the lessons teach.
2. ``profile(model, resolution)`` runs one image through a model and applies the formulas to every
   layer it meets, giving a per-layer table; ``flop_counter_macs`` asks PyTorch's own
   ``FlopCounterMode`` for the same total, and the tests hold the two to exact agreement.
3. ``latency`` times a forward pass with ``torch.utils.benchmark``.

Counting convention: one multiply-accumulate (MAC) is one multiplication and one addition. The papers'
"FLOPs" (ShuffleNet, FD-MobileNet), "Mult-Adds" (MobileNet) and "MAdds" (MobileNetV2) all count MACs;
``FlopCounterMode`` counts 2 FLOPs per MAC. BatchNorm, activations, pooling, bias and residual additions
are not counted, as in the papers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

# --------------------------------------------------------------------------------------------------
# 1. Formulas
# --------------------------------------------------------------------------------------------------


def _check(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int | None = None) -> int:
    """Output length of a convolution along one axis (padding defaults to ``kernel // 2``)."""
    _check(size=size, kernel=kernel, stride=stride)
    padding = kernel // 2 if padding is None else padding
    if kernel > size + 2 * padding:
        raise ValueError(
            f"a kernel of {kernel} does not fit an input of {size} (padding {padding}); "
            f"use a kernel of at most {size + 2 * padding} or a larger input"
        )
    return (size + 2 * padding - kernel) // stride + 1


def conv_params(
    in_channels: int, out_channels: int, kernel: int | tuple[int, int], groups: int = 1, bias: bool = False
) -> int:
    """Weights of a (grouped) convolution: ``kh * kw * (M / g) * N`` (+ ``N`` biases)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    _check(
        in_channels=in_channels, out_channels=out_channels, kernel_height=kh, kernel_width=kw, groups=groups
    )
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
        )
    return kh * kw * (in_channels // groups) * out_channels + (out_channels if bias else 0)


def conv_macs(
    in_channels: int,
    out_channels: int,
    kernel: int | tuple[int, int],
    out_height: int,
    out_width: int | None = None,
    groups: int = 1,
) -> int:
    """Multiply-accumulates of a (grouped) convolution: ``kh * kw * (M / g) * N * H_out * W_out``.

    Every output value is a dot product over a ``kh x kw x M/g`` window of the input.
    """
    out_width = out_height if out_width is None else out_width
    _check(out_height=out_height, out_width=out_width)
    return conv_params(in_channels, out_channels, kernel, groups) * out_height * out_width


def standard_conv_macs(m: int, n: int, k: int, size: int) -> int:
    """``Dk * Dk * M * N * Df * Df``: a k x k convolution, M to N channels, on a Df x Df output."""
    return conv_macs(m, n, k, size)


def pointwise_macs(m: int, n: int, size: int) -> int:
    """``M * N * Df * Df``: a 1x1 convolution."""
    return conv_macs(m, n, 1, size)


def grouped_macs(m: int, n: int, k: int, size: int, groups: int) -> int:
    """``Dk * Dk * (M / g) * N * Df * Df``: a grouped convolution is ``g`` times cheaper."""
    return conv_macs(m, n, k, size, groups=groups)


def depthwise_macs(m: int, k: int, size: int) -> int:
    """``Dk * Dk * M * Df * Df``: one k x k filter per channel."""
    return conv_macs(m, m, k, size, groups=m)


def separable_macs(m: int, n: int, k: int, size: int) -> int:
    """Depthwise then pointwise: ``Dk * Dk * M * Df * Df + M * N * Df * Df``."""
    return depthwise_macs(m, k, size) + pointwise_macs(m, n, size)


def spatially_separable_macs(m: int, n: int, k: int, size: int, depthwise: bool = False) -> int:
    """A 1 x k then a k x 1 convolution (M to N, then N to N; per channel when ``depthwise``)."""
    if depthwise:
        return conv_macs(m, m, (1, k), size, groups=m) + conv_macs(m, m, (k, 1), size, groups=m)
    return conv_macs(m, n, (1, k), size) + conv_macs(n, n, (k, 1), size)


def separable_reduction(n: int, k: int) -> float:
    """Cost of depthwise-separable over standard convolution: ``1/N + 1/Dk**2``."""
    _check(n=n, k=k)
    return 1 / n + 1 / k**2


def linear_macs(in_features: int, out_features: int) -> int:
    """A fully connected layer: one MAC per weight."""
    _check(in_features=in_features, out_features=out_features)
    return in_features * out_features


def count_params(model: nn.Module, include_bn: bool = True) -> int:
    """Trainable parameters. ``include_bn=False`` drops BatchNorm's gamma and beta, as the papers do."""
    skip = set()
    if not include_bn:
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                skip.update(id(p) for p in module.parameters(recurse=False))
    return sum(p.numel() for p in model.parameters() if p.requires_grad and id(p) not in skip)


# --------------------------------------------------------------------------------------------------
# 2. Per-layer profile
# --------------------------------------------------------------------------------------------------

_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Hardswish, nn.SiLU, nn.Sigmoid, nn.Softmax)


def layer_kind(module: nn.Module) -> str:
    """What a leaf module is, in the course's vocabulary."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        if module.groups == 1:
            if (kh, kw) == (1, 1):
                return "pointwise"
            return "conv" if kh == kw else f"conv {kh}x{kw}"
        if module.groups == module.in_channels:
            return "depthwise" if kh == kw else f"depthwise {kh}x{kw}"
        return "grouped pointwise" if (kh, kw) == (1, 1) else "grouped"
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "batchnorm"
    if isinstance(module, _POOLS):
        return "pool"
    if isinstance(module, _ACTIVATIONS):
        return "activation"
    if isinstance(module, nn.Dropout):
        return "dropout"
    if type(module).__name__ == "ChannelShuffle":
        return "shuffle"
    return type(module).__name__.lower()


def _module_macs(module: nn.Module, output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        _, _, h, w = output.shape
        return conv_macs(module.in_channels, module.out_channels, module.kernel_size, h, w, module.groups)
    if isinstance(module, nn.Linear):
        return linear_macs(module.in_features, module.out_features) * (output.numel() // output.shape[-1])
    return 0


@dataclass
class LayerCost:
    """One row of a profile."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    macs: int
    activation_bytes: int  # this layer's output
    working_bytes: int  # its input + output, held together while it runs


@dataclass
class Profile:
    """Per-layer cost of a model for one image (batch 1) at a given resolution."""

    model_name: str
    resolution: tuple[int, int]
    layers: list[LayerCost] = field(default_factory=list)
    total_params: int = 0
    bytes_per_value: int = 4

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        """All parameters of the model, BatchNorm included (as ``count_params``)."""
        return self.total_params

    @property
    def peak_activation_bytes(self) -> int:
        """The largest input + output pair any single layer holds at once."""
        return max((layer.working_bytes for layer in self.layers), default=0)

    @property
    def largest_activation_bytes(self) -> int:
        return max((layer.activation_bytes for layer in self.layers), default=0)

    def by_kind(self) -> dict[str, dict[str, int]]:
        """MACs and parameters summed per layer kind."""
        out: dict[str, dict[str, int]] = {}
        for layer in self.layers:
            entry = out.setdefault(layer.kind, {"macs": 0, "params": 0, "layers": 0})
            entry["macs"] += layer.macs
            entry["params"] += layer.params
            entry["layers"] += 1
        return out

    def rows(self, costly_only: bool = True) -> list[LayerCost]:
        return [r for r in self.layers if r.macs or r.params or not costly_only]

    def table(self, costly_only: bool = True) -> str:
        """The per-layer table as fixed-width text, totals last."""
        head = f"{'layer':<34} {'kind':<18} {'output':>16} {'params':>11} {'MACs':>14} {'act. KiB':>10}"
        lines = [head, "-" * len(head)]
        for r in self.rows(costly_only):
            shape = "x".join(str(s) for s in r.output_shape[1:])
            lines.append(
                f"{r.name[:34]:<34} {r.kind:<18} {shape:>16} {r.params:>11,} {r.macs:>14,} "
                f"{r.activation_bytes / 1024:>10,.1f}"
            )
        lines.append("-" * len(head))
        lines.append(
            f"{'total':<34} {'':<18} {'':>16} {self.params:>11,} {self.macs:>14,} "
            f"{self.peak_activation_bytes / 1024:>10,.1f}  (peak in+out)"
        )
        return "\n".join(lines)

    def summary(self) -> str:
        h, w = self.resolution
        return (
            f"{self.model_name} at {h}x{w}: {self.params:,} parameters, {self.macs / 1e6:,.1f}M MACs, "
            f"peak activation memory {self.peak_activation_bytes / 2**20:,.2f} MiB"
        )

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{r.kind}</td>"
            f"<td>{'x'.join(map(str, r.output_shape[1:]))}</td>"
            f"<td>{r.params:,}</td><td>{r.macs:,}</td></tr>"
            for r in self.rows()
        )
        return (
            f"<p>{html.escape(self.summary())}</p><table><tr><th>layer</th><th>kind</th><th>output</th>"
            f"<th>params</th><th>MACs</th></tr>{rows}</table>"
        )


def profile(
    model: nn.Module,
    resolution: int | tuple[int, int] = 224,
    in_channels: int = 3,
    bytes_per_value: int = 4,
    name: str | None = None,
) -> Profile:
    """Run one image through ``model`` and cost every leaf layer it calls, in call order.

    A layer called twice (shared weights) appears twice, with its parameters counted once.
    ``bytes_per_value`` sets the activation element size (4 for fp32, 2 for the 16-bit
    activations of MobileNetV2's Table 3).
    """
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    _check(height=h, width=w, in_channels=in_channels, bytes_per_value=bytes_per_value)
    result = Profile(name or type(model).__name__, (h, w), bytes_per_value=bytes_per_value)
    names = {module: n for n, module in model.named_modules()}
    seen: set[int] = set()

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if not isinstance(output, torch.Tensor):
            return
        params = 0
        if id(module) not in seen:
            seen.add(id(module))
            params = sum(p.numel() for p in module.parameters(recurse=False))
        in_values = sum(t.numel() for t in inputs if isinstance(t, torch.Tensor))
        result.layers.append(
            LayerCost(
                name=names.get(module, "?"),
                kind=layer_kind(module),
                output_shape=tuple(output.shape),
                params=params,
                macs=_module_macs(module, output),
                activation_bytes=output.numel() * bytes_per_value,
                working_bytes=(in_values + output.numel()) * bytes_per_value,
            )
        )

    leaves = [m for m in model.modules() if not list(m.children())]
    run_hooked(model, [m.register_forward_hook(hook) for m in leaves], (h, w), in_channels)
    result.total_params = count_params(model)
    return result


def run_hooked(model: nn.Module, handles: list, size: tuple[int, int], in_channels: int = 3) -> None:
    """One zero image through ``model`` (eval mode, no gradients) so that its hooks see every layer.

    The hooks are removed and the model's mode restored afterwards, whatever happens. Shared by the cost
    profile here and the activation-memory accounting (:mod:`smallnets_edu.activation_memory`).
    """
    was_training = model.training
    try:
        model.eval()
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        with torch.no_grad():
            model(torch.zeros(1, in_channels, *size, device=device))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)


def flop_counter_macs(model: nn.Module, resolution: int | tuple[int, int] = 224, in_channels: int = 3) -> int:
    """PyTorch's own count for one image: ``FlopCounterMode`` FLOPs / 2."""
    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.zeros(1, in_channels, h, w))
    finally:
        model.train(was_training)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


# --------------------------------------------------------------------------------------------------
# 3. Latency
# --------------------------------------------------------------------------------------------------


@dataclass
class Latency:
    """A timing of ``model(x)`` from ``torch.utils.benchmark`` (seconds)."""

    median: float
    iqr: float
    batch_size: int
    threads: int
    device: str

    @property
    def images_per_second(self) -> float:
        return self.batch_size / self.median

    def __str__(self) -> str:
        return (
            f"{self.median * 1e3:.2f} ms per batch of {self.batch_size} (IQR {self.iqr * 1e3:.2f} ms, "
            f"{self.threads} threads, {self.device}): {self.images_per_second:,.0f} images/s"
        )


def latency(
    model: nn.Module,
    resolution: int | tuple[int, int] = 224,
    batch_size: int = 1,
    threads: int | None = None,
    min_run_time: float = 0.5,
    channels_last: bool = False,
    device: str | torch.device = "cpu",
) -> Latency:
    """Median forward time of ``model`` in eval mode, measured with ``torch.utils.benchmark``."""
    from torch.utils import benchmark

    h, w = (resolution, resolution) if isinstance(resolution, int) else resolution
    _check(batch_size=batch_size)
    threads = threads or torch.get_num_threads()
    device = torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format).eval()
    x = torch.randn(batch_size, 3, h, w, device=device).contiguous(memory_format=memory_format)
    timer = benchmark.Timer(
        stmt="with torch.no_grad(): model(x)",
        globals={"model": model, "x": x, "torch": torch},
        num_threads=threads,
    )
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    return Latency(measurement.median, measurement.iqr, batch_size, threads, str(device))


def human(n: float, unit: str = "") -> str:
    """1234567 -> '1.23M' (for tables and slider readouts)."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.3g}{suffix}{unit}"
    return f"{n:.3g}{unit}" if not float(n).is_integer() else f"{int(n)}{unit}"


__all__ = [
    "Latency",
    "LayerCost",
    "Profile",
    "conv_macs",
    "conv_output_size",
    "conv_params",
    "count_params",
    "depthwise_macs",
    "flop_counter_macs",
    "grouped_macs",
    "human",
    "latency",
    "layer_kind",
    "linear_macs",
    "pointwise_macs",
    "profile",
    "separable_macs",
    "separable_reduction",
    "spatially_separable_macs",
    "standard_conv_macs",
]
