"""Training and evaluating the course's networks: ``fit``, ``evaluate``, checkpoints and the CLI.

>>> from smallnets_edu import data, models, train
>>> ds = data.for_lesson("cifar10")
>>> net = models.build("mobilenet_v2", num_classes=ds.num_classes, width_mult=0.5, variant="cifar")
>>> history = train.fit(net, ds)            # settings from SMALLNETS_BUDGET (smoke / laptop / gpu / full)
>>> history.plot()                          # learning curves
>>> train.evaluate(net, ds).plot_confusion()

Modules: ``loop`` (fit, evaluate), ``settings`` (a run's resolved hyperparameters), ``recipe`` (optimizer
and learning-rate schedule), ``device`` (device, memory layout, mixed precision), ``progress`` (bars and
live curves), ``history`` (History, Evaluation), ``checkpoint`` (atomic, weights-only checkpoints),
``run_folder`` (one run per output folder), ``distributed`` (torchrun / DDP), ``cli``
(``python -m smallnets_edu train``).
"""

from .checkpoint import load as load_checkpoint
from .checkpoint import load_model
from .device import default_channels_last, default_device, resolve_amp, resolve_device
from .evaluation import evaluate
from .history import EPOCH_KEYS, Evaluation, History
from .loop import fit
from .recipe import make_optimizer, make_scheduler, param_groups
from .settings import Settings, batch_for_steps

__all__ = [
    "EPOCH_KEYS",
    "Evaluation",
    "History",
    "Settings",
    "batch_for_steps",
    "default_channels_last",
    "default_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_model",
    "make_optimizer",
    "make_scheduler",
    "param_groups",
    "resolve_amp",
    "resolve_device",
]
