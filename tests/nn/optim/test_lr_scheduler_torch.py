"""Tests for the schedulers torch's own tests use (MultiStepLR, ConstantLR, LinearLR in
nn/optim/lr_scheduler.py, OneCycleLR in one_cycle.py, ReduceLROnPlateau in plateau.py):
each against torch.optim.lr_scheduler step by step, state_dict round trips, checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from autograd import Value
from nn.optim import (
    SGD,
    Adam,
    ConstantLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    Optimizer,
    ReduceLROnPlateau,
)

LRS = [0.1, 0.03]


def _ours(kind: type = SGD, **hypers: Any) -> Optimizer:
    return kind([{"params": [Value(1.0)], "lr": lr} for lr in LRS], **hypers)


def _theirs(kind: type = torch.optim.SGD, **hypers: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in LRS]
    return kind(groups, **hypers)


def _trace(opt: Any, step: Callable[[int], None], epochs: int, keys: tuple[str, ...]) -> list[Any]:
    """Each group's values of `keys` after construction and after each of `epochs` steps."""
    out = []
    for epoch in range(epochs + 1):
        if epoch:
            step(epoch)
        out.append([[_number(g[k]) for k in keys] for g in opt.param_groups])
    return out


def _number(x: Any) -> Any:
    return [float(v) for v in x] if isinstance(x, (tuple, list)) else float(x)


def _torch_step(opt: torch.optim.Optimizer, scheduler: Any) -> Callable[[int], None]:
    def step(epoch: int) -> None:
        opt.step()  # torch wants the optimizer to step first; the params have no grad
        scheduler.step()

    return step


CLOSED_FORMS = [
    (MultiStepLR, torch.optim.lr_scheduler.MultiStepLR, {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    (ConstantLR, torch.optim.lr_scheduler.ConstantLR, {"factor": 0.25, "total_iters": 4}),
    (ConstantLR, torch.optim.lr_scheduler.ConstantLR, {}),
    (LinearLR, torch.optim.lr_scheduler.LinearLR, {}),
    (
        LinearLR,
        torch.optim.lr_scheduler.LinearLR,
        {"start_factor": 0.9, "end_factor": 0.05, "total_iters": 7},
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "hypers"), CLOSED_FORMS)
def test_closed_form_schedulers_match_torch_step_by_step(
    ours: type, theirs: type, hypers: dict[str, Any]
) -> None:
    opt, topt = _ours(), _theirs()
    scheduler, tscheduler = ours(opt, **hypers), theirs(topt, **hypers)
    got = _trace(opt, lambda e: scheduler.step(), 14, ("lr",))
    want = _trace(topt, _torch_step(topt, tscheduler), 14, ("lr",))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert scheduler.get_last_lr() == pytest.approx(tscheduler.get_last_lr(), rel=1e-12)


ONE_CYCLE = [
    (SGD, torch.optim.SGD, {"momentum": 0.9}, {"max_lr": 0.5, "total_steps": 20}),
    (
        Adam,
        torch.optim.Adam,
        {},
        {"max_lr": [0.4, 0.2], "epochs": 3, "steps_per_epoch": 5, "anneal_strategy": "linear"},
    ),
    (
        SGD,
        torch.optim.SGD,
        {"momentum": 0.5},
        {
            "max_lr": 1.0,
            "total_steps": 17,
            "three_phase": True,
            "pct_start": 0.25,
            "base_momentum": [0.7, 0.8],
            "max_momentum": 0.9,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
    ),
    (SGD, torch.optim.SGD, {}, {"max_lr": 0.3, "total_steps": 12, "cycle_momentum": False}),
]


@pytest.mark.parametrize(("ours", "theirs", "opt_hypers", "hypers"), ONE_CYCLE)
def test_one_cycle_lr_matches_torch_bit_for_bit(
    ours: type, theirs: type, opt_hypers: dict[str, Any], hypers: dict[str, Any]
) -> None:
    opt, topt = _ours(ours, **opt_hypers), _theirs(theirs, **opt_hypers)
    scheduler = OneCycleLR(opt, **hypers)
    tscheduler = torch.optim.lr_scheduler.OneCycleLR(topt, **hypers)
    total = scheduler.total_steps
    momentum = ("betas",) if ours is Adam else ("momentum",)
    keys = ("lr", "initial_lr", "max_lr", "min_lr", *momentum)
    got = _trace(opt, lambda e: scheduler.step(), total, keys)
    want = _trace(topt, _torch_step(topt, tscheduler), total, keys)
    assert got[:-1] == want[:-1]
    # step total_steps is past the last batch: torch's linear schedule goes below 0 there
    assert [g[0] for g in got[-1]] == [max(0.0, g[0]) for g in want[-1]]
    with pytest.raises(ValueError, match="past total_steps"):
        scheduler.step()
    assert scheduler.last_epoch == total and opt.param_groups[0]["lr"] == got[-1][0][0]


def test_one_cycle_lr_state_dict_round_trip_and_the_optimizer_keeps_its_bounds() -> None:
    opt = _ours(SGD, momentum=0.9)
    scheduler = OneCycleLR(opt, max_lr=0.5, total_steps=30)
    for _ in range(8):
        scheduler.step()
    saved_opt = json.loads(json.dumps(opt.state_dict()))
    saved = json.loads(json.dumps(scheduler.state_dict()))
    bounds = {"max_lr", "min_lr", "max_momentum", "base_momentum"}
    assert bounds <= set(saved_opt["param_groups"][0])
    opt2 = _ours(SGD, momentum=0.9)
    scheduler2 = OneCycleLR(opt2, max_lr=0.1, total_steps=50, anneal_strategy="linear")
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved)
    for _ in range(22):
        scheduler.step()
        scheduler2.step()
        assert opt2.param_groups == [
            {**g, "params": g2["params"]} for g, g2 in zip(opt.param_groups, opt2.param_groups)
        ]


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda o: MultiStepLR(o, milestones=[3, -1]), "milestones"),
        (lambda o: MultiStepLR(o, milestones=[2], gamma=0.0), "gamma"),
        (lambda o: ConstantLR(o, factor=1.5), "factor"),
        (lambda o: ConstantLR(o, total_iters=0), "total_iters"),
        (lambda o: LinearLR(o, start_factor=0.0), "start_factor"),
        (lambda o: LinearLR(o, end_factor=1.2), "end_factor"),
        (lambda o: OneCycleLR(o, max_lr=0.1), "total_steps, or both"),
        (lambda o: OneCycleLR(o, max_lr=[0.1], total_steps=10), "1 values of max_lr"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=3), "phase of no steps"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="cosine"), "'cos'"),
        (lambda o: OneCycleLR(o, max_lr=0.1, total_steps=10, max_momentum=1.0), "max_momentum"),
        (lambda o: ReduceLROnPlateau(o, factor=1.0), "factor"),
        (lambda o: ReduceLROnPlateau(o, mode="minimum"), "mode"),
        (lambda o: ReduceLROnPlateau(o, min_lr=[0.0]), "1 min_lrs"),
    ],
)
def test_bad_arguments_of_the_new_schedulers(
    build: Callable[[Optimizer], Any], pattern: str
) -> None:
    opt = _ours(SGD, momentum=0.9)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match=pattern):
        build(opt)
    assert opt.param_groups == before  # nothing half-changed


def test_one_cycle_lr_needs_momentum_to_cycle() -> None:
    from nn.optim import Adagrad

    opt = Adagrad([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        OneCycleLR(opt, max_lr=0.1, total_steps=10)
    OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)


# A loss that falls, stalls, wobbles and falls again: every branch of the rule.
METRICS = [5.0, 4.0, 4.0, 4.1, 3.9996, 3.0, 3.0, 3.0, 3.0, 2.0, 2.5, 2.5, 2.5, 2.5, 2.5, 1.0]


@pytest.mark.parametrize(
    "hypers",
    [
        {"patience": 1},
        {"patience": 0, "cooldown": 2, "factor": 0.5},
        {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.2},
        {"patience": 1, "threshold": 0.01, "min_lr": [0.05, 0.001]},
        {"patience": 0, "factor": 0.5, "min_lr": 0.02, "eps": 1e-3},
    ],
)
def test_reduce_lr_on_plateau_matches_torch_step_by_step(hypers: dict[str, Any]) -> None:
    opt, topt = _ours(), _theirs()
    scheduler = ReduceLROnPlateau(opt, **hypers)
    tscheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **hypers)
    got = _trace(opt, lambda e: scheduler.step(METRICS[e - 1]), len(METRICS), ("lr",))
    want = _trace(topt, lambda e: tscheduler.step(METRICS[e - 1]), len(METRICS), ("lr",))
    assert got == want
    assert len({lr[0][0] for lr in got}) > 1  # the cases do reduce
    for key in ("last_epoch", "num_bad_epochs", "cooldown_counter", "best"):
        assert getattr(scheduler, key) == getattr(tscheduler, key), key


def test_reduce_lr_on_plateau_state_dict_round_trip() -> None:
    opt = _ours()
    scheduler = ReduceLROnPlateau(opt, patience=1, cooldown=1)
    assert json.loads(json.dumps(scheduler.state_dict()))["best"] is None
    for metric in METRICS[:7]:
        scheduler.step(metric)
    saved = json.loads(json.dumps(scheduler.state_dict()))
    opt2 = _ours()
    opt2.load_state_dict(json.loads(json.dumps(opt.state_dict())))
    scheduler2 = ReduceLROnPlateau(opt2, mode="max")
    scheduler2.load_state_dict(saved)
    for metric in METRICS[7:]:
        scheduler.step(metric)
        scheduler2.step(metric)
        assert scheduler2.state_dict() == scheduler.state_dict()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    with pytest.raises(ValueError, match=r"nothing was loaded.*patience"):
        scheduler2.load_state_dict(saved | {"patience": -1})
    assert scheduler2.patience == 1


def test_reduce_lr_on_plateau_refuses_a_nan_metric() -> None:
    opt = _ours()
    scheduler = ReduceLROnPlateau(opt, patience=0)
    scheduler.step(1.0)
    with pytest.raises(ValueError, match="metrics"):
        scheduler.step(float("nan"))
    assert scheduler.last_epoch == 1 and scheduler.num_bad_epochs == 0


@pytest.mark.parametrize("validation", [True, False])
def test_fit_steps_reduce_lr_on_plateau_with_the_epochs_loss(validation: bool) -> None:
    import nn

    X, y = nn.data.make_moons(n_samples=40, noise=0.3, seed=0)
    model = nn.MLP(2, [4, 2], seed=0)
    opt = SGD(model.parameters(), lr=2.0)  # too large: the loss stalls, the lr falls
    scheduler = ReduceLROnPlateau(opt, patience=0, factor=0.5)
    extra = {"validation_split": 0.25} if validation else {}
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=opt, scheduler=scheduler, epochs=12,
        batch_size=10, seed=0, progress=False, **extra,
    )  # fmt: skip
    watched = history.val_loss if validation else history.loss
    replay = ReduceLROnPlateau(SGD([Value(0.0)], lr=2.0), patience=0, factor=0.5)
    lrs = [2.0]
    for metric in watched[:-1]:
        replay.step(metric)
        lrs.append(replay.get_last_lr()[0])
    assert history.lr == lrs
    assert min(lrs) < 2.0  # it did reduce
