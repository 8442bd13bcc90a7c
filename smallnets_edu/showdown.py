"""Lesson 08's bench: every architecture of the course measured side by side, once, and cached.

Four kinds of numbers, from the cheapest to the slowest:

1. ``costs``: parameters, multiply-accumulates and peak activation memory from :func:`cost.profile`.
   Deterministic and quick, never cached.
2. ``latencies``: forward time of each network on this machine (``torch.utils.benchmark``).
3. ``training``: every ``cifar`` variant trained with :func:`train.fit` on the same data for the same
   budget: accuracy and training images per second.
4. ``operators``: where the time of one forward pass goes, per operator kind (``torch.profiler``),
   next to where the multiply-accumulates go; ``guideline_g1`` .. ``guideline_g4`` time the small
   experiments behind ShuffleNet V2's four guidelines (Ma, Zhang, Zheng and Sun, 2018, arXiv:1807.11164).

Measurements 2 to 4 take seconds to hours, so each result is stored as JSON under :func:`cache_dir`
(``$SMALLNETS_CACHE/showdown``, default ``~/.cache/smallnets-edu/showdown``), keyed by everything it
depends on: the machine (CPU, cores, torch threads), the torch version, the budget, the dataset and the
measurement's own settings. Change any of them and the result is measured again; pass ``refresh=True``
to measure again anyway (``showdown.run(refresh=True)``), or delete the folder.

:func:`run` does 1 to 3 for all networks and returns a :class:`Showdown` with a table, the Pareto
fronts and their plots.

The code lives in :mod:`smallnets_edu.studies`, one module per subject (``cache``, ``costs``, ``contest``,
``pareto``, ``operators``, ``guidelines``); this module gathers their public names.
"""

# Every import below is a re-export; `__all__` lists the names `from smallnets_edu.showdown import *` gives.
# ruff: noqa: F401
from __future__ import annotations

from .studies.cache import (
    CACHE_ENV,
    DEFAULT_CACHE,
    SCHEMA,
    cache_dir,
    cache_key,
    cache_path,
    cache_stats,
    cached,
    companion_path,
    machine,
)
from .studies.contest import (
    BATCH_SIZES,
    TRAINING_EPOCHS,
    TRAINING_OVERRIDES,
    Result,
    Showdown,
    dataset_id,
    latencies,
    model_colour,
    network_recipe,
    run,
    trained_network,
    training,
    training_budget,
    training_settings,
)
from .studies.costs import (
    BYTES_PER_VALUE,
    CIFAR_RESOLUTION,
    HEADLINE,
    IMAGENET_RESOLUTION,
    NUM_CLASSES,
    build,
    conv_intensity,
    costs,
    default_resolution,
    paper_rows,
    published,
)
from .studies.guidelines import (
    Bottleneck,
    GuidelineOptions,
    guideline_blocks,
    guideline_g1,
    guideline_g2,
    guideline_g3,
    guideline_g4,
    guideline_size,
    memory_access_cost,
    plot_guidelines,
    seconds,
)
from .studies.operators import (
    ATEN_KINDS,
    LABEL_PREFIX,
    OPERATOR_COLOURS,
    OPERATOR_KINDS,
    OperatorProfile,
    group_events,
    operator_kind,
    operator_runs,
    operators,
    plot_roofline,
    plot_shares,
    profile_operators,
)
from .studies.pareto import draw_front, pareto_front

__all__ = [
    "BATCH_SIZES",
    "CACHE_ENV",
    "OPERATOR_KINDS",
    "Bottleneck",
    "GuidelineOptions",
    "OperatorProfile",
    "Result",
    "Showdown",
    "build",
    "cache_dir",
    "cache_stats",
    "cached",
    "companion_path",
    "conv_intensity",
    "costs",
    "draw_front",
    "group_events",
    "guideline_g1",
    "guideline_g2",
    "guideline_g3",
    "guideline_g4",
    "latencies",
    "machine",
    "memory_access_cost",
    "model_colour",
    "operator_kind",
    "operators",
    "paper_rows",
    "pareto_front",
    "plot_guidelines",
    "plot_roofline",
    "plot_shares",
    "profile_operators",
    "published",
    "run",
    "seconds",
    "trained_network",
    "training",
    "training_budget",
]
