"""Extending the engine: the public names for adding an operation and for reading how a
node was made. `nn` uses only these (and the package root), never a private name.

Adding an operation:

- `primitive`: a function on floats returning ``(value, local_derivatives)`` becomes
  an operation recorded as one node (the simplest way; see `autograd.primitive`);
- `elementwise` with `record`: a built-in-grade entry, as the engine's own are written
  in `autograd.ops` (a fast method, its derivative rule written once over `FLOATS`,
  `VALUES` and compile's numpy math, its domain, kinks and test domain), so that higher
  derivatives, compiled mode, gradcheck and `autograd.testing` know it::

      def cube(x):
          '''Forward: y = x**3. Local derivative: 3 x**2.'''
          return record(x.data**3, (CUBE,), (x,), (3.0 * x.data**2,))

      CUBE = elementwise("cube", {"cube": cube}, (lambda m, y, x: 3.0 * x * x,),
                         lambda m, x: x * x * x)

Reading a node: `operation` gives its `Op` (the entry, with everything known about
the operation) and its constants as named fields; `OPS` holds the built-in entries by
name; `topological_order` walks a graph.
"""

from __future__ import annotations

from typing import Any

from autograd._page import Page
from autograd.engine import OPS, Op, Value, _node, operation, topological_order
from autograd.functional import is_batch
from autograd.ops import ELEMENTWISE, FLOATS, VALUES, elementwise
from autograd.primitive import Primitive, primitive

__all__ = [
    "ELEMENTWISE",
    "FLOATS",
    "OPS",
    "VALUES",
    "Op",
    "Page",
    "Primitive",
    "elementwise",
    "is_batch",
    "operation",
    "primitive",
    "record",
    "topological_order",
]


def record(
    data: float, op: tuple[Any, ...], parents: tuple[Value, ...], local_grads: tuple[float, ...]
) -> Value:
    """The node an operation returns: its value, ``(Op, constants...)``, its parents and
    the local derivatives d data / d parent. Checks that ``data`` is finite (raising an
    error that names the operation and its operands) and records no parents under
    ``no_grad()``, as every operation of the engine does."""
    return _node(data, op, parents, local_grads)
