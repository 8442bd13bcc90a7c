"""From paper to device (lesson 09): fold, quantize to 8 bits, export, and time in a real runtime.

>>> from smallnets_edu import deploy, models
>>> net = models.build("mobilenet_v2", num_classes=10, variant="cifar").eval()
>>> folded = deploy.fold_batchnorm(net)                       # the same function, no BatchNorm
>>> int8 = deploy.quantize(net, calibration)                   # FX graph mode, per-channel int8
>>> onnx_model = deploy.export_onnx(net, resolution=32)        # torch.export -> ONNX
>>> fast = deploy.deploy(net, "onnxruntime", 8, calibration=calibration)
>>> fast.latency(), fast.size_bytes

Modules, each citing what it implements:

- ``fold``: BatchNorm folded into the convolution before it (Jacob et al. 2018, section 3.2).
- ``quantize``: post-training static int8 quantization with ``torch.ao.quantization.quantize_fx``,
  per-channel or per-tensor weights; a traceable copy of the course's networks; model size in bytes;
  the rounding error of 8-bit weights per layer kind.
- ``qat``: quantization-aware fine-tuning (fake-quantized weights and activations, Jacob et al. 2018,
  section 3), the fix where post-training int8 loses too much.
- ``export``: ONNX export (``torch.export``, TorchScript as the fallback), ONNX Runtime sessions, and
  ONNX Runtime's static QDQ int8 quantization.
- ``runtimes``: the five deployments (:data:`CONFIGS`), their batch-1 latency and accuracy.
- ``study``: every network in every deployment, trained at the current budget, measured once per
  machine and cached (``studies.cache.cached``), with the lesson's tables and figures.

Imports run one way: ``fold``, ``quantize`` -> ``qat``, ``export`` -> ``runtimes`` -> ``study``. ``onnx``,
``onnxruntime`` and ``onnxscript`` are imported only when an ONNX function runs.
"""

from .export import OnnxModel, OrtNet, export_onnx, max_difference, quantize_onnx
from .fold import FoldResult, batchnorms, compare_fold, fold_batchnorm, fold_conv_bn, foldable_pairs
from .qat import fine_tune, quantize_aware
from .quantize import (
    BITS,
    QuantizedNet,
    TraceableShuffle,
    backend,
    check_bits,
    errors_by_kind,
    full_range_activations,
    has_vnni,
    model_bytes,
    qconfig_mapping,
    quantize,
    traceable,
    weight_error,
    weight_errors,
)
from .runtimes import (
    CONFIGS,
    LABELS,
    RUNTIMES,
    Deployed,
    calibration_batches,
    check_config,
    deploy,
    evaluate,
    label,
    latency,
)

__all__ = [
    "BITS",
    "CONFIGS",
    "LABELS",
    "RUNTIMES",
    "Deployed",
    "FoldResult",
    "OnnxModel",
    "OrtNet",
    "QuantizedNet",
    "TraceableShuffle",
    "backend",
    "batchnorms",
    "calibration_batches",
    "check_bits",
    "check_config",
    "compare_fold",
    "deploy",
    "errors_by_kind",
    "evaluate",
    "export_onnx",
    "fine_tune",
    "fold_batchnorm",
    "fold_conv_bn",
    "foldable_pairs",
    "full_range_activations",
    "has_vnni",
    "label",
    "latency",
    "max_difference",
    "model_bytes",
    "qconfig_mapping",
    "quantize",
    "quantize_aware",
    "quantize_onnx",
    "traceable",
    "weight_error",
    "weight_errors",
]
