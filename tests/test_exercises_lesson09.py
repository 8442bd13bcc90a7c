"""Lesson 09's checkers accept right answers and explain typical wrong ones, without the solution."""

from __future__ import annotations

import torch
from torch import nn

from smallnets_edu import deploy, models
from smallnets_edu.exercises import lesson09


def texts(feedback) -> str:
    return feedback.message + " " + (feedback.hint or "")


# --------------------------------------------------------------------------------------------------
# Exercise 1
# --------------------------------------------------------------------------------------------------


def by_hand():
    conv, bn = lesson09.fold_exercise()
    s = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    return conv, bn, s


def test_fold_placeholders_are_unanswered():
    assert lesson09.check_fold(None, None).status == "unanswered"
    conv, _, s = by_hand()
    assert lesson09.check_fold(conv.weight * s.view(-1, 1, 1, 1), None).status == "unanswered"


def test_fold_accepts_the_formula_and_lists():
    conv, bn, s = by_hand()
    weight, bias = conv.weight.detach() * s.view(-1, 1, 1, 1), bn.bias.detach() - bn.running_mean * s
    assert lesson09.check_fold(weight, bias)
    assert lesson09.check_fold(weight.tolist(), bias.tolist())
    assert lesson09.check_fold(weight.double().numpy(), bias.double().numpy())


def test_fold_recognises_typical_slips():
    conv, bn, s = by_hand()
    w, mean, beta = conv.weight.detach(), bn.running_mean, bn.bias.detach()
    per = lambda t: t.view(-1, 1, 1, 1)
    fb = lesson09.check_fold(w * per(s), beta)
    assert not fb and "mean" in fb.message
    no_sqrt = bn.weight.detach() / (bn.running_var + bn.eps)
    fb = lesson09.check_fold(w * per(no_sqrt), beta - mean * no_sqrt)
    assert not fb and "square root" in fb.message
    fb = lesson09.check_fold(w, beta - mean * s)
    assert not fb and "weights as they were" in fb.message
    fb = lesson09.check_fold(w * per(s), beta + mean * s)
    assert not fb and "adding the mean" in fb.message


def test_fold_explains_shapes_and_types():
    conv, _, s = by_hand()
    fb = lesson09.check_fold(conv.weight[:, :2] * s.view(-1, 1, 1, 1), torch.zeros(4))
    assert not fb and "shape" in fb.message and "(out, 1, 1, 1)" in texts(fb)
    fb = lesson09.check_fold(conv.weight * s.view(1, -1, 1, 1)[:, :3], torch.zeros(4))  # wrong axis
    assert not fb and "does not match" in fb.message
    fb = lesson09.check_fold(conv.weight.detach(), torch.zeros(3))
    assert not fb and "shape (4,)" in fb.message
    fb = lesson09.check_fold("weights", torch.zeros(4))
    assert not fb and "tensor" in fb.message
    assert lesson09.check_fold.title.startswith("Exercise 1")


def test_the_exercise_conv_has_no_bias_and_the_folded_one_has():
    conv, bn = lesson09.fold_exercise()
    assert conv.bias is None and deploy.fold_conv_bn(conv, bn).bias is not None


# --------------------------------------------------------------------------------------------------
# Exercise 2
# --------------------------------------------------------------------------------------------------


def test_int8_size_accepts_one_byte_per_weight():
    est = lesson09.int8_estimate()
    assert est["bytes"] == est["weights"] + 4 * est["biases"]
    net = models.build_meta(lesson09.INT8_NETWORK, num_classes=10, variant="cifar")
    params = sum(p.numel() for p in net.parameters())
    assert lesson09.check_int8_size(est["bytes"])
    assert lesson09.check_int8_size(params)  # one byte per parameter is a fair estimate
    assert lesson09.check_int8_size(f"{est['bytes']:,}")
    fb = lesson09.check_int8_size(est["bytes"])
    assert "16 bytes" in fb.message and "quarter" in fb.message


def test_int8_size_recognises_typical_slips():
    truth = lesson09.int8_estimate()["bytes"]
    fb = lesson09.check_int8_size(4 * truth)
    assert not fb and "32-bit" in fb.message
    fb = lesson09.check_int8_size(8 * truth)
    assert not fb and "one byte" in fb.message
    fb = lesson09.check_int8_size(truth // 2)
    assert not fb and "less" in fb.message
    assert lesson09.check_int8_size(None).status == "unanswered"
    assert not lesson09.check_int8_size(-5)
    assert not lesson09.check_int8_size("a lot")


def test_the_estimate_is_close_to_what_fx_stores():
    """The checker's payload is within a quarter of the measured int8 file (the rest: scales, format)."""
    net = models.build("squeezenet1_1", num_classes=10, variant="cifar").eval()
    measured = deploy.model_bytes(deploy.quantize(net, torch.randn(4, 3, 32, 32)))
    payload = lesson09.int8_estimate("squeezenet1_1")["bytes"]
    assert payload < measured < 1.25 * payload


# --------------------------------------------------------------------------------------------------
# Exercise 3
# --------------------------------------------------------------------------------------------------


def test_levels_accepts_the_counts():
    per_tensor, per_channel = lesson09.levels_used()
    assert (per_tensor, per_channel) == (5, 255)
    assert lesson09.check_levels(5, 255)
    assert lesson09.check_levels("5", 255.0)


def test_levels_recognises_typical_slips():
    fb = lesson09.check_levels(2, 255)
    assert not fb and "positive" in fb.message
    fb = lesson09.check_levels(5, 256)
    assert not fb and "-128" in fb.message
    fb = lesson09.check_levels(4, 255)
    assert not fb and "Zero" in fb.hint
    fb = lesson09.check_levels(5, 127)
    assert not fb and "positive" in fb.message
    fb = lesson09.check_levels(2.5, 255)
    assert not fb and "whole number" in fb.message
    assert lesson09.check_levels(None, None).status == "unanswered"
    assert lesson09.check_levels(5, None).status == "unanswered"


def test_levels_match_the_rounding_of_deploy():
    peaks = torch.tensor(lesson09.DEPTHWISE_PEAKS)
    w = torch.linspace(-1, 1, 201).repeat(4, 1) * peaks.view(-1, 1)
    step = peaks.max() / 127
    levels = torch.unique(torch.round(w[-1] / step)).numel()
    assert levels == lesson09.levels_used()[0]
    assert isinstance(nn.Conv2d(1, 1, 1), nn.Module)  # the module imports what the lesson needs
