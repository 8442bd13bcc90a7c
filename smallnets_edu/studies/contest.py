"""The contest: every network's latency and training, measured once and cached, and :func:`run`,
which puts them together with the costs into a :class:`Showdown` (a table, Pareto fronts and plots).
"""

from __future__ import annotations

import html
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from .. import budget as budget_mod
from .. import cost, models, plots
from ..files import atomic_write
from .cache import cache_stats, cached, companion_path, machine
from .common import _budget, _figure
from .costs import _names, build, costs, default_resolution
from .pareto import draw_front, pareto_front

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BATCH_SIZES = (1, 32)

# The showdown trains seven networks where other lessons train one to three, so on a CPU it trains each
# for less than the budget's own recipe: at smoke a few batches (it only proves that the notebook runs),
# on a laptop 2 epochs of 4,096 images in batches of 64. The epochs are set on the budget, not given to
# fit, so a network's own ``epochs_scale`` still applies: the published SqueezeNets, which run fast but
# learn slowly, train 6 epochs (models.squeezenet.published_recipe). Batches of 64 rather than 128 give
# twice the steps for the same images and nearly the same time; measured on the offline set (seed 0, 2
# epochs): MobileNet v1 10% -> 21%, EffNet 55% -> 58%, SqueezeNet 1.1 27% -> 28%; MobileNetV2 went from
# 35.5% in the last showdown at batch 128 to 77.9%. Lesson 08's reference run, which trains all seven
# on two datasets, took 17 minutes on a 2-core Xeon. The gpu and full budgets train as train.fit would.
TRAINING_EPOCHS = {"laptop": 2}
TRAINING_OVERRIDES = {
    "smoke": {"train_size": 64, "test_size": 64},
    "laptop": {"train_size": 4096, "test_size": 1000, "batch_size": 64},
}


# --------------------------------------------------------------------------------------------------
# Latency
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
# Training
# --------------------------------------------------------------------------------------------------


def training_settings(budget: str | budget_mod.Budget | None = None) -> dict[str, Any]:
    """What ``train.fit`` is given on top of :func:`training_budget` (the short budgets train on less)."""
    return dict(TRAINING_OVERRIDES.get(_budget(budget).name, {}))


def training_budget(budget: str | budget_mod.Budget | None = None) -> budget_mod.Budget:
    """The budget the showdown trains at: ``budget`` with :data:`TRAINING_EPOCHS` where it shortens it."""
    b = _budget(budget)
    return b.with_(epochs=TRAINING_EPOCHS[b.name]) if b.name in TRAINING_EPOCHS else b


def network_recipe(name: str, num_classes: int) -> dict[str, Any]:
    """What a cache key records of the training a network asks for (its ``recipe_defaults``), so that
    results trained before a network's recipe changed are measured again."""
    return dict(models.build(name, num_classes=num_classes, variant="cifar").recipe_defaults)


def dataset_id(dataset: Any) -> dict[str, Any]:
    """What a cache key records of a dataset: name, sizes, resolution, classes, offline fallback or not.

    The offline ``shapes`` set also records its generator's version, so results measured on older
    pictures are measured again.
    """
    from ..data import shapes

    name = str(getattr(dataset, "name", "?"))
    generated = name.startswith("shapes") or getattr(dataset, "notice", None)
    return {
        "name": name,
        **({"generator": shapes.VERSION} if generated else {}),
        "train": len(dataset.train),
        "test": len(dataset.test),
        "resolution": int(dataset.resolution),
        "classes": int(dataset.num_classes),
        "fallback": bool(getattr(dataset, "notice", None)),
    }


def _training_settings(
    name: str, dataset: Any, b: budget_mod.Budget, seed: int, device: str
) -> dict[str, Any]:
    return {
        "model": name,
        "dataset": dataset_id(dataset),
        "budget": asdict(training_budget(b)),
        "overrides": training_settings(b),
        "recipe": network_recipe(name, dataset.num_classes),
        "seed": seed,
        "device": device,
    }


def training(
    names: Iterable[str] | None = None,
    dataset: Any = None,
    *,
    budget: str | budget_mod.Budget | None = None,
    refresh: bool = False,
    progress: bool = True,
    seed: int = 0,
    directory: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Train every ``cifar`` variant with ``train.fit`` on ``dataset``; ``{name: History}``.

    Every network gets the same data, seed and settings (the published SqueezeNets their own epochs:
    ``models.squeezenet.published_recipe``). ``dataset`` defaults to ``data.for_lesson("cifar10")``,
    which falls back to the offline shapes with a notice. The trained weights are kept beside each
    history, so :func:`trained_network` (lesson 09) deploys the very networks lesson 08 trained.
    """
    from .. import data, train  # the data and training layers are only needed to measure

    b = _budget(budget)
    if dataset is None:
        dataset = data.for_lesson("cifar10", budget=b)
    device = str(train.default_device())
    out = {}
    for name in _names(names, "cifar"):
        settings = _training_settings(name, dataset, b, seed, device)
        weights = companion_path("training", settings, ".pt", directory)

        def measure(name=name, weights=weights) -> dict[str, Any]:
            net, history = _train(name, dataset, b, seed, progress)
            state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
            try:
                atomic_write(weights, lambda f: torch.save(state, f))
            except OSError as error:  # the history is still worth keeping
                warnings.warn(f"could not keep the trained weights at {weights}: {error}", stacklevel=2)
            return history.to_dict()

        value, _ = cached("training", settings, measure, refresh=refresh, directory=directory)
        out[name] = train.History.from_dict(value)
    return out


def _train(name: str, dataset: Any, b: budget_mod.Budget, seed: int, progress: bool) -> tuple[Any, Any]:
    from .. import train

    torch.manual_seed(seed)
    net = models.build(name, num_classes=dataset.num_classes, variant="cifar")
    history = train.fit(
        net, dataset, budget=training_budget(b), seed=seed, progress=progress, **training_settings(b)
    )
    return net, history


def trained_network(
    name: str,
    dataset: Any,
    *,
    budget: str | budget_mod.Budget | None = None,
    seed: int = 0,
    progress: bool = False,
    directory: str | os.PathLike | None = None,
) -> tuple[torch.nn.Module, Any]:
    """``(network, History)``: ``name`` trained as :func:`training` trains it, on the CPU, in eval mode.

    The weights come from the cache when :func:`training` has already trained it with these settings on
    this machine (lesson 08 before lesson 09); otherwise it is trained now, and kept for next time.
    """
    from .. import train

    b = _budget(budget)
    settings = _training_settings(name, dataset, b, seed, str(train.default_device()))
    weights = companion_path("training", settings, ".pt", directory)
    kwargs = dict(dataset=dataset, budget=b, seed=seed, progress=progress, directory=directory)
    history = training([name], **kwargs)[name]
    net = models.build(name, num_classes=dataset.num_classes, variant="cifar")
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except (OSError, RuntimeError, ValueError, EOFError, KeyError):
        # A history cached without its weights (an older cache, a full disk): train it again.
        history = training([name], refresh=True, **kwargs)[name]
        try:
            net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        except (OSError, RuntimeError, ValueError, EOFError, KeyError):  # the cache cannot be written
            net, history = _train(name, dataset, b, seed, progress)
    return net.cpu().eval().to(memory_format=torch.contiguous_format), history


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
        line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
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

    def plot(self, highlight: Iterable[str] | None = None) -> Figure:
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

    def plot_curves(self) -> Figure:
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
    dataset: Any = None,
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
