"""Lesson 09's measurements: every network of the course in every deployment, measured once per machine.

For each network (``cifar`` variant, 10 classes), :func:`measure`

1. takes it as the showdown of lesson 08 trained it (``studies.contest.trained_network``: the weights
   lesson 08 kept in its cache, or the same training run now), so its float accuracy is the showdown's;
2. deploys the trained network in the five deployments of :data:`~.runtimes.CONFIGS`, plus FX int8
   with per-tensor weights and ONNX Runtime int8 with min-max activation ranges (its default; the
   deployment uses percentile ranges), calibrated on :func:`calibration_size` training images; where FX int8
   loses more than :data:`QAT_THRESHOLD` of test accuracy, also after :func:`qat_steps` of
   quantization-aware fine-tuning (:func:`~.qat.quantize_aware`), and the float network after the same
   steps without quantization (:func:`~.qat.fine_tune`), the control;
3. records each deployment's test accuracy, size in bytes and batch-1 latency at every resolution of
   :func:`resolutions` (accuracy only at 32x32, the resolution it was trained at), and the 8-bit
   rounding error of its weights per layer kind.

Results are stored with :func:`smallnets_edu.studies.cache.cached` (in ``$SMALLNETS_CACHE/deploy/``, else
``~/.cache/smallnets-edu/deploy/``), keyed by the machine, the library versions, the budget and the
data; :func:`fold_study` caches the before/after latency of BatchNorm folding the same way. The
lesson's explorer only reads these results: moving a slider never measures.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .. import budget as budget_mod
from .. import cost, models
from ..studies.cache import cache_dir, cache_stats, cached, machine
from ..studies.contest import dataset_id, network_recipe, trained_network, training_settings
from .export import DEFAULT_CALIBRATION
from .fold import compare_fold, fold_batchnorm
from .qat import fine_tune, quantize_aware
from .quantize import backend, errors_by_kind, full_range_activations, quantize, weight_errors
from .runtimes import CONFIGS, LABELS, deploy, evaluate, latency

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NUM_CLASSES = 10
TRAIN_RESOLUTION = 32
# At the smoke budget (what the tests run, about a minute for the whole notebook on one thread) the
# lesson quantizes and exports three networks, at one resolution; the other budgets take all seven.
SMOKE_NETWORKS = ("mobilenet_v2", "shufflenet_v1", "squeezenet1_1")
RESOLUTIONS = {"smoke": (32,), "laptop": (32, 64, 128)}
DEFAULT_RESOLUTIONS = (32, 64, 128)
CALIBRATION_IMAGES = {"smoke": 32, "laptop": 256}
DEFAULT_CALIBRATION_IMAGES = 512
PER_TENSOR = "pytorch/8/per-tensor"  # the key of FX int8 with per-tensor weights in a result
QAT = "pytorch/8/qat"  # the key of FX int8 after quantization-aware fine-tuning, where it was needed
ORT_MINMAX = "onnxruntime/8/minmax"  # ONNX Runtime int8 with its default (min-max) activation ranges
QAT_FLOAT = "pytorch/32/fine-tuned"  # ... and of its float control: the same steps, no fake quantization
# Post-training int8 that loses more than this much test accuracy is fine-tuned with quantization
# in the loop (deploy.quantize_aware) for qat_steps(budget) steps; the fix the lesson measures.
QAT_THRESHOLD = 0.02
QAT_STEPS = {"smoke": 4, "laptop": 200}
DEFAULT_QAT_STEPS = 500


def key(runtime: str, bits: int) -> str:
    """``"onnxruntime/8"``: how a deployment is named in stored results."""
    return f"{runtime}/{bits}"


def _budget(b: str | budget_mod.Budget | None) -> budget_mod.Budget:
    return b if isinstance(b, budget_mod.Budget) else budget_mod.get(b)


def networks(budget: str | budget_mod.Budget | None = None) -> list[str]:
    """The networks the lesson deploys at this budget: all seven, or :data:`SMOKE_NETWORKS` at smoke."""
    return list(SMOKE_NETWORKS) if _budget(budget).name == "smoke" else models.names()


def resolutions(budget: str | budget_mod.Budget | None = None) -> tuple[int, ...]:
    """The input sizes timed at this budget (32 at smoke; 32, 64 and 128 otherwise)."""
    return RESOLUTIONS.get(_budget(budget).name, DEFAULT_RESOLUTIONS)


def calibration_size(budget: str | budget_mod.Budget | None = None) -> int:
    """Training images used to calibrate the 8-bit networks (32 at smoke, a few hundred otherwise)."""
    return CALIBRATION_IMAGES.get(_budget(budget).name, DEFAULT_CALIBRATION_IMAGES)


def qat_steps(budget: str | budget_mod.Budget | None = None) -> int:
    """Steps of quantization-aware fine-tuning where post-training int8 loses too much (4 at smoke)."""
    return QAT_STEPS.get(_budget(budget).name, DEFAULT_QAT_STEPS)


def deploy_cache_dir(directory: str | os.PathLike | None = None) -> Path:
    """Where lesson 09 stores its measurements: ``directory``, else beside the showdown's cache."""
    return Path(directory).expanduser() if directory is not None else cache_dir().parent / "deploy"


def versions() -> dict[str, str | None]:
    """The versions of the runtimes a measurement depends on (beside the machine's torch)."""
    import importlib.metadata as md

    out: dict[str, str | None] = {}
    for package in ("onnx", "onnxruntime", "onnxscript"):
        try:
            out[package] = md.version(package)
        except md.PackageNotFoundError:
            out[package] = None
    out["quantized_engine"] = backend()
    out["activation_bits"] = "8" if full_range_activations(backend()) else "7"
    return out


def build(name: str, meta: bool = False) -> torch.nn.Module:
    """The network the lesson deploys: the ``cifar`` variant with 10 classes."""
    if meta:
        return models.build_meta(name, num_classes=NUM_CLASSES, variant="cifar")
    return models.build(name, num_classes=NUM_CLASSES, variant="cifar")


# --------------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------------


def fold_study(
    names: Iterable[str] | None = None,
    *,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """For every network: :func:`~.fold.compare_fold` (parameters, MACs, output gap, computed each
    time: they are quick and exact) and the batch-1 latency before and after folding (cached)."""
    b = _budget(budget)
    rows = []
    for name in models.names() if names is None else list(names):
        torch.manual_seed(0)
        net = build(name).eval()
        row = asdict(compare_fold(net, TRAIN_RESOLUTION, name=name))

        def measure(net=net) -> dict[str, float]:
            before = cost.latency(net, TRAIN_RESOLUTION, min_run_time=b.bench_seconds).median
            after = cost.latency(fold_batchnorm(net), TRAIN_RESOLUTION, min_run_time=b.bench_seconds).median
            return {"before": before, "after": after}

        settings = {"model": name, "resolution": TRAIN_RESOLUTION, "min_run_time": b.bench_seconds}
        times, _ = cached(
            "fold-latency", settings, measure, refresh=refresh, directory=deploy_cache_dir(directory)
        )
        row["latency_before"], row["latency_after"] = times["before"], times["after"]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------
# One network, every deployment
# --------------------------------------------------------------------------------------------------


def _evaluation_data(dataset: Any, b: budget_mod.Budget) -> Any:
    """The test images ``train.fit`` evaluates on with the showdown's settings (same subset, same seed)."""
    settings = {"train_size": b.train_size, "test_size": b.test_size, **training_settings(b)}
    n_train, n_test = len(dataset.train), len(dataset.test)
    want = [
        n if size is None else min(size, n)
        for size, n in ((settings["train_size"], n_train), (settings["test_size"], n_test))
    ]
    return dataset if want == [n_train, n_test] else dataset.subset(want[0], want[1], seed=0)


def _resized(batches: list[torch.Tensor], resolution: int) -> list[torch.Tensor]:
    if batches[0].shape[-1] == resolution:
        return batches
    return [torch.nn.functional.interpolate(x, size=resolution, mode="bilinear") for x in batches]


def measure(
    name: str,
    dataset: Any,
    *,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    progress: bool = False,
    directory: str | os.PathLike | None = None,
    sizes: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Train ``name`` as the showdown does, deploy it five ways (and per-tensor int8), measure; cached.

    Returns JSON-able results: ``accuracy``, ``size`` and ``latency`` (``{resolution: seconds}``) keyed
    by :func:`key`, plus ``notes`` (exporter fallbacks), ``weight_errors`` per layer kind, and the
    network's parameters and MACs at each resolution. ``sizes``: the resolutions to time (default
    :func:`resolutions` of the budget; 32, the training resolution, is always included).
    """
    from .runtimes import calibration_batches

    b = _budget(budget)
    res = tuple(sorted({TRAIN_RESOLUTION, *(resolutions(b) if sizes is None else sizes)}))
    settings = {
        "model": name,
        "dataset": dataset_id(dataset),
        "budget": asdict(b),
        "overrides": training_settings(b),
        "recipe": network_recipe(name, dataset.num_classes),
        "resolutions": list(res),
        "calibration_images": calibration_size(b),
        "onnx_calibration": DEFAULT_CALIBRATION,
        "qat": {"threshold": QAT_THRESHOLD, "steps": qat_steps(b), "float_control": True},
        "versions": versions(),
        "seed": 0,
    }

    def compute() -> dict[str, Any]:
        # The very network lesson 08 trained, from the showdown's cache when it is there.
        showdown_cache = None if directory is None else Path(directory).expanduser() / "training"
        net, history = trained_network(name, dataset, budget=b, progress=progress, directory=showdown_cache)
        test_data = _evaluation_data(dataset, b)
        calibration = calibration_batches(dataset, calibration_size(b))
        out: dict[str, Any] = {
            "name": name,
            "params": cost.count_params(net),
            "macs": {str(r): cost.profile(net, r).macs for r in res},
            "trained_accuracy": float((history.last or {}).get("test_acc", math.nan)),
            "accuracy": {},
            "size": {},
            "latency": {},
            "notes": {},
        }
        from .export import OrtNet, export_onnx, quantize_onnx

        made = {}  # the PyTorch deployments run at any resolution: made once
        for r in res:
            exported = export_onnx(net, r, name=name)  # one export serves ONNX Runtime fp32 and int8
            if r == TRAIN_RESOLUTION:
                made_onnx = exported
            for runtime, bits in CONFIGS:
                k = key(runtime, bits)
                if runtime.startswith("pytorch"):
                    if k not in made:
                        made[k] = deploy(net, runtime, bits, calibration=calibration, name=name)
                    d = made[k].at(r)
                else:
                    # Accuracy is measured at the training resolution only; elsewhere the int8 file is
                    # only timed, and its scales do not change its speed: one batch calibrates it, with
                    # min-max ranges (percentile ranges hold every activation of every image in memory:
                    # MobileNetV2 at 128x128 ran a 24 GiB machine out of memory).
                    trained_size = r == TRAIN_RESOLUTION
                    cal = calibration if trained_size else _resized(calibration[:1], r)
                    d = deploy(
                        net,
                        runtime,
                        bits,
                        calibration=cal,
                        resolution=r,
                        name=name,
                        exported=exported,
                        method=None if trained_size else "minmax",
                    )
                if r == TRAIN_RESOLUTION:
                    out["accuracy"][k] = evaluate(d, test_data)
                    out["size"][k] = d.size_bytes
                    if d.note:
                        out["notes"][k] = d.note
                out["latency"].setdefault(k, {})[str(r)] = latency(d, b.bench_seconds)
        minmax = quantize_onnx(made_onnx, calibration, method="minmax")
        out["accuracy"][ORT_MINMAX] = evaluate(OrtNet(minmax), test_data)
        per_tensor = quantize(net, calibration, per_channel=False, name=name)
        out["accuracy"][PER_TENSOR] = evaluate(per_tensor, test_data)
        if out["accuracy"][key("pytorch", 32)] - out["accuracy"][key("pytorch", 8)] > QAT_THRESHOLD:
            aware = quantize_aware(net, dataset, steps=qat_steps(b), name=name)
            out["accuracy"][QAT] = evaluate(aware, test_data)
            out["accuracy"][QAT_FLOAT] = evaluate(fine_tune(net, dataset, steps=qat_steps(b)), test_data)
            if aware.note:
                out["notes"][QAT] = aware.note
        out["weight_errors"] = errors_by_kind(weight_errors(net))
        return out

    value, _ = cached("deploy", settings, compute, refresh=refresh, directory=deploy_cache_dir(directory))
    return value


# --------------------------------------------------------------------------------------------------
# Every network
# --------------------------------------------------------------------------------------------------


@dataclass
class DeployStudy:
    """Every network's results (:func:`measure`), with the budget, data and machine they were made on."""

    results: dict[str, dict[str, Any]]
    budget: str
    dataset: str
    machine: dict[str, Any]
    resolutions: tuple[int, ...]
    cached: int = 0
    measured: int = 0
    configs: tuple[tuple[str, int], ...] = field(default=CONFIGS)

    @property
    def names(self) -> list[str]:
        return list(self.results)

    def value(
        self, what: str, name: str, runtime: str, bits: int, resolution: int = TRAIN_RESOLUTION
    ) -> float:
        """``"latency"`` (seconds), ``"size"`` (bytes) or ``"accuracy"`` of one deployment; NaN if not
        measured (accuracy exists at 32x32 only)."""
        r = self.results.get(name)
        if r is None:
            raise ValueError(f"no results for {name!r}; the study has {', '.join(self.names)}")
        k = key(runtime, bits)
        if what == "latency":
            return float(r["latency"].get(k, {}).get(str(resolution), math.nan))
        if what in ("size", "accuracy"):
            return (
                float(r[what].get(k, math.nan))
                if resolution == TRAIN_RESOLUTION or what == "size"
                else math.nan
            )
        raise ValueError(f"unknown measurement {what!r}; choose latency, size or accuracy")

    def caption(self) -> str:
        m = self.machine
        return (
            f"{len(self.results)} networks, cifar variants; {self.dataset}, {self.budget} budget; "
            f"{m.get('cpu')} ({m.get('threads')} threads), torch {m.get('torch')}"
        )

    def rows(self, resolution: int = TRAIN_RESOLUTION) -> list[list[str]]:
        """One row per network and deployment: size, latency, accuracy."""
        out = []
        for name, r in self.results.items():
            macs = r["macs"].get(str(resolution))
            for runtime, bits in self.configs:
                acc = self.value("accuracy", name, runtime, bits, resolution)
                out.append(
                    [
                        name,
                        LABELS[(runtime, bits)],
                        f"{macs / 1e6:.1f}" if macs else "—",
                        f"{self.value('size', name, runtime, bits) / 1024:,.0f}",
                        f"{self.value('latency', name, runtime, bits, resolution) * 1e3:.3f}",
                        "—" if math.isnan(acc) else f"{acc:.1%}",
                    ]
                )
        return out

    HEADER = ("network", "deployment", "M MACs", "size (KiB)", "ms, batch 1", "test accuracy")

    def fastest(self, resolution: int = TRAIN_RESOLUTION) -> dict[str, str]:
        """For each deployment, the network with the fewest milliseconds per accuracy point."""
        out = {}
        for runtime, bits in self.configs:
            scores = {
                name: self.value("latency", name, runtime, bits, resolution)
                * 1e3
                / max(100 * self.value("accuracy", name, runtime, bits), 1e-9)
                for name in self.names
            }
            scores = {n: s for n, s in scores.items() if not math.isnan(s)}
            if scores:
                out[LABELS[(runtime, bits)]] = min(scores, key=scores.get)
        return out

    def plot(self, resolution: int = TRAIN_RESOLUTION, highlight: tuple[str, int] | None = None) -> Figure:
        """Latency against MACs, every network in every deployment (log scales), one colour per runtime."""
        from ..studies.common import _figure
        from ..studies.contest import model_colour

        fig, ax = _figure(8.0, 4.4)
        markers = {"pytorch/32": "o", "pytorch_channels_last/32": "s", "pytorch/8": "D"}
        markers.update({"onnxruntime/32": "^", "onnxruntime/8": "v"})
        colours = {"pytorch/32": "#4C72B0", "pytorch_channels_last/32": "#8172B3", "pytorch/8": "#55A868"}
        colours.update({"onnxruntime/32": "#DD8452", "onnxruntime/8": "#C44E52"})
        for runtime, bits in self.configs:
            k = key(runtime, bits)
            xs, ys = [], []
            for name, r in self.results.items():
                xs.append(r["macs"][str(resolution)] / 1e6)
                ys.append(self.value("latency", name, runtime, bits, resolution) * 1e3)
            dim = highlight is not None and highlight != (runtime, bits)
            ax.scatter(
                xs,
                ys,
                marker=markers[k],
                s=50,
                color=colours[k],
                alpha=0.25 if dim else 0.9,
                label=LABELS[(runtime, bits)],
                zorder=3,
            )
        by_macs = sorted(self.results, key=lambda n: self.results[n]["macs"][str(resolution)])
        for rank, name in enumerate(by_macs):
            x = self.results[name]["macs"][str(resolution)] / 1e6
            y = min(self.value("latency", name, rt, b, resolution) for rt, b in self.configs) * 1e3
            ax.annotate(
                name,
                (x, y),
                textcoords="offset points",
                xytext=(4, -12 - 10 * (rank % 3)),  # staggered: networks of similar MACs stand close
                fontsize=8,
                color=model_colour(name),
            )
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.set_yscale("log")
        bottom, top = ax.get_ylim()
        ax.set_ylim(bottom * 0.6, top)  # room for the names under the lowest markers
        low, high = ax.get_xlim()
        ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if low <= t <= high]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"million multiply-accumulates per image at {resolution}x{resolution} (log scale)")
        ax.set_ylabel("ms per image, batch 1, this CPU (log scale)")
        ax.set_title(f"time against arithmetic, five deployments ({self.budget} budget)")
        ax.legend(fontsize=8, loc="upper left")
        return fig


def run(
    names: Iterable[str] | None = None,
    *,
    dataset: Any = None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    progress: bool = False,
    directory: str | os.PathLike | None = None,
    sizes: Iterable[int] | None = None,
) -> DeployStudy:
    """:func:`measure` every network of :func:`networks` (or ``names``); a :class:`DeployStudy`.

    ``dataset`` defaults to ``data.for_lesson("cifar10")``, which falls back to the offline shapes with a
    notice. Everything measured before with the same settings on this machine comes from the cache.
    ``sizes``: the resolutions to time, as for :func:`measure`.
    """
    from .. import data

    b = _budget(budget)
    if dataset is None:
        dataset = data.for_lesson("cifar10", budget=b)
    before = dict(cache_stats)
    chosen = networks(b) if names is None else list(names)
    for name in chosen:
        models.info(name)  # a clear error for an unknown name
    results = {
        name: measure(
            name, dataset, budget=b, refresh=refresh, progress=progress, directory=directory, sizes=sizes
        )
        for name in chosen
    }
    return DeployStudy(
        results,
        b.name,
        str(getattr(dataset, "name", "?")),
        machine(),
        tuple(int(r) for r in next(iter(results.values()))["macs"]) if results else resolutions(b),
        cached=cache_stats["hits"] - before["hits"],
        measured=cache_stats["misses"] - before["misses"],
    )


__all__ = [
    "CALIBRATION_IMAGES",
    "ORT_MINMAX",
    "PER_TENSOR",
    "QAT",
    "QAT_FLOAT",
    "QAT_THRESHOLD",
    "SMOKE_NETWORKS",
    "DeployStudy",
    "build",
    "calibration_size",
    "deploy_cache_dir",
    "fold_study",
    "key",
    "measure",
    "networks",
    "qat_steps",
    "resolutions",
    "run",
    "versions",
]
