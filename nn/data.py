"""Seeded toy datasets, a train/test split, and mini-batches for one epoch.

Every generator returns numpy arrays ``(X, y)``: ``X`` float64 of shape
``(n_samples, n_features)``, ``y`` int64 class labels of shape ``(n_samples,)`` (or
float64 targets for the regression set `water_heater`). The same ``seed`` gives the
same arrays; classes get equal shares of the samples (sizes differ by at most one)
and, except for `xor`, the samples come shuffled.

`batches` walks a dataset once, in the three regimes the gradient-descent story
names: the whole set at once (batch gradient descent, ``batch_size=None``), one
sample at a time (stochastic gradient descent, ``batch_size=1``), or mini-batches.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nn import _checks as checks

__all__ = [
    "batches",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "train_test_split",
    "water_heater",
    "xor",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

# The water heater's mixing model (see `water_heater`).
T_HOT = 60.0  # degC, water from the heater
T_COLD = 15.0  # degC, water from the mains
K_HOT = 8.0  # litres per minute the hot pipe usually brings through a fully open valve
K_COLD = 12.0  # litres per minute the cold pipe usually brings through a fully open valve


def _shares(n: int, k: int) -> list[int]:
    """n split into k sizes that differ by at most one, the larger ones first."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _shuffled(rng: np.random.Generator, X: Floats, y: Ints) -> tuple[Floats, Ints]:
    order = rng.permutation(len(y))
    return X[order], y[order]


# ---------------------------------------------------------------- classification sets


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = None
) -> tuple[Floats, Ints]:
    """Two interleaving half circles (2 classes, 2 features).

    Class 0 lies on the upper half of the unit circle, ``(cos t, sin t)``; class 1 on
    a lower half circle shifted right and up, ``(1 - cos t, 0.5 - sin t)``; t runs
    evenly over [0, pi]. Gaussian noise of standard deviation ``noise`` is added to
    every coordinate. Class sizes: ceil(n/2) for class 0, floor(n/2) for class 1.
    """
    n = checks.integer("make_moons", "n_samples", n_samples, minimum=2)
    sd = checks.nonnegative("make_moons", "noise", noise)
    rng = checks.rng("make_moons", "seed", seed)
    n0, n1 = _shares(n, 2)
    t0, t1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    X = X + sd * rng.standard_normal(X.shape)
    return _shuffled(rng, X, y)


def make_circles(
    n_samples: int = 100,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> tuple[Floats, Ints]:
    """Two concentric circles (2 classes, 2 features).

    Class 0 lies on the circle of radius 1, class 1 on the circle of radius
    ``factor`` (0 < factor < 1), each at evenly spaced angles ``2 pi k / n_class``.
    Gaussian noise of standard deviation ``noise`` is added to every coordinate.
    """
    n = checks.integer("make_circles", "n_samples", n_samples, minimum=2)
    sd = checks.nonnegative("make_circles", "noise", noise)
    f = checks.fraction("make_circles", "factor", factor)
    rng = checks.rng("make_circles", "seed", seed)
    n0, n1 = _shares(n, 2)
    a0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    a1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    X = np.concatenate(
        [
            np.column_stack([np.cos(a0), np.sin(a0)]),
            f * np.column_stack([np.cos(a1), np.sin(a1)]),
        ]
    )
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    X = X + sd * rng.standard_normal(X.shape)
    return _shuffled(rng, X, y)


SPIRAL_TURN = 4.0  # radians an arm turns from its inner end (r = 0.1) to its outer end (r = 1)


def make_spirals(
    n_samples: int = 300,
    classes: int = 3,
    noise: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> tuple[Floats, Ints]:
    """Interleaved spiral arms, one per class (2 features).

    Arm j has points at radii r evenly spaced over [0.1, 1] and angles
    ``theta = 2 pi j / classes + 4 (r - 0.1) / 0.9 + noise * N(0, 1)``, so the arms
    start a 1/classes turn apart and each turns 4 radians; the point is
    ``(r cos theta, r sin theta)``. Here ``noise`` is the standard deviation of the
    angle (in radians), which keeps the points on their arm's radius.
    """
    n = checks.integer("make_spirals", "n_samples", n_samples, minimum=2)
    k = checks.integer("make_spirals", "classes", classes, minimum=2)
    if n < k:
        raise ValueError(f"make_spirals: n_samples={n} < classes={k}; every class needs a sample")
    sd = checks.nonnegative("make_spirals", "noise", noise)
    rng = checks.rng("make_spirals", "seed", seed)
    sizes = _shares(n, k)
    r = np.concatenate([np.linspace(0.1, 1.0, m) for m in sizes])
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    theta = 2.0 * np.pi * y / k + SPIRAL_TURN * (r - 0.1) / 0.9
    theta = theta + sd * rng.standard_normal(n)
    X = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return _shuffled(rng, X, y)


def make_blobs(
    n_samples: int = 100,
    centers: int | ArrayLike = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    seed: int | np.random.Generator | None = None,
) -> tuple[Floats, Ints]:
    """Gaussian clusters, one per class.

    ``centers`` is a count (the centers are then drawn uniformly from the box
    [-10, 10]^n_features) or an array of shape (k, n_features) of given centers.
    Class j's points are its center plus ``cluster_std * N(0, I)``.
    """
    n = checks.integer("make_blobs", "n_samples", n_samples, minimum=1)
    d = checks.integer("make_blobs", "n_features", n_features, minimum=1)
    sd = checks.nonnegative("make_blobs", "cluster_std", cluster_std)
    rng = checks.rng("make_blobs", "seed", seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = checks.integer("make_blobs", "centers", centers, minimum=1)
        points = rng.uniform(-10.0, 10.0, size=(k, d))
    else:
        points = np.asarray(centers, dtype=np.float64)
        if points.ndim != 2 or points.shape[0] < 1 or points.shape[1] != d:
            raise ValueError(
                f"make_blobs: centers must be an int or an array of shape (k, {d}), got "
                f"shape {points.shape}"
            )
        if not np.all(np.isfinite(points)):
            raise ValueError("make_blobs: centers must be finite")
        k = points.shape[0]
    if n < k:
        raise ValueError(f"make_blobs: n_samples={n} < {k} centers; every class needs a sample")
    sizes = _shares(n, k)
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    X = points[y] + sd * rng.standard_normal((n, d))
    return _shuffled(rng, X, y)


def xor(
    n_samples: int = 4, noise: float = 0.0, seed: int | np.random.Generator | None = None
) -> tuple[Floats, Ints]:
    """The XOR problem: the corners of the unit square, labelled x1 XOR x2.

    Sample i sits at corner ``i % 4`` of (0, 0), (0, 1), (1, 0), (1, 1), with labels
    0, 1, 1, 0, plus Gaussian noise of standard deviation ``noise`` on each
    coordinate; the defaults give exactly the four corners, in that order.
    """
    n = checks.integer("xor", "n_samples", n_samples, minimum=4)
    sd = checks.nonnegative("xor", "noise", noise)
    rng = checks.rng("xor", "seed", seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    X = corners[which] + sd * rng.standard_normal((n, 2))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[which]
    return X, y


# ---------------------------------------------------------------- regression set


def _valves(where: str, valves: Any) -> tuple[float, float]:
    """The two valve openings (hot, cold), each a finite number in (0, 1]."""
    if isinstance(valves, (str, bytes)) or not hasattr(valves, "__len__") or len(valves) != 2:
        checks.fail(
            where, "valves", valves, "a pair (hot, cold) of openings in (0, 1]", error=TypeError
        )
    hot, cold = (
        checks.real(where, f"{name} valve opening", value, low=0.0, high=1.0, low_open=True)
        for name, value in zip(("hot", "cold"), valves)
    )
    return hot, cold


def water_heater(
    n_samples: int = 100,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    valves: tuple[float, float] = (0.6, 0.4),
) -> tuple[Floats, Floats]:
    """Hot and cold water in, through two valves, temperature and flow out: a shower.

    The course's water heater as a network: the two inputs are the water the hot and
    the cold pipe bring, the valve openings ``valves = (hot, cold)`` (0 shut, 1 fully
    open) are the weights, and where the pipes join the water is added up::

        flow_hot  = hot  * X[:, 0]      (water at T_HOT = 60 degC)
        flow_cold = cold * X[:, 1]      (water at T_COLD = 15 degC)
        flow        = flow_hot + flow_cold                                     [L/min]
        temperature = (T_HOT * flow_hot + T_COLD * flow_cold) / flow           [degC]

    ``X[:, 0]`` and ``X[:, 1]`` are the litres per minute each pipe brings through a
    fully open valve. They vary with the supply pressure: uniform from half to one and
    a half times the usual 8 L/min (hot, K_HOT) and 12 L/min (cold, K_COLD). ``y[:, 0]``
    is the temperature and ``y[:, 1]`` the flow, each plus Gaussian noise of standard
    deviation ``noise`` (in degC and L/min). The flow is a linear neuron without bias
    whose weights are the openings; the temperature depends only on the ratio of the
    two flows, so no linear model fits it. More hot water in makes the shower hotter and
    stronger; more cold water, colder and stronger.
    """
    n = checks.integer("water_heater", "n_samples", n_samples, minimum=1)
    sd = checks.nonnegative("water_heater", "noise", noise)
    rng = checks.rng("water_heater", "seed", seed)
    hot, cold = _valves("water_heater", valves)
    X = rng.uniform(0.5, 1.5, size=(n, 2)) * np.array([K_HOT, K_COLD])
    flow_hot, flow_cold = hot * X[:, 0], cold * X[:, 1]
    flow = flow_hot + flow_cold
    temperature = (T_HOT * flow_hot + T_COLD * flow_cold) / flow
    y = np.column_stack([temperature, flow]) + sd * rng.standard_normal((n, 2))
    return X, y


# ---------------------------------------------------------------- splitting and batching


def load_digits() -> tuple[Floats, Ints]:
    """The 8x8 handwritten digits: 1,797 images of the digits 0-9 (about 180 of each).

    Returns ``X`` of shape (1797, 64), float64 in [0, 1]: each row one image, its 8
    rows of 8 pixels one after the other (``X[i].reshape(8, 8)`` to draw it), the
    original ink counts 0..16 divided by 16; and ``y``, int64 labels 0..9. The data
    are scikit-learn's bundled copy of the UCI optical digits test set: no download,
    but scikit-learn must be installed. The order is scikit-learn's (not shuffled):
    split it with `train_test_split`.
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_digits
    except ImportError:
        raise ImportError(
            "nn.data.load_digits needs scikit-learn, which ships the digits inside its "
            "package: pip install scikit-learn (or pip install 'backproplab[notebooks]')"
        ) from None
    digits = _sklearn_digits()
    X = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.int64)
    return X, y


def _paired(where: str, X: ArrayLike, y: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    Xa, ya = np.asarray(X), np.asarray(y)
    if Xa.ndim == 0 or ya.ndim == 0:
        raise ValueError(f"{where}: X and y must be arrays of samples, got scalars")
    if len(Xa) != len(ya):
        raise ValueError(f"{where}: X has {len(Xa)} samples but y has {len(ya)}; they must match")
    if len(Xa) == 0:
        raise ValueError(f"{where}: got no samples")
    return Xa, ya


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: float | int = 0.2,
    seed: int | np.random.Generator | None = None,
    stratify: bool = False,
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Shuffle and split into ``X_train, X_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1) (the test set gets ceil(fraction * n)
    samples) or a count. Both sides must end up non-empty. With ``stratify=True``
    each class of ``y`` is split in the same proportion: the test share of every
    class is its exact share rounded by the largest-remainder rule, so the class
    counts of each side are within one of proportional.
    """
    where = "train_test_split"
    Xa, ya = _paired(where, X, y)
    n = len(ya)
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = checks.integer(where, "test_size", test_size)
    elif isinstance(test_size, numbers.Real) and not isinstance(test_size, bool):
        n_test = math.ceil(checks.fraction(where, "test_size", test_size) * n)
    else:
        checks.fail(
            where, "test_size", test_size, "a fraction in (0, 1) or a count", error=TypeError
        )
    if not 1 <= n_test <= n - 1:
        raise ValueError(
            f"{where}: test_size={test_size!r} gives {n_test} test and {n - n_test} training "
            f"samples out of {n}; both sides need at least one"
        )
    rng = checks.rng(where, "seed", seed)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        if ya.ndim != 1:
            raise ValueError(f"{where}: stratify needs 1-d class labels, got y of shape {ya.shape}")
        labels, codes = np.unique(ya, return_inverse=True)
        counts = np.bincount(codes, minlength=len(labels))
        exact = counts * n_test / n
        take = np.floor(exact).astype(np.int64)
        # Largest remainders get the seats rounding left over (ties: the larger class).
        leftover = n_test - int(take.sum())
        by_remainder = np.lexsort((-counts, -(exact - take)))
        take[by_remainder[:leftover]] += 1
        test_parts, train_parts = [], []
        for c in range(len(labels)):
            members = rng.permutation(np.flatnonzero(codes == c))
            test_parts.append(members[: take[c]])
            train_parts.append(members[take[c] :])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return Xa[train], Xa[test], ya[train], ya[test]


def batches(
    X: ArrayLike,
    y: ArrayLike,
    batch_size: int | None = None,
    shuffle: bool = True,
    rng: int | np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    """Yield ``(X_batch, y_batch)`` pairs covering the dataset once (one epoch).

    - ``batch_size=None``: one batch of everything (batch gradient descent);
    - ``batch_size=1``: one sample at a time (stochastic gradient descent);
    - ``batch_size=k``: mini-batches of k; the last one is smaller unless
      ``drop_last``. A k larger than the dataset gives one batch, as torch's
      DataLoader; with ``drop_last`` that would leave no batch at all, which is
      refused (``ValueError``) rather than training on nothing.

    Every sample appears exactly once per epoch (``drop_last`` leaves out the
    n % k of the remainder). With ``shuffle``, the order comes from ``rng``: pass
    one numpy Generator for every epoch to get a new order each epoch that is
    still reproducible from its seed; an int seed gives the same order every call.
    Arguments are checked when `batches` is called, not at the first batch.
    """
    where = "batches"
    Xa, ya = _paired(where, X, y)
    n = len(ya)
    size = n if batch_size is None else checks.integer(where, "batch_size", batch_size, minimum=1)
    checks.flag(where, "shuffle", shuffle)
    checks.flag(where, "drop_last", drop_last)
    if drop_last and size > n:
        raise ValueError(
            f"{where}: batch_size={size} > {n} samples with drop_last=True leaves no batch; "
            f"use a smaller batch_size or drop_last=False"
        )
    order = checks.rng(where, "rng", rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % size if drop_last else n
    return _walk(Xa, ya, order, size, stop)


def _walk(
    X: NDArray[Any], y: NDArray[Any], order: NDArray[Any], size: int, stop: int
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    for start in range(0, stop, size):
        chosen = order[start : min(start + size, stop)]
        yield X[chosen], y[chosen]
