"""The sweeps over a recorded graph behind `autograd.grad` and the functional API
(`autograd.higher`): reverse mode with floats (the stored local derivatives, the fast
path of ``backward()``) or with Values (the operations' derivative rules, so the
result has a graph and can be differentiated again), and forward mode, one sweep from
the inputs, with either.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from autograd.engine import Value, _leaf, enable_grad, operation, topological_order
from autograd.functional import sum as _sum

_Grad = Value | float


def _derivatives(
    outs: Sequence[_Grad], ins: list[Value], seeds: list[_Grad], create_graph: bool
) -> list[_Grad | None]:
    """sum_k seed_k * d outs_k / d ins_i for each input, ``None`` where no output has a
    path to it. Outputs that are numbers (a gradient that came out constant) carry
    nothing. The reverse sweep over Values records its graph whatever the caller's grad
    mode: what it returns must be differentiable."""
    pairs = [(o, s) for o, s in zip(outs, seeds) if isinstance(o, Value)]
    if not pairs:
        return [None] * len(ins)
    values = [o for o, _ in pairs]
    order, reaches = _relevant_order(values, set(ins))
    grads: Mapping[Value, _Grad]
    if create_graph:
        with enable_grad():
            grads = _reverse_values(order, reaches, values, [s for _, s in pairs])
    else:
        floats = [s.data if isinstance(s, Value) else s for _, s in pairs]
        grads = _reverse_floats(order, values, floats)
    return [_checked(grads.get(x, 0.0), x) if x in reaches else None for x in ins]


def _checked(g: _Grad, node: Value) -> _Grad:
    return g if isinstance(g, Value) else _checked_grad(g, node)


def _forward(
    outs: list[Value], ins: list[Value], seeds: list[_Grad], create_graph: bool
) -> list[_Grad]:
    """The tangents of `outs` for tangents `seeds` of `ins`: one sweep, parents first.

    Only nodes with a parent that has a tangent are visited (so a primitive elsewhere is
    not asked for a rule it may not have). Floats from the stored local derivatives, or
    with `create_graph` Values from the derivative rules."""
    tangent: dict[Value, _Grad] = dict(zip(ins, seeds))
    seen: set[Value] = set()
    for root in outs:
        for node in topological_order(root):
            if node in seen or node in tangent or not node.parents:
                continue
            seen.add(node)
            if not any(p in tangent for p in node.parents):
                continue
            if create_graph:
                rule = operation(node)[0].derivatives(node)
                tangent[node] = _total(
                    [_times(tangent[p], d) for p, d in zip(node.parents, rule) if p in tangent]
                )
            else:
                t = math.fsum(
                    [
                        local * tangent[p]
                        for p, local in zip(node.parents, node.local_grads)
                        if p in tangent
                    ]
                )
                tangent[node] = _checked_grad(t, node, "tangent")
    return [tangent.get(o, 0.0) for o in outs]


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
    The cyclic garbage collector is paused meanwhile (`_gc_paused`, shared by the
    threads): the sweep makes many long-lived nodes and no reference cycles, and the
    collector's passes over the growing graph otherwise make it 1.3 to 1.6 times as
    slow (the gradient of micrograd's demo loss, two runs on a busy machine: 0.97 s
    with the pause and 1.22 s without; 0.44 s and 0.71 s).
    """
    parts: dict[Value, list[_Grad]] = {}
    for out, seed in zip(outputs, seeds):
        parts.setdefault(out, []).append(seed)
    totals: dict[Value, _Grad] = {}
    with _gc_paused():
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
    return totals


# The pause is shared by all threads (the collector is one switch for the process), so
# it is counted: the first sweep to start switches the collector off, the last to end
# switches it back on if it was on before the first. A check-then-switch per sweep
# would let one thread switch it off for good just after another switched it on.
_gc_pauses = 0
_gc_was_enabled = False
_gc_lock = threading.Lock()


@contextmanager
def _gc_paused() -> Iterator[None]:
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if not _gc_pauses:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if not _gc_pauses and _gc_was_enabled:
                gc.enable()


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
        if isinstance(g, float) and (g == 0.0 or g == 1.0):
            return local if g else 0.0
        return g * local
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
