"""`Optimizer.step_arrays` (the flat-buffer step) against `Optimizer.step` on Values:
the same bits and the same state, step after step, with two parameter groups and a
scheduler changing the learning rate; mixed with `step`; all or nothing on a
non-finite gradient or update; its argument checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    Optimizer,
    RMSprop,
    StepLR,
)

SIZES = (7, 5)  # two parameter groups
STEPS = 20

Factory = Callable[[list[dict[str, Any]]], Optimizer]

FACTORIES: dict[str, Factory] = {
    "sgd": lambda g: SGD(g, lr=0.05),
    "sgd-nesterov-decay-max": lambda g: SGD(
        g, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True
    ),
    "sgd-dampening": lambda g: SGD(g, lr=0.05, momentum=0.8, dampening=0.25),
    "adam": lambda g: Adam(g, lr=0.01),
    "adam-amsgrad-decay-max": lambda g: Adam(
        g, lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True
    ),
    "adamw-amsgrad": lambda g: AdamW(g, lr=0.01, betas=(0.8, 0.9), amsgrad=True),
    "rmsprop": lambda g: RMSprop(g, lr=0.01),
    "rmsprop-centered-momentum-decay": lambda g: RMSprop(
        g, lr=0.01, centered=True, momentum=0.7, weight_decay=0.05, maximize=True
    ),
    "adagrad": lambda g: Adagrad(
        g, lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1
    ),
}


def setup(name: str, seed: int = 0) -> tuple[Optimizer, list[Value], np.ndarray, list[Any]]:
    """A fresh optimizer over two groups (the second with its own lr), its Values, the
    same start values as a flat array, and two schedulers."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=sum(SIZES))
    theta[0] = -0.0
    values = [Value(float(x), label=f"w{i}") for i, x in enumerate(theta)]
    groups = [{"params": values[: SIZES[0]]}, {"params": values[SIZES[0] :], "lr": 0.003}]
    optimizer = FACTORIES[name](groups)
    schedulers = [StepLR(optimizer, step_size=3, gamma=0.7)]
    schedulers.append(CosineAnnealingLR(optimizer, T_max=6))
    return optimizer, values, theta.copy(), schedulers


def gradients(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(STEPS):
        g = rng.normal(size=sum(SIZES)) * np.exp(rng.uniform(-5, 3, size=sum(SIZES)))
        g[1:3] = (0.0, -0.0)
        out.append(g)
    return out


def bits(x: np.ndarray | list[float]) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


def step_values(optimizer: Optimizer, values: list[Value], g: np.ndarray) -> None:
    for p, gi in zip(values, g.tolist()):
        p.grad = gi
    optimizer.step()


@pytest.mark.parametrize("name", FACTORIES)
def test_step_arrays_equals_step_bit_for_bit(name: str) -> None:
    on_values, values, _, schedulers = setup(name)
    on_arrays, untouched, flat, array_schedulers = setup(name)
    for g in gradients():
        step_values(on_values, values, g)
        on_arrays.step_arrays(flat, g)
        for scheduler in (*schedulers, *array_schedulers):
            scheduler.step()
        assert np.array_equal(bits([p.data for p in values]), bits(flat))
        assert on_arrays.state_dict() == on_values.state_dict()
    # the Values of the array-stepped optimizer are left to the caller
    assert np.array_equal(bits([p.data for p in untouched]), bits(setup(name)[2]))


@pytest.mark.parametrize("name", FACTORIES)
def test_step_and_step_arrays_mix(name: str) -> None:
    """Alternating the two paths on one optimizer (its state moves between lists and
    arrays) follows the all-Values trajectory exactly."""
    reference, ref_values, _, ref_schedulers = setup(name)
    mixed, values, _, schedulers = setup(name)
    for t, g in enumerate(gradients()):
        step_values(reference, ref_values, g)
        if t % 2:
            step_values(mixed, values, g)
        else:
            flat = np.array([p.data for p in values])
            mixed.step_arrays(flat, g)
            for p, x in zip(values, flat.tolist()):
                p.data = x
        for scheduler in (*ref_schedulers, *schedulers):
            scheduler.step()
        assert np.array_equal(bits([p.data for p in ref_values]), bits([p.data for p in values]))
    assert mixed.state_dict() == reference.state_dict()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("name", FACTORIES)
def test_non_finite_gradient_is_refused_before_anything_is_written(name: str, bad: float) -> None:
    optimizer, _, flat, _ = setup(name)
    grads = gradients()
    optimizer.step_arrays(flat, grads[0])
    before, state = flat.copy(), optimizer.state_dict()
    g = grads[1].copy()
    g[SIZES[0] + 2] = bad  # in the second group: the first group's plan is already made
    with pytest.raises(ValueError, match=r"nothing was updated: the gradient of .*'w9'"):
        optimizer.step_arrays(flat, g)
    assert np.array_equal(bits(flat), bits(before))
    assert optimizer.state_dict() == state
    # and the optimizer goes on as if the refused step never happened
    twin, _, twin_flat, _ = setup(name)
    twin.step_arrays(twin_flat, grads[0])
    twin.step_arrays(twin_flat, grads[1])
    optimizer.step_arrays(flat, grads[1])
    assert np.array_equal(bits(flat), bits(twin_flat))


def test_overflowing_update_is_refused_before_anything_is_written() -> None:
    optimizer, _, flat, _ = setup("sgd")
    optimizer.param_groups[1]["lr"] = 1e308
    before = flat.copy()
    g = np.full(sum(SIZES), 1e10)
    with pytest.raises(ValueError, match="nothing was updated: the new value"):
        optimizer.step_arrays(flat, g)
    assert np.array_equal(bits(flat), bits(before))
    assert optimizer.state_dict()["state"] == {}


def test_zero_over_zero_is_refused() -> None:
    values = [Value(1.0), Value(2.0)]
    optimizer = Adam(values, eps=0.0)
    flat = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="nothing was updated: the new value"):
        optimizer.step_arrays(flat, np.array([0.0, 1.0]))
    assert flat.tolist() == [1.0, 2.0]


def test_step_arrays_checks_its_arguments() -> None:
    optimizer, _, flat, _ = setup("adam")
    g = np.zeros(sum(SIZES))
    with pytest.raises(TypeError, match="1-D float64 numpy array, got an array of dtype float32"):
        optimizer.step_arrays(flat.astype(np.float32), g)
    with pytest.raises(TypeError, match=r"grads must be a 1-D float64 numpy array, got \[0.0, "):
        optimizer.step_arrays(flat, g.tolist())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has 11 entries, but the optimizer has 12"):
        optimizer.step_arrays(flat[:-1], g)
    flat.flags.writeable = False
    with pytest.raises(ValueError, match="params is read-only"):
        optimizer.step_arrays(flat, g)
    assert optimizer.state_dict()["state"] == {}
