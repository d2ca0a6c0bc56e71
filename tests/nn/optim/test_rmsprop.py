"""Tests for nn/optim/rmsprop.py: RMSprop against an independent numpy reference, and
the plain update function `rmsprop` on its own."""

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
    rmsprop_ref,
)

from nn.optim import RMSprop, rmsprop

CASES = cases(
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
)


@pytest.mark.parametrize(("make", "ref", "without"), CASES)
def test_update_rule_matches_reference(
    make: Factory, ref: RefStep, without: RefStep | None
) -> None:
    assert_follows(make, ref, without)


def test_rmsprop_function_alone_follows_the_reference_and_writes_nothing() -> None:
    params = THETA0.tolist()
    v = a = b = None
    want = reference_trajectory(rmsprop_ref(0.01, 0.9, 1e-6, 0.1, momentum=0.5, centered=True))
    for t in range(1, STEPS + 1):
        grads = gradient(np.array(params), t).tolist()
        before = (list(params), list(grads))
        new, buffers = rmsprop(
            params,
            grads,
            v,
            a,
            b,
            lr=0.01,
            alpha=0.9,
            eps=1e-6,
            weight_decay=0.1,
            momentum=0.5,
            centered=True,
            maximize=False,
        )
        assert (params, grads) == before  # inputs untouched
        np.testing.assert_allclose(new, want[t - 1], rtol=1e-12, atol=1e-13)
        params = new
        v, a, b = buffers["square_avg"], buffers["grad_avg"], buffers["momentum_buffer"]


def test_rmsprop_clamps_a_rounding_negative_variance_at_zero() -> None:
    # constant gradients: v - a^2 is 0 in exact arithmetic, a hair negative in floats
    g = 0.1 * 2 / 3
    v, a = g * g * (1 - 1e-16), g
    v_next, a_next = 0.5 * v + 0.5 * g * g, 0.5 * a + 0.5 * g
    assert v_next - a_next * a_next < 0.0  # the case is real: torch's sqrt gives nan here
    new, _ = rmsprop(
        [1.0],
        [g],
        [v],
        [a],
        None,
        lr=0.01,
        alpha=0.5,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=True,
        maximize=False,
    )
    assert new == [pytest.approx(1.0 - 0.01 * g / 1e-8, rel=1e-12)]
