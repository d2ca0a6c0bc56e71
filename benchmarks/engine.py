"""Engine benchmark: building and backpropagating large graphs, backproplab vs micrograd.

Three measures, each side by side in one run:

- a neuron-like graph of N products, built node for node the same way in both
  engines (``out = out + w_i * x_i``), so time and bytes *per node* compare like
  with like;
- the same neuron as each library writes it (micrograd: ``sum(w_i * x_i)``, a chain
  of binary nodes; backproplab: ``autograd.linear(x, [w], [b])``, one n-ary node), per
  product, with a vectorised numpy forward and backward as the floor;
- the deepest chain ``y = y * 1.0000001 + 0.0`` that backpropagates under Python's
  default recursion limit.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
from time import perf_counter as _now
from typing import Any

import numpy as np

import autograd
from benchmarks.common import Row, allocated_bytes, interleaved, timed

ENGINES = ("backproplab", "micrograd", "numpy")


def _micrograd_value() -> type:
    from micrograd.engine import Value as MicroValue

    return MicroValue  # type: ignore[no-any-return]


def _inputs(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def _chain(value_type: type, w: list[Any], x: list[Any]) -> Any:
    """out = (((0 + w1 x1) + w2 x2) + ...): the same 2n nodes in either engine."""
    out = value_type(0.0)
    for wi, xi in zip(w, x):
        out = out + wi * xi
    return out


def _chain_neuron(value_type: type, ws: list[float], xs: list[float]) -> tuple[float, float, int]:
    """(forward s, backward s, interior nodes) of `_chain` over fresh leaves."""
    w = [value_type(v) for v in ws]
    x = [value_type(v) for v in xs]
    t_forward, out = timed(lambda: _chain(value_type, w, x))
    t_backward, _ = timed(out.backward)  # type: ignore[attr-defined]
    return t_forward, t_backward, 2 * len(ws)


def same_shape_rows(n: int, repeats: int) -> list[Row]:
    ws, xs = _inputs(n)
    engines = {"backproplab": autograd.Value, "micrograd": _micrograd_value()}
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 1000))  # micrograd recurses
    forward: dict[str, list[float]] = {name: [] for name in engines}
    backward: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(repeats):  # the engines take turns
        for name, value_type in engines.items():
            gc.collect()
            t_forward, t_backward, _ = _chain_neuron(value_type, ws, xs)
            forward[name].append(t_forward)
            backward[name].append(t_backward)
    nodes = 2 * n
    f = {k: statistics.median(v) * 1e9 / nodes for k, v in forward.items()}
    b = {k: statistics.median(v) * 1e9 / nodes for k, v in backward.items()}
    shape = f"{n:,} products + {n:,} adds, {nodes:,} nodes in both engines"
    return [
        Row("same graph: forward", "ns/node", f, note=shape),
        Row("same graph: backward", "ns/node", b),
        Row("same graph: forward + backward", "ns/node", {k: f[k] + b[k] for k in f}),
    ]


def _bytes_per_node(value_type: type, ws: list[float], xs: list[float]) -> float:
    w = [value_type(v) for v in ws]
    x = [value_type(v) for v in xs]

    def build() -> object:
        out = _chain(value_type, w, x)
        out.backward()  # count the gradients it fills in too
        return out

    size, out = allocated_bytes(build)
    del out
    return size / (2 * len(ws))


def memory_rows(n: int) -> list[Row]:
    ws, xs = _inputs(n)
    per_node = {
        "backproplab": _bytes_per_node(autograd.Value, ws, xs),
        "micrograd": _bytes_per_node(_micrograd_value(), ws, xs),
    }
    return [
        Row(
            "same graph: memory after backward",
            "bytes/node",
            per_node,
            kind="size",
            note="tracemalloc, everything the graph keeps alive (node, data, grad, parents, "
            "local derivatives or closure) divided by interior nodes",
        )
    ]


def idiomatic_rows(n: int, repeats: int) -> list[Row]:
    """The neuron as each library writes it, per product (multiply-accumulate)."""
    ws, xs = _inputs(n)
    micro = _micrograd_value()
    w_np, x_np = np.array(ws), np.array(xs)

    def ours() -> float:
        w = [autograd.Value(v) for v in ws]
        b = autograd.Value(0.0)
        start = _now()
        (out,) = autograd.linear(xs, [w], [b])
        out.backward()
        return _now() - start

    def theirs() -> float:
        w = [micro(v) for v in ws]
        b = micro(0.0)
        start = _now()
        out = sum((wi * xi for wi, xi in zip(w, xs)), b)
        out.backward()
        return _now() - start

    def vectorised() -> float:
        start = _now()
        _ = float(w_np @ x_np)  # forward
        _ = x_np * 1.0  # backward: d out / d w = x, times the upstream gradient 1
        return _now() - start

    medians = interleaved({"backproplab": ours, "micrograd": theirs, "numpy": vectorised}, repeats)
    per_product = {k: v * 1e9 / n for k, v in medians.items()}

    def bytes_ours() -> object:
        w = [autograd.Value(v) for v in ws]
        (out,) = autograd.linear(xs, [w], [autograd.Value(0.0)])
        out.backward()
        return w, out

    def bytes_theirs() -> object:
        w = [micro(v) for v in ws]
        out = sum((wi * xi for wi, xi in zip(w, xs)), micro(0.0))
        out.backward()
        return w, out

    size = {
        "backproplab": allocated_bytes(bytes_ours)[0] / n,
        "micrograd": allocated_bytes(bytes_theirs)[0] / n,
        "numpy": float(w_np.nbytes + x_np.nbytes) / n,
    }
    return [
        Row(
            "neuron as written: forward + backward",
            "ns/product",
            per_product,
            note=f"{n:,} weights and float inputs; backproplab: linear(x, [w], [b]) (1 node), "
            f"micrograd: sum(w_i * x_i) ({2 * n:,} nodes), numpy: w @ x and its gradient",
        ),
        Row(
            "neuron as written: memory",
            "bytes/product",
            size,
            kind="size",
            note="weights, graph and gradients",
        ),
    ]


def _chain_backpropagates(value_type: type, depth: int) -> bool:
    y = value_type(1.0)
    x = y
    for _ in range(depth):
        y = y * 1.0000001 + 0.0
    try:
        y.backward()
    except RecursionError:
        return False
    return x.grad != 0


def deepest_chain_rows(max_depth: int) -> list[Row]:
    """The deepest chain each engine backpropagates under the default recursion limit."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        micro = _micrograd_value()
        lo, hi = 1, max_depth  # micrograd: binary search for the last depth that works
        if _chain_backpropagates(micro, hi):
            lo = hi
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _chain_backpropagates(micro, mid):
                lo = mid
            else:
                hi = mid - 1
        ours = max_depth if _chain_backpropagates(autograd.Value, max_depth) else 0
    finally:
        sys.setrecursionlimit(limit)
    return [
        Row(
            "deepest chain that backpropagates",
            "operations",
            {"backproplab": float(ours), "micrograd": float(lo)},
            kind="score",
            note=f"y = y * 1.0000001 + 0.0 repeated, default recursion limit 1000; "
            f"backproplab tried at {max_depth:,} only",
        )
    ]


def run(n: int = 20_000, repeats: int = 5, max_depth: int = 1_000_000) -> list[Row]:
    return [
        *same_shape_rows(n, repeats),
        *memory_rows(n),
        *idiomatic_rows(n, repeats),
        *deepest_chain_rows(max_depth),
    ]
