"""Higher derivatives: what ``autograd.grad(..., create_graph=True)`` costs against the
float path of ``backward()``.

The loss is micrograd's demo network with tanh hidden layers (``MLP(2, [16, 16, 1])``,
mean squared error over 100 two-moons points), differentiated with respect to its 337
parameters in three ways, taking turns on fresh graphs: ``backward()`` (the stored
float local derivatives), ``grad()`` (the same numbers, returned instead of added into
``.grad``) and ``grad(create_graph=True)`` (every derivative rule applied as Value
operations, so the gradient is itself a graph that can be differentiated again). The
ratio column says how many times longer each takes than ``backward()``; the
Hessian-vector product row is the whole of ``autograd.hvp``'s work on that loss.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable
from time import perf_counter

import autograd
import nn
from autograd import Value
from benchmarks.common import Row

ENGINES = ("backward()", "grad()", "grad(create_graph=True)")


def _loss_builder() -> tuple[list[Value], Callable[[], Value]]:
    X, y = nn.data.make_moons(n_samples=100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], activation="tanh", seed=0)
    rows, targets = X.tolist(), (2.0 * y - 1.0).tolist()
    return model.parameters(), lambda: nn.mse(model(rows), targets)


def run(repeats: int = 5) -> list[Row]:
    params, loss = _loss_builder()

    def backward() -> float:
        out = loss()
        start = perf_counter()
        out.backward()
        return perf_counter() - start

    def plain_grad() -> float:
        out = loss()
        start = perf_counter()
        autograd.grad(out, params)
        return perf_counter() - start

    def create_graph() -> float:
        out = loss()
        start = perf_counter()
        autograd.grad(out, params, create_graph=True)
        return perf_counter() - start

    def hvp() -> float:
        out = loss()
        start = perf_counter()
        first = autograd.grad(out, params, create_graph=True)
        directional = autograd.sum([g * 0.5 for g in first])
        autograd.grad(directional, params)
        return perf_counter() - start

    cases = {"backward()": backward, "grad()": plain_grad, "grad(create_graph=True)": create_graph}
    samples: dict[str, list[float]] = {name: [] for name in [*cases, "hvp"]}
    for _ in range(repeats):  # the cases take turns
        for name, case in [*cases.items(), ("hvp", hvp)]:
            gc.collect()
            samples[name].append(case() * 1e3)
    ms = {name: statistics.median(values) for name, values in samples.items()}
    return [
        Row(
            "demo loss gradient, 337 parameters",
            "ms",
            {name: ms[name] for name in cases},
            kind="size",
            note="MLP(2, [16, 16, 1]) with tanh, mse over 100 points; the ratio columns "
            "are times longer than backward()",
        ),
        Row(
            "demo loss Hessian-vector product",
            "ms",
            {"backward()": ms["backward()"], "grad(create_graph=True)": ms["hvp"]},
            kind="size",
            note="grad(create_graph=True), its dot with a vector, grad again",
        ),
    ]
