"""The error boundary of the course's command lines (``train`` and ``cost``).

A user's mistake (a bad name, setting or path, a full disk) is one line on stderr, saying what is wrong
and what to do, and exit status 2; Ctrl-C is status 130. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_FAILED = 1  # the command ran but did not succeed (a diverged training run)
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a program stopped by Ctrl-C


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def one_line(error: BaseException) -> str:
    """The error's message on one line (an OSError with its file name)."""
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror + (f": {error.filename}" if error.filename else "")
    else:
        text = str(error)
    return " ".join(text.split())


def guarded(prog: str, run: Callable[[], int | None], say: Callable[[str], None] = _stderr) -> int:
    """``run()``'s exit status, with user errors turned into one line (``prog: error: ...``) and 2."""
    try:
        return int(run() or 0)
    except (ValueError, OSError) as error:
        say(f"{prog}: error: {one_line(error)}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        say(f"{prog}: interrupted")
        return EXIT_INTERRUPTED
