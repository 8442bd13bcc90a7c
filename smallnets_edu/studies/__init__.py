"""The studies behind lessons 08 and 02, by subject.

The measurements behind lesson 08 (:mod:`smallnets_edu.showdown` gathers them in one place):

- ``cache``: where measurements are stored and how they are keyed (machine, settings, schema).
- ``costs``: the contestants as the showdown builds them, their costs, and the papers' headline rows.
- ``contest``: latency and training of every network, the ``Result`` / ``Showdown`` classes and ``run``.
- ``pareto``: Pareto fronts and their staircase on a plot.
- ``operators``: where a forward pass's time goes per operator kind (``torch.profiler``), with its plots.
- ``guidelines``: ShuffleNet V2's four guidelines G1-G4 as small timed experiments, with their plot.
- ``common``: what the others share (a budget from its name, a course-styled figure).

Imports run one way: ``common``, ``cache``, ``costs``, ``pareto`` -> ``contest``, ``operators``,
``guidelines``.

Deep Compression in lesson 02 (:mod:`smallnets_edu.compression` gathers them in one place):

- ``pruning``: magnitude pruning, which tensors count as weights, and keeping pruned weights at zero.
- ``quantization``: weight sharing, k-means or a uniform grid per tensor, at a chosen number of bits.
- ``codec``: the file format: ``encode``, ``decode``, ``stored_size`` and ``size_breakdown``.
- ``bitstreams``: what the format is made of: fixed-width fields, Huffman codes, relative indices.

Imports run one way: ``pruning``, ``bitstreams`` -> ``quantization``, ``codec``.
"""
