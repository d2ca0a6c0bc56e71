"""Compiled batch mode: trace a per-sample function once, replay it over a batch with numpy.

``autograd.compile(fn, *examples)`` calls ``fn`` ONCE on placeholder Values made from
one example of each argument, and keeps the graph it records. Calling the result on
arrays with a leading batch axis replays that graph for every row at once: each kind
of operation has one vectorised rule in `RULES` (its forward and its derivatives, as
numpy expressions, beside the engine's float ones), and nodes of the same kind at the
same depth run as ONE numpy call. The linear nodes of a layer, which share their
inputs, become one matrix product.

>>> import numpy as np
>>> from autograd import Value
>>> w = Value(2.0)
>>> f = compile(lambda x: (w * x).tanh(), 0.0)
>>> f(np.array([0.0, 0.5])).round(4)
array([0.    , 0.7616])

What is traced and what is not:

- The parameters are the leaves ``fn`` reaches that are not its arguments (a model's
  weights). Their ``.data`` is read at every call, so optimizer steps take effect;
  gradients are added to their ``.grad`` as the eager engine's ``backward()`` would.
- The graph must not depend on the data. Comparisons, ``float(v)`` and ``bool(v)`` of a
  Value raise ``TypeError`` while tracing: write ``max(0, v)`` as ``v.relu()``, an
  ``if`` on a sign as ``abs``, ``relu`` or `autograd.max`. So do reading ``v.data`` and
  ``v.detach()`` of a Value made while tracing: the number is the example's, and would
  be a constant of the graph for every row.
- Kinks and ties follow the engine (relu'(0) = 0, the first maximum wins); a row whose
  value or derivative would not be finite raises the eager engine's own error for that
  row, with the row's index in front.
- An operation with no vectorised rule (a custom primitive) still works: it is run
  per row and per node with the engine itself, and is as slow as eager mode.

The package: `tracing` (the placeholders and the rules' view of each recorded node),
`planning` (the steps and buffers, the passes over them), `running` (`Compiled`), and
`rules` (numpy's math for the operations' entries, and the rules of the functions of
lists).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from autograd import engine
from autograd.compile.planning import _Program
from autograd.compile.rules import NUMPY, RULES, Rule
from autograd.compile.running import Compiled
from autograd.compile.tracing import (
    Example,
    _example_shape,
    _outputs,
    _placeholders,
)
from autograd.engine import is_grad_enabled

__all__ = ["NUMPY", "RULES", "Compiled", "Rule", "compile"]


def compile(fn: Callable[..., Any], *examples: Example) -> Compiled:
    """Trace ``fn`` once on one example of each argument; return its batched form.

    Each example is a number or a sequence of numbers (a 1-D array): it becomes one
    placeholder Value, or a list of them, while ``fn`` runs. ``fn`` returns a Value or
    a list of Values. The result, `Compiled`, takes one array per argument with a
    leading batch axis and replays the graph over every row at once.
    """
    if not callable(fn):
        raise TypeError(f"autograd.compile: fn must be callable, got {type(fn).__name__}")
    if not examples:
        raise TypeError(
            "autograd.compile: give one example of each argument of fn, e.g. "
            "compile(fn, X[0], y[0]); they fix the arguments' shapes"
        )
    if not is_grad_enabled():
        raise RuntimeError(
            "autograd.compile: tracing records a graph, and no_grad() is active; call "
            "compile outside no_grad()"
        )
    shapes = [_example_shape(x, i) for i, x in enumerate(examples)]
    start = time.perf_counter()
    with engine._tracing():  # placeholders made inside: their .data is refused to fn
        placeholders = [_placeholders(x, shape) for x, shape in zip(examples, shapes)]
        result = fn(*placeholders)
    outputs, single = _outputs(result)
    flat_inputs = [v for arg in placeholders for v in (arg if isinstance(arg, list) else [arg])]
    program = _Program(flat_inputs, outputs)
    compiled = Compiled(fn, shapes, program, single, time.perf_counter() - start)
    compiled._traced = (flat_inputs, outputs)  # for to_torch, which lowers the graph itself
    return compiled
