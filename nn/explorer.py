"""The training explorer: watch a 2-D classifier learn, epoch by epoch, in a page.

``fit(..., record=k)`` keeps a `Snapshots` of the model's parameters before training
and every k epochs (and after the last); ``history.explore(model, X, y, X_test,
y_test)`` turns them into a self-contained page with a slider over those epochs.
At each one it shows the decision boundary with the data (training points as dots,
test points as triangles), the loss and accuracy curves with a marker at the epoch,
and the first layer's weights as a heat map: the seed documents' adjust, compare,
adjust again, as a learner would like to watch it.

Everything shown is computed here, in Python, by the model itself with each
snapshot's parameters (which are put back afterwards); the page only draws it, and
loads nothing from anywhere (``window.backproplabTraining`` lets a script move the
slider and read what is shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from autograd.extend import Page
from nn import _checks
from nn.module import Module, _predicted_classes

__all__ = ["Snapshots", "TrainingPage", "training_page"]

GRID = 40  # the decision boundary is drawn from a GRID x GRID lattice of predictions
_FIRST_LAYER_WEIGHT = re.compile(r"^(?:layers\.0\.)?neurons\.(\d+)\.w\.(\d+)$|^w\.(\d+)$")


@dataclass
class Snapshots:
    """A model's parameters (in ``model.parameters()`` order) at some epochs of a run.

    ``epochs[i]`` is how many epochs had finished when ``parameters[i]`` was taken: 0
    before training, then every ``every`` epochs and after the last one. ``threshold``
    is the loss's `nn.losses.decision_threshold`, which decides a one-output model's
    class.
    """

    every: int
    threshold: float
    epochs: list[int] = field(default_factory=list)
    parameters: list[list[float]] = field(default_factory=list)

    @classmethod
    def start(cls, every: object, model: Module, threshold: float) -> Snapshots:
        """The snapshots of a run about to begin (``fit(record=every)``): epoch 0 taken."""
        snapshots = cls(_checks.positive_int("fit", "record", every), threshold)
        snapshots._take(0, model)
        return snapshots

    def after_epoch(self, epoch: int, model: Module) -> None:
        """Called by `fit` once epoch `epoch` (counting from 1) has finished."""
        if epoch % self.every == 0:
            self._take(epoch, model)

    def finish(self, epochs: int, model: Module) -> None:
        """Called by `fit` when the run ends, before any best weights are restored."""
        if self.epochs[-1] != epochs:
            self._take(epochs, model)

    def _take(self, epoch: int, model: Module) -> None:
        self.epochs.append(epoch)
        self.parameters.append([p.data for p in model.parameters()])


@cache
def _asset(name: str) -> str:
    """The page's script or style: package data files beside this module."""
    return resources.files("nn").joinpath(name).read_text(encoding="utf-8")


class RecordedRun(Protocol):
    """What the page reads of a run: a `nn.History` (named by its fields, so that this
    module imports nothing of `nn.train` or `nn.history`, which import it)."""

    loss: list[float]
    val_loss: list[float]
    metrics: dict[str, list[float]]
    snapshots: Snapshots | None


class TrainingPage(Page):
    """The page `History.explore` returns: ``.html``, ``.save(path)``, inline in a notebook."""


def training_page(
    history: RecordedRun,
    model: Module,
    X: Any,
    y: Any,
    X_test: Any = None,
    y_test: Any = None,
    *,
    title: str = "training",
) -> TrainingPage:
    """The training explorer of a run recorded with ``fit(..., record=k)``.

    `model` is the model that was trained (its parameters are set to each snapshot in
    turn and restored when done), ``(X, y)`` the training data and ``(X_test,
    y_test)``, optional, the test data: two input features, integer class labels.
    """
    snapshots, params = _checked_run(history, model, title)
    sets = _data_sets(X, y, X_test, y_test)
    grid, box = _lattice(np.vstack([features for features, _ in sets.values()]))
    data = {
        "box": box,
        "grid_size": GRID,
        "points": {
            name: {"x": features.tolist(), "y": labels.tolist()}
            for name, (features, labels) in sets.items()
        },
        "classes": int(max(max(labels) for _, labels in sets.values())) + 1,
        "curves": {name: list(values) for name, values in _curves(history).items()},
        "frames": _frames(model, params, snapshots, grid, sets),
    }
    return TrainingPage(
        title, _asset("training_explorer.css"), _BODY, _asset("training_explorer.js"), data
    )


# The data sets a page draws, by name ("train", "test"): (inputs (n, 2), class labels).
_Sets = dict[str, tuple[NDArray[np.float64], NDArray[np.int64]]]


def _checked_run(history: RecordedRun, model: Module, title: str) -> tuple[Snapshots, list[Any]]:
    """The run's snapshots and the model's parameters, checked to fit each other."""
    snapshots = history.snapshots
    if snapshots is None:
        raise ValueError(
            "explore: this history has no snapshots of the parameters; train with "
            "fit(..., record=k) to keep them every k epochs"
        )
    _checks.instance("explore", "model", model, Module, "the nn.Module that fit() trained")
    if not isinstance(title, str):
        raise TypeError(f"explore: title must be a str, got {type(title).__name__}")
    params = model.parameters()
    if len(params) != len(snapshots.parameters[0]):
        raise ValueError(
            f"explore: the model has {len(params)} parameters but the snapshots hold "
            f"{len(snapshots.parameters[0])}; pass the model that fit() trained"
        )
    return snapshots, params


def _data_sets(X: Any, y: Any, X_test: Any, y_test: Any) -> _Sets:
    """The training data and, if given, the test data, checked: two features each."""
    X, y = _checks.data("explore", X, y)
    sets = {"train": (X, _labels(y, "y"))}
    if (X_test is None) != (y_test is None):
        raise ValueError("explore: pass both X_test and y_test, or neither")
    if X_test is not None:
        Xt, yt = _checks.data("explore test data", X_test, y_test)
        sets["test"] = (Xt, _labels(yt, "y_test"))
    for name, (features, _) in sets.items():
        if features.shape[1] != 2:
            raise ValueError(
                f"explore: the {name} inputs have {features.shape[1]} features; the page "
                f"draws a decision boundary over two (a 2-D dataset such as nn.data.make_moons)"
            )
    return sets


def _frames(
    model: Module,
    params: list[Any],
    snapshots: Snapshots,
    grid: NDArray[np.float64],
    sets: _Sets,
) -> list[dict[str, Any]]:
    """One frame per snapshot: the model's classes over the lattice, its first layer's
    weights and its accuracy on each data set. The model's parameters are set to each
    snapshot in turn and restored after, also on an error."""
    from nn._compiled import BatchOutputs

    batch = BatchOutputs(model, grid[0])  # the lattice in one call per frame, not per point

    def classes(rows: NDArray[np.float64]) -> NDArray[np.int64]:
        return _predicted_classes(batch(rows), snapshots.threshold)

    original = [p.data for p in params]
    frames = []
    try:
        for epoch, values in zip(snapshots.epochs, snapshots.parameters):
            for p, value in zip(params, values):
                p.data = value
            frame: dict[str, Any] = {
                "epoch": epoch,
                "grid": classes(grid).tolist(),
                "weights": _first_layer(model),
            }
            for name, (features, labels) in sets.items():
                frame[f"{name}_accuracy"] = float(np.mean(classes(features) == labels))
            frames.append(frame)
    finally:
        for p, value in zip(params, original):
            p.data = value
    return frames


def _labels(y: NDArray[Any], name: str) -> NDArray[np.int64]:
    """Class labels 0, 1, ...; hinge's -1/+1 read as 0/1, as accuracy reads them."""
    flat = y.reshape(len(y))
    if not np.all(np.equal(np.mod(flat, 1), 0)):
        raise ValueError(f"explore: {name} must hold integer class labels, got {flat[:3]}...")
    labels = flat.astype(np.int64)
    if labels.min() < 0:
        labels = (labels > 0).astype(np.int64)
    return labels


def _lattice(points: NDArray[np.float64]) -> tuple[NDArray[np.float64], list[float]]:
    """GRID x GRID points (row by row, from the top) over the data with a margin, and
    the box [x_min, x_max, y_min, y_max] they span."""
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-9)
    low, high = low - margin, high + margin
    xs = np.linspace(low[0], high[0], GRID)
    ys = np.linspace(high[1], low[1], GRID)
    grid = np.array([[x, y] for y in ys for x in xs])
    return grid, [float(low[0]), float(high[0]), float(low[1]), float(high[1])]


def _first_layer(model: Module) -> list[list[float]]:
    """The first layer's weights as rows (one per neuron), read from the parameter
    names (``layers.0.neurons.j.w.i``, ``neurons.j.w.i`` or ``w.i``); [] otherwise."""
    cells: dict[tuple[int, int], float] = {}
    for name, p in model.named_parameters():
        match = _FIRST_LAYER_WEIGHT.match(name)
        if match:
            neuron, weight, single = match.groups()
            key = (0, int(single)) if single is not None else (int(neuron), int(weight))
            cells[key] = p.data
    if not cells:
        return []
    rows = 1 + max(r for r, _ in cells)
    cols = 1 + max(c for _, c in cells)
    return [[cells.get((r, c), 0.0) for c in range(cols)] for r in range(rows)]


def _curves(history: RecordedRun) -> dict[str, list[float]]:
    """The per-epoch series the page plots (epoch k's value at index k - 1)."""
    curves = {"loss": history.loss}
    if history.val_loss:
        curves["val_loss"] = history.val_loss
    for name in ("accuracy", "val_accuracy"):
        if history.metrics.get(name):
            curves[name] = history.metrics[name]
    return curves


_BODY = (
    '<div class="bpl-controls">'
    '<button type="button" class="bpl-play">play</button>'
    '<input type="range" class="bpl-slider" min="0" value="0" step="1">'
    '<span class="bpl-epoch"></span>'
    "</div>"
    '<div class="bpl-panels">'
    '<figure><canvas class="bpl-boundary" width="360" height="360"></canvas>'
    '<figcaption class="bpl-boundary-caption"></figcaption></figure>'
    '<figure><svg class="bpl-curves" width="440" height="260" viewBox="0 0 440 260"></svg>'
    "<figcaption>loss (left axis, solid) and accuracy (right axis, dashed) per epoch; the "
    "grey line is the epoch shown</figcaption></figure>"
    '<figure><svg class="bpl-weights" width="250" height="260" viewBox="0 0 250 260"></svg>'
    '<figcaption class="bpl-weights-caption"></figcaption></figure>'
    "</div>"
)
