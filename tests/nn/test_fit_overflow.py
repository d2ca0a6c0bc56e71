"""fit with numbers near the float maximum: an overflowing loss raises the engine's error
in both modes (never an inf in History), and an epoch's mean loss is finite wherever
its batch losses are."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Value


def _set(model: nn.Module, weights: list[float]) -> nn.Module:
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w
    return model


# (loss, weights of MLP(1, [outputs]), X, y): the first row is harmless (fit checks the
# targets against its output), the second overflows the loss.
OVERFLOWING: dict[str, tuple[Callable[..., Value], list[float], np.ndarray, np.ndarray]] = {
    "mse": (nn.mse, [1.0, 0.0], np.array([[1.0], [1.5e154]]), np.zeros(2)),
    "sse": (nn.sse, [1.0, 0.0], np.array([[1.0], [1.5e154]]), np.zeros(2)),
    "cross_entropy": (
        nn.cross_entropy,
        [1.0, 0.0, -1.0, 0.0, 0.0, 0.0],
        np.array([[0.0], [1e308]]),
        np.array([0, 1]),
    ),
}


def _fit_error(name: str, compile: bool) -> BaseException:
    loss, weights, X, y = OVERFLOWING[name]
    model = _set(nn.MLP(1, [len(weights) // 2], seed=0), weights)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings(), pytest.raises(OverflowError) as info:
        warnings.simplefilter("error")  # a numpy RuntimeWarning is not an error message
        nn.fit(model, X, y, loss=loss, optimizer=optimizer, epochs=1, compile=compile)
    assert [p.data for p in model.parameters()] == weights  # no step was taken
    return info.value


@pytest.mark.parametrize("name", sorted(OVERFLOWING))
def test_an_overflowing_loss_raises_the_engines_error_also_when_compiled(name: str) -> None:
    eager = _fit_error(name, compile=False)
    assert str(eager).startswith("fit: epoch 0, batch 0: ")
    assert str(_fit_error(name, compile=True)) == str(eager)


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
def test_an_epochs_mean_loss_is_finite_where_its_batch_losses_are(compile: bool) -> None:
    # hinge per row: relu(1 - s y) = 9e307 (s = -9e307, y = 1): each batch's mean is
    # finite, though a batch loss times its 2 rows is not
    model = _set(nn.MLP(1, [1], seed=0), [1.0, 0.0])
    X, y = np.full((4, 1), -9e307), np.ones(4)
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.hinge,
        optimizer=nn.optim.SGD(model.parameters(), lr=0.0),
        epochs=1,
        batch_size=2,
        validation_data=(X, y),
        compile=compile,
    )
    expected = 1.0 + 9e307  # = 9e307: the 1 is far below its last digit
    assert history.loss == [expected]
    assert history.val_loss == [expected]
    assert nn.evaluate(model, X, y, nn.hinge)["loss"] == expected
