"""smallnets-edu: the helper package of an interactive course on small convolutional networks.

The modules depend on each other in one direction only:
``blocks`` -> ``models`` -> ``cost`` -> ``data`` -> ``train`` -> ``plots`` / ``widgets`` -> lessons.
"""

__version__ = "0.1.0"
