"""The piecewise operations: relu, leaky_relu, abs, sign, clamp.

Each is differentiable except at its kinks, where the engine follows PyTorch's
convention (relu'(0) = 0, abs'(0) = 0, clamp's derivative 1 on [lo, hi] and 0
outside). Their local derivatives are piecewise constant, so a higher derivative reads
the stored numbers (``stored=True``) and records nothing.
"""

from __future__ import annotations

import math
from typing import Any

from autograd.engine import Value, _constant, _node
from autograd.ops._entry import elementwise

__all__ = ["ABS", "CLAMP", "LEAKY_RELU", "RELU", "SIGN"]


def _at_zero(*params: Any) -> tuple[float, ...]:
    return (0.0,)


def relu(x: Value) -> Value:
    """Forward: max(x, 0). Local derivative: 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
    a = x.data
    if a > 0.0:
        return _node(a, _RELU, (x,), (1.0,))
    return _node(0.0, _RELU, (x,), (0.0,))


RELU = elementwise(
    "relu",
    {"relu": relu},
    (lambda m, y, x: m.where(x > 0.0, 1.0, 0.0),),
    lambda m, x: m.where(x > 0.0, x, 0.0),
    stored=True,
    kinks=_at_zero,
)
_RELU = (RELU,)


def leaky_relu(x: Value, negative_slope: float = 0.01) -> Value:
    """Forward: x for x > 0, else negative_slope * x.

    Local derivative: 1 for x > 0, else negative_slope (negative_slope at x = 0, as
    PyTorch).
    """
    slope = _constant(negative_slope, "leaky_relu(negative_slope)")
    a = x.data
    if a > 0.0:
        return _node(a, (LEAKY_RELU, slope), (x,), (1.0,))
    return _node(slope * a, (LEAKY_RELU, slope), (x,), (slope,))


LEAKY_RELU = elementwise(
    "leaky_relu",
    {"leaky_relu": leaky_relu},
    (lambda m, y, x, slope: m.where(x > 0.0, 1.0, slope),),
    lambda m, x, slope: m.where(x > 0.0, x, slope * x),
    params=("negative_slope",),
    stored=True,
    kinks=_at_zero,
    test_params=(0.1,),
)


def abs_(x: Value) -> Value:
    """Forward: |x|. Local derivative: sign(x), 0 at x = 0 (as PyTorch)."""
    a = x.data
    sign = 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)
    return _node(abs(a), _ABS, (x,), (sign,))


ABS = elementwise(
    "abs",
    {"abs": abs_, "__abs__": abs_},
    (lambda m, y, x: m.sign(x),),
    lambda m, x: m.abs(x),
    stored=True,
    kinks=_at_zero,
)
_ABS = (ABS,)


def sign(x: Value) -> Value:
    """Forward: the sign of x: 1, -1, or 0 at x = 0. Local derivative: 0 (as PyTorch)."""
    a = x.data
    return _node(1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0), _SIGN, (x,), (0.0,))


def _side(node: Value) -> tuple[float, ...]:
    return (node.data,)  # its derivative is 0 on both sides: its value says which


SIGN = elementwise(
    "sign",
    {"sign": sign},
    (lambda m, y, x: 0.0 * x,),
    lambda m, x: m.sign(x),
    stored=True,
    kinks=_at_zero,
    branch=_side,
)
_SIGN = (SIGN,)


def clamp(x: Value, lo: float | None = None, hi: float | None = None) -> Value:
    """Forward: x limited to [lo, hi], min(max(x, lo), hi) (None: no limit on that side).

    Local derivative: 1 for lo <= x <= hi, else 0 (as PyTorch, which also gives hi
    everywhere when lo > hi).
    """
    if lo is None and hi is None:
        raise TypeError("clamp needs lo or hi (or both), e.g. x.clamp(0.0, 1.0)")
    low = -math.inf if lo is None else _bound(lo, "lo")
    high = math.inf if hi is None else _bound(hi, "hi")
    a = x.data
    inside = low <= a <= high
    y = min(max(a, low), high)
    return _node(y, (CLAMP, low, high), (x,), (1.0 if inside else 0.0,))


def _bound(x: object, name: str) -> float:
    """A limit of clamp: a number, where an infinite one means no limit (as None)."""
    if isinstance(x, float) and math.isinf(x):
        return x
    return _constant(x, f"clamp({name})")


CLAMP = elementwise(
    "clamp",
    {"clamp": clamp},
    (lambda m, y, x, lo, hi: m.where((x >= lo) & (x <= hi), 1.0, 0.0),),
    lambda m, x, lo, hi: (lambda t: m.where(t > hi, hi, t))(m.where(x < lo, lo, x)),
    params=("lo", "hi"),
    stored=True,
    kinks=lambda lo, hi: tuple(k for k in (lo, hi) if math.isfinite(k)),
    test_params=(-1.0, 1.0),
)


class PiecewiseMethods:
    """Value's methods of this module's operations, as type checkers see them: `Value`
    inherits this class only for them (`autograd.engine` imports nothing of autograd at
    runtime), while at runtime each entry's `elementwise` sets its own methods on
    Value. A new operation adds its line here, beside its entry's module; a test checks
    that these lines and the entries name the same functions."""

    relu = relu
    leaky_relu = leaky_relu
    abs = abs_
    __abs__ = abs_
    sign = sign
    clamp = clamp
