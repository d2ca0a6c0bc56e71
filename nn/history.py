"""`History`: what happened in a run of `nn.fit`, epoch by epoch.

Its own module so that `nn.train` (which fills one) and `nn.callbacks` (whose callbacks
read it) both import it, neither importing the other; `History.explore` hands the
recorded snapshots to `nn.explorer`, which imports nothing of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nn.explorer import Snapshots, TrainingPage, training_page
from nn.module import Module

__all__ = ["History"]


@dataclass(repr=False)
class History:
    """What happened, epoch by epoch: ``history.loss[k]`` is epoch k's training loss.

    Lists, one entry per finished epoch: ``loss`` (the mean of the batch losses, each
    taken before its update), ``val_loss`` (after the epoch, when there is validation
    data), ``lr`` (the learning rate the epoch used), ``max_error`` (regression: the
    largest |target - output| seen during the epoch), and one list per metric in
    ``metrics`` (``accuracy``, ``val_accuracy``). ``stop_reason`` says why the run
    ended: "epochs", "stop_when", "early_stopping", "interrupted", or the reason a
    callback gave ``run.stop(reason)`` (`nn.callbacks`). ``snapshots``
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
