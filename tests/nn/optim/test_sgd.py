"""Tests for nn/optim/sgd.py: SGD against an independent numpy reference, and
the plain update function `sgd` on its own."""

from __future__ import annotations

import numpy as np
import pytest
from optim_reference import (
    STEPS,
    THETA0,
    Factory,
    RefStep,
    assert_follows,
    cases,
    gradient,
    reference_trajectory,
    sgd_ref,
)

from autograd import Value
from nn.optim import SGD, sgd

CASES = cases(
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
)


@pytest.mark.parametrize(("make", "ref", "without"), CASES)
def test_update_rule_matches_reference(
    make: Factory, ref: RefStep, without: RefStep | None
) -> None:
    assert_follows(make, ref, without)


def test_sgd_function_alone_follows_the_reference_and_writes_nothing() -> None:
    params, buffers = THETA0.tolist(), None
    want = reference_trajectory(sgd_ref(0.05, 0.8, weight_decay=0.1, nesterov=True))
    for t in range(1, STEPS + 1):
        grads = gradient(np.array(params), t).tolist()
        before = (list(params), list(grads), None if buffers is None else list(buffers))
        new, new_buffers = sgd(
            params,
            grads,
            buffers,
            lr=0.05,
            momentum=0.8,
            dampening=0.0,
            weight_decay=0.1,
            nesterov=True,
            maximize=False,
        )
        assert (params, grads, buffers) == before  # inputs untouched
        np.testing.assert_allclose(new, want[t - 1], rtol=1e-12, atol=1e-13)
        params, buffers = new, new_buffers


def test_sgd_without_momentum_returns_no_buffer() -> None:
    new, buffers = sgd(
        [1.0, 2.0],
        [0.5, -1.0],
        None,
        lr=0.1,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        maximize=False,
    )
    assert buffers is None
    np.testing.assert_allclose(new, [1.0 - 0.05, 2.0 + 0.1], rtol=1e-15)


def test_sgd_default_lr_is_torchs() -> None:
    assert SGD([Value(1.0)]).param_groups[0]["lr"] == 1e-3


def test_sgd_without_momentum_keeps_no_state() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    w.grad = 1.0
    opt.step()
    assert opt.state_dict()["state"] == {}
