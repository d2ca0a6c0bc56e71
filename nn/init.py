"""Weight initialisers: the numbers a network starts from.

Each factory (``uniform``, ``normal``, ``xavier_uniform``, ``xavier_normal``,
``he_uniform``, ``he_normal``, ``zeros``) returns an `Initializer`, an immutable object
that draws the starting weights of one layer::

    W = init(fan_in, fan_out, rng)          # numpy array, shape (fan_out, fan_in)
    b = init.biases(fan_in, fan_out, rng)   # numpy array, shape (fan_out,)

Row k of ``W`` holds the incoming weights of neuron k. ``fan_in`` is the number of
inputs of the layer, ``fan_out`` the number of its neurons (1 for a stand-alone
`Neuron`). ``rng`` is a ``numpy.random.Generator``; the same generator state gives the
same numbers, which is what makes ``MLP(..., seed=0)`` reproducible.

Biases. The fan-scaled initialisers (Xavier, He) and ``zeros`` start every bias at 0,
as PyTorch's ``nn.init`` recipes do. ``uniform`` and ``normal`` also draw the biases
from their distribution (``biases=True``, the default), because that is what the
classic BP algorithm does: a bias is just a weight on a constant input of 1, and
*every* weight starts small and random, e.g. ``uniform(-0.05, 0.05)``. Pass
``biases=False`` to start them at 0 instead.

Defaults (`default_for`): a layer without an explicit ``init`` uses
``xavier_uniform()`` when its activation is tanh, sigmoid, linear or a custom callable,
and ``he_uniform()`` when it is relu, leaky_relu or softplus. Xavier keeps the variance
of the signal roughly constant through layers of symmetric, roughly linear-at-zero
activations; He doubles it to make up for a ReLU zeroing half its inputs.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nn import _checks as checks

__all__ = [
    "HeNormal",
    "HeUniform",
    "Initializer",
    "Normal",
    "Uniform",
    "XavierNormal",
    "XavierUniform",
    "Zeros",
    "default_for",
    "he_normal",
    "he_uniform",
    "normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Array = NDArray[np.float64]


def _check_fans(fan_in: int, fan_out: int) -> None:
    checks.positive_int("initialiser", "fan_in", fan_in)
    checks.positive_int("initialiser", "fan_out", fan_out)


def _set(initializer: Initializer, **fields: object) -> None:
    """Store checked (normalised) fields on a frozen dataclass, once, in __post_init__."""
    for name, value in fields.items():
        object.__setattr__(initializer, name, value)


class Initializer(ABC):
    """Draws a layer's starting weights: ``init(fan_in, fan_out, rng)`` -> (fan_out, fan_in).

    Subclasses implement `_draw`; `biases` returns zeros unless `_draws_biases` says
    otherwise.
    """

    def __call__(self, fan_in: int, fan_out: int, rng: np.random.Generator) -> Array:
        """The weight matrix of a layer with ``fan_in`` inputs and ``fan_out`` neurons."""
        _check_fans(fan_in, fan_out)
        return self._draw((fan_out, fan_in), fan_in, fan_out, rng)

    def biases(self, fan_in: int, fan_out: int, rng: np.random.Generator) -> Array:
        """The ``fan_out`` starting biases of the layer: zeros unless stated otherwise."""
        _check_fans(fan_in, fan_out)
        if self._draws_biases():
            return self._draw((fan_out,), fan_in, fan_out, rng)
        return np.zeros(fan_out)

    def _draws_biases(self) -> bool:
        """Whether biases come from the same distribution as the weights."""
        return False

    @abstractmethod
    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        """Draw an array of ``shape`` for a layer with the given fans."""


@dataclass(frozen=True)
class Uniform(Initializer):
    """Every weight drawn uniformly from [a, b); biases too unless ``biases_too=False``."""

    a: float
    b: float
    biases_too: bool = True

    def __post_init__(self) -> None:
        a = checks.real("uniform", "a", self.a)
        b = checks.real("uniform", "b", self.b)
        if not a < b:
            checks.fail("uniform", "b", self.b, f"a number > a={a!r}", "uniform(a, b) needs a < b")
        _set(self, a=a, b=b, biases_too=checks.flag("uniform", "biases", self.biases_too))

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        return rng.uniform(self.a, self.b, size=shape)

    def _draws_biases(self) -> bool:
        return self.biases_too


@dataclass(frozen=True)
class Normal(Initializer):
    """Every weight drawn from N(mean, std^2); biases too unless ``biases_too=False``."""

    std: float
    mean: float = 0.0
    biases_too: bool = True

    def __post_init__(self) -> None:
        _set(
            self,
            std=checks.positive("normal", "std", self.std),
            mean=checks.real("normal", "mean", self.mean),
            biases_too=checks.flag("normal", "biases", self.biases_too),
        )

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        return rng.normal(self.mean, self.std, size=shape)

    def _draws_biases(self) -> bool:
        return self.biases_too


@dataclass(frozen=True)
class XavierUniform(Initializer):
    """Glorot & Bengio (2010): U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out)).

    The variance l^2 / 3 = gain^2 * 2 / (fan_in + fan_out) balances the forward and the
    backward signal. Biases start at 0.
    """

    gain: float = 1.0

    def __post_init__(self) -> None:
        _set(self, gain=checks.positive("xavier_uniform", "gain", self.gain))

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        limit = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


@dataclass(frozen=True)
class XavierNormal(Initializer):
    """Glorot & Bengio (2010): N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out)).

    Biases start at 0.
    """

    gain: float = 1.0

    def __post_init__(self) -> None:
        _set(self, gain=checks.positive("xavier_normal", "gain", self.gain))

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        std = self.gain * math.sqrt(2.0 / (fan_in + fan_out))
        return rng.normal(0.0, std, size=shape)


@dataclass(frozen=True)
class HeUniform(Initializer):
    """He et al. (2015), for ReLU-like layers: U(-l, l) with l = sqrt(6 / fan_in).

    Variance 2 / fan_in: a ReLU zeroes about half of its inputs, so the weights carry
    twice the variance Xavier would give. Biases start at 0.
    """

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        limit = math.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)


@dataclass(frozen=True)
class HeNormal(Initializer):
    """He et al. (2015): N(0, s^2) with s = sqrt(2 / fan_in). Biases start at 0."""

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)


@dataclass(frozen=True)
class Zeros(Initializer):
    """Every weight and bias 0. Every neuron of a layer then computes the same thing and
    gets the same gradient, so they never become different: use it for tests or a
    single neuron, not to train a hidden layer."""

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> Array:
        return np.zeros(shape)


# ------------------------------------------------------------------------- factories


def uniform(a: float, b: float, *, biases: bool = True) -> Uniform:
    """Weights uniform in [a, b) (a < b); biases too unless ``biases=False``.

    ``uniform(-0.05, 0.05)`` is the classic BP algorithm's "small random values".
    """
    return Uniform(a, b, biases)


def normal(std: float, mean: float = 0.0, *, biases: bool = True) -> Normal:
    """Weights from N(mean, std^2), std > 0; biases too unless ``biases=False``."""
    return Normal(std, mean, biases)


def xavier_uniform(gain: float = 1.0) -> XavierUniform:
    """U(-l, l), l = gain * sqrt(6 / (fan_in + fan_out)); biases 0."""
    return XavierUniform(gain)


def xavier_normal(gain: float = 1.0) -> XavierNormal:
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out)); biases 0."""
    return XavierNormal(gain)


def he_uniform() -> HeUniform:
    """U(-l, l), l = sqrt(6 / fan_in); biases 0."""
    return HeUniform()


def he_normal() -> HeNormal:
    """N(0, s^2), s = sqrt(2 / fan_in); biases 0."""
    return HeNormal()


def zeros() -> Zeros:
    """All weights and biases 0."""
    return Zeros()


_RELU_LIKE = frozenset({"relu", "leaky_relu", "softplus"})


def default_for(activation: str) -> Initializer:
    """The initialiser a layer uses when none is given: He for relu, leaky_relu and
    softplus; Xavier (gain 1) for tanh, sigmoid, linear and anything else."""
    return he_uniform() if activation in _RELU_LIKE else xavier_uniform()
