"""The smooth functions of one Value: exponentials and logarithms, the trigonometric and
hyperbolic functions and their inverses, sigmoid, softplus, erf and erfc.

Each entry: the method (the fast float path: the value and its local derivative side
by side, its docstring the formula shown on hover), then `elementwise(...)` with the
derivative rule written once over ``m`` (see `autograd.ops._entry`), its domain and its
test domain. A function defined on part of the line raises outside it, naming the
input and what it needs.
"""

from __future__ import annotations

import math
from typing import Any

from autograd.engine import Value, _check_operands, _finite_locals, _fmt, _node, is_grad_enabled
from autograd.ops._entry import elementwise

__all__ = [
    "ACOS",
    "ACOSH",
    "ASIN",
    "ASINH",
    "ATAN",
    "ATANH",
    "COS",
    "COSH",
    "ERF",
    "ERFC",
    "EXP",
    "EXP2",
    "EXPM1",
    "LOG",
    "LOG1P",
    "LOG2",
    "LOG10",
    "SIGMOID",
    "SILU",
    "SIN",
    "SINH",
    "SOFTPLUS",
    "SQRT",
    "TAN",
    "TANH",
]

_EXP_MAX = math.log(1.7976931348623157e308)  # 709.78...: exp(x) overflows above this
_COSH_MAX = _EXP_MAX + math.log(2.0)  # 710.47...: sinh and cosh overflow past it
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_POSITIVE = ((0.25, 3.0),)
_INSIDE_ONE = ((-0.95, 0.95),)


def _undefined(call: str, need: str, instead: str = "") -> ValueError:
    return ValueError(f"{call} is undefined: {need}{instead}")


def _infinite_slope(call: str, derivative: str) -> ValueError:
    return ValueError(
        f"{call} has an infinite derivative {derivative}; keep the input inside the "
        f"domain's edge (add a small eps), or compute it under no_grad()"
    )


def _overflow(name: str, x: float, limit: float, instead: str = "") -> OverflowError:
    _check_operands(name, (x,))
    return OverflowError(f"{name}({_fmt(x)}) overflows: {name} needs |x| <= {limit:.2f}{instead}")


# ------------------------------------------------------------ exp and log family


def exp(x: Value) -> Value:
    """Forward: y = exp(x). Local derivative: y."""
    a = x.data
    if a > _EXP_MAX:
        _check_operands("exp", (a,))
        raise OverflowError(
            f"exp({_fmt(a)}) overflows: exp needs x <= {_EXP_MAX:.2f}. For "
            f"log(sum(exp(x))) use autograd.logsumexp, for probabilities "
            f"autograd.softmax, for log(1 + exp(x)) Value.softplus"
        )
    y = math.exp(a)
    return _node(y, _EXP, (x,), (y,))


EXP = elementwise("exp", {"exp": exp}, (lambda m, y, x: y,), lambda m, x: m.exp(x))
_EXP = (EXP,)


def expm1(x: Value) -> Value:
    """Forward: y = exp(x) - 1, exact near 0. Local derivative: y + 1."""
    a = x.data
    if a > _EXP_MAX:
        raise _overflow("expm1", a, _EXP_MAX)
    y = math.expm1(a)
    return _node(y, _EXPM1, (x,), (y + 1.0,))


EXPM1 = elementwise("expm1", {"expm1": expm1}, (lambda m, y, x: y + 1.0,), lambda m, x: m.expm1(x))
_EXPM1 = (EXPM1,)


def exp2(x: Value) -> Value:
    """Forward: y = 2 ** x. Local derivative: y log 2."""
    a = x.data
    if a >= 1024.0:
        raise _overflow("exp2", a, 1024.0)
    y = 2.0**a
    return _node(y, _EXP2, (x,), (y * _LN2,))


EXP2 = elementwise("exp2", {"exp2": exp2}, (lambda m, y, x: y * _LN2,), lambda m, x: 2.0**x)
_EXP2 = (EXP2,)


def log(x: Value) -> Value:
    """Forward: log(x), natural logarithm, x > 0. Local derivative: 1 / x."""
    a = x.data
    if a <= 0.0:
        raise _undefined(
            f"log({_fmt(a)})",
            "log needs a positive input",
            ". For the log of a probability use autograd.log_softmax(logits) or "
            "nn.binary_cross_entropy_with_logits; for log(1 + exp(x)) use Value.softplus",
        )
    return _node(math.log(a), _LOG, (x,), _finite_locals("log", (a,), 1.0 / a))


LOG = elementwise(
    "log",
    {"log": log},
    (lambda m, y, x: 1.0 / x,),
    lambda m, x: m.log(x),
    domain=lambda m, x: x > 0.0,
    singular=True,
    test_domain=_POSITIVE,
)
_LOG = (LOG,)


def log1p(x: Value) -> Value:
    """Forward: log(1 + x), exact near 0, x > -1. Local derivative: 1 / (1 + x)."""
    a = x.data
    if a <= -1.0:
        raise _undefined(f"log1p({_fmt(a)})", "log1p needs x > -1")
    return _node(math.log1p(a), _LOG1P, (x,), _finite_locals("log1p", (a,), 1.0 / (1.0 + a)))


LOG1P = elementwise(
    "log1p",
    {"log1p": log1p},
    (lambda m, y, x: 1.0 / (1.0 + x),),
    lambda m, x: m.log1p(x),
    domain=lambda m, x: x > -1.0,
    singular=True,
    test_domain=((-0.75, 3.0),),
)
_LOG1P = (LOG1P,)


def log2(x: Value) -> Value:
    """Forward: log2(x), x > 0. Local derivative: 1 / (x log 2)."""
    a = x.data
    if a <= 0.0:
        raise _undefined(f"log2({_fmt(a)})", "log2 needs a positive input")
    return _node(math.log2(a), _LOG2, (x,), _finite_locals("log2", (a,), 1.0 / (a * _LN2)))


LOG2 = elementwise(
    "log2",
    {"log2": log2},
    (lambda m, y, x: 1.0 / (x * _LN2),),
    lambda m, x: m.log2(x),
    domain=lambda m, x: x > 0.0,
    singular=True,
    test_domain=_POSITIVE,
)
_LOG2 = (LOG2,)


def log10(x: Value) -> Value:
    """Forward: log10(x), x > 0. Local derivative: 1 / (x log 10)."""
    a = x.data
    if a <= 0.0:
        raise _undefined(f"log10({_fmt(a)})", "log10 needs a positive input")
    return _node(math.log10(a), _LOG10, (x,), _finite_locals("log10", (a,), 1.0 / (a * _LN10)))


LOG10 = elementwise(
    "log10",
    {"log10": log10},
    (lambda m, y, x: 1.0 / (x * _LN10),),
    lambda m, x: m.log10(x),
    domain=lambda m, x: x > 0.0,
    singular=True,
    test_domain=_POSITIVE,
)
_LOG10 = (LOG10,)


def sqrt(x: Value) -> Value:
    """Forward: y = sqrt(x), x >= 0. Local derivative: 1 / (2 y), so x > 0 when recorded."""
    a = x.data
    if a < 0.0:
        raise _undefined(f"sqrt({_fmt(a)})", "sqrt needs x >= 0")
    y = math.sqrt(a)
    if y == 0.0 and is_grad_enabled():
        raise _infinite_slope(f"sqrt({_fmt(a)})", "1 / (2 sqrt(x))")
    return _node(y, _SQRT, (x,), _finite_locals("sqrt", (a,), 0.5 / y) if y else ())


SQRT = elementwise(
    "sqrt",
    {"sqrt": sqrt},
    (lambda m, y, x: 0.5 / y,),
    lambda m, x: m.sqrt(x),
    domain=lambda m, x: x > 0.0,
    singular=True,
    test_domain=_POSITIVE,
)
_SQRT = (SQRT,)


# ------------------------------------------------------------------ trigonometric


def sin(x: Value) -> Value:
    """Forward: sin(x). Local derivative: cos(x)."""
    a = x.data
    return _node(math.sin(a), _SIN, (x,), (math.cos(a),))


SIN = elementwise("sin", {"sin": sin}, (lambda m, y, x: m.cos(x),), lambda m, x: m.sin(x))
_SIN = (SIN,)


def cos(x: Value) -> Value:
    """Forward: cos(x). Local derivative: -sin(x)."""
    a = x.data
    return _node(math.cos(a), _COS, (x,), (-math.sin(a),))


COS = elementwise("cos", {"cos": cos}, (lambda m, y, x: -m.sin(x),), lambda m, x: m.cos(x))
_COS = (COS,)


def tan(x: Value) -> Value:
    """Forward: y = tan(x). Local derivative: 1 + y**2."""
    y = math.tan(x.data)
    return _node(y, _TAN, (x,), (1.0 + y * y,))


TAN = elementwise(
    "tan",
    {"tan": tan},
    (lambda m, y, x: 1.0 + y * y,),
    lambda m, x: m.tan(x),
    test_domain=((-1.25, 1.25),),
)
_TAN = (TAN,)


def _inverse_sine(name: str, x: float) -> float:
    """1 / sqrt(1 - x**2), the slope of asin (acos's is its negative), after the checks."""
    if not -1.0 <= x <= 1.0:
        raise _undefined(f"{name}({_fmt(x)})", f"{name} needs -1 <= x <= 1")
    if x in (-1.0, 1.0):
        if not is_grad_enabled():
            return 0.0  # not recorded
        raise _infinite_slope(f"{name}({_fmt(x)})", "1 / sqrt(1 - x**2)")
    return 1.0 / math.sqrt((1.0 - x) * (1.0 + x))


def asin(x: Value) -> Value:
    """Forward: asin(x), -1 <= x <= 1. Local derivative: 1 / sqrt(1 - x**2), so
    -1 < x < 1 when recorded."""
    a = x.data
    d = _inverse_sine("asin", a)
    return _node(math.asin(a), _ASIN, (x,), (d,))


ASIN = elementwise(
    "asin",
    {"asin": asin},
    (lambda m, y, x: 1.0 / m.sqrt((1.0 - x) * (1.0 + x)),),
    lambda m, x: m.asin(x),
    domain=lambda m, x: (x > -1.0) & (x < 1.0),
    test_domain=_INSIDE_ONE,
)
_ASIN = (ASIN,)


def acos(x: Value) -> Value:
    """Forward: acos(x), -1 <= x <= 1. Local derivative: -1 / sqrt(1 - x**2), so
    -1 < x < 1 when recorded."""
    a = x.data
    d = _inverse_sine("acos", a)
    return _node(math.acos(a), _ACOS, (x,), (-d,))


ACOS = elementwise(
    "acos",
    {"acos": acos},
    (lambda m, y, x: -1.0 / m.sqrt((1.0 - x) * (1.0 + x)),),
    lambda m, x: m.acos(x),
    domain=lambda m, x: (x > -1.0) & (x < 1.0),
    test_domain=_INSIDE_ONE,
)
_ACOS = (ACOS,)


def atan(x: Value) -> Value:
    """Forward: atan(x). Local derivative: 1 / (1 + x**2)."""
    a = x.data
    return _node(math.atan(a), _ATAN, (x,), (1.0 / (1.0 + a * a),))


ATAN = elementwise(
    "atan", {"atan": atan}, (lambda m, y, x: 1.0 / (1.0 + x * x),), lambda m, x: m.atan(x)
)
_ATAN = (ATAN,)


# --------------------------------------------------------------------- hyperbolic


def sinh(x: Value) -> Value:
    """Forward: sinh(x). Local derivative: cosh(x)."""
    a = x.data
    if abs(a) > _COSH_MAX:
        raise _overflow("sinh", a, _COSH_MAX)
    return _node(math.sinh(a), _SINH, (x,), _finite_locals("sinh", (a,), math.cosh(a)))


SINH = elementwise("sinh", {"sinh": sinh}, (lambda m, y, x: m.cosh(x),), lambda m, x: m.sinh(x))
_SINH = (SINH,)


def cosh(x: Value) -> Value:
    """Forward: cosh(x). Local derivative: sinh(x)."""
    a = x.data
    if abs(a) > _COSH_MAX:
        raise _overflow("cosh", a, _COSH_MAX)
    return _node(math.cosh(a), _COSH, (x,), _finite_locals("cosh", (a,), math.sinh(a)))


COSH = elementwise("cosh", {"cosh": cosh}, (lambda m, y, x: m.sinh(x),), lambda m, x: m.cosh(x))
_COSH = (COSH,)


def tanh(x: Value) -> Value:
    """Forward: t = tanh(x). Local derivative: 1 - t**2."""
    t = math.tanh(x.data)
    return _node(t, _TANH, (x,), (1.0 - t * t,))


TANH = elementwise("tanh", {"tanh": tanh}, (lambda m, t, x: 1.0 - t * t,), lambda m, x: m.tanh(x))
_TANH = (TANH,)


def asinh(x: Value) -> Value:
    """Forward: asinh(x). Local derivative: 1 / sqrt(1 + x**2)."""
    a = x.data
    return _node(math.asinh(a), _ASINH, (x,), (1.0 / math.hypot(1.0, a),))


ASINH = elementwise(
    "asinh",
    {"asinh": asinh},
    (lambda m, y, x: 1.0 / m.sqrt(1.0 + x * x),),
    lambda m, x: m.asinh(x),
)
_ASINH = (ASINH,)


def acosh(x: Value) -> Value:
    """Forward: acosh(x), x >= 1. Local derivative: 1 / sqrt(x**2 - 1), so x > 1 when
    recorded."""
    a = x.data
    if a < 1.0:
        raise _undefined(f"acosh({_fmt(a)})", "acosh needs x >= 1")
    if a == 1.0 and is_grad_enabled():
        raise _infinite_slope("acosh(1)", "1 / sqrt(x**2 - 1)")
    d = 1.0 / math.sqrt((a - 1.0) * (a + 1.0)) if a > 1.0 else 0.0
    return _node(math.acosh(a), _ACOSH, (x,), _finite_locals("acosh", (a,), d))


ACOSH = elementwise(
    "acosh",
    {"acosh": acosh},
    (lambda m, y, x: 1.0 / m.sqrt((x - 1.0) * (x + 1.0)),),
    lambda m, x: m.acosh(x),
    domain=lambda m, x: x > 1.0,
    singular=True,
    test_domain=((1.25, 4.0),),
)
_ACOSH = (ACOSH,)


def atanh(x: Value) -> Value:
    """Forward: atanh(x), -1 < x < 1. Local derivative: 1 / (1 - x**2)."""
    a = x.data
    if not -1.0 < a < 1.0:
        raise _undefined(f"atanh({_fmt(a)})", "atanh needs -1 < x < 1 (it is infinite at +-1)")
    d = 1.0 / ((1.0 - a) * (1.0 + a))
    return _node(math.atanh(a), _ATANH, (x,), _finite_locals("atanh", (a,), d))


ATANH = elementwise(
    "atanh",
    {"atanh": atanh},
    (lambda m, y, x: 1.0 / ((1.0 - x) * (1.0 + x)),),
    lambda m, x: m.atanh(x),
    domain=lambda m, x: (x > -1.0) & (x < 1.0),
    singular=True,
    test_domain=_INSIDE_ONE,
)
_ATANH = (ATANH,)


# ------------------------------------------------------ sigmoid, softplus, erf


def sigmoid(x: Value) -> Value:
    """Forward: s = 1 / (1 + exp(-x)), never overflowing. Local derivative: s (1 - s)."""
    a = x.data
    if a >= 0.0:
        s = 1.0 / (1.0 + math.exp(-a))
    else:
        e = math.exp(a)
        s = e / (1.0 + e)
    return _node(s, _SIGMOID, (x,), (s * (1.0 - s),))


SIGMOID = elementwise(
    "sigmoid", {"sigmoid": sigmoid}, (lambda m, s, x: s * (1.0 - s),), lambda m, x: m.sigmoid(x)
)
_SIGMOID = (SIGMOID,)


def softplus(x: Value) -> Value:
    """Forward: log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it never
    overflows. Local derivative: sigmoid(x)."""
    a = x.data
    e = math.exp(-abs(a))  # in (0, 1]
    y = max(a, 0.0) + math.log1p(e)
    s = 1.0 / (1.0 + e) if a >= 0.0 else e / (1.0 + e)
    return _node(y, _SOFTPLUS, (x,), (s,))


SOFTPLUS = elementwise(
    "softplus",
    {"softplus": softplus},
    (lambda m, y, x: m.sigmoid(x),),
    lambda m, x: m.softplus(x),
)
_SOFTPLUS = (SOFTPLUS,)


def silu(x: Value) -> Value:
    """Forward: y = x sigmoid(x) (SiLU, or swish), never overflowing. Local derivative:
    s (1 + x (1 - s)), with s = sigmoid(x)."""
    a = x.data
    if a >= 0.0:
        s = 1.0 / (1.0 + math.exp(-a))
    else:
        e = math.exp(a)
        s = e / (1.0 + e)
    return _node(a * s, _SILU, (x,), (s * (1.0 + a * (1.0 - s)),))


SILU = elementwise(
    "silu",
    {"silu": silu},
    (lambda m, y, x: m.sigmoid(x) * (1.0 + x * (1.0 - m.sigmoid(x))),),
    lambda m, x: x * m.sigmoid(x),
)
_SILU = (SILU,)


def erf(x: Value) -> Value:
    """Forward: erf(x), the Gauss error function. Local derivative: 2 / sqrt(pi) *
    exp(-x**2)."""
    a = x.data
    return _node(math.erf(a), _ERF, (x,), (_TWO_OVER_SQRT_PI * math.exp(-a * a),))


def _erf_slope(m: Any, y: Any, x: Any) -> Any:
    return _TWO_OVER_SQRT_PI * m.exp(-x * x)


ERF = elementwise("erf", {"erf": erf}, (_erf_slope,), lambda m, x: m.erf(x))
_ERF = (ERF,)


def erfc(x: Value) -> Value:
    """Forward: erfc(x) = 1 - erf(x), exact where it is small. Local derivative:
    -2 / sqrt(pi) * exp(-x**2)."""
    a = x.data
    return _node(math.erfc(a), _ERFC, (x,), (-_TWO_OVER_SQRT_PI * math.exp(-a * a),))


ERFC = elementwise(
    "erfc", {"erfc": erfc}, (lambda m, y, x: -_erf_slope(m, y, x),), lambda m, x: m.erfc(x)
)
_ERFC = (ERFC,)


class FunctionMethods:
    """Value's methods of this module's operations, as type checkers see them: `Value`
    inherits this class only for them (`autograd.engine` imports nothing of autograd at
    runtime), while at runtime each entry's `elementwise` sets its own methods on
    Value. A new operation adds its line here, beside its entry's module; a test checks
    that these lines and the entries name the same functions."""

    exp = exp
    expm1 = expm1
    exp2 = exp2
    log = log
    log1p = log1p
    log2 = log2
    log10 = log10
    sqrt = sqrt
    sin = sin
    cos = cos
    tan = tan
    asin = asin
    acos = acos
    atan = atan
    sinh = sinh
    cosh = cosh
    tanh = tanh
    asinh = asinh
    acosh = acosh
    atanh = atanh
    sigmoid = sigmoid
    softplus = softplus
    silu = silu
    erf = erf
    erfc = erfc
