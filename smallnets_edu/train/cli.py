"""``python -m smallnets_edu train MODEL``: train one of the course's networks from a terminal.

Writes ``last.pt``, ``best.pt`` and ``history.json`` into ``--out`` and prints the final test accuracy.
The same command under ``torchrun --nproc-per-node N`` trains data-parallel (see ``distributed``).
Bad input prints one line saying what is wrong and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence

from . import distributed

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a program stopped by Ctrl-C


def build_parser(prog: str = "python -m smallnets_edu train") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Train a network of the course and save its checkpoints and learning curves.",
        epilog=(
            "Settings not given come from the budget (--budget, or SMALLNETS_BUDGET: smoke, laptop, full). "
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
    parser.add_argument("--dataset", default="cifar10", help="dataset name (default cifar10; shapes offline)")
    parser.add_argument("--data-dir", default=None, help="where datasets are stored or downloaded")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="global batch size (over all processes)")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate")
    parser.add_argument("--schedule", choices=("cosine", "onecycle"), default=None)
    parser.add_argument("--budget", default=None, help="smoke, laptop or full")
    parser.add_argument("--out", default=None, help="folder for last.pt, best.pt and history.json")
    parser.add_argument("--resume", default=None, metavar="CKPT", help="continue from a last.pt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: the fastest present)")
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


def run(args: argparse.Namespace) -> int:
    """Train as ``args`` says; returns the exit status. Raises ValueError on bad input."""
    import torch

    from .. import budget as budget_mod
    from .. import data, models
    from .loop import fit, resolve_device

    # Check the cheap things before loading (maybe downloading) any data.
    models.info(args.model)
    family_options = parse_options(args.model, args.option)
    budget = budget_mod.get(args.budget)
    device = resolve_device(args.device)
    ctx = distributed.setup(device)

    def load():
        # for_lesson prints its own notice when it falls back to the offline dataset; once is enough.
        quiet = contextlib.nullcontext() if ctx.is_main else contextlib.redirect_stderr(io.StringIO())
        with quiet:
            return data.for_lesson(args.dataset, budget=budget, data_dir=args.data_dir, download=True)

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
    # Recorded on the model so checkpoints can name (and load_model rebuild) the architecture.
    model.width_mult = float(args.width)
    model.num_classes = int(dataset.num_classes)

    history = fit(
        model,
        dataset,
        budget=budget,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        schedule=args.schedule,
        device=device,
        seed=args.seed,
        out_dir=args.out,
        resume=args.resume,
        progress=not args.no_progress,
    )
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


def main(argv: Sequence[str] | None = None, prog: str = "python -m smallnets_edu train") -> int:
    """Entry point of ``python -m smallnets_edu train``; returns the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)  # bad syntax: argparse prints usage and exits with status 2
    try:
        return run(args)
    except ValueError as e:
        # Bad model, dataset, budget or setting: one clear line, no traceback.
        try:
            ctx = distributed.from_env()
        except ValueError:
            ctx = distributed.Context()
        _say(ctx, f"{parser.prog}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        # Ctrl-C outside the training loop (while loading data, say).
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    sys.exit(main())
