"""Callbacks: code that `nn.fit` runs at fixed points of a run, and the way to add yours.

A callback is an object of a subclass of `Callback` overriding any of its hooks; each
hook gets the `Run` in progress (the model, the optimizer, the `History` so far, the
epoch)::

    on_train_begin(run)          before the first epoch
    on_epoch_end(run)            after each epoch, its numbers in run.history
                                 (loss, val_loss, metrics, lr); run.stop(reason) ends
                                 the run after this epoch
    on_train_end(run)            when the run ends: after its epochs, a stop or Ctrl-C
    on_exception(run, error)     instead of on_train_end, when an error ends the run

``fit(..., callbacks=[...])`` runs yours after its own, each hook in list order. The
extras of `fit` are callbacks of this kind: the progress bar (`ProgressBar`), the
parameter snapshots of ``record=k`` (`RecordSnapshots`), ``early_stopping``
(`EarlyStopping`) and ``stop_when`` (`StopWhen`). Keras's ``keras.callbacks.Callback``
and Lightning's ``Callback`` have the same shape (Keras's ``model.stop_training`` and
Lightning's ``trainer.should_stop`` are ``run.stop()`` here).

An example, stopping once the training loss is under 0.01::

    class StopBelow(nn.Callback):
        def on_epoch_end(self, run):
            if run.history.loss[-1] < 0.01:
                run.stop("loss below 0.01")
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nn import _checks as checks
from nn.explorer import Snapshots
from nn.history import History
from nn.module import Module
from nn.optim import Optimizer

__all__ = [
    "Callback",
    "EarlyStopping",
    "MaxErrorBelow",
    "ProgressBar",
    "RecordSnapshots",
    "Run",
    "StopWhen",
    "early_stopping",
    "max_error_below",
]

StopRule = Callable[[History], bool]


@dataclass
class Run:
    """What a callback sees of the run in progress.

    ``model``, ``optimizer`` and ``history`` are fit's own (``history`` holds every
    finished epoch); ``epochs`` is how many epochs the run may take, ``epoch`` the one
    that just finished, counting from 0 (-1 before the first), ``validation`` whether
    the run has validation data (``history.val_loss`` filled every epoch).
    """

    model: Module
    optimizer: Optimizer
    history: History
    epochs: int
    validation: bool = False
    epoch: int = -1
    stop_reason: str | None = None

    def stop(self, reason: str = "callback") -> None:
        """Ask `fit` to end the run after this epoch; ``history.stop_reason`` becomes
        ``reason``. When several callbacks ask in one epoch, the first reason stays."""
        if not isinstance(reason, str) or not reason:
            checks.fail("Run.stop", "reason", reason, "a non-empty str", error=TypeError)
        if self.stop_reason is None:
            self.stop_reason = reason


class Callback:
    """The base of every callback: each hook does nothing until overridden (see the
    module's docstring for when `fit` calls each)."""

    def on_train_begin(self, run: Run) -> None:
        """Before the first epoch."""

    def on_epoch_end(self, run: Run) -> None:
        """After each epoch; ``run.stop(reason)`` ends the run here."""

    def on_train_end(self, run: Run) -> None:
        """When the run ends, by its epochs, a stop or Ctrl-C."""

    def on_exception(self, run: Run, error: BaseException) -> None:
        """When an error ends the run (it propagates after every callback saw it)."""


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
class EarlyStopping(Callback):
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience``
    epochs; with ``restore_best_weights`` the model gets back its best epoch's weights.

    A callback (``fit(..., early_stopping=...)`` or in ``callbacks=``; it needs
    validation data): `reset` when a run starts, `update` after every epoch and
    `restore` when the run ends; between runs ``best_epoch`` and ``best_loss`` describe
    the last one.
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

    def on_train_begin(self, run: Run) -> None:
        self.reset()

    def on_epoch_end(self, run: Run) -> None:
        stop = self.update(run.history.val_loss[-1], run.model)
        run.history.best_epoch = self.best_epoch
        if stop:
            run.stop("early_stopping")

    def on_train_end(self, run: Run) -> None:
        self.restore(run.model)


def early_stopping(
    patience: int = 5, min_delta: float = 0.0, restore_best_weights: bool = True
) -> EarlyStopping:
    """``fit(..., early_stopping=early_stopping(patience=10))``: see `EarlyStopping`."""
    return EarlyStopping(patience, min_delta, restore_best_weights)


@dataclass
class StopWhen(Callback):
    """``fit(..., stop_when=rule)``: stop once ``rule(history)`` is true after an epoch
    (unless an earlier callback already stopped the run, e.g. early stopping)."""

    rule: StopRule

    def on_epoch_end(self, run: Run) -> None:
        if run.stop_reason is None and self.rule(run.history):
            run.stop("stop_when")


class RecordSnapshots(Callback):
    """``fit(..., record=every)``: the parameters before training, every ``every``
    epochs and at the end in ``history.snapshots`` (a `nn.explorer.Snapshots`), before
    any best weights are restored."""

    def __init__(self, every: int, threshold: float) -> None:
        self.every = checks.positive_int("fit", "record", every)
        self.threshold = threshold

    def on_train_begin(self, run: Run) -> None:
        run.history.snapshots = Snapshots.start(self.every, run.model, self.threshold)

    def on_epoch_end(self, run: Run) -> None:
        if run.history.snapshots is not None:
            run.history.snapshots.after_epoch(run.history.epochs, run.model)

    def on_train_end(self, run: Run) -> None:
        if run.history.snapshots is not None:
            run.history.snapshots.finish(run.history.epochs, run.model)


class ProgressBar(Callback):
    """A tqdm bar over the epochs showing loss and metrics, when standard error is a
    terminal (nothing otherwise); tqdm is imported only then."""

    def __init__(self) -> None:
        self.bar: Any = None

    def on_train_begin(self, run: Run) -> None:
        if sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=run.epochs, unit="epoch", dynamic_ncols=True)

    def on_epoch_end(self, run: Run) -> None:
        if self.bar is None:
            return
        history = run.history
        shown = {"loss": f"{history.loss[-1]:.4g}"}
        if history.val_loss:
            shown["val_loss"] = f"{history.val_loss[-1]:.4g}"
        for name, values in history.metrics.items():
            if values:
                shown[name] = f"{values[-1]:.3f}"
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, run: Run) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_exception(self, run: Run, error: BaseException) -> None:
        self.on_train_end(run)
