"""Post-training 8-bit quantization with PyTorch's own tooling: FX graph mode.

The recipe of Jacob et al. 2018 ("Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", arXiv:1712.05877) as PyTorch ships it in
``torch.ao.quantization.quantize_fx``:

1. ``prepare_fx`` traces the network into a graph, folds each BatchNorm into its convolution, fuses
   convolution + ReLU, and puts an *observer* on every tensor that will become 8-bit;
2. *calibration*: a few hundred training images go through the prepared model, and the observers record
   the range of every activation;
3. ``convert_fx`` replaces each float operator by its int8 kernel, with the scale and zero point the
   observers chose. Weights become int8, symmetric, with one scale per output channel
   (``per_channel=True``, PyTorch's default, Krishnamoorthi 2018, arXiv:1806.08342, section 2.3) or one
   per tensor (``per_channel=False``); activations become uint8, one scale per tensor.

The kernels come from a *backend*: ``x86`` (FBGEMM and oneDNN) on Intel and AMD processors, ``qnnpack``
on ARM (phones, Raspberry Pi, Apple silicon). :func:`backend` picks one from ``platform.machine()``.

FX traces ``forward`` with symbolic tensors, so Python ``if`` statements on a tensor's shape or values
cannot be traced. Two places of the course have them:

- ``SmallNet.check_input`` (every network) checks the input's rank and size before running;
- ``blocks.channel_shuffle`` (ShuffleNet, EffNet with ShuffleNet blocks) checks that the groups divide
  the channels and picks a code path by memory layout.

:func:`traceable` makes a graph-friendly copy: ``features`` then ``classifier`` without the input check
(:class:`QuantizedNet` runs the check in Python, outside the graph, before every call) and every
``ChannelShuffle`` replaced by :class:`TraceableShuffle`, the same permutation written with ``reshape``
and ``transpose`` only. A network that still cannot be traced gets a ``ValueError`` naming it and the
reason, never a traceback from deep inside FX.

PyTorch marks ``torch.ao.quantization`` as deprecated in favour of the ``torchao`` package's PT2E flow;
the course uses it because it ships with PyTorch itself. Its deprecation warnings are silenced here.
"""

from __future__ import annotations

import contextlib
import copy
import io
import platform
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from ..blocks import ChannelShuffle
from ..models import SmallNet

ARM_MACHINES = ("arm64", "aarch64", "armv7l", "armv8l", "arm")
BITS = (8, 32)  # what the course's runtimes run: 8-bit integers or 32-bit floats


def backend(machine: str | None = None) -> str:
    """The quantized kernels for this processor: ``qnnpack`` on ARM, ``x86`` elsewhere."""
    machine = (platform.machine() if machine is None else machine).lower()
    return "qnnpack" if machine.startswith(ARM_MACHINES) else "x86"


def check_bits(bits: object) -> int:
    """``bits`` itself when it is 8 or 32; a ValueError that says what is possible otherwise."""
    if isinstance(bits, bool) or bits not in BITS:
        raise ValueError(
            f"bits must be 8 (integer kernels) or 32 (float), got {bits!r}; PyTorch's and ONNX Runtime's "
            f"CPU kernels compute in 8-bit integers or 32-bit floats, nothing in between (lesson 02 "
            f"stores weights in fewer bits, but decodes them to floats to compute)"
        )
    return int(bits)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the deprecation and progress messages of PyTorch's quantization and ONNX tools."""
    import logging

    names = (
        "",
        "torch.onnx",
        "torch.export",
        "torch._dynamo",
        "onnxscript",
        "onnx_ir",
    )  # "": the root logger
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


# --------------------------------------------------------------------------------------------------
# A traceable copy
# --------------------------------------------------------------------------------------------------


class TraceableShuffle(nn.Module):
    """ShuffleNet's channel shuffle without Python control flow, for graph tracers.

    ``(N, C, H, W) -> (N, g, C/g, H, W) -> transpose -> (N, C, H, W)``: the same permutation as
    :func:`smallnets_edu.blocks.channel_shuffle`, written with ``reshape`` and ``transpose`` on sizes
    read from the tensor, so FX and ``torch.export`` record it as three tensor operations (which also
    run on int8 tensors). It does not check that ``g`` divides ``C``: the network was built that way.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w = x.size(0), x.size(2), x.size(3)
        return x.reshape(n, self.groups, -1, h, w).transpose(1, 2).reshape(n, -1, h, w)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


def network_name(model: nn.Module) -> str:
    return str(getattr(model, "name", None) or type(model).__name__)


def traceable(model: nn.Module, name: str | None = None) -> nn.Module:
    """A copy of ``model`` in eval mode that ``torch.fx`` and ``torch.export`` can trace.

    For a course network (``features`` then ``classifier``): ``nn.Sequential(features, classifier)``,
    without the input check, with every ``ChannelShuffle`` replaced by :class:`TraceableShuffle`. Any
    other module is copied as it is, shuffles replaced. Activations run out of place (int8 kernels have
    no in-place LeakyReLU). Raises ValueError, naming the network and the
    reason, when FX still cannot trace it.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"expected a torch.nn.Module, got {type(model).__name__}")
    name = name or network_name(model)
    if hasattr(model, "features") and hasattr(model, "classifier") and hasattr(model, "check_input"):
        body: nn.Module = nn.Sequential(
            OrderedDict(features=copy.deepcopy(model.features), classifier=copy.deepcopy(model.classifier))
        )
    else:
        body = copy.deepcopy(model)
    for module in list(body.modules()):
        if isinstance(getattr(module, "inplace", None), bool):
            module.inplace = False  # int8 kernels (leaky_relu) have no in-place form
        for child_name, child in list(module.named_children()):
            if isinstance(child, ChannelShuffle):
                setattr(module, child_name, TraceableShuffle(child.groups))
    body.eval()
    try:
        torch.fx.symbolic_trace(body)
    except Exception as error:  # TraceError, TypeError, NotImplementedError...: all mean "not traceable"
        raise ValueError(
            f"{name} cannot be traced by torch.fx, so it cannot be quantized in FX graph mode nor "
            f"exported: {_first_line(error)} ({type(error).__name__}). Its forward uses Python control "
            f"flow on tensor values or shapes; move such checks out of forward or into a module that "
            f"the tracer treats as a leaf"
        ) from None
    return body


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


# --------------------------------------------------------------------------------------------------
# Quantization
# --------------------------------------------------------------------------------------------------


def has_vnni(flags: str | None = None) -> bool:
    """Whether this x86 processor has VNNI (``avx512_vnni`` or ``avx_vnni`` in ``/proc/cpuinfo``).

    Without it, FBGEMM multiplies uint8 activations by int8 weights with ``vpmaddubsw``, whose 16-bit
    sums can saturate; PyTorch's x86 defaults therefore keep activations to 7 bits (``reduce_range``)
    everywhere. VNNI's instructions add the products in 32 bits. Unknown (not Linux): False.
    """
    if flags is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as f:
                flags = next((line for line in f if line.startswith("flags")), "")
        except OSError:
            return False
    return bool({"avx512_vnni", "avx_vnni"} & set(flags.split()))


def full_range_activations(engine: str) -> bool:
    """8-bit rather than 7-bit activations: on ARM (qnnpack's default), and on x86 with VNNI.

    Measured on the laptop budget's showdown networks (1,000 offline test images, an Intel Xeon with
    VNNI, per-channel weights), float -> int8 with 7-bit / 8-bit activations: EffNet 57.9% -> 50.0% /
    55.5%, MobileNetV2 77.9% -> 77.6% / 68.7%, the others within a point either way. Neither choice is
    safe for every network after post-training quantization; quantization-aware fine-tuning with 8-bit
    activations brought both within a point of their float control (lesson 09), so the study keeps 8 bits
    and fine-tunes where post-training int8 loses more than two points.
    """
    return engine == "qnnpack" or (engine in ("x86", "fbgemm", "onednn") and has_vnni())


def qconfig_mapping(per_channel: bool = True, engine: str | None = None) -> Any:
    """PyTorch's default mapping for ``engine`` with per-channel or per-tensor int8 weights.

    ``get_default_qconfig_mapping`` (histogram observers on activations, symmetric int8 weights); the
    weight observer of the global entry is one min/max per output channel, or one per tensor, and the
    activations use all 8 bits where :func:`full_range_activations` allows it.
    """
    from torch.ao.quantization import QConfig, get_default_qconfig, get_default_qconfig_mapping
    from torch.ao.quantization.observer import (
        HistogramObserver,
        default_per_channel_weight_observer,
        default_weight_observer,
    )

    engine = engine or backend()
    with quiet():
        base = get_default_qconfig(engine)
        mapping = get_default_qconfig_mapping(engine)
    activation = base.activation
    if full_range_activations(engine):
        activation = HistogramObserver.with_args(reduce_range=False)
    weight = default_per_channel_weight_observer if per_channel else default_weight_observer
    return mapping.set_global(QConfig(activation=activation, weight=weight))


def qat_qconfig_mapping(engine: str | None = None) -> Any:
    """PyTorch's default mapping for quantization-aware training on ``engine`` (per-channel weights,
    fake-quantized activations), with 8-bit activations where :func:`full_range_activations` allows."""
    from torch.ao.quantization import QConfig, get_default_qat_qconfig, get_default_qat_qconfig_mapping
    from torch.ao.quantization.fake_quantize import FusedMovingAvgObsFakeQuantize
    from torch.ao.quantization.observer import MovingAverageMinMaxObserver

    engine = engine or backend()
    with quiet():
        base = get_default_qat_qconfig(engine)
        mapping = get_default_qat_qconfig_mapping(engine)
    if not full_range_activations(engine):
        return mapping
    activation = FusedMovingAvgObsFakeQuantize.with_args(
        observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, reduce_range=False
    )
    return mapping.set_global(QConfig(activation=activation, weight=base.weight))


class QuantizedNet(nn.Module):
    """An int8 network from :func:`quantize`: the input check in Python, then the converted graph.

    ``graph`` is the ``torch.fx.GraphModule`` that ``convert_fx`` made (float in, float out: it quantizes
    the input and dequantizes the output itself).
    """

    def __init__(
        self, graph: nn.Module, source: nn.Module, per_channel: bool, engine: str, name: str, note: str = ""
    ) -> None:
        super().__init__()
        self.graph = graph
        self.note = note  # a fallback taken on the way (convert_with_fallback)
        self.name = name
        self.per_channel = per_channel
        self.engine = engine
        self.variant = getattr(source, "variant", "")
        self.min_resolution = int(getattr(source, "min_resolution", 1))
        self.spec = getattr(source, "spec", None)
        self.checks_input = isinstance(source, SmallNet)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.checks_input:
            SmallNet.check_input(self, x)  # the network's own check, with its name and minimum size
        return self.graph(x)

    def extra_repr(self) -> str:
        weights = "per-channel" if self.per_channel else "per-tensor"
        return f"name={self.name!r}, int8 ({weights} weights, {self.engine} kernels)"


def quantize(
    model: nn.Module,
    calibration: Iterable[torch.Tensor] | torch.Tensor,
    *,
    per_channel: bool = True,
    bits: int = 8,
    engine: str | None = None,
    name: str | None = None,
) -> QuantizedNet:
    """Post-training static quantization of ``model`` to 8 bits (FX graph mode).

    ``calibration``: a batch of images, or an iterable of batches, already normalised as the network
    expects (a few hundred training images are plenty). The model is not changed. BatchNorm is folded
    by ``prepare_fx`` itself. Raises ValueError for ``bits`` other than 8, for a network FX cannot trace
    (naming it and the reason) and for empty calibration data.
    """
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    name = name or network_name(model)
    if check_bits(bits) != 8:
        raise ValueError(
            "quantize makes 8-bit networks; bits=32 is the float network itself (use the model as it is)"
        )
    batches = [calibration] if isinstance(calibration, torch.Tensor) else list(calibration)
    if not batches or not all(isinstance(b, torch.Tensor) and b.dim() == 4 for b in batches):
        raise ValueError(
            "calibration must be a batch of images (N, 3, H, W) or a list of such batches, normalised as "
            "for training; e.g. deploy.calibration_batches(dataset)"
        )
    body = traceable(model, name)
    example = (batches[0][:1],)

    def convert(kernels: str) -> nn.Module:
        prepared = prepare_fx(
            copy.deepcopy(body), qconfig_mapping(per_channel, kernels), example_inputs=example
        )
        with torch.no_grad():
            for batch in batches:
                prepared(batch)
        return convert_fx(prepared)

    converted, engine, note = convert_with_fallback(convert, engine, name)
    return QuantizedNet(converted, model, per_channel, engine, name, note).eval()


# oneDNN, which the x86 backend calls for some layers, failed to pack ShuffleNet's int8 weights on an
# Intel Xeon with AMX running two threads ("could not create a primitive descriptor for the reorder
# primitive"); FBGEMM, the other half of the x86 backend, packs them, and runs at the same speed.
X86_FALLBACK = "fbgemm"


def convert_with_fallback(
    convert: Callable[[str], nn.Module], engine: str | None, name: str
) -> tuple[nn.Module, str, str]:
    """``(convert(kernels), kernels, note)``: with the default x86 kernels, then FBGEMM's if they fail.

    ``engine`` given explicitly is used alone. The note says when the fallback was taken and why; a
    failure of every choice is a ValueError naming the network and the kernels.
    """
    chosen = engine or backend()
    tries = [chosen] + ([X86_FALLBACK] if engine is None and chosen == "x86" else [])
    note, first_error = "", None
    for kernels in tries:
        if kernels not in torch.backends.quantized.supported_engines:
            raise ValueError(
                f"this PyTorch build has no {kernels!r} quantized kernels; it has "
                f"{', '.join(torch.backends.quantized.supported_engines)}"
            )
        torch.backends.quantized.engine = kernels
        try:
            with quiet():
                converted = convert(kernels)
            return converted, kernels, note
        except Exception as error:  # an operator without an int8 kernel, say: say which network
            first_error = first_error or error
            note = f"{kernels} kernels failed ({_first_line(error)}); {X86_FALLBACK} kernels used"
    raise ValueError(
        f"{name} could not be quantized by FX graph mode ({' or '.join(tries)} kernels): "
        f"{type(first_error).__name__}: {_first_line(first_error)}"
    ) from None


def model_bytes(model: nn.Module) -> int:
    """The size of ``model``'s ``state_dict`` as ``torch.save`` writes it (to a BytesIO), in bytes.

    For a float network that is about 4 bytes per parameter and BatchNorm statistic, plus a few bytes
    per tensor of file format; for a :class:`QuantizedNet` 1 byte per weight plus each layer's float
    biases, scales and zero points.
    """
    buffer = io.BytesIO()
    with quiet():
        torch.save(model.state_dict(), buffer)
    return len(buffer.getvalue())


# --------------------------------------------------------------------------------------------------
# Where 8 bits hurt
# --------------------------------------------------------------------------------------------------


def weight_error(weight: torch.Tensor, per_channel: bool = True) -> float:
    """Relative RMS error of symmetric 8-bit rounding of ``weight``: ``||w - q(w)|| / ||w||``.

    The scale is ``max |w| / 127``, over the whole tensor or over each output channel (dimension 0).
    A channel whose weights are small next to the largest channel's gets only a few of the 255 levels
    per tensor; per channel, each gets all of them.
    """
    w = weight.detach().float()
    if w.numel() == 0 or not bool(w.abs().max() > 0):
        return 0.0
    dims = tuple(range(1, w.dim()))
    peak = w.abs().amax(dim=dims, keepdim=True) if per_channel and dims else w.abs().max()
    scale = (peak / 127).clamp(min=torch.finfo(torch.float32).tiny)
    q = torch.clamp(torch.round(w / scale), -127, 127) * scale
    return float((w - q).norm() / w.norm())


def weight_errors(model: nn.Module) -> list[dict[str, Any]]:
    """For every convolution and linear layer of ``fold_batchnorm(model)``: kind, per-tensor and
    per-channel 8-bit weight error (:func:`weight_error`), and the spread of its channels' ranges
    (largest ``max |w|`` of a channel over the median one).

    BatchNorm is folded first, because that is what gets quantized: folding multiplies each channel by
    its own ``gamma / sqrt(var + eps)``, and depthwise layers, with one small filter per channel, end up
    with the most unequal channels (Krishnamoorthi 2018, section 3.1; Sheng et al. 2018, arXiv:1803.08607).
    """
    from .. import cost
    from .fold import fold_batchnorm

    rows = []
    for layer_name, module in fold_batchnorm(model).named_modules():
        if not isinstance(module, (nn.Conv2d, nn.Linear)):
            continue
        w = module.weight.detach().float()
        peaks = w.abs().reshape(w.shape[0], -1).amax(dim=1)
        spread = float(peaks.max() / peaks.median().clamp(min=1e-12))
        rows.append(
            {
                "layer": layer_name,
                "kind": cost.layer_kind(module),
                "per_tensor": weight_error(w, per_channel=False),
                "per_channel": weight_error(w, per_channel=True),
                "spread": spread,
            }
        )
    return rows


def errors_by_kind(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """:func:`weight_errors` averaged per layer kind (depthwise, pointwise, ...)."""
    out: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(r["kind"] for r in rows):
        chosen = [r for r in rows if r["kind"] == kind]
        out[kind] = {
            key: sum(r[key] for r in chosen) / len(chosen) for key in ("per_tensor", "per_channel", "spread")
        }
        out[kind]["layers"] = len(chosen)
    return out


__all__ = [
    "BITS",
    "QuantizedNet",
    "TraceableShuffle",
    "backend",
    "check_bits",
    "errors_by_kind",
    "full_range_activations",
    "has_vnni",
    "model_bytes",
    "qat_qconfig_mapping",
    "qconfig_mapping",
    "quantize",
    "quiet",
    "traceable",
    "weight_error",
    "weight_errors",
]
