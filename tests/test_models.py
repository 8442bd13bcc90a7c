"""Every registered model: builds in every variant it supports, runs forward and backward in both
memory formats, and its per-layer cost profile sums exactly to PyTorch's FlopCounterMode count."""

import pytest
import torch

from smallnets_edu import cost, models

TYPICAL = {"imagenet": 224, "cifar": 32, "tiny": 64}
CASES = [(name, variant) for name in models.names() for variant in models.info(name).variants]


def test_every_family_is_registered():
    expected = {"squeezenet1_0", "squeezenet1_1", "mobilenet_v1", "shufflenet_v1", "mobilenet_v2", "effnet"}
    assert expected | {"fd_mobilenet"} <= set(models.names())


@pytest.mark.parametrize("name, variant", CASES)
def test_forward_backward_at_smallest_and_typical_size(name, variant):
    torch.manual_seed(0)
    model = models.build(name, num_classes=7, variant=variant)
    sizes = sorted({model.min_resolution, TYPICAL[variant]})
    for size in sizes:
        for memory_format in (torch.contiguous_format, torch.channels_last):
            model.to(memory_format=memory_format).train()
            x = torch.randn(2, 3, size, size).contiguous(memory_format=memory_format)
            out = model(x)
            assert out.shape == (2, 7), f"{name}/{variant} at {size}: output {tuple(out.shape)}"
            out.logsumexp(1).sum().backward()
            grads = [p.grad for p in model.parameters() if p.requires_grad]
            assert all(g is not None and torch.isfinite(g).all() for g in grads)
            model.zero_grad(set_to_none=True)


@pytest.mark.parametrize("name, variant", CASES)
def test_input_smaller_than_the_minimum_is_a_clear_error(name, variant):
    model = models.build(name, num_classes=3, variant=variant).eval()
    smallest = model.min_resolution
    with pytest.raises(ValueError, match=f"at least {smallest}x{smallest}"):
        model(torch.zeros(1, 3, smallest - 1, smallest - 1))


@pytest.mark.parametrize("name, variant", CASES)
def test_profile_sums_exactly_to_flop_counter(name, variant):
    model = models.build(name, num_classes=10, variant=variant)
    resolution = TYPICAL[variant]
    prof = cost.profile(model, resolution)
    assert prof.macs == cost.flop_counter_macs(model, resolution)
    assert sum(layer.params for layer in prof.layers) == cost.count_params(model)


@pytest.mark.parametrize("name", models.names())
def test_width_multiplier_shrinks_the_model(name):
    variant = models.info(name).variants[0]
    big = models.build(name, variant=variant, width_mult=1.0)
    small = models.build(name, variant=variant, width_mult=0.5)
    assert cost.count_params(small) < cost.count_params(big)


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"valid names are: .*mobilenet_v2"):
        models.build("mobilenet_v3")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width_mult": 0}, "width_mult must be a finite number greater than 0"),
        ({"width_mult": -0.5}, "width_mult must be a finite number greater than 0"),
        ({"num_classes": 0}, "num_classes must be a positive integer"),
        ({"num_classes": 2.5}, "num_classes must be a positive integer"),
        ({"variant": "mnist"}, "no 'mnist' variant"),
        ({"colour": "blue"}, "unknown option.*colour.*its options are"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build("mobilenet_v2", **kwargs)


def test_groups_not_allowed_is_a_clear_error():
    with pytest.raises(ValueError, match="groups"):
        models.build("shufflenet_v1", groups=5)


def test_models_know_their_name_and_variant():
    model = models.build("mobilenet_v1", variant="cifar", num_classes=10)
    assert (model.name, model.variant) == ("mobilenet_v1", "cifar")
