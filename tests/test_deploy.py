"""Lesson 09's deployment tools: folding is exact, int8 networks run and are a quarter of the size,
ONNX exports agree with PyTorch in ONNX Runtime, and wrong requests get a clear ValueError."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from smallnets_edu import blocks, cost, data, deploy, models
from smallnets_edu.deploy import export as export_mod
from smallnets_edu.deploy import study

ALL = models.names()


def cifar(name: str) -> nn.Module:
    torch.manual_seed(0)
    return models.build(name, num_classes=10, variant="cifar").eval()


def images(n: int = 2, size: int = 32, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def trained_batchnorm(bn: nn.BatchNorm2d, seed: int = 0) -> None:
    """Give a BatchNorm statistics as after training, so that folding has something to fold."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=g))
        bn.running_var.copy_(torch.rand(bn.num_features, generator=g) * 3 + 0.1)
        bn.weight.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(bn.num_features, generator=g) * 0.2)


# --------------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [False, True])
def test_fold_conv_bn_is_the_formula(bias):
    conv = nn.Conv2d(3, 5, 3, padding=1, bias=bias)
    bn = nn.BatchNorm2d(5)
    trained_batchnorm(bn)
    folded = deploy.fold_conv_bn(conv, bn)
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    b = conv.bias if bias else torch.zeros(5)
    assert torch.allclose(folded.weight, conv.weight * s.view(-1, 1, 1, 1))
    assert torch.allclose(folded.bias, bn.bias + (b - bn.running_mean) * s)
    x = images(2, 8)
    with torch.no_grad():
        assert torch.allclose(folded(x), bn.eval()(conv(x)), atol=1e-5)


def test_fold_conv_bn_refuses_a_mismatched_pair():
    with pytest.raises(ValueError, match="BatchNorm2d"):
        deploy.fold_conv_bn(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(5))
    with pytest.raises(ValueError, match="Conv2d"):
        deploy.fold_conv_bn(nn.Linear(3, 4), nn.BatchNorm2d(4))


@pytest.mark.parametrize("name", ALL)
def test_folding_keeps_every_network_s_outputs(name):
    net = cifar(name)
    for i, module in enumerate(m for m in net.modules() if isinstance(m, nn.BatchNorm2d)):
        trained_batchnorm(module, seed=i)
    folded = deploy.fold_batchnorm(net)
    x = images()
    with torch.no_grad():
        expected, got = net(x), folded(x)
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-5 * float(expected.abs().max()))
    pairs = deploy.foldable_pairs(net)
    assert len(deploy.batchnorms(folded)) == len(deploy.batchnorms(net)) - len(pairs)
    assert deploy.foldable_pairs(folded) == []
    channels = sum(net.get_submodule(bn).num_features for _, bn in pairs)
    assert cost.count_params(folded) == cost.count_params(net) - channels  # gamma, beta -> one bias
    assert cost.profile(folded, 32).macs == cost.profile(net, 32).macs
    assert net.training is False and folded.spec == net.spec  # the original is untouched


def test_what_folds_where():
    assert deploy.foldable_pairs(cifar("squeezenet1_1")) == []  # no BatchNorm
    effnet = cifar("effnet")  # BatchNorm after the LeakyReLU: nothing folds, all stay
    assert deploy.foldable_pairs(effnet) == [] and len(deploy.batchnorms(effnet)) == 12
    mobilenet = cifar("mobilenet_v1")
    assert len(deploy.foldable_pairs(mobilenet)) == len(deploy.batchnorms(mobilenet)) == 27
    r = deploy.compare_fold(mobilenet, 32)
    assert r.folded == 27 and r.left == 0 and r.max_difference <= 1e-4 * r.max_output


def test_fold_batchnorm_refuses_what_is_not_a_module():
    with pytest.raises(ValueError, match=r"torch\.nn\.Module"):
        deploy.fold_batchnorm("mobilenet_v2")


# --------------------------------------------------------------------------------------------------
# Tracing and 8-bit quantization
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_network_has_a_traceable_copy_with_the_same_outputs(name):
    net = cifar(name)
    with pytest.raises(Exception):  # noqa: B017 - the input check stops FX on the original
        torch.fx.symbolic_trace(net)
    body = deploy.traceable(net)
    torch.fx.symbolic_trace(body)
    x = images()
    with torch.no_grad():
        assert torch.equal(body(x), net(x))


def test_traceable_shuffle_is_the_channel_shuffle():
    x = torch.arange(2 * 12 * 3 * 3, dtype=torch.float32).view(2, 12, 3, 3)
    for groups in (2, 3, 4):
        assert torch.equal(deploy.TraceableShuffle(groups)(x), blocks.channel_shuffle(x, groups))
    assert torch.equal(deploy.TraceableShuffle(3)(x.contiguous(memory_format=torch.channels_last)),
                       blocks.channel_shuffle(x, 3))  # fmt: skip


@pytest.mark.parametrize("name", ["squeezenet1_1", "shufflenet_v1", "effnet"])
def test_int8_networks_run_and_are_a_quarter_of_the_size(name):
    net = cifar(name)
    calibration = [images(8, seed=s) for s in range(2)]
    q = deploy.quantize(net, calibration)
    x = images(4, seed=7)
    with torch.no_grad():
        y, y8 = net(x), q(x)
    assert y8.shape == y.shape and y8.dtype == torch.float32
    assert float((y8 - y).abs().max()) < 0.2 * float(y.abs().max())
    ratio = deploy.model_bytes(q) / deploy.model_bytes(net)
    assert 0.2 < ratio < 0.4, ratio
    with pytest.raises(ValueError, match="expected a batch of images"):  # the network's own check runs
        q(torch.randn(3, 32, 32))
    if q.min_resolution > 1:
        with pytest.raises(ValueError, match=f"{name} .* needs inputs of at least"):
            q(torch.randn(1, 3, 1, 1))


def test_per_tensor_weights_are_per_tensor_and_per_channel_per_channel():
    net = cifar("squeezenet1_1")
    cal = images(8)
    schemes = {}
    for per_channel in (True, False):
        q = deploy.quantize(net, cal, per_channel=per_channel)
        conv = next(m for m in q.graph.modules() if hasattr(m, "weight") and callable(m.weight))
        schemes[per_channel] = conv.weight().qscheme()
    assert schemes[True] == torch.per_channel_affine
    assert schemes[False] == torch.per_tensor_affine


def test_weight_error_per_channel_beats_per_tensor_on_unequal_channels():
    w = torch.randn(4, 1, 3, 3) * torch.tensor([2.4, 0.9, 0.15, 0.03]).view(-1, 1, 1, 1)
    assert deploy.weight_error(w, per_channel=True) < deploy.weight_error(w, per_channel=False)
    equal = torch.ones(4, 1, 3, 3)
    assert deploy.weight_error(equal, per_channel=False) == pytest.approx(0.0)
    assert deploy.weight_error(torch.zeros(3, 3)) == 0.0
    rows = deploy.weight_errors(cifar("mobilenet_v2"))
    assert {"depthwise", "pointwise", "conv", "linear"} <= {r["kind"] for r in rows}
    assert all(r["per_channel"] <= r["per_tensor"] + 1e-9 for r in rows)


def test_activations_keep_eight_bits_where_the_processor_can_add_them_up():
    assert deploy.has_vnni("flags : fpu sse2 avx2 avx512f avx512_vnni")
    assert deploy.has_vnni("flags : fpu avx2 avx_vnni")
    assert not deploy.has_vnni("flags : fpu sse2 avx2 fma")
    assert deploy.full_range_activations("qnnpack")
    observer = deploy.qconfig_mapping(engine="x86").global_qconfig.activation()
    assert observer.reduce_range == (not deploy.full_range_activations("x86"))


def test_backend_follows_the_processor():
    assert deploy.backend("x86_64") == "x86"
    assert deploy.backend("AMD64") == "x86"
    assert deploy.backend("arm64") == deploy.backend("aarch64") == "qnnpack"


class Moody(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x) if x.mean() > 0 else self.conv(-x)


def test_a_network_that_cannot_be_traced_gets_a_clear_value_error():
    with pytest.raises(ValueError, match=r"moody cannot be traced by torch\.fx.*control flow"):
        deploy.quantize(Moody(), images(), name="moody")
    with pytest.raises(ValueError, match="Moody cannot be traced"):
        deploy.export_onnx(Moody())
    with pytest.raises(ValueError, match="Moody cannot be traced"):
        deploy.deploy(Moody(), "pytorch", 8, calibration=images())


def test_bad_requests_get_a_clear_value_error():
    net = cifar("squeezenet1_1")
    with pytest.raises(
        ValueError, match=r"unknown runtime 'tflite'.*pytorch, pytorch_channels_last, onnxruntime"
    ):
        deploy.deploy(net, "tflite", 32)
    for bits in (4, 16, "8", True):
        with pytest.raises(ValueError, match="bits must be 8"):
            deploy.deploy(net, "pytorch", bits, calibration=images())
    with pytest.raises(ValueError, match="bits must be 8"):
        deploy.quantize(net, images(), bits=6)
    with pytest.raises(ValueError, match="bits=32 is the float network"):
        deploy.quantize(net, images(), bits=32)
    with pytest.raises(ValueError, match="no 8-bit deployment"):
        deploy.deploy(net, "pytorch_channels_last", 8, calibration=images())
    with pytest.raises(ValueError, match="needs calibration images"):
        deploy.deploy(net, "onnxruntime", 8)
    with pytest.raises(ValueError, match="calibration must be a batch"):
        deploy.quantize(net, [])
    with pytest.raises(ValueError, match="no 'nope' quantized kernels"):
        deploy.quantize(net, images(), engine="nope")
    with pytest.raises(ValueError, match="unknown measurement"):
        study.DeployStudy({"a": {}}, "smoke", "shapes", {}, (32,)).value("speed", "a", "pytorch", 32)


def briefly_trained(name: str, ds, steps: int = 32) -> nn.Module:
    """``name`` after ``steps`` of Adam on ``ds``, its BatchNorm statistics then measured on the
    training images (after so few steps the running averages still remember their initial values)."""
    net = models.build(name, num_classes=10, variant="cifar")
    loader = data.Loader(ds.train, 32, train=True, mean=ds.mean, std=ds.std)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for step, (x, y) in enumerate(_cycle(loader)):
        if step == steps:
            break
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for bn in net.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.reset_running_stats()
            bn.momentum = None  # a plain average over the batches below
    with torch.no_grad():
        for x, _ in data.Loader(ds.train, 64, train=False, mean=ds.mean, std=ds.std):
            net(x)
    return net.eval()


def _cycle(loader):
    while True:
        yield from loader


@pytest.mark.slow
def test_quantization_aware_fine_tuning_trains_through_the_rounding():
    ds = data.shapes_dataset(32, train_size=256, test_size=64)
    on_training_images = data.Dataset(ds.name, ds.train, ds.train, ds.classes, ds.mean, ds.std)
    torch.manual_seed(0)
    net = briefly_trained("effnet", ds)
    float_accuracy = deploy.evaluate(net, on_training_images)
    assert float_accuracy > 0.25, "the float network should have learned something to keep"
    before = {k: v.clone() for k, v in net.state_dict().items()}
    post_training = deploy.quantize(net, deploy.calibration_batches(ds, 64))
    aware = deploy.quantize_aware(net, ds, steps=16, batch_size=32)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items()), "the model was changed"
    assert isinstance(aware, deploy.QuantizedNet) and aware.per_channel
    assert deploy.model_bytes(aware) == pytest.approx(deploy.model_bytes(post_training), rel=0.05)
    # Fine-tuned through fake-quantized weights and activations, the int8 network keeps what the
    # float one knew (and may learn a little more: these are the images it trains on).
    assert deploy.evaluate(aware, on_training_images) > float_accuracy - 0.05
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        deploy.quantize_aware(net, ds, steps=0)
    with pytest.raises(ValueError, match="needs a course dataset"):
        deploy.quantize_aware(net, images())


# --------------------------------------------------------------------------------------------------
# ONNX and ONNX Runtime
# --------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_onnx_export_matches_pytorch_in_onnx_runtime(name):
    net = cifar(name)
    exported = deploy.export_onnx(net, resolution=32)
    assert exported.exporter in ("dynamo", "torchscript")
    assert exported.size > 4 * cost.count_params(net) * 0.9
    x = images(1)
    with torch.no_grad():
        expected = net(x)
    got = deploy.OrtNet(exported)(x)
    assert torch.allclose(got, expected, rtol=1e-3, atol=1e-4 * float(expected.abs().max()) + 1e-12)


def test_onnx_runtime_int8_runs_and_is_a_quarter_of_the_size():
    net = cifar("squeezenet1_1")
    exported = deploy.export_onnx(net, resolution=32)
    assert exported.exporter == "dynamo" and exported.note == ""
    q = deploy.quantize_onnx(exported, [images(4, seed=s) for s in range(2)])
    assert 0.2 < q.size / exported.size < 0.4
    assert q.operators().get("QuantizeLinear", 0) > 0
    x = images(3)  # three images through a batch-1 file: run one at a time
    with torch.no_grad():
        y = net(x)
    y8 = deploy.OrtNet(q)(x)
    assert y8.shape == y.shape and float((y8 - y).abs().max()) < 0.2 * float(y.abs().max())
    with pytest.raises(ValueError, match="exported for inputs of shape"):
        deploy.OrtNet(q)(images(1, 64))
    # One outlier image stretches min-max ranges, not percentile ones: the two files differ.
    calibration = [images(4, seed=s) for s in range(2)] + [100 * images(1, seed=9)]
    minmax = deploy.quantize_onnx(exported, calibration, method="minmax")
    percentile = deploy.quantize_onnx(exported, calibration, method="percentile")
    assert minmax.data != percentile.data
    with pytest.raises(ValueError, match="method must be one of minmax, percentile, entropy"):
        deploy.quantize_onnx(exported, calibration, method="max")


def test_the_torchscript_exporter_takes_over_and_says_so(monkeypatch):
    real = export_mod._export

    def dynamo_fails(body, x, dynamo):
        if dynamo:
            raise RuntimeError("no dynamo today\nlong traceback")
        return real(body, x, dynamo)

    monkeypatch.setattr(export_mod, "_export", dynamo_fails)
    exported = deploy.export_onnx(cifar("effnet"))
    assert exported.exporter == "torchscript"
    assert "dynamo exporter failed" in exported.note and "no dynamo today" in exported.note
    assert "long traceback" not in exported.note

    def both_fail(body, x, dynamo):
        raise RuntimeError("broken")

    monkeypatch.setattr(export_mod, "_export", both_fail)
    with pytest.raises(
        ValueError, match=r"effnet could not be exported to ONNX.*TorchScript exporter: broken"
    ):
        deploy.export_onnx(cifar("effnet"))


def test_the_five_deployments_run_and_are_timed():
    net = cifar("squeezenet1_1")
    cal = [images(8)]
    x = images(2)
    with torch.no_grad():
        expected = net(x)
    for runtime, bits in deploy.CONFIGS:
        d = deploy.deploy(net, runtime, bits, calibration=cal)
        assert d.label == deploy.LABELS[(runtime, bits)] and d.size_bytes > 0
        tolerance = 1e-4 if bits == 32 else 0.2
        assert float((d(x) - expected).abs().max()) <= tolerance * float(expected.abs().max())
        assert 0 < d.latency(min_run_time=0.01) < 1
    assert d.bits == 8 and d.runtime == "onnxruntime"


def test_evaluate_and_calibration_batches_on_a_tiny_dataset():
    ds = data.shapes_dataset(32, train_size=40, test_size=20)
    batches = deploy.calibration_batches(ds, images=24, batch_size=10)
    assert [len(b) for b in batches] == [10, 10, 4] and batches[0].dtype == torch.float32
    net = cifar("squeezenet1_1")
    accuracy = deploy.evaluate(deploy.deploy(net, "pytorch", 32), ds)
    assert 0 <= accuracy <= 1
    with pytest.raises(ValueError, match="at least 1"):
        deploy.calibration_batches(ds, images=0)


# --------------------------------------------------------------------------------------------------
# The lesson's study: measured once, then read from the cache
# --------------------------------------------------------------------------------------------------


def test_the_study_settings_follow_the_budget():
    assert study.networks("smoke") == list(study.SMOKE_NETWORKS)
    assert study.networks("laptop") == ALL
    assert study.resolutions("smoke") == (32,) and 64 in study.resolutions("laptop")
    assert study.calibration_size("smoke") < study.calibration_size("laptop") <= 512


@pytest.mark.slow
def test_measure_is_cached_and_the_study_reads_it(tmp_path):
    ds = data.shapes_dataset(32, train_size=64, test_size=32)
    first = study.measure("squeezenet1_1", ds, budget="smoke", directory=tmp_path)
    measured = {study.key(r, b) for r, b in deploy.CONFIGS} | {study.PER_TENSOR, study.ORT_MINMAX}
    assert set(first["accuracy"]) - {study.QAT, study.QAT_FLOAT} == measured
    assert all(0 <= a <= 1 for a in first["accuracy"].values())
    assert first["size"]["pytorch/8"] < 0.4 * first["size"]["pytorch/32"]
    assert set(first["latency"]["onnxruntime/8"]) == {"32"}
    result = study.run(["squeezenet1_1"], dataset=ds, budget="smoke", directory=tmp_path)
    assert result.cached == 1 and result.measured == 0
    assert result.results["squeezenet1_1"] == first
    assert result.value("size", "squeezenet1_1", "onnxruntime", 8) == first["size"]["onnxruntime/8"]
    assert result.value("accuracy", "squeezenet1_1", "pytorch", 8, resolution=64) != result.value(
        "accuracy", "squeezenet1_1", "pytorch", 8, resolution=64
    )  # NaN: accuracy is measured at 32x32 only
    assert len(result.rows()) == len(deploy.CONFIGS)
    assert set(result.fastest()) == set(deploy.LABELS.values())
    assert result.plot().axes


@pytest.mark.slow
def test_int8_that_loses_too_much_is_fine_tuned_with_its_float_control(tmp_path, monkeypatch):
    ds = data.shapes_dataset(32, train_size=64, test_size=32)
    first = study.measure("squeezenet1_1", ds, budget="smoke", directory=tmp_path, sizes=(32,))
    gap = first["accuracy"]["pytorch/32"] - first["accuracy"]["pytorch/8"]
    assert (study.QAT in first["accuracy"]) == (gap > study.QAT_THRESHOLD)
    monkeypatch.setattr(study, "QAT_THRESHOLD", -1.0)  # every int8 network now "loses too much"
    fixed = study.measure("squeezenet1_1", ds, budget="smoke", directory=tmp_path, sizes=(32,))
    assert all(0 <= fixed["accuracy"][k] <= 1 for k in (study.QAT, study.QAT_FLOAT))
    assert fixed["accuracy"]["pytorch/32"] == first["accuracy"]["pytorch/32"], "the same trained network"
