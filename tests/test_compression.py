"""Deep Compression reproduction: pruning, weight sharing, the byte format and SqueezeNet's cost helper."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from smallnets_edu import compression as C
from smallnets_edu import cost, models


def small_net(seed: int = 0) -> nn.Module:
    """A small model with conv, grouped conv, BatchNorm and linear layers (biases included)."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, groups=4),
        nn.ReLU(),
        nn.Conv2d(32, 24, 1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(24, 10),
    )


@pytest.fixture(scope="module")
def squeezenet_cifar() -> nn.Module:
    torch.manual_seed(1)
    return models.build("squeezenet1_0", variant="cifar", num_classes=10, width_mult=0.25)


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach() for n, p in model.named_parameters() if p.dim() >= 2}


# --------------------------------------------------------------------------------------------------
# Pruning
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("density", [0.33, 0.1, 0.5, 1.0])
def test_pruning_keeps_the_density_in_every_layer(squeezenet_cifar, density):
    pruned = C.prune_by_magnitude(squeezenet_cifar, density)
    for name, w in weights(pruned).items():
        kept = int((w != 0).sum())
        assert kept == max(1, round(density * w.numel())), name
        # within a rounding step of the requested density
        assert abs(kept / w.numel() - density) <= 1 / w.numel() + 1e-12, name
    assert C.overall_density(pruned) == pytest.approx(density, abs=1e-3)


def test_pruning_keeps_the_largest_weights_and_leaves_the_rest_alone(squeezenet_cifar):
    pruned = C.prune_by_magnitude(squeezenet_cifar, 0.33)
    before = weights(squeezenet_cifar)
    for name, w in weights(pruned).items():
        original = before[name]
        kept = w != 0
        assert torch.equal(w[kept], original[kept]), name  # survivors unchanged
        assert original[kept].abs().min() >= original[~kept].abs().max(), name  # the largest survive
    # biases are not pruned, and the original model is untouched
    for (name, p), (_, q) in zip(pruned.named_parameters(), squeezenet_cifar.named_parameters(), strict=True):
        if p.dim() == 1:
            assert torch.equal(p, q), name
    assert all(bool((w != 0).all()) for w in weights(squeezenet_cifar).values())


def test_pruning_exclude_and_bad_input(squeezenet_cifar):
    first = C.weight_names(squeezenet_cifar)[0]
    pruned = C.prune_by_magnitude(squeezenet_cifar, 0.2, exclude=(first,))
    assert C.density(pruned)[first] == 1.0
    assert max(d for n, d in C.density(pruned).items() if n != first) < 0.21
    for bad in (0, 1.5, -0.1, "0.3", True):
        with pytest.raises(ValueError, match="density"):
            C.prune_by_magnitude(squeezenet_cifar, bad)
    with pytest.raises(ValueError, match="exclude"):
        C.prune_by_magnitude(squeezenet_cifar, 0.5, exclude=("no.such.weight",))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_retraining_inside_zeros_kept_leaves_pruned_weights_at_zero(squeezenet_cifar, optimizer):
    pruned = C.prune_by_magnitude(squeezenet_cifar, 0.33)
    mask = {n: w != 0 for n, w in weights(pruned).items()}
    before = {n: w.clone() for n, w in weights(pruned).items()}
    if optimizer == "sgd":
        opt = torch.optim.SGD(pruned.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    else:
        opt = torch.optim.Adam(pruned.parameters(), lr=1e-2, weight_decay=5e-4)
    pruned.train()
    with C.zeros_kept(pruned):
        for step in range(3):
            torch.manual_seed(step)
            loss = nn.functional.cross_entropy(pruned(torch.randn(8, 3, 32, 32)), torch.randint(0, 10, (8,)))
            opt.zero_grad()
            loss.backward()
            opt.step()
    for name, w in weights(pruned).items():
        assert bool((w[~mask[name]] == 0).all()), name
    assert any(not torch.equal(w, before[n]) for n, w in weights(pruned).items())  # it did train
    # outside the block the hooks are gone: the pruned weights get gradients again
    loss = pruned(torch.randn(2, 3, 32, 32)).sum()
    opt.zero_grad()
    loss.backward()
    grad = pruned.features.fire9.expand3x3[0].weight.grad
    assert bool((grad[~mask["features.fire9.expand3x3.0.weight"]] != 0).any())


def test_pruning_and_quantizing_work_on_channels_last_models(squeezenet_cifar):
    """Training on the CPU stores weights channels_last: a reshape of them is a copy, not a view."""
    model = copy.deepcopy(squeezenet_cifar).to(memory_format=torch.channels_last)
    assert not model.features.conv1[0].weight.is_contiguous()
    compressed = C.compress(model, 0.33, 4)
    for name, w in weights(compressed).items():
        assert int((w != 0).sum()) == max(1, round(0.33 * w.numel())), name
        assert torch.unique(w[w != 0]).numel() <= 16, name
    reference = C.compress(squeezenet_cifar, 0.33, 4)
    for name, w in weights(compressed).items():
        assert torch.equal(w, weights(reference)[name]), name
    assert C.stored_size(compressed, bits=4) == C.stored_size(reference, bits=4)


# --------------------------------------------------------------------------------------------------
# Quantization
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kmeans", "linear"])
@pytest.mark.parametrize("bits", [2, 4, 6, 8])
def test_quantized_layers_have_at_most_2_to_the_bits_values(squeezenet_cifar, method, bits):
    quantized = C.quantize_weights(squeezenet_cifar, bits, method)
    for name, w in weights(quantized).items():
        assert torch.unique(w).numel() <= 2**bits, name
    # biases untouched
    for (name, p), (_, q) in zip(
        quantized.named_parameters(), squeezenet_cifar.named_parameters(), strict=True
    ):
        if p.dim() == 1:
            assert torch.equal(p, q), name


def test_quantizing_a_pruned_model_keeps_its_zeros(squeezenet_cifar):
    pruned = C.prune_by_magnitude(squeezenet_cifar, 0.33)
    quantized = C.quantize_weights(pruned, 6)
    for name, w in weights(quantized).items():
        assert torch.equal(w == 0, weights(pruned)[name] == 0), name
        assert torch.unique(w[w != 0]).numel() <= 2**6, name


def test_more_bits_quantize_more_closely(squeezenet_cifar):
    original = weights(squeezenet_cifar)
    errors = []
    for bits in (2, 4, 6, 8):
        quantized = weights(C.quantize_weights(squeezenet_cifar, bits))
        errors.append(sum(float(((quantized[n] - original[n]) ** 2).sum()) for n in original))
    assert errors == sorted(errors, reverse=True) and errors[-1] < errors[0] / 100


def test_kmeans_is_no_worse_than_a_linear_grid():
    torch.manual_seed(0)
    x = torch.randn(20_000) * torch.rand(20_000)  # peaked, like trained weights
    for k in (4, 16, 64):
        km_book, km_assign = C.kmeans_1d(x, k)
        lin_book, lin_assign = C.linear_codebook(x, k)
        km_err = float(((km_book[km_assign] - x) ** 2).sum())
        lin_err = float(((lin_book[lin_assign] - x) ** 2).sum())
        assert km_err <= lin_err
        # every value goes to its nearest centroid
        nearest = (x[:, None] - km_book[None, :]).abs().argmin(1)
        assert torch.allclose(km_book[nearest], km_book[km_assign])


def test_kmeans_uses_its_whole_codebook_on_pruned_weights():
    """Linear initialisation over the kept weights: no centroid is stranded in the pruned gap."""
    torch.manual_seed(0)
    w = torch.rand(30_000) * 2 - 1
    kept = w[w.abs() > 0.67]  # what magnitude pruning to 33% leaves of uniform weights
    for k in (16, 64, 256):
        book, _ = C.kmeans_1d(kept, k)
        assert book.numel() == k
        assert not ((book > -0.67) & (book < 0.67)).any()


def test_kmeans_on_few_distinct_values_returns_them():
    x = torch.tensor([0.5, -1.0, 0.5, 2.0, -1.0])
    book, assign = C.kmeans_1d(x, 8)
    assert book.tolist() == [-1.0, 0.5, 2.0]
    assert torch.equal(book[assign], x)


def test_quantize_bad_input(squeezenet_cifar):
    for bits in (0, 17, 2.5, True):
        with pytest.raises(ValueError, match="bits"):
            C.quantize_weights(squeezenet_cifar, bits)
    with pytest.raises(ValueError, match="method"):
        C.quantize_weights(squeezenet_cifar, 4, method="median")


# --------------------------------------------------------------------------------------------------
# Bytes
# --------------------------------------------------------------------------------------------------


def assert_same_state(a: nn.Module, b: nn.Module) -> None:
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), name


@pytest.mark.parametrize("huffman", [False, True])
@pytest.mark.parametrize("sparse", [True, False])
@pytest.mark.parametrize("density,bits", [(0.33, 8), (0.33, 6), (0.1, 4), (1.0, 5)])
def test_round_trip_reproduces_the_compressed_weights(density, bits, sparse, huffman):
    model = small_net()
    model[1].running_mean.normal_()  # BatchNorm buffers travel too
    compressed = C.compress(model, density, bits)
    width = bits + 1 if (not sparse and density < 1) else bits  # a dense format stores the zero too
    blob = C.encode(compressed, bits=width, sparse=sparse, huffman=huffman)
    assert_same_state(C.decode(blob, small_net(seed=5)), compressed)
    assert C.stored_size(compressed, bits=width, sparse=sparse, huffman=huffman) == len(blob)


def test_round_trip_of_an_uncompressed_model_and_of_fixed_index_widths(squeezenet_cifar):
    blob = C.encode(squeezenet_cifar)
    assert_same_state(C.decode(blob, squeezenet_cifar), squeezenet_cifar)
    compressed = C.compress(squeezenet_cifar, 0.33, 6)
    for index_bits in (1, 3, 8):
        for huffman in (False, True):
            blob = C.encode(compressed, bits=6, index_bits=index_bits, huffman=huffman)
            assert_same_state(C.decode(blob, squeezenet_cifar), compressed)


def test_stored_size_is_the_length_of_the_bytes_and_of_the_breakdown(squeezenet_cifar):
    compressed = C.compress(squeezenet_cifar, 0.33, 8)
    for kwargs in ({"bits": 8}, {"bits": 8, "huffman": True}, {}, {"sparse": False}, {"index_bits": 8}):
        blob = C.encode(compressed, **kwargs)
        rows = C.size_breakdown(compressed, **kwargs)
        assert C.stored_size(compressed, **kwargs) == len(blob)
        assert sum(r.total for r in rows) + 8 == len(blob)  # + magic and tensor count
        assert [r.name for r in rows] == [
            n for n, t in compressed.state_dict().items() if t.is_floating_point()
        ]


def test_an_uncompressed_model_costs_four_bytes_per_parameter_plus_headers(squeezenet_cifar):
    n_params = cost.count_params(squeezenet_cifar)
    dense = C.stored_size(squeezenet_cifar, sparse=False)
    n_tensors = len(squeezenet_cifar.state_dict())
    assert C.dense_size(squeezenet_cifar) == 4 * n_params
    assert 4 * n_params < dense <= 4 * n_params + 8 + 5 * n_tensors


def test_stored_size_decreases_with_bits_and_density(squeezenet_cifar):
    for huffman in (False, True):
        by_bits = [
            C.stored_size(C.compress(squeezenet_cifar, 0.33, b), bits=b, huffman=huffman)
            for b in (8, 6, 4, 2)
        ]
        assert by_bits == sorted(by_bits, reverse=True) and len(set(by_bits)) == 4
        by_density = [
            C.stored_size(C.compress(squeezenet_cifar, d, 6), bits=6, huffman=huffman)
            for d in (1.0, 0.5, 0.33, 0.1)
        ]
        assert by_density == sorted(by_density, reverse=True) and len(set(by_density)) == 4


def test_sizes_match_the_bits_they_store(squeezenet_cifar):
    """Fixed widths: the value stream is exactly nnz * bits / 8 and the index stream entries * width / 8."""
    compressed = C.compress(squeezenet_cifar, 0.33, 6)
    for row in C.size_breakdown(compressed, bits=6, index_bits=4):
        if row.index_bits is None:
            assert row.values == 4 * row.numel  # a bias, float32
            continue
        assert row.values == math.ceil(row.nonzero * 6 / 8)
        assert row.index >= math.ceil(row.nonzero * 4 / 8)  # fillers can only add entries
        assert row.codebook <= 4 * 2**6


def test_huffman_coding_never_adds_bytes_and_helps_long_streams(squeezenet_cifar):
    for bits in (8, 4):
        compressed = C.compress(squeezenet_cifar, 0.33, bits)
        plain = C.size_breakdown(compressed, bits=bits)
        coded = C.size_breakdown(compressed, bits=bits, huffman=True)
        for p, c in zip(plain, coded, strict=True):
            assert c.total <= p.total, p.name  # a tensor keeps fixed widths when tables would cost more
    # one long tensor of peaked weights (as trained weights are): the codes then pay for their tables
    torch.manual_seed(0)
    layer = nn.Linear(1000, 400)
    with torch.no_grad():
        layer.weight.copy_(torch.distributions.Laplace(0.0, 0.05).sample(layer.weight.shape))
    compressed = C.compress(layer, 0.33, 6)
    plain, coded = C.stored_size(compressed, bits=6), C.stored_size(compressed, bits=6, huffman=True)
    assert coded < 0.95 * plain
    assert "Huffman" in C.size_breakdown(compressed, bits=6, huffman=True)[0].kind
    skewed = np.array([1000, 10, 10, 5, 1, 0, 0, 3])
    lengths = C.huffman_lengths(skewed)
    assert lengths[0] == 1 and (lengths[skewed == 0] == 0).all()
    assert sum(2.0 ** -lengths[lengths > 0]) == pytest.approx(1.0)  # a complete prefix code
    capped = C.huffman_lengths(np.array([2**i for i in range(30)]), limit=16)
    assert capped.max() <= 16 and sum(2.0 ** -capped.astype(float)) <= 1.0


def test_relative_indices_round_trip_with_fillers():
    rng = np.random.default_rng(0)
    positions = np.sort(rng.choice(10_000, size=300, replace=False))
    positions[0] = 0
    for index_bits in range(1, 9):
        entries = C.relative_indices(positions, index_bits)
        assert entries.max() <= 2**index_bits - 1
        assert np.array_equal(C.positions_from_relative(entries, index_bits), positions)
    # a gap of 20 zeros with 3-bit indices (filler 7 skips 7): 7 + 7 + 6 skipped, then the weight
    assert C.relative_indices(np.array([20]), 3).tolist() == [7, 7, 6]


def test_encode_refuses_what_it_cannot_store(squeezenet_cifar):
    with pytest.raises(ValueError, match="quantize first"):
        C.encode(squeezenet_cifar, bits=8)
    compressed = C.quantize_weights(squeezenet_cifar, 4)
    assert max(torch.unique(w).numel() for w in weights(compressed).values()) == 16
    with torch.no_grad():
        compressed.classifier.conv10[0].weight[0, 0] = 0.0  # one pruned weight: 17 values in that layer
    with pytest.raises(ValueError, match="dense format"):
        C.encode(compressed, bits=4, sparse=False)
    with pytest.raises(ValueError, match="index_bits"):
        C.encode(compressed, bits=4, index_bits=9)
    blob = C.encode(compressed, bits=4)
    with pytest.raises(ValueError, match="SQZ1"):
        C.decode(b"nope" + blob[4:], compressed)
    with pytest.raises(ValueError, match="truncated"):
        C.decode(blob[:-10], compressed)
    with pytest.raises(ValueError, match="architecture"):
        C.decode(blob, small_net())


# --------------------------------------------------------------------------------------------------
# SqueezeNet's cost from its metaparameters
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"squeeze_ratio": 0.75, "pct3x3": 0.25},
        {"squeeze_ratio": 1.0, "pct3x3": 0.99, "resolution": 227},
        {"squeeze_ratio": 0.375, "pct3x3": 0.125, "version": "1_1"},
        {"squeeze_ratio": 0.5, "variant": "cifar", "resolution": 32, "num_classes": 10},
        {"width_mult": 0.5, "resolution": 160},
    ],
)
def test_squeezenet_cost_agrees_with_the_profile_of_the_built_model(kwargs):
    version = kwargs.pop("version", "1_0")
    resolution = kwargs.pop("resolution", 224)
    ours = C.squeezenet_cost(version=version, resolution=resolution, **kwargs)
    build = {k: v for k, v in kwargs.items() if k != "num_classes"}
    model = models.build(f"squeezenet{version}", num_classes=kwargs.get("num_classes", 1000), **build)
    prof = cost.profile(model, resolution)
    assert ours.params == prof.params
    assert ours.macs == prof.macs
    assert ours.largest_activation * 4 >= prof.largest_activation_bytes
    assert ours.size_mb == pytest.approx(4 * prof.params / 2**20)


def test_squeezenet_cost_grows_with_both_knobs():
    sizes = [C.squeezenet_cost(sr).params for sr in (0.125, 0.25, 0.5, 0.75, 1.0)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5
    sizes = [C.squeezenet_cost(0.5, pct).params for pct in (0.01, 0.25, 0.5, 0.75, 0.99)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5


def test_draw_fire_reads_the_module():
    net = models.build("squeezenet1_0", bypass="complex")
    for name in ("fire2", "fire3"):
        fire = getattr(net.features, name)
        fig = C.draw_fire(fire, title=name)
        assert tuple(fig.get_size_inches()) == C.FIRE_DIAGRAM_SIZE
        heading = fig._suptitle.get_text()
        assert f"{cost.count_params(fire):,} parameters" in heading and "bypass" in heading
    with pytest.raises(ValueError, match="Fire module"):
        C.draw_fire(nn.Conv2d(3, 3, 1))
