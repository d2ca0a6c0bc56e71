"""``0 ** y`` with a Value exponent, as torch: value 0 for y > 0 (1 for y = 0), and the
derivative in the exponent 0 where the base is 0 (issue 21, the functional API's list),
instead of an error; in every mode (eager, create_graph to second order, compiled).
What torch gives as inf or nan stays an error that says why."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import autograd
from autograd import Value, grad


def t64(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def torch_derivatives(
    f: Callable[..., torch.Tensor], xs: list[float]
) -> tuple[float, list[float], list[list[float]]]:
    """(value, gradient, Hessian) from torch float64, by create_graph."""
    ts = [t64(x) for x in xs]
    out = f(*ts)
    first = torch.autograd.grad(out, ts, create_graph=True)
    second = [
        [0.0 if d is None else d.item() for d in torch.autograd.grad(g, ts, allow_unused=True)]
        if g.requires_grad
        else [0.0] * len(ts)
        for g in first
    ]
    return out.item(), [g.item() for g in first], second


def ours(f: Callable[..., Value], xs: list[float]) -> tuple[float, list[float], list[list[float]]]:
    vs = [Value(x) for x in xs]
    out = f(*vs)
    first = grad(out, vs, create_graph=True)
    second = [[d.data for d in grad(g, vs)] for g in first]
    backward_vs = [Value(x) for x in xs]
    f(*backward_vs).backward()
    assert [v.grad for v in backward_vs] == [g.data for g in first]  # both paths agree
    return out.data, [g.data for g in first], second


def same(got: tuple[float, list[float], list[list[float]]], want: Any) -> None:
    """Value and gradient as torch's. torch's Hessian is nan in the exponent's rows (it
    differentiates y * log(x) at x = 0 under its mask: 0 * inf); the derivative in the
    exponent is the constant 0 there, so its own derivatives are 0."""
    assert got[:2] == want[:2]
    for ours_row, torch_row in zip(got[2], want[2]):
        assert ours_row == [0.0 if math.isnan(t) else t for t in torch_row]


@pytest.mark.parametrize("y", [2.5, 2.0, 1.0, 0.5, 0.0])
def test_zero_to_a_value_power_matches_torch(y: float) -> None:
    same(ours(lambda v: 0.0**v, [y]), torch_derivatives(lambda t: 0.0**t, [y]))


@pytest.mark.parametrize("y", [3.5, 2.0, 1.0, 0.0])
def test_a_zero_value_base_to_a_value_power_matches_torch(y: float) -> None:
    same(ours(lambda x, p: x**p, [0.0, y]), torch_derivatives(lambda x, p: x**p, [0.0, y]))
    # d2/dx2 of x ** y at 0: y (y - 1) 0 ** (y - 2): 2 for y = 2, else 0 (torch's too)
    assert ours(lambda x, p: x**p, [0.0, y])[2][0][0] == (2.0 if y == 2.0 else 0.0)


def test_what_torch_gives_as_infinite_stays_an_error() -> None:
    with pytest.raises(ZeroDivisionError, match="zero to a negative power"):
        0.0 ** Value(-1.5)
    with pytest.raises(ZeroDivisionError, match="zero to a negative power"):
        Value(0.0) ** Value(-1.0)
    with pytest.raises(ValueError, match="infinite derivative"):
        Value(0.0) ** Value(0.5)  # d/dx = 0.5 * 0 ** -0.5
    with pytest.raises(ValueError, match="positive base"):
        Value(-1.0) ** Value(2.0)  # the derivative in the exponent needs log(base)
    with pytest.raises(ValueError, match="positive base"):
        (-2.0) ** Value(2.0)
    with autograd.no_grad():  # not differentiated: the value alone, as for a number exponent
        assert (Value(0.0) ** Value(0.5)).data == 0.0


def test_compiled_mode_gives_the_same_numbers() -> None:
    ys = np.array([2.5, 1.0, 0.5, 0.0])

    def f(p: Value, w: Value) -> Value:
        return 0.0**p * w + Value(0.0) ** (p + 1.0)

    w = Value(1.5)
    compiled = autograd.compile(lambda p: f(p, w), 2.0)
    values = compiled(ys)
    for row, y in enumerate(ys):
        assert values[row] == f(Value(y), w).data
    compiled.value_and_grad(ys, reduction="sum")
    eager = Value(1.5)
    autograd.sum([f(Value(y), eager) for y in ys]).backward()
    assert w.grad == eager.grad
