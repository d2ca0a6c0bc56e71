"""Tests for nn/optim/lr_scheduler.py: each schedule against its closed form (and
torch's recursive form), state_dict round trips, argument checks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, LambdaLR, Optimizer, StepLR


def _sgd(lrs: list[float]) -> SGD:
    return SGD([{"params": [Value(1.0)], "lr": lr} for lr in lrs])


def _epochs(scheduler: Any, optimizer: Optimizer, epochs: int) -> list[list[float]]:
    """lrs per epoch 0..epochs-1, checking the optimizer holds what get_last_lr says."""
    out = []
    for epoch in range(epochs):
        if epoch:
            scheduler.step()
        assert scheduler.last_epoch == epoch
        lrs = scheduler.get_last_lr()
        assert lrs == [g["lr"] for g in optimizer.param_groups]
        out.append(lrs)
    return out


def test_step_lr() -> None:
    opt = _sgd([0.1, 0.3])
    got = _epochs(StepLR(opt, step_size=3, gamma=0.5), opt, 12)
    want = [[base * 0.5 ** (e // 3) for base in (0.1, 0.3)] for e in range(12)]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.3]


def test_exponential_lr() -> None:
    opt = _sgd([0.2])
    got = _epochs(ExponentialLR(opt, gamma=0.9), opt, 15)
    np.testing.assert_allclose(got, [[0.2 * 0.9**e] for e in range(15)], rtol=1e-13)


def test_cosine_annealing_lr_matches_closed_and_recursive_forms() -> None:
    base, eta_min, t_max, epochs = 0.1, 0.01, 10, 35
    opt = _sgd([base])
    got = [
        lrs[0] for lrs in _epochs(CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min), opt, epochs)
    ]
    closed = [
        eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / t_max)) / 2 for e in range(epochs)
    ]
    # torch's chainable form, step by step from the previous lr
    recursive = [base]
    for e in range(1, epochs):
        prev = recursive[-1]
        if (e - 1 - t_max) % (2 * t_max) == 0:
            recursive.append(prev + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2)
        else:
            ratio = (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max))
            recursive.append(ratio * (prev - eta_min) + eta_min)
    np.testing.assert_allclose(got, closed, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got, recursive, rtol=0, atol=1e-12)
    assert got[t_max] == pytest.approx(eta_min) and got[2 * t_max] == pytest.approx(base)


def test_lambda_lr_one_function_or_one_per_group() -> None:
    opt = _sgd([0.1, 0.2])
    got = _epochs(LambdaLR(opt, lambda e: 1.0 / (1 + e)), opt, 6)
    np.testing.assert_allclose(got, [[0.1 / (1 + e), 0.2 / (1 + e)] for e in range(6)])
    opt = _sgd([0.1, 0.2])
    got = _epochs(LambdaLR(opt, [lambda e: 0.5**e, lambda e: 1.0 + e]), opt, 5)
    np.testing.assert_allclose(got, [[0.1 * 0.5**e, 0.2 * (1.0 + e)] for e in range(5)])


def test_the_scheduled_lr_is_the_one_the_optimizer_uses() -> None:
    w = Value(0.0)
    opt = SGD([w], lr=1.0)
    scheduler = StepLR(opt, step_size=1, gamma=0.1)
    scheduler.step()
    w.grad = 1.0
    opt.step()
    assert w.data == pytest.approx(-0.1)


def test_a_second_scheduler_keeps_initial_lr() -> None:
    opt = _sgd([0.4])
    first = ExponentialLR(opt, gamma=0.5)
    first.step()
    second = ExponentialLR(opt, gamma=0.5)
    assert second.base_lrs == [0.4]


def test_scheduler_state_dict_round_trip() -> None:
    opt = Adam([Value(1.0)], lr=0.1)
    scheduler = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(5):
        scheduler.step()
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    saved = json.loads(json.dumps(scheduler.state_dict()))
    opt2 = Adam([Value(1.0)], lr=0.1)
    scheduler2 = StepLR(opt2, step_size=7, gamma=0.9)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    assert (scheduler2.step_size, scheduler2.gamma, scheduler2.last_epoch) == (2, 0.5, 5)
    for _ in range(4):
        scheduler.step()
        scheduler2.step()
        assert scheduler2.get_last_lr() == scheduler.get_last_lr()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    bad = scheduler.state_dict() | {"gamma": -1.0}
    with pytest.raises(ValueError, match="gamma"):
        scheduler2.load_state_dict(bad)
    assert scheduler2.gamma == 0.5
    lam = LambdaLR(opt, lambda e: 1.0)
    assert "lr_lambdas" not in lam.state_dict()


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda o: StepLR(o, step_size=0), "step_size"),
        (lambda o: StepLR(o, step_size=2, gamma=-0.5), "gamma"),
        (lambda o: ExponentialLR(o, gamma=0.0), "gamma"),
        (lambda o: CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-0.1), "eta_min"),
        (lambda o: LambdaLR(o, lambda e: math.nan), "lr_lambda"),
        (lambda o: LambdaLR(o, [lambda e: 1.0, lambda e: 1.0]), "2 lr_lambdas"),
    ],
)
def test_bad_scheduler_arguments(build: Callable[[Optimizer], Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        build(SGD([Value(1.0)], lr=0.1))


def test_scheduler_refuses_a_negative_lr() -> None:
    opt = SGD([Value(1.0)], lr=0.1)
    scheduler = LambdaLR(opt, lambda e: 1.0 - e)
    scheduler.step()  # factor 0 is allowed
    with pytest.raises(ValueError, match="epoch 2"):
        scheduler.step()
    assert scheduler.last_epoch == 1 and opt.param_groups[0]["lr"] == 0.0
