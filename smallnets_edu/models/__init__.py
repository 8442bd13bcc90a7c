"""Every architecture of the course, one family per file, behind one entry point.

>>> from smallnets_edu import models
>>> models.names()
>>> net = models.build("mobilenet_v2", width_mult=0.5, variant="cifar", num_classes=10)
"""

# Importing the family modules registers their names.
from . import effnet, fd_mobilenet, mobilenet_v1, mobilenet_v2, shufflenet_v1, squeezenet  # noqa: F401
from ._registry import (
    MAX_PARAMETERS,
    MAX_WIDTH,
    VARIANTS,
    BuildSpec,
    SmallNet,
    build,
    build_meta,
    info,
    names,
    options,
    register,
)

__all__ = [
    "MAX_PARAMETERS",
    "MAX_WIDTH",
    "VARIANTS",
    "BuildSpec",
    "SmallNet",
    "build",
    "build_meta",
    "info",
    "names",
    "options",
    "register",
]
