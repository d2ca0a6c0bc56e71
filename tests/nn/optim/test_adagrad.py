"""Tests for nn/optim/adagrad.py: Adagrad against an independent numpy reference, and
the plain update function `adagrad` on its own."""

from __future__ import annotations

import numpy as np
import pytest
from optim_reference import (
    STEPS,
    THETA0,
    Factory,
    RefStep,
    adagrad_ref,
    assert_follows,
    cases,
    gradient,
    reference_trajectory,
)

from autograd import Value
from nn.optim import Adagrad, adagrad

CASES = cases(
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
)


@pytest.mark.parametrize(("make", "ref", "without"), CASES)
def test_update_rule_matches_reference(
    make: Factory, ref: RefStep, without: RefStep | None
) -> None:
    assert_follows(make, ref, without)


def test_adagrad_function_alone_follows_the_reference_and_writes_nothing() -> None:
    params = THETA0.tolist()
    sums = [2.0] * len(params)
    want = reference_trajectory(
        adagrad_ref(0.5, lr_decay=0.1, weight_decay=0.2, initial_accumulator_value=2.0, eps=1e-3)
    )
    for t in range(1, STEPS + 1):
        grads = gradient(np.array(params), t).tolist()
        before = (list(params), list(grads), list(sums))
        new, new_sums = adagrad(
            params,
            grads,
            sums,
            step=t,
            lr=0.5,
            lr_decay=0.1,
            weight_decay=0.2,
            eps=1e-3,
            maximize=False,
        )
        assert (params, grads, sums) == before  # inputs untouched
        np.testing.assert_allclose(new, want[t - 1], rtol=1e-12, atol=1e-13)
        params, sums = new, new_sums


def test_adagrad_starts_with_its_sum() -> None:
    ada = Adagrad([Value(1.0)], initial_accumulator_value=0.5)
    assert ada.state_dict()["state"] == {0: {"step": 0.0, "sum": 0.5}}
