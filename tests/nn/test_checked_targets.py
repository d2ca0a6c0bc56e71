"""fit's check of every target before the first update, on a thousand rows: the bad row
in the middle is named with the loss's own message, and the check does not evaluate
the loss once per row."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
import pytest

import autograd
from autograd import Value
from nn import losses
from nn.layers import MLP
from nn.optim import SGD
from nn.train import fit

ROWS = 1000
BAD_ROW = 517


def _labels(values: list[Any], seed: int = 0) -> list[Any]:
    """ROWS targets drawn from ``values`` (seeded)."""
    picks = np.random.default_rng(seed).integers(0, len(values), size=ROWS)
    return [values[i] for i in picks.tolist()]


def _y(loss: Callable[..., Value], bad: Any) -> tuple[np.ndarray, int]:
    """A thousand good targets for ``loss`` with ``bad`` at BAD_ROW and (to show the
    first one is named) again at a later row; and the model's number of outputs."""
    good: dict[Any, tuple[list[Any], int]] = {
        losses.cross_entropy: (_labels([0, 1, 2]), 3),
        losses.mse: (np.random.default_rng(1).normal(size=ROWS).tolist(), 1),
        losses.sse: (np.random.default_rng(2).normal(size=ROWS).tolist(), 1),
        losses.binary_cross_entropy: (np.random.default_rng(3).uniform(size=ROWS).tolist(), 1),
        losses.binary_cross_entropy_with_logits: (_labels([0.0, 1.0]), 1),
        losses.hinge: (_labels([-1.0, 1.0]), 1),
    }
    rows, outputs = good[loss]
    if isinstance(bad, list):  # probabilities: every good row one-hot
        rows = [[1.0 if k == c else 0.0 for k in range(outputs)] for c in rows]
    rows[BAD_ROW] = rows[BAD_ROW + 200] = bad
    return np.array(rows), outputs


BAD = [
    # (loss, a bad target)
    (losses.cross_entropy, 3),
    (losses.cross_entropy, -1),
    (losses.cross_entropy, [0.5, 0.7, -0.2]),  # sums to 1, but a negative probability
    (losses.cross_entropy, [0.5, 0.25, 0.2]),  # in [0, 1], but sums to 0.95
    (losses.mse, math.nan),
    (losses.mse, math.inf),
    (losses.sse, -math.inf),
    (losses.binary_cross_entropy, 1.5),
    (losses.binary_cross_entropy, -0.25),
    (losses.binary_cross_entropy_with_logits, 0.5 + 1.0),
    (losses.binary_cross_entropy_with_logits, math.nan),
    (losses.hinge, 0.0),
    (losses.hinge, 2.0),
]


def _model(outputs: int, loss: Callable[..., Value]) -> MLP:
    # binary_cross_entropy takes probabilities: a sigmoid on the output
    sigmoid = "sigmoid" if loss is losses.binary_cross_entropy else None
    return MLP(2, [3, outputs], activation="tanh", output_activation=sigmoid, seed=0)


def _fit(model: MLP, X: np.ndarray, y: Any, loss: Callable[..., Value], **kwargs: Any) -> None:
    fit(
        model, X, y, loss=loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=1,
        batch_size=100, progress=False, seed=0, **kwargs,
    )  # fmt: skip


def _engine_message(model: MLP, x: np.ndarray, loss: Callable[..., Value], target: Any) -> str:
    """The loss's own error for ``target`` against the model's output on ``x``."""
    with autograd.no_grad(), pytest.raises((TypeError, ValueError)) as raised:
        loss([model(x.tolist())], [target])
    return str(raised.value)


@pytest.mark.parametrize(("loss", "bad"), BAD)
def test_a_bad_target_among_a_thousand_rows_is_named_by_its_row_with_the_loss_message(
    loss: Callable[..., Value], bad: Any
) -> None:
    y, outputs = _y(loss, bad)
    X = np.random.default_rng(4).normal(size=(ROWS, 2))
    model = _model(outputs, loss)
    before = model.state_dict()
    expected = _engine_message(model, X[0], loss, bad)
    with pytest.raises((TypeError, ValueError)) as raised:
        _fit(model, X, y, loss)
    assert str(raised.value) == f"fit: row {BAD_ROW} of y ({bad!r}): {expected}"
    assert model.state_dict() == before


@pytest.mark.parametrize(("loss", "bad"), BAD[::3])
def test_a_bad_validation_target_among_a_thousand_rows_is_named_by_its_row(
    loss: Callable[..., Value], bad: Any
) -> None:
    y, outputs = _y(loss, bad)
    X = np.random.default_rng(5).normal(size=(ROWS, 2))
    model = _model(outputs, loss)
    good = np.delete(y, [BAD_ROW, BAD_ROW + 200], axis=0)
    with pytest.raises((TypeError, ValueError), match=rf"^fit validation_data: row {BAD_ROW} "):
        _fit(model, X[: len(good)], good, loss, validation_data=(X, y))


def test_a_bool_among_numbers_is_named_by_its_row() -> None:
    y = np.array(np.random.default_rng(6).normal(size=ROWS).tolist(), dtype=object)
    y[BAD_ROW] = True  # equal to 1.0, but not a number the loss takes
    X = np.random.default_rng(7).normal(size=(ROWS, 2))
    with pytest.raises(TypeError, match=rf"^fit: row {BAD_ROW} of y \(True\): .*bool"):
        _fit(MLP(2, [3, 1], seed=0), X, y, losses.mse)


def _counted(loss: Callable[..., Value]) -> tuple[Callable[..., Value], list[int]]:
    """``loss`` wrapped (a loss of your own to fit: no batch form) to count its calls."""
    calls = [0]

    @functools.wraps(loss)
    def counted(*args: Any, **kwargs: Any) -> Value:
        calls[0] += 1
        return loss(*args, **kwargs)

    return counted, calls


def test_the_targets_of_a_classifier_are_checked_once_per_class_not_once_per_row() -> None:
    X = np.random.default_rng(8).normal(size=(ROWS, 2))
    loss, calls = _counted(losses.cross_entropy)
    model = MLP(2, [3, 3], seed=0)
    fit(model, X, _labels([0, 1, 2]), loss=loss, optimizer=SGD(model.parameters()), epochs=0,
        progress=False)  # fmt: skip
    assert calls[0] <= 1 + 3  # the first row, then each class once


def test_regression_targets_are_checked_by_one_batch_evaluation() -> None:
    X = np.random.default_rng(9).normal(size=(ROWS, 2))
    y = np.random.default_rng(10).normal(size=ROWS)
    model = MLP(2, [3, 1], seed=0)
    # every call of mse pairs its predictions with its targets here, once
    with mock.patch.object(losses, "_vector_pairs", wraps=losses._vector_pairs) as pairs:
        fit(model, X, y, loss=losses.mse, optimizer=SGD(model.parameters()), epochs=0,
            progress=False)  # fmt: skip
    assert pairs.call_count <= 2  # the first row, not every row
