"""Each loss is written once (`nn.losses`' formulas over a namespace of math): the
eager loss on Values and the batch form `fit(compile=True)` runs on numpy rows
(`nn._compiled`) must give the same numbers.

Where and why they differ: numpy computes exp, log and log1p with its own vectorised
(SIMD) code, which on a few percent of inputs differs from the C library's (the math
module's, the engine's) in the last bit. With those three ufuncs replaced by the math
module's, values and gradients agree bit for bit; with numpy's own, values within 4
units in the last place. The one other difference: for probability targets
cross_entropy's gradient softmax(x) sum(p) - p is summed in another order than the
engine's backward accumulates its k terms (rounding only: within 1e-14 relative, 1e-15
absolute where the gradient cancels to near 0)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import Value
from nn import _compiled
from nn import losses as L

N = 120


def _cases() -> dict[str, tuple[Callable[..., Value], Any, Any]]:
    rng = np.random.default_rng(7)
    return {
        "cross_entropy index": (L.cross_entropy, rng.normal(0, 6, (N, 3)), rng.integers(0, 3, N)),
        "cross_entropy probabilities": (
            L.cross_entropy,
            rng.normal(0, 6, (N, 3)),
            rng.dirichlet([1.0, 1.0, 1.0], N),
        ),
        "sse": (L.sse, rng.normal(0, 2, (N, 2)), rng.normal(0, 2, (N, 2))),
        "mse": (L.mse, rng.normal(0, 2, (N, 2)), rng.normal(0, 2, (N, 2))),
        "binary_cross_entropy": (
            L.binary_cross_entropy,
            rng.uniform(0.001, 0.999, N),
            rng.choice([0.0, 1.0, 0.3], N),
        ),
        "binary_cross_entropy_with_logits": (
            L.binary_cross_entropy_with_logits,
            np.concatenate([rng.normal(0, 8, N - 3), [0.0, 750.0, -750.0]]),
            rng.choice([0.0, 1.0, 0.3], N),
        ),
        "hinge": (L.hinge, np.concatenate([rng.normal(0, 2, N - 2), [1.0, -1.0]]),
                  np.concatenate([rng.choice([-1.0, 1.0], N - 2), [1.0, -1.0]])),
    }  # fmt: skip


CASES = _cases()


def _eager(loss: Callable[..., Value], out: Any, target: Any) -> tuple[float, Any]:
    """One sample's loss (summed over its outputs) and its gradient, by the engine."""
    if np.ndim(out) == 0:
        leaf = Value(float(out))
        value = loss(leaf, target.item())
        value.backward()
        return value.data, leaf.grad
    leaves = [Value(float(o)) for o in out]
    target = target.tolist()
    value = loss(leaves, target, reduction="sum") if loss is L.mse else loss(leaves, target)
    value.backward()
    return value.data, np.array([v.grad for v in leaves])


def _both(name: str) -> tuple[Any, Any, Any, Any]:
    loss, outputs, targets = CASES[name]
    form = _compiled._BATCH_FORMS[loss](outputs, targets)
    assert form is not None
    eager = [_eager(loss, o, t) for o, t in zip(outputs, targets)]
    values = np.array([v for v, _ in eager])
    grads = np.array([g for _, g in eager]).reshape(outputs.shape)
    return form[0], form[1], values, grads


def _libm(fn: Callable[[float], float]) -> Callable[..., Any]:
    vectorised = np.vectorize(fn, otypes=[float])

    def ufunc(x: Any) -> Any:
        return vectorised(x)

    return ufunc


@pytest.fixture
def libm_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy's exp, log and log1p computed by the math module (the C library)."""
    for name in ("exp", "log", "log1p"):
        monkeypatch.setattr(np, name, _libm(getattr(math, name)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_eager_and_batch_losses_agree_to_the_last_bit(name: str, libm_numpy: None) -> None:
    batch_values, batch_grads, values, grads = _both(name)
    assert batch_values.tolist() == values.tolist()
    if name == "cross_entropy probabilities":  # summed in another order: see the docstring
        np.testing.assert_allclose(batch_grads, grads, rtol=1e-14, atol=1e-15)
    else:
        assert batch_grads.tolist() == grads.tolist()


@pytest.mark.parametrize("name", sorted(CASES))
def test_with_numpys_own_exp_and_log_they_agree_within_a_few_ulps(name: str) -> None:
    batch_values, batch_grads, values, grads = _both(name)
    np.testing.assert_array_max_ulp(batch_values, values, maxulp=4)
    # a gradient that is a difference near 0 (sigmoid(z) - t) is compared absolutely
    np.testing.assert_allclose(batch_grads, grads, rtol=1e-14, atol=1e-15)


def test_the_batch_softplus_and_sigmoid_are_the_engines() -> None:
    z = np.array([-800.0, -30.0, -1.5, -0.0, 0.0, 1e-300, 0.7, 36.0, 800.0])
    assert _compiled.NUMPY_MATH.softplus(z).tolist() == [Value(v).softplus().data for v in z]
    assert _compiled.NUMPY_MATH.sigmoid(z).tolist() == [Value(v).sigmoid().data for v in z]
