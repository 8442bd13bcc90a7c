"""What a learner sees while ``fit`` runs: a progress bar per epoch and per batch, and live curves.

Both are callbacks of the loop: ``on_epoch`` after each finished epoch, ``on_interrupt`` on Ctrl-C,
``close`` at the end, whatever happened.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from .history import History

REFRESH_SECONDS = 0.5  # how often the batch bar reads the running metrics (each read is a sync)


class EpochBar:
    """One tqdm bar over the epochs, with the latest and best test accuracy and the speed."""

    def __init__(self, show: bool, model_name: str, epochs: int, start: int) -> None:
        from tqdm.auto import tqdm

        self.show = show
        self.bar = tqdm(
            total=epochs,
            initial=start - 1,
            desc=model_name,
            unit="epoch",
            disable=not show,
            dynamic_ncols=True,
        )

    def on_epoch(self, history: History, record: dict[str, Any], improved: bool) -> None:
        self.bar.update(1)
        self.bar.set_postfix(
            test_acc=f"{record['test_acc']:.1%}",
            best=f"{history.best_test_acc:.1%}",
            img_s=f"{record['images_per_second']:,.0f}",
        )

    def on_interrupt(self, history: History) -> None:
        if self.show:
            self.bar.write(f"interrupted: {history.summary()}")

    def close(self) -> None:
        self.bar.close()


def batch_bar(show: bool, batches: int, desc: str):
    """The inner bar over one epoch's batches (it disappears when the epoch ends)."""
    from tqdm.auto import tqdm

    return tqdm(total=batches, desc=desc, unit="batch", leave=False, disable=not show, dynamic_ncols=True)


class LivePlot:
    """A learning-curve image in the notebook, replaced in place after every epoch."""

    def __init__(self) -> None:
        self.handle = None
        try:
            import IPython
            from IPython.display import HTML, display
        except ImportError:
            IPython = None
        if IPython is None or IPython.get_ipython() is None:
            warnings.warn("live_plot=True needs a notebook (IPython); training without it", stacklevel=4)
            return
        # Something must be shown now: a later update only replaces an output that exists.
        placeholder = HTML("<i>The learning curves appear here after the first epoch.</i>")
        self.handle = display(placeholder, display_id=True)

    def on_epoch(self, history: History, record: dict[str, Any], improved: bool) -> None:
        if self.handle is None:
            return
        from IPython.display import Image

        # A PNG, not the Figure itself: it renders the same whatever matplotlib backend the notebook
        # has selected, and replacing it never leaves a second copy below the cell.
        buf = io.BytesIO()
        history.plot().savefig(buf, format="png", dpi=80)
        self.handle.update(Image(data=buf.getvalue()))

    def on_interrupt(self, history: History) -> None:
        pass

    def close(self) -> None:
        pass
