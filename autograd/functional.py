"""Functions over lists of Values: sum, dot, matvec, linear, mean, max, min, logsumexp,
softmax, log_softmax.

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
from typing import Any, overload

from autograd.engine import (
    Op,
    Value,
    _as_number,
    _check_operands,
    _Derivatives,
    _leaf,
    _node,
    _Operands,
    _register,
    _stored,
    operation,
)

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


def dot(a: Sequence[_Scalar], b: Sequence[_Scalar]) -> Value:
    """Forward: a_1 b_1 + ... + a_n b_n, as ONE node.

    Local derivatives: d/da_i = b_i and d/db_i = a_i. The parents are the Values of
    ``a`` then those of ``b``, in order; plain numbers on either side are constants
    (a neuron's weights dotted with raw float inputs records only the weights).
    """
    a_side, b_side = _operand(a, "dot()", "a"), _operand(b, "dot()", "b")
    if len(a_side[1]) != len(b_side[1]):
        raise ValueError(
            f"dot() needs two sequences of the same length, got {len(a_side[1])} and "
            f"{len(b_side[1])}"
        )
    return _dot_node(a_side, b_side, "dot()", ("a", "b"))


@overload
def linear(
    x: Sequence[_Scalar], weight: Sequence[Sequence[_Scalar]], bias: Sequence[_Scalar] | None = ...
) -> list[Value]: ...


@overload
def linear(
    x: Sequence[Sequence[_Scalar]],
    weight: Sequence[Sequence[_Scalar]],
    bias: Sequence[_Scalar] | None = ...,
) -> list[list[Value]]: ...


def linear(
    x: Any, weight: Sequence[Sequence[_Scalar]], bias: Sequence[_Scalar] | None = None
) -> Any:
    """A layer's weighted sums ``weight[k] . x + bias[k]``, one node per row (as PyTorch's
    ``torch.nn.functional.linear``).

    ``x`` is one sample (a sequence of numbers and Values, as long as every row of
    ``weight``) or a batch of samples (a sequence of such sequences, or a 2-D array).
    One sample gives a list of ``len(weight)`` Values; a batch, one such list per
    sample. The weights are checked and read once per call, so a whole batch in one
    call is much faster than a call per sample; the nodes are the same.

    Without a bias, row k's node is exactly ``dot(weight[k], x)`` (op ``"dot"``). With
    one, it is a single ``"linear"`` node: its parents are the Values of ``weight[k]``,
    the bias, then the Values of ``x``, with local derivatives x, 1 and weight[k] (a
    constant bias is only added). In a network that node is a neuron's net input, and
    its grad is d loss / d net input: the BP algorithm's error term, up to its sign.
    """
    rows = _linear_rows("linear()", weight, "weight", bias)
    ndim = getattr(x, "ndim", None)
    if ndim is not None and ndim not in (1, 2):
        raise ValueError(
            f"linear() takes one sample (1-D) or a batch of samples (2-D), got an array of "
            f"shape {x.shape}"
        )
    if is_batch(x):
        samples = x.tolist() if ndim == 2 else x
        return [_linear_sample("linear()", rows, s, i, "weight") for i, s in enumerate(samples)]
    return _linear_sample("linear()", rows, x, -1, "weight")


def matvec(rows: Sequence[Sequence[_Scalar]], x: Sequence[_Scalar]) -> list[Value]:
    """``[dot(row, x) for row in rows]``: the same nodes, with the work on ``x`` done once.

    The product of a matrix (a list of rows) with one vector; `linear` is the same
    with a bias and a batch of vectors.
    """
    return _linear_sample("matvec()", _linear_rows("matvec()", rows, "rows", None), x, -1, "rows")


def is_batch(x: object) -> bool:
    """Whether ``x`` is a batch of samples rather than one sample: the one rule that
    `linear` and nn's layers and losses follow.

    A batch is a 2-D array, or a non-empty list or tuple whose first element is itself
    a sample (a list, a tuple or a 1-D array). Anything else (a flat list of numbers and
    Values, a 1-D array, an empty list) is one sample.
    """
    ndim = getattr(x, "ndim", None)
    if ndim is not None:
        return bool(ndim == 2)
    if not isinstance(x, (list, tuple)) or not x:
        return False
    first = x[0]
    return isinstance(first, (list, tuple)) or getattr(first, "ndim", None) == 1


# One side of a dot product, checked: (the elements as given, their numbers, how many
# of the elements are Values).
_Operand = tuple[tuple[_Scalar, ...], tuple[float, ...], int]

# What a bias adds to a dot node: (its number, its parents, their local derivatives,
# its entry in the node's constants: None for a Value bias, the number of a constant
# one, _NO_BIAS_ENTRY without a bias, when the node is a "dot").
_Bias = tuple[float, tuple[Value, ...], tuple[float, ...], object]
_NO_BIAS_ENTRY = object()
_NO_BIAS: _Bias = (0.0, (), (), _NO_BIAS_ENTRY)

# One row of a linear map, prepared once per call as a plain tuple (cheap to build):
# (k, its side, its bias, params, tail). For a row of Values, params are the node's
# parents that come before x's (the row, then the bias) and tail the local derivatives
# that come after x's numbers when x has Values (the bias's 1.0, then the row's
# numbers); for any other row params is None, and it takes the general path.
_Row = tuple[int, _Operand, _Bias, tuple[Value, ...] | None, tuple[float, ...]]


def _linear_rows(
    func: str, weight: Sequence[Sequence[_Scalar]], name: str, bias: Sequence[_Scalar] | None
) -> list[_Row]:
    rows = _items(weight, func, name)
    biases: list[_Bias]
    if bias is None:
        biases = [_NO_BIAS] * len(rows)
    else:
        bs = _items(bias, func, "bias")
        if len(bs) != len(rows):
            raise ValueError(
                f"{func}: bias has {len(bs)} elements and {name} has {len(rows)} rows; give "
                f"one bias per row"
            )
        biases = [
            (b.data, (b,), (1.0,), None) if isinstance(b, Value) else _constant_bias(b, func, k)
            for k, b in enumerate(bs)
        ]
    prepared: list[_Row] = []
    for k, (row, b) in enumerate(zip(rows, biases)):
        side = _operand(row, func, name, k)
        items, data, values = side
        if values == len(items):
            prepared.append((k, side, b, items + b[1], b[2] + data))  # type: ignore[arg-type]
        else:
            prepared.append((k, side, b, None, ()))
    return prepared


def _constant_bias(b: object, func: str, k: int) -> _Bias:
    c = _as_number(b, f"{func} bias[{k}]")
    return (c, (), (), c)


def _linear_sample(
    func: str, rows: list[_Row], x: Sequence[_Scalar], index: int, weight_name: str
) -> list[Value]:
    """One node per row for one sample x: ``x``, or ``x[index]`` of a batch (the index
    and the name of the weights are for error messages)."""
    x_side = _operand(x, func, "x", index)
    x_items, x_data, x_values = x_side
    n = len(x_data)
    # x all Values (parents, whose local derivatives are the row's numbers) or all
    # constants (no parents): the common cases, done here inline.
    x_parents = x_items if x_values == n else () if x_values == 0 else None
    # The nodes' constants: x's numbers when x is all constants (the row is all Values).
    x_layout = None if x_values == n else x_data
    dot_op: tuple[Any, ...] = (DOT, None, x_layout)
    linear_op: tuple[Any, ...] = (LINEAR, None, None, x_layout)
    out = []
    for k, side, bias, params, tail in rows:
        data = side[1]
        if params is not None and x_parents is not None and len(data) == n:
            start, _, bias_locals, entry = bias
            total = builtins.sum(map(mul, data, x_data), start)
            if math.isfinite(total):
                op: tuple[Any, ...]
                if entry is None:
                    op = linear_op
                elif entry is _NO_BIAS_ENTRY:
                    op = dot_op
                else:
                    op = (LINEAR, None, entry, x_layout)
                local_grads = x_data + tail if x_parents else x_data + bias_locals
                out.append(_node(total, op, params + x_parents, local_grads))  # type: ignore[operator]
                continue
        # Anything else (constants in the row or in x, a wrong length, an overflow) takes
        # the general path, which also says what is wrong.
        row_name, name = _name(weight_name, k), _name("x", index)
        if len(data) != n:
            raise ValueError(
                f"{func}: {row_name} has {len(data)} elements and {name} has {n}; every row "
                f"needs one number per element of {name}"
            )
        out.append(_dot_node(side, x_side, func, (row_name, name), bias))
    return out


def _dot_node(
    a: _Operand, b: _Operand, func: str, names: tuple[str, str], bias: _Bias = _NO_BIAS
) -> Value:
    """The node of ``a . b + bias`` for two checked sides of equal length: its parents
    are a's Values, the bias, then b's Values (``func`` and ``names`` for errors)."""
    start, bias_parents, bias_locals, entry = bias
    total = builtins.sum(map(mul, a[1], b[1]), start)
    if not math.isfinite(total):
        _raise_non_finite_dot(func, ((names[0], a[1]), (names[1], b[1])), total)
    a_parents, a_locals = _recorded(a, b[1])
    b_parents, b_locals = _recorded(b, a[1])
    op: tuple[Any, ...] = (
        (DOT, _layout(a), _layout(b))
        if entry is _NO_BIAS_ENTRY
        else (LINEAR, _layout(a), entry, _layout(b))
    )
    return _node(total, op, a_parents + bias_parents + b_parents, a_locals + bias_locals + b_locals)


def _layout(side: _Operand) -> tuple[float | None, ...] | None:
    """How a node records one side of a dot product among its constants: None when the
    side is all Values (all parents), else its numbers with None for each Value."""
    items, data, values = side
    if values == len(items):
        return None
    if values == 0:
        return data
    return tuple([None if isinstance(v, Value) else x for v, x in zip(items, data)])


def _recorded(
    side: _Operand, other_data: tuple[float, ...]
) -> tuple[tuple[Value, ...], tuple[float, ...]]:
    """The Values of one side of a dot product, and their local derivatives: the other
    side's numbers. Constants are not recorded."""
    items, _, values = side
    if values == len(items):
        return items, other_data  # type: ignore[return-value]
    if values == 0:
        return (), ()
    pairs = [(v, g) for v, g in zip(items, other_data) if isinstance(v, Value)]
    return tuple(v for v, _ in pairs), tuple(g for _, g in pairs)


def _items(seq: object, func: str, name: str, index: int = -1) -> tuple[Any, ...]:
    """The elements of a sequence argument, or a TypeError naming it."""
    if not isinstance(seq, (Value, str, bytes)):
        try:  # cheaper than checking for an Iterable
            return tuple(seq)  # type: ignore[arg-type]
        except TypeError:
            pass
    raise TypeError(
        f"{func} argument {_name(name, index)} must be a sequence, got {type(seq).__name__}"
    )


def _name(name: str, index: int) -> str:
    """How an error message names an argument, or row ``index`` of it (index >= 0).
    Built only when an error is raised: the names of rows are not made per call."""
    return f"{name}[{index}]" if index >= 0 else name


def _operand(seq: Sequence[_Scalar], func: str, name: str, index: int = -1) -> _Operand:
    """One side of a dot product, checked (``func`` and ``name`` for error messages).

    Plain floats pass as they are (a NaN or inf among them shows in the total, which
    is checked); other numbers are checked one by one.
    """
    items = tuple(seq) if type(seq) is list else _items(seq, func, name, index)
    kinds = set(map(type, items))  # one pass in C picks the fast path
    if kinds == _ONLY_VALUES:
        return items, tuple([v.data for v in items]), len(items)
    if kinds <= _ONLY_FLOATS:
        return items, items, 0
    data = tuple(
        [
            v.data if isinstance(v, Value) else _as_number(v, f"{func} {_name(name, index)}[{i}]")
            for i, v in enumerate(items)
        ]
    )
    return items, data, builtins.sum(isinstance(v, Value) for v in items)


def _raise_non_finite_dot(
    func: str, sides: tuple[tuple[str, tuple[float, ...]], ...], total: float
) -> None:
    for name, data in sides:
        for i, x in enumerate(data):
            if not math.isfinite(x):
                raise ValueError(f"{func}: {name}[{i}] is {x!r}; every element must be finite")
    raise OverflowError(
        f"{func} of {len(sides[0][1])} pairs overflows to {total!r}: the inputs are too "
        f"large; rescale them"
    )


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


# ---------------------------------------------------------------- operation identity
# The functions' entries in the engine's table of operations (see autograd.engine.Op):
# each applied again to other operands, and its local derivatives as Value operations.


def _dot_sides(
    parents: _Operands, a_layout: tuple[float | None, ...] | None, b_layout: Any, bias: bool
) -> tuple[list[_Scalar], Value | None, list[_Scalar]]:
    """The two sides of a dot or linear node (Values and constants, as given) and its
    bias parent, rebuilt from its parents and the layouts in its constants."""
    if a_layout is not None:
        n = len(a_layout)
    elif b_layout is not None:
        n = len(b_layout)
    else:
        n = (len(parents) - bias) // 2
    rest = iter(parents)
    a = [next(rest) if c is None else c for c in (a_layout or (None,) * n)]
    bias_parent = next(rest) if bias else None
    b = [next(rest) if c is None else c for c in (b_layout or (None,) * n)]
    return a, bias_parent, b


def _cross_derivatives(node: Value, a_layout: Any, b_layout: Any, bias: bool) -> _Derivatives:
    """d (a . b + bias) / d parent: the other side's element for each Value of a side,
    1 for a Value bias."""
    a, _, b = _dot_sides(node.parents, a_layout, b_layout, bias)
    da = [y for x, y in zip(a, b) if isinstance(x, Value)]
    db = [x for x, y in zip(a, b) if isinstance(y, Value)]
    return (*da, *([1.0] if bias else []), *db)


def _apply_dot(operands: _Operands, constants: tuple[Any, ...]) -> Value:
    a, _, b = _dot_sides(operands, constants[0], constants[1], False)
    return dot(a, b)


def _apply_linear(operands: _Operands, constants: tuple[Any, ...]) -> Value:
    w_layout, bias_entry, x_layout = constants
    w, bias_parent, x = _dot_sides(operands, w_layout, x_layout, bias_entry is None)
    return linear(x, [w], [bias_entry if bias_parent is None else bias_parent])[0]


def _dot_derivatives(node: Value, constants: Any) -> _Derivatives:
    return _cross_derivatives(node, constants.a_layout, constants.b_layout, False)


def _linear_derivatives(node: Value, constants: Any) -> _Derivatives:
    return _cross_derivatives(node, constants.w_layout, constants.x_layout, constants.bias is None)


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


SUM = _register(Op("sum", "sum", lambda p, c: sum(p), _stored))
MEAN = _register(Op("mean", "mean", lambda p, c: mean(p), _stored))
DOT = _register(
    Op(
        "dot",
        "dot",
        _apply_dot,
        lambda n: _dot_derivatives(n, operation(n)[1]),
        params=("a_layout", "b_layout"),
    )
)
LINEAR = _register(
    Op(
        "linear",
        "linear",
        _apply_linear,
        lambda n: _linear_derivatives(n, operation(n)[1]),
        params=("w_layout", "bias", "x_layout"),
    )
)
MAX = _register(Op("max", "max", lambda p, c: max(p), _stored, ties=True))
MIN = _register(Op("min", "min", lambda p, c: min(p), _stored, ties=True))
LOGSUMEXP = _register(
    Op("logsumexp", "logsumexp", lambda p, c: logsumexp(p), lambda n: tuple(softmax(n.parents)))
)
SOFTMAX = _register(
    Op("softmax", "softmax", lambda p, c: softmax(p)[c[0]], _softmax_derivatives, params=("index",))
)
LOG_SOFTMAX = _register(
    Op(
        "log_softmax",
        "log_softmax",
        lambda p, c: log_softmax(p)[c[0]],
        _log_softmax_derivatives,
        params=("index",),
    )
)

_SUM, _MEAN, _MAX, _MIN, _LOGSUMEXP = (SUM,), (MEAN,), (MAX,), (MIN,), (LOGSUMEXP,)
