"""Derivatives as functions: `grad` (of any order, with ``create_graph=True``),
`jacobian`, `hessian`, `hvp`, and forward mode, `jvp`.

`grad` is reverse mode over the recorded graph, like ``backward()``, but it returns the
derivatives instead of adding them into ``.grad`` (it touches no ``.grad``), as
``torch.autograd.grad`` does. With ``create_graph=True`` it applies each operation's
derivative rule written with Value operations (``autograd.engine.Op.derivatives``), so
the derivatives it returns are Values with graphs of their own: differentiate them
again for second, third, n-th derivatives.

`jvp` is forward mode: ONE sweep over the recorded graph from the inputs to the output,
each node's tangent the sum of its stored local derivatives times its parents'
tangents. The same stored numbers serve both modes; a directional derivative costs one
forward sweep, where reverse mode needs one sweep per output.

>>> from autograd import Value, grad, hessian
>>> x = Value(3.0)
>>> (dy,) = grad(x ** 3, [x], create_graph=True)     # 3 x**2 = 27
>>> (d2y,) = grad(dy, [x])                          # 6 x = 18
>>> dy.data, d2y.data
(27.0, 18.0)
>>> hessian(lambda a, b: (a - 4) ** 2 + 2 * (b - 3) ** 2, [0.0, 0.0])
[[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd.engine import Value, _as_number, _leaf, operation, topological_order
from autograd.functional import sum as _sum

__all__ = ["grad", "hessian", "hvp", "jacobian", "jvp"]

_Grad = Value | float


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: float | Value | Sequence[float | Value] | None = None,
    create_graph: bool = False,
) -> list[Value]:
    """d outputs / d inputs: one Value per input, as ``torch.autograd.grad``.

    The sum over the outputs of ``grad_output * d output / d input`` (each grad_output
    1.0 by default). No ``.grad`` is read or changed. An input the outputs do not depend
    on gets 0. Inputs may be leaves or interior nodes of the graph.

    ``create_graph=False``: the results are leaves (plain numbers in Values), computed
    from the float local derivatives stored on the nodes, the fast path of
    ``backward()``. ``create_graph=True``: the results are Values computed with every
    operation's derivative rule as Value operations, so they have graphs and can be
    differentiated again (``grad_outputs`` given as Values are then part of it too).
    """
    outs = _values(outputs, "outputs")
    ins = _values(inputs, "inputs")
    if not outs or not ins:
        raise ValueError(
            f"grad() needs at least one output and one input, got {len(outs)} output(s) and "
            f"{len(ins)} input(s)"
        )
    seeds = _seeds(grad_outputs, len(outs))
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad(create_graph=...) must be True or False, got {create_graph!r}")
    order, reaches = _relevant_order(outs, set(ins))
    if create_graph:
        grads = _reverse_values(order, reaches, outs, seeds)
        return [_as_value(grads.get(x, 0.0)) for x in ins]
    numbers = _reverse_floats(order, outs, [float(s) for s in seeds])
    return [_leaf(_checked_grad(numbers.get(x, 0.0), x)) for x in ins]


def jacobian(f: Callable[..., Any], xs: Sequence[float]) -> Any:
    """d f_i / d x_j as nested lists of floats: one row per output, one column per input.

    ``f(*values)`` gets one Value per number of `xs` and returns a Value (then the
    result is one row, a list of floats: the gradient) or a list of Values. One reverse
    sweep per output.
    """
    vs = _inputs(xs, "jacobian")
    out = f(*vs)
    rows = _outputs(out, "jacobian")
    jac = [[g.data for g in grad(row, vs)] for row in rows]
    return jac[0] if isinstance(out, Value) else jac


def hessian(f: Callable[..., Any], xs: Sequence[float]) -> list[list[float]]:
    """d^2 f / d x_i d x_j as nested lists of floats, for ``f(*values)`` returning one
    Value: the gradient with ``create_graph=True``, then the gradient of each of its
    entries (n + 1 reverse sweeps)."""
    vs = _inputs(xs, "hessian")
    out = _scalar(f(*vs), "hessian")
    first = grad(out, vs, create_graph=True)
    return [[g.data for g in grad(d, vs)] for d in first]


def hvp(
    f: Callable[..., Any], xs: Sequence[float], v: Sequence[float]
) -> tuple[float, list[float]]:
    """(f(xs), H v): the Hessian of ``f(*values)`` at `xs` times the vector `v`, without
    forming the Hessian (as ``torch.autograd.functional.hvp``).

    The gradient with ``create_graph=True``, dotted with `v`, differentiated once more:
    two reverse sweeps whatever the number of inputs, where `hessian` needs n + 1.
    """
    vs = _inputs(xs, "hvp")
    direction = _direction(v, len(vs), "hvp")
    out = _scalar(f(*vs), "hvp")
    first = grad(out, vs, create_graph=True)
    directional = _weighted_sum(first, direction)
    if directional is None:  # the gradient does not depend on the inputs
        return out.data, [0.0] * len(vs)
    return out.data, [g.data for g in grad(directional, vs)]


def jvp(f: Callable[..., Any], xs: Sequence[float], v: Sequence[float]) -> tuple[Any, Any]:
    """(f(xs), the derivative of f at `xs` in the direction `v`), by forward mode.

    ``f(*values)`` returns a Value (then both are floats) or a list of Values (then both
    are lists of floats). ONE forward sweep over the recorded graph: a node's tangent
    is the sum over its parents of its stored local derivative times the parent's
    tangent, starting from tangent ``v[i]`` for input i. No reverse sweep is made.
    """
    vs = _inputs(xs, "jvp")
    direction = _direction(v, len(vs), "jvp")
    out = f(*vs)
    outs = _outputs(out, "jvp")
    tangent: dict[Value, float] = dict(zip(vs, direction))
    seen: set[Value] = set()
    for root in outs:
        for node in topological_order(root):
            if node in seen or not node.parents:
                continue
            seen.add(node)
            t = math.fsum(
                [local * tangent.get(p, 0.0) for p, local in zip(node.parents, node.local_grads)]
            )
            tangent[node] = _checked_grad(t, node, "tangent")
    values = [o.data for o in outs]
    tangents = [tangent.get(o, 0.0) for o in outs]
    if isinstance(out, Value):
        return values[0], tangents[0]
    return values, tangents


# ---------------------------------------------------------------- the two reverse sweeps


def _relevant_order(outputs: list[Value], inputs: set[Value]) -> tuple[list[Value], set[Value]]:
    """(the interior nodes on a path from an input to an output, in topological order;
    those nodes and the inputs). Only they carry a gradient to an input, so only they
    are visited (a primitive elsewhere is not asked for a rule it may not have)."""
    reaches: set[Value] = set()  # nodes that depend on an input, the inputs included
    order: list[Value] = []
    seen: set[Value] = set()
    for root in outputs:
        for node in topological_order(root):  # parents first: one pass decides
            if node in seen:
                continue
            seen.add(node)
            if node in inputs:
                reaches.add(node)
            if node.parents and any(p in reaches for p in node.parents):
                reaches.add(node)
                order.append(node)
    return order, reaches


def _reverse_floats(
    order: list[Value], outputs: list[Value], seeds: list[float]
) -> dict[Value, float]:
    grads: dict[Value, float] = {}
    for out, seed in zip(outputs, seeds):
        grads[out] = grads.get(out, 0.0) + seed
    for node in reversed(order):
        g = grads.get(node, 0.0)
        if g == 0.0:
            continue
        _checked_grad(g, node)
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * g
    return grads


def _reverse_values(
    order: list[Value], reaches: set[Value], outputs: list[Value], seeds: list[_Grad]
) -> dict[Value, _Grad]:
    """The reverse sweep with Value operations: each node's gradient is a Value built
    from the derivative rules, so it has a graph of its own.

    A node's gradient is the sum of what its consumers send it; they are all done
    before it (reverse topological order), so the contributions are collected in a
    list and become ONE ``sum`` node when the node is reached, not a chain of ``+``.
    The cyclic garbage collector is paused meanwhile: the sweep makes many long-lived
    nodes and no reference cycles, and the collector's passes over the growing graph
    otherwise cost more than the sweep itself (three times, for micrograd's demo).
    """
    parts: dict[Value, list[_Grad]] = {}
    for out, seed in zip(outputs, seeds):
        parts.setdefault(out, []).append(seed)
    totals: dict[Value, _Grad] = {}
    collecting = gc.isenabled()
    gc.disable()
    try:
        for node in reversed(order):
            g = totals[node] = _total(parts.pop(node, []))
            if isinstance(g, float) and g == 0.0:
                continue
            op, _ = operation(node)
            for parent, local in zip(node.parents, op.derivatives(node)):
                if parent in reaches:
                    part = _times(g, local)
                    if not (isinstance(part, float) and part == 0.0):
                        parts.setdefault(parent, []).append(part)
        for leaf, leaf_parts in parts.items():
            totals[leaf] = _total(leaf_parts)
    finally:
        if collecting:
            gc.enable()
    return totals


def _total(parts: list[_Grad]) -> _Grad:
    """The sum of a node's gradient contributions: a number, one Value, or a ``sum``
    node of the Values (plus the numbers, as a constant)."""
    values = [p for p in parts if isinstance(p, Value)]
    number = math.fsum([p for p in parts if not isinstance(p, Value)])
    if not values:
        return number
    total = values[0] if len(values) == 1 else _sum(values)
    return total + number if number else total


def _times(g: _Grad, local: _Grad) -> _Grad:
    """g * local, without recording a node where a factor is the number 0 or 1."""
    if isinstance(local, Value):
        return local if isinstance(g, float) and g == 1.0 else g * local
    if local == 0.0:
        return 0.0
    if local == 1.0:
        return g
    return g * local


def _as_value(g: _Grad) -> Value:
    return g if isinstance(g, Value) else _leaf(_checked_grad(g, None))


def _checked_grad(g: float, node: Value | None, what: str = "gradient") -> float:
    if not math.isfinite(g):
        where = f" at {node!r}" if node is not None else ""
        raise OverflowError(
            f"the {what}{where} is not finite ({g!r}): it overflowed on its way through the "
            f"graph; rescale the function or its inputs"
        )
    return g


def _weighted_sum(values: list[Value], weights: list[float]) -> Value | None:
    total = _total([_times(w, value) for value, w in zip(values, weights)])
    return total if isinstance(total, Value) and total.parents else None


# ---------------------------------------------------------------- argument checks


def _values(x: object, name: str) -> list[Value]:
    """`x` as a list of Values: one Value, or a sequence of them."""
    items = [x] if isinstance(x, Value) else x
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise TypeError(
            f"grad() {name} must be a Value or a list of Values, got {type(x).__name__} {x!r}"
        )
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(
                f"grad() {name}[{i}] must be a Value, got {type(v).__name__} {v!r}: "
                f"differentiate Values computed from Values (wrap numbers in Value(...))"
            )
    return list(items)


def _seeds(grad_outputs: object, n: int) -> list[_Grad]:
    if grad_outputs is None:
        return [1.0] * n
    items = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else grad_outputs
    if len(items) != n:
        raise ValueError(
            f"grad() got {len(items)} grad_outputs for {n} output(s); give one per output"
        )
    return [
        g if isinstance(g, Value) else _as_number(g, f"grad() grad_outputs[{i}]")
        for i, g in enumerate(items)
    ]


def _inputs(xs: Any, func: str) -> list[Value]:
    return [_leaf(x) for x in _numbers(xs, func, "xs", "one per argument of f")]


def _direction(v: Any, n: int, func: str) -> list[float]:
    numbers = _numbers(v, func, "v", f"{n}, one per input")
    if len(numbers) != n:
        raise ValueError(
            f"{func}() got v of length {len(numbers)} for {n} inputs; give one per input"
        )
    return numbers


def _numbers(xs: Any, func: str, name: str, how_many: str) -> list[float]:
    if isinstance(xs, (Value, str, bytes)) or not hasattr(xs, "__len__"):
        raise TypeError(
            f"{func}() takes {name} as a list of numbers ({how_many}), got "
            f"{type(xs).__name__} {xs!r}"
        )
    return [_as_number(x, f"{func}() {name}[{i}]") for i, x in enumerate(xs)]


def _outputs(out: object, func: str) -> list[Value]:
    items = [out] if isinstance(out, Value) else out
    if not isinstance(items, (list, tuple)) or not all(isinstance(o, Value) for o in items):
        raise TypeError(
            f"{func}(): f must return a Value or a list of Values, got {type(out).__name__} {out!r}"
        )
    return list(items)


def _scalar(out: object, func: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"{func}(): f must return one Value (a scalar function), got {type(out).__name__} "
            f"{out!r}"
        )
    return out
