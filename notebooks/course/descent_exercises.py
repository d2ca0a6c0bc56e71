"""Checks for notebooks 02 and 03: find the learning rate where gradient descent stops
converging.

The checker runs gradient descent itself (with `autograd`, from its own start) at the
learner's rate and just below and above it, and explains a wrong answer with what those
runs did: which weight ran away and how fast, or that a larger rate still converges. The
right answer is the edge 2 / (largest curvature), from the loss's second derivatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import autograd

from .report import CheckFailed, number, passed, real_number

STEPS = 200
TOLERANCE = 0.02  # relative: an answer within 2 % of the edge is right


@dataclass(frozen=True)
class Bowl:
    """A loss sum_i c_i (w_i - t_i)**2 with its minimum at the targets t_i.

    Gradient descent moves each weight's distance to its target by the factor
    1 - 2 c_i lr per step, so it converges while every |1 - 2 c_i lr| < 1: below the
    edge 2 / (largest curvature 2 c_i).
    """

    names: tuple[str, ...]
    targets: tuple[float, ...]
    coefficients: tuple[float, ...]
    start: tuple[float, ...]
    formula: str

    @property
    def edge(self) -> float:
        return 2.0 / (2.0 * max(self.coefficients))

    def distances(self, lr: float, steps: int = STEPS) -> list[list[float]]:
        """|w_i - t_i| for each weight after each step of gradient descent (autograd's)."""
        weights = [autograd.Value(s) for s in self.start]
        history = [[abs(s - t) for s, t in zip(self.start, self.targets)]]
        for _ in range(steps):
            for w in weights:
                w.grad = 0.0
            terms = [c * (w - t) ** 2 for w, t, c in zip(weights, self.targets, self.coefficients)]
            autograd.sum(terms).backward()
            for w in weights:
                w.data -= lr * w.grad
            history.append([abs(w.data - t) for w, t in zip(weights, self.targets)])
            if any(d > 1e100 for d in history[-1]):
                break  # far enough to tell; before the square overflows
        return history


LINE = Bowl(("theta",), (3.0,), (1.0,), (-1.0,), "f(theta) = (theta - 3)**2 + 1")
BOWL = Bowl(("w1", "w2"), (4.0, 3.0), (1.0, 2.0), (0.0, 0.0), "L = (w1 - 4)**2 + 2 (w2 - 3)**2")


def _factor(history: list[list[float]], i: int, steps: int = 10) -> float:
    """The factor by which weight i's distance changed per step over the first `steps`
    steps (their geometric mean): early, before rounding can make a distance exactly 0."""
    steps = min(steps, len(history) - 1)
    first, last = history[0][i], history[steps][i]
    if first == 0.0 or last == 0.0:
        return 0.0
    return math.exp(math.log(last / first) / steps)


def _runaway(bowl: Bowl, lr: float) -> str | None:
    """A sentence on the weight that does not converge at `lr`, or None if all do."""
    history = bowl.distances(lr)
    i = max(range(len(bowl.names)), key=lambda k: _factor(history, k))  # the worst weight
    factor = _factor(history, i)
    if factor < 1.0 - 1e-9:
        return None
    first, last = history[0][i], history[-1][i]
    what = "grew" if last > first * (1 + 1e-6) else "did not shrink"
    return (
        f"at lr = {number(lr)}, |{bowl.names[i]} - {number(bowl.targets[i])}| {what} from "
        f"{number(first)} to {number(last)} in {len(history) - 1} steps (about "
        f"{number(factor)}x per step)"
    )


def check_edge(bowl: Bowl, answer: object, name: str, where: str) -> None:
    """The learner's `answer` must be the edge of convergence of gradient descent on `bowl`
    (within `TOLERANCE`); a wrong answer is explained by runs at and near it."""
    lr = real_number(answer, name, where)
    if lr <= 0:
        raise CheckFailed(
            f"`{name}` = {number(lr)}: a learning rate is positive (a step against the "
            "gradient, scaled down)."
        )
    edge = bowl.edge
    if abs(lr - edge) <= TOLERANCE * edge:
        passed(
            f"the edge is lr = {number(edge)} for {bowl.formula}: below it every distance to "
            "the minimum shrinks, above it at least one grows"
        )
        return
    runaway = _runaway(bowl, lr)
    if runaway is not None:
        raise CheckFailed(
            f"`{name}` = {number(lr)} is past the edge: {runaway}. The edge is lower: "
            "look for the largest rate at which every weight still gets closer."
        )
    larger = lr + (edge - lr) / 2
    # Between a converging rate and the edge every run converges: no need to test it.
    history = bowl.distances(larger)
    slowest = max(range(len(bowl.names)), key=lambda i: _factor(history, i))
    raise CheckFailed(
        f"`{name}` = {number(lr)} converges, but it is not the largest rate that does: at "
        f"lr = {number(larger)} gradient descent converges too ("
        f"|{bowl.names[slowest]} - {number(bowl.targets[slowest])}| shrinks about "
        f"{number(_factor(history, slowest))}x per step). Try larger rates until a run stops "
        "getting closer."
    )


def check_largest_lr_line(answer: object) -> None:
    """Notebook 02: the edge for f(theta) = (theta - 3)**2 + 1."""
    check_edge(LINE, answer, "largest_lr", "the exercise cell above")


def check_largest_lr_bowl(answer: object) -> None:
    """Notebook 03: the edge for the bowl (w1 - 4)**2 + 2 (w2 - 3)**2."""
    check_edge(BOWL, answer, "largest_lr", "the exercise cell above")
