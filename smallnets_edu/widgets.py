"""Explorers: sliders on the left of an idea, a live readout and a figure on the right.

An :class:`Explorer` is an ipywidgets box made of controls, a one-line HTML readout (fast: it only
calls the cost formulas) and a matplotlib figure shown in an ``Output`` widget of fixed height.

The figure travels in the ``Output`` widget's *state* (its ``outputs`` list), never as display
messages: a frontend that renders widgets (JupyterLab, nbclient storing widget state) and one that
does not (nbval's kernel client) then see the same cell outputs, so notebooks compare strictly.
Where no widget frontend exists at all (a code host, a static site without widget state) the same
object shows a static PNG of its starting state, because its display bundle carries both a widget
view and an ``image/png``: JupyterLab picks the widget, everything else picks the picture.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib

from . import plots

matplotlib.rcParams.setdefault("figure.max_open_warning", 50)

Readout = Callable[..., str]
Plot = Callable[..., "matplotlib.figure.Figure"]


# Every slider of the course updates when released (cost plots can take a moment) and shows its whole
# description.
_SLIDER = {"continuous_update": False, "style": {"description_width": "initial"}}


def int_slider(description: str, value: int, min: int, max: int, step: int = 1, **kw) -> widgets.IntSlider:
    """An integer slider that updates when released."""
    return widgets.IntSlider(
        value=value, min=min, max=max, step=step, description=description, **_SLIDER, **kw
    )


def float_slider(
    description: str, value: float, min: float, max: float, step: float = 0.05, **kw
) -> widgets.FloatSlider:
    """A slider over real numbers that updates when released."""
    return widgets.FloatSlider(
        value=value, min=min, max=max, step=step, description=description, **_SLIDER, **kw
    )


def options_slider(description: str, options: list, value=None, **kw) -> widgets.SelectionSlider:
    """A slider over a fixed list of values (e.g. the paper's widths 0.25, 0.5, 0.75, 1.0)."""
    value = options[0] if value is None else value
    return widgets.SelectionSlider(options=options, value=value, description=description, **_SLIDER, **kw)


def _png_bytes(fig) -> bytes:
    """Render and close ``fig`` (nothing leaks into pyplot's list of open figures)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _png_output(fig) -> dict:
    """``fig`` as one ``display_data`` entry of an ``Output`` widget's ``outputs``."""
    text = repr(fig)
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(_png_bytes(fig)).decode("ascii"), "text/plain": text},
        "metadata": {},
    }


class Explorer(widgets.VBox):
    """Controls, a live readout and a figure, with a static picture for frontends without widgets.

    ``readout(**values) -> str`` returns HTML for the readout line; ``plot(**values) -> Figure`` draws
    the figure (figures are closed after display so nothing leaks). Both receive the controls' values
    by the names of the ``controls`` dict.
    """

    def __init__(
        self,
        controls: dict[str, widgets.ValueWidget],
        plot: Plot | None = None,
        readout: Readout | None = None,
        height: str = "420px",
        title: str | None = None,
    ) -> None:
        if not controls:
            raise ValueError("an Explorer needs at least one control")
        self.controls, self._plot, self._readout = controls, plot, readout
        self.readout = widgets.HTML(layout=widgets.Layout(min_height="2.5em"))
        self.readout.add_class("smallnets-readout")
        children: list[widgets.Widget] = []
        if title:
            children.append(widgets.HTML(f"<b>{title}</b>"))
        children.append(widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")))
        children.append(self.readout)
        self.output = None
        if plot is not None:
            self.output = widgets.Output(layout=widgets.Layout(height=height, overflow="hidden"))
            self.output.add_class("smallnets-figure")
            children.append(self.output)
        super().__init__(children)
        for control in controls.values():
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    def refresh(self) -> None:
        """Recompute the readout and redraw the figure for the controls' current values."""
        self._update_readout()
        if self.output is not None:
            self.output.outputs = (_png_output(self._plot(**self.values())),)

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _update_readout(self) -> None:
        if self._readout is not None:
            self.readout.value = self._readout(**self.values())

    def static_png(self) -> bytes:
        """The figure at the controls' current values, as PNG bytes."""
        return _png_bytes(self._plot(**self.values()))

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        settings = ", ".join(f"{k}={v}" for k, v in self.values().items())
        bundle["text/plain"] = f"Explorer ({settings}): move the sliders in JupyterLab to explore."
        if self._plot is not None:
            bundle["image/png"] = base64.b64encode(self.static_png()).decode("ascii")
        return bundle


__all__ = ["Explorer", "float_slider", "int_slider", "options_slider", "plots"]
