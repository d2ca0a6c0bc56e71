"""Compiled batch mode (`autograd.compile`) against eager mode and hand-written numpy.

The same two trainings as `benchmarks.training`, side by side in one run:

- micrograd's demo (100 moons points, MLP 2-16-16-1 relu, max-margin loss plus 1e-4
  L2, full batch, SGD with a decaying learning rate): one step eager, one step
  compiled (``value_and_grad`` of the per-sample loss, then the same SGD and
  scheduler), one step of the numpy reference; the three in lockstep from the same
  weights. A second row times the compiled forward and backward pass alone, without
  the optimizer's step over the 337 Values.
- one epoch of the 64-32-10 softmax classifier over 1,000 samples in batches of 32,
  through ``nn.fit`` eager and ``nn.fit(compile=True)``, against the numpy epoch.

Ratios are to numpy: "2.0x numpy" takes twice numpy's time. Tracing is timed apart.
"""

from __future__ import annotations

import gc
import statistics
from time import perf_counter
from typing import Any

import numpy as np

import autograd
import nn
from benchmarks.common import Row
from benchmarks.training import (
    ALPHA,
    DEMO_STEPS,
    _demo_data,
    _initial_weights,
    _lr,
    _Numpy,
    _Ours,
    _set_weights,
    numpy_softmax_mlp_step,
)

ENGINES = ("eager", "compiled", "numpy")


class _Compiled:
    """micrograd's demo with the per-sample loss compiled: one vectorised pass a step."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        self.model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
        _set_weights(self.model, weights)
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=1.0)
        self.scheduler = nn.optim.LambdaLR(self.optimizer, _lr)
        self.X, self.y = X, y
        start = perf_counter()
        # mean over the rows of (hinge + 1e-4 L2) is the demo's loss: the L2 term does
        # not depend on the row, so it is computed once per step, not once per row.
        self.step_fn = autograd.compile(
            lambda x, t: (1.0 - t * self.model(x)).relu() + ALPHA * nn.l2(self.model), X[0], y[0]
        )
        self.trace_seconds = perf_counter() - start

    def step(self, k: int) -> None:
        self.optimizer.zero_grad()
        self.step_fn.value_and_grad(self.X, self.y)
        self.optimizer.step()
        self.scheduler.step()

    def gradients_only(self) -> None:
        self.step_fn.value_and_grad(self.X, self.y)

    def accuracy(self) -> float:
        scores = autograd.compile(self.model, self.X[0])(self.X)
        return float(np.mean((scores > 0) == (self.y > 0)))


def demo_rows(steps: int = DEMO_STEPS) -> list[Row]:
    X, y = _demo_data()
    weights = _initial_weights([2, 16, 16, 1])
    compiled = _Compiled(weights, X, y)
    runs: dict[str, Any] = {
        "eager": _Ours(weights, X, y),
        "compiled": compiled,
        "numpy": _Numpy(weights, X, y),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    pass_only: list[float] = []
    for k in range(steps):
        for name, run in runs.items():
            gc.collect()
            start = perf_counter()
            run.step(k)
            times[name].append(perf_counter() - start)
        start = perf_counter()
        compiled.gradients_only()
        pass_only.append(perf_counter() - start)
    per_step = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    numpy_ms = per_step["numpy"]
    return [
        Row(
            "micrograd's demo: one training step",
            "ms/step",
            per_step,
            kind="cost",
            note=f"compiled: value_and_grad of the per-sample loss, then nn.optim.SGD and "
            f"LambdaLR over the 337 Values; median of {steps} steps in lockstep",
        ),
        Row(
            "micrograd's demo: compiled forward + backward only",
            "ms/step",
            {"compiled": statistics.median(pass_only) * 1e3, "numpy": numpy_ms},
            kind="cost",
            note="the compiled step without the optimizer (numpy's step includes its update)",
        ),
        Row(
            f"micrograd's demo: accuracy after {steps} steps",
            "accuracy",
            {name: run.accuracy() for name, run in runs.items()},
            kind="score",
        ),
        Row(
            "micrograd's demo: time to trace",
            "ms",
            {"compiled": compiled.trace_seconds * 1e3},
            kind="score",
        ),
    ]


def _classifier() -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    X, y = nn.data.make_blobs(n_samples=1000, centers=10, n_features=64, seed=0)
    X = (X - X.mean(0)) / X.std(0)
    weights = _initial_weights([64, 32, 10], seed=1)
    for W, _ in weights:
        W *= np.sqrt(1.0 / W.shape[1])
    return X, y, weights


def _fit_epoch(X: np.ndarray, y: np.ndarray, weights: Any, compile: bool) -> float:
    model = nn.MLP(64, [32, 10], activation="relu", seed=0)
    _set_weights(model, weights)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=optimizer, epochs=1, batch_size=32,
        progress=False, seed=0, compile=compile,
    )  # fmt: skip
    return history.seconds


def _numpy_epoch(X: np.ndarray, y: np.ndarray, weights: Any, batch_size: int = 32) -> float:
    params = [(W.copy(), b.copy()) for W, b in weights]
    start = perf_counter()
    for xb, yb in nn.data.batches(X, y, batch_size=batch_size, shuffle=True, rng=0):
        numpy_softmax_mlp_step(params, xb, yb, lr=0.1)
    return perf_counter() - start


def classifier_rows(repeats: int = 5) -> list[Row]:
    X, y, weights = _classifier()
    model = nn.MLP(64, [32, 10], activation="relu", seed=0)
    start = perf_counter()
    autograd.compile(model, X[0])
    trace = perf_counter() - start
    samples: dict[str, list[float]] = {name: [] for name in ENGINES}
    for r in range(repeats):
        gc.collect()
        if r < 2:  # eager is slow: two epochs are enough for its median
            samples["eager"].append(_fit_epoch(X, y, weights, compile=False))
        gc.collect()
        samples["compiled"].append(_fit_epoch(X, y, weights, compile=True))
        gc.collect()
        samples["numpy"].append(_numpy_epoch(X, y, weights))
    return [
        Row(
            "MLP 64-32-10 softmax: one epoch through fit",
            "s/epoch",
            {name: statistics.median(t) for name, t in samples.items()},
            kind="cost",
            note="1,000 blobs samples, batches of 32, SGD lr 0.1; eager: nn.fit, compiled: "
            "nn.fit(compile=True) (History.seconds: its trace, timed below, comes before), "
            "numpy: the same shuffled epoch by hand",
        ),
        Row("MLP 64-32-10 softmax: time to trace", "ms", {"compiled": trace * 1e3}, kind="score"),
    ]


def run(steps: int = DEMO_STEPS, repeats: int = 5) -> list[Row]:
    return [*demo_rows(steps), *classifier_rows(repeats)]
