"""Every model of the course in five deployments: size in bytes and batch-1 CPU latency (lesson 09).

For each registered model (``cifar`` variant, 10 classes, 32x32 inputs), through
:func:`smallnets_edu.deploy.study.run`:

- PyTorch eager fp32 (BatchNorm folded), NCHW and channels-last;
- PyTorch int8, FX graph mode post-training quantization (per-channel weights, x86 or qnnpack kernels);
- ONNX Runtime fp32 (``torch.onnx.export(..., dynamo=True)``, CPU execution provider);
- ONNX Runtime int8 (``quantize_static``, QDQ, per-channel weights);

each with its size (``state_dict`` bytes for PyTorch, the ``.onnx`` file for ONNX Runtime), its median
batch-1 latency (``--seconds`` of timing per deployment, with as many ONNX Runtime threads as torch
threads) and its test accuracy after training each network as lesson 08's showdown does at ``--budget``
(on CIFAR-10 when it is on disk, else the offline shapes dataset; at ``smoke`` training is one batch and
the accuracies mean nothing). Results are cached like the lesson's (``--refresh`` measures again).

Writes ``benchmarks/results/runtimes.json`` and prints markdown tables.

    python benchmarks/bench_runtimes.py                          # all models, smoke training
    python benchmarks/bench_runtimes.py --budget laptop --threads 1
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smallnets_edu import budget, data, deploy, models
from smallnets_edu.deploy import study

RESULTS = Path(__file__).resolve().parent / "results"
# Column headers: the package's deployment labels, abbreviated to fit ten columns.
ABBREVIATIONS = {"ONNX Runtime": "ORT", "channels-last": "CL", " (FX)": ""}


def short_label(runtime: str, bits: int) -> str:
    """``"ORT int8"`` for ``deploy.label``'s ``"ONNX Runtime int8"``."""
    text = deploy.label(runtime, bits)
    for long, abbreviation in ABBREVIATIONS.items():
        text = text.replace(long, abbreviation)
    return text


def measure(args: argparse.Namespace) -> dict:
    b = budget.get(args.budget).with_(bench_seconds=args.seconds)
    dataset = data.for_lesson("cifar10", budget=b)
    # The lesson's resolutions, so that a run after lesson 09 (same budget, threads and machine) reads
    # its measurements from the cache instead of making them again.
    result = study.run(
        args.models,
        dataset=dataset,
        budget=b,
        refresh=args.refresh,
        progress=False,
        sizes=study.resolutions(b),
    )
    rows = []
    for name, r in result.results.items():
        rows.append(
            {
                "model": name,
                "params": r["params"],
                "macs": r["macs"]["32"],
                "deployments": {
                    deploy.label(rt, bits): {
                        "bytes": r["size"][study.key(rt, bits)],
                        "latency_ms": r["latency"][study.key(rt, bits)]["32"] * 1e3,
                        "accuracy": r["accuracy"][study.key(rt, bits)],
                        "note": r["notes"].get(study.key(rt, bits), ""),
                    }
                    for rt, bits in deploy.CONFIGS
                },
                "accuracy_int8_per_tensor": r["accuracy"][study.PER_TENSOR],
                "accuracy_ort_int8_minmax": r["accuracy"][study.ORT_MINMAX],
                # Only where FX int8 lost more than study.QAT_THRESHOLD: quantization-aware fine-tuning,
                # and the float network after the same steps (its control).
                "accuracy_int8_qat": r["accuracy"].get(study.QAT),
                "accuracy_fp32_fine_tuned": r["accuracy"].get(study.QAT_FLOAT),
            }
        )
    return {
        "device": "cpu",
        "cpu": result.machine.get("cpu") or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "versions": study.versions(),
        "budget": b.name,
        "dataset": result.dataset,
        "resolution": 32,
        "seconds_per_latency": args.seconds,
        "rows": rows,
    }


def markdown(results: dict) -> str:
    labels = [deploy.label(rt, bits) for rt, bits in deploy.CONFIGS]
    short = [short_label(rt, bits) for rt, bits in deploy.CONFIGS]
    lines = [
        f"Batch-1 latency (ms) and size (KiB) at 32x32, {results['cpu']}, {results['threads']} thread(s), "
        f"torch {results['torch']}, onnxruntime {results['versions'].get('onnxruntime')}:",
        "",
        "| model | M MACs | "
        + " | ".join(f"{s} ms" for s in short)
        + " | "
        + " | ".join(f"{s} KiB" for s in short)
        + " |",
        "|---|---:|" + "---:|" * (2 * len(short)),
    ]
    for row in results["rows"]:
        d = row["deployments"]
        times = " | ".join(f"{d[label]['latency_ms']:.2f}" for label in labels)
        sizes = " | ".join(f"{d[label]['bytes'] / 1024:,.0f}" for label in labels)
        lines.append(f"| {row['model']} | {row['macs'] / 1e6:.1f} | {times} | {sizes} |")
    lines += ["", *accuracy_table(results)]
    notes = [
        f"{row['model']} {label}: {d['note']}"
        for row in results["rows"]
        for label, d in row["deployments"].items()
        if d["note"]
    ]
    lines += [
        "",
        "Fallbacks: "
        + (
            "; ".join(notes)
            if notes
            else "none (every model exported with dynamo=True, int8 with x86 kernels)."
        ),
    ]
    return "\n".join(lines)


ACCURACY_COLUMNS = (
    ("fp32", lambda row: row["deployments"][deploy.label("pytorch", 32)]["accuracy"]),
    ("PyTorch int8", lambda row: row["deployments"][deploy.label("pytorch", 8)]["accuracy"]),
    ("PyTorch int8, per-tensor weights", lambda row: row["accuracy_int8_per_tensor"]),
    (
        "ORT int8 (percentile ranges)",
        lambda row: row["deployments"][deploy.label("onnxruntime", 8)]["accuracy"],
    ),
    ("ORT int8 (min-max ranges)", lambda row: row["accuracy_ort_int8_minmax"]),
    ("PyTorch int8 after QAT", lambda row: row["accuracy_int8_qat"]),
    ("fp32 after the same steps", lambda row: row["accuracy_fp32_fine_tuned"]),
)


def accuracy_table(results: dict) -> list[str]:
    """Test accuracy of every model in float and int8 (markdown lines); "—" where not measured."""
    lines = [
        f"Test accuracy after the {results['budget']} budget's showdown training on {results['dataset']} "
        f"(ONNX Runtime fp32 and PyTorch channels-last give the PyTorch fp32 figure; quantization-aware "
        f"fine-tuning only where PyTorch int8 lost more than {study.QAT_THRESHOLD:.0%}):",
        "",
        "| model | " + " | ".join(name for name, _ in ACCURACY_COLUMNS) + " |",
        "|---|" + "---:|" * len(ACCURACY_COLUMNS),
    ]
    for row in results["rows"]:
        values = [column(row) for _, column in ACCURACY_COLUMNS]
        cells = ["—" if a is None or math.isnan(a) else f"{a:.1%}" for a in values]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=models.names(), choices=models.names())
    parser.add_argument("--budget", default="smoke", choices=list(budget.BUDGETS), help="training budget")
    parser.add_argument("--seconds", type=float, default=0.5, help="timing per deployment (s)")
    parser.add_argument("--threads", type=int, default=None, help="torch and ONNX Runtime threads")
    parser.add_argument("--refresh", action="store_true", help="measure again instead of reading the cache")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    results = measure(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "runtimes.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
