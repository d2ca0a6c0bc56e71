"""Eager cost per operation: build a chain of a few thousand nodes of one op, then
backward over it; microseconds per node, for one or more source trees side by side.

    python -m benchmarks.ops                     # this tree
    python -m benchmarks.ops /path/a /path/b     # two trees, interleaved runs

Each tree runs in its own subprocess (its ``autograd`` first on the path), the trees
take turns round after round, and the best round is kept, so that load on the machine
hits every tree alike. Not a test: nothing asserts on time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# op name -> one step of the chain (x is the previous node; values stay in range)
CASES = {
    "add": "x + y",
    "add_const": "x + 0.5",
    "mul": "x * y",
    "mul_const": "x * 0.999",
    "rsub_const": "1.0 - x",
    "div": "x / y",
    "pow_const": "x ** 1.0",
    "neg": "-x",
    "exp": "(x * 0.001).exp()",
    "log": "(x * 0.5 + 1.0).log()",
    "tanh": "x.tanh()",
    "sigmoid": "x.sigmoid()",
    "relu": "x.relu()",
    "sin": "x.sin()",
}

_WORKER = """
import sys, time, json
sys.path.insert(0, sys.argv[1])
from autograd import Value
n = 3000
result = {}
for name, step in json.loads(sys.argv[2]).items():
    space = {}
    exec(f"def chain(x, y, n):\\n    for _ in range(n):\\n        x = {step}\\n    return x", space)
    chain = space["chain"]
    best_build = best_back = float("inf")
    for _ in range(int(sys.argv[3])):
        y = Value(1.0001)
        x = Value(0.5)
        t0 = time.perf_counter()
        x = chain(x, y, n)
        t1 = time.perf_counter()
        x.backward()
        t2 = time.perf_counter()
        best_build = min(best_build, t1 - t0)
        best_back = min(best_back, t2 - t1)
    result[name] = (best_build / n * 1e6, best_back / n * 1e6)
print(json.dumps(result))
"""


def run(trees: list[str], rounds: int = 5, repeats: int = 5) -> dict[str, dict[str, list[float]]]:
    """{tree: {op: [build us/node, backward us/node]}}: the best over interleaved rounds."""
    best: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
    for _ in range(rounds):
        for tree in trees:
            out = subprocess.run(
                [sys.executable, "-c", _WORKER, tree, json.dumps(CASES), str(repeats)],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            for name, times in json.loads(out.stdout).items():
                old = best[tree].get(name, [float("inf"), float("inf")])
                best[tree][name] = [min(a, b) for a, b in zip(old, times)]
    return best


def main() -> None:
    trees = sys.argv[1:] or [str(Path(__file__).resolve().parent.parent)]
    best = run(trees)
    head = f"{'op':<12}" + "".join(f"{'build':>9}{'back':>7}  " for _ in trees)
    print("us per node, best of interleaved rounds; trees:", *trees, sep="\n  ")
    print(head)
    for name in CASES:
        cells = "".join(f"{best[t][name][0]:9.3f}{best[t][name][1]:7.3f}  " for t in trees)
        print(f"{name:<12}{cells}")


if __name__ == "__main__":
    main()
