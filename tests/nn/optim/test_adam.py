"""Tests for nn/optim/adam.py: Adam, AdamW against an independent numpy reference, and
the plain update function `adam` on its own."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from optim_reference import (
    STEPS,
    THETA0,
    Factory,
    RefStep,
    adam_ref,
    assert_follows,
    cases,
    gradient,
    reference_trajectory,
)

from autograd import Value
from nn.optim import Adam, AdamW, adam

CASES = cases(
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
)


@pytest.mark.parametrize(("make", "ref", "without"), CASES)
def test_update_rule_matches_reference(
    make: Factory, ref: RefStep, without: RefStep | None
) -> None:
    assert_follows(make, ref, without)


@pytest.mark.parametrize("decoupled", [False, True], ids=["adam", "adamw"])
def test_adam_function_alone_follows_the_reference_and_writes_nothing(decoupled: bool) -> None:
    params = THETA0.tolist()
    m = v = vmax = None
    want = reference_trajectory(
        adam_ref(0.1, (0.8, 0.9), 1e-6, weight_decay=0.2, amsgrad=True, decoupled=decoupled)
    )
    for t in range(1, STEPS + 1):
        grads = gradient(np.array(params), t).tolist()
        before = (list(params), list(grads))
        new, buffers = adam(
            params,
            grads,
            m,
            v,
            vmax,
            step=t,
            lr=0.1,
            betas=(0.8, 0.9),
            eps=1e-6,
            weight_decay=0.2,
            amsgrad=True,
            maximize=False,
            decoupled_weight_decay=decoupled,
        )
        assert (params, grads) == before  # inputs untouched
        np.testing.assert_allclose(new, want[t - 1], rtol=1e-12, atol=1e-13)
        params = new
        m, v, vmax = buffers["exp_avg"], buffers["exp_avg_sq"], buffers["max_exp_avg_sq"]


def test_adamw_is_adam_with_a_different_weight_decay_default_and_the_same_signature() -> None:
    assert AdamW([Value(1.0)]).param_groups[0]["weight_decay"] == 1e-2
    assert Adam([Value(1.0)]).param_groups[0]["weight_decay"] == 0.0
    adam_args = list(inspect.signature(Adam).parameters)
    assert list(inspect.signature(AdamW).parameters) == adam_args
    opt = AdamW([Value(1.0)], 0.5, (0.5, 0.6), 1e-3, weight_decay=0.1, amsgrad=True)
    assert opt.defaults == {
        "lr": 0.5,
        "betas": (0.5, 0.6),
        "eps": 1e-3,
        "weight_decay": 0.1,
        "amsgrad": True,
        "maximize": False,
    }
