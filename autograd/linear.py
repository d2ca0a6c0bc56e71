"""A layer's weighted sums, each one node: `dot`, `matvec`, `linear`, and `is_batch`, the
one rule that tells a batch of samples from one sample.

A neuron's net input ``w . x + b`` is a single ``dot`` (or ``linear``, with a bias)
node with all of its inputs as parents, not a chain of 2n binary operations. Each
function's entry (`DOT`, `LINEAR`) sits beside it: its Value rule (the derivatives as
Value operations), its vectorised forms for compiled mode and torch, and how the random
graphs of `autograd.testing` call it. `autograd.functional` re-exports the functions.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from operator import mul
from typing import Any, overload

import numpy as np

from autograd.engine import (
    Op,
    Value,
    _as_number,
    _Derivatives,
    _node,
    _Operands,
    _register,
    operation,
)

__all__ = ["DOT", "LINEAR", "dot", "is_batch", "linear", "matvec"]

_Scalar = Value | float
_ONLY_VALUES = frozenset({Value})
_ONLY_FLOATS = frozenset({float})


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


# ------------------------------------------------------------- the vectorised forms
# Compiled mode's forms of dot and linear (`autograd.compile.Rule`'s keywords): the
# operands carry the node's inputs on a last axis; each derivative takes (g, out,
# *operands) and returns g times d out / d operand. The forward is numpy's and torch's
# alike (array methods both have), so it is also the torch form.


def not_finite(out: Any, *operands: Any) -> Any:
    """Where a vectorised result is infinite or NaN: the rows the engine would refuse."""
    return ~np.isfinite(out)


def per_input(g: Any) -> Any:
    """An upstream gradient (one per node) lined up with a vector operand's last axis."""
    return g[..., None]


def _dot_forward(a: Any, b: Any) -> Any:
    return (a * b).sum(-1)


def _linear_forward(w: Any, bias: Any, x: Any) -> Any:
    return (w * x).sum(-1) + bias


DOT = _register(
    Op(
        "dot",
        "dot",
        _apply_dot,
        lambda n: _dot_derivatives(n, operation(n)[1]),
        params=("a_layout", "b_layout"),
        numpy={
            "forward": _dot_forward,
            "derivatives": (
                lambda g, y, a, b: per_input(g) * b,
                lambda g, y, a, b: per_input(g) * a,
            ),
            "vector": True,
            "bad": not_finite,
            "weighted_sum": True,
        },
        torch=_dot_forward,
        test_op={
            "apply": lambda a, b, c, d: dot([a, b], [c, d]),
            "arity": 4,
            "constants": True,
            "template": "dot([{0}, {1}], [{2}, {3}])",
        },
    )
)
# w (nodes, n), bias (nodes,), x (nodes, n): linear nodes that do not share their
# inputs (a layer's, which do, become one matrix product in compiled mode).
LINEAR = _register(
    Op(
        "linear",
        "linear",
        _apply_linear,
        lambda n: _linear_derivatives(n, operation(n)[1]),
        params=("w_layout", "bias", "x_layout"),
        numpy={
            "forward": _linear_forward,
            "derivatives": (
                lambda g, y, w, bias, x: per_input(g) * x,
                lambda g, y, w, bias, x: g,
                lambda g, y, w, bias, x: per_input(g) * w,
            ),
            "vector": (True, False, True),
            "bad": not_finite,
            "weighted_sum": True,
        },
        torch=_linear_forward,
        test_op={
            "apply": lambda w0, w1, b, x0, x1: linear([x0, x1], [[w0, w1]], [b])[0],
            "arity": 5,
            "constants": True,
            "template": "linear([{3}, {4}], [[{0}, {1}]], [{2}])[0]",
        },
    )
)
