"""ONNX export and ONNX Runtime: the network as a file, run by an inference engine that is not PyTorch.

ONNX (Open Neural Network Exchange, onnx.ai) is a file format for a network's graph and weights;
ONNX Runtime (onnxruntime.ai) loads such a file and runs it with its own kernels, after its own graph
optimisations (constant folding, BatchNorm and activation fusion, layout changes).

- :func:`export_onnx` writes a network for one input shape (batch 1 by default) with PyTorch's
  ``torch.export``-based exporter (``torch.onnx.export(..., dynamo=True)``, which needs the
  ``onnxscript`` package). Where that exporter fails, it falls back to the older TorchScript exporter
  (``dynamo=False``) and says so in :attr:`OnnxModel.note`.
- :class:`OrtNet` runs an exported model in ONNX Runtime's CPU execution provider, with as many threads
  as PyTorch uses, so the two runtimes are timed on equal terms.
- :func:`quantize_onnx` is ONNX Runtime's static int8 quantization: ``quantize_static`` with a
  calibration data reader, QDQ format (QuantizeLinear / DequantizeLinear pairs around each operator,
  which the runtime fuses into integer kernels), int8 weights per channel and int8 activations.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .quantize import _first_line, network_name, quiet, traceable

INPUT_NAME = "images"
OUTPUT_NAME = "logits"


def _require(package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError:
        raise ValueError(
            f"this needs the {package!r} package, which is not installed: `pip install -r requirements.txt` "
            f"(or `pip install onnx onnxruntime onnxscript`)"
        ) from None


@dataclass
class OnnxModel:
    """An exported network: the ``.onnx`` file's bytes and how they were made."""

    name: str
    data: bytes
    input_shape: tuple[int, ...]
    exporter: str  # "dynamo" (torch.export), "torchscript" (the fallback), or "onnxruntime int8"
    note: str = ""  # why the fallback was needed, when it was

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.data)

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "wb") as f:
            f.write(self.data)

    def operators(self) -> dict[str, int]:
        """How many nodes of each operator type the graph holds (``Conv``, ``QuantizeLinear``, ...)."""
        onnx = _require("onnx")
        counts: dict[str, int] = {}
        for node in onnx.load_from_string(self.data).graph.node:
            counts[node.op_type] = counts.get(node.op_type, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def export_onnx(
    model: nn.Module,
    resolution: int = 32,
    batch: int = 1,
    *,
    name: str | None = None,
    dynamo: bool = True,
) -> OnnxModel:
    """Export ``model`` (eval mode, a :func:`~.quantize.traceable` copy) to ONNX for one input shape.

    With ``dynamo=True`` (the default) the ``torch.export`` exporter is tried first; if it fails, the
    TorchScript exporter is used and :attr:`OnnxModel.note` says why. Raises ValueError, naming the
    network, when neither works.
    """
    _require("onnx")
    name = name or network_name(model)
    body = traceable(model, name)
    x = torch.zeros(batch, 3, resolution, resolution)
    note, failures = "", []
    for use_dynamo in (True, False) if dynamo else (False,):
        try:
            data = _export(body, x, use_dynamo)
        except Exception as error:  # the exporter's own errors are many and deep: keep the first line
            failures.append(f"{'dynamo' if use_dynamo else 'TorchScript'} exporter: {_first_line(error)}")
            continue
        if failures:
            note = f"the dynamo exporter failed ({failures[0]}); exported with the TorchScript exporter"
        return OnnxModel(name, data, tuple(x.shape), "dynamo" if use_dynamo else "torchscript", note)
    raise ValueError(f"{name} could not be exported to ONNX: {'; '.join(failures)}")


def _export(body: nn.Module, x: torch.Tensor, dynamo: bool) -> bytes:
    with quiet(), torch.no_grad():
        if dynamo:
            _require("onnxscript")
            program = torch.onnx.export(
                body, (x,), dynamo=True, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], verbose=False
            )
            return program.model_proto.SerializeToString()
        import io

        buffer = io.BytesIO()
        torch.onnx.export(
            body, (x,), buffer, dynamo=False, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME]
        )
        return buffer.getvalue()


class OrtNet:
    """An ONNX model in an ONNX Runtime session (CPU): call it with a tensor, get a tensor.

    ``threads`` defaults to ``torch.get_num_threads()``, so ONNX Runtime uses as many cores as PyTorch.
    The session applies all of ONNX Runtime's graph optimisations (``ORT_ENABLE_ALL``). Inputs whose
    batch differs from the exported one are run one image at a time.
    """

    def __init__(self, model: OnnxModel, threads: int | None = None) -> None:
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or torch.get_num_threads())
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        self.model = model
        self.name = model.name
        self.session = ort.InferenceSession(model.data, options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.threads = options.intra_op_num_threads

    def run_numpy(self, x: np.ndarray) -> np.ndarray:
        """One call of the session on an array of exactly the exported shape."""
        return self.session.run(None, {self.input_name: x})[0]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        array = x.detach().float().contiguous().numpy()
        if tuple(array.shape) == self.model.input_shape:
            return torch.from_numpy(self.run_numpy(array))
        step = self.model.input_shape[0]
        if array.shape[1:] != self.model.input_shape[1:] or array.shape[0] % step:
            raise ValueError(
                f"{self.name} was exported for inputs of shape {self.model.input_shape}, "
                f"got {tuple(array.shape)}"
            )
        outs = [self.run_numpy(np.ascontiguousarray(array[i : i + step])) for i in range(0, len(array), step)]
        return torch.from_numpy(np.concatenate(outs))


def max_difference(model: nn.Module, onnx_model: OnnxModel, x: torch.Tensor | None = None) -> float:
    """Largest ``|PyTorch output - ONNX Runtime output|`` on ``x`` (default: random images of the shape)."""
    if x is None:
        x = torch.randn(*onnx_model.input_shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model.eval()(x)
    return float((OrtNet(onnx_model)(x) - expected).abs().max())


# How ONNX Runtime picks each activation's range from the calibration images. "minmax", its default,
# takes the extremes, so one outlier stretches the step for all; "percentile" clips at the 99.999th
# percentile of |x|. Measured on the laptop showdown's trained EffNet (1,000 offline test images): float
# 57.9%, int8 with minmax ranges 54.6%, with percentile ranges 56.8%.
CALIBRATION_METHODS = {"minmax": "MinMax", "percentile": "Percentile", "entropy": "Entropy"}
DEFAULT_CALIBRATION = "percentile"


def quantize_onnx(
    model: OnnxModel,
    calibration: Iterable[torch.Tensor] | torch.Tensor,
    *,
    per_channel: bool = True,
    method: str = DEFAULT_CALIBRATION,
) -> OnnxModel:
    """ONNX Runtime's static int8 quantization of an exported model (QDQ format, int8 weights and
    activations, weights per channel when ``per_channel``, activation ranges by ``method``: one of
    :data:`CALIBRATION_METHODS`).

    ``calibration``: normalised images, as for :func:`~.quantize.quantize`; they are fed one exported
    batch at a time to the calibration data reader. The file is first run through ONNX Runtime's
    pre-processing (shape inference and graph optimisation), as its documentation recommends.
    """
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"method must be one of {', '.join(CALIBRATION_METHODS)}, got {method!r}")
    ort_quant = _require("onnxruntime.quantization")
    batches = [calibration] if isinstance(calibration, torch.Tensor) else list(calibration)
    step = model.input_shape[0]
    images = [
        np.ascontiguousarray(b[i : i + step].detach().float().numpy())
        for b in batches
        for i in range(0, len(b) - step + 1, step)
    ]
    if not images:
        raise ValueError("quantize_onnx needs at least one calibration batch of the exported shape")

    class Reader(ort_quant.CalibrationDataReader):
        def __init__(self) -> None:
            self._items = iter([{INPUT_NAME: a} for a in images])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._items, None)

    with tempfile.TemporaryDirectory() as folder, quiet():
        source = os.path.join(folder, "float.onnx")
        prepared = os.path.join(folder, "prepared.onnx")
        target = os.path.join(folder, "int8.onnx")
        model.save(source)
        try:
            from onnxruntime.quantization.shape_inference import quant_pre_process

            quant_pre_process(source, prepared, skip_symbolic_shape=True)
        except Exception:  # pre-processing is an optimisation: quantize the file as exported
            prepared = source
        try:
            ort_quant.quantize_static(
                prepared,
                target,
                Reader(),
                quant_format=ort_quant.QuantFormat.QDQ,
                per_channel=per_channel,
                weight_type=ort_quant.QuantType.QInt8,
                activation_type=ort_quant.QuantType.QInt8,
                calibrate_method=getattr(ort_quant.CalibrationMethod, CALIBRATION_METHODS[method]),
            )
        except Exception as error:
            raise ValueError(
                f"ONNX Runtime could not quantize {model.name}: {type(error).__name__}: {_first_line(error)}"
            ) from None
        with open(target, "rb") as f:
            data = f.read()
    return OnnxModel(model.name, data, model.input_shape, "onnxruntime int8", model.note)


__all__ = [
    "CALIBRATION_METHODS",
    "DEFAULT_CALIBRATION",
    "INPUT_NAME",
    "OUTPUT_NAME",
    "OnnxModel",
    "OrtNet",
    "export_onnx",
    "max_difference",
    "quantize_onnx",
]
