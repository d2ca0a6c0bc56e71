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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from autograd._page import Page
from nn import _checks
from nn.module import Module

if TYPE_CHECKING:
    from nn.history import History

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


class TrainingPage(Page):
    """The page `History.explore` returns: ``.html``, ``.save(path)``, inline in a notebook."""


def training_page(
    history: History,
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
    from nn._compiled import BatchOutputs
    from nn.module import _predicted_classes
    from nn.train import _check_data

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
    X, y = _check_data(X, y, "explore")
    sets = {"train": (X, _labels(y, "y"))}
    if (X_test is None) != (y_test is None):
        raise ValueError("explore: pass both X_test and y_test, or neither")
    if X_test is not None:
        Xt, yt = _check_data(X_test, y_test, "explore test data")
        sets["test"] = (Xt, _labels(yt, "y_test"))
    for name, (features, _) in sets.items():
        if features.shape[1] != 2:
            raise ValueError(
                f"explore: the {name} inputs have {features.shape[1]} features; the page "
                f"draws a decision boundary over two (a 2-D dataset such as nn.data.make_moons)"
            )
    grid, box = _lattice(np.vstack([features for features, _ in sets.values()]))

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
    data = {
        "box": box,
        "grid_size": GRID,
        "points": {
            name: {"x": features.tolist(), "y": labels.tolist()}
            for name, (features, labels) in sets.items()
        },
        "classes": int(max(max(labels) for _, labels in sets.values())) + 1,
        "curves": {name: list(values) for name, values in _curves(history).items()},
        "frames": frames,
    }
    return TrainingPage(title, _STYLE, _BODY, _SCRIPT, data)


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


def _curves(history: History) -> dict[str, list[float]]:
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

_STYLE = """
.bpl-page{font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222;outline:none}
.bpl-title{font-weight:bold;font-size:16px;margin:4px 0}
.bpl-controls{display:flex;gap:8px;align-items:center;margin:4px 0}
.bpl-controls button{padding:3px 10px;font-size:14px;cursor:pointer}
.bpl-slider{width:360px}
.bpl-epoch{font-variant-numeric:tabular-nums}
.bpl-panels{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.bpl-panels figure{margin:0}
.bpl-panels figcaption{font-size:12px;color:#555;max-width:360px;white-space:pre-wrap}
.bpl-panels canvas,.bpl-panels svg{border:1px solid #ddd;background:#fff}
.bpl-panels svg text{font-size:11px;font-family:Helvetica,Arial,sans-serif}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var page = document.getElementById(CONTAINER_ID);
  var data = JSON.parse(page.querySelector("script.bpl-data").textContent);
  var frames = data.frames, index = 0, timer = null;
  var SVGNS = "http://www.w3.org/2000/svg";
  var POINT = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  var TINT = ["#d6e6f4", "#f6d4d4", "#d5efd5", "#e6dcf0", "#fde3c8",
              "#e6d8d3", "#f8dcee", "#d0f0f4", "#efefcc", "#e5e5e5"];
  var slider = page.querySelector(".bpl-slider");
  slider.max = String(frames.length - 1);

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, content, anchor) {
    var t = el("text", { x: x, y: y, "text-anchor": anchor || "start" }, parent);
    t.textContent = content;
    return t;
  }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  function drawBoundary(frame) {
    var canvas = page.querySelector(".bpl-boundary"), ctx = canvas.getContext("2d");
    var n = data.grid_size, w = canvas.width, h = canvas.height, box = data.box;
    // One pixel per lattice point, scaled up smoothly: the boundary shows as a soft edge.
    var small = document.createElement("canvas");
    small.width = n;
    small.height = n;
    var sctx = small.getContext("2d"), pixels = sctx.createImageData(n, n);
    frame.grid.forEach(function (k, i) {
      var hex = TINT[k % TINT.length];
      for (var j = 0; j < 3; j++) {
        pixels.data[4 * i + j] = parseInt(hex.substr(1 + 2 * j, 2), 16);
      }
      pixels.data[4 * i + 3] = 255;
    });
    sctx.putImageData(pixels, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, w, h);
    function px(p) {
      return [(p[0] - box[0]) / (box[1] - box[0]) * w, (box[3] - p[1]) / (box[3] - box[2]) * h];
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#111";
    (data.points.train ? data.points.train.x : []).forEach(function (p, i) {
      var q = px(p);
      ctx.fillStyle = POINT[data.points.train.y[i] % POINT.length];
      ctx.beginPath();
      ctx.arc(q[0], q[1], 3.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    });
    (data.points.test ? data.points.test.x : []).forEach(function (p, i) {
      var q = px(p);
      ctx.fillStyle = POINT[data.points.test.y[i] % POINT.length];
      ctx.beginPath();
      ctx.moveTo(q[0], q[1] - 5.5);
      ctx.lineTo(q[0] + 5, q[1] + 3.5);
      ctx.lineTo(q[0] - 5, q[1] + 3.5);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
    });
    var words = "epoch " + frame.epoch + ": dots are training points (accuracy " +
      pct(frame.train_accuracy) + ")";
    if (data.points.test) {
      words += ", triangles test points (accuracy " + pct(frame.test_accuracy) + ")";
    }
    page.querySelector(".bpl-boundary-caption").textContent = words +
      "; the background is the class the model predicts there.";
  }

  function drawCurves(frame) {
    var svg = page.querySelector(".bpl-curves");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var left = 48, right = 392, top = 14, bottom = 226;
    var loss = data.curves.loss || [], epochs = Math.max(loss.length, 1);
    var losses = loss.concat(data.curves.val_loss || []);
    var high = Math.max.apply(null, losses.concat([1e-12])), low = 0;
    function x(e) { return left + (right - left) * e / epochs; }
    function yLoss(v) { return bottom - (bottom - top) * (v - low) / (high - low); }
    function yAcc(v) { return bottom - (bottom - top) * v; }
    el("rect", { x: left, y: top, width: right - left, height: bottom - top,
                 fill: "none", stroke: "#bbb" }, svg);
    [0, 0.5, 1].forEach(function (f) {
      var v = low + f * (high - low);
      text(svg, left - 4, yLoss(v) + 4, v.toPrecision(3), "end");
      text(svg, right + 4, yAcc(f) + 4, pct(f), "start");
    });
    text(svg, left, bottom + 16, "0", "middle");
    text(svg, right, bottom + 16, String(epochs), "middle");
    text(svg, (left + right) / 2, bottom + 30, "epoch", "middle");
    function line(series, scale, color, dash, name) {
      if (!series || !series.length) { return; }
      var pts = series.map(function (v, i) { return x(i + 1) + "," + scale(v); }).join(" ");
      var attrs = { points: pts, fill: "none", stroke: color, "stroke-width": 1.8 };
      if (dash) { attrs["stroke-dasharray"] = "5,3"; }
      el("polyline", attrs, svg).setAttribute("class", "bpl-series-" + name);
    }
    line(data.curves.loss, yLoss, "#1f77b4", false, "loss");
    line(data.curves.val_loss, yLoss, "#ff7f0e", false, "val_loss");
    line(data.curves.accuracy, yAcc, "#1f77b4", true, "accuracy");
    line(data.curves.val_accuracy, yAcc, "#ff7f0e", true, "val_accuracy");
    var legend = [["train loss", "#1f77b4", false], ["train accuracy", "#1f77b4", true]];
    if (data.curves.val_loss) {
      legend.push(["validation loss", "#ff7f0e", false], ["validation accuracy", "#ff7f0e", true]);
    }
    legend.forEach(function (item, i) {
      var y = top + 40 + 14 * i, attrs = { x1: right - 150, x2: right - 130, y1: y, y2: y,
                                            stroke: item[1], "stroke-width": 2 };
      if (item[2]) { attrs["stroke-dasharray"] = "5,3"; }
      el("line", attrs, svg);
      text(svg, right - 126, y + 4, item[0]);
    });
    el("line", { x1: x(frame.epoch), x2: x(frame.epoch), y1: top, y2: bottom,
                 stroke: "#666", "stroke-width": 1.5, "class": "bpl-marker" }, svg);
  }

  function drawWeights(frame) {
    var svg = page.querySelector(".bpl-weights");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var rows = frame.weights, caption = page.querySelector(".bpl-weights-caption");
    if (!rows.length) {
      caption.textContent = "(this model has no first layer of neurons to show)";
      return;
    }
    var all = [];
    frames.forEach(function (f) {
      f.weights.forEach(function (row) { all = all.concat(row); });
    });
    var big = Math.max.apply(null, all.map(Math.abs).concat([1e-12]));
    var nr = rows.length, nc = rows[0].length;
    var size = Math.min(200 / nc, 220 / nr), x0 = 40, y0 = 20;
    rows.forEach(function (row, r) {
      row.forEach(function (w, c) {
        var t = Math.min(1, Math.abs(w) / big), base = w >= 0 ? [214, 39, 40] : [31, 119, 180];
        var rgb = base.map(function (b) { return Math.round(255 + (b - 255) * t); });
        var cell = el("rect", { x: x0 + c * size, y: y0 + r * size, width: size, height: size,
                                fill: "rgb(" + rgb.join(",") + ")", stroke: "#fff" }, svg);
        var tip = el("title", {}, cell);
        tip.textContent = "neuron " + r + ", input " + c + ": w = " + w;
      });
      text(svg, x0 - 4, y0 + (r + 0.5) * size + 4, "n" + r, "end");
    });
    for (var c = 0; c < nc; c++) {
      text(svg, x0 + (c + 0.5) * size, y0 - 6, "x" + (c + 1), "middle");
    }
    caption.textContent = "first layer's weights, one row per neuron (red > 0, blue < 0, " +
      "|w| up to " + big.toPrecision(3) + ")";
  }

  function show(i) {
    index = Math.max(0, Math.min(frames.length - 1, Math.floor(i)));
    var frame = frames[index];
    slider.value = String(index);
    var words = "epoch " + frame.epoch;
    if (frame.epoch > 0 && data.curves.loss) {
      words += ": loss " + data.curves.loss[frame.epoch - 1].toPrecision(4);
    }
    page.querySelector(".bpl-epoch").textContent = words;
    drawBoundary(frame);
    drawCurves(frame);
    drawWeights(frame);
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    page.querySelector(".bpl-play").textContent = "play";
  }
  page.querySelector(".bpl-play").addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (index === frames.length - 1) { show(0); }
    page.querySelector(".bpl-play").textContent = "pause";
    timer = setInterval(function () {
      if (index >= frames.length - 1) { stop(); return; }
      show(index + 1);
    }, 400);
  });
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  window.backproplabTraining = {
    frames: frames.length,
    epochs: frames.map(function (f) { return f.epoch; }),
    show: function (i) {
      if (typeof i !== "number" || i % 1 !== 0 || i < 0 || i >= frames.length) {
        throw new RangeError("show(i) needs an integer i from 0 to " + (frames.length - 1));
      }
      stop();
      show(i);
      return index;
    },
    state: function () {
      var frame = frames[index];
      return { index: index, epoch: frame.epoch, grid: frame.grid, weights: frame.weights,
               train_accuracy: frame.train_accuracy, test_accuracy: frame.test_accuracy,
               marker: Number(page.querySelector(".bpl-marker").getAttribute("x1")) };
    }
  };
  show(0);
})();
"""
