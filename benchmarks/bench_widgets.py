"""How fast lesson 01's cost explorer reacts: the readout, and a full redraw of its chart.

    .venv/bin/python benchmarks/bench_widgets.py [--runs 200]

The readout (the table of every variant's parameters and MACs) is recomputed on every slider move and
must stay under 50 ms; the chart is redrawn when a slider is released. Each number is the median over
many runs, cycling through slider settings (a warm-up run comes first). This prints numbers; it is not
a timed test, because timings depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import time

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib.pyplot as plt

from smallnets_edu import diagrams

READOUT_LIMIT_MS = 50.0


def settings() -> itertools.cycle:
    """Every slider combination of the explorer, in a fixed order."""
    combos = itertools.product(
        diagrams.KERNEL_OPTIONS,
        diagrams.CHANNEL_OPTIONS,
        diagrams.CHANNEL_OPTIONS,
        diagrams.GROUP_OPTIONS,
        diagrams.SIZE_OPTIONS,
    )
    keys = ("kernel", "in_channels", "out_channels", "groups", "size")
    return itertools.cycle([dict(zip(keys, combo, strict=True)) for combo in combos])


def median_ms(action, runs: int) -> tuple[float, float]:
    """Median and 90th percentile of ``action(values)`` in milliseconds over ``runs`` settings."""
    values = settings()
    action(next(values))  # warm-up: imports, caches, font loading
    times = []
    for _ in range(runs):
        current = next(values)
        start = time.perf_counter()
        action(current)
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def readout(values: dict) -> None:
    diagrams.cost_readout(**values)


def slider_to_readout(explorer):
    """A real slider move (the map size, which changes at every step of ``settings``): the widget's
    observer recomputes the readout and replaces the readout widget's HTML."""
    size = explorer.controls["size"]

    def move(values: dict) -> None:
        before = explorer.readout.value
        size.value = values["size"]
        assert explorer.readout.value != before

    return move


def redraw(values: dict) -> None:
    """A slider release: draw the chart and render it to PNG, as the inline backend does."""
    fig = diagrams.cost_chart(**values)
    buffer = io.BytesIO()
    fig.canvas.print_figure(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measurement (default 200)")
    args = parser.parse_args(argv)

    # The readout alone, with the plot left out so a slider move triggers only the readout.
    from smallnets_edu import widgets

    light = widgets.Explorer(diagrams.explorer_controls(), readout=diagrams.cost_readout)

    rows = [
        ("readout: cost_readout(...)", median_ms(readout, args.runs * 10)),
        ("slider move -> readout widget updated", median_ms(slider_to_readout(light), args.runs)),
        ("full redraw: cost_chart + PNG render", median_ms(redraw, args.runs)),
    ]
    print(f"lesson 01 cost explorer, median of many runs ({args.runs}+ each)")
    for name, (median, p90) in rows:
        print(f"  {name:<40} median {median:8.2f} ms   p90 {p90:8.2f} ms")
    verdict = "within" if rows[0][1][0] <= READOUT_LIMIT_MS else "OVER"
    print(f"readout is {verdict} the {READOUT_LIMIT_MS:.0f} ms limit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
