"""User-defined primitives: a function on floats that returns its value and its local
derivatives becomes an operation of the engine, recorded as ONE node named after it.

>>> import math
>>> from autograd import Value, primitive
>>> @primitive
... def swish(x):
...     s = 1.0 / (1.0 + math.exp(-x))
...     return x * s, (s * (1.0 + x * (1.0 - s)),)   # (value, local derivatives)
>>> y = swish(Value(0.5)) * 2
>>> y.parents[0].op
'swish'

The function gets every argument as a float and returns ``(value, derivatives)``: one
derivative per argument, in order (a number argument is a constant: its derivative is
not used, any number will do). That is the engine's own rule: each node stores its
local derivatives, and ``backward()`` multiplies them along the graph.

To differentiate a primitive more than once (``autograd.grad(..., create_graph=True)``,
``hessian``), give its derivatives also as Value operations: a function of the same
arguments (Values for the Values, floats for the constants) returning one derivative
per argument, built from Value operations so that it can be differentiated again::

    @swish.defderiv
    def _(x):
        s = x.sigmoid()
        return (s * (1.0 + x * (1.0 - s)),)

or ``@primitive(deriv=rule)``. Without one, the first derivative works everywhere, and
a second raises an error naming the primitive and saying to add it.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, overload

from autograd.engine import (
    Op,
    Value,
    _as_number,
    _Derivatives,
    _fmt,
    _node,
    _Operands,
    operation,
)

__all__ = ["Primitive", "primitive"]

_Rule = Callable[..., Sequence[Any]]


class Primitive:
    """An operation of the engine made from a function on floats (see `primitive`).

    Call it with Values and numbers; it returns one Value, a node whose ``op`` is the
    function's name, whose parents are the Value arguments and whose local derivatives
    are those the function returned for them. ``op`` is its `autograd.engine.Op`.
    """

    def __init__(self, func: Callable[..., Any], deriv: _Rule | None = None) -> None:
        if not callable(func):
            raise TypeError(
                f"primitive() takes a function, got {type(func).__name__} {func!r}; use it "
                f"as a decorator: @primitive above a def"
            )
        functools.update_wrapper(self, func)
        self.func = func
        self.name: str = getattr(func, "__name__", type(func).__name__)
        self.deriv: _Rule | None = None
        self.op = Op(self.name, self.name, self._apply, self._derivatives, params=("layout",))
        self._all_values: tuple[Any, ...] = (self.op, None)
        if deriv is not None:
            self.defderiv(deriv)

    def defderiv(self, rule: _Rule) -> _Rule:
        """Give the local derivatives as Value operations, so that the primitive can be
        differentiated again: ``rule(*args)`` gets the call's arguments (Values for the
        Values, floats for the constants) and returns one derivative per argument.
        Returns `rule`, so it can decorate a def."""
        if not callable(rule):
            raise TypeError(
                f"{self.name}.defderiv() takes a function returning the local derivatives "
                f"as Values, got {type(rule).__name__} {rule!r}"
            )
        self.deriv = rule
        return rule

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Value | float) -> Value:
        floats = [_argument(self.name, i, a) for i, a in enumerate(args)]
        try:
            result = self.func(*floats)
        except Exception as error:
            raise _renamed(error, f"primitive {self.name}{_operands(floats)} raised") from error
        value, derivatives = self._checked(result, floats)
        if all(type(a) is Value for a in args):
            op = self._all_values
            parents: tuple[Value, ...] = args  # type: ignore[assignment]
            local_grads = tuple(derivatives)
        else:
            op = (self.op, tuple(None if isinstance(a, Value) else x for a, x in zip(args, floats)))
            parents = tuple(a for a in args if isinstance(a, Value))
            local_grads = tuple(d for a, d in zip(args, derivatives) if isinstance(a, Value))
        return _node(value, op, parents, local_grads)

    def _checked(self, result: object, floats: list[float]) -> tuple[float, list[float]]:
        """The function's (value, derivatives), checked: a pair, a finite number, one
        finite number per argument."""
        where = f"primitive {self.name}{_operands(floats)}"
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"{where} returned {_short(result)}; a primitive returns a pair (value, "
                f"local derivatives), e.g. return y, (dy_dx,)"
            )
        value, derivatives = result
        if not isinstance(derivatives, (tuple, list)):
            raise TypeError(
                f"{where} returned local derivatives {_short(derivatives)}; return them as a "
                f"tuple with one per argument, e.g. (dy_dx,)"
            )
        if len(derivatives) != len(floats):
            raise TypeError(
                f"{where} returned {len(derivatives)} local derivative(s) for "
                f"{len(floats)} argument(s); return exactly one per argument, in order"
            )
        return (
            _finite(where, "its value", value),
            [_finite(where, f"its derivative {i}", d) for i, d in enumerate(derivatives)],
        )

    # ------------------------------------------------------------ the Op's parts

    def _arguments(self, parents: _Operands, layout: tuple[Any, ...] | None) -> list[Any]:
        """The call's arguments, rebuilt: `parents` where Values were, the constants."""
        if layout is None:
            return list(parents)
        rest = iter(parents)
        return [next(rest) if c is None else c for c in layout]

    def _apply(self, operands: _Operands, constants: tuple[Any, ...]) -> Value:
        return self(*self._arguments(operands, constants[0]))

    def _derivatives(self, node: Value) -> _Derivatives:
        args = self._arguments(node.parents, operation(node)[1].layout)
        if self.deriv is None:
            raise NotImplementedError(
                f"primitive {self.name} has no derivative rule written with Value operations, "
                f"so it cannot be differentiated twice (create_graph=True, hessian, order=2); "
                f"add one: @{self.name}.defderiv above a def taking the same arguments and "
                f"returning its local derivatives built from Value operations"
            )
        where = f"the derivative rule of primitive {self.name}"
        try:
            result = self.deriv(*args)
        except Exception as error:
            raise _renamed(error, f"{where} raised") from error
        if not isinstance(result, (tuple, list)) or len(result) != len(args):
            count = len(result) if isinstance(result, (tuple, list)) else None
            raise TypeError(
                f"{where} returned {_short(result) if count is None else f'{count} item(s)'} "
                f"for {len(args)} argument(s); return a tuple with one derivative per argument"
            )
        for i, d in enumerate(result):
            if not isinstance(d, Value):
                _finite(where, f"derivative {i}", d)
        return tuple(d for a, d in zip(args, result) if isinstance(a, Value))


@overload
def primitive(func: Callable[..., Any], *, deriv: _Rule | None = None) -> Primitive: ...


@overload
def primitive(
    func: None = None, *, deriv: _Rule | None = None
) -> Callable[[Callable[..., Any]], Primitive]: ...


def primitive(
    func: Callable[..., Any] | None = None, *, deriv: _Rule | None = None
) -> Primitive | Callable[[Callable[..., Any]], Primitive]:
    """Make `func` an operation of the engine: ``@primitive`` or ``@primitive(deriv=rule)``.

    ``func(*floats)`` returns ``(value, local_derivatives)``, one derivative per
    argument. The primitive takes Values and numbers (numbers are constants) and
    returns one node named after `func`. A non-finite value or derivative raises an
    error naming the primitive and its operands; an exception inside `func` is raised
    again, with the same type, its message prefixed by the primitive's name; a wrong
    count of derivatives is a TypeError. ``deriv`` (or ``.defderiv`` later) gives the
    derivatives as Value operations, for higher derivatives.
    """
    if func is None:
        return lambda f: Primitive(f, deriv)
    return Primitive(func, deriv)


def _argument(name: str, i: int, a: object) -> float:
    if isinstance(a, Value):
        return a.data
    return _as_number(a, f"primitive {name} argument {i}")


def _finite(where: str, what: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {what} must be a real number, got {_short(x)}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: {what} is {value!r}, not a finite number; the operands are outside "
            f"its domain, or too close to a singularity"
        )
    return value


def _operands(floats: list[float]) -> str:
    return "(" + ", ".join(_fmt(x) for x in floats) + ")"


def _short(x: object) -> str:
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _renamed(error: Exception, prefix: str) -> Exception:
    """The same kind of exception, its message prefixed (a RuntimeError when that type
    cannot be built from one message)."""
    message = f"{prefix} {type(error).__name__}: {error}"
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)
