"""The array update rules (``sgd_arrays``, ``adam_arrays``, ``rmsprop_arrays``,
``adagrad_arrays``) against the per-float rules they vectorise: bit for bit equal
(compared as int64 bit patterns, so even the sign of a zero counts) over 20 steps,
for a grid of every option, with the learning rate changed between steps by a
scheduler."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn.optim import (
    SGD,
    CosineAnnealingLR,
    adagrad,
    adagrad_arrays,
    adam,
    adam_arrays,
    rmsprop,
    rmsprop_arrays,
    sgd,
    sgd_arrays,
)

N = 24
STEPS = 20


def assert_bits_equal(floats: list[float] | None, array: np.ndarray | None) -> None:
    if floats is None or array is None:
        assert floats is None and array is None
        return
    expected = np.array(floats, dtype=np.float64)
    assert array.dtype == np.float64 and array.shape == expected.shape
    assert np.array_equal(expected.view(np.int64), array.view(np.int64))


def data(seed: int, zeros: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """Start values and 20 gradients: mixed scales, exact zeros and negative zeros
    (where a rounding-order or sign-of-zero slip would show)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=N) * np.exp(rng.uniform(-6, 3, size=N))
    theta[:2] = (0.0, -0.0)
    grads = []
    for _ in range(STEPS):
        g = rng.normal(size=N) * np.exp(rng.uniform(-8, 4, size=N))
        if zeros:
            g[2:4] = (0.0, -0.0)
        g[4] = 1e-3  # the same gradient every step: RMSprop's centred variance ~ 0
        grads.append(g)
    return theta, grads


def scheduled_lrs(lr: float) -> list[float]:
    """The learning rates a CosineAnnealingLR hands an optimizer over 20 steps."""
    optimizer = SGD([Value(0.0)], lr=lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=7, eta_min=lr / 10)
    out = []
    for _ in range(STEPS):
        out.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    return out


def grid(**options: list[Any]) -> list[dict[str, Any]]:
    return [dict(zip(options, values)) for values in itertools.product(*options.values())]


def run(
    step_floats: Callable[..., tuple[list[float], dict[str, Any]]],
    step_arrays: Callable[..., tuple[np.ndarray, dict[str, Any]]],
    lr: float,
    seed: int,
    zeros: bool = True,
) -> None:
    """Drive both rules 20 steps from the same data, comparing after every step."""
    theta, grads = data(seed, zeros)
    xs, xa = theta.tolist(), theta.copy()
    state_f: dict[str, Any] = {}
    state_a: dict[str, Any] = {}
    for t, (g, step_lr) in enumerate(zip(grads, scheduled_lrs(lr)), start=1):
        g_before = g.copy()
        xs, state_f = step_floats(xs, g.tolist(), state_f, t, step_lr)
        xa_before = xa.copy()
        new, state_a = step_arrays(xa, g, state_a, t, step_lr)
        # the arguments are not written: a caller can still refuse the step
        assert np.array_equal(xa_before.view(np.int64), xa.view(np.int64))
        assert np.array_equal(g_before.view(np.int64), g.view(np.int64))
        xa = new
        assert_bits_equal(xs, xa)
        assert sorted(state_f) == sorted(state_a)
        for key in state_f:
            assert_bits_equal(state_f[key], state_a[key])


SGD_GRID = [
    o
    for o in grid(
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.3],
        weight_decay=[0.0, 0.05],
        nesterov=[False, True],
        maximize=[False, True],
    )
    if not (o["nesterov"] and (o["momentum"] == 0 or o["dampening"] != 0))
]


@pytest.mark.parametrize("options", SGD_GRID, ids=str)
def test_sgd_arrays_equal_sgd_bit_for_bit(options: dict[str, Any]) -> None:
    def floats(x: list[float], g: list[float], s: dict[str, Any], t: int, lr: float) -> Any:
        new, buf = sgd(x, g, s.get("momentum_buffer"), lr=lr, **options)
        return new, {} if buf is None else {"momentum_buffer": buf}

    def arrays(x: np.ndarray, g: np.ndarray, s: dict[str, Any], t: int, lr: float) -> Any:
        new, buf = sgd_arrays(x, g, s.get("momentum_buffer"), lr=lr, **options)
        return new, {} if buf is None else {"momentum_buffer": buf}

    run(floats, arrays, lr=0.05, seed=1)


ADAM_GRID = grid(
    betas=[(0.9, 0.999), (0.5, 0.7)],
    eps=[1e-8, 0.0],
    weight_decay=[0.0, 0.05],
    amsgrad=[False, True],
    maximize=[False, True],
    decoupled_weight_decay=[False, True],
)


@pytest.mark.parametrize("options", ADAM_GRID, ids=str)
def test_adam_arrays_equal_adam_bit_for_bit(options: dict[str, Any]) -> None:
    keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def floats(x: list[float], g: list[float], s: dict[str, Any], t: int, lr: float) -> Any:
        return adam(x, g, *(s.get(k) for k in keys), step=t, lr=lr, **options)

    def arrays(x: np.ndarray, g: np.ndarray, s: dict[str, Any], t: int, lr: float) -> Any:
        return adam_arrays(x, g, *(s.get(k) for k in keys), step=t, lr=lr, **options)

    # eps = 0 with a gradient that was always exactly 0 divides 0 by 0: leave those out
    run(floats, arrays, lr=0.01, seed=2, zeros=bool(options["eps"]))


RMSPROP_GRID = grid(
    alpha=[0.99, 0.6],
    weight_decay=[0.0, 0.05],
    momentum=[0.0, 0.9],
    centered=[False, True],
    maximize=[False, True],
)


@pytest.mark.parametrize("options", RMSPROP_GRID, ids=str)
def test_rmsprop_arrays_equal_rmsprop_bit_for_bit(options: dict[str, Any]) -> None:
    keys = ("square_avg", "grad_avg", "momentum_buffer")

    def floats(x: list[float], g: list[float], s: dict[str, Any], t: int, lr: float) -> Any:
        return rmsprop(x, g, *(s.get(k) for k in keys), lr=lr, eps=1e-8, **options)

    def arrays(x: np.ndarray, g: np.ndarray, s: dict[str, Any], t: int, lr: float) -> Any:
        return rmsprop_arrays(x, g, *(s.get(k) for k in keys), lr=lr, eps=1e-8, **options)

    run(floats, arrays, lr=0.01, seed=4)


ADAGRAD_GRID = grid(
    lr_decay=[0.0, 0.1],
    weight_decay=[0.0, 0.05],
    eps=[1e-10, 0.5],
    initial_accumulator_value=[0.0, 0.25],
    maximize=[False, True],
)


@pytest.mark.parametrize("options", ADAGRAD_GRID, ids=str)
def test_adagrad_arrays_equal_adagrad_bit_for_bit(options: dict[str, Any]) -> None:
    rule = {k: v for k, v in options.items() if k != "initial_accumulator_value"}
    start = options["initial_accumulator_value"]

    def floats(x: list[float], g: list[float], s: dict[str, Any], t: int, lr: float) -> Any:
        new, sums = adagrad(x, g, s.get("sum", [start] * N), step=t, lr=lr, **rule)
        return new, {"sum": sums}

    def arrays(x: np.ndarray, g: np.ndarray, s: dict[str, Any], t: int, lr: float) -> Any:
        new, sums = adagrad_arrays(x, g, s.get("sum", np.full(N, start)), step=t, lr=lr, **rule)
        return new, {"sum": sums}

    run(floats, arrays, lr=0.1, seed=5)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop_arrays_clamps_a_negative_variance_as_rmsprop(momentum: float) -> None:
    """Averages where v - a^2 rounds below 0 (where torch would take sqrt of a
    negative): both rules clamp it to 0, to the same bits."""
    rng = np.random.default_rng(9)
    a = rng.normal(size=200)
    v = a * a * (1.0 - 1e-16 * rng.uniform(size=200))  # v ~ a^2, a hair either side
    g = a.copy()  # a gradient equal to the mean keeps the variance ~ 0
    spread = 0.9 * v + 0.1 * g * g - (0.9 * a + 0.1 * g) ** 2
    assert (spread < 0).any() and (spread >= 0).any()  # the clamp is exercised
    x = rng.normal(size=200)
    options = dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.0, momentum=momentum)
    options.update(centered=True, maximize=False)
    buf = rng.normal(size=200)
    new, state = rmsprop(x.tolist(), g.tolist(), v.tolist(), a.tolist(), buf.tolist(), **options)
    new_a, state_a = rmsprop_arrays(x, g, v, a, buf, **options)
    assert_bits_equal(new, new_a)
    for key in state:
        assert_bits_equal(state[key], state_a[key])
