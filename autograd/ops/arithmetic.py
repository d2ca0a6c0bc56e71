"""The arithmetic operations: ``+ - * / **``, unary ``-``, and the two-argument functions
`atan2` and `hypot`.

Each entry: the methods (the fast float path: the value and its local derivatives,
side by side), then `elementwise(...)` with the derivative rule written once over
``m`` (see `autograd.ops._entry`), the domain, the test domain. A plain number on either
side is a constant operand: the node records its position and value (``x * 2``:
position 1, constant 2.0), with one kind per operation.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from autograd.engine import (
    Value,
    _constant,
    _finite_locals,
    _fmt,
    _node,
    is_grad_enabled,
)
from autograd.ops._entry import elementwise

__all__ = ["ADD", "DIV", "MUL", "NEG", "POW", "SUB", "atan2", "hypot"]


def _one(m: Any, out: Any, *args: Any) -> float:
    return 1.0


def _minus_one(m: Any, out: Any, *args: Any) -> float:
    return -1.0


# --------------------------------------------------------------------------- + - *


def add(a: Value, b: Value | float) -> Value:
    """Forward: a + b. Local derivatives: 1, 1."""
    if isinstance(b, Value):
        return _node(a.data + b.data, _ADD, (a, b), (1.0, 1.0))
    c = _constant(b, "+")
    return _node(a.data + c, (ADD, 1, c), (a,), (1.0,))


def radd(b: Value, a: float) -> Value:
    """Forward: c + b. Local derivative: 1."""
    c = _constant(a, "+")
    return _node(c + b.data, (ADD, 0, c), (b,), (1.0,))


ADD = elementwise(
    "add",
    {"__add__": add, "__radd__": radd},
    (_one, _one),
    lambda m, a, b: a + b,
    symbol="+",
    call=operator.add,
    stored=True,
    constant_operands=True,
    commutative=True,
)
_ADD = (ADD,)


def sub(a: Value, b: Value | float) -> Value:
    """Forward: a - b. Local derivatives: 1, -1."""
    if isinstance(b, Value):
        return _node(a.data - b.data, _SUB, (a, b), (1.0, -1.0))
    c = _constant(b, "-")
    return _node(a.data - c, (SUB, 1, c), (a,), (1.0,))


def rsub(b: Value, a: float) -> Value:
    """Forward: c - b. Local derivative: -1."""
    c = _constant(a, "-")
    return _node(c - b.data, (SUB, 0, c), (b,), (-1.0,))


SUB = elementwise(
    "sub",
    {"__sub__": sub, "__rsub__": rsub},
    (_one, _minus_one),
    lambda m, a, b: a - b,
    symbol="-",
    call=operator.sub,
    stored=True,
    constant_operands=True,
)
_SUB = (SUB,)


def mul(a: Value, b: Value | float) -> Value:
    """Forward: a * b. Local derivatives: b, a."""
    if isinstance(b, Value):
        x, y = a.data, b.data
        return _node(x * y, _MUL, (a, b), (y, x))
    c = _constant(b, "*")
    return _node(a.data * c, (MUL, 1, c), (a,), (c,))


def rmul(b: Value, a: float) -> Value:
    """Forward: c * b. Local derivative: c."""
    c = _constant(a, "*")
    return _node(c * b.data, (MUL, 0, c), (b,), (c,))


MUL = elementwise(
    "mul",
    {"__mul__": mul, "__rmul__": rmul},
    (lambda m, y, a, b: b, lambda m, y, a, b: a),
    lambda m, a, b: a * b,
    symbol="*",
    call=operator.mul,
    constant_operands=True,
    commutative=True,
)
_MUL = (MUL,)


# ----------------------------------------------------------------------------- /


def div(a: Value, b: Value | float) -> Value:
    """Forward: q = a / b. Local derivatives: 1 / b, -q / b."""
    if isinstance(b, Value):
        x, y = a.data, b.data
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: {_fmt(x)} / {_fmt(y)} (Value / Value)")
        q = x / y
        return _node(q, _DIV, (a, b), _finite_locals("/", (x, y), 1.0 / y, -q / y))
    c = _constant(b, "/")
    if c == 0.0:
        raise ZeroDivisionError(f"division by zero: Value({_fmt(a.data)}) / 0")
    q = a.data / c
    return _node(q, (DIV, 1, c), (a,), _finite_locals("/", (a.data, c), 1.0 / c))


def rdiv(b: Value, a: float) -> Value:
    """Forward: q = c / b. Local derivative: -q / b."""
    c = _constant(a, "/")
    y = b.data
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero: {_fmt(c)} / Value({_fmt(y)})")
    q = c / y
    return _node(q, (DIV, 0, c), (b,), _finite_locals("/", (c, y), -q / y))


DIV = elementwise(
    "div",
    {"__truediv__": div, "__rtruediv__": rdiv},
    (lambda m, q, a, b: 1.0 / b, lambda m, q, a, b: -q / b),
    lambda m, a, b: a / b,
    symbol="/",
    call=operator.truediv,
    constant_operands=True,
    domain=lambda m, a, b: b != 0.0,
    singular=True,
    test_domain=((-3.0, 3.0), (-3.0, 3.0)),
    test_avoid=(0.0,),  # the divisor: kept away from 0
)
_DIV = (DIV,)


# ---------------------------------------------------------------------------- **


def pow_(x: Value, p: Value | float) -> Value:
    """Forward: y = x ** p.

    A number exponent p: local derivative p * x ** (p - 1); x may be negative when
    p is a whole number. A Value exponent: local derivatives p * x ** (p - 1) and
    y * log(x), which needs x > 0, or x = 0 with p >= 0: there, as in torch, the
    derivative in the exponent is 0 (y = 0 ** p is 0 for every p > 0).
    """
    base = x.data
    if isinstance(p, Value):
        e = p.data
        if base < 0.0:
            raise ValueError(
                f"Value ** Value needs a positive base or 0 (the derivative in the "
                f"exponent is y * log(base)), got {_fmt(base)} ** {_fmt(e)}; for a fixed "
                f"power use a plain number exponent, e.g. x ** 2"
            )
        y = _power(base, e)
        slope = y * math.log(base) if base else 0.0
        return _node(
            y, _POW, (x, p), _finite_locals("**", (base, e), _power_derivative(base, e, y), slope)
        )
    c = _constant(p, "**")
    y = _power(base, c)
    return _node(y, (POW, 1, c), (x,), (_power_derivative(base, c, y),))


def rpow(p: Value, c: float) -> Value:
    """Forward: y = c ** x for a constant c > 0. Local derivative: y * log(c).

    c = 0 (as in torch): y is 0 for x > 0 and 1 for x = 0, with derivative 0.
    """
    base = _constant(c, "**")
    e = p.data
    if base < 0.0:
        raise ValueError(
            f"number ** Value needs a positive base or 0 (the derivative is "
            f"y * log(base)), got {_fmt(base)} ** Value({_fmt(e)})"
        )
    y = _power(base, e)
    slope = y * math.log(base) if base else 0.0
    return _node(y, (POW, 0, base), (p,), _finite_locals("**", (base, e), slope))


def _power(x: float, p: float) -> float:
    """x ** p as a finite float, or an error that names the operands."""
    if x < 0.0 and not p.is_integer():
        raise ValueError(
            f"{_fmt(x)} ** {_fmt(p)} is not a real number: a negative base needs a whole "
            f"number exponent"
        )
    if x == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"0 ** {_fmt(p)} is infinite: zero to a negative power")
    try:
        y: float = x**p
    except OverflowError:
        raise OverflowError(f"{_fmt(x)} ** {_fmt(p)} overflows") from None
    return y


_TINY = 2.2250738585072014e-308  # the smallest normal float: below it, digits are lost


def _power_derivative(x: float, p: float, y: float) -> float:
    """d(x ** p)/dx = p * x ** (p - 1), finite or an error.

    From y = x ** p as p * (y / x), which costs no second power and never overflows
    where the derivative is finite (p * y would, near the float maximum). Where y has
    underflowed (0 or subnormal, with fewer digits) y / x has lost what x ** (p - 1)
    still holds, so that is computed instead: d(x**2)/dx at 1e-200 is 2e-200, not 0.
    """
    if p == 0.0:
        return 0.0
    if x != 0.0:
        if -_TINY < y < _TINY:
            try:
                d = p * x ** (p - 1.0)
            except OverflowError:
                d = math.inf  # reported just below
        else:
            d = p * (y / x)
        return _finite_locals("**", (x, p), d)[0]
    if p >= 1.0:
        return 1.0 if p == 1.0 else 0.0
    if not is_grad_enabled():
        return 0.0  # not recorded
    raise ValueError(
        f"0 ** {_fmt(p)} has an infinite derivative; differentiate (x + eps) ** {_fmt(p)} "
        f"with a small eps instead, or compute it under no_grad()"
    )


def _power_rule(m: Any, y: Any, x: Any, p: Any) -> Any:
    """p * x ** (p - 1); a constant exponent 0 or 1 gives a constant, and so does an
    exponent 0 at x = 0 (no node of x ** -1, undefined there)."""
    if not isinstance(p, Value):
        if p in (0.0, 1.0):
            return p
        if p - (p - 1.0) != 1.0:
            # |p| > 2**53: p is even and p - 1 is not a float; it rounds to an even
            # number, which would drop the sign of x ** (p - 1) for x < 0. p - 2 is even
            # as a float and exactly, so x ** (p - 2) * x keeps it.
            return p * (x ** (p - 2.0) * x)
    elif p.data == 0.0 and isinstance(x, Value) and x.data == 0.0:
        return 0.0
    return p * x ** (p - 1.0)


def _exponent_rule(m: Any, y: Any, x: Any, p: Any) -> Any:
    """y * log(x), and 0 at x = 0 (as the engine and torch: 0 ** p is 0 for p > 0)."""
    base = x.data if isinstance(x, Value) else x
    return y * m.log(x) if base != 0.0 else 0.0


# compiled mode: the slope as the engine computes it (p * (y / x), or from x ** (p - 1)
# where y has underflowed), its value at x = 0, and where a row raises in the engine.
def _numpy_slope(m: Any, y: Any, x: Any, p: Any) -> Any:
    safe_x = m.where(x == 0.0, 1.0, x)
    slope = m.where(m.abs(y) < _TINY, p * safe_x ** (p - 1.0), p * (y / safe_x))
    at_zero = m.where(p == 1.0, 1.0, 0.0)
    return m.where(p == 0.0, 0.0, m.where(x == 0.0, at_zero, slope))


def _numpy_exponent_slope(m: Any, y: Any, x: Any, p: Any) -> Any:
    return m.where(x > 0.0, y * m.log(m.where(x > 0.0, x, 1.0)), 0.0)


def _numpy_bad(m: Any, y: Any, x: Any, p: Any, varying: tuple[bool, ...]) -> Any:
    """Where the engine raises: a value that is not finite, or a local derivative it
    stores (only a Value operand's) that is not (at x = 0, for 0 < p < 1)."""
    bad = ~m.isfinite(y)
    if varying[0]:
        infinite_slope = (x == 0.0) & (p < 1.0) & (p != 0.0)
        bad = bad | ~m.isfinite(_numpy_slope(m, y, x, p)) | infinite_slope
    if varying[1]:  # a Value exponent: the base must not be negative (y * log(x))
        return bad | (x < 0.0) | ~m.isfinite(_numpy_exponent_slope(m, y, x, p))
    return bad | ((x < 0.0) & (p != m.floor(p)))


POW = elementwise(
    "pow",
    {"__pow__": pow_, "__rpow__": rpow},
    (_power_rule, _exponent_rule),
    lambda m, x, p: x**p,
    symbol="**",
    call=operator.pow,
    constant_operands=True,
    domain=lambda m, x, p: (x > 0.0) | ((x == 0.0) & (p >= 0.0)) | ((x < 0.0) & (p == m.floor(p))),
    singular=True,
    test_domain=((0.25, 3.0), (-2.5, 2.5)),
    numpy={"rules": (_numpy_slope, _numpy_exponent_slope), "bad": _numpy_bad},
)
_POW = (POW,)


def neg(x: Value) -> Value:
    """Forward: -x. Local derivative: -1."""
    return _node(-x.data, _NEG, (x,), (-1.0,))


NEG = elementwise("neg", {"__neg__": neg}, (_minus_one,), lambda m, x: -x, stored=True)
_NEG = (NEG,)


# ------------------------------------------------------------------ atan2, hypot


def _operands(name: str, a: Value | float, b: Value | float) -> tuple[float, float]:
    if not isinstance(a, Value) and not isinstance(b, Value):
        raise TypeError(
            f"{name} takes at least one Value, got {type(a).__name__} {a!r} and "
            f"{type(b).__name__} {b!r}; wrap one in Value(...) (or use math.{name} on numbers)"
        )
    x = a.data if isinstance(a, Value) else _constant(a, name)
    y = b.data if isinstance(b, Value) else _constant(b, name)
    return x, y


def _binary(
    op: Any,
    shared: tuple[Any],
    a: Value | float,
    b: Value | float,
    out: float,
    da: float,
    db: float,
) -> Value:
    if isinstance(a, Value):
        if isinstance(b, Value):
            return _node(out, shared, (a, b), (da, db))
        return _node(out, (op, 1, b), (a,), (da,))
    return _node(out, (op, 0, a), (b,), (db,))  # type: ignore[arg-type]


def atan2(y: Value | float, x: Value | float) -> Value:
    """Forward: the angle of the point (x, y), atan2(y, x), in [-pi, pi]. Local
    derivatives: x / (x**2 + y**2), -y / (x**2 + y**2); (0, 0) has none."""
    b, a = _operands("atan2", y, x)
    r2 = a * a + b * b
    if r2 == 0.0 and is_grad_enabled():
        raise ValueError(
            f"atan2({_fmt(b)}, {_fmt(a)}) has no derivative: the angle of the origin "
            f"jumps; keep the point away from (0, 0), or compute it under no_grad()"
        )
    local = _finite_locals("atan2", (b, a), a / r2, -b / r2) if r2 else (0.0, 0.0)
    return _binary(ATAN2, _ATAN2, y, x, math.atan2(b, a), *local)


ATAN2 = elementwise(
    "atan2",
    {},
    (lambda m, t, y, x: x / (x * x + y * y), lambda m, t, y, x: -y / (x * x + y * y)),
    lambda m, y, x: m.atan2(y, x),
    call=atan2,
    method=atan2,
    constant_operands=True,
    domain=lambda m, y, x: (x != 0.0) | (y != 0.0),
    singular=True,
    test_domain=((0.25, 3.0), (-3.0, 3.0)),  # y > 0: away from the cut along x < 0
)
_ATAN2 = (ATAN2,)


def hypot(x: Value | float, y: Value | float) -> Value:
    """Forward: h = sqrt(x**2 + y**2), without overflow. Local derivatives: x / h, y / h;
    (0, 0) has none (a cone's tip)."""
    a, b = _operands("hypot", x, y)
    h = math.hypot(a, b)
    if h == 0.0 and is_grad_enabled():
        raise ValueError(
            "hypot(0, 0) has no derivative (the tip of a cone); keep the point away from "
            "(0, 0), or compute it under no_grad()"
        )
    if math.isinf(h):
        raise OverflowError(f"hypot({_fmt(a)}, {_fmt(b)}) overflows; rescale the inputs")
    return _binary(HYPOT, _HYPOT, x, y, h, *((a / h, b / h) if h else (0.0, 0.0)))


HYPOT = elementwise(
    "hypot",
    {},
    (lambda m, h, x, y: x / h, lambda m, h, x, y: y / h),
    lambda m, x, y: m.hypot(x, y),
    call=hypot,
    method=hypot,
    constant_operands=True,
    commutative=True,
    domain=lambda m, x, y: (x != 0.0) | (y != 0.0),
    test_domain=((0.25, 3.0), (-3.0, 3.0)),
)
_HYPOT = (HYPOT,)


class ArithmeticMethods:
    """Value's methods of this module's operations, as type checkers see them: `Value`
    inherits this class only for them (`autograd.engine` imports nothing of autograd at
    runtime), while at runtime each entry's `elementwise` sets its own methods on
    Value. A new operation adds its line here, beside its entry's module; a test checks
    that these lines and the entries name the same functions."""

    __add__ = add
    __radd__ = radd
    __sub__ = sub
    __rsub__ = rsub
    __mul__ = mul
    __rmul__ = rmul
    __truediv__ = div
    __rtruediv__ = rdiv
    __pow__ = pow_
    __rpow__ = rpow
    __neg__ = neg
