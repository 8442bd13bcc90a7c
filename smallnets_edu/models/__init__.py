"""Every architecture of the course, one family per file, behind one entry point.

>>> from smallnets_edu import models
>>> models.names()
>>> net = models.build("mobilenet_v2", width_mult=0.5, variant="cifar", num_classes=10)
"""

from ._registry import VARIANTS, SmallNet, build, info, names, options, register

# Importing the family modules registers their names.
from . import squeezenet, mobilenet_v1, shufflenet_v1, mobilenet_v2, effnet, fd_mobilenet  # noqa: E402,F401,I001

__all__ = ["VARIANTS", "SmallNet", "build", "info", "names", "options", "register"]
