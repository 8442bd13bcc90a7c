"""The lessons' shared display helpers and the short citations."""

from __future__ import annotations

import pytest

from smallnets_edu import models, paper_figures
from smallnets_edu.display import diff, table


def test_table_lays_out_header_and_rows():
    html = table(["model", "MACs"], [["a", 1], ["b", 2.5]]).data
    assert html == (
        "<table><tr><th>model</th><th>MACs</th></tr>"
        "<tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2.5</td></tr></table>"
    )


def test_diff_is_relative_to_the_published_number():
    assert diff(101, 100) == "+1.0%"
    assert diff(95, 100) == "-5.0%"


@pytest.mark.parametrize("name", models.names())
def test_every_model_has_a_short_citation(name):
    text = paper_figures.cite(name)
    assert " et al. 20" in text and "arXiv:" in text
    assert text.split(" et al.")[0] in models.info(name).paper


def test_published_figures_come_from_every_family():
    families = {models.info(n).family.__name__ for n in models.names()}
    assert {f["name"] for f in paper_figures.figures()} <= set(models.names())
    seen = {models.info(f["name"]).family.__name__ for f in paper_figures.figures()}
    assert seen == families - {"smallnets_edu.models.effnet"}  # EffNet: no published figure is quoted


def test_build_meta_has_shapes_and_no_storage():
    net = models.build_meta("mobilenet_v2", width_mult=0.5)
    assert all(p.is_meta for p in net.parameters())
    assert net.spec == models.build("mobilenet_v2", width_mult=0.5).spec
