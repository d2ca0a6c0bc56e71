"""Shared by the optimizer tests: a test gradient, numpy references of the update
rules written from the torch doc pages, and one registry of optimizers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

Array = np.ndarray[Any, np.dtype[np.float64]]
RefStep = Callable[[Array, Array, int, dict[str, Array]], Array]
Factory = Callable[[list[Value]], Optimizer]

THETA0 = np.array([0.5, -1.2, 2.0, 0.0, -0.3])
CENTRE = np.array([1.0, 2.0, -1.0, 0.5, 0.0])
SCALE = np.array([1.0, 3.0, 0.5, 2.0, 1.5])
STEPS = 25


def gradient(theta: Array, t: int) -> Array:
    """A quadratic bowl's gradient plus a decaying oscillation: varying sign and size,
    large early and small late (so AMSGrad's running max differs from Adam's v)."""
    wobble = 3.0 * math.exp(-t / 5.0) * np.sin(1.3 * t + np.arange(theta.size))
    return SCALE * (theta - CENTRE) + wobble


# ---------------------------------------------------------------- numpy references
# Written from the update rules on the torch doc pages, vectorised over parameters.


def sgd_ref(
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
    maximize: bool = False,
) -> RefStep:
    def step(theta: Array, grad: Array, t: int, s: dict[str, Array]) -> Array:
        g = -grad if maximize else grad
        g = g + weight_decay * theta
        if momentum:
            s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
            g = g + momentum * s["b"] if nesterov else s["b"]
        return theta - lr * g

    return step


def adam_ref(
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    decoupled: bool = False,
) -> RefStep:
    b1, b2 = betas

    def step(theta: Array, grad: Array, t: int, s: dict[str, Array]) -> Array:
        g = -grad if maximize else grad
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        s["m"] = b1 * s.get("m", 0 * theta) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * theta) + (1 - b2) * g**2
        v = s["v"]
        if amsgrad:
            s["vmax"] = np.maximum(s.get("vmax", 0 * theta), s["v"])
            v = s["vmax"]
        m_hat = s["m"] / (1 - b1**t)
        return theta - lr * m_hat / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)

    return step


def rmsprop_ref(
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
) -> RefStep:
    def step(theta: Array, grad: Array, t: int, s: dict[str, Array]) -> Array:
        g = -grad if maximize else grad
        g = g + weight_decay * theta
        s["v"] = alpha * s.get("v", 0 * theta) + (1 - alpha) * g**2
        v = s["v"]
        if centered:
            s["a"] = alpha * s.get("a", 0 * theta) + (1 - alpha) * g
            v = v - s["a"] ** 2
        denom = np.sqrt(v) + eps
        if momentum > 0:
            s["b"] = momentum * s.get("b", 0 * theta) + g / denom
            return theta - lr * s["b"]
        return theta - lr * g / denom

    return step


def adagrad_ref(
    lr: float,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
) -> RefStep:
    def step(theta: Array, grad: Array, t: int, s: dict[str, Array]) -> Array:
        g = -grad if maximize else grad
        clr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * theta
        s["sum"] = s.get("sum", np.full_like(theta, initial_accumulator_value)) + g**2
        return theta - clr * g / (np.sqrt(s["sum"]) + eps)

    return step


def reference_trajectory(ref: RefStep, steps: int = STEPS) -> list[Array]:
    theta, state, out = THETA0.copy(), {}, []
    for t in range(1, steps + 1):
        theta = ref(theta, gradient(theta, t), t, state)
        out.append(theta)
    return out


def assert_follows(make: Factory, ref: RefStep, without: RefStep | None) -> None:
    """The optimizer's trajectory on `gradient` is the reference's, step by step."""
    expected = reference_trajectory(ref)
    params = [Value(x) for x in THETA0]
    opt = make(params)
    for t, want in enumerate(expected, start=1):
        current = np.array([p.data for p in params])
        for p, g in zip(params, gradient(current, t)):
            p.grad = float(g)
        opt.step()
        got = np.array([p.data for p in params])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13, err_msg=f"step {t}")
    if without is not None:
        # The option under test must change the trajectory, or the case proves nothing.
        assert not np.allclose(reference_trajectory(without)[-1], expected[-1], atol=1e-6)


def cases(*entries: tuple[str, Factory, RefStep, RefStep | None]) -> list[Any]:
    """(name, optimizer factory, reference, reference without the option) as params."""
    return [pytest.param(make, ref, without, id=name) for name, make, ref, without in entries]


# One of each optimizer, with its options on: the registry the generic tests run over.
OPTIMIZERS: dict[str, Factory] = {
    "sgd": lambda p: SGD(p, lr=0.1, momentum=0.9),
    "adam": lambda p: Adam(p, lr=0.1, amsgrad=True),
    "adamw": lambda p: AdamW(p, lr=0.1),
    "rmsprop": lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda p: Adagrad(p, lr=0.1),
}
EVERY_OPTIMIZER = [pytest.param(make, id=name) for name, make in OPTIMIZERS.items()]


def trained(make: Factory, labels: bool = True) -> tuple[list[Value], Optimizer]:
    """Parameters (labelled w0, w1, ... unless `labels` is False) after three steps."""
    params = [Value(x, label=f"w{i}" if labels else "") for i, x in enumerate(THETA0)]
    opt = make(params)
    for t in range(1, 4):
        for p, g in zip(params, gradient(np.array([p.data for p in params]), t)):
            p.grad = float(g)
        opt.step()
    return params, opt
