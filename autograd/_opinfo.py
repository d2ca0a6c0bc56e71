"""What the pictures and pages know about each operation, read from its entry (see
`autograd.ops`): whether its operands may swap (else its edges are labelled ``a`` /
``b``), the symbol its oval shows, and the formula of its local derivatives (its
method's docstring). Which functions of lists fold their inputs with ``collapse=True``
is the drawing's own choice, kept here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from autograd import functional
from autograd.engine import OPS, Op

__all__ = ["COLLAPSIBLE", "formula", "non_commutative", "symbol"]

# Operations whose inputs `collapse=True` folds into one summary node.
COLLAPSIBLE = frozenset({"sum", "dot", "linear", "mean"})


def _entry(op: str) -> tuple[Op | None, bool]:
    """The entry of the op string `op` (``"*"``, ``"* 2"``, ``"2 /"``, ``"tanh"``) and
    whether a constant stands on its left."""
    entries = {entry.symbol: entry for entry in OPS.values() if entry.method is not None}
    words = op.split(" ")
    if len(words) == 2 and words[1] in entries:  # "2 /"
        return entries[words[1]], True
    return entries.get(words[0]) or OPS.get(op), False  # by symbol ("* 2") or name


def non_commutative(op: str) -> bool:
    """Whether the operation of `op` has two operands that may not swap (``-``, ``/``,
    ``**``, ``atan2``): its edges are then labelled."""
    entry, _ = _entry(op)
    return entry is not None and len(entry.rules) == 2 and not entry.commutative


def symbol(op: str, operands: int) -> str:
    """What the operation's oval shows: ``a - b`` for a non-commutative Value-Value
    operation (so the labelled edges read), else the op itself."""
    return f"a {op} b" if operands == 2 and non_commutative(op) else op


def formula(op: str) -> str:
    """The forward formula and local derivatives of `op`, as its entry's docstring writes
    them; "" for an op whose function is not documented here."""
    function = _documented(op)
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
    """The function whose docstring is `op`'s formula: its entry's method (for a constant
    on the left, ``"2 /"``, the reflected one), or a function of `autograd.functional`."""
    entry, constant_left = _entry(op)
    if entry is not None and entry.method is not None:
        return entry.documented(constant_left)
    function = getattr(functional, op, None)
    return function if callable(function) and not op.startswith("_") else None
