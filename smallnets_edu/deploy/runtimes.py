"""One network in five deployments, each with its size, its batch-1 latency and its accuracy.

=========================  =====  ============================================================
runtime                    bits   what runs
=========================  =====  ============================================================
``pytorch``                32     eager PyTorch, NCHW tensors, BatchNorm folded
``pytorch_channels_last``  32     the same with channels-last (NHWC) tensors
``pytorch``                8      FX graph mode int8 (:func:`~.quantize.quantize`, per-channel)
``onnxruntime``            32     the ONNX export in ONNX Runtime (:func:`~.export.export_onnx`)
``onnxruntime``            8      ONNX Runtime's static int8 quantization (:func:`~.export.quantize_onnx`)
=========================  =====  ============================================================

PyTorch's int8 kernels on x86 lay tensors out channels-last by themselves, so there is no separate
channels-last int8 deployment. Latency is the median of many batch-1 calls on the CPU: with
``torch.utils.benchmark`` for PyTorch (as ``cost.latency``), with a timed loop after a warm-up for ONNX
Runtime (its calls release Python for their whole duration, so a plain loop times them well).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from .fold import fold_batchnorm
from .quantize import check_bits, model_bytes, network_name, quantize

RUNTIMES = ("pytorch", "pytorch_channels_last", "onnxruntime")
CONFIGS: tuple[tuple[str, int], ...] = (
    ("pytorch", 32),
    ("pytorch_channels_last", 32),
    ("pytorch", 8),
    ("onnxruntime", 32),
    ("onnxruntime", 8),
)
LABELS = {
    ("pytorch", 32): "PyTorch fp32",
    ("pytorch_channels_last", 32): "PyTorch fp32 channels-last",
    ("pytorch", 8): "PyTorch int8 (FX)",
    ("onnxruntime", 32): "ONNX Runtime fp32",
    ("onnxruntime", 8): "ONNX Runtime int8",
}
WARMUP_CALLS = 5


def check_config(runtime: object, bits: object) -> tuple[str, int]:
    """``(runtime, bits)`` when it is one of :data:`CONFIGS`; a ValueError that lists them otherwise."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    bits = check_bits(bits)
    if (runtime, bits) not in CONFIGS:
        raise ValueError(
            f"{runtime} has no {bits}-bit deployment: PyTorch's int8 kernels choose their own (channels-"
            f"last) layout, so int8 runs as runtime='pytorch'; the deployments are "
            f"{', '.join(f'{r}/{b}' for r, b in CONFIGS)}"
        )
    return str(runtime), bits


def label(runtime: str, bits: int) -> str:
    """``"ONNX Runtime int8"``: how tables and plots name a deployment."""
    return LABELS[check_config(runtime, bits)]


@dataclass
class Deployed:
    """A network ready to run in one runtime: call it on a batch of images; its size and how it was made."""

    name: str
    runtime: str
    bits: int
    resolution: int
    size_bytes: int
    run: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    note: str = ""  # e.g. which ONNX exporter was used, and why
    channels_last: bool = False

    @property
    def label(self) -> str:
        return label(self.runtime, self.bits)

    def at(self, resolution: int) -> Deployed:
        """The same PyTorch deployment, timed at another resolution (PyTorch runs any input size)."""
        if not self.runtime.startswith("pytorch"):
            raise ValueError("an ONNX model has a fixed input shape: deploy it again for another resolution")
        return replace(self, resolution=resolution)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            return self.run(x)

    def latency(self, min_run_time: float = 0.5, seed: int = 0) -> float:
        """Median seconds of one batch-1 call on random images (see the module docstring)."""
        return latency(self, min_run_time, seed)


def deploy(
    model: nn.Module,
    runtime: str = "pytorch",
    bits: int = 32,
    *,
    calibration: Iterable[torch.Tensor] | torch.Tensor | None = None,
    resolution: int = 32,
    per_channel: bool = True,
    name: str | None = None,
    exported: Any = None,
    method: str | None = None,
) -> Deployed:
    """``model`` ready to run in ``runtime`` at ``bits``: one of the five deployments of :data:`CONFIGS`.

    8-bit deployments need ``calibration`` images (normalised, as for training). ONNX models are
    exported for batch 1 at ``resolution`` (or ``exported``, an :class:`~.export.OnnxModel` of it made
    before, is reused); larger batches run one image at a time. ``method``: how ONNX Runtime int8 picks
    activation ranges (``deploy.export.CALIBRATION_METHODS``; default percentile). Raises ValueError for
    an unknown runtime, bits other than 8 or 32, and networks that cannot be quantized or exported.
    """
    runtime, bits = check_config(runtime, bits)
    if not isinstance(model, nn.Module):
        raise ValueError(f"deploy needs a torch.nn.Module, got {type(model).__name__}")
    name = name or network_name(model)
    if bits == 8 and calibration is None:
        raise ValueError(
            "an 8-bit deployment needs calibration images to choose its scales: pass calibration= (a few "
            "hundred normalised training images, deploy.calibration_batches(dataset))"
        )
    if runtime.startswith("pytorch"):
        if bits == 8:
            net: nn.Module = quantize(model, calibration, per_channel=per_channel, name=name)
        else:
            net = fold_batchnorm(model)
        channels_last = runtime == "pytorch_channels_last"
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        note = str(getattr(net, "note", ""))  # a kernel fallback of quantize
        return Deployed(
            name, runtime, bits, resolution, model_bytes(net), net, channels_last=channels_last, note=note
        )
    from .export import OrtNet, export_onnx, quantize_onnx

    if exported is None or exported.input_shape[-1] != resolution:
        exported = export_onnx(model, resolution, name=name)
    if bits == 8:
        kwargs = {} if method is None else {"method": method}  # ONNX Runtime's activation ranges
        exported = quantize_onnx(exported, calibration, per_channel=per_channel, **kwargs)
    return Deployed(name, runtime, bits, resolution, exported.size, OrtNet(exported), note=exported.note)


def latency(deployed: Deployed, min_run_time: float = 0.5, seed: int = 0) -> float:
    """Median seconds of one batch-1 forward of ``deployed`` at its resolution, on this machine's CPU."""
    r = deployed.resolution
    x = torch.randn(1, 3, r, r, generator=torch.Generator().manual_seed(seed))
    if deployed.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    if deployed.runtime.startswith("pytorch"):
        from torch.utils import benchmark

        timer = benchmark.Timer(
            stmt="with torch.inference_mode(): run(x)",
            globals={"run": deployed.run, "x": x, "torch": torch},
            num_threads=torch.get_num_threads(),
        )
        return float(timer.blocked_autorange(min_run_time=min_run_time).median)
    run_numpy = deployed.run.run_numpy  # an OrtNet
    array = x.numpy()
    for _ in range(WARMUP_CALLS):
        run_numpy(array)
    times: list[float] = []
    end = time.perf_counter() + min_run_time
    while time.perf_counter() < end or len(times) < 10:
        start = time.perf_counter()
        run_numpy(array)
        times.append(time.perf_counter() - start)
    return float(statistics.median(times))


def evaluate(
    deployed: Deployed | Callable[[torch.Tensor], torch.Tensor], dataset, batch_size: int = 250
) -> float:
    """Top-1 accuracy of ``deployed`` on ``dataset``'s test split (normalised as for training)."""
    from .. import data as data_mod

    loader = data_mod.Loader(
        dataset.test, batch_size, train=False, mean=dataset.mean, std=dataset.std, device="cpu"
    )
    correct = total = 0
    with torch.inference_mode():
        for x, y in loader:
            correct += int((deployed(x).argmax(1) == y).sum())
            total += int(y.numel())
    if not total:
        raise ValueError("the test split holds no images")
    return correct / total


def calibration_batches(
    dataset, images: int = 256, batch_size: int = 32, seed: int = 0
) -> list[torch.Tensor]:
    """The first ``images`` of a random order of ``dataset``'s training split, normalised, in batches.

    No augmentation: calibration should see the images as the deployed network will.
    """
    from .. import data as data_mod

    if images < 1:
        raise ValueError(f"images must be at least 1, got {images}")
    split = dataset.train
    order = torch.randperm(len(split.labels), generator=torch.Generator().manual_seed(seed))[:images]
    chosen = data_mod.Split(split.images[order], split.labels[order])
    loader = data_mod.Loader(chosen, batch_size, train=False, mean=dataset.mean, std=dataset.std)
    return [x for x, _ in loader]


__all__ = [
    "CONFIGS",
    "LABELS",
    "RUNTIMES",
    "Deployed",
    "calibration_batches",
    "check_config",
    "deploy",
    "evaluate",
    "label",
    "latency",
]
