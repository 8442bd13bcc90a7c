"""Where training runs and in which number format: the device, the memory layout, mixed precision."""

from __future__ import annotations

import contextlib
import warnings

import torch


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

    By default mixed precision is for CUDA GPUs: bfloat16 where the GPU supports it (no loss scaling
    needed), else float16 with a GradScaler. On the CPU, ``amp="bf16"`` trains in bfloat16 where the
    processor has bfloat16 units (:func:`cpu_has_bf16_units`); elsewhere, and on MPS, asking for mixed
    precision warns and trains in float32, since emulated bfloat16 is slower than float32.

    Measured on a 2-core Intel Xeon with AMX (one thread, batch 128, channels-last, a training step of
    each ``cifar`` variant; images/s float32 -> bfloat16): SqueezeNet 1.0 189 -> 355, SqueezeNet 1.1
    380 -> 568, ShuffleNet 80 -> 90, MobileNetV2 61 -> 59, FD-MobileNet 208 -> 180; at two threads
    MobileNet v1 301 -> 225 and EffNet 593 -> 630. Dense 3x3 and 1x1 convolutions gain, depthwise ones
    lose, so it stays a choice, not a default.
    """
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
            if device.type == "cpu" and choices[amp] is torch.bfloat16
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


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)
