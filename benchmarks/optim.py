"""One optimizer step over the 2,410 parameters of the 64-32-10 classifier: `step()`
over Values (the per-float rules) against `step_arrays()` over a flat float64 buffer
(the array rules, bit for bit the same numbers), taking turns in one run.

Both include everything a step does: the hyper-parameter checks, the finiteness
checks of gradients, new values and buffers, and the all-or-nothing write (Ctrl-C held
back). `step()` also reads ``p.grad`` and ``p.data`` and writes ``p.data`` of every
Value; `step_arrays()` leaves the Values to its caller. Run alone with
``python -m benchmarks.optim [--quick]``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from time import perf_counter

import numpy as np

import nn
from autograd import Value
from benchmarks.common import Row, format_table, interleaved, machine
from nn.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

ENGINES = ("step() on Values", "step_arrays()")

OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "SGD, momentum 0.9": lambda p: SGD(p, lr=1e-3, momentum=0.9),
    "Adam": lambda p: Adam(p, lr=1e-3),
    "AdamW, amsgrad": lambda p: AdamW(p, lr=1e-3, amsgrad=True),
    "RMSprop, centered": lambda p: RMSprop(p, lr=1e-3, centered=True),
    "Adagrad": lambda p: Adagrad(p, lr=1e-3),
}


def _case(
    make: Callable[[list[Value]], Optimizer], arrays: bool, steps: int
) -> Callable[[], float]:
    """A timed case: µs per step, averaged over `steps` steps."""
    params = nn.MLP(64, [32, 10], seed=0).parameters()
    rng = np.random.default_rng(0)
    grads = rng.normal(size=len(params))
    for p, g in zip(params, grads.tolist()):
        p.grad = g
    optimizer = make(params)
    flat = np.array([p.data for p in params])

    def run() -> float:
        start = perf_counter()
        if arrays:
            for _ in range(steps):
                optimizer.step_arrays(flat, grads)
        else:
            for _ in range(steps):
                optimizer.step()
        return (perf_counter() - start) / steps * 1e6

    return run


def run(steps: int = 200, repeats: int = 5) -> list[Row]:
    rows = []
    for name, make in OPTIMIZERS.items():
        cases = {
            ENGINES[0]: _case(make, arrays=False, steps=steps),
            ENGINES[1]: _case(make, arrays=True, steps=steps),
        }
        rows.append(Row(f"{name}, 2,410 parameters", "µs per step", interleaved(cases, repeats)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.optim", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few steps, to check it runs")
    args = parser.parse_args()
    rows = run(steps=5, repeats=2) if args.quick else run()
    print(f"machine: {machine()}")
    print(format_table(rows, ENGINES, baseline=ENGINES[0]))


if __name__ == "__main__":
    main()
