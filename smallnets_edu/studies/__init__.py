"""The measurements behind lesson 08, by subject (:mod:`smallnets_edu.showdown` gathers them in one place).

- ``cache``: where measurements are stored and how they are keyed (machine, settings, schema).
- ``costs``: the contestants as the showdown builds them, their costs, and the papers' headline rows.
- ``contest``: latency and training of every network, the ``Result`` / ``Showdown`` classes and ``run``.
- ``pareto``: Pareto fronts and their staircase on a plot.
- ``operators``: where a forward pass's time goes per operator kind (``torch.profiler``), with its plots.
- ``guidelines``: ShuffleNet V2's four guidelines G1-G4 as small timed experiments, with their plot.
- ``common``: what the others share (a budget from its name, a course-styled figure).

Imports run one way: ``common``, ``cache``, ``costs``, ``pareto`` -> ``contest``, ``operators``,
``guidelines``.
"""
