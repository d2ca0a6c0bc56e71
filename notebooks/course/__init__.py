"""The course's exercise checkers, imported by the notebooks (``from course import ...``).

The notebooks' kernel runs in ``notebooks/``, so this package imports there as ``course``;
the tests import it as ``notebooks.course``. Its modules import each other relatively so
both work.

- `report`: how every check speaks (``CheckFailed``, ``NotAnswered``, ``passed``,
  ``expect_close``, ``answer``, ``call``): the part every notebook's checker shares;
- `blank`: makes the learner's copies (``make exercises``): solution cells blanked;
- one module per notebook's exercises (`engine_exercises` for 05, ...).
"""
