"""Graphs of any size: how long `autograd.explore` and the page take, in headless Chromium.

For each graph: its Values, the seconds to build the page in Python (`explore` and its
HTML), the seconds until the page has laid the graph out and drawn its first frame in
Chromium, and the milliseconds per step of the backward pass (one step forward, the
browser's layout of the change included). Also `python -m nn`'s two pictures (the
decision boundary and the training page) on a trained demo model.

Run alone: ``python -m benchmarks.graphs [--quick]`` (needs Chromium and chromedriver,
as the explorer tests do).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import autograd
from autograd import Value
from benchmarks.common import machine


def rnn(steps: int) -> Value:
    """h = tanh(h * w + c * u), c a plain number at each step: 4 Values per step."""
    w, u, h = Value(0.5, label="w"), Value(0.3, label="u"), Value(0.0, label="h0")
    for t in range(steps):
        h = (h * w + (0.1 * t) * u).tanh()
    return h


def reuse_chain(steps: int) -> Value:
    """A chain that uses one input again at every step."""
    x = Value(0.7, label="x")
    y = x
    for _ in range(steps):
        y = (y * x).sin()
    return y


def chain(values: int) -> Value:
    y = Value(0.1, label="x")
    for _ in range(values - 1):
        y = y * 0.999999
    return y


def mlp_loss(samples: int, hidden: list[int], seed: int = 0) -> Value:
    """An MLP's cross-entropy loss on a batch of the demo's data (moons)."""
    import nn

    model = nn.MLP(2, [*hidden, 2], seed=seed)
    X, y = nn.data.make_moons(samples, seed=seed)
    loss: Value = nn.cross_entropy(model(X), y)
    return loss


@dataclass
class Case:
    name: str
    build: Callable[[], Value]
    options: dict[str, Any]


def cases(quick: bool) -> list[Case]:
    if quick:
        return [Case("40-step RNN", lambda: rnn(40), {}), Case("chain", lambda: chain(2_000), {})]
    return [
        Case("40-step RNN", lambda: rnn(40), {}),
        Case("200-step RNN", lambda: rnn(200), {}),
        Case("reuse chain", lambda: reuse_chain(67), {}),
        Case("MLP(2, [16, 16, 2]) loss, 30 samples", lambda: mlp_loss(30, [16, 16]), {}),
        Case("the same, fully expanded", lambda: mlp_loss(30, [16, 16]), {"expand": True}),
        Case("demo model, batch of 32", lambda: mlp_loss(32, [16, 16]), {}),
        Case("demo model, 150 samples", lambda: mlp_loss(150, [16, 16]), {}),
        Case("the same, fully expanded", lambda: mlp_loss(150, [16, 16]), {"expand": True}),
        Case("100,000-value chain", lambda: chain(100_000), {"max_nodes": 100_000}),
    ]


@contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.conftest import CHROMIUM_FLAGS

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(600)
    try:
        yield driver
    finally:
        driver.quit()


# Steps one at a time from position `start`, each followed by a forced layout of the
# page (what the browser must do before it can paint the change).
_STEPPING = """
var start = arguments[0], count = arguments[1], lab = window.backproplab;
lab.step(start);
document.body.getBoundingClientRect();
var t = performance.now();
for (var k = 1; k <= count; k++) { lab.step(start + k); document.body.getBoundingClientRect(); }
return (performance.now() - t) / count;
"""


def measure(driver: Any, case: Case, folder: Path) -> dict[str, float]:
    root = case.build()
    values = len(autograd.topological_order(root))
    start = time.perf_counter()
    page = autograd.explore(root, **case.options)
    path = page.save(folder / "page.html")
    built = time.perf_counter() - start
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())  # returns once the page's script has drawn it
    driver.execute_script("document.body.getBoundingClientRect()")
    drawn = time.perf_counter() - start
    count = min(50, page.steps - 2)
    per_step = driver.execute_script(_STEPPING, page.steps // 3, count)
    driver.get("about:blank")  # a large page left open keeps the browser busy
    return {"values": values, "build": built, "drawn": drawn, "step_ms": per_step}


def demo_pictures() -> float:
    """Seconds for `python -m nn`'s decision boundary and training page, on a model
    trained briefly on moons (what `python -m nn` writes after training)."""
    import nn
    from nn import __main__ as demo

    X, y = nn.data.make_moons(200, seed=0)
    train, test = (X[:150], y[:150]), (X[150:], y[150:])
    model = nn.MLP(2, [16, 16, 2], seed=0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
    history = nn.fit(
        model,
        *train,
        loss=nn.cross_entropy,
        optimizer=optimizer,
        epochs=10,
        record=1,
        progress=False,
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        demo._plot_boundary(model, train, test, Path(folder) / "boundary.png", "moons")
        history.explore(model, *train, *test, title="training").save(Path(folder) / "t.html")
        return time.perf_counter() - start


def run(quick: bool = False) -> str:
    lines = [
        "| graph | values | build the page (s) | to the first frame in Chromium (s) "
        "| ms per step |",
        "|---|---:|---:|---:|---:|",
    ]
    with chromium() as driver, tempfile.TemporaryDirectory() as folder:
        for case in cases(quick):
            m = measure(driver, case, Path(folder))
            lines.append(
                f"| {case.name} | {m['values']:,.0f} | {m['build']:.2f} | {m['drawn']:.2f} "
                f"| {m['step_ms']:.1f} |"
            )
    lines.append(f"\n`python -m nn`'s two pictures together: {demo_pictures():.2f} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.graphs", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(run(args.quick))


if __name__ == "__main__":
    main()
