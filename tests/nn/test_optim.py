"""Tests for nn.optim: update rules against independent numpy references, the bowl,
all-or-nothing steps, state_dict round trips, schedulers and gradient clipping."""

from __future__ import annotations

import json
import math
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
    ExponentialLR,
    LambdaLR,
    Optimizer,
    RMSprop,
    StepLR,
    clip_grad_norm,
)

Array = np.ndarray[Any, np.dtype[np.float64]]
RefStep = Callable[[Array, Array, int, dict[str, Array]], Array]

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


# (name, optimizer factory, reference, reference of the same optimizer without the option)
CASES: list[tuple[str, Callable[[list[Value]], Optimizer], RefStep, RefStep | None]] = [
    ("sgd", lambda p: SGD(p, lr=0.05), sgd_ref(0.05), None),
    ("sgd-momentum", lambda p: SGD(p, lr=0.05, momentum=0.9), sgd_ref(0.05, 0.9), sgd_ref(0.05)),
    (
        "sgd-dampening",
        lambda p: SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
        sgd_ref(0.05, 0.9, dampening=0.3),
        sgd_ref(0.05, 0.9),
    ),
    (
        "sgd-nesterov",
        lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True),
        sgd_ref(0.05, 0.8, nesterov=True),
        sgd_ref(0.05, 0.8),
    ),
    (
        "sgd-weight-decay",
        lambda p: SGD(p, lr=0.05, momentum=0.5, weight_decay=0.2),
        sgd_ref(0.05, 0.5, weight_decay=0.2),
        sgd_ref(0.05, 0.5),
    ),
    (
        "sgd-maximize",
        lambda p: SGD(p, lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True),
        sgd_ref(0.01, 0.5, weight_decay=0.1, maximize=True),
        sgd_ref(0.01, 0.5, weight_decay=0.1),
    ),
    ("adam", lambda p: Adam(p, lr=0.1), adam_ref(0.1), None),
    (
        "adam-betas",
        lambda p: Adam(p, lr=0.1, betas=(0.5, 0.8), eps=1e-3),
        adam_ref(0.1, (0.5, 0.8), 1e-3),
        adam_ref(0.1),
    ),
    (
        "adam-weight-decay",
        lambda p: Adam(p, lr=0.1, weight_decay=0.3),
        adam_ref(0.1, weight_decay=0.3),
        adam_ref(0.1),
    ),
    (
        "adam-amsgrad",
        lambda p: Adam(p, lr=0.1, amsgrad=True),
        adam_ref(0.1, amsgrad=True),
        adam_ref(0.1),
    ),
    (
        "adam-maximize",
        lambda p: Adam(p, lr=0.01, maximize=True),
        adam_ref(0.01, maximize=True),
        adam_ref(0.01),
    ),
    (
        "adamw",
        lambda p: AdamW(p, lr=0.1, weight_decay=0.3),
        adam_ref(0.1, weight_decay=0.3, decoupled=True),
        adam_ref(0.1, weight_decay=0.3),  # coupled decay differs
    ),
    (
        "adamw-default-decay",
        lambda p: AdamW(p, lr=0.1),
        adam_ref(0.1, weight_decay=1e-2, decoupled=True),
        adam_ref(0.1),
    ),
    (
        "adamw-amsgrad-maximize",
        lambda p: AdamW(p, lr=0.01, betas=(0.8, 0.9), amsgrad=True, maximize=True),
        adam_ref(0.01, (0.8, 0.9), weight_decay=1e-2, amsgrad=True, maximize=True, decoupled=True),
        adam_ref(0.01, (0.8, 0.9), weight_decay=1e-2, maximize=True, decoupled=True),
    ),
    ("rmsprop", lambda p: RMSprop(p, lr=0.01), rmsprop_ref(0.01), None),
    (
        "rmsprop-alpha",
        lambda p: RMSprop(p, lr=0.01, alpha=0.7, eps=1e-4),
        rmsprop_ref(0.01, alpha=0.7, eps=1e-4),
        rmsprop_ref(0.01),
    ),
    (
        "rmsprop-centered",
        lambda p: RMSprop(p, lr=0.01, centered=True),
        rmsprop_ref(0.01, centered=True),
        rmsprop_ref(0.01),
    ),
    (
        "rmsprop-momentum",
        lambda p: RMSprop(p, lr=0.01, momentum=0.7),
        rmsprop_ref(0.01, momentum=0.7),
        rmsprop_ref(0.01),
    ),
    (
        "rmsprop-all",
        lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
        rmsprop_ref(0.01, momentum=0.5, centered=True, weight_decay=0.1),
        rmsprop_ref(0.01, momentum=0.5, centered=True),
    ),
    (
        "rmsprop-maximize",
        lambda p: RMSprop(p, lr=0.001, maximize=True),
        rmsprop_ref(0.001, maximize=True),
        rmsprop_ref(0.001),
    ),
    ("adagrad", lambda p: Adagrad(p, lr=0.5), adagrad_ref(0.5), None),
    (
        "adagrad-lr-decay",
        lambda p: Adagrad(p, lr=0.5, lr_decay=0.1),
        adagrad_ref(0.5, lr_decay=0.1),
        adagrad_ref(0.5),
    ),
    (
        "adagrad-initial-accumulator",
        lambda p: Adagrad(p, lr=0.5, initial_accumulator_value=2.0),
        adagrad_ref(0.5, initial_accumulator_value=2.0),
        adagrad_ref(0.5),
    ),
    (
        "adagrad-weight-decay",
        lambda p: Adagrad(p, lr=0.5, weight_decay=0.2, eps=1e-3),
        adagrad_ref(0.5, weight_decay=0.2, eps=1e-3),
        adagrad_ref(0.5),
    ),
    (
        "adagrad-maximize",
        lambda p: Adagrad(p, lr=0.05, maximize=True),
        adagrad_ref(0.05, maximize=True),
        adagrad_ref(0.05),
    ),
]


@pytest.mark.parametrize(
    ("make", "ref", "without"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_update_rule_matches_reference(
    make: Callable[[list[Value]], Optimizer], ref: RefStep, without: RefStep | None
) -> None:
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


# ---------------------------------------------------------------- the seeds' bowl


BOWL = [
    ("sgd", lambda p: SGD(p, lr=0.1), 150),
    ("sgd-momentum", lambda p: SGD(p, lr=0.05, momentum=0.9), 300),
    ("sgd-nesterov", lambda p: SGD(p, lr=0.1, momentum=0.5, nesterov=True), 100),
    ("adam", lambda p: Adam(p, lr=0.3), 500),
    ("adam-amsgrad", lambda p: Adam(p, lr=0.3, amsgrad=True), 500),
    ("adamw", lambda p: AdamW(p, lr=0.3, weight_decay=0.0), 500),
    ("rmsprop", lambda p: RMSprop(p, lr=0.05), 300),
    ("rmsprop-centered-momentum", lambda p: RMSprop(p, lr=0.05, momentum=0.5, centered=True), 300),
    ("adagrad", lambda p: Adagrad(p, lr=1.0), 300),
]


@pytest.mark.parametrize(("make", "steps"), [b[1:] for b in BOWL], ids=[b[0] for b in BOWL])
def test_reaches_the_bottom_of_the_bowl(
    make: Callable[[list[Value]], Optimizer], steps: int
) -> None:
    """L(w1, w2) = (w1 - 4)^2 + 2 (w2 - 3)^2: the minimum is at w1 = 4, w2 = 3."""
    w1, w2 = Value(0.0, label="w1"), Value(0.0, label="w2")
    opt = make([w1, w2])
    for _ in range(steps):
        opt.zero_grad()
        loss = (w1 - 4) ** 2 + 2 * (w2 - 3) ** 2
        loss.backward()
        opt.step()
    assert abs(w1.data - 4.0) < 1e-4
    assert abs(w2.data - 3.0) < 1e-4


def test_zero_grad_resets_every_gradient() -> None:
    a, b = Value(1.0), Value(2.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad, b.grad = 3.0, -4.0
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_param_groups_have_their_own_hyper_parameters() -> None:
    a, b = Value(1.0), Value(1.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b]
    a.grad = b.grad = 1.0
    opt.step()
    assert a.data == pytest.approx(0.9) and b.data == pytest.approx(0.5)
    opt.param_groups[0]["lr"] = 0.2  # edits take effect at the next step, as torch
    opt.step()
    assert a.data == pytest.approx(0.7)


def test_add_param_group() -> None:
    a, b = Value(1.0), Value(1.0)
    opt = Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})


def test_sgd_default_lr_is_torchs() -> None:
    assert SGD([Value(1.0)]).param_groups[0]["lr"] == 1e-3
    assert AdamW([Value(1.0)]).param_groups[0]["weight_decay"] == 1e-2


# ---------------------------------------------------------------- bad arguments


BAD_HYPERS = [
    (SGD, {"lr": -0.1}, "lr=-0.1"),
    (SGD, {"lr": math.nan}, "lr=nan"),
    (SGD, {"momentum": -0.5}, "momentum=-0.5"),
    (SGD, {"weight_decay": -1}, "weight_decay=-1"),
    (SGD, {"dampening": 1.5}, "dampening=1.5"),
    (SGD, {"nesterov": True}, "nesterov"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening=0.1"),
    (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]=1.0"),
    (Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]=-0.1"),
    (Adam, {"eps": -1e-8}, "eps=-1e-08"),
    (AdamW, {"weight_decay": -0.01}, "weight_decay=-0.01"),
    (RMSprop, {"alpha": -0.1}, "alpha=-0.1"),
    (RMSprop, {"alpha": 1.5}, "alpha=1.5"),
    (RMSprop, {"momentum": -0.9}, "momentum=-0.9"),
    (RMSprop, {"eps": -1.0}, "eps=-1.0"),
    (Adagrad, {"lr_decay": -0.1}, "lr_decay=-0.1"),
    (Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value=-1.0"),
    (Adagrad, {"eps": -1e-10}, "eps=-1e-10"),
]


@pytest.mark.parametrize(("cls", "kwargs", "pattern"), BAD_HYPERS)
def test_bad_hyper_parameters_raise_value_error(
    cls: type[Optimizer], kwargs: dict[str, Any], pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern) as info:
        cls([Value(1.0)], **kwargs)
    assert cls.__name__ in str(info.value)


def test_bad_hyper_parameter_types() -> None:
    with pytest.raises(TypeError, match="lr"):
        SGD([Value(1.0)], lr="0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nesterov"):
        SGD([Value(1.0)], momentum=0.9, nesterov=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        SGD([{"params": [Value(1.0)], "learning_rate": 0.1}])


def test_bad_params() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    with pytest.raises(TypeError, match="expected a Value"):
        SGD([Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single Value"):
        SGD(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="set"):
        SGD({Value(1.0)})
    v = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        SGD([v, v])


# ---------------------------------------------------------------- all or nothing


FACTORIES: list[Callable[[list[Value]], Optimizer]] = [
    lambda p: SGD(p, lr=0.1, momentum=0.9),
    lambda p: Adam(p, lr=0.1, amsgrad=True),
    lambda p: AdamW(p, lr=0.1),
    lambda p: RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: Adagrad(p, lr=0.1),
]
FACTORY_IDS = ["sgd", "adam", "adamw", "rmsprop", "adagrad"]


def _trained(
    make: Callable[[list[Value]], Optimizer], labels: bool = True
) -> tuple[list[Value], Optimizer]:
    params = [Value(x, label=f"w{i}" if labels else "") for i, x in enumerate(THETA0)]
    opt = make(params)
    for t in range(1, 4):
        for p, g in zip(params, gradient(np.array([p.data for p in params]), t)):
            p.grad = float(g)
        opt.step()
    return params, opt


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("make", FACTORIES, ids=FACTORY_IDS)
def test_non_finite_gradient_changes_nothing(
    make: Callable[[list[Value]], Optimizer], bad: float
) -> None:
    params, opt = _trained(make)
    before = ([p.data for p in params], json.dumps(opt.state_dict()))
    for p in params:
        p.grad = 0.25
    params[3].grad = bad
    with pytest.raises(ValueError, match=r"'w3'.*" + repr(bad).replace("-", r"\-")):
        opt.step()
    assert ([p.data for p in params], json.dumps(opt.state_dict())) == before


def test_non_finite_gradient_named_by_index_without_label() -> None:
    params, opt = _trained(FACTORIES[1], labels=False)
    params[2].grad = math.nan
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[2\]"):
        opt.step()


def test_failure_in_a_later_group_leaves_earlier_groups_untouched() -> None:
    a, b = Value(1.0), Value(2.0, label="b")
    opt = Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = 1.0, math.inf
    with pytest.raises(ValueError, match="'b'"):
        opt.step()
    assert (a.data, b.data) == (1.0, 2.0)
    assert opt.state_dict()["state"] == {}
    b.grad = 1.0
    opt.step()  # the first successful step is step 1
    assert opt.state_dict()["state"][0]["step"] == 1.0


def test_update_that_would_overflow_changes_nothing() -> None:
    w = Value(1.0, label="w")
    opt = SGD([w], lr=1e300)
    w.grad = 1e100
    with pytest.raises(ValueError, match=r"new value.*'w'"):
        opt.step()
    assert w.data == 1.0


def test_zero_eps_and_zero_gradient_raise_instead_of_dividing_by_zero() -> None:
    w = Value(1.0)
    opt = Adam([w], eps=0.0)
    w.grad = 0.0
    with pytest.raises(ValueError, match="eps"):
        opt.step()
    assert w.data == 1.0 and opt.state_dict()["state"] == {}


def test_a_bad_lr_edited_into_a_group_is_caught_at_step() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = -1.0
    w.grad = 1.0
    with pytest.raises(ValueError, match=r"lr=-1\.0"):
        opt.step()
    assert w.data == 1.0


# ---------------------------------------------------------------- state_dict


@pytest.mark.parametrize("make", FACTORIES, ids=FACTORY_IDS)
def test_state_dict_round_trip_continues_identically(
    make: Callable[[list[Value]], Optimizer],
) -> None:
    def run(params: list[Value], opt: Optimizer, steps: range) -> None:
        for t in steps:
            for p, g in zip(params, gradient(np.array([p.data for p in params]), t)):
                p.grad = float(g)
            opt.step()

    straight = [Value(x) for x in THETA0]
    opt = make(straight)
    run(straight, opt, range(1, 21))

    first = [Value(x) for x in THETA0]
    opt1 = make(first)
    run(first, opt1, range(1, 11))
    saved = json.loads(json.dumps(opt1.state_dict()))  # through JSON: keys become str
    resumed = [Value(p.data) for p in first]
    opt2 = make(resumed)
    opt2.load_state_dict(saved)
    assert opt2.state_dict() == opt1.state_dict()
    run(resumed, opt2, range(11, 21))
    assert [p.data for p in resumed] == [p.data for p in straight]


def test_state_dict_layout_is_torchs() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.01}], lr=0.1)
    for p in (a, b, c):
        p.grad = 1.0
    opt.step()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][1]["params"] == [2]
    assert sd["param_groups"][1]["lr"] == 0.01
    assert sd["param_groups"][0]["betas"] == [0.9, 0.999]
    assert set(sd["state"]) == {0, 1, 2}
    assert set(sd["state"][2]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][2]["step"] == 2.0
    # m after two steps of g = 1: 0.1 + 0.9 * 0.1
    assert sd["state"][0]["exp_avg"] == pytest.approx(0.19)
    json.dumps(sd)
    assert opt.state[a]["step"] == 2.0


def test_sgd_without_momentum_keeps_no_state_and_adagrad_starts_with_its_sum() -> None:
    w = Value(1.0)
    sgd = SGD([w], lr=0.1)
    w.grad = 1.0
    sgd.step()
    assert sgd.state_dict()["state"] == {}
    ada = Adagrad([Value(1.0)], initial_accumulator_value=0.5)
    assert ada.state_dict()["state"] == {0: {"step": 0.0, "sum": 0.5}}


def _bad_state_dicts() -> list[tuple[str, Callable[[dict[str, Any]], None], str]]:
    def set_(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
        def edit(sd: dict[str, Any]) -> None:
            node = sd
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value

        return edit

    return [
        (
            "extra-group",
            lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])),
            "groups",
        ),
        ("fewer-params", lambda sd: sd["param_groups"][0]["params"].pop(), "parameters"),
        ("bad-lr", set_(["param_groups", 0, "lr"], -0.5), "lr=-0.5"),
        ("bad-beta", set_(["param_groups", 0, "betas"], [0.9, 1.0]), "betas"),
        ("missing-hyper", lambda sd: sd["param_groups"][0].pop("eps"), "eps"),
        ("unknown-index", set_(["state", 7], {"step": 1.0}), "7"),
        ("missing-buffer", lambda sd: sd["state"][1].pop("exp_avg"), "keys"),
        ("nan-buffer", set_(["state", 1, "exp_avg"], math.nan), "nan"),
        ("negative-square", set_(["state", 1, "exp_avg_sq"], -1.0), ">= 0"),
        ("uneven-steps", set_(["state", 1, "step"], 9.0), "step"),
        ("partial-state", lambda sd: sd["state"].pop(1), "all or none"),
        ("top-level", set_(["extra"], 1), "keys"),
    ]


@pytest.mark.parametrize(
    ("edit", "pattern"), [b[1:] for b in _bad_state_dicts()], ids=[b[0] for b in _bad_state_dicts()]
)
def test_load_state_dict_checks_everything_first(
    edit: Callable[[dict[str, Any]], None], pattern: str
) -> None:
    _, opt = _trained(lambda p: Adam(p, lr=0.1))
    _, other = _trained(lambda p: Adam(p, lr=0.05, betas=(0.5, 0.6)))
    other.step()
    bad = other.state_dict()
    edit(bad)
    before = json.dumps(opt.state_dict())
    with pytest.raises(ValueError, match=pattern):
        opt.load_state_dict(bad)
    assert json.dumps(opt.state_dict()) == before  # nothing half-loaded


# ---------------------------------------------------------------- schedulers


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


# ---------------------------------------------------------------- clip_grad_norm


def _with_grads(grads: list[float]) -> list[Value]:
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    return params


def test_clip_grad_norm_scales_to_max_norm() -> None:
    params = _with_grads([3.0, -4.0])
    total = clip_grad_norm(params, max_norm=1.0)
    assert total == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    assert [p.grad for p in params] == [3.0 * coef, -4.0 * coef]
    assert math.hypot(*(p.grad for p in params)) == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_below_max_changes_nothing() -> None:
    params = _with_grads([0.3, 0.4])
    assert clip_grad_norm(params, max_norm=1.0) == pytest.approx(0.5)
    assert [p.grad for p in params] == [0.3, 0.4]


def test_clip_grad_norm_inf_and_p_norms() -> None:
    params = _with_grads([-3.0, 2.0, 1.0])
    assert clip_grad_norm(params, 1.5, norm_type=math.inf) == 3.0
    np.testing.assert_allclose(
        [p.grad for p in params], np.array([-3.0, 2.0, 1.0]) * 1.5 / (3 + 1e-6)
    )
    grads = [1.0, -2.0, 3.0, 0.5]
    for p_norm in (1.0, 3.0, 0.5):
        want = float(np.sum(np.abs(grads) ** p_norm) ** (1 / p_norm))
        assert clip_grad_norm(_with_grads(grads), 100.0, norm_type=p_norm) == pytest.approx(
            want, rel=1e-12
        )
    huge = _with_grads([3e200, 4e200])  # the squares overflow; the norm does not
    assert clip_grad_norm(huge, 1.0) == pytest.approx(5e200)
    assert huge[0].grad == pytest.approx(0.6)


def test_clip_grad_norm_non_finite_changes_nothing() -> None:
    params = _with_grads([1.0, math.nan, 2.0])
    params[1].label = "bias"
    with pytest.raises(ValueError, match="bias"):
        clip_grad_norm(params, 1.0)
    assert params[0].grad == 1.0 and params[2].grad == 2.0


def test_clip_grad_norm_arguments() -> None:
    assert clip_grad_norm([], 1.0) == 0.0
    single = Value(0.0)
    single.grad = 2.0
    assert clip_grad_norm(single, 1.0) == 2.0 and single.grad == pytest.approx(1.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(_with_grads([1.0]), -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm(_with_grads([1.0]), 1.0, norm_type=0.0)
    with pytest.raises(TypeError, match="Value"):
        clip_grad_norm([1.0], 1.0)  # type: ignore[list-item]
