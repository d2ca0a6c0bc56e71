"""Training loops: `fit` a model to data, `evaluate` it, and the `History` of a run.

One epoch passes every training sample through the model once, in batches from
`nn.data.batches`: ``batch_size=None`` is one full batch (batch gradient descent),
``1`` is stochastic gradient descent, ``k`` is mini-batch gradient descent. Each
batch: forward every sample, one loss Value, ``zero_grad``, ``backward``, ``step``.
`Neuron`, `Layer` and `MLP` get the whole batch in one call (the same graph, built
faster); a custom Module's ``forward`` is called once per sample.

Stopping: after ``epochs``; or when ``stop_when(history)`` says so (`max_error_below`
is the classic rule: every sample's error under a tolerance); or when
`early_stopping` sees the validation loss stop improving, which restores the best
weights; or on Ctrl-C, which ends the run after the current step and returns the
history so far, the model whole.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

import autograd
from autograd import Value
from nn import losses as _losses
from nn.data import batches
from nn.layers import MLP, Layer, Neuron
from nn.module import Module

__all__ = [
    "EarlyStopping",
    "History",
    "MaxErrorBelow",
    "early_stopping",
    "evaluate",
    "fit",
    "max_error_below",
]

LossFn = Callable[..., Value]
StopRule = Callable[["History"], bool]

METRICS = ("accuracy",)


@dataclass
class History:
    """What happened, epoch by epoch: ``history.loss[k]`` is epoch k's training loss.

    Lists, one entry per finished epoch: ``loss`` (the mean of the batch losses, each
    taken before its update), ``val_loss`` (after the epoch, when there is validation
    data), ``lr`` (the learning rate the epoch used), ``max_error`` (regression: the
    largest |target - output| seen during the epoch), and one list per metric in
    ``metrics`` (``accuracy``, ``val_accuracy``). ``stop_reason`` says why the run
    ended: "epochs", "stop_when", "early_stopping" or "interrupted".
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    max_error: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    stop_reason: str = ""
    best_epoch: int | None = None
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """How many epochs finished."""
        return len(self.loss)

    def __getitem__(self, name: str) -> list[float]:
        """``history["val_accuracy"]``: any recorded series by name."""
        series = self.to_dict()
        if name not in series:
            raise KeyError(f"no series {name!r} in this history; it has {sorted(series)}")
        values: list[float] = series[name]
        return values

    def to_dict(self) -> dict[str, Any]:
        """Every series and the run's outcome, as plain lists and numbers (JSON-ready)."""
        out: dict[str, Any] = {"loss": list(self.loss), "lr": list(self.lr)}
        if self.val_loss:
            out["val_loss"] = list(self.val_loss)
        if self.max_error:
            out["max_error"] = list(self.max_error)
        out.update({name: list(values) for name, values in self.metrics.items()})
        out.update(stop_reason=self.stop_reason, best_epoch=self.best_epoch, seconds=self.seconds)
        return out

    def plot(self, ax: Any = None) -> Any:
        """Loss curves (and accuracy, on a second axis) with matplotlib; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        epochs = range(1, self.epochs + 1)
        ax.plot(epochs, self.loss, label="train loss")
        if self.val_loss:
            ax.plot(epochs, self.val_loss, label="validation loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if self.best_epoch is not None:
            ax.axvline(self.best_epoch + 1, color="grey", linestyle=":", label="best epoch")
        handles, labels = ax.get_legend_handles_labels()
        accuracy = {k: v for k, v in self.metrics.items() if "accuracy" in k and v}
        if accuracy:
            ax2 = ax.twinx()
            for name, values in accuracy.items():
                ax2.plot(epochs, values, linestyle="--", label=name.replace("_", " "))
            ax2.set_ylabel("accuracy")
            ax2.set_ylim(0.0, 1.02)
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.legend(handles, labels, loc="center right")
        return ax


# ----------------------------------------------------------------- stopping rules


@dataclass(frozen=True)
class MaxErrorBelow:
    """Stop once every sample's error is below ``tolerance``: the classic rule.

    The error of a sample is |target - output| (the largest over its outputs); the
    rule looks at the largest over the epoch's samples, ``history.max_error``. For
    regression targets (floats).
    """

    tolerance: float

    def __post_init__(self) -> None:
        if not (isinstance(self.tolerance, (int, float)) and self.tolerance > 0):
            raise ValueError(f"max_error_below: tolerance must be > 0, got {self.tolerance!r}")

    def __call__(self, history: History) -> bool:
        if not history.max_error:
            raise ValueError(
                "max_error_below needs regression targets (floats): this run records no "
                "per-sample error. For classification stop on a metric instead, e.g. "
                "stop_when=lambda h: h['accuracy'][-1] == 1.0"
            )
        return history.max_error[-1] < self.tolerance


def max_error_below(tolerance: float) -> MaxErrorBelow:
    """``fit(..., stop_when=max_error_below(0.05))``: see `MaxErrorBelow`."""
    return MaxErrorBelow(tolerance)


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience``
    epochs; with ``restore_best_weights`` the model gets back its best epoch's weights."""

    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.patience, int) or self.patience < 1:
            raise ValueError(f"early_stopping: patience must be an int >= 1, got {self.patience!r}")
        if not self.min_delta >= 0:
            raise ValueError(f"early_stopping: min_delta must be >= 0, got {self.min_delta!r}")


def early_stopping(
    patience: int = 5, min_delta: float = 0.0, restore_best_weights: bool = True
) -> EarlyStopping:
    """``fit(..., early_stopping=early_stopping(patience=10))``: see `EarlyStopping`."""
    return EarlyStopping(patience, min_delta, restore_best_weights)


# ----------------------------------------------------------------- predictions


# The built-in models take a whole batch in one call (same nodes, weights read once);
# any other Module is called once per sample.
_TAKES_BATCHES = (Neuron.forward, Layer.forward, MLP.forward)


def _forward(model: Module, rows: list[list[float]]) -> list[Any]:
    if type(model).forward in _TAKES_BATCHES:
        return model(rows)  # type: ignore[no-any-return]
    return [model(row) for row in rows]


def _data(output: Any) -> float | list[float]:
    if isinstance(output, Value):
        return output.data
    return [v.data for v in output]


def _predicted_classes(outputs: list[Any], loss: LossFn) -> NDArray[np.int64]:
    """Class per sample: argmax of several outputs; for one output, which side of the
    decision threshold it is on (0.5 for probabilities, 0 for scores and logits)."""
    if outputs and not isinstance(outputs[0], Value):
        return np.array([int(np.argmax(_data(o))) for o in outputs], dtype=np.int64)
    threshold = 0.5 if loss is _losses.binary_cross_entropy else 0.0
    return np.array([int(o.data > threshold) for o in outputs], dtype=np.int64)


def _accuracy(outputs: list[Any], targets: NDArray[Any], loss: LossFn) -> float:
    predicted = _predicted_classes(outputs, loss)
    truth = (targets > 0).astype(np.int64) if loss is _losses.hinge else targets
    return float(np.mean(predicted == truth))


def _max_error(outputs: list[Any], targets: NDArray[Any]) -> float:
    predicted = np.array([_data(o) for o in outputs], dtype=float)
    return float(np.max(np.abs(predicted.reshape(targets.shape) - targets)))


def _check_data(X: Any, y: Any, who: str) -> tuple[NDArray[np.float64], NDArray[Any]]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{who}: X must be 2-D (samples, features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"{who}: X has {len(X)} samples but y has {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{who}: no samples")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{who}: X contains NaN or inf")
    return X, y


def _is_classification(y: NDArray[Any]) -> bool:
    return bool(np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_))


def _targets(y: NDArray[Any]) -> list[Any]:
    return y.tolist()  # type: ignore[no-any-return]


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    loss: LossFn,
    metrics: Sequence[str] | None = None,
) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` of ``model`` on (X, y), without recording a graph.

    ``metrics`` defaults to ("accuracy",) for integer class labels and () otherwise.
    Regression results also carry ``max_error``, the largest |target - output|.
    """
    X, y = _check_data(X, y, "evaluate")
    chosen = _metrics(metrics, y)
    with autograd.no_grad():
        outputs = _forward(model, X.tolist())
        result = {"loss": loss(outputs, _targets(y)).data}
    if "accuracy" in chosen:
        result["accuracy"] = _accuracy(outputs, y, loss)
    if not _is_classification(y):
        result["max_error"] = _max_error(outputs, y.astype(float))
    return result


def _metrics(metrics: Sequence[str] | None, y: NDArray[Any]) -> tuple[str, ...]:
    if metrics is None:
        return METRICS if _is_classification(y) else ()
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {list(METRICS)}")
    return tuple(metrics)


# ----------------------------------------------------------------- fit


def fit(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: LossFn,
    optimizer: Any,
    epochs: int,
    batch_size: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float | None = None,
    scheduler: Any = None,
    metrics: Sequence[str] | None = None,
    stop_when: StopRule | None = None,
    early_stopping: EarlyStopping | None = None,
    progress: bool = True,
    seed: int | np.random.Generator | None = None,
) -> History:
    """Train ``model`` on (X, y) and return the `History` of the run.

    ``loss(outputs, targets)`` is one of `nn.losses` (or anything with that shape):
    ``outputs`` is the list of the model's outputs for a batch, ``targets`` the
    batch's rows of ``y`` as lists. ``optimizer`` updates ``model``'s parameters
    (`nn.optim`); ``scheduler``, if given, steps once per epoch. ``batch_size``: None
    for the full batch, 1 for stochastic, k for mini-batches; the order is reshuffled
    every epoch from ``seed``. ``validation_split`` keeps the last fraction of (X, y)
    out of training, as Keras does; ``validation_data`` gives it explicitly.
    ``metrics`` defaults to ("accuracy",) for integer class labels.

    A progress bar (tqdm) shows loss and metrics when ``progress`` is true and the
    output is a terminal. Ctrl-C ends the run after the current step: the history so
    far is returned (``stop_reason == "interrupted"``) and the model is whole.
    Errors (a non-finite gradient, a bad batch) propagate with the epoch and batch
    named, after the optimizer has refused to change anything.
    """
    X, y = _check_data(X, y, "fit")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if validation_data is not None and validation_split is not None:
        raise ValueError("fit: give validation_data or validation_split, not both")
    if validation_split is not None:
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split!r}")
        n_val = max(1, round(len(X) * validation_split))
        if n_val >= len(X):
            raise ValueError("fit: validation_split leaves no training samples")
        validation_data = (X[-n_val:], y[-n_val:])
        X, y = X[:-n_val], y[:-n_val]
    X_val, y_val = (None, None)
    if validation_data is not None:
        X_val, y_val = _check_data(*validation_data, "fit validation_data")
    if early_stopping is not None and X_val is None:
        raise ValueError(
            "fit: early_stopping watches the validation loss; pass validation_data or "
            "validation_split"
        )
    chosen = _metrics(metrics, y)
    regression = not _is_classification(y)
    rng = np.random.default_rng(seed)
    history = History(metrics={name: [] for name in chosen})
    if X_val is not None:
        history.metrics.update({f"val_{name}": [] for name in chosen})
    best_loss, best_state, waited = math.inf, None, 0
    start = time.perf_counter()

    with _deferred_interrupt() as interrupted, _progress(epochs, progress) as bar:
        try:
            for epoch in range(epochs):
                lr = float(optimizer.param_groups[0]["lr"])
                batch_losses: list[tuple[float, int]] = []
                outputs_seen: list[Any] = []
                targets_seen: list[NDArray[Any]] = []
                for b, (xb, yb) in enumerate(batches(X, y, batch_size, shuffle=True, rng=rng)):
                    outputs = _forward(model, xb.tolist())
                    value = loss(outputs, _targets(yb))
                    optimizer.zero_grad()
                    try:
                        value.backward()
                        optimizer.step()  # checks every gradient before it changes anything
                    except (ValueError, ArithmeticError) as err:
                        raise type(err)(f"fit: epoch {epoch}, batch {b}: {err}") from err
                    batch_losses.append((value.data, len(xb)))
                    outputs_seen.extend(outputs)
                    targets_seen.append(yb)
                    if interrupted():
                        raise KeyboardInterrupt
                targets = np.concatenate(targets_seen)
                total = sum(n for _, n in batch_losses)
                history.loss.append(sum(v * n for v, n in batch_losses) / total)
                history.lr.append(lr)
                if regression:
                    history.max_error.append(_max_error(outputs_seen, targets.astype(float)))
                if "accuracy" in chosen:
                    history.metrics["accuracy"].append(_accuracy(outputs_seen, targets, loss))
                if X_val is not None:
                    assert y_val is not None
                    val = evaluate(model, X_val, y_val, loss, chosen)
                    history.val_loss.append(val["loss"])
                    for name in chosen:
                        history.metrics[f"val_{name}"].append(val[name])
                if scheduler is not None:
                    scheduler.step()
                bar(history)
                if early_stopping is not None:
                    if history.val_loss[-1] < best_loss - early_stopping.min_delta:
                        best_loss, waited = history.val_loss[-1], 0
                        history.best_epoch = epoch
                        best_state = model.state_dict()
                    else:
                        waited += 1
                        if waited >= early_stopping.patience:
                            history.stop_reason = "early_stopping"
                            break
                if stop_when is not None and stop_when(history):
                    history.stop_reason = "stop_when"
                    break
            else:
                history.stop_reason = "epochs"
        except KeyboardInterrupt:
            history.stop_reason = "interrupted"
    if early_stopping is not None and early_stopping.restore_best_weights and best_state:
        model.load_state_dict(best_state)
    history.seconds = time.perf_counter() - start
    return history


@contextmanager
def _deferred_interrupt() -> Iterator[Callable[[], bool]]:
    """While training, Ctrl-C sets a flag that is read after each step, so a step (and
    the optimizer's update in it) is never cut in half. Outside the main thread, where
    signal handlers cannot be set, Ctrl-C keeps its usual behaviour."""
    pressed = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal pressed
        if pressed:  # a second Ctrl-C: the user means it
            raise KeyboardInterrupt
        pressed = True

    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: pressed
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress(epochs: int, enabled: bool) -> Iterator[Callable[[History], None]]:
    """A tqdm bar over epochs showing loss and metrics; nothing when off or not a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda history: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=epochs, unit="epoch", dynamic_ncols=True) as bar:

        def update(history: History) -> None:
            shown = {"loss": f"{history.loss[-1]:.4g}"}
            if history.val_loss:
                shown["val_loss"] = f"{history.val_loss[-1]:.4g}"
            for name, values in history.metrics.items():
                if values:
                    shown[name] = f"{values[-1]:.3f}"
            bar.set_postfix(shown, refresh=False)
            bar.update(1)

        yield update
