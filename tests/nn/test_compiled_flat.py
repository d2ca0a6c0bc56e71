"""fit(compile=True) keeps the parameters in flat arrays (autograd.FlatParameters) while
it trains: what a user sees of them in a callback, after Ctrl-C, after an error, and
after the run."""

from __future__ import annotations

import signal

import numpy as np
import pytest

import nn
from autograd import Value


def _data() -> tuple[np.ndarray, np.ndarray]:
    return nn.data.make_blobs(n_samples=40, centers=3, n_features=4, seed=2)


def _trained(epochs: int, compile: bool, callbacks: list[nn.Callback] | None = None):
    X, y = _data()
    model = nn.MLP(4, [6, 3], seed=1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=optimizer, epochs=epochs,
        batch_size=8, progress=False, seed=0, compile=compile, callbacks=callbacks,
    )  # fmt: skip
    return model, optimizer


class _Watch(nn.Callback):
    """Records what a user reads of the parameters after each epoch."""

    def __init__(self) -> None:
        self.seen: list[list[float]] = []

    def on_epoch_end(self, run: nn.Run) -> None:
        self.seen.append([p.data for p in run.model.parameters()])


def test_a_callback_reads_the_parameters_of_that_epoch():
    watch = _Watch()
    model, _ = _trained(3, compile=True, callbacks=[watch])
    for epochs in (1, 2):  # a run stopped there ends where the longer run was
        shorter, _ = _trained(epochs, compile=True)
        assert watch.seen[epochs - 1] == [p.data for p in shorter.parameters()]
    assert watch.seen[2] == [p.data for p in model.parameters()]


def test_after_the_run_the_parameters_are_plain_values_on_the_eager_trajectory():
    compiled, compiled_opt = _trained(3, compile=True)
    eager, eager_opt = _trained(3, compile=False)
    assert all(type(p) is Value for p in compiled.parameters())
    np.testing.assert_allclose(
        [p.data for p in compiled.parameters()], [p.data for p in eager.parameters()], rtol=1e-9
    )
    assert compiled_opt.state_dict()["param_groups"] == eager_opt.state_dict()["param_groups"]


def test_after_ctrl_c_the_model_is_whole_and_holds_the_last_steps_numbers():
    X, y = _data()
    model = nn.MLP(4, [6, 3], seed=1)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    original, seen = optimizer.step, []

    def step_then_signal() -> None:
        original()
        seen.append([p.data for p in model.parameters()])
        if len(seen) == 3:
            signal.raise_signal(signal.SIGINT)

    optimizer.step = step_then_signal  # type: ignore[method-assign]
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=optimizer, epochs=4, batch_size=8,
        progress=False, seed=0, compile=True,
    )  # fmt: skip
    assert history.stop_reason == "interrupted"
    assert all(type(p) is Value for p in model.parameters())
    assert [p.data for p in model.parameters()] == seen[-1]


def test_after_an_error_mid_epoch_the_model_holds_the_steps_before_it():
    X, y = _data()
    model = nn.MLP(4, [6, 3], seed=1)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    original, seen = optimizer.step, []

    def step_then_fail() -> None:
        if len(seen) == 2:
            raise ValueError("a failing step")
        original()
        seen.append([p.data for p in model.parameters()])

    optimizer.step = step_then_fail  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="epoch 0, batch 2: a failing step"):
        nn.fit(
            model, X, y, loss=nn.cross_entropy, optimizer=optimizer, epochs=2, batch_size=8,
            progress=False, seed=0, compile=True,
        )  # fmt: skip
    assert all(type(p) is Value for p in model.parameters())
    assert [p.data for p in model.parameters()] == seen[-1]
