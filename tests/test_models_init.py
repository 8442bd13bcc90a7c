"""Every network starts where a classifier should: a first loss near ln(classes), at any class count.

A head initialised for 1000 classes but built for 10 gives logits far too large (FD-MobileNet's
authors' fan-out init: a first loss near 8 at 10 classes); the network then spends its first steps
undoing its own initialisation. The bound is ln(C) + 0.5 on random inputs in training mode.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from smallnets_edu import models

RESOLUTION = {"cifar": 32, "tiny": 64}


@pytest.mark.parametrize("classes", [10, 100, 200])
@pytest.mark.parametrize("variant", ["cifar", "tiny"])
@pytest.mark.parametrize("name", models.names())
def test_first_loss_is_near_chance(name, variant, classes):
    torch.manual_seed(0)
    model = models.build(name, num_classes=classes, variant=variant).train()
    side = RESOLUTION[variant]
    x = torch.randn(32, 3, side, side)
    y = torch.randint(0, classes, (32,))
    with torch.no_grad():
        loss = F.cross_entropy(model(x), y).item()
    assert loss <= math.log(classes) + 0.5, f"{name} ({variant}, {classes} classes) starts at loss {loss:.2f}"


def test_fd_mobilenet_keeps_the_authors_init_as_an_option():
    torch.manual_seed(0)
    paper = models.build("fd_mobilenet", num_classes=10, variant="cifar", classifier_init="paper")
    torch.manual_seed(0)
    scaled = models.build("fd_mobilenet", num_classes=10, variant="cifar")
    # Kaiming fan-out at 10 classes: std sqrt(2/10); scaled keeps the 1000-class head's sqrt(2/1000).
    assert paper.classifier[-1].weight.std().item() == pytest.approx(math.sqrt(2 / 10), rel=0.05)
    assert scaled.classifier[-1].weight.std().item() == pytest.approx(math.sqrt(2 / 1000), rel=0.05)
    x = torch.randn(32, 3, 32, 32)
    y = torch.randint(0, 10, (32,))
    with torch.no_grad():
        assert F.cross_entropy(paper.train()(x), y).item() > math.log(10) + 0.5  # the effect lesson 07 shows
    # At 1000 classes the two are the same initialisation.
    torch.manual_seed(1)
    a = models.build("fd_mobilenet", num_classes=1000, classifier_init="paper").classifier[-1].weight
    torch.manual_seed(1)
    b = models.build("fd_mobilenet", num_classes=1000).classifier[-1].weight
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="classifier_init must be one of scaled, paper"):
        models.build("fd_mobilenet", classifier_init="he")
