"""Tracing: the placeholders a function runs on once, and the rules' view of each node
it records (`_describe`: its kind and operands, a constant operand in place)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd import engine
from autograd.compile.rules import _MULTI_OUTPUT
from autograd.engine import Value, operation

Array = NDArray[np.float64]


# ====================================================================== tracing


Example = float | Sequence[float] | NDArray[Any]


def _example_shape(x: object, i: int) -> int | None:
    """None for a number, k for a sequence of k numbers."""
    if isinstance(x, Value):
        raise TypeError(
            f"autograd.compile: example {i} is a Value; give plain numbers (the "
            f"placeholders are made from them)"
        )
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return None
    ndim = getattr(x, "ndim", None)
    if ndim == 0:
        return None
    if ndim is not None and ndim != 1:
        raise ValueError(
            f"autograd.compile: example {i} must be a number or a 1-D sequence (one "
            f"sample), got an array of shape {x.shape}"  # type: ignore[attr-defined]
        )
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(
            f"autograd.compile: example {i} must be a number or a sequence of numbers, "
            f"got {type(x).__name__} {x!r}"
        )
    if len(x) == 0:
        raise ValueError(f"autograd.compile: example {i} is empty; give one sample")
    return len(x)


def _placeholders(x: Any, shape: int | None) -> Value | list[Value]:
    if shape is None:
        return Value(x, label="x")
    return [Value(v, label=f"x[{k}]") for k, v in enumerate(list(x))]


def _outputs(result: object) -> tuple[list[Value], bool]:
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TypeError(
        f"autograd.compile: fn must return a Value or a non-empty list of Values, got "
        f"{type(result).__name__} {result!r:.80}"
    )


# ====================================================================== node kinds


@dataclass
class _Node:
    """A traced node in the rules' terms: its kind, and its operands, each a tuple of
    Values and numbers (one entry for an elementwise operand, the node's inputs for a
    vector one). ``index``: the output's place in a multi-output call (softmax)."""

    value: Value
    kind: str
    operands: tuple[tuple[Value | float, ...], ...]
    index: int = 0
    shares_x: bool = False
    varying: tuple[bool, ...] = ()  # an elementwise node: which arguments are Values


def _describe(v: Value) -> _Node:
    """The rules' view of a traced node, from the engine's operation identity."""
    op, constants = operation(v)
    name, parents = op.name, v.parents
    if engine.OPS.get(name) is not op:  # a custom primitive: replayed by the engine
        return _Node(v, f"{name} (primitive)", (parents,))
    if op.rules:  # an elementwise entry: its arguments, a constant operand in place
        args = op.arguments(parents, constants)
        return _Node(v, name, tuple((a,) for a in args), varying=_varying(args))
    if name in _MULTI_OUTPUT:
        return _Node(v, name, (parents,), index=constants[0])
    if name == "dot":
        return _Node(v, name, _sides(parents, constants[0], constants[1]))
    if name == "linear":
        w_layout, bias, x_layout = constants
        if bias is None:  # a Value bias: the parent after the weights' Values
            n_w = _values_in(w_layout, x_layout, len(parents) - 1)
            w, x = _sides(parents[:n_w] + parents[n_w + 1 :], w_layout, x_layout)
            return _Node(v, name, (w, (parents[n_w],), x))
        w, x = _sides(parents, w_layout, x_layout)
        return _Node(v, name, (w, (bias,), x))
    return _Node(v, name, (parents,))


def _varying(args: list[Any]) -> tuple[bool, ...]:
    return tuple(isinstance(a, Value) for a in args)


Layout = tuple[float | None, ...] | None  # how a node records one side of a dot product


def _values_in(a: Layout, b: Layout, n_values: int) -> int:
    """How many of a dot product's Values belong to side a (the first ones)."""
    if a is not None:
        return sum(x is None for x in a)
    if b is not None:
        return len(b)
    return n_values // 2


def _sides(
    values: tuple[Value, ...], a: Layout, b: Layout
) -> tuple[tuple[Value | float, ...], tuple[Value | float, ...]]:
    """The two sides of a dot product, Values and numbers in place, from its layouts."""
    n_a = _values_in(a, b, len(values))
    return _fill(a, values[:n_a]), _fill(b, values[n_a:])


def _fill(layout: Layout, values: tuple[Value, ...]) -> tuple[Value | float, ...]:
    if layout is None:
        return values
    it = iter(values)
    return tuple(next(it) if x is None else x for x in layout)


def _joint_order(outputs: list[Value]) -> list[Value]:
    """Every node the outputs depend on, each after its parents (leaves included)."""
    seen: set[int] = set()
    order: list[Value] = []

    def unseen(v: Value) -> list[Value]:  # what an earlier output's walk has not emitted
        return [p for p in v.parents if id(p) not in seen]

    for out in outputs:
        if id(out) in seen:
            continue
        for v in engine.topological_order(out, unseen if order else None):
            seen.add(id(v))
            order.append(v)
    return order
