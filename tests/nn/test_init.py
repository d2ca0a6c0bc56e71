"""Initialisers: shapes, bounds, moments (over many seeded samples), biases, defaults, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn import init


def _rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def test_shape_is_fan_out_rows_of_fan_in() -> None:
    for initializer in (
        init.uniform(-1, 1),
        init.normal(0.1),
        init.xavier_uniform(),
        init.xavier_normal(),
        init.he_uniform(),
        init.he_normal(),
        init.zeros(),
    ):
        w = initializer(7, 3, _rng())
        assert w.shape == (3, 7)
        assert initializer.biases(7, 3, _rng()).shape == (3,)


def test_uniform_bounds_mean_and_std() -> None:
    w = init.uniform(-0.05, 0.05)(400, 500, _rng())
    assert w.min() >= -0.05 and w.max() < 0.05
    assert w.min() < -0.0499 and w.max() > 0.0499
    # U(a, b): mean (a + b) / 2, std (b - a) / sqrt(12); 200 000 samples
    assert w.mean() == pytest.approx(0.0, abs=2.5e-4)  # 4 standard errors
    assert w.std() == pytest.approx(0.1 / math.sqrt(12), rel=0.01)
    shifted = init.uniform(2.0, 3.0)(100, 100, _rng())
    assert shifted.mean() == pytest.approx(2.5, abs=0.01)


def test_normal_mean_and_std() -> None:
    w = init.normal(0.2, mean=1.0)(400, 500, _rng())
    assert w.mean() == pytest.approx(1.0, abs=0.002)
    assert w.std() == pytest.approx(0.2, rel=0.01)


@pytest.mark.parametrize(("fan_in", "fan_out"), [(10, 30), (300, 200), (1, 1)])
def test_xavier_uniform_limit_and_variance(fan_in: int, fan_out: int) -> None:
    gain = 5.0 / 3.0
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    rng = _rng()
    repeats = max(1, 20000 // (fan_in * fan_out))  # about 20 000 draws in all
    draws = np.concatenate(
        [init.xavier_uniform(gain)(fan_in, fan_out, rng).ravel() for _ in range(repeats)]
    )
    assert np.abs(draws).max() <= limit
    assert np.abs(draws).max() > 0.99 * limit
    # Var U(-l, l) = l^2 / 3 = gain^2 * 2 / (fan_in + fan_out)
    assert draws.var() == pytest.approx(gain**2 * 2.0 / (fan_in + fan_out), rel=0.05)


def test_xavier_normal_std() -> None:
    w = init.xavier_normal(2.0)(300, 500, _rng())
    assert w.mean() == pytest.approx(0.0, abs=0.002)
    assert w.std() == pytest.approx(2.0 * math.sqrt(2.0 / 800), rel=0.01)


def test_he_uniform_limit_and_variance() -> None:
    w = init.he_uniform()(200, 1000, _rng())
    limit = math.sqrt(6.0 / 200)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit
    assert w.var() == pytest.approx(2.0 / 200, rel=0.01)


def test_he_normal_std() -> None:
    w = init.he_normal()(50, 4000, _rng())
    assert w.std() == pytest.approx(math.sqrt(2.0 / 50), rel=0.01)
    assert w.mean() == pytest.approx(0.0, abs=0.003)


def test_biases_zero_for_scaled_initialisers_random_for_plain_ones() -> None:
    for zero_bias in (
        init.xavier_uniform(),
        init.xavier_normal(),
        init.he_uniform(),
        init.he_normal(),
        init.zeros(),
    ):
        assert (zero_bias.biases(5, 1000, _rng()) == 0.0).all()
    b = init.uniform(-0.05, 0.05).biases(5, 1000, _rng())
    assert b.min() >= -0.05 and b.max() < 0.05 and b.std() > 0.02
    assert init.normal(1.0).biases(5, 1000, _rng()).std() == pytest.approx(1.0, rel=0.1)
    assert (init.uniform(-1, 1, biases=False).biases(5, 10, _rng()) == 0.0).all()
    assert (init.normal(1.0, biases=False).biases(5, 10, _rng()) == 0.0).all()


def test_zeros_is_all_zero() -> None:
    assert (init.zeros()(4, 6, _rng()) == 0.0).all()


def test_same_generator_state_same_numbers() -> None:
    for initializer in (
        init.uniform(-1, 1),
        init.normal(1.0),
        init.xavier_normal(),
        init.he_uniform(),
    ):
        a = initializer(6, 4, np.random.default_rng(3))
        b = initializer(6, 4, np.random.default_rng(3))
        c = initializer(6, 4, np.random.default_rng(4))
        assert (a == b).all()
        assert not (a == c).all()


def test_default_for_activation() -> None:
    for name in ("tanh", "sigmoid", "linear", ""):
        assert init.default_for(name) == init.xavier_uniform()
    for name in ("relu", "leaky_relu", "softplus"):
        assert init.default_for(name) == init.he_uniform()


def test_initialisers_are_readable_values() -> None:
    assert repr(init.uniform(-0.05, 0.05)) == "Uniform(a=-0.05, b=0.05, biases_too=True)"
    assert init.xavier_uniform(2.0) == init.XavierUniform(2.0)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: init.uniform(1.0, 1.0), ValueError, "needs a < b"),
        (lambda: init.uniform(0.0, math.inf), ValueError, "finite"),
        (lambda: init.uniform("0", 1.0), TypeError, "a must be a finite number"),
        (lambda: init.normal(0.0), ValueError, "std must be a finite number > 0"),
        (lambda: init.normal(-1.0), ValueError, "must be a finite number > 0"),
        (lambda: init.xavier_uniform(0.0), ValueError, "gain must be a finite number > 0"),
        (lambda: init.xavier_normal(math.nan), ValueError, "finite"),
        (lambda: init.Uniform(1.0, 0.0), ValueError, "uniform: b must be a number > a=1.0"),
        (lambda: init.Normal(-1.0), ValueError, "normal: std must be a finite number > 0"),
        (lambda: init.XavierNormal(0.0), ValueError, "xavier_normal: gain must be"),
        (lambda: init.uniform(-1, 1, biases="no"), TypeError, "biases must be True or False"),
        (lambda: init.normal(1.0, biases=1), TypeError, "biases must be True or False"),
    ],
)
def test_bad_arguments_to_factories_and_classes_are_refused(
    make: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


def test_bad_fans() -> None:
    with pytest.raises(ValueError, match="fan_in must be an int >= 1; got fan_in=0"):
        init.he_uniform()(0, 3, _rng())
    with pytest.raises(TypeError, match=r"fan_out must be an int >= 1; got fan_out=2\.5"):
        init.uniform(-1, 1).biases(3, 2.5, _rng())  # type: ignore[arg-type]


def test_checked_fields_are_stored_as_floats() -> None:
    made = init.uniform(-1, 1)
    assert (type(made.a), type(made.b)) == (float, float)
    assert made == init.Uniform(-1.0, 1.0, True)
