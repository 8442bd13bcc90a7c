"""Lesson 08's bench: every architecture of the course measured side by side, once, and cached.

Four kinds of numbers, from the cheapest to the slowest:

1. ``costs``: parameters, multiply-accumulates and peak activation memory from :func:`cost.profile`.
   Deterministic and quick, never cached.
2. ``latencies``: forward time of each network on this machine (``torch.utils.benchmark``).
3. ``training``: every ``cifar`` variant trained with :func:`train.fit` on the same data for the same
   budget: accuracy and training images per second.
4. ``operators``: where the time of one forward pass goes, per operator kind (``torch.profiler``),
   next to where the multiply-accumulates go; ``guideline_g1`` .. ``guideline_g4`` time the small
   experiments behind ShuffleNet V2's four guidelines (Ma, Zhang, Zheng and Sun, 2018, arXiv:1807.11164).

Measurements 2 to 4 take seconds to hours, so each result is stored as JSON under :func:`cache_dir`
(``$SMALLNETS_CACHE/showdown``, default ``~/.cache/smallnets-edu/showdown``), keyed by everything it
depends on: the machine (CPU, cores, torch threads), the torch version, the budget, the dataset and the
measurement's own settings. Change any of them and the result is measured again; pass ``refresh=True``
to measure again anyway (``showdown.run(refresh=True)``), or delete the folder.

:func:`run` does 1 to 3 for all networks and returns a :class:`Showdown` with a table, the Pareto
fronts and their plots.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import platform
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import budget as budget_mod
from . import cost, models, plots
from .files import atomic_write_text

CACHE_ENV = "SMALLNETS_CACHE"
DEFAULT_CACHE = Path("~/.cache/smallnets-edu")
SCHEMA = 1  # bump when the stored format or what a measurement means changes

NUM_CLASSES = 10
CIFAR_RESOLUTION = 32
IMAGENET_RESOLUTION = 224
BATCH_SIZES = (1, 32)
BYTES_PER_VALUE = 4  # fp32

# The showdown trains seven networks where other lessons train one to three, so on a CPU it trains each
# for less than the budget's own recipe: at smoke one batch (it only proves that the notebook runs),
# on a laptop 2 epochs of 4,096 images, so that all seven train in about 7 minutes on two cores.
# The full budget (a GPU) trains exactly as train.fit would.
TRAINING_OVERRIDES = {
    "smoke": {"train_size": 64, "test_size": 64},
    "laptop": {"epochs": 2, "train_size": 4096, "test_size": 1000},
}


# --------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Where measurements are kept: ``path``, else ``$SMALLNETS_CACHE/showdown``, else the default."""
    if path is not None:
        return Path(path).expanduser()
    root = os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    return Path(root).expanduser() / "showdown"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What a measurement depends on besides its own settings: the CPU, torch, and its thread count."""
    return {
        "cpu": _cpu_name(),
        "arch": platform.machine(),
        "system": platform.system(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def cache_key(what: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The full key of one measurement: its kind, its settings, the machine and the schema version."""
    key = {"what": what, "schema": SCHEMA, "machine": machine(), "settings": settings}
    return json.loads(json.dumps(key, sort_keys=True, default=str))


def cache_path(key: dict[str, Any], directory: str | os.PathLike | None = None) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir(directory) / f"{key['what']}-{digest}.json"


# How many results `cached` found and measured in this session (run() reports its share).
cache_stats = {"hits": 0, "misses": 0}


def cached(
    what: str,
    settings: dict[str, Any],
    compute: Callable[[], Any],
    *,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> tuple[Any, bool]:
    """``compute()``'s JSON-able result, from the cache when an entry with the same key exists.

    Returns ``(value, from_cache)``. The value always comes back as JSON would give it (so a fresh and a
    cached result look the same: tuples become lists, dict keys strings). A damaged or unreadable entry
    is measured again; a cache folder that cannot be written only costs the next run its speed.
    """
    key = cache_key(what, settings)
    path = cache_path(key, directory)
    if not refresh and path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("key") == key:
                cache_stats["hits"] += 1
                return stored["value"], True
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    value = json.loads(json.dumps(compute(), allow_nan=True))
    cache_stats["misses"] += 1
    entry = {"key": key, "saved": time.strftime("%Y-%m-%d %H:%M:%S"), "value": value}
    try:
        atomic_write_text(path, json.dumps(entry, indent=1, allow_nan=True) + "\n")
    except OSError as error:
        warnings.warn(f"could not write the showdown cache at {path}: {error}", stacklevel=2)
    return value, False


# --------------------------------------------------------------------------------------------------
# 1. Costs
# --------------------------------------------------------------------------------------------------


def _budget(budget: str | budget_mod.Budget | None) -> budget_mod.Budget:
    return budget if isinstance(budget, budget_mod.Budget) else budget_mod.get(budget)


def _names(names: Iterable[str] | None, variant: str) -> list[str]:
    chosen = list(models.names() if names is None else names)
    for name in chosen:
        models.info(name)  # a clear error for an unknown name
    return [n for n in chosen if variant in models.info(n).variants]


def build(name: str, variant: str = "cifar", meta: bool = False, **options) -> nn.Module:
    """The network the showdown measures: 10 classes for ``cifar``/``tiny``, 1000 for ``imagenet``."""
    num_classes = 1000 if variant == "imagenet" else NUM_CLASSES
    if meta:
        with torch.device("meta"):
            return models.build(name, num_classes=num_classes, variant=variant, **options)
    return models.build(name, num_classes=num_classes, variant=variant, **options)


def default_resolution(variant: str) -> int:
    return {"cifar": CIFAR_RESOLUTION, "tiny": 64, "imagenet": IMAGENET_RESOLUTION}[variant]


def costs(
    names: Iterable[str] | None = None, variant: str = "cifar", resolution: int | None = None, **options
) -> dict[str, cost.Profile]:
    """``cost.profile`` of every network (shapes only: built on the meta device, so instant)."""
    resolution = resolution or default_resolution(variant)
    return {
        name: cost.profile(build(name, variant, meta=True, **options), resolution, name=name)
        for name in _names(names, variant)
    }


# The paper's headline network of each family with an ImageNet version: (label, name, resolution, options).
HEADLINE = (
    ("SqueezeNet 1.0", "squeezenet1_0", 227, {}),
    ("SqueezeNet 1.1", "squeezenet1_1", 224, {}),
    ("1.0 MobileNet-224", "mobilenet_v1", 224, {}),
    ("ShuffleNet 1x (g = 3)", "shufflenet_v1", 224, {"groups": 3}),
    ("MobileNetV2 1.0", "mobilenet_v2", 224, {}),
    ("FD-MobileNet 1x", "fd_mobilenet", 224, {}),
)


def published(name: str, width_mult: float = 1.0, resolution: int = 224, **options) -> dict[str, Any]:
    """Everything the papers (and the references the course trusts) publish about one configuration.

    Merges the entries of :func:`paper.figures` for exactly this configuration: for parameters, MACs and
    top-1 each, the first entry that gives it, with its source. Missing figures are None.
    """
    from . import paper

    out: dict[str, Any] = {"params": None, "macs": None, "top1": None, "sources": {}}
    for entry in paper.figures(name):
        opts = entry.get("options", {})
        if (
            abs(entry["width_mult"] - width_mult) > 1e-9
            or entry["resolution"] != resolution
            or any(options.get(k, v) != v for k, v in opts.items())
            or any(opts.get(k) != v for k, v in options.items())
        ):
            continue
        for key in ("params", "macs", "top1"):
            if out[key] is None and entry.get(key) is not None:
                out[key] = entry[key]
                out["sources"][key] = entry["source"]
    return out


def paper_rows() -> list[dict[str, Any]]:
    """Each family's headline ImageNet network: the published figures next to ours.

    Our parameters leave BatchNorm out (``cost.count_params(include_bn=False)``), as the papers count.
    """
    rows = []
    for label, name, resolution, options in HEADLINE:
        net = build(name, "imagenet", meta=True, **options)
        rows.append(
            {
                "label": label,
                "name": name,
                "resolution": resolution,
                "published": published(name, 1.0, resolution, **options),
                "params": cost.count_params(net, include_bn=False),
                "macs": cost.profile(net, resolution).macs,
            }
        )
    return rows


def conv_intensity(
    in_channels: int,
    out_channels: int,
    kernel: int,
    size: int,
    groups: int = 1,
    stride: int = 1,
    batch: int = 1,
    bytes_per_value: int = BYTES_PER_VALUE,
) -> float:
    """Arithmetic intensity of one convolution: its MACs per byte of weights, input and output.

    ``size`` is the output map's side; the input is ``size * stride`` on a side. Weights are read once
    per batch, the input and output once per image.
    """
    macs = cost.conv_macs(in_channels, out_channels, kernel, size, groups=groups) * batch
    weights = cost.conv_params(in_channels, out_channels, kernel, groups=groups)
    values = weights + batch * (in_channels * (size * stride) ** 2 + out_channels * size**2)
    return macs / (values * bytes_per_value)


# --------------------------------------------------------------------------------------------------
# 2. Latency
# --------------------------------------------------------------------------------------------------


def latencies(
    names: Iterable[str] | None = None,
    *,
    variant: str = "cifar",
    resolution: int | None = None,
    batch_sizes: Sequence[int] = BATCH_SIZES,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> dict[str, dict[int, float]]:
    """Median forward time in seconds, ``{name: {batch_size: seconds}}``, on this machine's CPU.

    Each measurement runs for the budget's ``bench_seconds`` (``cost.latency``) and is cached.
    """
    b = _budget(budget)
    resolution = resolution or default_resolution(variant)
    out: dict[str, dict[int, float]] = {}
    for name in _names(names, variant):
        settings = {
            "model": name,
            "variant": variant,
            "resolution": resolution,
            "batch_sizes": list(batch_sizes),
            "min_run_time": b.bench_seconds,
        }

        def measure(name=name) -> dict[int, float]:
            torch.manual_seed(0)
            net = build(name, variant)
            return {
                batch: cost.latency(net, resolution, batch, min_run_time=b.bench_seconds).median
                for batch in batch_sizes
            }

        value, _ = cached("latency", settings, measure, refresh=refresh, directory=directory)
        out[name] = {int(batch): float(seconds) for batch, seconds in value.items()}
    return out


# --------------------------------------------------------------------------------------------------
# 3. Training
# --------------------------------------------------------------------------------------------------


def training_settings(budget: str | budget_mod.Budget | None = None) -> dict[str, Any]:
    """What ``train.fit`` is given on top of the budget (only the smoke budget trains on less)."""
    return dict(TRAINING_OVERRIDES.get(_budget(budget).name, {}))


def _dataset_id(dataset) -> dict[str, Any]:
    return {
        "name": str(getattr(dataset, "name", "?")),
        "train": len(dataset.train),
        "test": len(dataset.test),
        "resolution": int(dataset.resolution),
        "classes": int(dataset.num_classes),
        "fallback": bool(getattr(dataset, "notice", None)),
    }


def training(
    names: Iterable[str] | None = None,
    dataset=None,
    *,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    progress: bool = True,
    seed: int = 0,
    directory: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Train every ``cifar`` variant with ``train.fit`` on ``dataset``; ``{name: History}``.

    Every network gets the same data, seed, schedule and number of steps. ``dataset`` defaults to
    ``data.for_lesson("cifar10")``, which falls back to the offline shapes with a notice.
    """
    from . import data, train  # the data and training layers are only needed to measure

    b = _budget(budget)
    if dataset is None:
        dataset = data.for_lesson("cifar10", budget=b)
    overrides = training_settings(b)
    device = str(train.default_device())
    out = {}
    for name in _names(names, "cifar"):
        settings = {
            "model": name,
            "dataset": _dataset_id(dataset),
            "budget": asdict(b),
            "overrides": overrides,
            "seed": seed,
            "device": device,
        }

        def measure(name=name) -> dict[str, Any]:
            torch.manual_seed(seed)
            net = models.build(name, num_classes=dataset.num_classes, variant="cifar")
            history = train.fit(net, dataset, budget=b, seed=seed, progress=progress, **overrides)
            return history.to_dict()

        value, _ = cached("training", settings, measure, refresh=refresh, directory=directory)
        out[name] = train.History.from_dict(value)
    return out


# --------------------------------------------------------------------------------------------------
# Pareto fronts
# --------------------------------------------------------------------------------------------------


def pareto_front(costs: Sequence[float], values: Sequence[float]) -> list[int]:
    """Indices of the points no other point beats, sorted by cost (lower cost and higher value win).

    Point ``j`` beats point ``i`` when it costs no more, is worth no less, and is strictly better in at
    least one of the two. Two identical points do not beat each other, so both stay. Points with a NaN
    are left out.
    """
    if len(costs) != len(values):
        raise ValueError(f"costs and values must have the same length, got {len(costs)} and {len(values)}")
    points = [(float(c), float(v), i) for i, (c, v) in enumerate(zip(costs, values, strict=True))]
    points = [p for p in points if not (math.isnan(p[0]) or math.isnan(p[1]))]
    front = [
        (c, v, i)
        for c, v, i in points
        if not any(c2 <= c and v2 >= v and (c2 < c or v2 > v) for c2, v2, _ in points)
    ]
    return [i for _, _, i in sorted(front)]


def _figure(width: float, height: float, ncols: int = 1, nrows: int = 1):
    """A course-styled figure of fixed size made without pyplot, so a cell that returns it shows it once."""
    from matplotlib.figure import Figure

    plots.style()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols)


def draw_front(ax, xs: Sequence[float], ys: Sequence[float], **style) -> list[int]:
    """Draw the Pareto front of the points as a staircase on ``ax``; returns its indices."""
    front = pareto_front(xs, ys)
    if front:
        fx = [xs[i] for i in front]
        fy = [ys[i] for i in front]
        kw = {"color": "grey", "lw": 1.2, "ls": "--", "zorder": 1, "label": "Pareto front"} | style
        ax.step(fx, fy, where="post", **kw)
    return front


# --------------------------------------------------------------------------------------------------
# The showdown
# --------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One network's row of the showdown (its ``cifar`` variant, 10 classes, 32x32 inputs)."""

    name: str
    params: int
    macs: int
    peak_activation_bytes: int
    latency: dict[int, float]  # batch size -> median seconds per batch
    imagenet_latency: float | None  # the ImageNet network at 224x224, batch 1 (None: no such network)
    train_images_per_second: float
    accuracy: float  # test accuracy after the last epoch
    history: Any = field(repr=False, default=None)

    def ms(self, batch: int = 1) -> float:
        return self.latency[batch] * 1e3


@dataclass
class Showdown:
    """All the networks' results, with the budget, dataset and machine they were measured on."""

    results: list[Result]
    budget: str
    dataset: str
    machine: dict[str, Any]
    cached: int = 0  # measurements read from the cache
    measured: int = 0  # measurements made (and stored) by this run
    batch_sizes: tuple[int, ...] = BATCH_SIZES

    def __getitem__(self, name: str) -> Result:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no result for {name!r}; the showdown has {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.results]

    def front(self, by: str = "macs") -> list[str]:
        """Names on the Pareto front of accuracy against ``by``: "macs", "latency", "params", "memory"."""
        xs = [_axis(r, by) for r in self.results]
        return [self.results[i].name for i in pareto_front(xs, [r.accuracy for r in self.results])]

    def rows(self) -> list[list[str]]:
        big = max(self.batch_sizes)
        out = []
        for r in self.results:
            out.append(
                [
                    r.name,
                    f"{r.params:,}",
                    f"{r.macs / 1e6:.1f}",
                    f"{r.peak_activation_bytes / 2**20:.2f}",
                    f"{r.ms(1):.2f}",
                    f"{big / r.latency[big]:,.0f}",
                    "" if r.imagenet_latency is None else f"{r.imagenet_latency * 1e3:.1f}",
                    f"{r.train_images_per_second:,.0f}",
                    f"{r.accuracy:.1%}",
                ]
            )
        return out

    def header(self) -> list[str]:
        big = max(self.batch_sizes)
        return [
            "network",
            "params",
            "M MACs",
            "peak act. MiB",
            "ms (batch 1)",
            f"images/s (batch {big})",
            "ms at 224 (ImageNet net)",
            "training images/s",
            "test accuracy",
        ]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.header())
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self.rows()
        )
        return f"<p>{html.escape(self.caption())}</p><table><tr>{head}</tr>{body}</table>"

    def caption(self) -> str:
        m = self.machine
        return (
            f"{len(self.results)} networks, cifar variants at 32x32; {self.dataset}, {self.budget} budget; "
            f"{m.get('cpu')} ({m.get('threads')} torch threads), torch {m.get('torch')}"
        )

    def __repr__(self) -> str:
        widths = [max(len(h), *(len(row[i]) for row in self.rows())) for i, h in enumerate(self.header())]
        line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
        return "\n".join([self.caption(), line(self.header()), *map(line, self.rows())])

    def fits(
        self,
        max_ms: float | None = None,
        max_activation_kib: float | None = None,
        max_params: float | None = None,
        max_macs: float | None = None,
    ) -> list[str]:
        """The networks within every given limit: milliseconds per image at batch 1 on this machine,
        peak activation memory in KiB, parameters, multiply-accumulates (None: no limit)."""
        limits = (
            (max_ms, lambda r: r.ms(1)),
            (max_activation_kib, lambda r: r.peak_activation_bytes / 1024),
            (max_params, lambda r: r.params),
            (max_macs, lambda r: r.macs),
        )
        return [
            r.name for r in self.results if all(limit is None or value(r) <= limit for limit, value in limits)
        ]

    def plot(self, highlight: Iterable[str] | None = None):
        """Accuracy against MACs and against measured latency (batch 1), with the Pareto fronts.

        With ``highlight``, the other networks are drawn as grey crosses (e.g. those that do not fit).
        """
        chosen = set(self.names if highlight is None else highlight)
        fig, axes = _figure(11.0, 4.2, ncols=2)
        for ax, by, label in (
            (axes[0], "macs", "million multiply-accumulates per image (log scale)"),
            (axes[1], "latency", "milliseconds per image, batch 1, this CPU (log scale)"),
        ):
            xs = [_axis(r, by) for r in self.results]
            ys = [100 * r.accuracy for r in self.results]
            draw_front(ax, xs, ys)
            for r, x, y in zip(self.results, xs, ys, strict=True):
                if r.name in chosen:
                    ax.scatter([x], [y], s=60, color=model_colour(r.name), zorder=3, edgecolor="white")
                else:
                    ax.scatter([x], [y], s=40, color="#BBBBBB", marker="x", zorder=2)
                colour = "black" if r.name in chosen else "#999999"
                ax.annotate(
                    r.name, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8, color=colour
                )
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel(f"test accuracy % ({self.dataset})")
            ax.legend(loc="lower right")
        axes[0].set_title("accuracy vs arithmetic")
        axes[1].set_title("accuracy vs time")
        fig.suptitle(f"{self.budget} budget: the same training for every network", fontsize=10)
        return fig

    def plot_curves(self):
        """Test accuracy after each epoch, every network on one axis."""
        fig, ax = _figure(7.0, 3.6)
        for r in self.results:
            h = r.history
            if h is None or not len(h):
                continue
            ax.plot(
                h.column("epoch"),
                [100 * a for a in h.column("test_acc")],
                "o-",
                label=r.name,
                color=model_colour(r.name),
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy %")
        ax.legend(fontsize=8, ncol=2)
        return fig


def _axis(r: Result, by: str) -> float:
    if by == "macs":
        return r.macs / 1e6
    if by == "latency":
        return r.ms(1)
    if by == "params":
        return float(r.params)
    if by == "memory":
        return r.peak_activation_bytes / 2**20
    raise ValueError(f"unknown axis {by!r}; choose macs, latency, params or memory")


def model_colour(name: str) -> str:
    """The course's colour for a network's family (SqueezeNet 1.1 a lighter grey than 1.0)."""
    if name == "squeezenet1_1":
        return "#BBBBBB"
    return plots.FAMILY_COLOURS.get(name.removesuffix("1_0"), plots.FAMILY_COLOURS.get(name, "#333333"))


def run(
    names: Iterable[str] | None = None,
    *,
    dataset=None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    progress: bool = True,
    imagenet: bool = True,
    directory: str | os.PathLike | None = None,
) -> Showdown:
    """Cost, time and train every network (``cifar`` variants) and return the :class:`Showdown`.

    Latencies (batch 1 and 32 at 32x32; batch 1 at 224x224 for the ImageNet networks when
    ``imagenet``) and training results come from the cache when they were measured before with the
    same settings on this machine; ``refresh=True`` measures everything again.
    """
    b = _budget(budget)
    before = dict(cache_stats)
    chosen = _names(names, "cifar")
    if not chosen:
        raise ValueError("run needs at least one network with a cifar variant")
    profiles = costs(chosen)
    times = latencies(chosen, budget=b, refresh=refresh, directory=directory)
    big = {}
    if imagenet:
        big = latencies(
            chosen, variant="imagenet", batch_sizes=(1,), budget=b, refresh=refresh, directory=directory
        )
    histories = training(chosen, dataset, budget=b, refresh=refresh, progress=progress, directory=directory)
    results = []
    dataset_name = "?"
    for name in chosen:
        p, h = profiles[name], histories[name]
        dataset_name = str(h.config.get("dataset", dataset_name))
        last = h.last or {}
        results.append(
            Result(
                name=name,
                params=p.params,
                macs=p.macs,
                peak_activation_bytes=p.peak_activation_bytes,
                latency=times[name],
                imagenet_latency=big.get(name, {}).get(1),
                train_images_per_second=float(last.get("images_per_second", math.nan)),
                accuracy=float(last.get("test_acc", math.nan)),
                history=h,
            )
        )
    hits = cache_stats["hits"] - before["hits"]
    misses = cache_stats["misses"] - before["misses"]
    return Showdown(results, b.name, dataset_name, machine(), cached=hits, measured=misses)


# --------------------------------------------------------------------------------------------------
# 4. Where the time goes: operators
# --------------------------------------------------------------------------------------------------

# The operator kinds of the time breakdown, in the order plots stack them.
OPERATOR_KINDS = (
    "dense conv",
    "pointwise 1x1",
    "grouped conv",
    "depthwise",
    "linear",
    "batchnorm",
    "activation",
    "shuffle/reshape",
    "pooling",
    "add/cat",
    "other",
)
OPERATOR_COLOURS = {
    "dense conv": plots.kind_colour("conv"),
    "pointwise 1x1": plots.kind_colour("pointwise"),
    "grouped conv": plots.kind_colour("grouped pointwise"),
    "depthwise": plots.kind_colour("depthwise"),
    "linear": plots.kind_colour("linear"),
    "batchnorm": "#CCB974",
    "activation": "#64B5CD",
    "shuffle/reshape": "#DA8BC3",
    "pooling": "#8C8C8C",
    "add/cat": "#E5AE38",
    "other": "#D0D0D0",
}

# Time spent outside every leaf module (in a block's own forward) is named by its outermost aten op.
ATEN_KINDS = {
    "aten::add": "add/cat",
    "aten::add_": "add/cat",
    "aten::cat": "add/cat",
    "aten::_cat": "add/cat",
    "aten::view": "shuffle/reshape",
    "aten::reshape": "shuffle/reshape",
    "aten::transpose": "shuffle/reshape",
    "aten::permute": "shuffle/reshape",
    "aten::flatten": "shuffle/reshape",
    "aten::contiguous": "shuffle/reshape",
    "aten::clone": "shuffle/reshape",
    "aten::channel_shuffle": "shuffle/reshape",
    "aten::relu": "activation",
    "aten::relu_": "activation",
    "aten::hardtanh": "activation",
    "aten::hardtanh_": "activation",
    "aten::leaky_relu": "activation",
    "aten::leaky_relu_": "activation",
    "aten::max_pool2d": "pooling",
    "aten::avg_pool2d": "pooling",
    "aten::adaptive_avg_pool2d": "pooling",
    "aten::mean": "pooling",
    "aten::linear": "linear",
    "aten::addmm": "linear",
    "aten::batch_norm": "batchnorm",
}

LABEL_PREFIX = "smallnets::"


def operator_kind(layer_kind: str) -> str:
    """Map :func:`cost.layer_kind`'s vocabulary onto :data:`OPERATOR_KINDS`."""
    base = layer_kind.split(" ")[0]
    if layer_kind == "pointwise":
        return "pointwise 1x1"
    if layer_kind in ("grouped pointwise", "grouped"):
        return "grouped conv"
    if base == "depthwise":
        return "depthwise"
    if base == "conv":
        return "dense conv"
    return {
        "linear": "linear",
        "batchnorm": "batchnorm",
        "activation": "activation",
        "shuffle": "shuffle/reshape",
        "flatten": "shuffle/reshape",
        "pool": "pooling",
    }.get(layer_kind, "other")


def group_events(events: Iterable[Any], layer_kinds: dict[str, str]) -> dict[str, dict[str, float]]:
    """Split profiled time into operator kinds and layers; every microsecond lands somewhere.

    ``events`` are ``torch.profiler`` function events (``name``, ``cpu_parent``,
    ``self_cpu_time_total`` in microseconds). An event's *self* time (its time minus its children's)
    goes to the innermost labelled leaf module around it, so a convolution's own kernels, and the
    profiler's bookkeeping around them, count for that convolution. Time outside every labelled module
    (a residual ``x + out``, ShuffleNet's ``torch.cat``) goes to the kind of its outermost aten op
    (:data:`ATEN_KINDS`), else to "other". Since self times add up to the whole, the kinds' times sum
    to the total profiled time.

    ``layer_kinds`` maps each label (``LABEL_PREFIX + module name``) to its operator kind. Returns
    ``{"kinds": {kind: µs}, "layers": {module name: µs}, "total": {"total": µs}}``.
    """
    kinds = dict.fromkeys(OPERATOR_KINDS, 0.0)
    layers: dict[str, float] = {}
    total = 0.0
    for event in events:
        micros = float(event.self_cpu_time_total)
        total += micros
        node, outermost, label = event, event, None
        while node is not None:
            if node.name in layer_kinds:
                label = node.name
                break
            outermost = node
            node = node.cpu_parent
        if label is not None:
            kind = layer_kinds[label]
            layer = label.removeprefix(LABEL_PREFIX)
            layers[layer] = layers.get(layer, 0.0) + micros
        else:
            kind = ATEN_KINDS.get(outermost.name, "other")
        kinds[kind] = kinds.get(kind, 0.0) + micros
    return {"kinds": kinds, "layers": layers, "total": {"total": total}}


@dataclass
class OperatorProfile:
    """Where one network's MACs, memory traffic and measured time go, per operator kind and per layer.

    ``seconds`` are per forward pass, as the profiler measured them (profiling adds a little time to
    every operator, so the total is somewhat above ``cost.latency``); ``bytes`` counts the values each
    layer must read and write: its weights once, its input and output once per image (4 bytes each).
    """

    name: str
    resolution: int
    batch_size: int
    runs: int
    seconds: dict[str, float]
    macs: dict[str, int]
    bytes: dict[str, int]
    layers: list[dict[str, Any]]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def shares(self, of: str = "seconds") -> dict[str, float]:
        """Each kind's share of the time (``of="seconds"``) or of the MACs (``of="macs"``); sums to 1."""
        table = {"seconds": self.seconds, "macs": self.macs, "bytes": self.bytes}[of]
        total = sum(table.values())
        return {k: (table.get(k, 0) / total if total else 0.0) for k in OPERATOR_KINDS}

    def intensity(self) -> dict[str, float]:
        """Arithmetic intensity per kind: MACs per byte moved (0 for kinds that do no MACs)."""
        return {k: self.macs[k] / self.bytes[k] if self.bytes.get(k) else 0.0 for k in OPERATOR_KINDS}

    def achieved(self) -> dict[str, float]:
        """Multiply-accumulates per second each kind reached (0 where it did none)."""
        return {k: self.macs[k] / self.seconds[k] if self.seconds.get(k) else 0.0 for k in OPERATOR_KINDS}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OperatorProfile:
        return cls(**d)


def _silence_kineto() -> None:
    # The profiler's C++ backend prints start/stop lines to the terminal (and so into notebooks) unless
    # its log level is above 5. Read once, when the first profile starts; never override a user setting.
    os.environ.setdefault("KINETO_LOG_LEVEL", "6")


def profile_operators(
    model: nn.Module,
    resolution: int = IMAGENET_RESOLUTION,
    batch_size: int = 1,
    runs: int = 3,
    name: str | None = None,
) -> OperatorProfile:
    """Profile ``runs`` forward passes of ``model`` and split the time by operator kind and layer.

    Every leaf module is wrapped in a ``record_function`` label by a forward pre-hook (opened) and a
    forward hook (closed), so the profiler's events can be traced back to the layer that issued them
    (:func:`group_events`). MACs and bytes per layer come from :func:`cost.profile` with the same names.
    """
    from torch.profiler import ProfilerActivity, profile, record_function

    if runs < 1 or batch_size < 1:
        raise ValueError(f"runs and batch_size must be at least 1, got {runs} and {batch_size}")
    name = name or str(getattr(model, "name", type(model).__name__))
    model = model.eval()
    costs_ = cost.profile(model, resolution, name=name)
    per_layer: dict[str, dict[str, Any]] = {}
    for row in costs_.layers:
        kind = operator_kind(row.kind)
        entry = per_layer.setdefault(row.name, {"name": row.name, "kind": kind, "macs": 0, "bytes": 0})
        entry["macs"] += row.macs * batch_size
        entry["bytes"] += row.params * BYTES_PER_VALUE + row.working_bytes * batch_size
    labels: dict[str, str] = {}
    open_labels: list[Any] = []
    handles = []

    def enter(module, inputs, label):
        rf = record_function(label)
        rf.__enter__()
        open_labels.append(rf)

    def leave(module, inputs, output):
        open_labels.pop().__exit__(None, None, None)

    for module_name, module in model.named_modules():
        if list(module.children()) or module_name not in per_layer:
            continue
        label = LABEL_PREFIX + module_name
        labels[label] = per_layer[module_name]["kind"]
        handles.append(module.register_forward_pre_hook(lambda m, i, label=label: enter(m, i, label)))
        handles.append(module.register_forward_hook(leave))
    x = torch.randn(batch_size, 3, resolution, resolution)
    _silence_kineto()
    try:
        with torch.no_grad():
            model(x)  # warm-up: first calls allocate and pick kernels
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for _ in range(runs):
                    model(x)
    finally:
        for handle in handles:
            handle.remove()
        while open_labels:  # only after an exception inside a layer
            open_labels.pop().__exit__(None, None, None)
    grouped = group_events(prof.events(), labels)
    seconds = {k: v / runs / 1e6 for k, v in grouped["kinds"].items()}
    layers = []
    for entry in per_layer.values():
        layers.append({**entry, "seconds": grouped["layers"].get(entry["name"], 0.0) / runs / 1e6})
    macs = dict.fromkeys(OPERATOR_KINDS, 0)
    moved = dict.fromkeys(OPERATOR_KINDS, 0)
    for entry in layers:
        macs[entry["kind"]] += entry["macs"]
        moved[entry["kind"]] += entry["bytes"]
    return OperatorProfile(name, resolution, batch_size, runs, seconds, macs, moved, layers)


def operator_runs(budget: str | budget_mod.Budget | None = None) -> int:
    """How many profiled forward passes the budget affords (1 at smoke, 10 on a laptop, 30 in full)."""
    return {"smoke": 1, "laptop": 10}.get(_budget(budget).name, 30)


def operators(
    names: Iterable[str] | None = None,
    *,
    variant: str = "imagenet",
    resolution: int | None = None,
    batch_size: int = 1,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> dict[str, OperatorProfile]:
    """:func:`profile_operators` for every network (ImageNet variants at 224, batch 1 by default), cached."""
    b = _budget(budget)
    resolution = resolution or default_resolution(variant)
    runs = operator_runs(b)
    out = {}
    for name in _names(names, variant):
        settings = {
            "model": name,
            "variant": variant,
            "resolution": resolution,
            "batch_size": batch_size,
            "runs": runs,
        }

        def measure(name=name) -> dict[str, Any]:
            torch.manual_seed(0)
            net = build(name, variant)
            return profile_operators(net, resolution, batch_size, runs, name=name).to_dict()

        value, _ = cached("operators", settings, measure, refresh=refresh, directory=directory)
        out[name] = OperatorProfile.from_dict(value)
    return out


def plot_shares(profiles: dict[str, OperatorProfile]):
    """For each network, two stacked bars: its share of MACs and its share of time per operator kind."""
    fig, ax = _figure(10.0, 0.8 + 0.7 * len(profiles))
    ylabels, y = [], 0.0
    seen: set[str] = set()
    for name, p in profiles.items():
        for of, label in (("macs", "MACs"), ("seconds", "time")):
            left = 0.0
            for kind, share in p.shares(of).items():
                if share <= 0:
                    continue
                ax.barh(
                    y,
                    share,
                    left=left,
                    color=OPERATOR_COLOURS[kind],
                    edgecolor="white",
                    lw=0.5,
                    label=kind if kind not in seen else None,
                )
                seen.add(kind)
                if share > 0.07:
                    ax.text(left + share / 2, y, f"{share:.0%}", ha="center", va="center", fontsize=7)
                left += share
            ylabels.append((y, f"{name}  {label}"))
            y += 1.0
        y += 0.5
    ax.set_yticks([t for t, _ in ylabels], [s for _, s in ylabels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.grid(False)
    handles, names = ax.get_legend_handles_labels()
    order = [names.index(k) for k in OPERATOR_KINDS if k in names]
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
    )
    ax.set_title("share of multiply-accumulates vs share of measured time, per operator kind")
    return fig


def plot_roofline(profiles: dict[str, OperatorProfile]):
    """Achieved GMAC/s against arithmetic intensity for every layer that does MACs (log-log).

    The dashed "roofs" are empirical: the flat one at the best rate any layer reached, the slanted one
    at the best rate per byte (what a layer bound by memory traffic can reach). A layer under the
    slanted roof is starved of data, however few MACs it has.
    """
    fig, ax = _figure(8.0, 4.6)
    xs, ys = [], []
    seen: set[str] = set()
    for p in profiles.values():
        for layer in p.layers:
            if not layer["macs"] or layer["seconds"] <= 0:
                continue
            x = layer["macs"] / layer["bytes"]
            y = layer["macs"] / layer["seconds"] / 1e9
            xs.append(x)
            ys.append(y)
            kind = layer["kind"]
            ax.scatter(
                [x],
                [y],
                s=14,
                color=OPERATOR_COLOURS[kind],
                alpha=0.75,
                label=kind if kind not in seen else None,
            )
            seen.add(kind)
    if xs:
        peak = max(ys)
        bandwidth = max(y / x for x, y in zip(xs, ys, strict=True))  # GMAC/s per (MAC/byte) = GB/s
        grid = [min(xs) / 1.5 * (max(xs) * 2.25 / min(xs)) ** (i / 50) for i in range(51)]
        ax.plot(
            grid,
            [min(peak, bandwidth * g) for g in grid],
            "--",
            color="black",
            lw=1,
            label=f"empirical roofs: {peak:.0f} GMAC/s, {bandwidth:.1f} GB/s",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity: MACs per byte of weights + input + output")
    ax.set_ylabel("achieved GMAC/s")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("every layer of every network: few MACs per byte means a low speed")
    return fig


# --------------------------------------------------------------------------------------------------
# ShuffleNet V2's four guidelines, each as a tiny timed experiment
# --------------------------------------------------------------------------------------------------


def memory_access_cost(h: int, w: int, c1: int, c2: int, groups: int = 1) -> int:
    """ShuffleNet V2's memory access cost of a 1x1 convolution, in values: ``hw(c1 + c2) + c1 c2 / g``.

    Reading the input (``hw c1``), writing the output (``hw c2``) and reading the weights (``c1 c2 / g``),
    assuming the cache is large enough to touch each once (Ma et al. 2018, Eq. 1 and 2).
    """
    for label, value in (("h", h), ("w", w), ("c1", c1), ("c2", c2), ("groups", groups)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if c1 % groups or c2 % groups:
        raise ValueError(f"groups={groups} must divide c1={c1} and c2={c2}")
    return h * w * (c1 + c2) + c1 * c2 // groups


def seconds(module: nn.Module, x: torch.Tensor, min_run_time: float) -> float:
    """Median time of ``module(x)`` without gradients (``torch.utils.benchmark``)."""
    from torch.utils import benchmark

    module = module.eval()
    timer = benchmark.Timer(
        stmt="with torch.no_grad(): module(x)",
        globals={"module": module, "x": x, "torch": torch},
        num_threads=torch.get_num_threads(),
    )
    with torch.no_grad():
        module(x)  # warm-up
    return timer.blocked_autorange(min_run_time=min_run_time).median


class _Parallel(nn.Module):
    """``k`` branches side by side, outputs concatenated (a fragmented layer)."""

    def __init__(self, branches: list[nn.Module]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


class Bottleneck(nn.Module):
    """ResNet's bottleneck (1x1, 3x3, 1x1) with its ReLUs and shortcut optional: G4's experiment."""

    def __init__(self, channels: int, relu: bool = True, shortcut: bool = True) -> None:
        super().__init__()
        mid = channels // 4
        self.convs = nn.ModuleList(
            [
                nn.Conv2d(channels, mid, 1, bias=False),
                nn.Conv2d(mid, mid, 3, padding=1, bias=False),
                nn.Conv2d(mid, channels, 1, bias=False),
            ]
        )
        self.relu, self.shortcut = relu, shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for i, conv in enumerate(self.convs):
            out = conv(out)
            if self.relu and i < 2:
                out = torch.relu(out)
        if self.shortcut:
            out = out + x
        return torch.relu(out) if self.relu else out


def _stack(block: Callable[[], nn.Module], blocks: int) -> nn.Sequential:
    return nn.Sequential(*[block() for _ in range(blocks)])


def _macs(module: nn.Module, x: torch.Tensor) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() // 2 // x.shape[0]


def guideline_blocks(budget: str | budget_mod.Budget | None = None) -> int:
    """Blocks per experiment: 10 as in the paper, 2 at the smoke budget."""
    return 2 if _budget(budget).name == "smoke" else 10


def guideline_size(budget: str | budget_mod.Budget | None = None) -> int:
    """Map side of the experiments: 56 as in the paper, 28 at the smoke budget."""
    return 28 if _budget(budget).name == "smoke" else 56


def _guideline(
    what: str,
    configs: list[dict[str, Any]],
    make: Callable[..., tuple[nn.Module, torch.Tensor]],
    extra: Callable[..., dict[str, Any]],
    settings: dict[str, Any],
    budget: budget_mod.Budget,
    refresh: bool,
    directory,
) -> list[dict[str, Any]]:
    def measure() -> list[dict[str, Any]]:
        torch.manual_seed(0)
        rows = []
        for config in configs:
            module, x = make(**config)
            rows.append(
                {
                    **config,
                    **extra(**config),
                    "macs": _macs(module, x),
                    "seconds": seconds(module, x, budget.bench_seconds),
                }
            )
        return rows

    value, _ = cached(
        what,
        {**settings, "configs": configs, "min_run_time": budget.bench_seconds},
        measure,
        refresh=refresh,
        directory=directory,
    )
    return value


def guideline_g1(
    ratios: Sequence[int] = (1, 2, 6, 12),
    *,
    base: int = 128,
    size: int | None = None,
    blocks: int | None = None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """G1, equal channel width minimises memory access cost: pairs of 1x1 convs c1 -> c2 -> c1.

    Every ratio keeps ``c1 * c2`` at about ``base**2``, so the MACs stay (almost) equal; only the
    balance of widths, and with it the memory access cost, changes. One row per ratio.
    """
    b = _budget(budget)
    blocks = blocks or guideline_blocks(b)
    size = size or guideline_size(b)
    configs = []
    for r in ratios:
        c1 = max(1, round(base / math.sqrt(r)))
        configs.append({"ratio": r, "c1": c1, "c2": round(base * base / c1)})

    def make(ratio, c1, c2):
        pair = lambda: nn.Sequential(nn.Conv2d(c1, c2, 1, bias=False), nn.Conv2d(c2, c1, 1, bias=False))  # noqa: E731
        return _stack(pair, blocks), torch.randn(1, c1, size, size)

    def extra(ratio, c1, c2):
        return {"memory_access": blocks * 2 * memory_access_cost(size, size, c1, c2)}

    return _guideline("g1", configs, make, extra, {"size": size, "blocks": blocks}, b, refresh, directory)


def guideline_g2(
    groups: Sequence[int] = (1, 2, 4, 8),
    *,
    base: int = 128,
    size: int | None = None,
    blocks: int | None = None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """G2, excessive group convolution increases memory access cost: grouped 1x1 convs at equal MACs.

    With ``g`` groups the channels grow to about ``base * sqrt(g)`` (a multiple of ``g``), which keeps
    ``c**2 / g``, the MACs, at about ``base**2``; the inputs and outputs to move grow with ``c``.
    """
    b = _budget(budget)
    blocks = blocks or guideline_blocks(b)
    size = size or guideline_size(b)
    configs = [{"groups": g, "channels": g * int(base * math.sqrt(g) / g)} for g in groups]

    def make(groups, channels):
        conv = lambda: nn.Conv2d(channels, channels, 1, groups=groups, bias=False)  # noqa: E731
        return _stack(conv, blocks), torch.randn(1, channels, size, size)

    def extra(groups, channels):
        return {"memory_access": blocks * memory_access_cost(size, size, channels, channels, groups)}

    return _guideline("g2", configs, make, extra, {"size": size, "blocks": blocks}, b, refresh, directory)


def guideline_g3(
    fragments: Sequence[int] = (1, 2, 4, 8),
    *,
    channels: int = 128,
    size: int | None = None,
    blocks: int | None = None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """G3, network fragmentation reduces parallelism: the same 1x1 work cut into ``k`` pieces.

    "parallel": ``k`` branches, each a 1x1 conv ``channels -> channels / k``, concatenated; exactly the
    MACs of one ``channels -> channels`` conv (which is the same layer, computed in pieces).
    "series": ``k`` 1x1 convs one after the other, each ``channels / sqrt(k)`` wide, the same MACs.
    """
    b = _budget(budget)
    blocks = blocks or guideline_blocks(b)
    size = size or guideline_size(b)
    configs = [
        {"layout": layout, "fragments": k}
        for layout in ("parallel", "series")
        for k in fragments
        if not (layout == "series" and k == 1) and (layout == "series" or channels % k == 0)
    ]

    def make(layout, fragments):
        k = fragments
        if layout == "parallel":
            block = lambda: _Parallel([nn.Conv2d(channels, channels // k, 1, bias=False) for _ in range(k)])  # noqa: E731
            return _stack(block, blocks), torch.randn(1, channels, size, size)
        width = max(1, round(channels / math.sqrt(k)))
        block = lambda: nn.Sequential(*[nn.Conv2d(width, width, 1, bias=False) for _ in range(k)])  # noqa: E731
        return _stack(block, blocks), torch.randn(1, width, size, size)

    def extra(layout, fragments):
        return {}

    return _guideline(
        "g3",
        configs,
        make,
        extra,
        {"channels": channels, "size": size, "blocks": blocks},
        b,
        refresh,
        directory,
    )


def guideline_g4(
    *,
    channels: int = 256,
    size: int | None = None,
    blocks: int | None = None,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    directory: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """G4, element-wise operations are not negligible: a ResNet bottleneck with and without its ReLUs
    and its shortcut (the paper's experiment). The MACs are the same in all four rows."""
    b = _budget(budget)
    blocks = blocks or guideline_blocks(b)
    size = size or guideline_size(b)
    configs = [{"relu": relu, "shortcut": sc} for relu in (True, False) for sc in (True, False)]

    def make(relu, shortcut):
        return _stack(lambda: Bottleneck(channels, relu, shortcut), blocks), torch.randn(
            1, channels, size, size
        )

    def extra(relu, shortcut):
        return {}

    return _guideline(
        "g4",
        configs,
        make,
        extra,
        {"channels": channels, "size": size, "blocks": blocks},
        b,
        refresh,
        directory,
    )


def plot_guidelines(g1: list[dict], g2: list[dict], g3: list[dict], g4: list[dict]):
    """The four guideline experiments side by side: time relative to each experiment's first row."""
    fig, axes = _figure(11.0, 6.4, ncols=2, nrows=2)
    panels = (
        (axes[0, 0], g1, lambda r: f"1:{r['ratio']}\n{r['c1']}-{r['c2']}", "G1: c1 : c2 at equal MACs"),
        (axes[0, 1], g2, lambda r: f"g = {r['groups']}\nc = {r['channels']}", "G2: groups at equal MACs"),
        (axes[1, 0], g3, lambda r: f"{r['layout']}\nx{r['fragments']}", "G3: one layer in fragments"),
        (
            axes[1, 1],
            g4,
            lambda r: f"ReLU {'on' if r['relu'] else 'off'}\nshortcut {'on' if r['shortcut'] else 'off'}",
            "G4: element-wise operations",
        ),
    )
    for ax, rows, label, title in panels:
        if not rows:
            continue
        base = rows[0]["seconds"]
        rel = [r["seconds"] / base for r in rows]
        colours = ["#4C72B0" if r.get("layout", "parallel") == "parallel" else "#DD8452" for r in rows]
        ax.bar(range(len(rows)), rel, color=colours)
        ax.axhline(1.0, color="grey", lw=0.8, ls=":")
        for i, v in enumerate(rel):
            ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(rows)), [label(r) for r in rows], fontsize=8)
        ax.set_ylabel("time relative to the first bar")
        ax.set_title(title)
        ax.set_ylim(0, max(rel) * 1.2)
        ax.grid(axis="x", visible=False)
    return fig


__all__ = [
    "BATCH_SIZES",
    "CACHE_ENV",
    "OPERATOR_KINDS",
    "Bottleneck",
    "OperatorProfile",
    "Result",
    "Showdown",
    "build",
    "cache_dir",
    "cache_stats",
    "cached",
    "conv_intensity",
    "costs",
    "draw_front",
    "group_events",
    "guideline_g1",
    "guideline_g2",
    "guideline_g3",
    "guideline_g4",
    "latencies",
    "machine",
    "memory_access_cost",
    "model_colour",
    "operator_kind",
    "operators",
    "pareto_front",
    "plot_guidelines",
    "plot_roofline",
    "plot_shares",
    "paper_rows",
    "profile_operators",
    "published",
    "run",
    "seconds",
    "training",
]
