"""``python -m smallnets_edu train MODEL``: train one of the course's networks from a terminal.

Writes ``last.pt``, ``best.pt`` and ``history.json`` into ``--out`` and prints the final test accuracy.
The same command under ``torchrun --nproc-per-node N`` trains data-parallel (see ``distributed``).
Bad input prints one line saying what is wrong and exits with status 2, without a traceback
(:mod:`smallnets_edu.cli_errors`); a run that diverges exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from ..cli_errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, guarded
from . import distributed, run_folder

# --precision -> fit's amp: "auto" lets fit choose (mixed precision where the device has it).
PRECISIONS = {"auto": None, "float32": False, "bf16": "bf16", "fp16": "fp16"}

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_USAGE", "build_parser", "main", "parse_options", "run"]


def build_parser(prog: str = "python -m smallnets_edu train") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train a network of the course and save its checkpoints and learning curves.",
        epilog=(
            "Settings not given come from the budget (--budget, or SMALLNETS_BUDGET: smoke, laptop, gpu, "
            "full). "
            "Data-parallel: torchrun --nproc-per-node 2 -m smallnets_edu train MODEL ..."
        ),
    )
    parser.add_argument("model", metavar="MODEL", help="a model name, e.g. mobilenet_v2, shufflenet_v1")
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier (default 1.0)")
    parser.add_argument(
        "--variant", default=None, help="imagenet, cifar or tiny (default: from the dataset's image size)"
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a family option, repeatable: --option groups=8 --option shuffle=false (see models.options)",
    )
    parser.add_argument(
        "--dataset",
        default="cifar10",
        help="cifar10 (default), cifar100, tinyimagenet, shapes or shapes100 (offline, 10 or 100 classes; "
        "also what the others fall back to without the files), or imagefolder (your own images: "
        "--data-dir holding train/<class>/ and val/<class>/ or test/<class>/)",
    )
    parser.add_argument("--data-dir", default=None, help="where datasets are stored or downloaded")
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="resize images to this side (imagefolder: needed unless all images share one square size)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="accept a CIFAR / Tiny-ImageNet copy you prepared yourself (skip the official md5 checks)",
    )
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="global batch size (over all processes)")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate")
    parser.add_argument(
        "--head-lr-scale",
        type=float,
        default=None,
        help="the classifier's rate relative to --lr (default 1)",
    )
    parser.add_argument("--schedule", choices=("cosine", "onecycle"), default=None)
    parser.add_argument(
        "--optimizer",
        choices=("sgd", "adamw"),
        default=None,
        help="default: the network's own (AdamW for the published SqueezeNets), else SGD",
    )
    parser.add_argument("--budget", default=None, help="smoke, laptop, gpu or full")
    parser.add_argument("--out", default=None, help="folder for last.pt, best.pt and history.json")
    parser.add_argument("--resume", default=None, metavar="CKPT", help="continue from a last.pt")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the run that --out holds (its files are deleted)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the fastest present)")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="auto (default): mixed precision where the device has it (CUDA; CPUs with bfloat16 units), "
        "float32: never; bf16 / fp16: ask for that one",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def default_variant(resolution: int) -> str:
    """CIFAR-sized images get the ``cifar`` variant, Tiny-ImageNet's the ``tiny`` one."""
    if resolution <= 32:
        return "cifar"
    if resolution <= 64:
        return "tiny"
    return "imagenet"


def parse_options(model: str, pairs: Sequence[str]) -> dict[str, object]:
    """``["groups=8", "shuffle=false"]`` -> ``{"groups": 8, "shuffle": False}``, typed like the defaults."""
    from .. import models

    allowed = models.options(model)
    parsed: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise ValueError(f"--option takes KEY=VALUE, e.g. --option groups=8; got {pair!r}")
        if key not in allowed:
            valid = ", ".join(f"{k} (default {v!r})" for k, v in allowed.items()) or "none"
            raise ValueError(f"{model} has no option {key!r}; its options are: {valid}")
        default = allowed[key]
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value: object = text.lower() in ("true", "1", "yes")
            elif isinstance(default, (int, float)) or default is None:
                value = _number(text, allow_text=default is None)
            else:
                value = text
        except ValueError:
            raise ValueError(
                f"option {key} of {model} takes a value like its default {default!r}; got {text!r}"
            ) from None
        parsed[key] = value
    return parsed


def _number(text: str, allow_text: bool) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if allow_text:
        return text
    raise ValueError(text)


def _say(ctx: distributed.Context, *args, file=None) -> None:
    if ctx.is_main:
        print(*args, file=file or sys.stdout, flush=True)


def check_paths(args: argparse.Namespace) -> None:
    """Check --out, --data-dir and --resume before any data is loaded (or downloaded)."""
    if args.data_dir is not None:
        where = Path(args.data_dir).expanduser()
        if where.exists() and not where.is_dir():
            raise ValueError(
                f"--data-dir {where} is a file; pass the folder that holds (or will hold) the data"
            )
        if args.dataset == "imagefolder" and not where.is_dir():
            raise ValueError(f"--data-dir {where} does not exist; pass the folder holding train/ and val/")
    elif args.dataset == "imagefolder":
        raise ValueError(
            "--dataset imagefolder needs --data-dir DIR, the folder holding train/ and val/ (or test/)"
        )
    if args.resume is not None and not Path(args.resume).exists():
        raise ValueError(f"--resume {args.resume} does not exist; pass the last.pt of the run to continue")
    if args.out is not None:
        run_folder.check(args.out, resume=args.resume, overwrite=args.overwrite)


def load_dataset(args: argparse.Namespace, budget):
    """The dataset the arguments name: a course dataset (with the offline fallback) or your own images."""
    from .. import data

    if args.dataset == "imagefolder":
        return data.load("imagefolder", root=args.data_dir, resolution=args.resolution)
    if args.no_verify or args.resolution is not None:
        # Your own copy, or another size: load exactly that, without the offline fallback.
        return data.load(
            args.dataset, data_dir=args.data_dir, verify=not args.no_verify, resolution=args.resolution
        )
    return data.for_lesson(args.dataset, budget=budget, data_dir=args.data_dir, download=True)


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` says; returns the exit status. Raises ValueError on bad input."""
    import torch

    from .. import budget as budget_mod
    from .. import models
    from .device import resolve_device
    from .loop import fit

    # Check the cheap things before loading (maybe downloading) any data.
    models.info(args.model)
    family_options = parse_options(args.model, args.option)
    budget = budget_mod.get(args.budget)
    device = resolve_device(args.device)
    check_paths(args)
    # Width, variant and options are checked on a shapes-only build now, not after the data has loaded.
    variants = models.info(args.model).variants
    probe = args.variant or ("cifar" if "cifar" in variants else variants[0])
    models.build_meta(args.model, width_mult=args.width, variant=probe, **family_options)
    ctx = distributed.setup(device)

    def load():
        # for_lesson prints its own notice when it falls back to the offline dataset; once is enough.
        quiet = contextlib.nullcontext() if ctx.is_main else contextlib.redirect_stderr(io.StringIO())
        with quiet:
            return load_dataset(args, budget)

    # Rank 0 downloads first; the others then find the files instead of racing to write them.
    dataset = load() if ctx.is_main else None
    distributed.barrier(ctx)
    if dataset is None:
        dataset = load()

    variant = args.variant or default_variant(int(dataset.resolution))
    torch.manual_seed(args.seed)  # the initial weights; DDP then copies rank 0's to every process
    model = models.build(
        args.model,
        num_classes=dataset.num_classes,
        width_mult=args.width,
        variant=variant,
        **family_options,
    )

    history = fit(
        model,
        dataset,
        budget=budget,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        head_lr_scale=args.head_lr_scale,
        optimizer=args.optimizer,
        schedule=args.schedule,
        device=device,
        amp=PRECISIONS[args.precision],
        seed=args.seed,
        out_dir=args.out,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    if history.diverged:
        last = history.epochs[-1]
        if history.best_epoch:
            kept = (
                f"best.pt in {args.out} holds epoch {history.best_epoch}" if args.out else "nothing was saved"
            )
            kept += f" (test accuracy {history.best_test_acc:.2%})"
        else:
            kept = "no epoch finished before it, so no weights were kept"
        where = f"; its history is in {args.out}/history.json" if args.out else ""
        _say(
            ctx,
            f"{parser_prog(args)}: error: training diverged at epoch {last['epoch']} "
            f"(loss {last['train_loss']}): {kept}{where}. Try a lower --lr.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not history.epochs:
        _say(ctx, "stopped before the first epoch finished; nothing to report")
        return EXIT_INTERRUPTED if history.interrupted else 0
    last = history.epochs[-1]
    _say(
        ctx,
        f"{args.model} ({variant}, width {args.width:g}) on {dataset.name}: "
        f"final test accuracy {last['test_acc']:.2%} after {last['epoch']} epoch(s) "
        f"(best {history.best_test_acc:.2%} at epoch {history.best_epoch}, "
        f"{last['images_per_second']:,.0f} training images/s)",
    )
    if args.out:
        _say(ctx, f"checkpoints and history.json are in {args.out}")
    if history.interrupted:
        _say(
            ctx,
            "interrupted: resume with --resume "
            + (f"{args.out}/last.pt" if args.out else "(no --out given)"),
        )
        return EXIT_INTERRUPTED
    return 0


def parser_prog(args: argparse.Namespace) -> str:
    return getattr(args, "prog", "python -m smallnets_edu train")


def main(argv: Sequence[str] | None = None, prog: str = "python -m smallnets_edu train") -> int:
    """Entry point of ``python -m smallnets_edu train``; returns the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)  # bad syntax: argparse prints usage and exits with status 2
    args.prog = parser.prog
    try:
        ctx = distributed.from_env()
    except ValueError:
        ctx = distributed.Context()
    try:
        # Under torchrun only rank 0 speaks: every rank meets the same error.
        return guarded(parser.prog, lambda: run(args), say=lambda text: _say(ctx, text, file=sys.stderr))
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    sys.exit(main())
