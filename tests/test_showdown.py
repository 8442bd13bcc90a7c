"""The showdown bench: its cache, Pareto fronts, operator grouping and the guideline experiments.

Timing is replaced by counting fakes wherever a test is about bookkeeping, so these tests are fast and
do not depend on the machine's load; one test profiles a real (tiny) network.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field

import pytest
import torch
from torch import nn

from smallnets_edu import blocks, cost, models, showdown, train
from smallnets_edu.studies import cache, contest, guidelines, operators


@pytest.fixture
def fake_latency(monkeypatch):
    """Replace cost.latency by a counter: every call is one measurement."""
    calls = []

    def latency(model, resolution=224, batch_size=1, **kw):
        calls.append((getattr(model, "name", "?"), resolution, batch_size))
        return cost.Latency(0.001 * batch_size, 0.0, batch_size, 1, "cpu")

    monkeypatch.setattr(cost, "latency", latency)
    return calls


# --------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(showdown.CACHE_ENV, str(tmp_path))
    assert showdown.cache_dir() == tmp_path / "showdown"
    assert showdown.cache_dir(tmp_path / "x") == tmp_path / "x"


def test_second_call_reads_the_cache(fake_latency, tmp_path):
    first = showdown.latencies(["squeezenet1_1"], batch_sizes=(1, 4), budget="smoke", directory=tmp_path)
    assert len(fake_latency) == 2
    second = showdown.latencies(["squeezenet1_1"], batch_sizes=(1, 4), budget="smoke", directory=tmp_path)
    assert len(fake_latency) == 2, "the second call measured again instead of reading the cache"
    assert first == second == {"squeezenet1_1": {1: 0.001, 4: 0.004}}
    assert all(isinstance(b, int) for b in second["squeezenet1_1"])
    assert len(list(tmp_path.glob("latency-*.json"))) == 1


def test_cache_invalidates_when_the_key_changes(fake_latency, tmp_path, monkeypatch):
    args = {"batch_sizes": (1,), "directory": tmp_path}
    showdown.latencies(["squeezenet1_1"], budget="smoke", **args)
    assert len(fake_latency) == 1
    showdown.latencies(["squeezenet1_1"], budget="laptop", **args)  # another bench_seconds
    assert len(fake_latency) == 2
    showdown.latencies(["squeezenet1_1"], budget="smoke", resolution=40, **args)  # another setting
    assert len(fake_latency) == 3
    real = showdown.machine()
    monkeypatch.setattr(cache, "machine", lambda: {**real, "torch": "0.0.1"})  # another torch
    showdown.latencies(["squeezenet1_1"], budget="smoke", **args)
    assert len(fake_latency) == 4
    monkeypatch.setattr(cache, "machine", lambda: real)
    showdown.latencies(["squeezenet1_1"], budget="smoke", **args)  # back: still cached
    assert len(fake_latency) == 4
    showdown.latencies(["squeezenet1_1"], budget="smoke", refresh=True, **args)
    assert len(fake_latency) == 5


def test_damaged_or_foreign_entries_are_measured_again(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"x": (1, 2)}

    value, hit = showdown.cached("thing", {"a": 1}, compute, directory=tmp_path)
    assert (value, hit, len(calls)) == ({"x": [1, 2]}, False, 1)  # JSON form, fresh or cached
    assert showdown.cached("thing", {"a": 1}, compute, directory=tmp_path) == ({"x": [1, 2]}, True)
    (path,) = tmp_path.glob("thing-*.json")
    path.write_text("{ not json")
    assert showdown.cached("thing", {"a": 1}, compute, directory=tmp_path)[1] is False
    stored = json.loads(path.read_text())
    stored["key"]["settings"]["a"] = 2  # same file name, another key: a collision must not be trusted
    path.write_text(json.dumps(stored))
    assert showdown.cached("thing", {"a": 1}, compute, directory=tmp_path)[1] is False
    assert len(calls) == 3


def test_unwritable_cache_only_warns(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(UserWarning, match="could not write"):
        value, hit = showdown.cached("thing", {}, lambda: 3, directory=blocker / "sub")
    assert (value, hit) == (3, False)


@dataclass
class _Split:
    n: int

    def __len__(self) -> int:
        return self.n


@dataclass
class _Dataset:
    name: str = "shapes"
    num_classes: int = 10
    resolution: int = 32
    notice: str | None = "offline"
    train: _Split = field(default_factory=lambda: _Split(100))
    test: _Split = field(default_factory=lambda: _Split(50))


@pytest.fixture
def fake_fit(monkeypatch):
    calls = []

    def fit(model, data, *, budget=None, seed=0, progress=True, **kw):
        calls.append((model.name, kw))
        with torch.no_grad():
            next(model.parameters()).fill_(0.5)  # "trained": weights a test can recognise
        h = train.History(model=model.name, config={"dataset": data.name})
        h.append(
            {
                "epoch": 1,
                "train_loss": 2.0,
                "train_acc": 0.2,
                "test_loss": 2.0,
                "test_acc": 0.1 + 0.01 * len(calls),
                "lr": 0.1,
                "seconds": 1.0,
                "images_per_second": 100.0,
            }
        )
        return h

    monkeypatch.setattr(train, "fit", fit)
    return calls


def test_training_is_cached_per_network_and_dataset(fake_fit, tmp_path):
    first = showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 1
    assert fake_fit[0][1] == showdown.training_settings("smoke")
    again = showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 1
    assert again["effnet"].to_dict() == first["effnet"].to_dict()
    showdown.training(["effnet"], _Dataset(name="cifar10", notice=None), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 2, "training on another dataset must not reuse the shapes result"


def test_training_is_measured_again_when_a_network_asks_for_another_recipe(fake_fit, tmp_path, monkeypatch):
    from smallnets_edu.models import _registry

    showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 1
    monkeypatch.setitem(_registry.NO_SHORTCUT_RECIPE, "optimizer", "sgd")
    showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 2, "a result trained under the old recipe must not be reused"


def test_trained_network_reuses_the_weights_the_showdown_kept(fake_fit, tmp_path):
    showdown.training(["effnet"], _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 1 and len(list(tmp_path.glob("training-*.pt"))) == 1
    net, history = contest.trained_network("effnet", _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 1, "the network was trained again instead of read from the cache"
    assert torch.all(next(net.parameters()) == 0.5) and not net.training
    assert history.final_test_acc == pytest.approx(0.11)
    for weights in tmp_path.glob("training-*.pt"):
        weights.unlink()  # a history cached without its weights: trained again, and kept this time
    net, _ = contest.trained_network("effnet", _Dataset(), budget="smoke", directory=tmp_path)
    assert len(fake_fit) == 2 and torch.all(next(net.parameters()) == 0.5)
    assert len(list(tmp_path.glob("training-*.pt"))) == 1


def test_run_puts_it_together(fake_latency, fake_fit, tmp_path):
    result = showdown.run(["squeezenet1_1", "effnet"], dataset=_Dataset(), budget="smoke", directory=tmp_path)
    assert result.names == ["squeezenet1_1", "effnet"]
    assert result["effnet"].imagenet_latency is None  # EffNet has no ImageNet network
    assert result["squeezenet1_1"].imagenet_latency == pytest.approx(0.001)
    assert (
        result["effnet"].macs
        == cost.profile(models.build("effnet", num_classes=10, variant="cifar"), 32).macs
    )
    assert (result.cached, result.measured) == (0, 5)  # 2 + 1 latencies, 2 trainings
    again = showdown.run(["squeezenet1_1", "effnet"], dataset=_Dataset(), budget="smoke", directory=tmp_path)
    assert (again.cached, again.measured) == (5, 0)
    assert set(again.front("macs")) <= set(again.names)
    assert again.fits(max_macs=10e6) == ["effnet"]  # 9.0M MACs; SqueezeNet 1.1 needs 23.5M
    assert again.fits(max_activation_kib=512, max_params=1e6) == ["squeezenet1_1", "effnet"]
    assert again.fits(max_ms=0.5) == []  # the fake latency is 1 ms at batch 1
    assert "squeezenet1_1" in repr(again) and "<table>" in again._repr_html_()
    import matplotlib.pyplot as plt

    plt.close(again.plot())
    plt.close(again.plot_curves())


# --------------------------------------------------------------------------------------------------
# Pareto fronts
# --------------------------------------------------------------------------------------------------


def test_pareto_front_by_hand():
    costs = [1, 2, 3, 4, 5, 2, 0.5]
    values = [0.5, 0.7, 0.6, 0.9, 0.9, 0.7, math.nan]
    # 2 is beaten by 1 (cheaper, better); 4 by 3 (same value, cheaper); 1 and 5 tie and both stay.
    assert showdown.pareto_front(costs, values) == [0, 1, 5, 3]
    assert showdown.pareto_front([], []) == []
    assert showdown.pareto_front([3.0], [0.1]) == [0]
    with pytest.raises(ValueError, match="same length"):
        showdown.pareto_front([1, 2], [1])


def test_pareto_front_properties():
    rng = random.Random(0)
    for _ in range(50):
        n = rng.randint(1, 12)
        pts = [(rng.randint(1, 6), rng.randint(1, 6)) for _ in range(n)]
        front = showdown.pareto_front([c for c, _ in pts], [v for _, v in pts])

        def beats(a, b):
            return a[0] <= b[0] and a[1] >= b[1] and a != b

        for i, p in enumerate(pts):
            dominated = any(beats(q, p) for q in pts)
            assert (i in front) == (not dominated)
        assert [pts[i][0] for i in front] == sorted(pts[i][0] for i in front)


# --------------------------------------------------------------------------------------------------
# Operators
# --------------------------------------------------------------------------------------------------


@dataclass
class _Event:
    name: str
    self_cpu_time_total: float
    cpu_parent: _Event | None = None


def test_group_events_assigns_every_microsecond():
    label = showdown.LABEL_PREFIX + "features.0.0"
    conv = _Event(label, 2.0)
    events = [
        conv,
        _Event("aten::conv2d", 5.0, conv),
        _Event("aten::mkldnn_convolution", 40.0, _Event("aten::convolution", 1.0, conv)),
        _Event("aten::add", 3.0),
        _Event("aten::_cat", 4.0, _Event("aten::cat", 1.0)),
        _Event("aten::empty", 0.5, _Event("aten::transpose", 0.25)),
        _Event("aten::something_new", 7.0),
    ]
    events += [e.cpu_parent for e in events if e.cpu_parent is not None and e.cpu_parent not in events]
    out = showdown.group_events(events, {label: "pointwise 1x1"})
    assert set(out["kinds"]) == set(showdown.OPERATOR_KINDS)
    assert out["kinds"]["pointwise 1x1"] == 2 + 5 + 40 + 1
    assert out["kinds"]["add/cat"] == 3 + 4 + 1
    assert out["kinds"]["shuffle/reshape"] == 0.75
    assert out["kinds"]["other"] == 7
    assert out["layers"] == {"features.0.0": 48.0}
    assert sum(out["kinds"].values()) == out["total"]["total"] == sum(e.self_cpu_time_total for e in events)


class _Tiny(nn.Module):
    """Every operator kind once: dense, pointwise, grouped, depthwise, BN, ReLU, shuffle, pool, add, cat."""

    def __init__(self):
        super().__init__()
        self.stem = blocks.ConvBNAct(3, 12, 3)
        self.grouped = blocks.grouped(12, 12, 3)
        self.shuffle = blocks.ChannelShuffle(3)
        self.dw = blocks.depthwise(12)
        self.pw = blocks.pointwise(24, 24)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(24, 5)

    def forward(self, x):
        x = self.stem(x)
        y = self.dw(self.shuffle(self.grouped(x))) + x
        return self.fc(self.flatten(self.pool(self.pw(torch.cat([x, y], dim=1)))))


def test_profile_operators_on_a_real_network():
    net = _Tiny()
    p = showdown.profile_operators(net, resolution=16, batch_size=2, runs=2, name="tiny")
    assert set(p.seconds) == set(showdown.OPERATOR_KINDS)
    assert all(t >= 0 for t in p.seconds.values())
    assert sum(p.shares().values()) == pytest.approx(1.0)
    assert sum(p.shares("macs").values()) == pytest.approx(1.0)
    for kind in (
        "dense conv",
        "grouped conv",
        "depthwise",
        "pointwise 1x1",
        "batchnorm",
        "activation",
        "shuffle/reshape",
        "pooling",
        "linear",
        "add/cat",
    ):
        assert p.seconds[kind] > 0, f"no time was assigned to {kind}"
    # MACs per kind agree with the cost model (batch 2: twice one image).
    profile = cost.profile(net, 16)
    assert sum(p.macs.values()) == 2 * profile.macs
    assert p.macs["depthwise"] == 2 * cost.depthwise_macs(12, 3, 16)
    # The layer table covers every leaf that ran, and layers' time never exceeds the total.
    assert {row["name"] for row in p.layers} == {row.name for row in profile.layers}
    assert sum(row["seconds"] for row in p.layers) <= p.total_seconds * (1 + 1e-9)
    assert showdown.OperatorProfile.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    import matplotlib.pyplot as plt

    plt.close(showdown.plot_shares({"tiny": p, "again": p}))
    plt.close(showdown.plot_roofline({"tiny": p}))


@pytest.mark.parametrize("name", models.names())
def test_every_layer_of_every_network_has_an_operator_kind(name):
    variant = "cifar"
    for row in showdown.costs([name], variant)[name].layers:
        kind = showdown.operator_kind(row.kind)
        assert kind in showdown.OPERATOR_KINDS
        if row.macs:
            assert kind in ("dense conv", "pointwise 1x1", "grouped conv", "depthwise", "linear"), row


def test_operators_are_cached(monkeypatch, tmp_path):
    calls = []
    real = showdown.profile_operators

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(operators, "profile_operators", counting)
    kw = {"variant": "cifar", "resolution": 32, "budget": "smoke", "directory": tmp_path}
    first = showdown.operators(["squeezenet1_1"], **kw)
    second = showdown.operators(["squeezenet1_1"], **kw)
    assert len(calls) == 1 and first == second


# --------------------------------------------------------------------------------------------------
# Intensity and the guidelines
# --------------------------------------------------------------------------------------------------


def test_conv_intensity_matches_the_profile():
    conv = nn.Conv2d(32, 64, 3, padding=1, bias=False)
    row = cost.profile(conv, 20, in_channels=32).layers[0]
    by_profile = row.macs / (4 * row.params + row.working_bytes)
    assert showdown.conv_intensity(32, 64, 3, 20) == pytest.approx(by_profile)
    # Depthwise: about k*k/8 MACs per byte whatever the width; pointwise grows with the channels.
    dw = [showdown.conv_intensity(c, c, 3, 28, groups=c) for c in (64, 256, 1024)]
    assert max(dw) - min(dw) < 0.05 and 1.0 < dw[0] < 9 / 8
    pw = [showdown.conv_intensity(c, c, 1, 28) for c in (64, 256, 1024)]
    assert pw == sorted(pw) and pw[0] > 5 * dw[0]


def test_memory_access_cost():
    h = w = 28
    budget = 128 * 128  # c1 * c2 fixed: equal MACs
    pairs = [(c1, budget // c1) for c1 in range(8, 2049) if budget % c1 == 0]
    best = min(pairs, key=lambda p: showdown.memory_access_cost(h, w, *p))
    assert best == (128, 128)  # G1: equal widths
    grouped = [
        showdown.memory_access_cost(h, w, c, c, g) for g, c in ((1, 128), (2, 180), (4, 256), (8, 360))
    ]
    assert grouped == sorted(grouped)  # G2: more groups at (about) equal MACs move more values
    assert showdown.memory_access_cost(1, 1, 4, 6, 2) == 10 + 12
    with pytest.raises(ValueError, match="divide"):
        showdown.memory_access_cost(2, 2, 6, 6, 4)
    with pytest.raises(ValueError, match="positive"):
        showdown.memory_access_cost(0, 2, 6, 6)


@pytest.mark.parametrize("experiment", ["g1", "g2", "g3", "g4"])
def test_guidelines_keep_the_macs_equal(experiment, monkeypatch, tmp_path):
    timed = []
    monkeypatch.setattr(guidelines, "seconds", lambda module, x, t: timed.append(1) or 0.01)
    run = getattr(showdown, f"guideline_{experiment}")
    rows = run(budget="smoke", size=8, directory=tmp_path)
    macs = [r["macs"] for r in rows]
    assert max(macs) / min(macs) < 1.03, rows
    assert len(timed) == len(rows)
    assert run(budget="smoke", size=8, directory=tmp_path) == rows  # cached
    assert len(timed) == len(rows)
    if experiment == "g4":
        import matplotlib.pyplot as plt

        kw = {"budget": "smoke", "size": 8, "directory": tmp_path}
        g1, g2, g3 = (getattr(showdown, f"guideline_g{i}")(**kw) for i in (1, 2, 3))
        plt.close(showdown.plot_guidelines(g1, g2, g3, rows))
    if experiment in ("g1", "g2"):
        access = [r["memory_access"] for r in rows]
        assert access == sorted(access) and access[0] < access[-1]


def test_paper_rows_agree_with_the_papers():
    for row in showdown.paper_rows():
        pub = row["published"]
        assert pub["macs"] is not None
        assert abs(row["macs"] - pub["macs"]) / pub["macs"] < 0.02, row
        if pub["params"] is not None:
            assert abs(row["params"] - pub["params"]) / pub["params"] < 0.05, row


def test_model_colours_are_distinct():
    colours = [showdown.model_colour(n) for n in models.names()]
    assert len(set(colours)) == len(colours)
