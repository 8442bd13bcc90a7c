"""Training and evaluating the course's networks: ``fit``, ``evaluate``, checkpoints and the CLI.

>>> from smallnets_edu import data, models, train
>>> ds = data.for_lesson("cifar10")
>>> net = models.build("mobilenet_v2", num_classes=ds.num_classes, width_mult=0.5, variant="cifar")
>>> history = train.fit(net, ds)            # settings from SMALLNETS_BUDGET (smoke / laptop / full)
>>> history.plot()                          # learning curves
>>> train.evaluate(net, ds).plot_confusion()

Modules: ``loop`` (fit, evaluate, optimizer and schedule), ``history`` (History, Evaluation),
``checkpoint`` (atomic, weights-only checkpoints), ``distributed`` (torchrun / DDP), ``cli``
(``python -m smallnets_edu train``).
"""

from .checkpoint import load as load_checkpoint
from .checkpoint import load_model
from .history import EPOCH_KEYS, Evaluation, History
from .loop import (
    default_channels_last,
    default_device,
    evaluate,
    fit,
    lr_factor,
    make_optimizer,
    make_scheduler,
    param_groups,
    resolve_amp,
)

__all__ = [
    "EPOCH_KEYS",
    "Evaluation",
    "History",
    "default_channels_last",
    "default_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_model",
    "lr_factor",
    "make_optimizer",
    "make_scheduler",
    "param_groups",
    "resolve_amp",
]
