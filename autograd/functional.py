"""Functions over lists of Values: sum, dot, matvec, mean, max, min, logsumexp, softmax,
log_softmax.

Each one is a single node (or one node per output) with all of its inputs as parents,
not a chain of binary operations: a drawing shows one ``sum`` or ``dot`` node, and a
neuron's weighted sum costs one node instead of 2n. The local derivatives are written
next to the forward values, as in the engine's primitives.

The softmax family subtracts the largest input before exponentiating, so any finite
logits (1000 and -1000 included) give finite values and gradients.
"""

from __future__ import annotations

import builtins
import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from operator import mul

from autograd.engine import Value, _as_number, _leaf, _node

__all__ = ["dot", "log_softmax", "logsumexp", "matvec", "max", "mean", "min", "softmax", "sum"]

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


def _fsum(vs: tuple[Value, ...]) -> float:
    """The exactly rounded sum of the data; on overflow the plain (signed, infinite) sum,
    which `_node` then reports with the op and its operands."""
    try:
        return math.fsum(v.data for v in vs)
    except OverflowError:  # fsum raises instead of returning inf
        return builtins.sum(v.data for v in vs)


def sum(values: Iterable[_Scalar]) -> Value:
    """Forward: x_1 + ... + x_n, as ONE node. Local derivatives: 1 for every input.

    The sum of an empty list is a constant 0.
    """
    vs = _as_values(values, "sum")
    total = _fsum(vs)
    return _node(total, "sum", vs, (1.0,) * len(vs))


def mean(values: Iterable[_Scalar]) -> Value:
    """Forward: (x_1 + ... + x_n) / n, as one node. Local derivatives: 1 / n each."""
    vs = _nonempty(values, "mean")
    n = len(vs)
    return _node(_fsum(vs) / n, "mean", vs, (1.0 / n,) * n)


def dot(a: Sequence[_Scalar], b: Sequence[_Scalar]) -> Value:
    """Forward: a_1 b_1 + ... + a_n b_n, as ONE node.

    Local derivatives: d/da_i = b_i and d/db_i = a_i. The parents are the Values of
    ``a`` then those of ``b``, in order; plain numbers on either side are constants
    (a neuron's weights dotted with raw float inputs records only the weights).
    """
    a_side, b_side = _operand(a, "a"), _operand(b, "b")
    if len(a_side[1]) != len(b_side[1]):
        raise ValueError(
            f"dot() needs two sequences of the same length, got {len(a_side[1])} and "
            f"{len(b_side[1])}"
        )
    return _dot_node(a_side, b_side, "a", "b")


def matvec(rows: Sequence[Sequence[_Scalar]], x: Sequence[_Scalar]) -> list[Value]:
    """``[dot(row, x) for row in rows]``: the same nodes, with the work on ``x`` done once.

    A layer of neurons is exactly this (each neuron's weights dotted with the layer's
    inputs), so `nn.Layer` calls it: x is checked and its numbers read once per layer
    instead of once per neuron.
    """
    x_side = _operand(x, "x")
    x_items, x_data, x_values = x_side
    n = len(x_data)
    # The dot node of a row of Values: parents row + x's Values, local derivatives
    # x's numbers (for the row) + the row's numbers (for x's Values, if any).
    x_parents = x_items if x_values == n else () if x_values == 0 else None
    out = []
    for k, row in enumerate(rows):
        items = tuple(row) if isinstance(row, (list, tuple)) else ()
        if x_parents is not None and len(items) == n and set(map(type, items)) == _ONLY_VALUES:
            data = tuple([v.data for v in items])
            total = builtins.sum(map(mul, data, x_data), 0.0)
            if math.isfinite(total):
                locals_ = x_data + data if x_parents else x_data
                out.append(_node(total, "dot", items + x_parents, locals_))
                continue
        # Anything else (constants in the row, a wrong length, an overflow) takes the
        # general path, which also says what is wrong.
        name = f"rows[{k}]"
        row_side = _operand(row, name)
        if len(row_side[1]) != n:
            raise ValueError(
                f"matvec(): {name} has {len(row_side[1])} elements and x has {n}; every row "
                f"needs one number per element of x"
            )
        out.append(_dot_node(row_side, x_side, name, "x"))
    return out


# (elements, their numbers, how many of the elements are Values): one side of a dot
_Operand = tuple[tuple[_Scalar, ...], tuple[float, ...], int]


def _dot_node(a: _Operand, b: _Operand, a_name: str, b_name: str) -> Value:
    """The dot node of two checked sides of equal length (names for error messages)."""
    a_items, a_data, a_values = a
    b_items, b_data, b_values = b
    total = builtins.sum(map(mul, a_data, b_data), 0.0)
    if not math.isfinite(total):
        _raise_non_finite_dot(((a_name, a_data), (b_name, b_data)), total)
    if a_values == len(a_items) and b_values == len(b_items):  # the common case: all Values
        return _node(total, "dot", a_items + b_items, b_data + a_data)  # type: ignore[arg-type]
    if b_values == 0:  # Values dotted with constants, e.g. weights with float inputs
        return _node(total, "dot", a_items, b_data)  # type: ignore[arg-type]
    if a_values == 0:
        return _node(total, "dot", b_items, a_data)  # type: ignore[arg-type]
    parents: list[Value] = []
    local_grads: list[float] = []
    for items, other_data in ((a_items, b_data), (b_items, a_data)):
        for x, other in zip(items, other_data):
            if isinstance(x, Value):
                parents.append(x)
                local_grads.append(other)
    return _node(total, "dot", tuple(parents), tuple(local_grads))


def _operand(seq: Sequence[_Scalar], name: str) -> _Operand:
    """(elements, their numbers, how many are Values) of one side of a dot product.

    Plain floats pass as they are (a NaN or inf among them shows in the total, which
    `dot` checks); other numbers are checked one by one.
    """
    if isinstance(seq, (Value, str, bytes)):
        raise TypeError(f"dot() argument {name} must be a sequence, got {type(seq).__name__}")
    try:
        items = tuple(seq)
    except TypeError:  # cheaper than an isinstance check against collections.abc.Iterable
        raise TypeError(
            f"dot() argument {name} must be a sequence, got {type(seq).__name__}"
        ) from None
    kinds = set(map(type, items))  # one pass in C picks the fast path
    if kinds == _ONLY_VALUES:
        return items, tuple([v.data for v in items]), len(items)  # type: ignore[union-attr]
    if kinds <= _ONLY_FLOATS:
        return items, items, 0  # type: ignore[return-value]
    data = tuple(
        [
            v.data if isinstance(v, Value) else _as_number(v, f"dot() {name}[{i}]")
            for i, v in enumerate(items)
        ]
    )
    return items, data, builtins.sum(isinstance(v, Value) for v in items)


def _raise_non_finite_dot(sides: tuple[tuple[str, tuple[float, ...]], ...], total: float) -> None:
    for name, data in sides:
        for i, x in enumerate(data):
            if not math.isfinite(x):
                raise ValueError(f"dot(): {name}[{i}] is {x!r}; every element must be finite")
    raise OverflowError(
        f"dot() of {len(sides[0][1])} pairs overflows to {total!r}: the inputs are too large; "
        f"rescale them"
    )


def _extreme(values: Iterable[_Scalar], op: str, pick: Callable[..., int]) -> Value:
    """The input `pick` (builtins.max or min) chooses, as one node: local derivative 1 for
    the first such input, 0 for the others (``pick`` returns the first of equals)."""
    vs = _nonempty(values, op)
    k = pick(range(len(vs)), key=lambda i: vs[i].data)
    return _node(vs[k].data, op, vs, tuple(1.0 if i == k else 0.0 for i in range(len(vs))))


def max(values: Iterable[_Scalar]) -> Value:
    """Forward: the largest input, as one node.

    Local derivatives: 1 for the first largest input, 0 for the others (as PyTorch's
    ``max`` over a dimension: ties send the whole gradient to the first maximum).
    """
    return _extreme(values, "max", builtins.max)


def min(values: Iterable[_Scalar]) -> Value:
    """Forward: the smallest input. Local derivatives: 1 for the first smallest, 0 elsewhere."""
    return _extreme(values, "min", builtins.min)


def _shifted_exps(vs: tuple[Value, ...]) -> tuple[float, list[float], float]:
    """(m, exp(x_i - m), sum of those) with m the largest input: nothing overflows."""
    m = builtins.max(v.data for v in vs)
    exps = [math.exp(v.data - m) for v in vs]
    return m, exps, math.fsum(exps)


def logsumexp(values: Iterable[_Scalar]) -> Value:
    """Forward: log(sum_i exp(x_i)), computed as m + log(sum_i exp(x_i - m)), m = max x.

    Local derivatives: softmax(x)_i. Finite for any finite inputs.
    """
    vs = _nonempty(values, "logsumexp")
    m, exps, total = _shifted_exps(vs)
    return _node(m + math.log(total), "logsumexp", vs, tuple(e / total for e in exps))


def softmax(values: Iterable[_Scalar]) -> list[Value]:
    """Forward: p_i = exp(x_i) / sum_j exp(x_j), one node per output, all inputs its parents.

    Local derivatives: d p_i / d x_j = p_i (delta_ij - p_j). Computed from x - max(x),
    so it never overflows.
    """
    vs = _nonempty(values, "softmax")
    _, exps, total = _shifted_exps(vs)
    probs = [e / total for e in exps]
    return [
        _node(p_i, "softmax", vs, tuple(p_i * ((i == j) - p_j) for j, p_j in enumerate(probs)))
        for i, p_i in enumerate(probs)
    ]


def log_softmax(values: Iterable[_Scalar]) -> list[Value]:
    """Forward: x_i - logsumexp(x), one node per output.

    Local derivatives: d out_i / d x_j = delta_ij - softmax(x)_j. The stable way to get
    log-probabilities: log(softmax(x)) fails when a probability underflows to 0.
    """
    vs = _nonempty(values, "log_softmax")
    m, exps, total = _shifted_exps(vs)
    lse = m + math.log(total)
    probs = [e / total for e in exps]
    return [
        _node(v.data - lse, "log_softmax", vs, tuple((i == j) - p_j for j, p_j in enumerate(probs)))
        for i, v in enumerate(vs)
    ]
