"""The course's diagrams, by subject (:mod:`smallnets_edu.compression` and others re-export them).

- ``fire``: a SqueezeNet Fire module, read from the module (lesson 02, via ``compression.draw_fire``).
"""
