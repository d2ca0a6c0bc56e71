"""Compiled batch mode (`autograd.compile`) against eager mode, torch and hand-written numpy.

The same two trainings as `benchmarks.training`, side by side in one run:

- micrograd's demo (100 moons points, MLP 2-16-16-1 relu, max-margin loss plus 1e-4
  L2, full batch, SGD with a decaying learning rate): one step eager, one step
  compiled (``value_and_grad`` of the per-sample loss, then the same SGD and
  scheduler), torch eager in float64, numpy as the reference writes it, and numpy
  written with care (`benchmarks.training._CarefulNumpy`: one flat parameter buffer,
  ``out=`` everywhere), all in lockstep from the same weights. The compiled run holds
  its 337 parameters in `autograd.FlatParameters`, as a user who wants the speed
  would: the program and the optimizer then work on one array. A second row times
  the compiled forward and backward pass alone, without the optimizer's step.
  Ratios are to the careful numpy step.
- one epoch of the 64-32-10 softmax classifier over 1,000 samples in batches of 32,
  through ``nn.fit`` eager and ``nn.fit(compile=True)``, torch eager in float64 and
  the numpy epoch; and what a ``fit(compile=True)`` call pays once (its checks and
  trace) in epochs. Ratios are to numpy.

"2.0x careful numpy" takes twice its time. Every engine runs on one thread.
`python -m benchmarks.compiled [--quick]` prints these two tables alone.
"""

from __future__ import annotations

import argparse
import gc
import statistics
from itertools import pairwise
from time import perf_counter
from typing import Any

import numpy as np

import autograd
import nn
from benchmarks.common import Row, format_table, lockstep, machine
from benchmarks.training import (
    ALPHA,
    DEMO_STEPS,
    NO_TORCH,
    _CarefulNumpy,
    _demo_data,
    _initial_weights,
    _lr,
    _Numpy,
    _Ours,
    _set_weights,
    _Torch,
    load_torch,
    numpy_softmax_mlp_step,
    torch_mlp,
)
from nn.train import _checked_targets

# the demo's table is read against the careful numpy step, the epoch's against numpy
DEMO_ENGINES = ("eager", "compiled", "torch", "numpy", "careful numpy")
EPOCH_ENGINES = ("eager", "compiled", "torch", "numpy")


class _Compiled:
    """micrograd's demo with the per-sample loss compiled: one vectorised pass a step."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        self.model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
        _set_weights(self.model, weights)
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=1.0)
        self.scheduler = nn.optim.LambdaLR(self.optimizer, _lr)
        self.X, self.y = X, y
        # the parameters in one array for the whole run (the Values read it)
        self.flat = autograd.FlatParameters(self.model.parameters())
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
    torch = load_torch()
    runs: dict[str, Any] = {
        "eager": _Ours(weights, X, y),
        "compiled": compiled,
        **({"torch": _Torch(torch, weights, X, y)} if torch is not None else {}),
        "numpy": _Numpy(weights, X, y),
        "careful numpy": _CarefulNumpy(weights, X, y),
    }
    cases = {name: run.step for name, run in runs.items()}
    cases["pass only"] = lambda k: compiled.gradients_only()
    times = lockstep(cases, n_steps=steps)
    pass_only = times.pop("pass only")
    per_step = {name: statistics.median(t) * 1e6 for name, t in times.items()}
    careful = per_step["careful numpy"]
    accuracy = {name: run.accuracy() for name, run in runs.items()}
    compiled.flat.release()
    return [
        Row(
            "micrograd's demo: one training step",
            "µs/step",
            per_step,
            kind="cost",
            note=f"compiled: value_and_grad of the per-sample loss, then nn.optim.SGD and "
            f"LambdaLR over the 337 parameters held in autograd.FlatParameters; torch: "
            f"float64 nn.Linear layers, torch.optim.SGD "
            f"and LambdaLR, one thread; careful numpy: one flat parameter buffer, biases "
            f"folded, out= everywhere, the update in 3 in-place calls; median of {steps} "
            f"steps from the same weights, the engines taking turns by blocks of 10 steps"
            + ("" if torch else f"; {NO_TORCH}"),
        ),
        Row(
            "micrograd's demo: compiled forward + backward only",
            "µs/step",
            {"compiled": statistics.median(pass_only) * 1e6, "careful numpy": careful},
            kind="cost",
            note="the compiled step without the optimizer (careful numpy's includes its update)",
        ),
        Row(
            f"micrograd's demo: accuracy after {steps} steps",
            "accuracy",
            accuracy,
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


def _fit(
    X: np.ndarray, y: np.ndarray, weights: Any, compile: bool, epochs: int = 1, *hooks: Any
) -> Any:
    model = nn.MLP(64, [32, 10], activation="relu", seed=0)
    _set_weights(model, weights)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    return nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=optimizer, epochs=epochs, batch_size=32,
        progress=False, seed=0, compile=compile, callbacks=list(hooks),
    )  # fmt: skip


class _EpochClock(nn.Callback):
    """When fit's run began and when each epoch ended (perf_counter)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_begin(self, run: Any) -> None:
        self.times.append(perf_counter())

    def on_epoch_end(self, run: Any) -> None:
        self.times.append(perf_counter())


def _compiled_fit(
    X: np.ndarray, y: np.ndarray, weights: Any, epochs: int = 3
) -> tuple[float, float]:
    """(the one-time cost of a ``fit(compile=True)`` call, one compiled epoch), seconds.

    From the call to the end of its first epoch, less one epoch as the later epochs of
    the same run take it (their median): what comes before the first batch (argument
    and target checks, the trace) and whatever the first epoch pays more than the
    others (work done on the first batch)."""
    clock = _EpochClock()
    start = perf_counter()
    _fit(X, y, weights, True, epochs, clock)
    epoch = statistics.median(b - a for a, b in pairwise(clock.times[1:]))
    return clock.times[1] - start - epoch, epoch


def _numpy_epoch(X: np.ndarray, y: np.ndarray, params: Any, batch_size: int = 32) -> float:
    """Seconds of one shuffled epoch of numpy steps over ``params`` ((W, b) per layer,
    updated in place)."""
    start = perf_counter()
    for xb, yb in nn.data.batches(X, y, batch_size=batch_size, shuffle=True, rng=0):
        numpy_softmax_mlp_step(params, xb, yb, lr=0.1)
    return perf_counter() - start


def _torch_epoch(
    torch: Any, X: np.ndarray, y: np.ndarray, model: Any, batch_size: int = 32
) -> float:
    """Seconds of the same shuffled epoch in torch eager, float64, as a torch user
    writes it (torch.optim.SGD, F.cross_entropy), training ``model`` in place."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    start = perf_counter()
    for xb, yb in nn.data.batches(
        X, y.astype(np.int64), batch_size=batch_size, shuffle=True, rng=0
    ):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return perf_counter() - start


def classifier_rows(repeats: int = 5) -> list[Row]:
    X, y, weights = _classifier()
    model = nn.MLP(64, [32, 10], activation="relu", seed=0)
    start = perf_counter()
    autograd.compile(model, X[0])
    trace = perf_counter() - start
    torch = load_torch()
    samples: dict[str, list[float]] = {name: [] for name in EPOCH_ENGINES}
    one_time: list[float] = []
    checks: list[float] = []
    for r in range(repeats):
        gc.collect()
        if r < 2:  # eager is slow: two epochs are enough for its median
            samples["eager"].append(_fit(X, y, weights, False).seconds)
        gc.collect()
        once, epoch = _compiled_fit(X, y, weights)
        one_time.append(once / epoch)
        start = perf_counter()
        _checked_targets(model, X, y, nn.cross_entropy, "fit")
        checks.append(perf_counter() - start)
        samples["compiled"].append(epoch)
        if torch is not None:
            gc.collect()
            samples["torch"].append(_torch_epoch(torch, X, y, torch_mlp(torch, weights)))
        gc.collect()
        params = [(W.copy(), b.copy()) for W, b in weights]
        samples["numpy"].append(_numpy_epoch(X, y, params))
    return [
        Row(
            "MLP 64-32-10 softmax: one epoch",
            "ms/epoch",
            {name: statistics.median(t) * 1e3 for name, t in samples.items() if t},
            kind="cost",
            note="1,000 blobs samples, batches of 32, SGD lr 0.1; eager: nn.fit "
            "(History.seconds of a 1-epoch run), compiled: nn.fit(compile=True), the median "
            "of epochs 2 and 3 of a 3-epoch run; torch: float64 nn.Linear layers, "
            "torch.optim.SGD, one thread; numpy: the same shuffled epoch by hand"
            + ("" if torch else f"; {NO_TORCH}"),
        ),
        Row(
            "MLP 64-32-10 softmax: a fit(compile=True) call's one-time cost",
            "epochs",
            {"compiled": statistics.median(one_time)},
            kind="score",
            note="from the call of nn.fit to the end of its first epoch, less one later "
            "epoch of the same run: the checks, the trace and whatever the first epoch pays "
            "more than the next, in compiled epochs (the aim: at most 2)",
        ),
        Row("MLP 64-32-10 softmax: time to trace", "ms", {"compiled": trace * 1e3}, kind="score"),
        Row(
            "MLP 64-32-10 softmax: fit's check of the 1,000 targets",
            "ms",
            {"compiled": statistics.median(checks) * 1e3},
            kind="score",
            note="part of the one-time cost (eager fit pays it too): nn.train._checked_targets",
        ),
    ]


def run(steps: int = DEMO_STEPS, repeats: int = 5) -> tuple[list[Row], list[Row]]:
    """(the demo's rows, the epoch's rows): read against careful numpy and numpy."""
    return demo_rows(steps), classifier_rows(repeats)


def tables(demo: list[Row], epoch: list[Row]) -> str:
    """The two tables, each against its reference."""
    return "\n\n".join(
        [
            format_table(demo, DEMO_ENGINES, baseline="careful numpy"),
            format_table(epoch, EPOCH_ENGINES, baseline="numpy"),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compiled", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few steps, to check it runs")
    args = parser.parse_args()
    demo, epoch = run(steps=5, repeats=2) if args.quick else run()
    print(f"machine: {machine()}")
    print(tables(demo, epoch))


if __name__ == "__main__":
    main()
