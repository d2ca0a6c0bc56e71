"""What the pictures and pages know about each operation, in one place.

Which operations cannot swap their operands (their edges are labelled ``a`` / ``b``),
which fold their inputs with ``collapse=True``, the symbol an operation shows, and the
formula of its local derivatives, read from the engine's own docstrings. When the
operations become entries that carry these facts themselves, this module reads them
from there and nothing else changes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from autograd import functional
from autograd.engine import Value

__all__ = ["COLLAPSIBLE", "NON_COMMUTATIVE", "formula", "symbol"]

# Operations with two Value operands whose order matters: their edges are labelled.
NON_COMMUTATIVE = frozenset({"-", "/", "**"})
# Operations whose inputs `collapse=True` folds into one summary node.
COLLAPSIBLE = frozenset({"sum", "dot", "linear", "mean"})


def symbol(op: str, operands: int) -> str:
    """What the operation's oval shows: ``a - b`` for a non-commutative Value-Value
    operation (so the labelled edges read), else the op itself."""
    return f"a {op} b" if op in NON_COMMUTATIVE and operands == 2 else op


# Which function documents each op. Ops with a constant carry it in their name
# ("* 2", "2 -", "** 3"); the side of the constant picks the reflected method.
_VALUE_METHODS: dict[str, Callable[..., Any]] = {
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": Value.__truediv__,
    "**": Value.__pow__,
    "neg": Value.__neg__,
}
_REFLECTED: dict[str, Callable[..., Any]] = {
    "+": Value.__add__,  # c + x: the same derivative as x + c
    "-": Value.__rsub__,
    "*": Value.__mul__,
    "/": Value.__rtruediv__,
    "**": Value.__rpow__,
}
_CONSTANT_RIGHT = re.compile(r"^(\+|-|\*|/|\*\*) \S+$")  # "* 2": x * 2
_CONSTANT_LEFT = re.compile(r"^\S+ (\+|-|\*|/|\*\*)$")  # "2 -": 2 - x


def formula(op: str) -> str:
    """The forward formula and local derivatives of `op`, as the engine's docstrings
    write them; "" for an op whose function is not documented here."""
    function: Callable[..., Any] | None
    if match := _CONSTANT_RIGHT.match(op):
        function = _VALUE_METHODS.get(match[1])
    elif match := _CONSTANT_LEFT.match(op):
        function = _REFLECTED.get(match[1])
    else:
        function = _VALUE_METHODS.get(op) or _documented(op)
    doc = inspect.getdoc(function) if function is not None else None
    if not doc:
        return ""
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n")]
    keep = [paragraphs[0]]
    derivative = next((p for p in paragraphs if "local derivative" in p.lower()), None)
    if derivative is not None and derivative is not paragraphs[0]:
        keep.append(derivative)
    return " ".join(keep)


def _documented(op: str) -> Callable[..., Any] | None:
    """A Value method or an `autograd.functional` function named `op` ("tanh", "dot")."""
    method = getattr(Value, op, None)
    if callable(method) and not op.startswith("_"):
        return method  # type: ignore[no-any-return]
    function = getattr(functional, op, None)
    return function if callable(function) and not op.startswith("_") else None
