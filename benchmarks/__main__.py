"""`python -m benchmarks [--quick]`: run every benchmark and print one table."""

from __future__ import annotations

import argparse
import time

from benchmarks import compiled, engine, graphs, higher, optim, training
from benchmarks.common import format_table, machine


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.quick:
        rows = engine.run(n=2_000, repeats=2, max_depth=10_000) + training.run(steps=5)
        compiled_tables = compiled.run(steps=5, repeats=2)
        higher_rows = higher.run(repeats=2)
        optim_rows = optim.run(steps=5, repeats=2)
    else:
        rows = engine.run() + training.run()
        compiled_tables = compiled.run()
        higher_rows = higher.run()
        optim_rows = optim.run()
    print(f"machine: {machine()}")
    print(format_table(rows, engine.ENGINES, baseline="micrograd"))
    print("\nCompiled batch mode (autograd.compile) against eager mode, torch and numpy:\n")
    print(compiled.tables(*compiled_tables))
    print("\nHigher derivatives (autograd.grad with create_graph=True) against backward():\n")
    print(format_table(higher_rows, higher.ENGINES, baseline="backward()"))
    print("\nOne optimizer step, per-float rules over Values against array rules (same bits):\n")
    print(format_table(optim_rows, optim.ENGINES, baseline=optim.ENGINES[0]))
    print("\nGraphs of any size (autograd.explore in headless Chromium):\n")
    print(graphs.run(quick=args.quick))
    print(f"\n(benchmarks ran in {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
