"""`python -m benchmarks [--quick] [part ...]`: run the benchmarks (every part, or the
parts named) and print their tables."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from benchmarks import compiled, engine, graphs, higher, optim, training
from benchmarks.common import format_table, machine


def _engine(quick: bool) -> str:
    if quick:
        rows = engine.run(n=2_000, repeats=2, max_depth=10_000) + training.run(steps=5)
    else:
        rows = engine.run() + training.run()
    return format_table(rows, engine.ENGINES, baseline="micrograd")


def _compiled(quick: bool) -> str:
    tables = compiled.run(steps=5, repeats=2) if quick else compiled.run()
    return (
        "Compiled batch mode (autograd.compile) against eager mode, torch and numpy:\n\n"
        + compiled.tables(*tables)
    )


def _higher(quick: bool) -> str:
    rows = higher.run(repeats=2) if quick else higher.run()
    return (
        "Higher derivatives (autograd.grad with create_graph=True) against backward():\n\n"
        + format_table(rows, higher.ENGINES, baseline="backward()")
    )


def _optim(quick: bool) -> str:
    rows = optim.run(steps=5, repeats=2) if quick else optim.run()
    return (
        "One optimizer step, per-float rules over Values against array rules (same bits):\n\n"
        + format_table(rows, optim.ENGINES, baseline=optim.ENGINES[0])
    )


def _graphs(quick: bool) -> str:
    return "Graphs of any size (autograd.explore in headless Chromium):\n\n" + graphs.run(quick)


PARTS: dict[str, Callable[[bool], str]] = {
    "engine": _engine,  # the engine and the training loops against micrograd
    "compiled": _compiled,
    "higher": _higher,
    "optim": _optim,
    "graphs": _graphs,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    parser.add_argument("parts", nargs="*", help=f"of {', '.join(PARTS)} (default: all)")
    args = parser.parse_args()
    unknown = [name for name in args.parts if name not in PARTS]
    if unknown:
        parser.error(f"no part {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    start = time.perf_counter()
    print(f"machine: {machine()}")
    for name in args.parts or PARTS:
        print(f"\n{PARTS[name](args.quick)}", flush=True)
    print(f"\n(benchmarks ran in {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
