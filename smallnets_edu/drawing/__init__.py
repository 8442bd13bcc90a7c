"""The course's diagrams, by subject (:mod:`smallnets_edu.diagrams` and others re-export them).

- ``wiring``: the steps of a connectivity diagram, and which channels and pixels they connect, measured
  on real PyTorch layers.
- ``connectivity``: the connectivity figures (``connectivity``, ``stack``, ``kernel_footprint``).
- ``cost_explorer``: lesson 01's explorer, every convolution variant's cost at one setting.
- ``fire``: a SqueezeNet Fire module, read from the module (lesson 02, via ``compression.draw_fire``).
- ``inverted_residual``: a residual block beside MobileNetV2's inverted residual (lesson 05, via
  ``memory.block_diagram``).
- ``common``: what the figures share (the ink colour, a figure handed back closed in pyplot).

Imports run one way: ``common``, ``wiring`` -> ``connectivity``, ``cost_explorer``; ``fire`` stands
alone, as does ``inverted_residual``.
"""
