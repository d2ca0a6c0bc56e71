"""Measuring helpers shared by the benchmarks: interleaved repeats, medians, a table."""

from __future__ import annotations

import gc
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Row:
    """One measured quantity for every engine, in the same run."""

    name: str
    unit: str
    values: dict[str, float] = field(default_factory=dict)
    # "time": ratio as "Nx faster"; "cost": ours / baseline as "Nx numpy" (compiled
    # mode against numpy); "size": ours / baseline; "score"
    kind: str = "time"
    note: str = ""


def interleaved(cases: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median of `repeats` calls of each case, the cases taking turns.

    Each case returns the quantity it measured (seconds, usually). Taking turns
    spreads any slow phase of the machine over every engine alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            gc.collect()
            samples[name].append(case())
    return {name: statistics.median(values) for name, values in samples.items()}


def lockstep(
    steps: Mapping[str, Callable[[int], object]], n_steps: int, block: int = 10
) -> dict[str, list[float]]:
    """Seconds of each of ``n_steps`` steps of every engine, the engines taking turns
    by blocks of ``block`` steps (steps k .. k + block - 1 of each, then the next block),
    so that a slow phase of the machine hits all of them alike.

    By blocks, not one step at a time: a step of tens of microseconds after another
    engine's step (or a ``gc.collect()``) finds its arrays out of the cache and takes
    several times as long as in a training loop; in a block only the first step does,
    and the median of the steps leaves it out."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for first in range(0, n_steps, block):
        for name, step in steps.items():
            gc.collect()
            for k in range(first, min(first + block, n_steps)):
                start = time.perf_counter()
                step(k)
                times[name].append(time.perf_counter() - start)
    return times


def timed(func: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def allocated_bytes(build: Callable[[], object]) -> tuple[int, object]:
    """Bytes still allocated after `build()` returns (what its result keeps alive)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, result


def machine() -> str:
    import os

    return (
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform(terse=True)}"
    )


def format_table(rows: Sequence[Row], engines: Sequence[str], baseline: str) -> str:
    """A Markdown table: one column per engine, then each engine's ratio to `baseline`."""
    others = [e for e in engines if e != baseline]
    head = ["measure", *engines, *(f"{e} vs {baseline}" for e in others)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [f"{row.name} ({row.unit})"]
        for engine in engines:
            value = row.values.get(engine)
            cells.append("—" if value is None else _number(value))
        for engine in others:
            cells.append(_ratio(row, engine, baseline))
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"- {row.name}: {row.note}" for row in rows if row.note]
    return "\n".join([*lines, "", *notes] if notes else lines)


def _number(x: float) -> str:
    if x == int(x) and abs(x) >= 1:
        return f"{int(x):,}"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


def _ratio(row: Row, engine: str, baseline: str) -> str:
    ours, base = row.values.get(engine), row.values.get(baseline)
    if ours is None or base is None or ours == 0 or base == 0:
        return "—"
    if row.kind == "time":
        return f"{base / ours:.1f}x faster"
    if row.kind == "cost":
        return f"{ours / base:.1f}x {baseline}"
    if row.kind == "size":
        return f"{ours / base:.2f}x"
    return f"{ours - base:+.3g}" if row.unit == "accuracy" else f"{ours / base:,.0f}x"
