"""Tests for nn.data: dataset shapes, seeds, balance and geometry; splitting; batching."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nn.data import (
    batches,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    train_test_split,
    water_heater,
    xor,
)

CLASSIFIERS: list[tuple[str, Callable[..., tuple[Any, Any]], int, int]] = [
    # name, generator, default n_samples, default number of classes
    ("moons", make_moons, 100, 2),
    ("circles", make_circles, 100, 2),
    ("spirals", make_spirals, 300, 3),
    ("blobs", make_blobs, 100, 3),
]
IDS = [c[0] for c in CLASSIFIERS]


@pytest.mark.parametrize(("make", "n", "k"), [c[1:] for c in CLASSIFIERS], ids=IDS)
def test_classification_sets_shapes_dtypes_and_balance(
    make: Callable[..., tuple[Any, Any]], n: int, k: int
) -> None:
    X, y = make(seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))
    X, y = make(n_samples=7, seed=0)
    assert len(X) == 7 and np.bincount(y).max() - np.bincount(y).min() <= 1


@pytest.mark.parametrize(
    "make", [make_moons, make_circles, make_spirals, make_blobs, xor, water_heater]
)
def test_same_seed_same_data_other_seed_other_data(make: Callable[..., tuple[Any, Any]]) -> None:
    kwargs = {"noise": 0.1} if make in (xor, water_heater) else {}
    X1, y1 = make(seed=3, **kwargs)
    X2, y2 = make(seed=3, **kwargs)
    X3, _ = make(seed=4, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make", [make_moons, make_circles, make_spirals, make_blobs])
def test_classes_come_shuffled(make: Callable[..., tuple[Any, Any]]) -> None:
    _, y = make(seed=0)
    assert not np.all(np.diff(y) >= 0)


def test_moons_geometry_without_noise() -> None:
    X, y = make_moons(n_samples=101, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == 51 and len(lower) == 50
    # class 0: the upper half of the unit circle centred at (0, 0)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    # class 1: the lower half of the unit circle centred at (1, 0.5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    noisy, _ = make_moons(noise=0.1, seed=0)
    assert np.abs(np.hypot(noisy[:, 0], noisy[:, 1]) - 1.0).max() > 0.05


def test_circles_geometry_without_noise() -> None:
    X, y = make_circles(n_samples=60, noise=0.0, factor=0.3, seed=1)
    radii = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radii[y == 0], 1.0)
    np.testing.assert_allclose(radii[y == 1], 0.3)


def test_spirals_geometry_without_noise() -> None:
    k = 4
    X, y = make_spirals(n_samples=200, classes=k, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [50] * k
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    # On arm j the angle is 2 pi j / k + 4 (r - 0.1) / 0.9 (mod 2 pi).
    expected = 2 * np.pi * y / k + 4 * (r - 0.1) / 0.9
    angle = np.arctan2(X[:, 1], X[:, 0])
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-12)


def test_blobs_given_centers_and_zero_spread() -> None:
    centers = np.array([[0.0, 0.0, 1.0], [5.0, 5.0, 5.0]])
    X, y = make_blobs(n_samples=9, centers=centers, n_features=3, cluster_std=0.0, seed=0)
    assert X.shape == (9, 3)
    np.testing.assert_array_equal(X, centers[y])
    X, y = make_blobs(n_samples=3000, centers=centers, n_features=3, cluster_std=0.5, seed=0)
    for j in range(2):
        np.testing.assert_allclose(X[y == j].mean(axis=0), centers[j], atol=0.05)
        np.testing.assert_allclose(X[y == j].std(axis=0), 0.5, atol=0.05)


def test_xor_corners() -> None:
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    X, y = xor(n_samples=40, noise=0.05, seed=0)
    assert X.shape == (40, 2) and y.dtype == np.int64
    corners = np.round(X).astype(int)
    np.testing.assert_array_equal(y, corners[:, 0] ^ corners[:, 1])
    assert np.bincount(y).tolist() == [20, 20]


def test_water_heater_physics() -> None:
    X, y = water_heater(n_samples=500, seed=0, valves=(0.7, 0.2))
    assert X.shape == (500, 2) and y.shape == (500, 2) and y.dtype == np.float64
    hot_in, cold_in = X[:, 0], X[:, 1]
    assert hot_in.min() >= 4 and hot_in.max() <= 12
    assert cold_in.min() >= 6 and cold_in.max() <= 18
    temperature, flow = y[:, 0], y[:, 1]
    # Independent of the module: the flow is the openings times the water brought in,
    # the temperature the flow-weighted mean of 60 and 15 degC.
    np.testing.assert_allclose(flow, 0.7 * hot_in + 0.2 * cold_in)
    np.testing.assert_allclose(temperature, (60 * 0.7 * hot_in + 15 * 0.2 * cold_in) / flow)
    assert np.all((temperature > 15) & (temperature < 60))


def test_water_heater_usual_supply_half_open_gives_ten_litres_at_33_degrees() -> None:
    # 8 and 12 L/min through half-open valves: 4 L at 60 degC and 6 L at 15 degC
    # make 10 L/min at (240 + 90) / 10 = 33 degC.
    X, y = water_heater(n_samples=2000, seed=3, valves=(0.5, 0.5))
    usual = np.argmin(np.abs(X[:, 0] - 8) + np.abs(X[:, 1] - 12))
    hot_in, cold_in = X[usual]
    assert abs(hot_in - 8) < 0.3 and abs(cold_in - 12) < 0.3
    exact = (60 * 0.5 * hot_in + 15 * 0.5 * cold_in) / (0.5 * hot_in + 0.5 * cold_in)
    assert y[usual, 0] == pytest.approx(exact) and abs(exact - 33) < 1.0
    assert y[usual, 1] == pytest.approx(0.5 * hot_in + 0.5 * cold_in)


def test_water_heater_more_hot_water_is_hotter_more_cold_is_colder() -> None:
    X, y = water_heater(n_samples=300, seed=1)
    hot, cold = X[:, 0], X[:, 1]
    temperature, flow = y[:, 0], y[:, 1]
    # Over every pair (i, j): more hot water and no more cold -> hotter; more cold and
    # no more hot -> colder; more of both -> more water.
    hotter = (hot[:, None] > hot[None, :]) & (cold[:, None] <= cold[None, :])
    colder = (cold[:, None] > cold[None, :]) & (hot[:, None] <= hot[None, :])
    assert hotter.sum() > 1000 and colder.sum() > 1000
    dT = temperature[:, None] - temperature[None, :]
    dF = flow[:, None] - flow[None, :]
    assert np.all(dT[hotter] > 0)
    assert np.all(dT[colder] < 0)
    more_of_both = (hot[:, None] > hot[None, :]) & (cold[:, None] > cold[None, :])
    assert np.all(dF[more_of_both] > 0)


def test_water_heater_opening_a_valve_wider_gives_more_of_its_water() -> None:
    X, narrow = water_heater(n_samples=200, seed=2, valves=(0.3, 0.5))
    X2, wide = water_heater(n_samples=200, seed=2, valves=(0.6, 0.5))
    np.testing.assert_array_equal(X, X2)  # same water in: only the valve changed
    assert np.all(wide[:, 0] > narrow[:, 0]) and np.all(wide[:, 1] > narrow[:, 1])
    np.testing.assert_allclose(wide[:, 1] - narrow[:, 1], 0.3 * X[:, 0])


def test_water_heater_noise() -> None:
    X, clean = water_heater(n_samples=4000, seed=5)
    X2, noisy = water_heater(n_samples=4000, noise=0.5, seed=5)
    np.testing.assert_array_equal(X, X2)
    assert (noisy - clean).std() == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: make_moons(n_samples=1), ValueError, "n_samples"),
        (lambda: make_moons(noise=-0.1), ValueError, "noise"),
        (lambda: make_moons(n_samples=2.5), TypeError, "n_samples"),
        (lambda: make_circles(factor=1.0), ValueError, "factor"),
        (lambda: make_circles(factor=0.0), ValueError, "factor"),
        (lambda: make_spirals(classes=1), ValueError, "classes"),
        (lambda: make_spirals(n_samples=2, classes=3), ValueError, "n_samples"),
        (lambda: make_blobs(n_samples=0), ValueError, "n_samples"),
        (lambda: make_blobs(cluster_std=-1.0), ValueError, "cluster_std"),
        (lambda: make_blobs(centers=np.zeros((2, 3))), ValueError, "shape"),
        (lambda: xor(n_samples=3), ValueError, "n_samples"),
        (lambda: water_heater(n_samples=0), ValueError, "n_samples"),
        (lambda: water_heater(noise=float("nan")), ValueError, "noise"),
        (lambda: water_heater(valves=(0.5, 0.0)), ValueError, "cold valve opening"),
        (lambda: water_heater(valves=(1.5, 0.5)), ValueError, "hot valve opening"),
        (lambda: water_heater(valves=(0.5, float("nan"))), ValueError, "cold valve"),
        (lambda: water_heater(valves=0.5), TypeError, "pair"),
        (lambda: water_heater(valves=(0.5, 0.5, 0.5)), TypeError, "pair"),
        (lambda: water_heater(valves=(True, 0.5)), TypeError, "hot valve"),
        (lambda: make_moons(seed="x"), TypeError, "seed"),
    ],
)
def test_generator_arguments_are_checked(
    call: Callable[[], object], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        call()


# ---------------------------------------------------------------- train_test_split


def test_train_test_split_fraction_and_count() -> None:
    X = np.arange(50, dtype=np.float64).reshape(25, 2)
    y = np.arange(25)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0)
    assert (len(X_tr), len(X_te)) == (20, 5)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)  # a partition
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert len(train_test_split(X, y, test_size=0.21, seed=0)[1]) == 6  # ceil(5.25)
    assert len(train_test_split(X, y, test_size=3, seed=0)[1]) == 3
    again = train_test_split(X, y, test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[3], y_te)
    assert not np.array_equal(train_test_split(X, y, test_size=0.2, seed=1)[3], y_te)


def test_train_test_split_stratified_keeps_proportions() -> None:
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    X = np.arange(100.0)[:, None]
    _, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [18, 9, 3]
    assert np.bincount(y_tr).tolist() == [42, 21, 7]
    np.testing.assert_array_equal(y[X_te[:, 0].astype(int)], y_te)
    # Uneven: 7 test samples over classes of 2, 3, 5 -> shares 1.4, 2.1, 3.5 -> 1, 2, 4
    # (the seat left by rounding down goes to the largest remainder, class 2's)
    y = np.array([0] * 2 + [1] * 3 + [2] * 5)
    _, _, _, y_te = train_test_split(np.zeros((10, 1)), y, test_size=7, seed=0, stratify=True)
    assert np.bincount(y_te, minlength=3).tolist() == [1, 2, 4]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"test_size": 0.0}, "test_size"),
        ({"test_size": 1.0}, "test_size"),
        ({"test_size": 0}, "both sides"),
        ({"test_size": 10}, "both sides"),
        ({"test_size": 0.01}, None),  # ceil(0.1) = 1 test sample: fine
    ],
)
def test_train_test_split_sizes(kwargs: dict[str, Any], pattern: str | None) -> None:
    X, y = np.zeros((10, 2)), np.zeros(10)
    if pattern is None:
        assert len(train_test_split(X, y, seed=0, **kwargs)[1]) == 1
    else:
        with pytest.raises(ValueError, match=pattern):
            train_test_split(X, y, seed=0, **kwargs)


def test_train_test_split_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="X has 5 samples but y has 4"):
        train_test_split(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="1-d"):
        train_test_split(np.zeros((5, 2)), np.zeros((5, 2)), stratify=True)


# ---------------------------------------------------------------- batches


def _data(n: int = 23) -> tuple[Any, Any]:
    X = np.arange(2 * n, dtype=np.float64).reshape(n, 2)
    return X, np.arange(n)


@pytest.mark.parametrize(
    ("batch_size", "sizes"),
    [(None, [23]), (1, [1] * 23), (5, [5, 5, 5, 5, 3]), (23, [23]), (100, [23])],
    ids=["full-batch", "stochastic", "mini-batch", "exact", "larger-than-n"],
)
def test_batches_cover_every_sample_once(batch_size: int | None, sizes: list[int]) -> None:
    X, y = _data()
    got = list(batches(X, y, batch_size=batch_size, rng=0))
    assert [len(b[1]) for b in got] == sizes
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen.tolist()) == list(range(23))
    for bx, by in got:
        np.testing.assert_array_equal(bx[:, 0], 2 * by)  # pairs stay together


def test_batches_drop_last() -> None:
    X, y = _data()
    got = list(batches(X, y, batch_size=5, rng=0, drop_last=True))
    assert [len(b[1]) for b in got] == [5, 5, 5, 5]
    assert len(set(np.concatenate([b[1] for b in got]).tolist())) == 20
    assert len(list(batches(X, y, batch_size=1, drop_last=True))) == 23
    with pytest.raises(ValueError, match="no batch"):
        batches(X, y, batch_size=30, drop_last=True)


def test_batches_reshuffle_each_epoch_and_reproduce_from_a_seed() -> None:
    X, y = _data()

    def epochs(rng: Any) -> list[list[int]]:
        return [
            np.concatenate([b for _, b in batches(X, y, 4, rng=rng)]).tolist() for _ in range(3)
        ]

    first = epochs(np.random.default_rng(7))
    assert first[0] != first[1] != first[2]  # a new order every epoch
    assert epochs(np.random.default_rng(7)) == first  # reproducible from the seed
    fixed = epochs(7)
    assert fixed[0] == fixed[1] == fixed[2]  # an int seed: the same order each call
    assert fixed[0] != list(range(23))


def test_batches_without_shuffle_keep_order() -> None:
    X, y = _data()
    got = np.concatenate([b for _, b in batches(X, y, 6, shuffle=False)])
    assert got.tolist() == list(range(23))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": -2}, ValueError, "batch_size"),
        ({"batch_size": 2.0}, TypeError, "batch_size"),
        ({"batch_size": True}, TypeError, "batch_size"),
        ({"rng": "seed"}, TypeError, "seed"),
    ],
)
def test_batches_arguments_are_checked_at_the_call(
    kwargs: dict[str, Any], error: type[Exception], pattern: str
) -> None:
    X, y = _data()
    with pytest.raises(error, match=pattern):
        batches(X, y, **kwargs)  # no iteration needed: checked before the first batch
    with pytest.raises(ValueError, match="X has 23 samples but y has 22"):
        batches(X, y[:-1])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: make_moons(seed=-1), ValueError, "make_moons: seed must be None, an int >= 0"),
        (lambda: make_moons(seed=True), TypeError, "got seed=True (bool)"),
        (lambda: make_moons(noise="0.1"), TypeError, "convert the text first, e.g. float('0.1')"),
        (lambda: make_moons(noise=10**400), ValueError, "too large for a float"),
        (
            lambda: xor(n_samples=8.0),
            TypeError,
            "xor: n_samples must be an int >= 4; got n_samples=8.0: pass 8",
        ),
        (
            lambda: train_test_split(np.zeros((4, 1)), np.zeros(4), test_size="0.5"),
            TypeError,
            "train_test_split: test_size must be a fraction in (0, 1) or a count",
        ),
        (
            lambda: batches(np.zeros((4, 1)), np.zeros(4), shuffle=1),
            TypeError,
            "batches: shuffle must be True or False; got shuffle=1",
        ),
    ],
)
def test_arguments_are_checked_in_the_one_message_form(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        call()
