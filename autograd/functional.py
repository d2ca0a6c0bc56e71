"""Functions over lists of Values: sum, mean, max, min, logsumexp, softmax, log_softmax,
and (from `autograd.linear`) dot, matvec, linear.

Each one is a single node (or one node per output) with all of its inputs as parents,
not a chain of binary operations: a drawing shows one ``sum`` or ``dot`` node, and a
neuron's weighted sum costs one node instead of 2n. The local derivatives are written
next to the forward values, as in the engine's primitives.

Each function's entry (`autograd.engine.Op`) holds the rest of what the library knows
about it, at the end of this module: its derivatives as Value operations (higher
derivatives), its vectorised forms over numpy arrays (compiled mode's `Rule`, its
inputs on a last axis) and over torch tensors (`autograd.torch_lowering`), and how the
random graphs of `autograd.testing` call it.

The softmax family subtracts the largest input before exponentiating, so any finite
logits (1000 and -1000 included) give finite values and gradients.
"""

from __future__ import annotations

import builtins
import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd.engine import (
    Op,
    Value,
    _as_number,
    _check_operands,
    _Derivatives,
    _leaf,
    _node,
    _register,
    _stored,
    operation,
)
from autograd.linear import dot, is_batch, linear, matvec, not_finite, per_input

__all__ = [
    "dot",
    "is_batch",
    "linear",
    "log_softmax",
    "logsumexp",
    "matvec",
    "max",
    "mean",
    "min",
    "softmax",
    "sum",
]

_Scalar = Value | float
_ONLY_VALUES = frozenset({Value})
_ONLY_FLOATS = frozenset({float})


def _as_values(values: Iterable[_Scalar], func: str) -> tuple[Value, ...]:
    """The inputs as Values; plain numbers become constant leaves."""
    items: tuple[_Scalar, ...] | None = None
    if not isinstance(values, (Value, str, bytes)):
        # cheaper than an isinstance check against collections.abc.Iterable
        with contextlib.suppress(TypeError):
            items = tuple(values)
    if items is None:
        raise TypeError(
            f"{func}() takes a list of Values, got {type(values).__name__}; "
            f"wrap a single Value in a list: {func}([v])"
        )
    if set(map(type, items)) <= _ONLY_VALUES:
        return items  # type: ignore[return-value]
    return tuple(
        v if isinstance(v, Value) else _leaf(_as_number(v, f"{func}() element {i}"))
        for i, v in enumerate(items)
    )


def _nonempty(values: Iterable[_Scalar], func: str) -> tuple[Value, ...]:
    vs = _as_values(values, func)
    if not vs:
        raise ValueError(f"{func}() of an empty list is undefined; pass at least one Value")
    return vs


def _sum_of(xs: Sequence[float]) -> float:
    """The exactly rounded sum; on overflow the plain (signed, infinite) sum, which
    `_node` then reports with the op and its operands. Compiled mode's ``sum`` calls it
    per row, so both modes give the same numbers."""
    try:
        return math.fsum(xs)
    except OverflowError:  # fsum raises instead of returning inf
        return builtins.sum(xs)


def sum(values: Iterable[_Scalar]) -> Value:
    """Forward: x_1 + ... + x_n, as ONE node. Local derivatives: 1 for every input.

    The sum of an empty list is a constant 0.
    """
    vs = _as_values(values, "sum")
    total = _sum_of([v.data for v in vs])
    return _node(total, _SUM, vs, (1.0,) * len(vs))


def mean(values: Iterable[_Scalar]) -> Value:
    """Forward: (x_1 + ... + x_n) / n, as one node. Local derivatives: 1 / n each.

    The mean of finite numbers is finite, also where their sum is not (two of 1.5e308).
    """
    vs = _nonempty(values, "mean")
    n = len(vs)
    return _node(_mean_of([v.data for v in vs]), _MEAN, vs, (1.0 / n,) * n)


def _mean_of(xs: Sequence[float]) -> float:
    """The exactly rounded sum of xs, divided by n (compiled mode's ``mean`` per row).

    A sum past the float maximum is taken of the data scaled by 2**-k, 2**k >= n, which
    is exact (a power of two) and cannot overflow: each |x| is at most the maximum.
    """
    n = len(xs)
    try:
        return math.fsum(xs) / n
    except OverflowError:
        k = n.bit_length()
        scale = 2.0**-k
        return math.fsum([x * scale for x in xs]) / n * 2.0**k


def _extreme(values: Iterable[_Scalar], op: tuple[Op], pick: Callable[..., int]) -> Value:
    """The input `pick` (builtins.max or min) chooses, as one node: local derivative 1 for
    the first such input, 0 for the others (``pick`` returns the first of equals)."""
    vs = _nonempty(values, op[0].name)
    k = pick(range(len(vs)), key=lambda i: vs[i].data)
    return _node(vs[k].data, op, vs, tuple(1.0 if i == k else 0.0 for i in range(len(vs))))


def max(values: Iterable[_Scalar]) -> Value:
    """Forward: the largest input, as one node.

    Local derivatives: 1 for the first largest input, 0 for the others (as PyTorch's
    ``max`` over a dimension: ties send the whole gradient to the first maximum).
    """
    return _extreme(values, _MAX, builtins.max)


def min(values: Iterable[_Scalar]) -> Value:
    """Forward: the smallest input. Local derivatives: 1 for the first smallest, 0 elsewhere."""
    return _extreme(values, _MIN, builtins.min)


def _shifted_exps(vs: tuple[Value, ...], func: str) -> tuple[float, list[float], float, float]:
    """(m, exp(x_i - m), their sum S, log S) with m the largest input: nothing overflows.

    The largest input contributes exactly exp(0) = 1 to S, so log S is computed as
    ``log1p`` of the sum of the other terms: ``log(S)`` would round S = 1 + tiny to 1
    first and lose tiny entirely (logsumexp([0, -40]) would be 0, not 4.2e-18).

    A data set to inf or nan by hand shows in m or S (softmax would otherwise turn
    [inf, 1] into [1, 0] without a word); ``func`` names the caller in that error.
    """
    data = [v.data for v in vs]
    m = builtins.max(data)
    k = data.index(m)
    exps = [math.exp(x - m) for x in data]
    exps[k] = 0.0  # the others' sum, exactly rounded
    rest = math.fsum(exps)
    exps[k] = 1.0
    if not (math.isfinite(m) and math.isfinite(rest)):
        _check_operands(func, tuple(data))
    return m, exps, 1.0 + rest, math.log1p(rest)


def logsumexp(values: Iterable[_Scalar]) -> Value:
    """Forward: log(sum_i exp(x_i)), computed as m + log1p(sum_{i != k} exp(x_i - m)),
    where x_k = m is the largest input.

    Local derivatives: softmax(x)_i. Finite for any finite inputs.
    """
    vs = _nonempty(values, "logsumexp")
    m, exps, total, log_total = _shifted_exps(vs, "logsumexp")
    return _node(m + log_total, _LOGSUMEXP, vs, tuple(e / total for e in exps))


def softmax(values: Iterable[_Scalar]) -> list[Value]:
    """Forward: p_i = exp(x_i) / sum_j exp(x_j), one node per output, all inputs its parents.

    Local derivatives: d p_i / d x_j = p_i (delta_ij - p_j). Computed from x - max(x),
    so it never overflows.
    """
    vs = _nonempty(values, "softmax")
    _, exps, total, _ = _shifted_exps(vs, "softmax")
    probs = [e / total for e in exps]
    return [
        _node(p_i, (SOFTMAX, i), vs, tuple(p_i * ((i == j) - p_j) for j, p_j in enumerate(probs)))
        for i, p_i in enumerate(probs)
    ]


def log_softmax(values: Iterable[_Scalar]) -> list[Value]:
    """Forward: x_i - logsumexp(x), computed as (x_i - m) - log S, one node per output.

    Local derivatives: d out_i / d x_j = delta_ij - softmax(x)_j. The stable way to get
    log-probabilities: log(softmax(x)) fails when a probability underflows to 0.

    Both terms are <= 0, so nothing cancels: every output keeps its relative precision,
    also the log-probability of a confident class (-4.7e-15 for logits [33, 0]), which
    x_i - (m + log S) would round to -7.1e-15. With m the largest input, S = sum_j
    exp(x_j - m) is 1 plus the other terms, and log S is their ``log1p``.
    """
    vs = _nonempty(values, "log_softmax")
    m, exps, total, log_total = _shifted_exps(vs, "log_softmax")
    minus_probs = tuple([-e / total for e in exps])
    return [
        _node(
            (v.data - m) - log_total,
            (LOG_SOFTMAX, i),
            vs,
            (*minus_probs[:i], 1.0 + minus_probs[i], *minus_probs[i + 1 :]),
        )
        for i, v in enumerate(vs)
    ]


# ---------------------------------------------------------------- the entries
# Each function's entry: applied again to other operands; its local derivatives as
# Value operations (or the stored floats where they are piecewise constant); its
# vectorised forms. Compiled mode's (the keywords of `autograd.compile.Rule`) take
# arrays with the node's inputs on a last axis, each derivative (g, out, *operands) ->
# g times d out / d operand; torch's form is the forward over tensors, whose own
# autograd differentiates it.


def _per_row(each: Callable[[list[float]], float]) -> Callable[[Any], Any]:
    """A reduction over the last axis made of the engine's own float function, so the
    compiled sum and mean give the eager ones' numbers (exactly rounded, where numpy's
    pairwise sum is not: sum([x, 1, -x]) at x = 1e16 is 1, not 0)."""

    def reduce(x: Any) -> Any:
        rows = x.reshape(-1, x.shape[-1]).tolist()
        return np.fromiter(map(each, rows), float, len(rows)).reshape(x.shape[:-1])

    return reduce


def _spread(g: Any, x: Any) -> Any:
    """The same upstream gradient for each of a node's inputs."""
    return np.broadcast_to(g[..., None], g.shape + x.shape[-1:])


def _first_pick(x: Any, pick: Callable[..., Any]) -> Any:
    """One-hot along the last axis at the first extreme (as Python's max and min)."""
    k = pick(x, axis=-1)
    return (np.arange(x.shape[-1]) == k[..., None]).astype(float)


def _first(pick: str) -> Callable[[Any], Any]:
    """max / min over tensors with the gradient to the first extreme entry, as the engine
    (``pick`` the tensor method: argmax, argmin)."""
    return lambda x: x.gather(-1, getattr(x, pick)(-1, keepdim=True)).squeeze(-1)


def _list_test(
    function: Callable[[Any], Any],
    fewest: int = 1,
    *,
    constants: bool = False,
    pick: int | None = None,
) -> dict[str, Any]:
    """How a random graph calls a function of a list (`autograd.testing.Op`'s keywords):
    on 1 to 4 operands (``fewest``), plain numbers among them where ``constants``, and
    output ``pick`` of a function with one node per input (softmax)."""
    many = pick is not None
    return {
        "apply": (lambda *a: function(a)[pick]) if many else (lambda *a: function(a)),
        "arity": (fewest, 4),
        "constants": constants,
        "template": f"{function.__name__}([{{*}}])" + (f"[{pick}]" if many else ""),
    }


SUM = _register(
    Op(
        "sum",
        "sum",
        lambda p, c: sum(p),
        _stored,
        numpy={
            "forward": _per_row(_sum_of),
            "derivatives": (lambda g, y, x: _spread(g, x),),
            "vector": True,
            "bad": not_finite,
        },
        torch=lambda x: x.sum(-1),
        test_op=_list_test(sum, constants=True),
    )
)
MEAN = _register(
    Op(
        "mean",
        "mean",
        lambda p, c: mean(p),
        _stored,
        numpy={
            "forward": _per_row(_mean_of),
            "derivatives": (lambda g, y, x: _spread(g / x.shape[-1], x),),
            "vector": True,
        },
        torch=lambda x: x.mean(-1),
        test_op=_list_test(mean, constants=True),
    )
)
MAX = _register(
    Op(
        "max",
        "max",
        lambda p, c: max(p),
        _stored,
        ties=True,
        numpy={
            "forward": lambda x: x.max(-1),
            "derivatives": (lambda g, y, x: per_input(g) * _first_pick(x, np.argmax),),
            "vector": True,
        },
        torch=_first("argmax"),
        test_op=_list_test(max, 2),
    )
)
MIN = _register(
    Op(
        "min",
        "min",
        lambda p, c: min(p),
        _stored,
        ties=True,
        numpy={
            "forward": lambda x: x.min(-1),
            "derivatives": (lambda g, y, x: per_input(g) * _first_pick(x, np.argmin),),
            "vector": True,
        },
        torch=_first("argmin"),
        test_op=_list_test(min, 2),
    )
)


def _shifted(x: Any) -> tuple[Any, Any, Any, Any]:
    """As `_shifted_exps`, over arrays: (m, exp(x - m), S, log S) along the last axis, m
    the largest input (the first of equals), S = 1 + the rest, log S as log1p of the rest."""
    m = np.maximum.reduce(x, -1, keepdims=True)
    e = np.exp(x - m)
    flat = e.reshape(-1, x.shape[-1])  # a view: e is new and contiguous
    rows, first = np.arange(len(flat)), x.reshape(flat.shape).argmax(-1)
    flat[rows, first] = 0.0
    rest = np.add.reduce(e, -1, keepdims=True)  # the others, without the maximum's exact 1
    flat[rows, first] = 1.0
    return m, e, 1.0 + rest, np.log1p(rest)


def _lse(x: Any) -> Any:
    m, _, _, log_total = _shifted(x)
    return (m + log_total)[..., 0]


def _softmax(x: Any) -> Any:
    _, e, total, _ = _shifted(x)
    return e / total


def _log_softmax(x: Any) -> Any:
    """(x - m) - log S: both terms <= 0, so nothing cancels (as the engine)."""
    m, _, _, log_total = _shifted(x)
    return (x - m) - log_total


LOGSUMEXP = _register(
    Op(
        "logsumexp",
        "logsumexp",
        lambda p, c: logsumexp(p),
        lambda n: tuple(softmax(n.parents)),
        numpy={
            "forward": _lse,
            "derivatives": (lambda g, y, x: per_input(g) * _softmax(x),),
            "vector": True,
        },
        torch=lambda x: x.logsumexp(-1),
        test_op=_list_test(logsumexp),
    )
)

# The rules of the softmax family are written with softmax itself, never as
# exp(x_j - logsumexp(x)): at large inputs x_j - logsumexp(x) has lost the digits that
# say how far apart the inputs are (at 1e17, logsumexp([x, x]) rounds to x, so each
# probability came out 1, not 0.5). softmax shifts by the largest input, exactly, as the
# float rules do, so every derivative of every order stays shift-invariant.


def _softmax_derivatives(node: Value) -> _Derivatives:
    """d p_i / d x_j = p_i (delta_ij - p_j), with p = softmax(x) (node is p_i)."""
    i, probs = operation(node)[1].index, softmax(node.parents)
    return tuple(node * (1.0 - node) if j == i else -(node * p_j) for j, p_j in enumerate(probs))


def _log_softmax_derivatives(node: Value) -> _Derivatives:
    """d out_i / d x_j = delta_ij - p_j, with p = softmax(x)."""
    i, probs = operation(node)[1].index, softmax(node.parents)
    return tuple(1.0 - p_j if j == i else -p_j for j, p_j in enumerate(probs))


# Compiled mode computes the softmax family once per call, every output: its operands
# are (nodes, n), and g and out have that shape; the torch form takes the output's index.
SOFTMAX = _register(
    Op(
        "softmax",
        "softmax",
        lambda p, c: softmax(p)[c[0]],
        _softmax_derivatives,
        params=("index",),
        numpy={
            "forward": _softmax,
            "derivatives": (lambda g, p, x: p * (g - (g * p).sum(-1, keepdims=True)),),
            "vector": True,
            "multi_output": True,
        },
        torch=lambda x, index: x.softmax(-1)[..., index],
        test_op=_list_test(softmax, pick=0),
    )
)
LOG_SOFTMAX = _register(
    Op(
        "log_softmax",
        "log_softmax",
        lambda p, c: log_softmax(p)[c[0]],
        _log_softmax_derivatives,
        params=("index",),
        numpy={
            "forward": _log_softmax,
            "derivatives": (lambda g, y, x: g - _softmax(x) * g.sum(-1, keepdims=True),),
            "vector": True,
            "multi_output": True,
        },
        torch=lambda x, index: x.log_softmax(-1)[..., index],
        test_op=_list_test(log_softmax, pick=-1),
    )
)

_SUM, _MEAN, _MAX, _MIN, _LOGSUMEXP = (SUM,), (MEAN,), (MAX,), (MIN,), (LOGSUMEXP,)
