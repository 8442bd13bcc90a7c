"""Where training runs and in which number format: the device, the memory layout, mixed precision."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn


def default_device() -> torch.device:
    """The fastest device present: a CUDA GPU, an Apple GPU (MPS), or the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` picks :func:`default_device`; a named device must exist on this machine."""
    if device is None:
        return default_device()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use 'cpu', 'cuda', 'cuda:1' or 'mps'") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; use device='cpu'")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device='mps' was asked for but this machine has no Apple GPU; use device='cpu'")
    return device


def default_channels_last(device: torch.device) -> bool:
    """Whether images and weights use the channels-last (NHWC) memory layout by default.

    On the CPU it is on: timed with ``benchmarks/bench_train.py`` (one thread, processor time, batch 128,
    cifar variants), oneDNN's NHWC training step was 1.3x to 1.9x faster than NCHW for every network of
    the course, depthwise-heavy or not, and the ``Loader`` produces channels-last batches at no extra
    cost (its crop-and-flip gather already yields that layout).

    On CUDA GPUs it is off, by measurement on an H200 (bf16, batch 256, torch 2.11;
    ``bench_train.py --device cuda`` and ``bench_budgets.py``): at 32x32 NCHW trained faster for six of
    the seven networks, EffNet (1x3 and 3x1 depthwise convolutions) 2.1x faster, and a whole ``gpu``
    budget of all seven on CIFAR-10 and Tiny-ImageNet sizes took 44 min in NCHW against 47 min in NHWC
    (at 64x64 MobileNet v1 and v2 were faster in NHWC, EffNet 2.5x slower). Pass ``channels_last=True``
    to choose per run. Apple's MPS backend has incomplete NHWC support, so it stays off there too.
    """
    return device.type == "cpu"


def cpu_has_bf16_units() -> bool:
    """Whether this processor multiplies bfloat16 in hardware (x86 AVX512-BF16 or AMX tiles)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_amp(amp: bool | str | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for mixed precision, or None for float32.

    By default (``None``, or ``True`` / ``"auto"``) mixed precision is used where the hardware does it:
    on CUDA GPUs bfloat16 where the GPU supports it (no loss scaling needed), else float16 with a
    GradScaler; on CPUs with bfloat16 units (:func:`cpu_has_bf16_units`: AMX, AVX512-BF16) bfloat16,
    with the k x k depthwise convolutions kept in float32 (:func:`float32_islands`). ``False`` trains in
    float32. Asking for mixed precision where it would be emulated (a CPU without bfloat16 units, MPS,
    fp16 on a CPU) warns and trains in float32, since emulation is slower than float32.

    Why that split on the CPU, measured on a 2-core Intel Xeon with AMX (a training step of each
    ``cifar`` variant, batch 128, channels-last; images/s at one thread, float32 -> all bfloat16 ->
    bfloat16 but for the k x k depthwise convolutions): MobileNet v1 172 -> 155 -> 241, FD-MobileNet
    200 -> 184 -> 271, MobileNetV2 59 -> 67 -> 70, ShuffleNet 86 -> 97 -> 112, EffNet 337 -> 410 -> 409
    (its depthwise convolutions are 1x3 and 3x1, which gain in bfloat16), SqueezeNet 1.0 218 -> 412,
    SqueezeNet 1.1 390 -> 669 (no depthwise convolutions). At two threads: MobileNet v1 288 -> 409,
    FD-MobileNet 352 -> 483, MobileNetV2 104 -> 138, ShuffleNet 153 -> 193, EffNet 552 -> 750. oneDNN's
    bfloat16 kernels pay for dense 1x1 and 3x3 convolutions, where the arithmetic is; its bfloat16 3x3
    depthwise kernels are slower than its float32 ones, and those convolutions hold little arithmetic.
    """
    cpu_default = device.type == "cpu" and amp in (None, True, "auto")
    if amp is None and device.type not in ("cuda", "cpu"):
        return None
    if cpu_default and cpu_has_bf16_units():
        return torch.bfloat16
    if amp is None or amp is False:
        if amp is None and device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return None
    choices = {True: None, "auto": None, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
    choices.update({"fp16": torch.float16, "float16": torch.float16})
    if amp not in choices:
        raise ValueError(f"amp must be True, False, None, 'bf16' or 'fp16', got {amp!r}")
    if device.type == "cpu" and choices[amp] is torch.bfloat16 and cpu_has_bf16_units():
        return torch.bfloat16
    if device.type != "cuda":
        why = (
            "would be emulated on this processor, which has no bfloat16 units (AVX512-BF16 or AMX), "
            "and slower than float32"
            if device.type == "cpu" and choices[amp] in (None, torch.bfloat16)
            else "runs on CUDA GPUs, and on CPUs with bfloat16 units as amp='bf16'"
        )
        warnings.warn(
            f"mixed precision (amp={amp!r}) {why}; training in float32 on {device.type}", stacklevel=3
        )
        return None
    dtype = choices[amp]
    if dtype is None:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return dtype


def keeps_float32(module: nn.Module) -> bool:
    """Whether a layer computes in float32 under CPU mixed precision: k x k depthwise convolutions, k > 1."""
    return (
        isinstance(module, nn.Conv2d)
        and module.groups > 1
        and module.groups == module.in_channels == module.out_channels
        and min(module.kernel_size) > 1
    )


@contextlib.contextmanager
def float32_islands(model: nn.Module, device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """While active, the layers :func:`keeps_float32` picks run in float32 under CPU autocast.

    Autocast has no per-layer switch, so each such layer gets a pair of hooks: before its forward,
    autocast is turned off and its input cast to float32; after it (also if it raises), autocast is
    restored. The weights, the state dict and the backward pass are untouched; leaving the context
    removes the hooks. Only for bfloat16 on the CPU (see :func:`resolve_amp` for the measurements).
    """
    if device.type != "cpu" or dtype is None:
        yield
        return
    open_contexts: list[torch.autocast] = []

    def before(module: nn.Module, args: tuple) -> tuple:
        context = torch.autocast(device_type="cpu", enabled=False)
        context.__enter__()
        open_contexts.append(context)
        return tuple(a.float() if torch.is_tensor(a) and a.is_floating_point() else a for a in args)

    def after(module: nn.Module, args: tuple, output: Any) -> None:
        if open_contexts:
            open_contexts.pop().__exit__(None, None, None)

    handles = []
    try:
        for module in model.modules():
            if keeps_float32(module):
                handles.append(module.register_forward_pre_hook(before))
                handles.append(module.register_forward_hook(after, always_call=True))
        yield
    finally:
        for handle in handles:
            handle.remove()


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
