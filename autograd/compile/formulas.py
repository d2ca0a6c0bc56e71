"""Formulas: an operation's entry rules written out as numpy code for the generated
program, instead of called.

An entry's forward ``lambda m, x: m.tanh(x)`` and derivative ``lambda m, t, x: 1.0 -
t * t`` are evaluated once, at generation time, on `Sym` placeholders and a math
namespace whose functions record their calls: the result is the formula's text,
``m_tanh(a)`` and ``(1.0 - (y * y))``, which the program runs inline. It is the same
numpy operations in the same order as calling the rule over arrays (Python's
operators on arrays are numpy's), so the numbers are the same to the bit; what goes is
the cost of the calls around them. A formula that branches on a value in Python
cannot be written out (`NotSymbolic`): the program then calls the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NotSymbolic", "Sym", "SymbolicMath", "text_of"]


class NotSymbolic(Exception):
    """The formula cannot be written out: the program calls the rule instead."""


def text_of(x: Any) -> str:
    """A formula's operand as code: a `Sym`'s text or a number's literal."""
    if isinstance(x, Sym):
        return x.text
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, (int, float, np.floating, np.integer)) and math.isfinite(float(x)):
        return repr(float(x))
    raise NotSymbolic(f"a constant {x!r} in a formula")


class Sym:
    """A placeholder for an array in a formula; operators build the formula's text.

    ``ufunc``: the formula's outermost operation as a numpy ufunc's name and its
    arguments, so the program can give it ``out=``."""

    __slots__ = ("indicator", "text", "ufunc")
    __array_ufunc__ = None  # numpy hands operators with a Sym back to the Sym

    def __init__(self, text: str, ufunc: tuple[str, tuple[Any, ...]] | None = None) -> None:
        self.text = text
        self.ufunc = ufunc
        # where(c, 1.0, 0.0): c itself, as a factor (g * c is g * where(c, 1.0, 0.0) to
        # the bit, a call fewer)
        self.indicator: Sym | None = None

    def into(self, out: str) -> str:
        """A statement writing the formula's value into the array `out`."""
        if self.ufunc is not None:
            name, args = self.ufunc
            return f"{name}({', '.join(map(text_of, args))}, out={out})"
        return f"{out}[...] = {self.text}"

    def __bool__(self) -> bool:
        raise NotSymbolic("a Python branch on a value")

    __hash__ = None  # type: ignore[assignment]

    # Python's operators on arrays are numpy's ufuncs: written as the operators, with
    # the ufunc kept for ``out=`` (not for ``**``: numpy's has fast paths of its own).
    def __add__(self, other: Any) -> Sym:
        return _infix(self, "+", other, "np.add")

    def __radd__(self, other: Any) -> Sym:
        return _infix(other, "+", self, "np.add")

    def __sub__(self, other: Any) -> Sym:
        return _infix(self, "-", other, "np.subtract")

    def __rsub__(self, other: Any) -> Sym:
        return _infix(other, "-", self, "np.subtract")

    def __mul__(self, other: Any) -> Sym:
        return _infix(self, "*", other, "np.multiply")

    def __rmul__(self, other: Any) -> Sym:
        return _infix(other, "*", self, "np.multiply")

    def __truediv__(self, other: Any) -> Sym:
        return _infix(self, "/", other, "np.true_divide")

    def __rtruediv__(self, other: Any) -> Sym:
        return _infix(other, "/", self, "np.true_divide")

    def __pow__(self, other: Any) -> Sym:
        return _infix(self, "**", other)

    def __rpow__(self, other: Any) -> Sym:
        return _infix(other, "**", self)

    def __and__(self, other: Any) -> Sym:
        return _infix(self, "&", other)

    def __or__(self, other: Any) -> Sym:
        return _infix(self, "|", other)

    def __gt__(self, other: Any) -> Sym:
        return _infix(self, ">", other)

    def __ge__(self, other: Any) -> Sym:
        return _infix(self, ">=", other)

    def __lt__(self, other: Any) -> Sym:
        return _infix(self, "<", other)

    def __le__(self, other: Any) -> Sym:
        return _infix(self, "<=", other)

    def __eq__(self, other: Any) -> Sym:  # type: ignore[override]
        return _infix(self, "==", other)

    def __ne__(self, other: Any) -> Sym:  # type: ignore[override]
        return _infix(self, "!=", other)

    def __neg__(self) -> Sym:
        return Sym(f"(-{self.text})", ("np.negative", (self,)))

    def __invert__(self) -> Sym:
        return Sym(f"(~{self.text})")

    def __abs__(self) -> Sym:
        return Sym(f"abs({self.text})", ("np.absolute", (self,)))


def _numbers(args: tuple[Any, ...]) -> list[float | None]:
    """Each argument's value if it is a plain number, else None (a Sym compares as text)."""
    return [float(a) if isinstance(a, (int, float)) else None for a in args]


def _infix(a: Any, symbol: str, b: Any, ufunc: str | None = None) -> Sym:
    return Sym(f"({text_of(a)} {symbol} {text_of(b)})", (ufunc, (a, b)) if ufunc else None)


class SymbolicMath:
    """The math namespace a formula is written out over: ``m.tanh(x)`` is the text of a
    call of the function `math` (compile's numpy math) gives for ``tanh``, bound in
    the program's names by `bind`."""

    def __init__(self, math_: Any, bind: Callable[[Any, str], str]) -> None:
        self._math = math_
        self._bind = bind
        self._names: dict[str, str] = {}

    def __getattr__(self, name: str) -> Callable[..., Sym]:
        function = getattr(self._math, name)
        if name not in self._names:
            own = str(getattr(function, "__name__", ""))
            if own and getattr(np, own, None) is function:
                self._names[name] = f"np.{own}"
            else:
                self._names[name] = self._bind(function, f"m_{name}_")
        code = self._names[name]
        ufunc = isinstance(function, np.ufunc)

        def call(*args: Any) -> Sym:
            result = Sym(
                f"{code}({', '.join(map(text_of, args))})", (code, args) if ufunc else None
            )
            if name == "where" and _numbers(args[1:]) == [1.0, 0.0]:
                result.indicator = args[0]
            return result

        return call
