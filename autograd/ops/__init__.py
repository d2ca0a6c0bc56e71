"""The engine's operations, one entry each: everything the library knows about an
operation is in one place.

An entry (an `autograd.engine.Op`, made by `elementwise`) holds the operation's fast
Value method (the value and its local derivatives as floats, the eager path), its
derivative written once over floats, Values and numpy arrays, its domain, kinks and
test domain. The rest of the library reads those facts from here: higher derivatives
(`autograd.higher`), compiled mode's numpy rules (`autograd.compile`), gradcheck's
kinks, the random graphs of `autograd.testing`, the formulas of the drawings.

- `arithmetic`: ``+ - * / **``, unary ``-``, `atan2`, `hypot`;
- `functions`: exp, expm1, log, log1p, log2, log10, sqrt, the trigonometric and
  hyperbolic functions and their inverses, sigmoid, softplus, erf, erfc;
- `piecewise`: relu, leaky_relu, abs, sign, clamp;
- `lists`: `prod` of a list (one node), `var` and `std` (composed).

A new operation is one entry in one of these modules: a method and an `elementwise(...)`
call (see `autograd.extend` to add one from outside the package).
"""

from autograd.engine import OPS, Op
from autograd.ops import arithmetic, functions, lists, piecewise
from autograd.ops._entry import FLOATS, VALUES, Math, elementwise
from autograd.ops.arithmetic import atan2, hypot
from autograd.ops.lists import prod, std, var

__all__ = [
    "ELEMENTWISE",
    "FLOATS",
    "VALUES",
    "Math",
    "atan2",
    "elementwise",
    "hypot",
    "prod",
    "std",
    "var",
]

#: The elementwise operations' entries (those with derivative rules over ``m``), in the
#: order of their modules.
ELEMENTWISE: tuple[Op, ...] = tuple(op for op in OPS.values() if op.rules)

del arithmetic, functions, lists, piecewise
