"""Tests for nn/torch_optim.py: a run started here continues in torch (and one started
in torch continues here) on the trajectory it would have had, to 1e-12 over 20 steps,
for every optimizer, with parameter groups and learning-rate schedulers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nn
from nn import optim

X = np.random.default_rng(0).normal(size=(20, 8, 3))  # one batch of 8 per step
Y = np.random.default_rng(1).normal(size=(20, 8, 2))

OPTIMIZERS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "maximize": False}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
]


def _model() -> nn.MLP:
    return nn.MLP(3, [4, 2], activation="tanh", seed=0)


def _our_step(model: nn.MLP, opt: optim.Optimizer, k: int) -> float:
    opt.zero_grad()
    loss = nn.mse(model(X[k]), Y[k])
    loss.backward()
    opt.step()
    return loss.data


def _torch_step(module: torch.nn.Module, opt: torch.optim.Optimizer, k: int) -> float:
    opt.zero_grad()
    loss = F.mse_loss(module(torch.from_numpy(X[k])), torch.from_numpy(Y[k]))
    loss.backward()
    opt.step()
    return loss.item()


def _groups(model: nn.MLP, hypers: dict[str, Any], split: bool) -> list[dict[str, Any]]:
    """One group, or the weights and the biases apart (the biases at half the lr)."""
    if not split:
        return [{"params": model.parameters()}]
    named = model.named_parameters()
    return [
        {"params": [p for name, p in named if not name.endswith(".b")]},
        {"params": [p for name, p in named if name.endswith(".b")], "lr": hypers["lr"] / 2},
    ]


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize(("name", "hypers"), OPTIMIZERS)
def test_a_run_started_here_continues_in_torch_on_the_same_trajectory(
    name: str, hypers: dict[str, Any], split: bool
) -> None:
    reference = _model()
    opt = getattr(optim, name)(_groups(reference, hypers, split), **hypers)
    losses = [_our_step(reference, opt, k) for k in range(20)]

    model = _model()
    opt = getattr(optim, name)(_groups(model, hypers, split), **hypers)
    first = [_our_step(model, opt, k) for k in range(10)]
    module = nn.to_torch(model)
    topt = nn.optimizer_to_torch(opt, model, module)
    assert type(topt) is getattr(torch.optim, name)
    second = [_torch_step(module, topt, k) for k in range(10, 20)]
    np.testing.assert_allclose(first + second, losses, rtol=1e-12, atol=0)
    got = list(nn.from_torch(module).state_dict().values())
    np.testing.assert_allclose(got, list(reference.state_dict().values()), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize(("name", "hypers"), OPTIMIZERS)
def test_a_run_started_in_torch_continues_here_on_the_same_trajectory(
    name: str, hypers: dict[str, Any], split: bool
) -> None:
    def torch_run() -> tuple[nn.MLP, torch.nn.Module, torch.optim.Optimizer]:
        model = _model()
        module = nn.to_torch(model)
        groups = [
            {"params": [module[0].weight, module[2].weight]},
            {"params": [module[0].bias, module[2].bias], "lr": hypers["lr"] / 2},
        ]
        params = groups if split else module.parameters()
        return model, module, getattr(torch.optim, name)(params, **hypers)

    _, module, topt = torch_run()
    losses = [_torch_step(module, topt, k) for k in range(20)]
    want = list(nn.from_torch(module).state_dict().values())

    model, module, topt = torch_run()
    first = [_torch_step(module, topt, k) for k in range(10)]
    model = nn.from_torch(module)
    opt = nn.optimizer_from_torch(topt, module, model)
    assert type(opt) is getattr(optim, name)
    second = [_our_step(model, opt, k) for k in range(10, 20)]
    np.testing.assert_allclose(first + second, losses, rtol=1e-12, atol=0)
    np.testing.assert_allclose(list(model.state_dict().values()), want, rtol=1e-12, atol=1e-14)


def test_optimizer_state_round_trips_exactly() -> None:
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for k in range(3):
        _our_step(model, opt, k)
    module = nn.to_torch(model)
    back = nn.optimizer_from_torch(nn.optimizer_to_torch(opt, model, module), module, model)
    assert back.state_dict() == opt.state_dict()


SCHEDULERS: list[tuple[str, Callable[[Any], Any]]] = [
    ("StepLR", lambda o: optim.StepLR(o, step_size=3, gamma=0.5)),
    ("MultiStepLR", lambda o: optim.MultiStepLR(o, milestones=[4, 12, 12], gamma=0.5)),
    ("ExponentialLR", lambda o: optim.ExponentialLR(o, gamma=0.9)),
    ("CosineAnnealingLR", lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ("LinearLR", lambda o: optim.LinearLR(o, start_factor=0.2, total_iters=15)),
    ("ConstantLR", lambda o: optim.ConstantLR(o, factor=0.5, total_iters=13)),
    ("LambdaLR", lambda o: optim.LambdaLR(o, lambda e: 1 / (1 + e))),
    ("OneCycleLR", lambda o: optim.OneCycleLR(o, max_lr=0.05, total_steps=20)),
    ("ReduceLROnPlateau", lambda o: optim.ReduceLROnPlateau(o, patience=0, factor=0.5)),
]


def _scheduler_step(scheduler: Any, loss: float) -> None:
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        scheduler.step(-loss)  # a rising loss: it reduces
    else:
        scheduler.step()


@pytest.mark.parametrize(("name", "build"), SCHEDULERS)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_scheduled_run_continues_across_the_boundary_both_ways(
    name: str, build: Callable[[Any], Any], optimizer: str
) -> None:
    hypers = {"lr": 0.05, "momentum": 0.9} if optimizer == "SGD" else {"lr": 0.01}

    def ours_for(steps: range, model: nn.MLP, opt: Any, scheduler: Any) -> list[float]:
        out = []
        for k in steps:
            out.append(_our_step(model, opt, k))
            _scheduler_step(scheduler, out[-1])
        return out

    def theirs_for(steps: range, module: Any, opt: Any, scheduler: Any) -> list[float]:
        out = []
        for k in steps:
            out.append(_torch_step(module, opt, k))
            _scheduler_step(scheduler, out[-1])
        return out

    reference = _model()
    opt = getattr(optim, optimizer)(reference.parameters(), **hypers)
    losses = ours_for(range(20), reference, opt, build(opt))
    # here -> torch -> here
    model = _model()
    opt = getattr(optim, optimizer)(model.parameters(), **hypers)
    scheduler = build(opt)
    got = ours_for(range(7), model, opt, scheduler)
    module = nn.to_torch(model)
    topt = nn.optimizer_to_torch(opt, model, module)
    tscheduler = nn.scheduler_to_torch(scheduler, topt)
    assert type(tscheduler).__name__ == name
    got += theirs_for(range(7, 14), module, topt, tscheduler)
    model = nn.from_torch(module)
    opt = nn.optimizer_from_torch(topt, module, model)
    scheduler = nn.scheduler_from_torch(tscheduler, opt)
    assert type(scheduler).__name__ == name
    got += ours_for(range(14, 20), model, opt, scheduler)
    np.testing.assert_allclose(got, losses, rtol=1e-12, atol=0)
    np.testing.assert_allclose(
        list(model.state_dict().values()), list(reference.state_dict().values()), rtol=1e-12
    )


def test_groups_that_split_a_tensor_are_refused() -> None:
    model = _model()
    params = model.parameters()
    opt = optim.SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match=r"0\.weight are in groups 0 and 1"):
        nn.optimizer_to_torch(opt, model, nn.to_torch(model))
    opt = optim.SGD(params[:3], lr=0.1)
    with pytest.raises(ValueError, match="3 of the 12 entries"):
        nn.optimizer_to_torch(opt, model, nn.to_torch(model))
