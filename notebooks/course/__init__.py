"""The course's exercise checkers, imported by the notebooks (``from course import ...``).

The notebooks' kernel runs in ``notebooks/``, so this package imports there as ``course``;
the tests import it as ``notebooks.course``. Its modules import each other relatively so
both work.

- `report`: how every check speaks (``CheckFailed``, ``NotAnswered``, ``passed``,
  ``expect_close``, ``answer``, ``call``): the part every notebook's checker shares;
- `blank`: makes the learner's copies (``make exercises``): solution cells blanked;
- one module per topic's exercises: `descent_exercises` (02, 03: the largest learning rate),
  `engine_exercises` (05: your own engine), `backprop_exercises` (07: error terms),
  `training_exercises` (08, 10, 13: batches, initialisation, your own primitive).
"""
