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


def test_loading_a_state_without_entries_starts_the_sums_at_the_initial_value() -> None:
    # A state saved before any step has no entries; loading it over a stepped
    # optimizer restarts its sums at initial_accumulator_value, as a new one has them.
    fresh = Adagrad([Value(1.0)], lr=0.1, initial_accumulator_value=0.3)
    p = Value(1.0)
    opt = Adagrad([p], lr=0.1, initial_accumulator_value=0.3)
    p.grad = 2.0
    opt.step()
    opt.load_state_dict(fresh.state_dict())
    p.data, p.grad = 1.0, 0.5
    opt.step()
    # sum = 0.3 + 0.5**2; p = 1 - 0.1 * 0.5 / (sqrt(sum) + eps), eps = 1e-10
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5 / (np.sqrt(0.3 + 0.25) + 1e-10), rel=1e-15)
