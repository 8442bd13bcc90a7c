"""The tensor Loader: layout, normalisation, augmentation semantics, shuffling, sharding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from smallnets_edu import data

MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _split(n: int = 64, size: int = 8, seed: int = 0) -> data.Split:
    """Random images whose label is their index, so every batch says where each image came from."""
    g = torch.Generator().manual_seed(seed)
    return data.Split(
        torch.randint(1, 256, (n, 3, size, size), dtype=torch.uint8, generator=g), torch.arange(n)
    )


def _unnormalise(x: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return ((x * std + mean) * 255).round().to(torch.uint8)


@pytest.mark.parametrize("device", DEVICES)
def test_eval_loader_is_ordered_normalised_and_complete(device):
    split = _split(50)
    ld = data.Loader(split, 16, train=False, mean=MEAN, std=STD, device=device)
    batches = list(ld)
    assert len(ld) == len(batches) == 4 and [len(y) for _, y in batches] == [16, 16, 16, 2]
    x, y = batches[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and x.shape == (16, 3, 8, 8)
    assert x.device.type == device and y.device.type == device
    labels = torch.cat([y for _, y in batches]).cpu()
    assert labels.tolist() == list(range(50))
    images = torch.cat([_unnormalise(x) for x, _ in batches]).cpu()
    assert torch.equal(images, split.images)
    cl = data.Loader(split, 16, train=False, mean=MEAN, std=STD, device=device, channels_last=True)
    for (a, _), (b, _) in zip(ld, cl, strict=True):
        assert b.is_contiguous(memory_format=torch.channels_last) and torch.equal(a, b)


def _crops(image: torch.Tensor, pad: int) -> list[torch.Tensor]:
    """Every zero-padded crop of an image and its mirror image (the reference semantics)."""
    _c, h, w = image.shape
    padded = F.pad(image, (pad, pad, pad, pad))
    out = []
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = padded[:, dy : dy + h, dx : dx + w]
            out += [crop, crop.flip(-1)]
    return out


@pytest.mark.parametrize("channels_last", [False, True])
def test_augmented_images_are_padded_crops_or_flips_of_the_image_their_label_names(channels_last):
    split = _split(40, size=8)
    ld = data.Loader(split, 16, train=True, mean=MEAN, std=STD, pad=2, channels_last=channels_last)
    assert len(ld) == 2  # drop_last by default when training
    seen_offsets, changed, flipped = set(), 0, 0
    for x, y in ld:
        if channels_last:
            assert x.is_contiguous(memory_format=torch.channels_last)
        for img, label in zip(_unnormalise(x), y.tolist(), strict=True):
            source = split.images[label]
            matches = [i for i, crop in enumerate(_crops(source, 2)) if torch.equal(crop, img)]
            assert matches, f"image labelled {label} is not a crop of image {label}"
            seen_offsets.add(matches[0] // 2)
            flipped += matches[0] % 2
            changed += not torch.equal(img, source)
    assert changed >= 28 and len(seen_offsets) >= 8 and 4 <= flipped <= 28


def test_augmentation_can_be_switched_off_and_flips_alone():
    split = _split(32)
    plain = data.Loader(split, 8, train=True, mean=MEAN, std=STD, augment=False)
    for x, y in plain:
        assert torch.equal(_unnormalise(x), split.images[y])
    flips = data.Loader(split, 8, train=True, mean=MEAN, std=STD, pad=0)
    for x, y in flips:
        for img, label in zip(_unnormalise(x), y.tolist(), strict=True):
            assert torch.equal(img, split.images[label]) or torch.equal(img, split.images[label].flip(-1))


def test_epochs_reshuffle_deterministically():
    split = _split(64)
    order = lambda ld: torch.cat([y for _, y in ld]).tolist()
    a = data.Loader(split, 8, train=True, mean=MEAN, std=STD, seed=1)
    b = data.Loader(split, 8, train=True, mean=MEAN, std=STD, seed=1)
    e0, e1 = order(a), order(a)  # epochs advance by themselves
    assert e0 != e1 and sorted(e0) == list(range(64))
    assert order(b) == e0 and b.epoch == 1
    b.set_epoch(1)
    xa = torch.cat([x for x, _ in b])
    assert b.epoch == 2
    a.set_epoch(1)
    assert torch.equal(torch.cat([x for x, _ in a]), xa), "epoch 1 must repeat exactly, augmentation included"
    a.set_epoch(0)
    assert order(a) == e0
    c = data.Loader(split, 8, train=True, mean=MEAN, std=STD, seed=2)
    assert order(c) != e0


@pytest.mark.parametrize("n, world", [(50, 3), (64, 4)])
def test_shards_are_disjoint_and_cover_the_split(n, world):
    split = _split(n)
    for epoch in (0, 5):
        seen = []
        for rank in range(world):
            ld = data.Loader(split, 4, train=True, mean=MEAN, std=STD, drop_last=False, shard=(rank, world))
            ld.set_epoch(epoch)
            labels = torch.cat([y for _, y in ld]).tolist()
            assert len(labels) in (n // world, n // world + 1)
            seen += labels
        assert sorted(seen) == list(range(n))
    # With drop_last (the training default) every rank runs the same number of steps, as DDP needs.
    lens = [
        len(data.Loader(split, 4, train=True, mean=MEAN, std=STD, shard=(r, world))) for r in range(world)
    ]
    assert len(set(lens)) == 1 and lens[0] == (n // world) // 4
    parts = [
        set(
            torch.cat(
                [y for _, y in data.Loader(split, 4, train=True, mean=MEAN, std=STD, shard=(r, world))]
            ).tolist()
        )
        for r in range(world)
    ]
    assert all(not (parts[i] & parts[j]) for i in range(world) for j in range(i + 1, world))


def test_bad_arguments_are_clear_errors():
    split = _split(8)
    with pytest.raises(ValueError, match="batch_size"):
        data.Loader(split, 0, train=True, mean=MEAN, std=STD)
    with pytest.raises(ValueError, match="shard"):
        data.Loader(split, 2, train=True, mean=MEAN, std=STD, shard=(2, 2))
    with pytest.raises(ValueError, match="mean and std"):
        data.Loader(split, 2, train=True, mean=(0.5,), std=STD)


def test_loader_feeds_a_model_on_a_real_dataset(monkeypatch):
    monkeypatch.setattr(data, "SHAPES_SIZES", (256, 64))
    ds = data.load("shapes")
    ld = data.Loader(ds.train, 64, train=False, mean=ds.mean, std=ds.std)
    x = torch.cat([x for x, _ in ld])
    # Normalised with the train statistics, the train split has mean ~0 and std ~1 per channel.
    assert x.mean(dim=(0, 2, 3)).abs().max() < 1e-3
    assert (x.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-2
