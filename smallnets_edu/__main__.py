"""The command line of the course: ``python -m smallnets_edu {train,cost,notebooks} ...``.

Each subcommand is a module with its own ``main(argv)``; it is imported only when asked for, so
``--help`` and the other subcommands stay fast and do not need its dependencies.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

PROG = "python -m smallnets_edu"

# subcommand -> (module, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("smallnets_edu.train.cli", "train a network and save checkpoints and learning curves"),
    "cost": ("smallnets_edu.cli_cost", "parameters, multiply-accumulates and latency of a network"),
    "notebooks": ("smallnets_edu.pairing", "build (and optionally execute) the lesson notebooks"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="smallnets-edu: an interactive course on small convolutional networks.",
        epilog=f"'{PROG} COMMAND --help' describes a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, description) in COMMANDS.items():
        sub.add_parser(name, help=description, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand's ``main(argv)``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        module_name = COMMANDS[argv[0]][0]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            print(
                f"{PROG} {argv[0]}: not available in this installation ({module_name} is missing)",
                file=sys.stderr,
            )
            return 2
        if argv[0] == "train":
            status = module.main(argv[1:], prog=f"{PROG} train")
        else:
            status = module.main(argv[1:])
        return int(status or 0)
    parser = build_parser()
    args = parser.parse_args(argv)  # --help, or an unknown command: argparse exits (status 0 or 2)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
