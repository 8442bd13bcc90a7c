"""Connectivity diagrams: the links they draw are the ones PyTorch computes, and the figures keep one size."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from smallnets_edu import blocks, cost, diagrams


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("m,n,g", [(8, 8, 2), (12, 6, 3), (8, 16, 4)])
def test_grouped_links_are_block_diagonal(m, n, g):
    (step,) = diagrams.links([diagrams.conv(n, 3, g)], m)
    expected = np.array([[i // (m // g) == o // (n // g) for i in range(m)] for o in range(n)])
    assert step.shape == (n, m)
    assert (step == expected).all()


@pytest.mark.parametrize(
    "kind,m,n,g,k",
    [("standard", 8, 4, 1, 3), ("pointwise", 6, 10, 1, 1), ("grouped", 8, 8, 4, 3), ("grouped", 12, 6, 3, 5)],
)
def test_number_of_links_is_weights_per_window(kind, m, n, g, k):
    layers = diagrams.variant_layers(kind, m, n, g, k)
    (step,) = diagrams.links(layers, m)
    kernel = 1 if kind == "pointwise" else k
    assert step.sum() == cost.conv_params(m, n, kernel, g) // kernel**2


def test_depthwise_links_each_channel_to_itself_only():
    (step,) = diagrams.links(diagrams.variant_layers("depthwise", 8, kernel=3), 8)
    assert (step == np.eye(8, dtype=bool)).all()


def test_depthwise_multiplier_gives_each_input_several_outputs():
    (step,) = diagrams.links(diagrams.variant_layers("depthwise", 4, 8, kernel=3), 4)
    assert step.shape == (8, 4) and (step.sum(axis=0) == 2).all() and (step.sum(axis=1) == 1).all()


@pytest.mark.parametrize("channels,groups", [(12, 3), (8, 2), (16, 4)])
def test_shuffle_links_follow_the_package_permutation(channels, groups):
    (step,) = diagrams.links([diagrams.shuffle(groups)], channels)
    perm = blocks.shuffle_permutation(channels, groups)
    assert (step.sum(axis=1) == 1).all() and (step.sum(axis=0) == 1).all()
    assert [int(np.flatnonzero(row)[0]) for row in step] == perm


def test_separable_reaches_every_input_through_the_pointwise_layer():
    dw, pw = diagrams.links(diagrams.variant_layers("separable", 6, 10), 6)
    assert (dw == np.eye(6, dtype=bool)).all() and pw.all()
    assert diagrams.reach(diagrams.variant_layers("separable", 6, 10), 6).all()


def test_without_shuffle_groups_never_mix_and_with_shuffle_they_all_do():
    plain = diagrams.reach([3, 3], 12)
    shuffled = diagrams.reach([3, diagrams.shuffle(3), 3], 12)
    assert (plain.sum(axis=1) == 4).all()  # one group of 4 channels
    assert shuffled.all()
    last_plain = diagrams.origins([3, 3], 12, 3)[-1]
    last_shuffled = diagrams.origins([3, diagrams.shuffle(3), 3], 12, 3)[-1]
    assert all(len(groups) == 1 for groups in last_plain)
    assert all(groups == {0, 1, 2} for groups in last_shuffled)


@pytest.mark.parametrize(
    "layers,shape",
    [
        (diagrams.variant_layers("pointwise", 4), (1, 1)),
        (diagrams.variant_layers("standard", 4, kernel=5), (5, 5)),
        (diagrams.variant_layers("separable", 4, kernel=3), (3, 3)),
        (diagrams.variant_layers("spatial", 4, kernel=3), (3, 3)),
        ([diagrams.conv(None, 3), diagrams.conv(None, 3)], (5, 5)),
    ],
)
def test_receptive_field(layers, shape):
    field = diagrams.receptive_field(layers, 4)
    assert field.shape == shape and field.all()


def test_spatially_separable_row_alone_sees_one_row():
    field = diagrams.receptive_field([diagrams.conv(None, (1, 5))], 2)
    assert field.shape == (1, 5) and field.all()


@pytest.mark.parametrize("kind", diagrams.KINDS)
def test_every_variant_draws_at_the_same_size(kind):
    kw = {"in_channels": 12, "groups": 3} if kind == "shuffle" else {}
    fig = diagrams.connectivity(kind, **kw)
    assert tuple(fig.get_size_inches()) == diagrams.CONNECTIVITY_SIZE
    assert len(fig.axes) == 2


@pytest.mark.parametrize("shuffle", [False, True])
def test_stack_figure(shuffle):
    fig = diagrams.stack([3, 3], channels=12, shuffle=shuffle, highlight=0)
    assert tuple(fig.get_size_inches()) == diagrams.CONNECTIVITY_SIZE
    title = fig._suptitle.get_text()
    assert ("12 of the 12" in title) if shuffle else ("4 of the 12" in title)


def test_footprint_figure_size():
    fig = diagrams.kernel_footprint("spatial", kernel=5)
    assert tuple(fig.get_size_inches()) == diagrams.FOOTPRINT_SIZE


@pytest.mark.parametrize(
    "call,words",
    [
        (lambda: diagrams.connectivity("dilated"), "standard, pointwise"),
        (lambda: diagrams.connectivity("grouped", in_channels=8, groups=3), "must divide"),
        (lambda: diagrams.connectivity("standard", in_channels=64), "at most"),
        (lambda: diagrams.connectivity("grouped", highlight=8), "between 0 and 7"),
        (lambda: diagrams.connectivity("depthwise", in_channels=4, out_channels=6), "multiple"),
        (lambda: diagrams.stack([], channels=12), "at least one layer"),
        (lambda: diagrams.connectivity("standard", kernel=0), "kernel height"),
        (lambda: diagrams.connectivity([diagrams.Layer(op="pool")]), "'conv' or a 'shuffle'"),
    ],
)
def test_bad_input_says_what_to_do(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# The cost explorer of lesson 01 --------------------------------------------------------------------


@pytest.mark.parametrize("k,m,n,g,s", [(3, 16, 32, 4, 8), (5, 8, 8, 2, 7), (1, 32, 16, 8, 5)])
def test_explorer_costs_match_flop_counter_on_the_blocks(k, m, n, g, s):
    by_name = {row.name: row for row in diagrams.variant_costs(k, m, n, g, s)}
    modules = {
        "standard": blocks.ConvBNAct(m, n, k),
        "pointwise": blocks.pointwise(m, n),
        "grouped": blocks.grouped(m, n, g, k),
        "depthwise": blocks.depthwise(m, k),
        "separable": blocks.DepthwiseSeparable(m, n, kernel_size=k),
        "spatial": blocks.SpatiallySeparable(m, n, k),
        "shuffle": blocks.ChannelShuffle(g),
    }
    for name, module in modules.items():
        assert by_name[name].macs == cost.flop_counter_macs(module, s, in_channels=m), name
        assert by_name[name].params == cost.count_params(module, include_bn=False), name


def test_separable_reduction_matches_the_table():
    rows = {row.name: row for row in diagrams.variant_costs(3, 512, 512, 1, 14)}
    assert rows["separable"].macs / rows["standard"].macs == pytest.approx(cost.separable_reduction(512, 3))


def test_every_groups_option_divides_every_channel_option():
    assert all(c % g == 0 for c in diagrams.CHANNEL_OPTIONS for g in diagrams.GROUP_OPTIONS)


def test_readout_and_chart_explain_groups_that_do_not_divide():
    text = diagrams.cost_readout(kernel=3, in_channels=12, out_channels=12, groups=8, size=7)
    assert "does not divide" in text
    fig = diagrams.cost_chart(kernel=3, in_channels=12, out_channels=12, groups=8, size=7)
    assert tuple(fig.get_size_inches()) == diagrams.CHART_SIZE


def test_readout_shows_every_variant_and_the_reduction():
    text = diagrams.cost_readout(kernel=3, in_channels=512, out_channels=512, groups=4, size=14)
    for label in diagrams.VARIANT_LABELS.values():
        assert label in text
    assert f"{cost.separable_macs(512, 512, 3, 14):,}" in text


def test_cost_explorer_has_a_deterministic_text_view():
    explorer = diagrams.cost_explorer()
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Explorer (kernel=3, in_channels=512")
    assert "image/png" in bundle


@pytest.mark.parametrize(
    "draw",
    [
        lambda: diagrams.connectivity("separable"),
        lambda: diagrams.stack((3, 3), channels=12, shuffle=True),
        lambda: diagrams.kernel_footprint("spatial"),
        lambda: diagrams.cost_chart(3, 64, 64, 2, 14),
    ],
)
def test_figures_come_back_detached_from_pyplot(draw):
    """So a notebook cell ending with the call shows the figure once, and loops leak nothing."""
    before = set(plt.get_fignums())
    fig = draw()
    assert set(plt.get_fignums()) == before
    assert fig.canvas is not None and fig.axes


def test_cost_explorer_keeps_its_figure_in_widget_state(capsys):
    """The chart travels in the Output widget's state, so no display message reaches the cell's outputs."""
    explorer = diagrams.cost_explorer()
    (first,) = explorer.output.outputs
    assert first["output_type"] == "display_data" and first["data"]["text/plain"].startswith("<Figure size")
    explorer.controls["kernel"].value = 7
    (second,) = explorer.output.outputs
    assert second["data"]["image/png"] != first["data"]["image/png"]
    assert "7×7 kernel" in explorer.readout.value
    assert "<Figure" not in capsys.readouterr().out
