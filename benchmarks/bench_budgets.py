"""How long one training takes at a budget on this machine, for every network and dataset size.

A budget names epochs and images; what that costs in minutes depends on the machine. For every network
and each dataset size of the course, ``fit`` runs at the budget (``--budget``; default, this machine's
default budget) for two epochs of ``--steps`` batches on random uint8 images of the dataset's size (a
step's speed does not depend on what the pixels show) and the whole test set; the second epoch's
speed projects the whole training the budget asks for, with the network's own recipe (epochs, images):

    seconds = set-up + epochs × (training images / images per second + one evaluation)

Sizes are the official sets': CIFAR-10 (50,000 / 10,000 images, 32x32, the ``cifar`` variants) and
Tiny-ImageNet-200 (100,000 / 10,000, 64x64, 200 classes, the ``tiny`` variants); CIFAR-100 costs what
CIFAR-10 does but for the classifier (``--datasets cifar100`` times it). A budget with fewer images
(``laptop``) trains on its own subset of them.

``--accuracy`` also trains every network for the whole budget on the offline ``shapes`` set (what a
learner without the download trains on) and reports its test accuracy and wall time.

Writes ``benchmarks/results/budget_times_<budget>.json`` and prints a markdown table.

    python benchmarks/bench_budgets.py                           # this machine's default budget
    python benchmarks/bench_budgets.py --budget gpu --accuracy   # on a CUDA GPU
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smallnets_edu import budget as budgets
from smallnets_edu import data, models, train
from smallnets_edu.train.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
# name: (training images, test images, side, classes, variant), as the official sets
SIZES = {
    "cifar10": (50_000, 10_000, 32, 10, "cifar"),
    "cifar100": (50_000, 10_000, 32, 100, "cifar"),
    "tinyimagenet": (100_000, 10_000, 64, 200, "tiny"),
}


def random_dataset(num_train: int, num_test: int, side: int, num_classes: int) -> data.Dataset:
    g = torch.Generator().manual_seed(0)

    def split(n: int) -> data.Split:
        images = torch.randint(0, 256, (n, 3, side, side), generator=g, dtype=torch.uint8)
        return data.Split(images, torch.randint(0, num_classes, (n,), generator=g))

    classes = [f"class{i}" for i in range(num_classes)]
    return data.Dataset("random", split(num_train), split(num_test), classes, (0.5,) * 3, (0.25,) * 3)


def time_one(name: str, dataset: str, budget: budgets.Budget, steps: int, device: torch.device) -> dict:
    """Two short epochs of ``fit`` at ``budget``; the projection of the budget's whole training."""
    num_train, num_test, side, num_classes, variant = SIZES[dataset]
    torch.manual_seed(0)
    model = models.build(name, num_classes=num_classes, variant=variant)
    settings = Settings.resolve(budget, None, {}, getattr(model, "recipe_defaults", None))
    train_images = min(num_train, settings.train_size or num_train)
    test_images = min(num_test, settings.test_size or num_test)
    measured = min(train_images, steps * settings.batch_size)
    ds = random_dataset(measured, test_images, side, num_classes)
    start = time.perf_counter()
    history = train.fit(model, ds, budget=budget, epochs=2, device=device, progress=False,
                        train_size=measured, test_size=test_images)  # fmt: skip
    total = time.perf_counter() - start
    first, second = history.epochs
    ips = second["images_per_second"]
    evaluation = max(0.0, second["seconds"] - measured / ips)
    setup = max(0.0, total - first["seconds"] - second["seconds"])
    epoch_seconds = train_images / ips + evaluation
    return {
        "model": name,
        "dataset": dataset,
        "variant": variant,
        "epochs": settings.epochs,
        "train_images": train_images,
        "test_images": test_images,
        "batch_size": settings.batch_size,
        "images_per_second": ips,
        "eval_seconds": evaluation,
        "setup_seconds": setup,
        "epoch_seconds": epoch_seconds,
        "projected_seconds": setup + settings.epochs * epoch_seconds,
    }


def train_offline(name: str, side: int, budget: budgets.Budget, device: torch.device) -> dict:
    """The whole budget on the offline set at ``side`` (32: ``cifar`` variant, 64: ``tiny``)."""
    ds = data.shapes_dataset(side, budget.train_size, budget.test_size)
    torch.manual_seed(0)
    model = models.build(name, num_classes=ds.num_classes, variant="tiny" if side == 64 else "cifar")
    start = time.perf_counter()
    history = train.fit(model, ds, budget=budget, device=device, progress=False)
    return {
        "model": name,
        "dataset": f"shapes {side}x{side} ({len(ds.train)} / {len(ds.test)})",
        "epochs": len(history.epochs),
        "seconds": time.perf_counter() - start,
        "test_acc": history.final_test_acc,
    }


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def table(result: dict) -> str:
    datasets = list(dict.fromkeys(r["dataset"] for r in result["timings"]))
    lines = [
        f"One training at the `{result['budget']}` budget on {result['machine']} (projected from two "
        "measured epochs; images/s while training)",
        "",
        "| model | " + " | ".join(f"{d}: epochs × images | {d}: img/s | {d}: time" for d in datasets) + " |",
        "|---|" + "---:|" * (3 * len(datasets)),
    ]
    for name in dict.fromkeys(r["model"] for r in result["timings"]):
        cells = []
        for d in datasets:
            r = next(t for t in result["timings"] if t["model"] == name and t["dataset"] == d)
            cells += [f"{r['epochs']} × {r['train_images']:,}", f"{r['images_per_second']:,.0f}",
                      minutes(r["projected_seconds"])]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if result.get("accuracy"):
        lines += ["", "| model | offline set | epochs | test accuracy | time |", "|---|---|---:|---:|---:|"]
        for r in result["accuracy"]:
            lines.append(f"| {r['model']} | {r['dataset']} | {r['epochs']} | {r['test_acc']:.1%} | "
                         f"{minutes(r['seconds'])} |")  # fmt: skip
    return "\n".join(lines)


def machine(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default=None, help="smoke, laptop, gpu or full (default: this machine's)")
    parser.add_argument("--models", nargs="+", default=None, help="default: every registered model")
    parser.add_argument("--datasets", nargs="+", default=["cifar10", "tinyimagenet"], choices=list(SIZES))
    parser.add_argument("--steps", type=int, default=40, help="batches per measured epoch")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the fastest present)")
    parser.add_argument("--accuracy", action="store_true", help="also train the whole budget on shapes")
    parser.add_argument("--sides", type=int, nargs="+", default=[32, 64], help="offline sides (--accuracy)")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop starting trainings after this")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    budget = budgets.get(args.budget)
    device = train.resolve_device(args.device)
    names = args.models or models.names()
    for name in names:
        models.info(name)  # unknown names fail before any timing
    started = time.perf_counter()
    result: dict = {"budget": budget.name, "device": str(device), "machine": machine(device),
                    "torch": torch.__version__, "timings": [], "accuracy": []}  # fmt: skip
    out = args.out or RESULTS / f"budget_times_{budget.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every measurement, so a stopped run keeps what it measured
        out.write_text(json.dumps(result, indent=1) + "\n")

    def time_left() -> bool:
        return args.max_seconds is None or time.perf_counter() - started < args.max_seconds

    save()
    for dataset in args.datasets:
        for name in names:
            if time_left():
                result["timings"].append(time_one(name, dataset, budget, args.steps, device))
                r = result["timings"][-1]
                print(f"{name} {dataset}: {r['images_per_second']:.0f} img/s, "
                      f"{minutes(r['projected_seconds'])}", file=sys.stderr, flush=True)  # fmt: skip
                save()
    for side in args.sides if args.accuracy else []:
        for name in names:
            if time_left():
                result["accuracy"].append(train_offline(name, side, budget, device))
                r = result["accuracy"][-1]
                print(f"{name} shapes {side}: {r['test_acc']:.1%} in {minutes(r['seconds'])}",
                      file=sys.stderr, flush=True)  # fmt: skip
                save()
    print(table(result))
    print(f"\n(written to {out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
