"""ShuffleNet V2's four guidelines (Ma, Zhang, Zheng and Sun, 2018, arXiv:1807.11164), each as a tiny
timed experiment: G1 equal channel widths, G2 groups, G3 fragmentation, G4 element-wise operations.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

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
        pair = lambda: nn.Sequential(nn.Conv2d(c1, c2, 1, bias=False), nn.Conv2d(c2, c1, 1, bias=False))
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
        conv = lambda: nn.Conv2d(channels, channels, 1, groups=groups, bias=False)
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
            block = lambda: _Parallel([nn.Conv2d(channels, channels // k, 1, bias=False) for _ in range(k)])
            return _stack(block, blocks), torch.randn(1, channels, size, size)
        width = max(1, round(channels / math.sqrt(k)))
        block = lambda: nn.Sequential(*[nn.Conv2d(width, width, 1, bias=False) for _ in range(k)])
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
