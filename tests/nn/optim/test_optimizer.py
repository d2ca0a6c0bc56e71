"""Tests for nn/optim/optimizer.py, over every optimizer: the bowl, parameter groups,
argument checks, all-or-nothing steps (under Ctrl-C too), state_dict round trips."""

from __future__ import annotations

import json
import math
import os
import signal
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest
from optim_reference import EVERY_OPTIMIZER, OPTIMIZERS, THETA0, Factory, gradient, trained

import nn
from autograd import Value
from nn import _checks as nn_checks
from nn.module import Module
from nn.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

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
def test_reaches_the_bottom_of_the_bowl(make: Factory, steps: int) -> None:
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


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("make", EVERY_OPTIMIZER)
def test_non_finite_gradient_changes_nothing(make: Factory, bad: float) -> None:
    params, opt = trained(make)
    before = ([p.data for p in params], json.dumps(opt.state_dict()))
    for p in params:
        p.grad = 0.25
    params[3].grad = bad
    with pytest.raises(ValueError, match=r"'w3'.*" + repr(bad).replace("-", r"\-")):
        opt.step()
    assert ([p.data for p in params], json.dumps(opt.state_dict())) == before


def test_non_finite_gradient_named_by_index_without_label() -> None:
    params, opt = trained(OPTIMIZERS["adam"], labels=False)
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


@pytest.mark.parametrize("make", EVERY_OPTIMIZER)
def test_state_dict_round_trip_continues_identically(
    make: Factory,
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
    _, opt = trained(lambda p: Adam(p, lr=0.1))
    _, other = trained(lambda p: Adam(p, lr=0.05, betas=(0.5, 0.6)))
    other.step()
    bad = other.state_dict()
    edit(bad)
    before = json.dumps(opt.state_dict())
    with pytest.raises(ValueError, match=pattern):
        opt.load_state_dict(bad)
    assert json.dumps(opt.state_dict()) == before  # nothing half-loaded


# ---------------------------------------------------------------- issue 12: signals, None, huge


class _InterruptsWhenWritten(Value):
    """A parameter that sends this process a real SIGINT (Ctrl-C) when its data is set."""

    __slots__ = ()
    armed: ClassVar[list[bool]] = [False]
    presses: ClassVar[list[int]] = [1]  # how many Ctrl-Cs the armed write sends

    @property  # type: ignore[override]
    def data(self) -> float:
        return Value.data.__get__(self)  # type: ignore[attr-defined,no-any-return]

    @data.setter
    def data(self, x: float) -> None:
        Value.data.__set__(self, x)  # type: ignore[attr-defined]
        if self.armed[0]:
            self.armed[0] = False
            for _ in range(self.presses[0]):
                os.kill(os.getpid(), signal.SIGINT)


def _with_grads(params: list[Value], t: int) -> None:
    for p, g in zip(params, gradient(np.array([p.data for p in params]), t)):
        p.grad = float(g)


@pytest.mark.parametrize("make", EVERY_OPTIMIZER)
def test_a_ctrl_c_inside_step_arrives_after_the_step_with_every_parameter_written(
    make: Factory,
) -> None:
    params = [Value(x) for x in THETA0]
    params[1] = _InterruptsWhenWritten(THETA0[1])  # the second of five writes sends Ctrl-C
    twin = [Value(x) for x in THETA0]
    opt, twin_opt = make(params), make(twin)
    for t in (1, 2):
        _with_grads(params, t)
        _with_grads(twin, t)
        twin_opt.step()
        _InterruptsWhenWritten.armed[0] = t == 2
        if t == 1:
            opt.step()
        else:
            with pytest.raises(KeyboardInterrupt):
                opt.step()
    assert [p.data for p in params] == [p.data for p in twin]  # not torn
    assert opt.state_dict() == twin_opt.state_dict()  # buffers and step counts too
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("make", EVERY_OPTIMIZER)
def test_a_missing_gradient_is_named_and_changes_nothing(make: Factory) -> None:
    params, opt = trained(make)
    before = ([p.data for p in params], json.dumps(opt.state_dict()))
    params[2].grad = None  # type: ignore[assignment]  # torch's "no gradient"
    with pytest.raises(TypeError, match=r"gradient of parameter 'w2'.* is None"):
        opt.step()
    assert ([p.data for p in params], json.dumps(opt.state_dict())) == before


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda p: SGD(p, lr=10**400), ValueError),
        (lambda p: Adam(p, eps=-(10**400)), ValueError),
        (lambda p: Adam(p, betas=(0.9, 10**400)), ValueError),
        (lambda p: SGD(p, lr="0.1"), TypeError),
    ],
)
def test_a_hyper_parameter_too_large_for_a_float_is_a_value_error(
    build: Callable[[list[Value]], Optimizer], error: type[Exception]
) -> None:
    with pytest.raises(error, match="must be a finite number") as info:
        build([Value(1.0)])
    assert len(str(info.value)) < 300  # the 400 digits are not written out


def test_a_state_dict_with_keys_0_and_str_0_is_refused() -> None:
    _, opt = trained(lambda p: Adam(p, lr=0.1))
    sd = json.loads(json.dumps(opt.state_dict()))  # keys "0", "1", ...
    sd["state"][0] = dict(sd["state"]["0"], exp_avg=123.0)
    before = json.dumps(opt.state_dict())
    with pytest.raises(ValueError, match=r"two entries for parameter 0 \(keys 0 and '0'\)"):
        opt.load_state_dict(sd)
    assert json.dumps(opt.state_dict()) == before


def _deep(levels: int) -> Any:
    nested: Any = 0.9
    for _ in range(levels):
        nested = [nested]
    return nested


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda sd: sd["state"]["1"].update(exp_avg=10**400), "too large for a float"),
        (lambda sd: sd["state"]["1"].update(step=10**400), "step"),
        (lambda sd: sd["param_groups"][0].update(lr=10**400), "lr"),
        (lambda sd: sd["param_groups"][0].update(betas=[_deep(100_000), 0.9]), "betas"),
        (lambda sd: sd["state"]["1"].update(exp_avg=_deep(100_000)), "exp_avg"),
        (lambda sd: sd["state"].update({"9" * 400: {}}), "which no group lists"),
    ],
)
def test_huge_numbers_and_deep_nesting_in_a_state_dict_are_value_errors(
    edit: Callable[[dict[str, Any]], None], pattern: str
) -> None:
    _, opt = trained(lambda p: Adam(p, lr=0.1))
    sd = json.loads(json.dumps(opt.state_dict()))
    edit(sd)
    before = json.dumps(opt.state_dict())
    with pytest.raises(ValueError, match=pattern) as info:
        opt.load_state_dict(sd)
    assert str(info.value).startswith("Adam.load_state_dict: nothing was loaded:")
    assert len(str(info.value)) < 400
    assert json.dumps(opt.state_dict()) == before


class _SignSGD(Optimizer):
    """A new optimizer as a newcomer writes one: a signature, a rule, a table entry."""

    hyper_checks: ClassVar[dict[str, Callable[[str, str, Any], Any]]] = {"clip": nn_checks.positive}
    _counts_steps = False

    def __init__(self, params: list[Value], lr: float = 0.1, clip: float = 1.0) -> None:
        super().__init__(params, locals())

    def _needed_buffers(self, hypers: Any) -> tuple[str, ...]:
        return ()

    def _update(
        self, hypers: Any, datas: list[float], grads: list[float], buffers: Any, t: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        step = [hypers["lr"] * min(max(g, -hypers["clip"]), hypers["clip"]) for g in grads]
        return [x - s for x, s in zip(datas, step)], {}


def test_a_new_optimizer_names_each_hyper_parameter_once_and_gets_the_checks() -> None:
    w = Value(1.0)
    opt = _SignSGD([w], lr=0.5, clip=0.2)
    assert opt.defaults == {"lr": 0.5, "clip": 0.2}
    w.grad = 3.0
    opt.step()
    assert w.data == 1.0 - 0.5 * 0.2
    with pytest.raises(ValueError, match="_SignSGD: clip must be a finite number > 0"):
        _SignSGD([w], clip=0.0)
    with pytest.raises(ValueError, match="_SignSGD: lr must be a finite number >= 0"):
        _SignSGD([w], lr=-1.0)

    class Unchecked(_SignSGD):
        hyper_checks: ClassVar[dict[str, Callable[[str, str, Any], Any]]] = {}

    with pytest.raises(TypeError, match=r"no check for the hyper-parameter\(s\) \['clip'\]"):
        Unchecked([w])


def test_step_runs_in_another_thread_where_no_signal_can_be_held() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.5)
    w.grad = 1.0
    errors: list[BaseException] = []

    def run() -> None:
        try:
            opt.step()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors == [] and w.data == 0.5
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _Line(Module):
    def __init__(self, w: Value) -> None:
        self.w, self.b = w, Value(0.0)

    def forward(self, x: list[float]) -> Value:
        return self.w * x[0] + self.b


def test_a_second_ctrl_c_inside_a_step_of_fit_stops_the_run_with_the_model_whole() -> None:
    X, y = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 6.0])
    model, twin = _Line(_InterruptsWhenWritten(0.5)), _Line(Value(0.5))
    writes = []

    def arm_on_the_second_step(history: Any) -> bool:  # stop_when runs after each epoch
        writes.append(1)
        _InterruptsWhenWritten.armed[0] = len(writes) == 1
        return False

    _InterruptsWhenWritten.presses[0] = 2  # two Ctrl-Cs in the middle of the step's writes
    try:
        history = nn.fit(
            model,
            X,
            y,
            loss=nn.mse,
            optimizer=SGD(model.parameters(), lr=0.05),
            epochs=5,
            stop_when=arm_on_the_second_step,
            progress=False,
        )
    finally:
        _InterruptsWhenWritten.presses[0] = 1
    nn.fit(
        twin, X, y, loss=nn.mse, optimizer=SGD(twin.parameters(), lr=0.05), epochs=2, progress=False
    )
    assert history.stop_reason == "interrupted"
    assert (model.w.data, model.b.data) == (twin.w.data, twin.b.data)  # step 2 written whole
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
