"""fit / evaluate / History: stopping rules, early stopping, interruption, errors."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import threading
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Value
from nn import losses
from nn.data import make_moons, xor
from nn.layers import MLP
from nn.optim import SGD, Adam, StepLR
from nn.train import History, early_stopping, evaluate, fit, max_error_below


def _moons(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return make_moons(n_samples=n, noise=0.1, seed=seed)


def test_fit_learns_moons_and_records_every_epoch() -> None:
    X, y = _moons(80)
    model = MLP(2, [8, 2], activation="tanh", seed=1)
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=Adam(model.parameters(), lr=0.05),
        epochs=40,
        batch_size=16,
        progress=False,
        seed=0,
    )
    assert history.epochs == 40 and history.stop_reason == "epochs"
    assert len(history.loss) == len(history.lr) == len(history["accuracy"]) == 40
    assert history.loss[-1] < 0.5 * history.loss[0]
    result = evaluate(model, X, y, loss=losses.cross_entropy)
    assert result["accuracy"] >= 0.85
    # evaluate's loss is the cross-entropy recomputed independently with numpy
    logits = np.array([[v.data for v in model(row)] for row in X.tolist()])
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    assert result["loss"] == pytest.approx(-log_p[np.arange(len(y)), y].mean(), rel=1e-12)


def test_history_to_dict_is_json_and_plot_draws(tmp_path: os.PathLike[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    X, y = _moons(40)
    model = MLP(2, [4, 2], seed=0)
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=SGD(model.parameters(), lr=0.1),
        epochs=3,
        validation_split=0.25,
        progress=False,
    )
    d = json.loads(json.dumps(history.to_dict()))
    assert set(d) >= {"loss", "val_loss", "lr", "accuracy", "val_accuracy", "stop_reason"}
    assert len(d["val_loss"]) == 3
    ax = history.plot()
    assert [line.get_label() for line in ax.get_lines()] == ["train loss", "validation loss"]


def test_batch_size_decides_the_number_of_updates() -> None:
    X, y = _moons(30)
    for batch_size, updates_per_epoch in ((None, 1), (1, 30), (8, 4)):
        model = MLP(2, [3, 2], seed=0)
        optimizer = SGD(model.parameters(), lr=0.01)
        steps = 0
        original = optimizer.step

        def counting_step(original: Callable[[], None] = original) -> None:
            nonlocal steps
            steps += 1
            original()

        optimizer.step = counting_step  # type: ignore[method-assign]
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=optimizer,
            epochs=2,
            batch_size=batch_size,
            progress=False,
        )
        assert steps == 2 * updates_per_epoch


def test_scheduler_steps_once_per_epoch_and_history_records_lr() -> None:
    X, y = _moons(20)
    model = MLP(2, [3, 2], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=optimizer,
        epochs=5,
        scheduler=StepLR(optimizer, step_size=2, gamma=0.5),
        progress=False,
    )
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_max_error_below_stops_a_regression_run() -> None:
    # y = 0.5 x1 - 0.25 x2 is exactly representable by a linear neuron
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(20, 2))
    y = X @ np.array([0.5, -0.25])
    model = MLP(2, [1], seed=0)
    history = fit(
        model,
        X,
        y,
        loss=losses.mse,
        optimizer=SGD(model.parameters(), lr=0.2),
        epochs=500,
        stop_when=max_error_below(0.01),
        progress=False,
    )
    assert history.stop_reason == "stop_when"
    assert history.epochs < 500
    assert history.max_error[-1] < 0.01 <= history.max_error[-2]
    predictions = np.array([model(row).data for row in X.tolist()])
    assert np.max(np.abs(predictions - y)) < 0.02  # one more update since the check


def test_max_error_below_refuses_classification_and_bad_tolerance() -> None:
    X, y = _moons(10)
    model = MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="regression targets"):
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=2,
            stop_when=max_error_below(0.1),
            progress=False,
        )


def test_stop_when_takes_any_callable_on_the_history() -> None:
    X, y = xor()
    model = MLP(2, [4, 2], seed=0)
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=Adam(model.parameters(), lr=0.05),
        epochs=100,
        stop_when=lambda h: h.epochs == 7,
        progress=False,
    )
    assert history.epochs == 7 and history.stop_reason == "stop_when"


def test_early_stopping_restores_the_best_weights() -> None:
    X, y = _moons(60, seed=3)
    X_val, y_val = _moons(40, seed=4)
    model = MLP(2, [16, 2], seed=0)
    # A learning rate large enough that the validation loss does not keep falling.
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=SGD(model.parameters(), lr=3.0),
        epochs=60,
        batch_size=1,
        validation_data=(X_val, y_val),
        early_stopping=early_stopping(patience=3),
        progress=False,
        seed=0,
    )
    assert history.stop_reason == "early_stopping"
    best = history.best_epoch
    assert best is not None
    assert history.val_loss[best] == min(history.val_loss)
    assert history.epochs == best + 1 + 3  # three epochs without improvement
    restored = evaluate(model, X_val, y_val, loss=losses.cross_entropy)["loss"]
    assert restored == pytest.approx(history.val_loss[best], rel=1e-12)


def test_early_stopping_needs_validation_data() -> None:
    X, y = _moons(10)
    model = MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="validation"):
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=2,
            early_stopping=early_stopping(),
            progress=False,
        )


def test_keyboard_interrupt_from_a_callback_returns_history_and_a_whole_model() -> None:
    X, y = _moons(30)
    model = MLP(2, [4, 2], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    snapshots: list[dict[str, float]] = []

    def stop_rule(history: History) -> bool:
        snapshots.append(model.state_dict())
        if history.epochs == 3:
            raise KeyboardInterrupt
        return False

    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=optimizer,
        epochs=10,
        stop_when=stop_rule,
        progress=False,
    )
    assert history.stop_reason == "interrupted"
    assert history.epochs == 3 and len(history["accuracy"]) == 3
    assert model.state_dict() == snapshots[-1]  # nothing changed after the interrupt
    assert all(math.isfinite(v) for v in model.state_dict().values())
    fit(model, X, y, loss=losses.cross_entropy, optimizer=optimizer, epochs=1, progress=False)


def test_ctrl_c_during_a_step_finishes_that_step_first() -> None:
    X, y = _moons(20)
    model = MLP(2, [3, 2], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    updates = 0
    original = optimizer.step

    def step_then_signal() -> None:
        nonlocal updates
        original()
        updates += 1
        if updates == 2:
            signal.raise_signal(signal.SIGINT)  # what Ctrl-C delivers

    optimizer.step = step_then_signal  # type: ignore[method-assign]
    assert threading.current_thread() is threading.main_thread()
    history = fit(
        model,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=optimizer,
        epochs=5,
        batch_size=5,
        progress=False,
    )
    assert history.stop_reason == "interrupted"
    assert updates == 2 and history.epochs == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_non_finite_gradient_stops_with_a_clear_error_and_unchanged_parameters() -> None:
    X, y = _moons(10)
    model = MLP(2, [2], seed=0)
    before = model.state_dict()
    w = model.parameters()[0]

    def overflowing(outputs: list[list[Value]], targets: list[int]) -> Value:
        # (w - w.detach()) is 0, so the loss stays finite, but d loss / d w = 1e600
        return losses.cross_entropy(outputs, targets) + (w - w.detach()) * 1e300 * 1e300

    with pytest.raises(OverflowError, match=r"epoch 0, batch 0: .*not finite"):
        fit(
            model,
            X,
            y,
            loss=overflowing,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
        )
    assert model.state_dict() == before


def test_optimizer_refusal_inside_fit_names_the_batch_and_changes_nothing() -> None:
    X, y = _moons(12)
    model = MLP(2, [2], seed=0)
    before = model.state_dict()
    optimizer = SGD(model.parameters(), lr=0.1)
    original = optimizer.step
    calls = 0

    def poisoned_step() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            model.parameters()[-1].grad = math.nan  # a gradient gone bad after backward
        original()

    optimizer.step = poisoned_step  # type: ignore[method-assign]
    with pytest.raises(ValueError, match=r"epoch 0, batch 1: .*nan"):
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=optimizer,
            epochs=1,
            batch_size=6,
            progress=False,
        )
    first_batch_only = model.state_dict()
    assert first_batch_only != before  # batch 0 was applied, batch 1 refused whole
    assert all(math.isfinite(v) for v in first_batch_only.values())


FIT_ERRORS = [
    # (fit's keyword arguments changed from a good call, the error, what it says)
    ({"y": np.zeros(5, dtype=int)}, ValueError, "fit: y must be one target per sample of X"),
    ({"X": np.zeros((10, 2, 1))}, ValueError, r"fit: X must be 2-D .*shape \(10, 2, 1\)"),
    ({"X": np.full((10, 2), np.nan)}, ValueError, "fit: X must be finite numbers.*row 0"),
    ({"X": [["a", "b"]] * 10}, TypeError, "fit: X must be a 2-D array of numbers"),
    ({"epochs": -1}, ValueError, "fit: epochs must be an int >= 0; got epochs=-1"),
    ({"epochs": True}, TypeError, "fit: epochs must be an int >= 0; got epochs=True"),
    ({"epochs": 2.0}, TypeError, "fit: epochs .*: pass 2"),
    ({"batch_size": 0}, ValueError, "fit: batch_size must be an int >= 1"),
    ({"validation_split": 1.5}, ValueError, "fit: validation_split must be a finite number"),
    ({"validation_split": "0.5"}, TypeError, r"validation_split='0.5' \(str\).*float\('0.5'\)"),
    (
        {"validation_split": 0.5, "validation_data": ([[0.0, 0.0]], [0])},
        ValueError,
        "give validation_data or validation_split, not both",
    ),
    ({"validation_data": [[0.0, 0.0]]}, ValueError, r"validation_data must be a pair \(X_val"),
    ({"metrics": ["f1"]}, ValueError, r"fit: metrics\[0\] must be one of 'accuracy'"),
    ({"seed": -1}, ValueError, "fit: seed must be None, an int >= 0 or a numpy Generator"),
    ({"progress": 1}, TypeError, "fit: progress must be True or False"),
    ({"optimizer": "adam"}, TypeError, "fit: optimizer must be an nn.optim optimizer"),
    ({"loss": "mse"}, TypeError, "fit: loss must be a loss function"),
    ({"scheduler": 0.5}, TypeError, "fit: scheduler must be an nn.optim scheduler"),
    ({"stop_when": 3}, TypeError, "fit: stop_when must be a function of the History"),
    ({"early_stopping": 5}, TypeError, r"fit: early_stopping must be nn.early_stopping\(...\)"),
    ({"model": "mlp"}, TypeError, "fit: model must be an nn.Module"),
]


@pytest.mark.parametrize(("change", "error", "message"), FIT_ERRORS)
def test_fit_rejects_bad_arguments_naming_them_and_changes_nothing(
    change: dict[str, object], error: type[Exception], message: str
) -> None:
    X, y = _moons(10)
    model = MLP(2, [2], seed=0)
    before = model.state_dict()
    arguments: dict[str, object] = {
        "model": model,
        "X": X,
        "y": y,
        "loss": losses.cross_entropy,
        "optimizer": SGD(model.parameters(), lr=0.1),
        "epochs": 1,
        "progress": False,
    }
    arguments.update(change)
    with pytest.raises(error, match=message):
        fit(**arguments)  # type: ignore[arg-type]
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: early_stopping(patience=True), TypeError, "early_stopping: patience must be"),
        (lambda: early_stopping(patience=0), ValueError, "patience must be an int >= 1"),
        (lambda: early_stopping(min_delta=-0.1), ValueError, "min_delta must be a finite number"),
        (lambda: early_stopping(restore_best_weights="yes"), TypeError, "True or False"),
        (lambda: max_error_below(0.0), ValueError, "max_error_below: tolerance must be"),
        (lambda: max_error_below("0.1"), TypeError, "max_error_below: tolerance must be"),
    ],
)
def test_stopping_rules_check_their_arguments(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


def test_accuracy_follows_the_loss_convention() -> None:
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [-2.0, 0.0]])
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 1.0
    model.layers[0].neurons[0].w[1].data = 0.0
    assert model.layers[0].neurons[0].b is not None
    model.layers[0].neurons[0].b.data = 0.0
    # hinge: labels -1/+1, the sign of the score
    hinge = evaluate(model, X, np.array([1, -1, 1, -1]), loss=losses.hinge)
    assert hinge["accuracy"] == 1.0
    # logits: class 1 when the logit is positive; logits 1, -1, 2, -2 say 1, 0, 1, 0
    logits = evaluate(
        model, X, np.array([1, 0, 0, 0]), loss=losses.binary_cross_entropy_with_logits
    )
    assert logits["accuracy"] == 0.75


def test_exports() -> None:
    assert nn.fit is fit and nn.evaluate is evaluate and nn.History is History


class _Line(nn.Module):
    """y = w x + b, written for one sample at a time, as a custom Module is."""

    def __init__(self) -> None:
        self.w = Value(0.0)
        self.b = Value(0.0)
        self.label_parameters()

    def forward(self, x: list[float]) -> Value:
        (x0,) = x  # one sample of one feature: a batch would not unpack
        return self.w * x0 + self.b


def test_fit_and_evaluate_call_a_custom_module_once_per_sample() -> None:
    X = np.linspace(-1.0, 1.0, 21).reshape(-1, 1)
    y = 3.0 * X[:, 0] - 1.0
    model = _Line()
    fit(
        model,
        X,
        y,
        loss=losses.mse,
        optimizer=SGD(model.parameters(), lr=0.5),
        epochs=200,
        progress=False,
    )
    assert (model.w.data, model.b.data) == pytest.approx((3.0, -1.0), abs=1e-9)
    assert evaluate(model, X, y, loss=losses.mse)["max_error"] < 1e-9


def test_fit_on_whole_batches_matches_a_loop_over_samples() -> None:
    X, y = _moons(40)
    batched = MLP(2, [6, 2], activation="tanh", seed=3)
    looped = MLP(2, [6, 2], activation="tanh", seed=3)
    fit(
        batched,
        X,
        y,
        loss=losses.cross_entropy,
        optimizer=SGD(batched.parameters(), lr=0.3),
        epochs=5,
        batch_size=8,
        progress=False,
        seed=0,
    )
    optimizer = SGD(looped.parameters(), lr=0.3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        for xb, yb in nn.data.batches(X, y, batch_size=8, shuffle=True, rng=rng):
            loss = losses.cross_entropy([looped(row) for row in xb.tolist()], yb.tolist())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert [p.data for p in batched.parameters()] == [p.data for p in looped.parameters()]


class _WiderMLP(MLP):
    """A subclass of MLP that changes nothing of the forward pass."""


def test_a_subclass_of_mlp_still_gets_the_whole_batch_in_one_call() -> None:
    X, y = _moons(12)
    model = _WiderMLP(2, [3, 2], seed=0)
    calls: list[int] = []
    original = MLP.forward

    def counting(self: MLP, x: object) -> object:
        calls.append(len(x))  # type: ignore[arg-type]
        return original(self, x)  # type: ignore[arg-type]

    _WiderMLP.forward = counting  # type: ignore[method-assign, assignment]
    try:
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1,
            batch_size=6,
            progress=False,
        )
    finally:
        del _WiderMLP.forward
    # one call for the target check, then one per batch of 6
    assert calls == [1, 6, 6]


def test_accuracy_of_a_wrapped_binary_cross_entropy_still_splits_at_one_half() -> None:
    import functools

    X = np.array([[0.1, 0.0], [0.4, 0.0], [0.6, 0.0], [0.9, 0.0]])
    model = MLP(2, [1], seed=0)
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data, neuron.w[1].data = 1.0, 0.0
    assert neuron.b is not None
    neuron.b.data = 0.0
    # the outputs are the probabilities 0.1, 0.4, 0.6, 0.9: classes 0, 0, 1, 1 at 0.5
    y = np.array([0, 0, 1, 1])
    summed = functools.partial(losses.binary_cross_entropy, reduction="sum")
    assert evaluate(model, X, y, loss=summed)["accuracy"] == 1.0
    assert evaluate(model, X, y, loss=losses.binary_cross_entropy)["accuracy"] == 1.0


@pytest.mark.parametrize("batch_size", [None, 1, 4])
@pytest.mark.parametrize("loss", [losses.mse, losses.sse])
def test_column_targets_train_a_one_output_model_as_flat_ones_do(
    batch_size: int | None, loss: Callable[..., Value]
) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(10, 2))
    y = X @ np.array([0.5, -0.25]) + 0.1
    trained = []
    for targets in (y, y.reshape(-1, 1)):
        model = MLP(2, [3, 1], seed=0)
        history = fit(
            model,
            X,
            targets,
            loss=loss,
            optimizer=SGD(model.parameters(), lr=0.05),
            epochs=3,
            batch_size=batch_size,
            progress=False,
            seed=0,
        )
        result = evaluate(model, X, targets, loss=loss)
        trained.append((model.state_dict(), history.loss, history.max_error, result))
    assert trained[0] == trained[1]
    # and the max error is the one numpy computes from the model's outputs
    predictions = np.array([model(row).data for row in X.tolist()])
    assert trained[1][3]["max_error"] == pytest.approx(np.max(np.abs(predictions - y)))


BAD_TARGETS = [
    # (y with one bad row, its row, the loss, what the message says)
    ([0, 1, 1, 0, 1, 0, 0, 5], 7, losses.cross_entropy, "class index 5"),
    ([0.5, 0.1, 0.2, 0.3, 0.4, math.nan, 0.1, 0.2], 5, losses.mse, "finite"),
    ([0.5, 0.1, 0.2, 0.3, 1.5, 0.0, 0.1, 0.2], 4, losses.binary_cross_entropy_with_logits, "0, 1"),
    ([1, -1, 1, 1, 1, 1, 0, 1], 6, losses.hinge, "labels must be \\+1 or -1"),
    (
        np.array([[1.0], [0.0], [0.2], [True], [0.0], [0.0], [1.0], [0.0]], dtype=object),
        3,
        losses.mse,
        "bool",
    ),
]


@pytest.mark.parametrize(("y", "row", "loss", "message"), BAD_TARGETS)
def test_a_bad_target_is_found_before_the_first_update_and_named_by_its_row(
    y: list[float], row: int, loss: Callable[..., Value], message: str
) -> None:
    X, _ = _moons(8)
    outputs = 2 if loss is losses.cross_entropy else 1
    model = MLP(2, [3, outputs], seed=0)
    before = model.state_dict()
    with pytest.raises((TypeError, ValueError), match=rf"row {row} of y.*{message}"):
        fit(
            model,
            X,
            y,
            loss=loss,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=2,
            batch_size=2,
            progress=False,
            seed=0,
        )
    assert model.state_dict() == before


def test_a_bad_validation_target_is_found_before_the_first_update() -> None:
    X, y = _moons(8)
    model = MLP(2, [3, 2], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"validation_data: row 1 of y.*class index 2"):
        fit(
            model,
            X,
            y,
            loss=losses.cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1,
            validation_data=(X[:3], [0, 2, 1]),
            progress=False,
        )
    assert model.state_dict() == before


def test_early_stopping_update_counts_epochs_without_improvement() -> None:
    model = MLP(2, [1], seed=0)
    stopper = early_stopping(patience=2, min_delta=0.1)
    # 1.0 is the best; 0.95 is not better by min_delta; 0.85 is; then two without
    decisions = [stopper.update(v, model) for v in (1.0, 0.95, 0.85, 0.9, 0.8)]
    assert decisions == [False, False, False, False, True]
    assert (stopper.best_epoch, stopper.best_loss) == (2, 0.85)
    stopper.reset()
    assert stopper.best_epoch is None and not stopper.update(5.0, model)


def _row_numbers(message: str) -> set[int]:
    """Every number a message gives as a place in the data: "row 7", "sample 0", "[0]",
    "target 0" (an output's index)."""
    found = re.findall(r"row (\d+)|sample (\d+)|\[(\d+)\]|target (\d+)", message)
    return {int(n) for groups in found for n in groups if n}


@pytest.mark.parametrize(("y", "row", "loss", "message"), BAD_TARGETS)
def test_a_bad_targets_message_gives_one_row_number_the_right_one(
    y: list[float], row: int, loss: Callable[..., Value], message: str
) -> None:
    X, _ = _moons(8)
    model = MLP(2, [3, 2 if loss is losses.cross_entropy else 1], seed=0)
    with pytest.raises((TypeError, ValueError)) as info:
        fit(model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False)  # fmt: skip
    assert _row_numbers(str(info.value)) == {row}, str(info.value)


def test_fit_refuses_an_optimizer_over_another_models_parameters() -> None:
    X, y = _moons(8)
    model, other = MLP(2, [3, 2], seed=0), MLP(2, [3, 2], seed=1)
    before, other_before = model.state_dict(), other.state_dict()
    with pytest.raises(ValueError, match=r"updates none of the model's parameters.*its 17 .*17"):
        fit(model, X, y, loss=losses.cross_entropy, optimizer=SGD(other.parameters(), lr=0.1),
            epochs=2, progress=False)  # fmt: skip
    assert model.state_dict() == before and other.state_dict() == other_before


def test_fit_trains_with_an_optimizer_over_part_of_the_models_parameters() -> None:
    # fine-tuning: only the last layer moves; the first keeps its weights
    X, y = _moons(8)
    model = MLP(2, [3, 2], seed=0)
    first = [p.data for p in model.layers[0].parameters()]
    last = [p.data for p in model.layers[1].parameters()]
    fit(model, X, y, loss=losses.cross_entropy, optimizer=SGD(model.layers[1].parameters(), lr=0.1),
        epochs=2, progress=False, seed=0)  # fmt: skip
    assert [p.data for p in model.layers[0].parameters()] == first
    assert [p.data for p in model.layers[1].parameters()] != last


def test_fit_with_cross_entropy_on_a_one_output_model_points_to_the_binary_loss() -> None:
    X, y = _moons(8)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(
        ValueError, match=r"one output .*per class.*binary_cross_entropy_with_logits"
    ):
        fit(model, X, y, loss=losses.cross_entropy, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)  # fmt: skip
    assert model.state_dict() == before


def test_the_repr_of_a_history_is_one_short_line_whatever_the_runs_length() -> None:
    def history(epochs: int) -> History:
        loss = [1.0 / (k + 1) for k in range(epochs)]
        return History(loss=loss, val_loss=[2 * v for v in loss], lr=[0.1] * epochs,
                       metrics={"accuracy": [0.5] * (epochs - 1) + [0.75]},
                       stop_reason="epochs", seconds=1.25)  # fmt: skip

    short, long = repr(history(3)), repr(history(1000))
    assert "\n" not in long and len(long) < 200
    assert len(long) - len(short) <= 10  # the digits of the counts and losses, nothing more
    # the summary: how many epochs, where the loss started and ended, the last of each series
    assert "epochs=1000" in long and "loss=1 -> 0.001," in long
    assert "val_loss=0.002" in long and "accuracy=0.75" in long
    assert "stop_reason='epochs'" in long and "seconds=1.25" in long
