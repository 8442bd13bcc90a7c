"""``shapes``: the offline dataset, generated on the spot so every lesson runs without a download.

Ten classes, one object per image; what tells them apart is *form*, never colour or brightness:

====  ==============  ===================================================================
 id    class           what is drawn
====  ==============  ===================================================================
 0     ``disk``        a plain filled circle
 1     ``target``      concentric rings
 2     ``hstripes``    a round patch of horizontal stripes
 3     ``vstripes``    a round patch of vertical stripes
 4     ``zigzag``      a round patch of horizontal zigzag stripes (chevrons)
 5     ``diamonds``    a round patch of checkerboard turned 45 degrees
 6     ``checker``     a round patch of upright checkerboard
 7     ``dots``        a round patch of dots on a square grid
 8     ``grid``        a round patch of thin lines crossing at right angles (a mesh)
 9     ``cross``       a plus sign, any rotation
====  ==============  ===================================================================

Patterns keep their class's orientation up to a tilt of at most 15 degrees (stripes, zigzags,
checkerboards, dots and grids); disks, targets and crosses turn freely. Every class is unchanged as a
class by a horizontal flip, so the flip augmentation of training never turns one class into another.

Every image draws, independently of its class: the object's position, size, tilt, a slight stretch and
the pattern's period and phase; a foreground and a background colour (uniform in RGB, pushed apart when
too close, then blended closer by a random contrast factor); a colour ramp over the background; a thin
line of random colour crossing the picture (clutter); and pixel noise. Because colours are drawn the
same way for every class, the mean colour of an image says nothing about its class (a nearest-class-mean
colour classifier stays at chance), and because position and phase vary, a linear model on the pixels
does little better: telling stripes from zigzags, or a checkerboard from the same one turned 45
degrees, needs local spatial features, which is what convolutions learn.

In 6% of the pictures, whatever their class, the object is not drawn at all: nothing in them tells
the class, as real datasets hold unreadable pictures. No classifier can do better than
chance on those, so the best possible test accuracy is known exactly: 94% + 6% / 10 = 94.6%.

How hard the other pictures are is set by ``_KNOBS`` and was chosen by measurement, so that at the
``laptop`` budget (10,000 training images, 5 epochs, ``train.fit``'s recipe) the networks of the course
learn visibly and differ: without the blank pictures, MobileNet v1 reached 78%, FD-MobileNet 86% and
ShuffleNet 99% (one seed each); the README's table gives every network, over three seeds, on the set
as it is. (The first version of this set drew seven solid shapes, three clutter lines, more noise and
lower contrast; after the same budget MobileNet v1 was at 16% and FD-MobileNet at 10%. Between the two,
with two clutter lines, noise 0.045 and contrast from 0.5, MobileNet v1 reached 62% and ShuffleNet
97%.)

**shapes100**, the many-class stand-in (for CIFAR-100 at 32x32, Tiny-ImageNet at 64x64): 100 classes,
each a *texture* inside an *outline*, class ``10 * outline + texture``:

- textures: ``solid``, ``rings``, ``hstripes``, ``vstripes``, ``zigzag``, ``diamonds``, ``checker``,
  ``dots``, ``grid``, ``crosses`` (the ten above, with the disk become a solid fill, the target
  concentric rings and the plus sign a tiling of small plus signs);
- outlines: ``disk``, ``square``, ``triangle``, ``hexagon``, ``diamond``, ``ring``, ``dome`` (a disk
  cut flat below), ``plus``, ``flower`` (five petals), ``bar`` (a wide rectangle), upright up to the
  same tilt as the patterns, each unchanged by a horizontal flip.

Everything else is drawn as for the ten classes (the same knobs, colours, clutter, noise and 6% blank
pictures: the ceiling is 94% + 6% / 100 = 94.06%). Telling a dotted hexagon from a dotted disk needs
the outline's corners as well as the texture, so the 100 classes ask more of a network's spatial
features, and of its classifier, than the ten.

The generator is vectorised with torch (one pass per class over a chunk of 256 images, no loop over
images) and deterministic for a seed: chunk ``k`` of a split draws from its own generator seeded by
``(seed, split, k)``, and train and test come from different streams.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

CLASSES = [
    "disk",
    "target",
    "hstripes",
    "vstripes",
    "zigzag",
    "diamonds",
    "checker",
    "dots",
    "grid",
    "cross",
]
# The many-class set's textures: the ten classes' drawings, the disk become a solid fill, the target
# rings and the plus sign a tiling of small plus signs.
TEXTURES = ["solid", "rings", *CLASSES[2:9], "crosses"]
OUTLINES = ["disk", "square", "triangle", "hexagon", "diamond", "ring", "dome", "plus", "flower", "bar"]
MANY_CLASSES = [f"{texture} {outline}" for outline in OUTLINES for texture in TEXTURES]
VERSION = 2  # part of every cache key: results measured on version 1's pictures are not reused

_CHUNK = 256  # images generated together: small tensors stay in cache and cut allocation cost
_SPLIT_IDS = {"train": 0, "test": 1}
# How hard the pictures are (see the module docstring for what these values were measured to give).
_KNOBS = {
    "r_min": 0.28,  # object radius range, as a fraction of the image side
    "r_max": 0.48,
    "inside": 0.6,  # at least this fraction of the radius stays inside the picture
    "tilt_deg": 15.0,  # patterns deviate from their class's orientation by at most this
    "c_min": 0.6,  # lowest contrast factor between object and background
    "lines": 1,  # clutter lines per image
    "line_w": 0.5,  # extra half-width of the clutter lines (pixels)
    "noise": 0.03,  # standard deviation of the pixel noise
    "blank": 0.06,  # fraction of pictures whose object is invisible: no network can exceed 94.6%
    "p_min": 0.45,  # pattern period range, in object radii
    "p_max": 0.65,
}


def _seed(*parts: int) -> int:
    """A well-mixed 63-bit seed from several integers (seed, split, chunk)."""
    state = np.random.SeedSequence(list(parts)).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


def _soft(sdf_px: torch.Tensor) -> torch.Tensor:
    """Coverage in [0, 1] from a signed distance in pixels (negative inside): one-pixel anti-aliasing."""
    return (0.5 - sdf_px).clamp_(0.0, 1.0)


def _box(u: torch.Tensor, v: torch.Tensor, cu: float, cv: float, hu: float, hv: float) -> torch.Tensor:
    """Approximate signed distance to an axis-aligned box (exact inside, good enough at the edge)."""
    return torch.maximum((u - cu).abs() - hu, (v - cv).abs() - hv)


# Each pattern's orientation in degrees, before the per-image tilt; classes not listed turn freely.
ORIENTATION = {
    "hstripes": 0.0,
    "vstripes": 90.0,
    "zigzag": 0.0,
    "diamonds": 45.0,
    "checker": 0.0,
    "dots": 0.0,
    "grid": 0.0,
}


def _square_wave(t: torch.Tensor, duty: float) -> torch.Tensor:
    """Signed distance (in periods) to the 'on' part of a square wave of the given duty cycle."""
    return ((t - torch.floor(t)) - 0.5).abs() - duty / 2


def _centred_fraction(t: torch.Tensor) -> torch.Tensor:
    """Position within the period, in [-0.5, 0.5)."""
    return (t - torch.floor(t)) - 0.5


def _pattern_sdf(name: str, u: torch.Tensor, v: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    """Signed distance, in object units, to the 'on' part of an unbounded pattern."""
    period = p["period"]
    a, b = u / period + p["phase"], v / period + p["phase2"]
    if name in ("hstripes", "vstripes"):  # the rotation has already turned vertical into horizontal
        return _square_wave(b, 0.5) * period
    if name == "zigzag":
        return _square_wave(b + _centred_fraction(a).abs(), 0.5) * period
    if name in ("checker", "diamonds"):
        a, b = _centred_fraction(a), _centred_fraction(b)
        return -torch.sign(a * b) * torch.minimum(a.abs(), b.abs()) * period
    if name == "dots":
        a, b = _centred_fraction(a), _centred_fraction(b)
        return (torch.sqrt(a * a + b * b) - 0.27) * period
    if name == "grid":
        return torch.minimum(_square_wave(a, 0.3), _square_wave(b, 0.3)) * period
    raise ValueError(name)


def _class_sdf(k: int, u: torch.Tensor, v: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    """Signed distance (in object units: the object fits in the unit disk) of class ``k``'s drawing."""
    name = CLASSES[k]
    r = torch.sqrt(u * u + v * v)
    if name == "disk":
        return r - 0.9
    if name == "target":
        return torch.maximum(r - 1.0, _square_wave(r / p["period"] + p["phase"], 0.5) * p["period"])
    if name == "cross":
        return torch.minimum(_box(u, v, 0, 0, 0.85, 0.25), _box(u, v, 0, 0, 0.25, 0.85))
    return torch.maximum(r - 1.0, _pattern_sdf(name, u, v, p))  # a round patch of the pattern


def _texture_sdf(t: int, u: torch.Tensor, v: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    """Signed distance (object units) to texture ``t`` of the many-class set, unbounded."""
    name = TEXTURES[t]
    if name == "solid":
        return torch.full_like(u, -1.0)
    if name == "rings":
        return _square_wave(torch.sqrt(u * u + v * v) / p["period"] + p["phase"], 0.5) * p["period"]
    if name == "crosses":
        a = _centred_fraction(u / p["period"] + p["phase"])
        b = _centred_fraction(v / p["period"] + p["phase2"])
        return torch.minimum(_box(a, b, 0, 0, 0.4, 0.14), _box(a, b, 0, 0, 0.14, 0.4)) * p["period"]
    return _pattern_sdf(name, u, v, p)


def _polygon(u: torch.Tensor, v: torch.Tensor, sides: int, first_deg: float, apothem: float) -> torch.Tensor:
    """A regular polygon's signed distance (exact inside, close enough outside); its edges' normals
    start at ``first_deg`` (0 points right, 90 down: image rows grow downwards)."""
    out = torch.full_like(u, -math.inf)
    for i in range(sides):
        a = math.radians(first_deg + 360.0 * i / sides)
        out = torch.maximum(out, u * math.cos(a) + v * math.sin(a) - apothem)
    return out


def _outline_sdf(o: int, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Signed distance (object units) to outline ``o`` of the many-class set (fits in the unit disk)."""
    name, r = OUTLINES[o], torch.sqrt(u * u + v * v)
    if name == "disk":
        return r - 0.95
    if name == "square":
        return _box(u, v, 0, 0, 0.72, 0.72)
    if name == "triangle":  # apex up
        return _polygon(u, v, 3, 90.0, 0.5)
    if name == "hexagon":
        return _polygon(u, v, 6, 0.0, 0.85)
    if name == "diamond":
        return _polygon(u, v, 4, 45.0, 0.68)
    if name == "ring":
        return (r - 0.68).abs() - 0.3
    if name == "dome":
        return torch.maximum(r - 0.95, v - 0.3)
    if name == "plus":
        return torch.minimum(_box(u, v, 0, 0, 0.92, 0.36), _box(u, v, 0, 0, 0.36, 0.92))
    if name == "flower":  # five petals, one pointing up
        return r - (0.68 + 0.3 * torch.cos(5 * (torch.atan2(v, u) + math.pi / 2)))
    if name == "bar":
        return _box(u, v, 0, 0, 0.95, 0.42)
    raise ValueError(name)


def _class_cover(labels, u, v, shape_params, scale) -> torch.Tensor:
    """Coverage of each picture's drawing, ten-class set: one drawing per class."""
    cover = torch.empty_like(u)
    for k in range(len(CLASSES)):
        idx = (labels == k).nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        params = {name: p[idx].view(-1, 1, 1) for name, p in shape_params.items()}
        cover[idx] = _soft(_class_sdf(k, u[idx], v[idx], params).mul_(scale[idx]))
    return cover


def _many_class_cover(labels, u, v, uo, vo, shape_params, scale) -> torch.Tensor:
    """Coverage of each picture's textured outline, the texture in ``(u, v)``, the outline in ``(uo, vo)``."""
    sdf = torch.empty_like(u)
    for t in range(len(TEXTURES)):
        idx = (labels % len(TEXTURES) == t).nonzero().squeeze(1)
        if idx.numel():
            params = {name: p[idx].view(-1, 1, 1) for name, p in shape_params.items()}
            sdf[idx] = _texture_sdf(t, u[idx], v[idx], params)
    for o in range(len(OUTLINES)):
        idx = (labels // len(TEXTURES) == o).nonzero().squeeze(1)
        if idx.numel():
            sdf[idx] = torch.maximum(sdf[idx], _outline_sdf(o, uo[idx], vo[idx]))
    return _soft(sdf.mul_(scale))


def _render(labels: torch.Tensor, resolution: int, g: torch.Generator, many: bool = False) -> torch.Tensor:
    """Images (n, 3, R, R) as uint8 for the given labels, drawn from generator ``g``."""
    n, res = labels.numel(), resolution
    rand = lambda *shape: torch.rand(*shape, generator=g)
    # Pixel centres in image units [0, 1].
    grid = (torch.arange(res, dtype=torch.float32) + 0.5) / res
    ys, xs = grid.view(1, res, 1), grid.view(1, 1, res)

    # Per-image parameters, drawn for every image in the same order whatever its class, so that
    # changing one class's drawing does not change the other images.
    kn = _KNOBS
    radius = kn["r_min"] + (kn["r_max"] - kn["r_min"]) * rand(n)  # object radius, fraction of the side
    # Centre: the object may stick out of the picture by up to (1 - inside) of its radius.
    lo = radius * kn["inside"]
    cx = lo + (1 - 2 * lo) * rand(n)
    cy = lo + (1 - 2 * lo) * rand(n)
    angle = 2 * math.pi * rand(n)
    tilt = (rand(n) - 0.5) * math.radians(2 * kn["tilt_deg"])  # stripes: orientation is the class
    stretch = 1.0 + 0.25 * (rand(n) - 0.5)
    mirror = torch.where(rand(n) < 0.5, -1.0, 1.0)
    shape_params = {
        "period": kn["p_min"] + (kn["p_max"] - kn["p_min"]) * rand(n),  # in object radii
        "phase": rand(n),
        "phase2": rand(n),
    }
    bg = rand(n, 3)
    fg = rand(n, 3)
    # Push foreground away from background when they are too alike (keeps fg uniform in distribution),
    # then lower the contrast by a random factor: the same for every class, so colour carries no label.
    close = (fg - bg).norm(dim=1, keepdim=True) < 0.45
    fg = torch.where(close, torch.remainder(bg + 0.5, 1.0), fg)
    contrast = kn["c_min"] + (1 - kn["c_min"]) * rand(n, 1)
    blank = rand(n) < kn["blank"]  # pictures whose object is not drawn at all
    fg = bg + contrast * (fg - bg)
    ramp = (rand(n, 3, 2) - 0.5) * 0.3  # background colour gradient along x and y
    n_lines = kn["lines"]
    line_col = rand(n, n_lines, 3)
    line_ang = math.pi * rand(n, n_lines)
    line_off = rand(n, n_lines, 2)
    line_w = 0.5 + kn["line_w"] * rand(n, n_lines)  # half-width in pixels

    # Background: flat colour + ramp (in place from here on: large temporaries are what costs time).
    img = (ramp[:, :, 0, None, None] * (xs - 0.5)).expand(n, 3, res, res).contiguous()
    img.add_(ramp[:, :, 1, None, None] * (ys - 0.5)).add_(bg.view(n, 3, 1, 1))

    # Object: coordinates in object units, rotated and stretched per image.
    names, kinds = (TEXTURES, labels % len(TEXTURES)) if many else (CLASSES, labels)
    base = torch.tensor([math.radians(ORIENTATION.get(name, 0.0)) for name in names])[kinds]
    oriented = torch.tensor([name in ORIENTATION or name == "crosses" for name in names])[kinds]
    ang = torch.where(oriented, base + tilt, angle)
    cos, sin = torch.cos(ang).view(n, 1, 1), torch.sin(ang).view(n, 1, 1)
    inv_r = (1 / radius).view(n, 1, 1)
    dx = (xs - cx.view(n, 1, 1)) * inv_r
    dy = (ys - cy.view(n, 1, 1)) * inv_r
    su = (stretch * mirror).view(n, 1, 1)
    sv = (1 / stretch).view(n, 1, 1)
    u = (cos * su) * dx + (sin * su) * dy
    v = (-sin * sv) * dx + (cos * sv) * dy
    scale = (radius * res).view(n, 1, 1)  # object units to pixels
    if many:  # the outline stays upright (up to the tilt) whatever its texture's orientation
        cos_o, sin_o = torch.cos(tilt).view(n, 1, 1), torch.sin(tilt).view(n, 1, 1)
        uo = (cos_o * su) * dx + (sin_o * su) * dy
        vo = (-sin_o * sv) * dx + (cos_o * sv) * dy
        cover = _many_class_cover(labels, u, v, uo, vo, shape_params, scale)
    else:
        cover = _class_cover(labels, u, v, shape_params, scale)
    cover[blank] = 0.0
    img.lerp_(fg.view(n, 3, 1, 1).expand(n, 3, res, res), cover.unsqueeze(1))

    # Clutter: thin lines of random colour, half transparent, through random points.
    for j in range(n_lines):
        a = line_ang[:, j].view(n, 1, 1)
        px, py = line_off[:, j, 0].view(n, 1, 1), line_off[:, j, 1].view(n, 1, 1)
        dist_px = (xs - px) * (torch.sin(a) * res) - (ys - py) * (torch.cos(a) * res)
        alpha = _soft(dist_px.abs_().sub_(line_w[:, j].view(n, 1, 1))).mul_(0.6)
        img.lerp_(line_col[:, j].view(n, 3, 1, 1).expand(n, 3, res, res), alpha.unsqueeze(1))

    # Pixel noise: uniform, several times cheaper to draw than normal, with the same standard deviation.
    img.add_(torch.rand(n, 3, res, res, generator=g).sub_(0.5), alpha=kn["noise"] * math.sqrt(12))
    return img.clamp_(0, 1).mul_(255).round_().to(torch.uint8)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch single-threaded for a while, then restore the setting.

    The generator works on small tensors (one chunk, one class at a time), where extra threads gain
    little (measured on 16 idle cores: 0.8 s with one thread vs 0.65 s with four for 12k images at
    32x32) but cost a lot when the cores are busy with other work (ten times slower on two shared
    cores).
    """
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def generate(
    n: int, resolution: int = 32, *, seed: int = 0, split: str = "train", classes: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images (uint8, (n, 3, R, R)) and labels (int64), classes balanced and in random order.

    ``classes``: 10 (``CLASSES``) or 100 (``MANY_CLASSES``, the many-class set).
    """
    if classes not in (len(CLASSES), len(MANY_CLASSES)):
        raise ValueError(f"shapes has 10 or 100 classes, got {classes}")
    if resolution < 16:
        raise ValueError(f"shapes needs a resolution of at least 16 pixels, got {resolution}")
    if n < 0:
        raise ValueError(f"number of images must be >= 0, got {n}")
    images = torch.empty(n, 3, resolution, resolution, dtype=torch.uint8)
    labels = torch.empty(n, dtype=torch.int64)
    if split not in _SPLIT_IDS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    split_id = _SPLIT_IDS[split]
    with _one_thread():
        _fill(images, labels, resolution, seed, split_id, classes)
    return images, labels


def _fill(
    images: torch.Tensor, labels: torch.Tensor, resolution: int, seed: int, split_id: int, classes: int
) -> None:
    n, many = images.shape[0], classes == len(MANY_CLASSES)
    for c, start in enumerate(range(0, n, _CHUNK)):
        stop = min(n, start + _CHUNK)
        # The many-class set draws from streams of its own; the ten-class set's stay as they were.
        g = torch.Generator().manual_seed(
            _seed(seed, split_id, c, classes) if many else _seed(seed, split_id, c)
        )
        # Balanced labels: position i gets class i mod classes, then shuffled within the chunk.
        lab = torch.arange(start, stop) % classes
        lab = lab[torch.randperm(stop - start, generator=g)]
        images[start:stop] = _render(lab, resolution, g, many)
        labels[start:stop] = lab
