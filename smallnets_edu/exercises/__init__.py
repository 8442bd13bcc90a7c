"""Exercise checkers for the lessons: ``from smallnets_edu.exercises import lesson01``.

Every checker takes the learner's answer (a number, a set, a function...) and returns a
:class:`Feedback`: a coloured box in JupyterLab, plain text in a terminal, truthy only when right.
Checkers follow four rules:

1. The truth comes from the package (the cost formulas, the blocks), never from a typed-in number.
2. The placeholder an exercise cell starts with (``None``, ``...``, a function that raises
   ``NotImplementedError``) gets a kind "not answered yet", so every notebook runs top to bottom.
3. A wrong answer gets a specific message: what it looks like the learner computed (the standard
   convolution's cost, FLOPs instead of MACs, the inverse permutation...) and a hint.
4. No message ever contains the solution.

A lesson's checkers live in ``exercises/lessonNN.py`` and use :func:`checker` to title their feedback
and to answer a cell that still holds its placeholder (rule 2). The steps they share (read a number,
compare it, recognise known mistakes; run a learner's function on each case) are in :mod:`.checks`, so
each checker states only its exercise's truth and messages.
"""

from ._feedback import CORRECT, UNANSWERED, WRONG, Feedback, as_count, as_number, checker, is_unanswered

__all__ = ["CORRECT", "UNANSWERED", "WRONG", "Feedback", "as_count", "as_number", "checker", "is_unanswered"]
