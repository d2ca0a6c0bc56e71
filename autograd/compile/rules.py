"""The vectorised rules of compiled mode, all made from the operations' entries: numpy's
math for the elementwise entries' rules (`NUMPY`, `_rule`), the functions of lists'
numpy forms (`RULES`), and compiled mode's own fusion of a layer's linear nodes into a
matrix product (``RULES["matmul"]``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd import engine
from autograd.engine import Op
from autograd.linear import not_finite, per_input
from autograd.ops import Math

Array = NDArray[np.float64]


# ====================================================================== the rules
#
# A rule's forward takes the node's operands as arrays and returns its value; its
# derivative functions, one per operand, take (g, out, *operands) and return
# g * d out / d operand (the vector-Jacobian product). Operands of elementwise rules
# have the shape (batch, nodes) or (nodes,); those of vector rules (sum, dot, ...)
# one more axis, the node's inputs, over which they reduce.


@dataclass(frozen=True)
class Rule:
    """The vectorised form of one kind of operation.

    - ``forward(*operands) -> out``;
    - ``derivatives``: one function per operand, ``(g, out, *operands) -> contribution``;
    - ``vector``: the operands carry the node's inputs on a last axis (sum, dot, ...);
      one flag for all operands, or one per operand;
    - ``bad(out, *operands) -> mask``: where the engine would raise (None: never).
      The engine's own error is then produced by replaying that row eagerly;
    - ``multi_output``: one call computes every output of a node's inputs (softmax's
      k outputs), out and g with the operands' shape;
    - ``weighted_sum``: nodes of this kind sharing their inputs make one matrix product.
    """

    forward: Callable[..., Array]
    derivatives: tuple[Callable[..., Array], ...]
    vector: bool | tuple[bool, ...] = False
    bad: Callable[..., Any] | None = None
    multi_output: bool = False
    weighted_sum: bool = False

    def is_vector(self, operand: int) -> bool:
        """Whether this operand has the node's inputs on a last axis."""
        return self.vector if isinstance(self.vector, bool) else self.vector[operand]


# The entries' array helpers, under the names compiled mode uses: where a row is not
# finite, and an upstream gradient lined up with a vector operand's last axis.
_not_finite, _g = not_finite, per_input


def _sigmoid(x: Array) -> Array:
    """As the engine: 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


_erf = np.vectorize(math.erf, otypes=[float])  # numpy has no erf: math's, row by row
_erfc = np.vectorize(math.erfc, otypes=[float])

#: numpy's math for the entries' rules (``rule(m, out, *arguments)``, see
#: `autograd.ops`): the same formula that gives a float or a Value gives an array.
NUMPY: Any = Math(
    np,
    {name: "arc" + name[1:] for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh")},
    atan2=np.arctan2,
    erf=_erf,
    erfc=_erfc,
    sigmoid=_sigmoid,
    softplus=_softplus,
)


def _elementwise_rule(op: Op, varying: tuple[bool, ...]) -> Rule:
    """The vectorised rule of an elementwise entry, for nodes whose arguments are Values
    where `varying` says (a constant operand elsewhere): its forward and derivatives
    over `NUMPY`, or the numpy forms the entry gives where those would not do."""
    forms = op.numpy
    rule_forward = op.forward_rule
    assert rule_forward is not None  # an entry with rules has its forward too
    forward = forms.get("forward") or (lambda *args: rule_forward(NUMPY, *args))
    rules = [own or shared for own, shared in zip(forms.get("rules", (None,) * 9), op.rules)]
    rules += op.rules[len(rules) :]
    derivatives = tuple(_times_g(rule) for rule in rules)
    if "bad" in forms:
        given = forms["bad"]
        return Rule(forward, derivatives, bad=lambda y, *args: given(NUMPY, y, *args, varying))
    domain = op.domain
    singular = [rule for rule, v in zip(rules, varying) if v] if op.singular else []

    def bad(y: Array, *args: Array) -> Any:
        mask = ~np.isfinite(y)
        if domain is not None:
            mask |= ~domain(NUMPY, *args)
        for rule in singular:
            mask |= ~np.isfinite(rule(NUMPY, y, *args))
        return mask

    return Rule(forward, derivatives, bad=bad if domain or singular else _not_finite)


def _times_g(rule: Callable[..., Any]) -> Callable[..., Array]:
    return lambda g, y, *args: g * rule(NUMPY, y, *args)


_ELEMENTWISE_RULES: dict[tuple[str, tuple[bool, ...]], Rule] = {}


def _rule(kind: str, varying: tuple[bool, ...]) -> Rule:
    """The rule of `kind` (an entry's name, or one of `RULES`) for nodes with Values
    where `varying` says."""
    op = engine.OPS.get(kind)
    if op is None or not op.rules:
        return RULES[kind]
    key = (kind, varying)
    if key not in _ELEMENTWISE_RULES:
        _ELEMENTWISE_RULES[key] = _elementwise_rule(op, varying)
    return _ELEMENTWISE_RULES[key]


def _matmul(x: Array, w: Array) -> Array:
    """x (batch, n) or (n,) times the rows of w (nodes, n): (batch, nodes) or (nodes,)."""
    return x @ w.T  # type: ignore[no-any-return]


def _outer_grad(g: Array, x: Array) -> Array:
    """d (x . w_k) / d w summed over the batch: g (batch, nodes) against x (batch, n)."""
    return g.T @ x if g.ndim == 2 else np.multiply.outer(g, x)


def _from_entry(op: Op) -> Rule:
    """The vectorised rule of a function of a list: its entry's numpy form (`Op.numpy`,
    the keywords of `Rule`), written beside its Value rule (`autograd.functional`)."""
    return Rule(**op.numpy)


def _vector_entries() -> dict[str, Rule]:
    """The rules of the entries that have a numpy form and no elementwise rules."""
    return {op.name: _from_entry(op) for op in engine.OPS.values() if op.numpy and not op.rules}


#: The vectorised rules of the functions of lists (their inputs on a last axis), each
#: made from its entry, and of a layer's matrix product, compiled mode's own fusion of
#: linear nodes that share their inputs; an elementwise operation's comes from its
#: entry too (`_rule`).
RULES: dict[str, Rule] = {
    **_vector_entries(),
    # A layer's weighted sums over shared inputs x: w (nodes, n), bias (nodes,), x (n,).
    "matmul": Rule(
        lambda w, bias, x: _matmul(x, w) + bias,
        (
            lambda g, y, w, bias, x: _outer_grad(g, x),
            lambda g, y, w, bias, x: g,
            lambda g, y, w, bias, x: g @ w,
        ),
        bad=_not_finite,
    ),
}

# Kinds whose nodes are the outputs of one call over shared inputs (softmax's k outputs).
_MULTI_OUTPUT = frozenset(kind for kind, rule in RULES.items() if rule.multi_output)
# Kinds a group of nodes sharing their inputs turns into one matrix product.
_WEIGHTED_SUMS = frozenset(kind for kind, rule in RULES.items() if rule.weighted_sum)


def _has_rule(kind: str) -> bool:
    op = engine.OPS.get(kind)
    return kind in RULES or (op is not None and bool(op.rules))
