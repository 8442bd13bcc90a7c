"""``shapes``: the offline dataset, generated on the spot so every lesson runs without a download.

Ten classes, one object per image; what tells them apart is *form*, never colour or brightness:

====  ==============  ===================================================================
 id    class           what is drawn
====  ==============  ===================================================================
 0     ``disk``        a filled circle
 1     ``ring``        a circle outline (annulus)
 2     ``square``      a filled square, any rotation
 3     ``triangle``    a filled equilateral triangle, any rotation
 4     ``cross``       a plus sign, any rotation
 5     ``ell``         an L shape, any rotation (and mirrored)
 6     ``pair``        two small disks side by side, any orientation (a spatial arrangement)
 7     ``hstripes``    a round patch of horizontal stripes (tilted at most 20 degrees)
 8     ``vstripes``    a round patch of vertical stripes (tilted at most 20 degrees)
 9     ``checker``     a round patch of checkerboard, any rotation
====  ==============  ===================================================================

Every image draws, independently of its class: the object's position, size, rotation and a slight
stretch; a foreground and a background colour (uniform in RGB, pushed apart when too close); a
colour ramp over the background; two thin lines of random colour crossing the picture (clutter);
and pixel noise. Because the colours are drawn the same way for every class, the mean colour
of an image says nothing about its class (a nearest-class-mean colour classifier stays at chance),
and because position and rotation vary, a linear model on pixels does poorly: telling a ring from a
disk or horizontal from vertical stripes needs local spatial features, which is what convolutions learn.

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
    "ring",
    "square",
    "triangle",
    "cross",
    "ell",
    "pair",
    "hstripes",
    "vstripes",
    "checker",
]

_CHUNK = 256  # images generated together: small tensors stay in cache and cut allocation cost
_SPLIT_IDS = {"train": 0, "test": 1}
# How hard the pictures are. Measured with these values (10k train / 2k test, SGD one-cycle, crop+flip):
# a 5-conv CNN of about 140k parameters reaches 57% / 93% / 98% test accuracy after 5 / 15 / 40 epochs
# at 32x32 (50% / 78% / 99% at 64x64); logistic regression on the pixels 11-12%; nearest class-mean
# colour 10% (chance).
_KNOBS = {
    "r_min": 0.18,  # object radius range, as a fraction of the image side
    "r_max": 0.42,
    "inside": 0.6,  # at least this fraction of the radius stays inside the picture
    "tilt_deg": 30.0,  # stripes deviate from horizontal / vertical by at most this
    "c_min": 0.4,  # lowest contrast factor between object and background
    "lines": 3,  # clutter lines per image
    "line_w": 0.5,  # extra half-width of the clutter lines (pixels)
    "noise": 0.055,  # standard deviation of the pixel noise
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


def _class_sdf(k: int, u: torch.Tensor, v: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    """Signed distance (in object units: the object fits in the unit disk) of class ``k``'s drawing."""
    r = torch.sqrt(u * u + v * v)
    if k == 0:  # disk
        return r - 0.9
    if k == 1:  # ring: a band of half-width w whose outer edge is at radius 0.95
        return (r - (0.95 - p["width"])).abs() - p["width"]
    if k == 2:  # square
        return torch.maximum(u.abs(), v.abs()) - 0.68
    if k == 3:  # triangle: intersection of three half-planes (circumradius 1, inradius 0.5)
        d = None
        for a in (math.pi / 2, math.pi / 2 + 2 * math.pi / 3, math.pi / 2 + 4 * math.pi / 3):
            e = u * math.cos(a) + v * math.sin(a) - 0.5
            d = e if d is None else torch.maximum(d, e)
        return d
    if k == 4:  # cross
        return torch.minimum(_box(u, v, 0, 0, 0.85, 0.22), _box(u, v, 0, 0, 0.22, 0.85))
    if k == 5:  # ell
        return torch.minimum(_box(u, v, -0.45, 0.0, 0.22, 0.85), _box(u, v, 0.1, 0.63, 0.77, 0.22))
    if k == 6:  # pair of disks
        return torch.minimum(torch.sqrt((u - 0.55) ** 2 + v * v), torch.sqrt((u + 0.55) ** 2 + v * v)) - 0.35
    # Patches: the texture inside the unit disk, stripes of half the period wide.
    if k in (7, 8):
        period = p["period"]
        t = (v if k == 7 else u) / period + p["phase"]
        stripe = ((t - torch.floor(t)) - 0.5).abs() - 0.25  # in units of the period
        return torch.maximum(r - 1.0, stripe * period)
    if k == 9:
        period = p["period"]
        a = u / period + p["phase"]
        b = v / period + p["phase"]
        a = (a - torch.floor(a)) - 0.5
        b = (b - torch.floor(b)) - 0.5
        checker = -torch.sign(a * b) * torch.minimum(a.abs(), b.abs()) * period
        return torch.maximum(r - 1.0, checker)
    raise ValueError(k)


def _render(labels: torch.Tensor, resolution: int, g: torch.Generator) -> torch.Tensor:
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
        "period": 0.42 + 0.2 * rand(n),  # stripe / checker period in object units
        "phase": rand(n),
        "width": 0.15 + 0.2 * rand(n),  # ring half-width: thick rings come close to disks
    }
    bg = rand(n, 3)
    fg = rand(n, 3)
    # Push foreground away from background when they are too alike (keeps fg uniform in distribution),
    # then lower the contrast by a random factor: the same for every class, so colour carries no label.
    close = (fg - bg).norm(dim=1, keepdim=True) < 0.45
    fg = torch.where(close, torch.remainder(bg + 0.5, 1.0), fg)
    contrast = kn["c_min"] + (1 - kn["c_min"]) * rand(n, 1)
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
    ang = torch.where(labels >= 7, tilt, angle)
    ang = torch.where(labels == 9, angle, ang)
    cos, sin = torch.cos(ang).view(n, 1, 1), torch.sin(ang).view(n, 1, 1)
    inv_r = (1 / radius).view(n, 1, 1)
    dx = (xs - cx.view(n, 1, 1)) * inv_r
    dy = (ys - cy.view(n, 1, 1)) * inv_r
    su = (stretch * mirror).view(n, 1, 1)
    sv = (1 / stretch).view(n, 1, 1)
    u = (cos * su) * dx + (sin * su) * dy
    v = (-sin * sv) * dx + (cos * sv) * dy
    cover = torch.empty(n, res, res)
    for k in range(len(CLASSES)):
        idx = (labels == k).nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        params = {name: p[idx].view(-1, 1, 1) for name, p in shape_params.items()}
        sdf = _class_sdf(k, u[idx], v[idx], params)
        cover[idx] = _soft(sdf.mul_((radius[idx] * res).view(-1, 1, 1)))
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
    n: int, resolution: int = 32, *, seed: int = 0, split: str = "train"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images (uint8, (n, 3, R, R)) and labels (int64), classes balanced and in random order."""
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
        _fill(images, labels, resolution, seed, split_id)
    return images, labels


def _fill(images: torch.Tensor, labels: torch.Tensor, resolution: int, seed: int, split_id: int) -> None:
    n = images.shape[0]
    for c, start in enumerate(range(0, n, _CHUNK)):
        stop = min(n, start + _CHUNK)
        g = torch.Generator().manual_seed(_seed(seed, split_id, c))
        # Balanced labels: position i gets class i mod 10, then shuffled within the chunk.
        lab = torch.arange(start, stop) % len(CLASSES)
        lab = lab[torch.randperm(stop - start, generator=g)]
        images[start:stop] = _render(lab, resolution, g)
        labels[start:stop] = lab
