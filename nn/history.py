"""`History`, what `nn.fit` records of a run epoch by epoch, and the stopping rules that
read it: `max_error_below` (the classic rule: every sample's error under a tolerance)
and `early_stopping` (the validation loss stops improving; the best weights come back).

`fit` builds the History and consults the rules after every epoch; both live here so
that `nn.train` holds the training loop and its checks alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nn import _checks as checks
from nn.explorer import Snapshots, TrainingPage, training_page
from nn.module import Module

__all__ = [
    "EarlyStopping",
    "History",
    "MaxErrorBelow",
    "StopRule",
    "early_stopping",
    "max_error_below",
]

StopRule = Callable[["History"], bool]


@dataclass(repr=False)
class History:
    """What happened, epoch by epoch: ``history.loss[k]`` is epoch k's training loss.

    Lists, one entry per finished epoch: ``loss`` (the mean of the batch losses, each
    taken before its update), ``val_loss`` (after the epoch, when there is validation
    data), ``lr`` (the learning rate the epoch used), ``max_error`` (regression: the
    largest |target - output| seen during the epoch), and one list per metric in
    ``metrics`` (``accuracy``, ``val_accuracy``). ``stop_reason`` says why the run
    ended: "epochs", "stop_when", "early_stopping" or "interrupted". ``snapshots``
    holds the parameters every k epochs when the run was ``fit(..., record=k)``.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    max_error: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    stop_reason: str = ""
    best_epoch: int | None = None
    seconds: float = 0.0
    snapshots: Snapshots | None = None

    @property
    def epochs(self) -> int:
        """How many epochs finished."""
        return len(self.loss)

    def __repr__(self) -> str:
        """A one-line summary whatever the run's length: the first and last training
        loss, the last value of every other series, why the run ended (the series
        themselves are ``history.to_dict()``)."""
        parts = [f"epochs={self.epochs}"]
        if self.loss:
            parts.append(f"loss={self.loss[0]:.4g} -> {self.loss[-1]:.4g}")
        lasts = {"val_loss": self.val_loss, "max_error": self.max_error, **self.metrics}
        parts += [f"{name}={values[-1]:.4g}" for name, values in lasts.items() if values]
        parts.append(f"stop_reason={self.stop_reason!r}")
        if self.best_epoch is not None:
            parts.append(f"best_epoch={self.best_epoch}")
        parts.append(f"seconds={self.seconds:.3g}")
        return f"History({', '.join(parts)})"

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

    def explore(
        self,
        model: Module,
        X: Any,
        y: Any,
        X_test: Any = None,
        y_test: Any = None,
        *,
        title: str = "training",
    ) -> TrainingPage:
        """The training explorer of a 2-D classification run recorded with
        ``fit(..., record=k)``: a page with a slider over the recorded epochs (see
        `nn.explorer`). `model` is the model that was trained, ``(X, y)`` its training
        data, ``(X_test, y_test)`` optional test data."""
        return training_page(self, model, X, y, X_test, y_test, title=title)

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
        tolerance = checks.positive("max_error_below", "tolerance", self.tolerance)
        object.__setattr__(self, "tolerance", tolerance)  # frozen: set once, checked

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
    epochs; with ``restore_best_weights`` the model gets back its best epoch's weights.

    `fit` calls `reset` when a run starts, `update` after every epoch and `restore` when
    the run ends; between runs ``best_epoch`` and ``best_loss`` describe the last one.
    """

    patience: int = 5
    min_delta: float = 0.0
    restore_best_weights: bool = True
    best_loss: float = field(default=math.inf, init=False)
    best_epoch: int | None = field(default=None, init=False)
    _best_state: dict[str, float] | None = field(default=None, init=False, repr=False)
    _epochs_seen: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.patience = checks.positive_int("early_stopping", "patience", self.patience)
        self.min_delta = checks.nonnegative("early_stopping", "min_delta", self.min_delta)
        self.restore_best_weights = checks.flag(
            "early_stopping", "restore_best_weights", self.restore_best_weights
        )

    def reset(self) -> None:
        """Forget the previous run: no best loss yet."""
        self.best_loss, self.best_epoch = math.inf, None
        self._best_state, self._epochs_seen = None, 0

    def update(self, val_loss: float, model: Module) -> bool:
        """Record one epoch's validation loss (keeping ``model``'s weights when it is the
        best so far); True when the run should stop."""
        epoch = self._epochs_seen
        self._epochs_seen += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = val_loss, epoch
            if self.restore_best_weights:
                self._best_state = dict(model.state_dict())
            return False
        waited = epoch - (-1 if self.best_epoch is None else self.best_epoch)
        return waited >= self.patience

    def restore(self, model: Module) -> None:
        """Give ``model`` back the weights of the best epoch (with ``restore_best_weights``)."""
        if self._best_state is not None:
            model.load_state_dict(self._best_state)


def early_stopping(
    patience: int = 5, min_delta: float = 0.0, restore_best_weights: bool = True
) -> EarlyStopping:
    """``fit(..., early_stopping=early_stopping(patience=10))``: see `EarlyStopping`."""
    return EarlyStopping(patience, min_delta, restore_best_weights)
