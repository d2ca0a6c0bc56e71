"""What every operation's entry is made with: `elementwise`, and the math the derivative
rules are written over (`FLOATS`, `VALUES`; compiled mode adds numpy's).

A derivative rule is written once, as a function ``rule(m, out, *arguments)`` of the
operation's output and arguments, calling its functions through ``m``: ``lambda m, y,
x: m.cos(x)`` is d sin(x) / dx. Given `FLOATS` and floats it is a number; given `VALUES`
and Values it records Value operations (the higher derivatives of
``grad(create_graph=True)``); given compile's numpy math and arrays it is the compiled
mode's vectorised derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from autograd import _op, engine
from autograd.engine import Op, Value, _register, _stored

__all__ = ["FLOATS", "VALUES", "Math", "elementwise"]


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _where(condition: Any, a: Any, b: Any) -> Any:
    return a if condition else b


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


class Math:
    """The math a rule is written over: the functions of a module (``math``, ``numpy``,
    ``torch``) by their usual names, under other names where the module uses them
    (numpy's ``arcsin`` is ``asin``), and the few it lacks, given. A new operation whose
    function the module already has needs no change here."""

    def __init__(self, module: Any, aliases: dict[str, str], **given: Any) -> None:
        self._module = module
        self._aliases = aliases
        self.__dict__.update(given)

    def __getattr__(self, name: str) -> Any:
        # Found once, then kept: a rule over arrays looks its functions up on every call.
        function = getattr(self._module, self._aliases.get(name, name))
        self.__dict__[name] = function
        return function


#: The math of floats: the `math` module's functions, and the few the rules need that
#: it lacks (``where(condition, a, b)``, ``sign``, a stable ``sigmoid`` and ``softplus``).
FLOATS: Any = Math(
    math,
    {},
    abs=abs,
    sign=_sign,
    sigmoid=_sigmoid,
    softplus=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
    where=_where,
)


class _ValueMath:
    """The math of Values: ``VALUES.cos(x)`` is ``x.cos()``, a recorded node, for a Value
    and ``math.cos(x)`` for a plain number (a constant operand)."""

    where = staticmethod(_where)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        on_floats = getattr(FLOATS, name)

        def apply(x: Any, *rest: Any) -> Any:
            return getattr(x, name)(*rest) if isinstance(x, Value) else on_floats(x, *rest)

        apply.__name__ = name
        return apply


VALUES: Any = _ValueMath()
_op._values_math = VALUES  # the engine's Op applies the rules to Values through it


def elementwise(
    name: str,
    methods: dict[str, Callable[..., Value]],
    rules: tuple[Callable[..., Any], ...],
    forward: Callable[..., Any],
    *,
    symbol: str | None = None,
    call: Callable[..., Value] | None = None,
    method: Callable[..., Value] | None = None,
    stored: bool = False,
    **facts: Any,
) -> Op:
    """Make, register and return the entry of an elementwise operation, and set its
    methods on `Value` (``{"tan": tan}``; the first is the one whose docstring is the
    formula).

    ``rules``: the derivative, one ``rule(m, out, *arguments)`` per operand; ``forward``
    ``(m, *arguments) -> out``. ``call`` applies the operation to operands that may be
    Values or numbers (``operator.mul``; by default the first method). ``stored=True``:
    the local derivatives are piecewise constant, so higher derivatives read the stored
    floats rather than record nodes. ``facts`` are the rest of the entry (`Op`'s
    keywords: ``params``, ``constant_operands``, ``domain``, ``singular``, ``kinks``,
    ``branch``, ``test_domain``, ``test_params``, ``numpy``).
    """
    method = method or next(iter(methods.values()))
    op = Op(
        name,
        symbol or name,
        derivatives=_stored if stored else None,
        call=call or method,
        method=method,
        methods=methods,
        rules=rules,
        forward_rule=forward,
        **facts,
    )
    _register(op)  # first: a name taken raises before Value changes
    for attribute, function in methods.items():
        setattr(Value, attribute, function)
    for function in (method, *methods.values()):
        engine._OPERATION_CODE.add(getattr(function, "__code__", None))
    return op
