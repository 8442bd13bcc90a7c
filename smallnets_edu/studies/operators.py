"""Where the time of one forward pass goes: ``torch.profiler`` time per operator kind and per layer,
next to where the multiply-accumulates and the memory traffic go, with two plots (shares and roofline).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .. import budget as budget_mod
from .. import cost, plots
from .cache import cached
from .common import _budget, _figure
from .costs import BYTES_PER_VALUE, IMAGENET_RESOLUTION, _names, build, default_resolution

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


def plot_shares(profiles: dict[str, OperatorProfile]) -> Figure:
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


def plot_roofline(profiles: dict[str, OperatorProfile]) -> Figure:
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
