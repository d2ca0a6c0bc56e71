"""Tests for nn/optim/clip_grad.py: clip_grad_norm against numpy norms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograd import Value
from nn.optim import clip_grad_norm, clip_grad_norm_arrays


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


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])  # clipping, and not
def test_clip_grad_norm_arrays_equals_clip_grad_norm_bit_for_bit(
    norm_type: float, max_norm: float
) -> None:
    rng = np.random.default_rng(7)
    grads = rng.normal(size=40) * np.exp(rng.uniform(-6, 4, size=40))
    grads[:2] = (0.0, -0.0)
    params = _with_grads(grads.tolist())
    flat = grads.copy()
    total = clip_grad_norm(params, max_norm=max_norm, norm_type=norm_type)
    flat_total = clip_grad_norm_arrays(flat, max_norm=max_norm, norm_type=norm_type)
    assert flat_total == total
    expected = np.array([p.grad for p in params])
    assert np.array_equal(expected.view(np.int64), flat.view(np.int64))
    assert (max_norm < total) == (not np.array_equal(flat, grads))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_arrays_refuses_non_finite_and_changes_nothing(bad: float) -> None:
    flat = np.array([3.0, -4.0, bad, 1.0])
    before = flat.copy()
    with pytest.raises(ValueError, match="nothing was changed: the gradient of entry 2"):
        clip_grad_norm_arrays(flat, max_norm=1.0)
    assert np.array_equal(before, flat, equal_nan=True)
