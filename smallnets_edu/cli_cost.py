"""``python -m smallnets_edu cost NAME``: per-layer cost table, with the paper's figure beside ours."""

from __future__ import annotations

import argparse
import ast

from . import cost, models, paper_figures
from .cli_errors import guarded

PROG = "python -m smallnets_edu cost"


def _option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"options look like key=value, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m smallnets_edu cost``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Per-layer parameters, MACs and activation memory."
    )
    parser.add_argument("name", help=f"one of: {', '.join(models.names())}")
    parser.add_argument("--width", type=float, default=1.0, help="width multiplier (alpha)")
    parser.add_argument("--resolution", type=int, default=None, help="input side (default: 224, or 32/64)")
    parser.add_argument("--variant", default="imagenet", choices=models.VARIANTS)
    parser.add_argument("--classes", type=int, default=None, help="number of classes (default: 1000, 10)")
    parser.add_argument(
        "--option",
        "-o",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a family option, e.g. -o groups=3 (repeatable)",
    )
    parser.add_argument("--all-layers", action="store_true", help="also list layers without cost")
    args = parser.parse_args(argv)
    return guarded(PROG, lambda: report(args))


def report(args: argparse.Namespace) -> int:
    """Print the cost table of the network ``args`` describe; raises ValueError on bad input."""
    small = {"imagenet": 224, "cifar": 32, "tiny": 64}
    # 0 is a value to refuse, not a missing one: only None takes the default.
    resolution = small[args.variant] if args.resolution is None else args.resolution
    classes = (1000 if args.variant == "imagenet" else 10) if args.classes is None else args.classes
    if resolution < 1:
        raise ValueError(
            f"--resolution must be a positive number of pixels (e.g. 224 or 32), got {resolution}"
        )
    if classes < 1:
        raise ValueError(f"--classes must be a positive number of classes (e.g. 1000 or 10), got {classes}")
    options = dict(args.option)
    model = models.build(
        args.name, num_classes=classes, width_mult=args.width, variant=args.variant, **options
    )
    prof = cost.profile(model, resolution, name=args.name)
    print(prof.table(costly_only=not args.all_layers))
    print()
    print(prof.summary())
    print(f"parameters without BatchNorm: {cost.count_params(model, include_bn=False):,}")
    published = (
        paper_figures.lookup(args.name, args.width, resolution, **options)
        if args.variant == "imagenet"
        else None
    )
    if published:
        for key, unit in (("params", ""), ("macs", " MACs")):
            if published.get(key):
                ours = prof.params if key == "params" else prof.macs
                diff = (ours - published[key]) / published[key] * 100
                print(
                    f"paper {key}: {published[key]:,}{unit} ({published['source']}); "
                    f"ours differs by {diff:+.2f}%"
                )
        if published.get("top1"):
            print(f"paper top-1: {published['top1']}%")
        if published.get("note"):
            print(f"note: {published['note']}")
    elif args.variant == "imagenet":
        print("the paper reports no figure for exactly this configuration")
    return 0
