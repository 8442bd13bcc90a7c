"""Training speed of ``fit`` against the plain PyTorch loop of common tutorials.

For every model's ``cifar`` variant (batch 128, 32x32 images, 10 classes), on the CPU by default:

- ``fit``: :func:`smallnets_edu.train.fit` for one epoch of ``--steps`` batches; its history's
  ``images_per_second`` (training only, evaluation excluded). Run in float32 with the NCHW and the
  channels-last memory layout, which is how ``default_channels_last`` was decided, and, on a CPU with
  bfloat16 units, a third time as ``fit`` runs by default there (channels-last, bfloat16 but for the
  k x k depthwise convolutions, ``train.resolve_amp``).
- ``plain``: the tutorial pattern: a ``torch.utils.data.Dataset`` that augments one image at a time
  (torchvision's ``RandomCrop(32, padding=4)``, ``RandomHorizontalFlip``, ``ToTensor``, ``Normalize``,
  emulated with torch ops because torchvision is not a dependency, and without the PIL round trip,
  which only flatters the plain loop), a ``DataLoader`` with ``num_workers=0``, NCHW float32, SGD with
  Nesterov momentum, and ``loss.item()`` / ``.sum().item()`` every batch for the running metrics.

Both start from the same fresh model and include their first (slower) batch, and both read the same
uint8 images. Writes ``benchmarks/results/train_speed.json`` and prints a markdown table.

``--time-to-accuracy`` instead trains every model on ``--dataset`` (any dataset the package loads:
the offline ``shapes``, CIFAR-10/100 or Tiny-ImageNet from ``--data-dir``, a copy you prepared with
``--no-verify``, or ``imagefolder``) twice per seed, side by side: ``fit`` on the whole training set
for about ``--seconds`` (its throughput, measured on a few batches first, sets the epoch count) with its
own recipe at the ``laptop`` budget (its batch included: halved while the run would take under 100 steps,
unless ``--fit-batch-size`` says otherwise), then the plain loop for exactly the wall time ``fit`` took,
set-up and its per-epoch evaluations included, at ``--batch-size``. It prints test accuracy (mean and
standard deviation over ``--seeds``) and images/s of each (``train_time_to_accuracy.json``).

    python benchmarks/bench_train.py                      # all models, CPU, all cores
    python benchmarks/bench_train.py --threads 4 --models mobilenet_v2 shufflenet_v1
    python benchmarks/bench_train.py --time-to-accuracy   # slow: minutes per model on a laptop
    python benchmarks/bench_train.py --time-to-accuracy --dataset cifar10 --data-dir ~/data --no-verify
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from smallnets_edu import data, models, train

RESULTS = Path(__file__).resolve().parent / "results"
NUM_CLASSES = 10
RESOLUTION = 32
MEAN = (0.49, 0.48, 0.45)
STD = (0.25, 0.24, 0.26)


def synthetic_dataset(num_train: int, num_test: int, seed: int = 0) -> data.Dataset:
    """Random uint8 images: the speed of a training step does not depend on what the pixels show."""
    g = torch.Generator().manual_seed(seed)

    def split(n: int) -> data.Split:
        images = torch.randint(0, 256, (n, 3, RESOLUTION, RESOLUTION), generator=g, dtype=torch.uint8)
        return data.Split(images, torch.randint(0, NUM_CLASSES, (n,), generator=g))

    classes = [f"class{i}" for i in range(NUM_CLASSES)]
    return data.Dataset("synthetic", split(num_train), split(num_test), classes, MEAN, STD)


# --------------------------------------------------------------------------------------------------
# The plain loop of the tutorials
# --------------------------------------------------------------------------------------------------


class TutorialDataset(torch.utils.data.Dataset):
    """One image at a time, as torchvision's CIFAR10 + transforms.Compose would produce it."""

    def __init__(self, split: data.Split, pad: int = 4, mean=MEAN, std=STD) -> None:
        # torchvision keeps CIFAR as an (N, H, W, C) uint8 array and converts each image on access.
        self.images = split.images.permute(0, 2, 3, 1).contiguous()
        self.labels = split.labels.tolist()
        self.pad = pad
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = self.images[i]  # (H, W, C) uint8
        # RandomCrop(32, padding=4): pad with zeros, pick a random window.
        h, w = img.shape[:2]
        padded = torch.zeros(h + 2 * self.pad, w + 2 * self.pad, 3, dtype=torch.uint8)
        padded[self.pad : self.pad + h, self.pad : self.pad + w] = img
        top = int(torch.randint(0, 2 * self.pad + 1, (1,)))
        left = int(torch.randint(0, 2 * self.pad + 1, (1,)))
        img = padded[top : top + h, left : left + w]
        # RandomHorizontalFlip(p=0.5)
        if torch.rand(1).item() < 0.5:
            img = img.flip(1)
        # ToTensor: HWC uint8 -> CHW float in [0, 1]; Normalize(mean, std)
        x = img.permute(2, 0, 1).float().div(255)
        return (x - self.mean) / self.std, self.labels[i]


def plain_loop(
    model: nn.Module,
    split: data.Split,
    batch_size: int,
    steps: int,
    device: torch.device,
    clock=time.perf_counter,
) -> float:
    """Training images/s of the tutorial loop over ``steps`` batches."""
    loader = torch.utils.data.DataLoader(
        TutorialDataset(split), batch_size=batch_size, shuffle=True, num_workers=0, drop_last=True
    )
    model.to(device).train()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    running_loss, correct, seen = 0.0, 0, 0
    start = clock()
    for step, (x, y) in enumerate(loader):
        if step == steps:
            break
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        out = model(x)
        loss = criterion(out, y)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        correct += (out.argmax(1) == y).sum().item()
        seen += y.numel()
    return seen / (clock() - start)


def fit_speed(
    model: nn.Module,
    ds: data.Dataset,
    batch_size: int,
    channels_last: bool,
    device: torch.device,
    clock=None,
    amp: bool | None = None,
) -> float:
    """Training images/s of ``fit``: its own figure, or, with a ``clock``, timed around the whole call
    (set-up and the one evaluation batch included, which only counts against ``fit``)."""
    start = clock() if clock else 0.0
    history = train.fit(
        model,
        ds,
        budget="laptop",
        epochs=1,
        batch_size=batch_size,
        train_size=len(ds.train),
        test_size=len(ds.test),
        channels_last=channels_last,
        device=device,
        amp=amp,
        progress=False,
    )
    if clock:
        return len(ds.train) / (clock() - start)
    return history.epochs[0]["images_per_second"]


def warm_up(name: str, width: float, batch_size: int, device: torch.device) -> None:
    """One untimed step in each memory layout, so no measurement pays one-time kernel set-up.

    oneDNN (CPU) and cuDNN (GPU) build and cache their kernels per layer shape and layout on first use;
    without this, whichever measurement ran first for a model would be charged for it.
    """
    torch.manual_seed(0)
    model = models.build(name, num_classes=NUM_CLASSES, width_mult=width, variant="cifar").to(device)
    for memory_format in (torch.contiguous_format, torch.channels_last):
        model.to(memory_format=memory_format)
        x = torch.randn(batch_size, 3, RESOLUTION, RESOLUTION, device=device)
        model(x.contiguous(memory_format=memory_format)).sum().backward()


def speed(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    # "cpu" clock: processor time of this process instead of wall time. With --threads 1 it is what the
    # loop costs, whatever else the machine is running (wall time on a busy machine is not).
    clock = time.process_time if args.clock == "cpu" else None
    # Two test images: fit evaluates after its epoch, and that pass should cost next to nothing here.
    ds = synthetic_dataset(args.steps * args.batch_size, 2)
    bf16 = device.type == "cpu" and train.resolve_amp(None, device) is not None
    rows = []
    for name in args.models:
        result = {"model": name}
        warm_up(name, args.width, args.batch_size, device)
        keys = ["fit_nchw", "fit_channels_last", "plain"] + (["fit_bf16"] if bf16 else [])
        samples: dict[str, list[float]] = {key: [] for key in keys}
        for r in range(args.rounds):
            # Rounds interleave the three loops (in a rotating order) and each keeps its best round, so a
            # burst of load from other programs does not land on one loop only.
            for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
                torch.manual_seed(0)
                model = models.build(name, num_classes=NUM_CLASSES, width_mult=args.width, variant="cifar")
                if key == "plain":
                    plain_clock = clock or time.perf_counter
                    samples[key].append(
                        plain_loop(model, ds.train, args.batch_size, args.steps, device, plain_clock)
                    )
                else:
                    # On the CPU the layout columns are float32; "fit_bf16" is fit's own default there.
                    channels_last = key != "fit_nchw"
                    amp = None if key == "fit_bf16" or device.type != "cpu" else False
                    samples[key].append(
                        fit_speed(model, ds, args.batch_size, channels_last, device, clock, amp=amp)
                    )
        result.update({key: max(values) for key, values in samples.items()})
        result["samples"] = samples
        default_cl = train.default_channels_last(device)
        layout_default = result["fit_channels_last" if default_cl else "fit_nchw"]
        result["fit"] = result["fit_bf16"] if bf16 else layout_default
        result["speedup"] = result["fit"] / result["plain"]
        result["channels_last_gain"] = result["fit_channels_last"] / result["fit_nchw"]
        rows.append(result)
        print(
            f"{name}: fit {result['fit']:.0f} img/s (float32 nchw {result['fit_nchw']:.0f}, channels_last "
            f"{result['fit_channels_last']:.0f}), plain {result['plain']:.0f} img/s, "
            f"x{result['speedup']:.2f}",
            file=sys.stderr,
            flush=True,
        )
    return {
        "device": str(device),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "rounds": args.rounds,
        "clock": args.clock,
        "width_mult": args.width,
        "default_channels_last": train.default_channels_last(device),
        "cpu_bf16": bf16,
        "rows": rows,
    }


def markdown_table(title: str, columns: list[str], rows: Iterable[list[str]], left: int = 1) -> str:
    """``title``, a blank line and a markdown table of ``rows`` (one list of cell texts each), the first
    ``left`` columns aligned left and the rest right."""
    rule = "|" + "---|" * left + "---:|" * (len(columns) - left)
    lines = [title, "", "| " + " | ".join(columns) + " |", rule]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def speed_table(result: dict) -> str:
    title = (
        f"Training images/s, cifar variants, batch {result['batch_size']}, {result['device']} "
        f"({result['threads']} threads, torch {result['torch']}, {result.get('clock', 'wall')} clock):"
    )
    columns = ["model", "fit (default)", "fit NCHW", "fit channels-last", "plain loop", "fit / plain"]
    images_per_second = ("fit", "fit_nchw", "fit_channels_last", "plain")
    if result.get("cpu_bf16"):
        title += " fit's default is bfloat16 (k x k depthwise layers in float32), the layout columns float32."
    rows = (
        [r["model"], *(f"{r[key]:,.0f}" for key in images_per_second), f"{r['speedup']:.2f}x"]
        for r in result["rows"]
    )
    return markdown_table(title, columns, rows)


# --------------------------------------------------------------------------------------------------
# Time to accuracy: fit against the plain loop for the same wall time, on any dataset
# --------------------------------------------------------------------------------------------------


def load_dataset(args: argparse.Namespace) -> data.Dataset:
    """The dataset named on the command line: a course dataset, your own copy, or an image folder."""
    if args.dataset == "imagefolder":
        return data.load("imagefolder", root=args.data_dir, resolution=args.resolution)
    return data.load(
        args.dataset, data_dir=args.data_dir, verify=not args.no_verify, resolution=args.resolution
    )


def plain_for(model: nn.Module, ds: data.Dataset, batch_size: int, seconds: float, seed: int) -> dict:
    """The tutorial loop (constant rate, one image at a time) for ``seconds`` of wall time, then a test."""
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        TutorialDataset(ds.train, mean=ds.mean, std=ds.std),
        batch_size=batch_size,
        shuffle=True,
        num_workers=0,
        drop_last=True,
    )
    model.train()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    seen, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()  # the tutorial reads its running loss every batch
            seen += y.numel()
            if time.perf_counter() - start >= seconds:
                break
    elapsed = time.perf_counter() - start
    result = train.evaluate(model, ds, device="cpu", channels_last=False)
    return {"seconds": elapsed, "images_per_second": seen / elapsed, "test_acc": result.accuracy}


def fit_for(name: str, ds: data.Dataset, args: argparse.Namespace, seed: int, variant: str) -> tuple:
    """``fit`` sized to ``args.seconds``: its throughput measured on a few batches sets the epoch count."""
    torch.manual_seed(seed)
    probe = models.build(name, num_classes=ds.num_classes, width_mult=args.width, variant=variant)
    probe_ds = ds.subset(min(len(ds.train), args.steps * args.batch_size), min(len(ds.test), 2), seed=0)
    ips = fit_speed(probe, probe_ds, args.batch_size, train.default_channels_last(torch.device("cpu")), "cpu")
    epochs = max(1, round(args.seconds * ips / len(ds.train)))
    torch.manual_seed(seed)
    model = models.build(name, num_classes=ds.num_classes, width_mult=args.width, variant=variant)
    start = time.perf_counter()
    history = train.fit(
        model,
        ds,
        budget="laptop",
        epochs=epochs,
        batch_size=args.fit_batch_size,  # None: the recipe's (see budget.min_steps)
        train_size=len(ds.train),
        test_size=len(ds.test),
        device="cpu",
        seed=seed,
        progress=not args.quiet,
    )
    elapsed = time.perf_counter() - start
    fitted = {
        "seconds": elapsed,
        "epochs": epochs,
        "batch_size": history.config["batch_size"],
        "images_per_second": sum(e["images_per_second"] for e in history.epochs) / len(history.epochs),
        "test_acc": history.final_test_acc,
    }
    return fitted, elapsed


def _mean_std(values: list[float]) -> tuple[float, float]:
    t = torch.tensor(values, dtype=torch.float64)
    return float(t.mean()), float(t.std()) if len(values) > 1 else 0.0


def time_to_accuracy(args: argparse.Namespace) -> dict:
    ds = load_dataset(args)
    from smallnets_edu.train.cli import default_variant

    variant = default_variant(int(ds.resolution))
    rows = []
    for name in args.models:
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            fitted, elapsed = fit_for(name, ds, args, seed, variant)
            torch.manual_seed(seed)
            model = models.build(name, num_classes=ds.num_classes, width_mult=args.width, variant=variant)
            plain = plain_for(model, ds, args.batch_size, elapsed, seed)
            runs.append({"seed": seed, "fit": fitted, "plain": plain})
            print(
                f"{name} seed {seed}: fit {fitted['test_acc']:.1%} ({fitted['epochs']} epochs of batch "
                f"{fitted['batch_size']}, "
                f"{fitted['images_per_second']:.0f} img/s) vs plain {plain['test_acc']:.1%} "
                f"({plain['images_per_second']:.0f} img/s) in {elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        row = {"model": name, "runs": runs}
        for key in ("fit", "plain"):
            row[key] = {
                "test_acc": _mean_std([r[key]["test_acc"] for r in runs]),
                "images_per_second": _mean_std([r[key]["images_per_second"] for r in runs])[0],
                "seconds": _mean_std([r[key]["seconds"] for r in runs])[0],
            }
        rows.append(row)
    return {
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "dataset": f"{ds.name} ({len(ds.train)} train / {len(ds.test)} test, "
        f"{ds.resolution}x{ds.resolution}, {ds.num_classes} classes)",
        "variant": variant,
        "seconds": args.seconds,
        "seeds": args.seeds,
        "first_seed": args.first_seed,
        "batch_size": args.batch_size,
        "fit_batch_size": args.fit_batch_size,
        "width_mult": args.width,
        "rows": rows,
    }


def accuracy_table(result: dict) -> str:
    where = f"{result['device']} ({result['threads']} threads, torch {result['torch']})"
    title = (
        f"Test accuracy at equal wall time (about {result['seconds']:.0f} s of training each), "
        f"{result['dataset']}, {result['variant']} variants, width {result['width_mult']:g}, the plain "
        f"loop's batch {result['batch_size']}, mean ± std over {result['seeds']} seed(s), {where}:"
    )
    columns = ["model", "seconds", "fit's batch", "fit img/s", "plain img/s", "fit acc.", "plain acc."]
    columns.append("fit - plain")
    rows = []
    for r in result["rows"]:
        (fa, fs), (pa, ps) = r["fit"]["test_acc"], r["plain"]["test_acc"]
        rows.append(
            [
                r["model"],
                f"{r['fit']['seconds']:.0f}",
                "/".join(sorted({str(run["fit"].get("batch_size", "?")) for run in r["runs"]})),
                f"{r['fit']['images_per_second']:,.0f}",
                f"{r['plain']['images_per_second']:,.0f}",
                f"{fa:.1%} ± {fs:.1%}",
                f"{pa:.1%} ± {ps:.1%}",
                f"{100 * (fa - pa):+.1f} pts",
            ]
        )
    return markdown_table(title, columns, rows)


# --------------------------------------------------------------------------------------------------
# Learning curves at the laptop budget
# --------------------------------------------------------------------------------------------------


def laptop_curves(args: argparse.Namespace) -> dict:
    """Each model trained by ``fit`` at the laptop budget on ``--dataset`` with ``--seeds`` seeds.

    Seed ``k`` sets both the model's initialisation and ``fit``'s data order and augmentation.
    """
    ds = load_dataset(args)
    from smallnets_edu.train.cli import default_variant

    variant = default_variant(int(ds.resolution))
    rows = []
    for name in args.models:
        curves, seconds = [], []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            torch.manual_seed(seed)
            model = models.build(name, num_classes=ds.num_classes, width_mult=args.width, variant=variant)
            history = train.fit(
                model,
                ds,
                budget="laptop",
                batch_size=args.batch_size,
                device=args.device,
                progress=not args.quiet,
                seed=seed,
            )
            curves.append(history.column("test_acc"))
            seconds.append(sum(e["seconds"] for e in history.epochs))
            print(
                f"{name} seed {seed}: {curves[-1][-1]:.1%} in {seconds[-1]:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        finals = [c[-1] for c in curves]
        mean, std = _mean_std(finals)
        rows.append(
            {
                "model": name,
                "curves": curves,
                "test_acc": [sum(c[e] for c in curves) / len(curves) for e in range(len(curves[0]))],
                "final_mean": mean,
                "final_std": std,
                "seconds": sum(seconds) / len(seconds),
                "optimizer": history.config["optimizer"],
                "lr": history.config["lr"],
            }
        )
    return {
        "device": args.device,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "dataset": f"{ds.name} ({ds.resolution}x{ds.resolution}, {ds.num_classes} classes)",
        "budget": "laptop",
        "width_mult": args.width,
        "seeds": args.seeds,
        "rows": rows,
    }


def curves_table(result: dict) -> str:
    seeds = result.get("seeds", 1)
    title = (
        f"Laptop budget, {result['dataset']}, {result['device']} ({result['threads']} threads), "
        f"{seeds} seed(s):"
    )
    columns = ["model", "optimizer (peak rate)", "epochs", "mean test accuracy at each fifth of the run"]
    columns += ["final (mean ± sd)", "training time"]
    rows = []
    for r in result["rows"]:
        n = len(r["test_acc"])
        shown = sorted({max(1, round(k * n / 5)) for k in range(1, 6)})  # every epoch of a 5-epoch run
        accs = " / ".join(f"{100 * r['test_acc'][e - 1]:.1f}" for e in shown)
        epochs = " / ".join(map(str, shown))
        final = f"{100 * r['final_mean']:.1f} ± {100 * r['final_std']:.1f}%"
        recipe = f"{r.get('optimizer', 'sgd')} ({r['lr']:g})" if "lr" in r else "sgd"
        rows.append([r["model"], recipe, epochs, f"{accs}%", final, f"{r['seconds']:.0f} s"])
    return markdown_table(title, columns, rows, left=4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None, help="default: every registered model")
    parser.add_argument(
        "--batch-size", type=int, default=128, help="both loops' batch (time to accuracy: the plain loop's)"
    )
    parser.add_argument(
        "--fit-batch-size",
        type=int,
        default=None,
        help="time to accuracy: fit's batch (default: its recipe's, halved under the budget's min_steps)",
    )
    parser.add_argument("--steps", type=int, default=12, help="batches timed per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="measurements per loop (the best is kept)")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: time by this process's processor time (use with --threads 1 on a busy machine)",
    )
    parser.add_argument(
        "--time-to-accuracy",
        action="store_true",
        help="fit against the plain loop for the same wall time on --dataset, test accuracy of each",
    )
    parser.add_argument(
        "--laptop-curves", action="store_true", help="fit at the laptop budget: test accuracy per epoch"
    )
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="training time per run (time to accuracy)"
    )
    parser.add_argument(
        "--seeds", type=int, default=3, help="runs per model (time to accuracy, laptop curves)"
    )
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds run from this one (to add a seed to a row later)"
    )
    parser.add_argument(
        "--dataset", default="shapes", help="shapes (default), cifar10, cifar100, tinyimagenet or imagefolder"
    )
    parser.add_argument("--data-dir", default=None, help="where the dataset is (imagefolder: its root)")
    parser.add_argument("--no-verify", action="store_true", help="a copy you prepared (no md5 checks)")
    parser.add_argument("--resolution", type=int, default=None, help="resize the images to this side")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.first_seed < 0:
        parser.error(f"--seeds must be 1 or more, --first-seed 0 or more ({args.seeds}, {args.first_seed})")
    args.models = args.models or models.names()
    for name in args.models:
        models.info(name)  # unknown names fail before any timing
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.laptop_curves:
        result = laptop_curves(args)
        table = curves_table(result)
        out = args.out or RESULTS / "train_laptop_curves.json"
    elif args.time_to_accuracy:
        result = time_to_accuracy(args)
        table = accuracy_table(result)
        out = args.out or RESULTS / "train_time_to_accuracy.json"
    else:
        result = speed(args)
        table = speed_table(result)
        out = args.out or RESULTS / "train_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(table)
    print(f"\n(written to {out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
