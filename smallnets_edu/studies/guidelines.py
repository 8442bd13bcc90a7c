"""ShuffleNet V2's four guidelines (Ma, Zhang, Zheng and Sun, 2018, arXiv:1807.11164), each as a tiny
timed experiment: G1 equal channel widths, G2 groups, G3 fragmentation, G4 element-wise operations.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import torch
from torch import nn

from .. import budget as budget_mod
from .cache import cached
from .common import _budget, _figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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


class GuidelineOptions(TypedDict, total=False):
    """What every guideline experiment accepts besides its own widths."""

    size: int | None  # map side; default :func:`guideline_size` of the budget
    blocks: int | None  # blocks stacked per timing; default :func:`guideline_blocks`
    budget: str | budget_mod.Budget | None
    refresh: bool  # measure again although a cached result exists
    directory: str | os.PathLike | None  # where results are cached


# A block factory and the channels it reads, for one configuration at one map side.
BlockMaker = Callable[..., tuple[Callable[[], nn.Module], int]]


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


def _experiment(
    what: str,
    configs: list[dict[str, Any]],
    block: BlockMaker,
    memory_access: Callable[..., int] | None = None,
    settings: dict[str, Any] | None = None,
    **run: Unpack[GuidelineOptions],
) -> list[dict[str, Any]]:
    """Time ``blocks`` stacked copies of each configuration's block (cached); one row per config.

    ``memory_access(size, **config)`` is one block's memory access cost, where the guideline has one.
    """
    b = _budget(run.get("budget"))
    blocks = run.get("blocks") or guideline_blocks(b)
    size = run.get("size") or guideline_size(b)

    def measure() -> list[dict[str, Any]]:
        torch.manual_seed(0)
        rows = []
        for config in configs:
            factory, channels = block(size, **config)
            module = nn.Sequential(*[factory() for _ in range(blocks)])
            x = torch.randn(1, channels, size, size)
            row = dict(config)
            if memory_access is not None:
                row["memory_access"] = blocks * memory_access(size, **config)
            rows.append({**row, "macs": _macs(module, x), "seconds": seconds(module, x, b.bench_seconds)})
        return rows

    key = {**(settings or {}), "size": size, "blocks": blocks}
    value, _ = cached(
        what,
        {**key, "configs": configs, "min_run_time": b.bench_seconds},
        measure,
        refresh=run.get("refresh", False),
        directory=run.get("directory"),
    )
    return value


def guideline_g1(
    ratios: Sequence[int] = (1, 2, 6, 12), *, base: int = 128, **run: Unpack[GuidelineOptions]
) -> list[dict[str, Any]]:
    """G1, equal channel width minimises memory access cost: pairs of 1x1 convs c1 -> c2 -> c1.

    Every ratio keeps ``c1 * c2`` at about ``base**2``, so the MACs stay (almost) equal; only the
    balance of widths, and with it the memory access cost, changes. One row per ratio.
    """
    configs = []
    for r in ratios:
        c1 = max(1, round(base / math.sqrt(r)))
        configs.append({"ratio": r, "c1": c1, "c2": round(base * base / c1)})

    def block(size, ratio, c1, c2):
        return lambda: nn.Sequential(nn.Conv2d(c1, c2, 1, bias=False), nn.Conv2d(c2, c1, 1, bias=False)), c1

    def memory_access(size, ratio, c1, c2):
        return 2 * memory_access_cost(size, size, c1, c2)

    return _experiment("g1", configs, block, memory_access, **run)


def guideline_g2(
    groups: Sequence[int] = (1, 2, 4, 8), *, base: int = 128, **run: Unpack[GuidelineOptions]
) -> list[dict[str, Any]]:
    """G2, excessive group convolution increases memory access cost: grouped 1x1 convs at equal MACs.

    With ``g`` groups the channels grow to about ``base * sqrt(g)`` (a multiple of ``g``), which keeps
    ``c**2 / g``, the MACs, at about ``base**2``; the inputs and outputs to move grow with ``c``.
    """
    configs = [{"groups": g, "channels": g * int(base * math.sqrt(g) / g)} for g in groups]

    def block(size, groups, channels):
        return lambda: nn.Conv2d(channels, channels, 1, groups=groups, bias=False), channels

    def memory_access(size, groups, channels):
        return memory_access_cost(size, size, channels, channels, groups)

    return _experiment("g2", configs, block, memory_access, **run)


def guideline_g3(
    fragments: Sequence[int] = (1, 2, 4, 8), *, channels: int = 128, **run: Unpack[GuidelineOptions]
) -> list[dict[str, Any]]:
    """G3, network fragmentation reduces parallelism: the same 1x1 work cut into ``k`` pieces.

    "parallel": ``k`` branches, each a 1x1 conv ``channels -> channels / k``, concatenated; exactly the
    MACs of one ``channels -> channels`` conv (which is the same layer, computed in pieces).
    "series": ``k`` 1x1 convs one after the other, each ``channels / sqrt(k)`` wide, the same MACs.
    """
    configs = [
        {"layout": layout, "fragments": k}
        for layout in ("parallel", "series")
        for k in fragments
        if not (layout == "series" and k == 1) and (layout == "series" or channels % k == 0)
    ]

    def block(size, layout, fragments):
        k = fragments
        if layout == "parallel":
            return lambda: _Parallel(
                [nn.Conv2d(channels, channels // k, 1, bias=False) for _ in range(k)]
            ), channels
        width = max(1, round(channels / math.sqrt(k)))
        return lambda: nn.Sequential(*[nn.Conv2d(width, width, 1, bias=False) for _ in range(k)]), width

    return _experiment("g3", configs, block, settings={"channels": channels}, **run)


def guideline_g4(*, channels: int = 256, **run: Unpack[GuidelineOptions]) -> list[dict[str, Any]]:
    """G4, element-wise operations are not negligible: a ResNet bottleneck with and without its ReLUs
    and its shortcut (the paper's experiment). The MACs are the same in all four rows."""
    configs = [{"relu": relu, "shortcut": sc} for relu in (True, False) for sc in (True, False)]

    def block(size, relu, shortcut):
        return lambda: Bottleneck(channels, relu, shortcut), channels

    return _experiment("g4", configs, block, settings={"channels": channels}, **run)


def plot_guidelines(g1: list[dict], g2: list[dict], g3: list[dict], g4: list[dict]) -> Figure:
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
