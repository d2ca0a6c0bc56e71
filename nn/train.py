"""Training loops: `fit` a model to data, `evaluate` it, and the `History` of a run.

One epoch passes every training sample through the model once, in batches from
`nn.data.batches`: ``batch_size=None`` is one full batch (batch gradient descent),
``1`` is stochastic gradient descent, ``k`` is mini-batch gradient descent. Each
batch: forward every sample, one loss Value, ``zero_grad``, ``backward``, ``step``.
A model whose class declares `Module.takes_batches` (`Neuron`, `Layer`, `MLP` and
their subclasses) gets the whole batch in one call (the same graph, built faster);
any other Module's ``forward`` is called once per sample.

`fit` reads as its steps: check the data and every target (`_checked_targets`),
split off the validation data (`_split_validation`), then per epoch `_run_epoch`
(each batch's loss and gradients come from one `GradientFn`: `_eager_gradients`
through the engine, or with ``compile=True`` `nn._compiled.CompiledTraining`,
vectorised), `_record_epoch`, `_record_validation`, then the callbacks' hooks
(`nn.callbacks`: the progress bar, the snapshots, early stopping, the stop rule and
the user's own are all callbacks; `_train` calls them).

Stopping: after ``epochs``; or when ``stop_when(history)`` says so (`max_error_below`
is the classic rule: every sample's error under a tolerance); or when
`early_stopping` sees the validation loss stop improving, which restores the best
weights; or when a callback calls ``run.stop()``; or on Ctrl-C, which ends the run
after the current step and returns the history so far, the model whole.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

import autograd
from autograd import FlatParameters, Value
from nn import _checks as checks
from nn import losses as _losses
from nn._compiled import CompiledTraining, _batch_form
from nn.callbacks import (
    Callback,
    EarlyStopping,
    MaxErrorBelow,
    ProgressBar,
    RecordSnapshots,
    Run,
    StopRule,
    StopWhen,
    early_stopping,
    max_error_below,
)
from nn.data import batches
from nn.history import History
from nn.module import Module, _forward, _numbers, _predicted_classes
from nn.optim import LRScheduler, Optimizer, ReduceLROnPlateau

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "MaxErrorBelow",
    "Run",
    "early_stopping",
    "evaluate",
    "fit",
    "max_error_below",
]

LossFn = Callable[..., Value]

METRICS = ("accuracy",)


# ----------------------------------------------------------------- predictions


def _accuracy(outputs: NDArray[np.float64], targets: NDArray[Any], loss: LossFn) -> float:
    predicted = _predicted_classes(outputs, _losses.decision_threshold(loss))
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        truth = targets
    else:  # labels 0/1 (and hinge's -1/+1): class 1 is the positive label
        truth = (targets > 0).astype(np.int64)
    return float(np.mean(predicted == truth))


def _max_error(outputs: NDArray[np.float64], targets: NDArray[Any]) -> float:
    return float(np.max(np.abs(outputs.reshape(targets.shape) - targets.astype(float))))


def _one_output_targets(model: Module, X: NDArray[np.float64], y: NDArray[Any]) -> NDArray[Any]:
    """y of shape (n, 1) as (n,) when the model has one output (a Value per sample), as
    a PyTorch user passes regression targets; any other y as it is."""
    if y.ndim == 2 and y.shape[1] == 1:
        with autograd.no_grad():
            first = _forward(model, X[:1].tolist())[0]
        if isinstance(first, Value):
            return y.reshape(len(y))
    return y


def _checked_targets(
    model: Module, X: NDArray[np.float64], y: NDArray[Any], loss: LossFn, who: str
) -> NDArray[Any]:
    """Every row of y checked by ``loss`` against the model's output before anything is
    trained: a class out of range, a NaN or a bool is found before the first update,
    and named by its row of y.

    The check of a row is ``loss(output, [target])`` with the output of X's first row,
    so its verdict depends on the target alone. `_targets_pass` accepts every row at
    once where it can; otherwise (or when it finds a problem) each row is checked in
    turn, and the first bad one is named with the loss's own message."""
    y = _one_output_targets(model, X, y)
    with autograd.no_grad():
        output = _forward(model, X[:1].tolist())
        if _targets_pass(output, y, loss):
            return y
        for i, target in enumerate(y.tolist()):
            try:
                loss(output, [target])
            except (TypeError, ValueError) as err:
                raise type(err)(f"{who}: row {i} of y ({target!r}): {err}") from err
    return y


def _targets_pass(output: list[Any], y: NDArray[Any], loss: LossFn) -> bool:
    """Whether ``loss(output, [target])`` passes for every row of y, found without one
    evaluation per row; False where that is not sure (the rows are then checked one by
    one, which names the first bad one).

    A numeric array's rows differ only in their numbers (not in type or shape), so once
    its first row passes: a regression loss with a batch form (`mse`, `sse`: any finite
    target) passes every row where its batch form is finite on all of them; any other
    loss (a classifier's targets are classes, or a loss of your own) is evaluated once
    per distinct row. The batch form alone would not do for a classifier: it computes
    a finite loss for a hinge label 0 or a probability target of 2, which the loss
    refuses."""
    if y.dtype.kind not in "iuf" or len(y) == 0 or not np.isfinite(y).all():
        return False
    try:
        loss(output, [y[0].tolist()])
    except (TypeError, ValueError):
        return False
    batch_loss = _batch_form(loss)[0]
    if batch_loss is not None and not _losses.classifies(loss):
        outputs = np.repeat(_numbers(output), len(y), axis=0)
        with np.errstate(all="ignore"):  # what overflows goes to the row-by-row check
            form = batch_loss(outputs, y)
        return form is not None and bool(np.isfinite(form[0]).all() & np.isfinite(form[1]).all())
    first_rows = np.unique(y, axis=0, return_index=True)[1]
    for i in np.sort(first_rows).tolist():
        try:
            loss(output, [y[i].tolist()])
        except (TypeError, ValueError):
            return False
    return True


def _is_classification(y: NDArray[Any]) -> bool:
    return bool(np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_))


def evaluate(
    model: Module,
    X: Any,
    y: Any,
    loss: LossFn,
    metrics: Sequence[str] | None = None,
) -> dict[str, float]:
    """``{"loss": ..., "accuracy": ...}`` of ``model`` on (X, y), without recording a graph.

    ``metrics`` defaults to ("accuracy",) for integer class labels and () otherwise.
    Regression results also carry ``max_error``, the largest |target - output|. For a
    model with one output, y may be of shape (n,) or (n, 1).
    """
    checks.instance("evaluate", "model", model, Module, "an nn.Module such as nn.MLP(2, [1])")
    if not callable(loss):
        checks.fail("evaluate", "loss", loss, "a loss function such as nn.mse", error=TypeError)
    X, y = checks.data("evaluate", X, y)
    y = _one_output_targets(model, X, y)
    return _evaluate(model, X, y, loss, _metrics(metrics, y, "evaluate"))


# (X, y) -> (the loss, the model's outputs as numbers), touching no gradient: how
# `_evaluate` gets its numbers when fit runs compiled.
PredictFn = Callable[[NDArray[np.float64], NDArray[Any]], tuple[float, NDArray[np.float64]]]


def _evaluate(
    model: Module,
    X: NDArray[np.float64],
    y: NDArray[Any],
    loss: LossFn,
    chosen: tuple[str, ...],
    predict: PredictFn | None = None,
) -> dict[str, float]:
    if predict is not None:
        value, numbers = predict(X, y)
        result = {"loss": value}
    else:
        with autograd.no_grad():
            outputs = _forward(model, X.tolist())
            result = {"loss": loss(outputs, y.tolist()).data}
        numbers = _numbers(outputs)
    if "accuracy" in chosen:
        result["accuracy"] = _accuracy(numbers, y, loss)
    if not _is_classification(y):
        result["max_error"] = _max_error(numbers, y)
    return result


def _metrics(metrics: Sequence[str] | None, y: NDArray[Any], who: str) -> tuple[str, ...]:
    if metrics is None:
        return METRICS if _is_classification(y) else ()
    if isinstance(metrics, str):
        metrics = (metrics,)
    checks.instance(who, "metrics", metrics, (list, tuple), f"a list of names from {METRICS}")
    return tuple(checks.choice(who, f"metrics[{i}]", m, METRICS) for i, m in enumerate(metrics))


# ----------------------------------------------------------------- fit

Data = tuple[NDArray[np.float64], NDArray[Any]]

# (X batch, y batch) -> (the batch's loss, the model's outputs as numbers, see
# `_numbers`), with every parameter's grad set to d loss / d parameter.
GradientFn = Callable[[NDArray[np.float64], NDArray[Any]], tuple[float, NDArray[np.float64]]]


def _eager_gradients(model: Module, loss: LossFn) -> GradientFn:
    """The loss of a batch and its gradients through the engine: forward, loss, backward."""

    def gradients(xb: NDArray[np.float64], yb: NDArray[Any]) -> tuple[float, NDArray[np.float64]]:
        outputs = _forward(model, xb.tolist())
        value = loss(outputs, yb.tolist())
        value.backward()
        return value.data, _numbers(outputs)

    return gradients


def _split_validation(
    X: NDArray[np.float64],
    y: NDArray[Any],
    validation_data: tuple[Any, Any] | None,
    validation_split: float | None,
) -> tuple[Data, Data | None]:
    """(training data, validation data or None): ``validation_split`` keeps the last
    fraction of (X, y) apart, as Keras does."""
    if validation_data is not None and validation_split is not None:
        raise ValueError("fit: give validation_data or validation_split, not both")
    if validation_split is not None:
        validation_split = checks.fraction("fit", "validation_split", validation_split)
        n_val = max(1, round(len(X) * validation_split))
        if n_val >= len(X):
            raise ValueError("fit: validation_split leaves no training samples")
        return (X[:-n_val], y[:-n_val]), (X[-n_val:], y[-n_val:])
    if validation_data is None:
        return (X, y), None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        checks.fail("fit", "validation_data", validation_data, "a pair (X_val, y_val)")
    return (X, y), checks.data("fit validation_data", *validation_data)


@dataclass
class _Epoch:
    """What one epoch saw: the batch losses (with their sizes), outputs and targets."""

    losses: list[tuple[float, int]] = field(default_factory=list)
    outputs: list[NDArray[np.float64]] = field(default_factory=list)
    targets: list[NDArray[Any]] = field(default_factory=list)

    def mean_loss(self) -> float:
        """The batch losses weighted by their sizes; finite wherever they all are."""
        count = sum(n for _, n in self.losses)
        mean = sum(v * n for v, n in self.losses) / count
        if math.isfinite(mean):
            return mean
        # v * n overflowed (two batches of 9e307): each weight n / count is at most 1,
        # so no term and no partial sum exceeds the largest batch loss
        return sum(v * (n / count) for v, n in self.losses)


def _run_epoch(
    epoch: int,
    train: Data,
    gradients: GradientFn,
    optimizer: Optimizer,
    batch_size: int | None,
    rng: np.random.Generator,
    interrupted: Callable[[], bool],
) -> _Epoch:
    """One pass over the training data, one optimizer step per batch. A Ctrl-C is acted
    on between steps (KeyboardInterrupt), never inside one."""
    seen = _Epoch()
    for b, (xb, yb) in enumerate(batches(*train, batch_size, shuffle=True, rng=rng)):
        optimizer.zero_grad()
        try:
            value, outputs = gradients(xb, yb)
            optimizer.step()  # checks every gradient before it changes anything
        except (ValueError, ArithmeticError) as err:
            raise type(err)(f"fit: epoch {epoch}, batch {b}: {err}") from err
        seen.losses.append((value, len(xb)))
        seen.outputs.append(outputs)
        seen.targets.append(yb)
        if interrupted():
            raise KeyboardInterrupt
    return seen


def _record_epoch(
    history: History,
    seen: _Epoch,
    lr: float,
    loss: LossFn,
    chosen: tuple[str, ...],
    regression: bool,
) -> None:
    outputs, targets = np.concatenate(seen.outputs), np.concatenate(seen.targets)
    history.loss.append(seen.mean_loss())
    history.lr.append(lr)
    if regression:
        history.max_error.append(_max_error(outputs, targets))
    if "accuracy" in chosen:
        history.metrics["accuracy"].append(_accuracy(outputs, targets, loss))


def _record_validation(
    history: History,
    model: Module,
    validation: Data,
    loss: LossFn,
    chosen: tuple[str, ...],
    predict: PredictFn | None = None,
) -> None:
    val = _evaluate(model, *validation, loss, chosen, predict)
    history.val_loss.append(val["loss"])
    for name in chosen:
        history.metrics[f"val_{name}"].append(val[name])


def _check_arguments(
    model: Module,
    loss: LossFn,
    optimizer: Optimizer,
    scheduler: LRScheduler | ReduceLROnPlateau | None,
    stop_when: StopRule | None,
    early_stopping: EarlyStopping | None,
    callbacks: Sequence[Callback] | None,
    who: str = "fit",
) -> None:
    """The kinds of fit's objects: a wrong one is a TypeError before anything runs."""
    checks.instance(who, "model", model, Module, "an nn.Module such as nn.MLP(2, [16, 1])")
    if not callable(loss):
        checks.fail(who, "loss", loss, "a loss function such as nn.mse", error=TypeError)
    checks.instance(
        who, "optimizer", optimizer, Optimizer, "an nn.optim optimizer such as Adam(params)"
    )
    _check_optimizer_trains(model, optimizer, who)
    if scheduler is not None:
        expected = "an nn.optim scheduler or None"
        checks.instance(who, "scheduler", scheduler, (LRScheduler, ReduceLROnPlateau), expected)
    if stop_when is not None and not callable(stop_when):
        checks.fail(who, "stop_when", stop_when, "a function of the History", error=TypeError)
    if early_stopping is not None:
        checks.instance(
            who, "early_stopping", early_stopping, EarlyStopping, "nn.early_stopping(...) or None"
        )
    if callbacks is not None:
        expected = "a list of nn.Callback objects (subclass nn.Callback, override its hooks)"
        checks.instance(who, "callbacks", callbacks, (list, tuple), expected)
        for i, c in enumerate(callbacks):
            checks.instance(who, f"callbacks[{i}]", c, Callback, expected)


def _check_optimizer_trains(model: Module, optimizer: Optimizer, who: str) -> None:
    """An optimizer built over another model's parameters would train nothing, silently:
    refuse it unless it updates at least one of ``model``'s (a subset is fine-tuning)."""
    mine = {id(p) for p in model.parameters()}
    theirs = [p for group in optimizer.param_groups for p in group["params"]]
    if mine and not any(id(p) in mine for p in theirs):
        name = type(optimizer).__name__
        raise ValueError(
            f"{who}: the optimizer updates none of the model's parameters: its {len(theirs)} "
            f"parameter(s) are not among the {len(mine)} of {type(model).__name__}, so "
            f"training would change nothing. Build it from this model, e.g. "
            f"optimizer = nn.optim.{name}(model.parameters(), ...)"
        )


def fit(
    model: Module,
    X: Any,
    y: Any,
    *,
    loss: LossFn,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float | None = None,
    scheduler: LRScheduler | ReduceLROnPlateau | None = None,
    metrics: Sequence[str] | None = None,
    stop_when: StopRule | None = None,
    early_stopping: EarlyStopping | None = None,
    progress: bool = True,
    seed: int | np.random.Generator | None = None,
    compile: bool = False,
    record: int | None = None,
    callbacks: Sequence[Callback] | None = None,
) -> History:
    """Train ``model`` on (X, y) and return the `History` of the run.

    ``loss(outputs, targets)`` is one of `nn.losses` (or anything with that shape):
    ``outputs`` is the list of the model's outputs for a batch, ``targets`` the
    batch's rows of ``y`` as lists. ``optimizer`` updates ``model``'s parameters
    (`nn.optim`; one over none of them is refused: it would train nothing);
    ``scheduler``, if given, steps once per epoch (a `ReduceLROnPlateau` with the
    epoch's validation loss, or its training loss without validation data).
    ``batch_size``: None for the full batch, 1 for stochastic, k for mini-batches; the
    order is reshuffled every epoch from ``seed``. ``validation_split`` keeps the last
    fraction of (X, y) out of training, as Keras does; ``validation_data`` gives it
    explicitly.
    ``metrics`` defaults to ("accuracy",) for integer class labels; for a model with
    one output, accuracy counts an output above the loss's
    `nn.losses.decision_threshold` as class 1.

    For a model with one output, y may be of shape (n,) or (n, 1). Every row of y
    (and of the validation targets) is checked by ``loss`` before the first update: a
    bad target raises an error naming its row, with the model unchanged.

    A progress bar (tqdm) shows loss and metrics when ``progress`` is true and the
    output is a terminal. Ctrl-C ends the run after the current step: the history so
    far is returned (``stop_reason == "interrupted"``) and the model is whole.
    Errors (a non-finite gradient, a bad batch) propagate with the epoch and batch
    named, after the optimizer has refused to change anything.

    ``compile=True`` traces the model once (`autograd.compile`) and runs every batch
    vectorised with numpy: the forward pass, the loss's gradient (batch forms of every
    loss in `nn.losses`; another loss goes through the engine), the backward pass. The
    parameters follow the same trajectory as eager training, to rounding. The model
    must not branch on its Values (see `autograd.compile`).

    ``record=k`` keeps the parameters before training and every k epochs (and at the
    end) in ``history.snapshots``, for `History.explore`.

    ``callbacks``: objects of `nn.Callback` subclasses whose hooks run before the first
    epoch, after each epoch (where ``run.stop(reason)`` ends the run) and at the end;
    see `nn.callbacks`. The progress bar, ``record``, ``early_stopping`` and
    ``stop_when`` are such callbacks, and run before the ones given here.
    """
    _check_arguments(model, loss, optimizer, scheduler, stop_when, early_stopping, callbacks)
    X, y = checks.data("fit", X, y)
    epochs = checks.integer("fit", "epochs", epochs, minimum=0)
    if batch_size is not None:
        batch_size = checks.positive_int("fit", "batch_size", batch_size)
    progress = checks.flag("fit", "progress", progress)
    compile = checks.flag("fit", "compile", compile)
    rng = checks.rng("fit", "seed", seed)
    train, validation = _split_validation(X, y, validation_data, validation_split)
    hooks = _builtin_callbacks(progress, record, loss, early_stopping, stop_when)
    hooks += list(callbacks or [])
    if validation is None and any(isinstance(c, EarlyStopping) for c in hooks):
        raise ValueError(
            "fit: early_stopping watches the validation loss; pass validation_data or "
            "validation_split"
        )
    train = (train[0], _checked_targets(model, *train, loss, "fit"))
    if validation is not None:
        Xv, yv = validation
        validation = (Xv, _checked_targets(model, Xv, yv, loss, "fit validation_data"))
    chosen = _metrics(metrics, train[1], "fit")
    regression = not _is_classification(train[1])
    gradients: GradientFn
    predict: PredictFn | None = None
    if compile:  # traced once on the first row, then vectorised over every batch
        compiled = CompiledTraining(model, loss, train[0][0])
        gradients, predict = compiled.gradients, compiled.predict
    else:
        gradients = _eager_gradients(model, loss)
    history = History(metrics={name: [] for name in chosen})
    if validation is not None:
        history.metrics.update({f"val_{name}": [] for name in chosen})

    def one_epoch(epoch: int, interrupted: Callable[[], bool]) -> None:
        lr = float(optimizer.param_groups[0]["lr"])
        seen = _run_epoch(epoch, train, gradients, optimizer, batch_size, rng, interrupted)
        _record_epoch(history, seen, lr, loss, chosen, regression)
        if validation is not None:
            _record_validation(history, model, validation, loss, chosen, predict)
        if isinstance(scheduler, ReduceLROnPlateau):  # watches the validation loss
            scheduler.step((history.val_loss or history.loss)[-1])
        elif scheduler is not None:
            scheduler.step()

    start = time.perf_counter()
    held = _flat_parameters(optimizer, compiled.compiled.parameters) if compile else nullcontext()
    with held:
        _train(Run(model, optimizer, history, epochs, validation is not None), hooks, one_epoch)
    history.seconds = time.perf_counter() - start
    return history


def _flat_parameters(optimizer: Optimizer, traced: list[Value]) -> AbstractContextManager[Any]:
    """Compiled training keeps the parameters in flat arrays (`autograd.FlatParameters`):
    the optimizer's, in its order, then the others the traced model reads. The compiled
    program and the optimizer's step work on the arrays; ``p.data`` and ``p.grad`` read
    them, so every callback, a Ctrl-C and an error see current numbers; the end of the
    run writes them back. Parameters the caller already holds flat stay in theirs."""
    ordered = [p for group in optimizer.param_groups for p in group["params"]] + traced
    if any(FlatParameters.holding(p) is not None for p in ordered):
        return nullcontext()
    return FlatParameters(list({id(p): p for p in ordered}.values()))


def _builtin_callbacks(
    progress: bool,
    record: int | None,
    loss: LossFn,
    early_stopping: EarlyStopping | None,
    stop_when: StopRule | None,
) -> list[Callback]:
    """fit's keywords as the callbacks that implement them, in the order they run."""
    hooks: list[Callback] = [ProgressBar()] if progress else []
    if record is not None:
        hooks.append(RecordSnapshots(record, _losses.decision_threshold(loss)))
    if early_stopping is not None:
        hooks.append(early_stopping)
    if stop_when is not None:
        hooks.append(StopWhen(stop_when))
    return hooks


def _train(
    run: Run, hooks: list[Callback], one_epoch: Callable[[int, Callable[[], bool]], None]
) -> None:
    """The epochs of a run with the callbacks' hooks around them (see `nn.callbacks`):
    until the epochs are done, a callback stops the run, or Ctrl-C."""
    with _deferred_interrupt() as interrupted:
        try:
            for hook in hooks:
                hook.on_train_begin(run)
            for epoch in range(run.epochs):
                if run.stop_reason is not None:
                    break
                one_epoch(epoch, interrupted)
                run.epoch = epoch
                for hook in hooks:
                    hook.on_epoch_end(run)
            run.history.stop_reason = run.stop_reason or "epochs"
        except KeyboardInterrupt:
            run.history.stop_reason = "interrupted"
        except BaseException as err:
            for hook in hooks:
                hook.on_exception(run, err)
            raise
    for hook in hooks:
        hook.on_train_end(run)


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
