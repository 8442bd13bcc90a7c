"""Activation memory: Table 3 from our models, the sliced inverted residual, and the fast formulas."""

import itertools
import time

import pytest
import torch
from torch import nn

from smallnets_edu import activation_memory, blocks, cost, memory, models
from smallnets_edu.models.mobilenet_v2 import TABLE2_ROWS, InvertedResidual


def meta(name, **kw):
    with torch.device("meta"):
        return models.build(name, **kw)


# The fast formulas agree with the built model -----------------------------------------------------

GRID = [
    (1.0, 6, 224, "imagenet"),
    (1.4, 6, 224, "imagenet"),
    (0.35, 6, 96, "imagenet"),
    (0.75, 6, 160, "imagenet"),
    (1.3, 6, 192, "imagenet"),
    (0.5, 1, 128, "imagenet"),
    (1.0, 10, 96, "imagenet"),
    (0.35, 3, 224, "imagenet"),
    (1.0, 6, 32, "cifar"),
    (0.5, 4, 32, "cifar"),
    (1.0, 6, 64, "tiny"),
    (1.0, 6, 97, "imagenet"),  # odd sizes round up at each stride
]


@pytest.mark.parametrize("alpha,t,res,variant", GRID)
def test_formulas_match_the_model(alpha, t, res, variant):
    classes = 10 if variant == "cifar" else 1000
    model = meta("mobilenet_v2", width_mult=alpha, expansion=t, variant=variant, num_classes=classes)
    profile = cost.profile(model, res)
    ours = memory.mobilenet_v2_cost(alpha, t, res, variant, classes)
    assert ours.params == profile.params
    assert ours.params_no_bn == cost.count_params(model, include_bn=False)
    assert ours.macs == profile.macs
    records = memory.tensors(model, res)
    assert ours.layer_by_layer_values == memory.peak(records, streamed=False).values
    assert ours.streamed_values == memory.peak(records, streamed=True).values


def test_rows_match_the_profile_stage_by_stage():
    model = meta("mobilenet_v2")
    profile = cost.profile(model, 224)
    per_stage = {}
    for layer in profile.layers:
        parts = layer.name.split(".")
        key = parts[1] if parts[0] == "features" else "classifier"
        per_stage.setdefault(key, [0, 0])
        per_stage[key][0] += layer.params
        per_stage[key][1] += layer.macs
    rows = memory.mobilenet_v2_rows()
    stages = ["conv1", *(f"bottleneck{i}" for i in range(1, 8)), "conv_last"]
    for stage, row in zip(stages, rows, strict=False):
        assert per_stage[stage] == [row.params, row.macs], stage
    head = rows[-2:]  # avgpool + classifier
    assert per_stage["classifier"] == [sum(r.params for r in head), sum(r.macs for r in head)]
    assert [r.c for r in rows[1:8]] == [c for _, c, _, _ in TABLE2_ROWS]
    assert rows[0].input_label == "224² × 3"


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="variant"):
        memory.mobilenet_v2_rows(variant="mnist")
    with pytest.raises(ValueError, match="expansion"):
        memory.mobilenet_v2_rows(expansion=0.5)
    with pytest.raises(ValueError, match="resolution"):
        memory.mobilenet_v2_rows(resolution=0)


# Which tensors are materialised ----------------------------------------------------------------------


def test_streamed_mobilenet_v2_holds_only_bottlenecks():
    model = meta("mobilenet_v2")
    records = memory.tensors(model, 224)
    blocks_out = {name for name, m in model.named_modules() if isinstance(m, InvertedResidual)}
    for t in records:
        if t.materialised:
            assert t.name in blocks_out | {"input", "classifier.0", "classifier.3"}, t.name
        if ".expand" in t.name or ".depthwise" in t.name:
            assert not t.materialised
    # Widths of the materialised feature tensors are Table 2's c column (alpha = 1)
    widths = {t.channels for t in records if t.materialised and t.name.startswith("features")}
    assert widths == {c for _, c, _, _ in TABLE2_ROWS}


def test_streaming_only_skips_tensors_that_feed_per_channel_work():
    for name, kw in [("mobilenet_v1", {}), ("mobilenet_v2", {}), ("shufflenet_v1", {"width_mult": 2.0})]:
        model = meta(name, **kw)
        units = activation_memory._units(model)
        skipped = [
            i
            for i, (_, m) in enumerate(units)
            if not isinstance(m, memory.BLOCKS) and activation_memory._is_conv_unit(m)
        ]
        records = memory.tensors(model, 224)
        for i in skipped:
            flag = next(t.materialised for t in records if t.name == units[i][0])
            assert flag == (not memory.starts_per_channel(units[i + 1][1]))


def test_starts_per_channel():
    assert memory.starts_per_channel(nn.MaxPool2d(3, 2))
    assert memory.starts_per_channel(blocks.DepthwiseSeparable(8, 16))
    assert memory.starts_per_channel(InvertedResidual(8, 8, 1, expansion=1))
    assert not memory.starts_per_channel(InvertedResidual(8, 8, 1, expansion=6))
    assert not memory.starts_per_channel(blocks.pointwise(8, 16))


def test_streaming_never_needs_more_and_helps_mobilenet_v2_most():
    def peaks(name, **kw):
        records = memory.tensors(meta(name, **kw), 224)
        return memory.peak(records, streamed=False).values, memory.peak(records, streamed=True).values

    v1_naive, v1_streamed = peaks("mobilenet_v1")
    v2_naive, v2_streamed = peaks("mobilenet_v2")
    assert v1_streamed <= v1_naive and v2_streamed <= v2_naive
    assert v2_naive > v1_naive  # run layer by layer, MobileNetV2's expanded tensors are the largest
    assert v2_streamed < v1_streamed / 3


# Table 3: our models against the paper ---------------------------------------------------------------


def _ours(name, streamed, **kw):
    records = memory.tensors(meta(name, **kw), 224)
    return {side[0]: t for side, t in memory.largest(records, streamed).items()}


def test_table3_v4_channels_match_mobilenet_v1():
    ours = _ours("mobilenet_v1", streamed=False)
    for side, (channels, kb) in memory.TABLE3_ARXIV_V4["MobileNetV1"].items():
        assert ours[side].channels == channels
        if side != 7:  # the paper's 199 for 7x7x1024 is input + output; one tensor is 100
            assert memory.kb(ours[side].bytes(2)) == pytest.approx(kb, rel=0.02, abs=0.5)


def test_table3_v4_maxima_match_our_v1_and_v2():
    v1 = max(t.bytes(2) for t in _ours("mobilenet_v1", streamed=False).values())
    v2 = max(t.bytes(2) for t in _ours("mobilenet_v2", streamed=True).values())
    assert memory.kb(v1) == pytest.approx(memory.TABLE3_MAX["arXiv v4"]["MobileNetV1"], rel=0.01)
    assert memory.kb(v2) == pytest.approx(memory.TABLE3_MAX["arXiv v4"]["MobileNetV2"], rel=0.01)


def test_table3_shufflenet_column_is_2x_with_two_groups():
    """Below 112x112 the paper's ShuffleNet channels are those of 2x g=2, not of g=3 as labelled."""
    paper = memory.TABLE3_ARXIV_V4["ShuffleNet (2x, g=3)"]
    g2 = _ours("shufflenet_v1", streamed=True, width_mult=2.0, groups=2)
    g3 = _ours("shufflenet_v1", streamed=True, width_mult=2.0, groups=3)
    for side in (56, 28, 14, 7, 1):
        assert g2[side].channels == paper[side][0]
        assert memory.kb(g2[side].bytes(2)) == pytest.approx(paper[side][1], rel=0.05, abs=0.5)
    assert any(g3[side].channels != paper[side][0] for side in (28, 14, 7))


def test_kb_is_thousands_of_bytes():
    assert memory.kb(112 * 112 * 64 * 2) == pytest.approx(1605.632)


# Sliced inference -------------------------------------------------------------------------------------


def _randomised(block):
    torch.manual_seed(0)
    for m in block.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return block.eval()


@pytest.mark.parametrize(
    "cin,cout,stride,t,slices",
    [(24, 24, 1, 6, 1), (24, 24, 1, 6, 6), (24, 24, 1, 6, 144), (16, 24, 2, 6, 5), (32, 16, 1, 1, 4)],
)
def test_sliced_forward_equals_the_block(cin, cout, stride, t, slices):
    block = _randomised(InvertedResidual(cin, cout, stride, t))
    x = torch.randn(2, cin, 9, 9)
    run = memory.sliced_forward(block, x, slices)
    with torch.no_grad():
        expected = block(x)
    assert torch.allclose(run.output, expected, atol=1e-5)
    assert run.slices == slices


def test_slicing_holds_less_the_more_slices():
    block = _randomised(InvertedResidual(24, 24, 1, 6))
    x = torch.randn(1, 24, 14, 14)
    held = [memory.sliced_forward(block, x, s).peak_values for s in (1, 6, 144)]
    assert held[0] > held[1] > held[2]
    one_channel = x.numel() * 2 + 2 * 14 * 14  # input, output, and one channel expanded and filtered
    assert held[2] == one_channel
    whole = memory.sliced_forward(block, x, 1).layer_by_layer_values
    assert whole == (24 + 144 + 144) * 14 * 14  # the depthwise layer's input + output, x for the shortcut
    assert held[0] == whole  # one slice is the ordinary forward pass


@pytest.mark.parametrize("cin,cout,stride,t", [(16, 24, 2, 6), (32, 16, 1, 1), (24, 24, 1, 6)])
def test_one_slice_is_layer_by_layer(cin, cout, stride, t):
    block = _randomised(InvertedResidual(cin, cout, stride, t))
    run = memory.sliced_forward(block, torch.randn(1, cin, 10, 10), 1)
    assert run.peak_values == run.layer_by_layer_values


def test_sliced_forward_refuses_what_it_cannot_do():
    block = InvertedResidual(8, 8, 1, 6)
    with pytest.raises(ValueError, match="eval mode"):
        memory.sliced_forward(block, torch.zeros(1, 8, 4, 4), 2)
    with pytest.raises(ValueError, match="slices"):
        memory.sliced_forward(block.eval(), torch.zeros(1, 8, 4, 4), 0)
    with pytest.raises(ValueError, match="InvertedResidual"):
        memory.sliced_forward(nn.Identity(), torch.zeros(1, 8, 4, 4), 2)


# ReLU6 and quantization -------------------------------------------------------------------------------


def test_quantization_grid():
    assert memory.quantization_step(0, 6, 8) == pytest.approx(6 / 255)
    x = torch.linspace(-1, 7, 10_001)
    q = memory.fake_quantize(x, 0.0, 6.0, 8)
    assert len(torch.unique(q)) <= 256
    inside = (x >= 0) & (x <= 6)
    assert (q[inside] - x[inside]).abs().max() <= 6 / 255 / 2 + 1e-6
    assert q.min() == 0 and q.max() == pytest.approx(6.0)
    with pytest.raises(ValueError, match="high"):
        memory.quantization_step(1, 1)


def test_relu6_inputs_are_what_each_relu6_receives():
    torch.manual_seed(0)
    model = models.build("mobilenet_v2", width_mult=0.35, variant="cifar", num_classes=10)
    captured = memory.relu6_inputs(model, torch.randn(2, 3, 32, 32))
    assert len(captured) == sum(isinstance(m, nn.ReLU6) for m in model.modules())
    everything = torch.cat(captured)
    assert everything.min() < 0  # before the ReLU6: negative values are still there
    assert model.training  # the model's mode is restored


def test_block_diagram_reads_the_block():
    fig = memory.block_diagram(inverted=InvertedResidual(16, 16, 1, expansion=4))
    assert tuple(fig.get_size_inches()) == memory.DIAGRAM_SIZE
    labels = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"16", "64", "256"} <= labels


@pytest.mark.parametrize("alpha,t", list(itertools.product([0.35, 1.4], [1, 6])))
def test_formulas_are_fast(alpha, t):
    start = time.perf_counter()
    for res in (96, 128, 160, 192, 224):
        memory.mobilenet_v2_cost(alpha, t, res)
    assert time.perf_counter() - start < 0.05
