"""The vectorised rules of compiled mode: numpy's math for the operations' entries
(`NUMPY`; an elementwise operation's rule comes from its entry, `rule_of`), and the rules
of the functions of lists and of a layer's matrix product (`RULES`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd import engine
from autograd.engine import Op
from autograd.functional import _mean_of, _sum_of
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
      The engine's own error is then produced by replaying that row eagerly.
    """

    forward: Callable[..., Array]
    derivatives: tuple[Callable[..., Array], ...]
    vector: bool | tuple[bool, ...] = False
    bad: Callable[..., Any] | None = None

    def is_vector(self, operand: int) -> bool:
        """Whether this operand has the node's inputs on a last axis."""
        return self.vector if isinstance(self.vector, bool) else self.vector[operand]


def _not_finite(out: Array, *operands: Array) -> Any:
    return ~np.isfinite(out)


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


def _first_pick(x: Array, pick: Callable[..., Any]) -> Array:
    """One-hot along the last axis at the first extreme (as Python's max and min)."""
    k = pick(x, axis=-1)
    return (np.arange(x.shape[-1]) == k[..., None]).astype(float)  # type: ignore[no-any-return]


def _shifted(x: Array) -> tuple[Array, Array, Array, Array]:
    """As the engine's: (m, exp(x - m), S, log S) along the last axis, m the largest
    input (the first of equals), S = 1 + the rest, and log S as log1p of the rest."""
    m = np.maximum.reduce(x, -1, keepdims=True)
    e = np.exp(x - m)
    flat = e.reshape(-1, x.shape[-1])  # a view: e is new and contiguous
    rows, first = np.arange(len(flat)), x.reshape(flat.shape).argmax(-1)
    flat[rows, first] = 0.0
    rest = np.add.reduce(e, -1, keepdims=True)  # the others, without the maximum's exact 1
    flat[rows, first] = 1.0
    return m, e, 1.0 + rest, np.log1p(rest)


def _lse(x: Array) -> Array:
    m, _, _, log_total = _shifted(x)
    return (m + log_total)[..., 0]


def _softmax(x: Array) -> Array:
    _, e, total, _ = _shifted(x)
    return e / total


def _log_softmax(x: Array) -> Array:
    """(x - m) - log S: both terms <= 0, so nothing cancels (as the engine)."""
    m, _, _, log_total = _shifted(x)
    return (x - m) - log_total


def _matmul(x: Array, w: Array) -> Array:
    """x (batch, n) or (n,) times the rows of w (nodes, n): (batch, nodes) or (nodes,)."""
    return x @ w.T  # type: ignore[no-any-return]


def _outer_grad(g: Array, x: Array) -> Array:
    """d (x . w_k) / d w summed over the batch: g (batch, nodes) against x (batch, n)."""
    return g.T @ x if g.ndim == 2 else np.multiply.outer(g, x)


def _per_row(each: Callable[[list[float]], float]) -> Callable[[Array], Array]:
    """A reduction over the last axis made of the engine's own float function, so the
    compiled sum and mean give the eager ones' numbers (exactly rounded, where numpy's
    pairwise sum is not: sum([x, 1, -x]) at x = 1e16 is 1, not 0)."""

    def reduce(x: Array) -> Array:
        rows = x.reshape(-1, x.shape[-1]).tolist()
        return np.fromiter(map(each, rows), float, len(rows)).reshape(x.shape[:-1])

    return reduce


def _others_product(x: Array) -> Array:
    """For each input on the last axis, the product of the others (prefix times suffix
    products, as the engine: no division, exact where an input is 0)."""
    ones = np.ones((*x.shape[:-1], 1))
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], -1), -1)[..., ::-1]
    return before * after


def _spread(g: Array, x: Array) -> Array:
    """The same upstream gradient for each of a node's inputs."""
    return np.broadcast_to(g[..., None], g.shape + x.shape[-1:])


def _g(g: Array) -> Array:
    """An elementwise upstream gradient lined up with a vector operand's last axis."""
    return g[..., None]


#: The vectorised rules of the functions of lists (their inputs on a last axis) and of
#: the layer's matrix product; an elementwise operation's comes from its entry (`_rule`).
RULES: dict[str, Rule] = {
    "sum": Rule(_per_row(_sum_of), (lambda g, y, x: _spread(g, x),), True, _not_finite),
    "prod": Rule(
        lambda x: x.prod(-1), (lambda g, y, x: _g(g) * _others_product(x),), True, _not_finite
    ),
    "mean": Rule(_per_row(_mean_of), (lambda g, y, x: _spread(g / x.shape[-1], x),), True),
    "max": Rule(lambda x: x.max(-1), (lambda g, y, x: _g(g) * _first_pick(x, np.argmax),), True),
    "min": Rule(lambda x: x.min(-1), (lambda g, y, x: _g(g) * _first_pick(x, np.argmin),), True),
    "logsumexp": Rule(_lse, (lambda g, y, x: _g(g) * _softmax(x),), True),
    "dot": Rule(
        lambda a, b: (a * b).sum(-1),
        (lambda g, y, a, b: _g(g) * b, lambda g, y, a, b: _g(g) * a),
        True,
        _not_finite,
    ),
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
    # linear nodes that do not share their inputs: w (nodes, n), bias (nodes,), x (nodes, n).
    "linear": Rule(
        lambda w, bias, x: (w * x).sum(-1) + bias,
        (
            lambda g, y, w, bias, x: _g(g) * x,
            lambda g, y, w, bias, x: g,
            lambda g, y, w, bias, x: _g(g) * w,
        ),
        (True, False, True),
        _not_finite,
    ),
    # One call per row of operands (nodes, n): every output of a softmax, then the rule
    # picks; g and out have the operands' shape.
    "softmax": Rule(
        _softmax,
        (lambda g, p, x: p * (g - (g * p).sum(-1, keepdims=True)),),
        True,
    ),
    "log_softmax": Rule(
        _log_softmax,
        (lambda g, y, x: g - _softmax(x) * g.sum(-1, keepdims=True),),
        True,
    ),
}

# Kinds whose nodes are the outputs of one call over shared inputs (softmax's k outputs).
_MULTI_OUTPUT = frozenset({"softmax", "log_softmax"})
# Kinds a group of nodes sharing their inputs turns into one matrix product.
_WEIGHTED_SUMS = frozenset({"dot", "linear"})


def _has_rule(kind: str) -> bool:
    op = engine.OPS.get(kind)
    return kind in RULES or (op is not None and bool(op.rules))
