"""smallnets-edu: the helper package of an interactive course on small convolutional networks.

The modules depend on each other in one direction only, roughly
``blocks`` -> ``models`` -> ``cost`` / ``paper_figures`` -> ``data`` -> ``train`` -> ``widgets`` /
``drawing`` -> ``studies`` -> ``exercises`` -> lessons, with small leaves (``files``, ``budget``,
``plots``, ``display``) that any layer may use; docs/CONTRIBUTING.md draws the whole picture.
"""

__version__ = "0.1.0"
