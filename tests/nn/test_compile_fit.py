"""fit(..., compile=True) trains exactly as eager fit: the same trajectory, parameter for
parameter, for every optimizer and every loss."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
import nn
from autograd import Value

OPTIMIZERS: dict[str, Callable[[list[Value]], nn.optim.Optimizer]] = {
    "sgd": lambda ps: nn.optim.SGD(ps, lr=0.05),
    "momentum": lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: nn.optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: nn.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: nn.optim.RMSprop(ps, lr=0.01),
    "adagrad": lambda ps: nn.optim.Adagrad(ps, lr=0.05),
}


def _blobs() -> tuple[np.ndarray, np.ndarray]:
    return nn.data.make_blobs(n_samples=90, centers=3, seed=0)


def _soft_labels() -> tuple[np.ndarray, np.ndarray]:
    X, y = _blobs()
    return X, 0.8 * np.eye(3)[y] + 0.2 / 3


def _binary() -> tuple[np.ndarray, np.ndarray]:
    X, y = nn.data.make_moons(n_samples=80, noise=0.1, seed=0)
    return X, y.astype(float)


def _signs() -> tuple[np.ndarray, np.ndarray]:
    X, y = _binary()
    return X, 2.0 * y - 1.0


def _regression(outputs: int) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    def data() -> tuple[np.ndarray, np.ndarray]:
        X, _ = _binary()
        y = np.column_stack([np.sin(X[:, 0]), X[:, 0] * X[:, 1]])[:, :outputs]
        return X, y[:, 0] if outputs == 1 else y

    return data


# (loss, data, model sizes after the 2 inputs, output activation)
CASES: dict[str, tuple[Any, Callable[[], tuple[np.ndarray, np.ndarray]], list[int], Any]] = {
    "cross_entropy": (nn.cross_entropy, _blobs, [6, 3], None),
    "cross_entropy_sum": (
        functools.partial(nn.cross_entropy, reduction="sum"),
        _blobs,
        [6, 3],
        None,
    ),
    "cross_entropy_probabilities": (nn.cross_entropy, _soft_labels, [6, 3], None),
    "sse": (nn.sse, _regression(2), [6, 2], None),
    "mse": (nn.mse, _regression(2), [6, 2], None),
    "mse_one_output": (nn.mse, _regression(1), [6, 1], None),
    "sse_mean": (functools.partial(nn.sse, reduction="mean"), _regression(2), [6, 2], None),
    "binary_cross_entropy": (nn.binary_cross_entropy, _binary, [6, 1], "sigmoid"),
    "binary_cross_entropy_with_logits": (
        nn.binary_cross_entropy_with_logits,
        _binary,
        [6, 1],
        None,
    ),
    "hinge": (nn.hinge, _signs, [6, 1], None),
    "custom_loss": (lambda o, t: nn.mse(o, t) + nn.hinge(o, t), _signs, [6, 1], None),
}


def _train(case: str, optimizer: str, compile: bool, batch_size: int | None = 16) -> Any:
    loss, data, sizes, output_activation = CASES[case]
    X, y = data()
    model = nn.MLP(2, sizes, activation="tanh", output_activation=output_activation, seed=3)
    history = nn.fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=OPTIMIZERS[optimizer](model.parameters()),
        epochs=3,
        batch_size=batch_size,
        validation_data=(X[:25], y[:25]),
        seed=4,
        progress=False,
        compile=compile,
    )
    return history, np.array([p.data for p in model.parameters()])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_compiled_fit_follows_the_eager_trajectory_for_every_optimizer(optimizer: str) -> None:
    eager, eager_params = _train("cross_entropy", optimizer, compile=False)
    compiled, compiled_params = _train("cross_entropy", optimizer, compile=True)
    np.testing.assert_allclose(compiled_params, eager_params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled.loss, eager.loss, rtol=1e-9)
    assert compiled.metrics["accuracy"] == eager.metrics["accuracy"]


@pytest.mark.parametrize("case", CASES)
def test_compiled_fit_follows_the_eager_trajectory_for_every_loss(case: str) -> None:
    eager, eager_params = _train(case, "adam", compile=False)
    compiled, compiled_params = _train(case, "adam", compile=True)
    np.testing.assert_allclose(compiled_params, eager_params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled.loss, eager.loss, rtol=1e-9)
    np.testing.assert_allclose(compiled.val_loss, eager.val_loss, rtol=1e-9)
    assert compiled.metrics == eager.metrics
    assert compiled.to_dict().keys() == eager.to_dict().keys()


@pytest.mark.parametrize("batch_size", [1, None])
def test_compiled_fit_matches_stochastic_and_full_batch_training(batch_size: int | None) -> None:
    _, eager_params = _train("hinge", "sgd", compile=False, batch_size=batch_size)
    _, compiled_params = _train("hinge", "sgd", compile=True, batch_size=batch_size)
    np.testing.assert_allclose(compiled_params, eager_params, rtol=1e-9, atol=1e-12)


def test_compiled_fit_refuses_a_saturated_probability_as_eager_fit_does() -> None:
    X, y = _binary()
    messages = []
    for compile in (False, True):
        model = nn.MLP(2, [1], output_activation="sigmoid", seed=0)
        model.parameters()[-1].data = 1e3  # a bias that saturates the sigmoid: p == 1.0
        before = [p.data for p in model.parameters()]
        with pytest.raises(ValueError, match=r"probability is 1.0") as info:
            nn.fit(
                model,
                X,
                y,
                loss=nn.binary_cross_entropy,
                epochs=1,
                progress=False,
                optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
                compile=compile,
            )
        assert [p.data for p in model.parameters()] == before
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_a_model_that_branches_on_its_values_cannot_be_compiled() -> None:
    class Branchy(nn.Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

        def forward(self, x: Any) -> Value:
            out = self.w * x[0]
            return out if out > 0 else -out

    X, y = _regression(1)()
    model = Branchy()
    with pytest.raises(TypeError, match="while tracing"):
        nn.fit(
            model,
            X,
            y,
            loss=nn.mse,
            optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
            compile=True,
        )
    assert autograd.compile(lambda x: x * 2.0, 1.0)(np.ones(2)).tolist() == [2.0, 2.0]
