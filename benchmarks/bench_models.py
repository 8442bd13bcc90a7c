"""Every model's ``cifar`` variant on this machine: CPU forward latency at batch 1, training images/s.

For each registered model (10 classes, 32x32 inputs, width 1.0):

- parameters and multiply-accumulates (``cost.profile``, checked against ``FlopCounterMode``);
- forward latency in eval mode at batch 1, median of ``torch.utils.benchmark`` (``cost.latency``), in
  the NCHW and the channels-last layout (the faster one is what a deployment would pick);
- training images/s at batch 128 with :func:`smallnets_edu.train.fit` (one epoch of ``--steps``
  batches of random images, best of ``--rounds``), as in ``bench_train.py``.

Writes ``benchmarks/results/models.json`` and prints a markdown table.

    python benchmarks/bench_models.py                  # all models, torch's default threads
    python benchmarks/bench_models.py --threads 1 --models mobilenet_v2
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train import NUM_CLASSES, RESOLUTION, fit_speed, markdown_table, synthetic_dataset, warm_up

from smallnets_edu import cost, models

RESULTS = Path(__file__).resolve().parent / "results"


def measure(args: argparse.Namespace) -> dict:
    device = torch.device("cpu")
    ds = synthetic_dataset(args.steps * args.batch_size, 2)
    rows = []
    for name in args.models:
        torch.manual_seed(0)
        model = models.build(name, num_classes=NUM_CLASSES, variant="cifar")
        profile = cost.profile(model, RESOLUTION)
        latency = {}
        for layout, channels_last in (("nchw", False), ("channels_last", True)):
            measured = cost.latency(
                model, RESOLUTION, batch_size=1, min_run_time=args.seconds, channels_last=channels_last
            )
            latency[layout] = measured.median * 1e3
        warm_up(name, 1.0, args.batch_size, device)
        train_speed = 0.0
        for _ in range(args.rounds):
            torch.manual_seed(0)
            model = models.build(name, num_classes=NUM_CLASSES, variant="cifar")
            train_speed = max(train_speed, fit_speed(model, ds, args.batch_size, True, device))
        row = {
            "model": name,
            "params": profile.params,
            "macs": profile.macs,
            "latency_ms_nchw": latency["nchw"],
            "latency_ms_channels_last": latency["channels_last"],
            "train_images_per_second": train_speed,
        }
        rows.append(row)
        print(
            f"{name}: {latency['nchw']:.2f} ms (NCHW) / {latency['channels_last']:.2f} ms (channels-last) "
            f"at batch 1, {train_speed:.0f} training img/s",
            file=sys.stderr,
            flush=True,
        )
    return {
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "resolution": RESOLUTION,
        "batch_size": args.batch_size,
        "rows": rows,
    }


def table(result: dict) -> str:
    title = (
        f"cifar variants (32x32, 10 classes), CPU, {result['threads']} threads, torch {result['torch']}; "
        f"latency at batch 1, training at batch {result['batch_size']}:"
    )
    columns = ["model", "parameters", "MACs", "latency NCHW", "latency channels-last", "training images/s"]
    rows = (
        [
            r["model"],
            f"{r['params']:,}",
            cost.human(r["macs"]),
            f"{r['latency_ms_nchw']:.2f} ms",
            f"{r['latency_ms_channels_last']:.2f} ms",
            f"{r['train_images_per_second']:,.0f}",
        ]
        for r in result["rows"]
    )
    return markdown_table(title, columns, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="default: every registered model")
    parser.add_argument("--batch-size", type=int, default=128, help="training batch")
    parser.add_argument("--steps", type=int, default=8, help="training batches per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="training measurements (the best is kept)")
    parser.add_argument("--seconds", type=float, default=1.0, help="latency measurement time per layout")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--out", type=Path, default=RESULTS / "models.json")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.models = args.models or models.names()
    unknown = sorted(set(args.models) - set(models.names()))
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(models.names())}")
    result = measure(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
