"""`clip_grad_norm`: scale the gradients down to a joint norm, as torch's clip_grad_norm_
(`clip_grad_norm_arrays`: the same over a flat gradient buffer, bit for bit)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Value
from nn import _checks as checks
from nn.optim.flat import Array, check_finite_array, checked_flat
from nn.optim.optimizer import check_finite

__all__ = ["clip_grad_norm", "clip_grad_norm_arrays"]


def clip_grad_norm(
    params: Iterable[Value] | Value, max_norm: float, norm_type: float = 2.0
) -> float:
    r"""Scale the gradients down so that their joint norm is at most about ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_`` with ``error_if_nonfinite=True``
    (https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html)::

        total = (sum_i |g_i|^p)^(1/p)        (max_i |g_i| for p = inf)
        c = max_norm / (total + 1e-6)
        if c < 1:  g_i <- c g_i              for every i

    Returns ``total``, the norm before clipping. The 1e-6 keeps c finite for zero
    gradients; it also means a norm exactly equal to max_norm is scaled by
    c = 1 - ~1e-6/max_norm, as in torch. A non-finite total raises ``ValueError``
    (naming a parameter whose gradient is nan or inf) and changes nothing.
    """
    items = [params] if isinstance(params, Value) else list(params)
    for i, p in enumerate(items):
        checks.instance("clip_grad_norm", f"params[{i}]", p, Value, "a Value")
    limit = checks.nonnegative("clip_grad_norm", "max_norm", max_norm)
    p_norm = _norm_type(norm_type)
    if not items:
        return 0.0
    grads = [p.grad for p in items]
    label = lambda i: f"parameter {items[i].label or i!r}"  # noqa: E731
    check_finite(grads, label, "clip_grad_norm: nothing was changed: the gradient")
    total, coef = _total_and_scale(grads, p_norm, limit, "clip_grad_norm")
    if coef < 1.0:
        for p in items:
            p.grad *= coef
    return total


def clip_grad_norm_arrays(grads: Array, max_norm: float, norm_type: float = 2.0) -> float:
    """`clip_grad_norm` over a 1-D float64 buffer of gradients, scaled in place.

    The same norm (computed by the same code) and the same scaling, so the result is
    bit for bit `clip_grad_norm`'s over Values with these gradients; for callers that
    keep gradients in one array (see `Optimizer.step_arrays`). A non-finite entry
    raises ``ValueError`` naming its index and changes nothing.
    """
    size = grads.size if isinstance(grads, np.ndarray) else 0
    grads = checked_flat("clip_grad_norm_arrays", "grads", grads, size, writable=True)
    limit = checks.nonnegative("clip_grad_norm_arrays", "max_norm", max_norm)
    p_norm = _norm_type(norm_type)
    if not size:
        return 0.0
    with np.errstate(all="ignore"):
        check_finite_array(
            grads,
            lambda i: f"entry {i}",
            "clip_grad_norm_arrays: nothing was changed: the gradient",
        )
    total, coef = _total_and_scale(grads.tolist(), p_norm, limit, "clip_grad_norm_arrays")
    if coef < 1.0:
        grads *= coef
    return total


def _total_and_scale(
    grads: list[float], p_norm: float, limit: float, where: str
) -> tuple[float, float]:
    """The `p_norm`-norm of `grads` (finite numbers) and the factor that clips it."""
    if p_norm == 2.0:
        total = math.hypot(*grads)  # no overflow in the squares
    else:
        magnitudes = [abs(g) for g in grads]
        biggest = max(magnitudes)
        if p_norm == math.inf:
            total = biggest
        elif biggest == 0.0:
            total = 0.0
        else:  # factor out the largest entry so the powers cannot overflow
            total = biggest * sum((m / biggest) ** p_norm for m in magnitudes) ** (1.0 / p_norm)
    if not math.isfinite(total):
        raise ValueError(
            f"{where}: nothing was changed: the {p_norm}-norm of the gradients "
            f"overflows ({total!r})"
        )
    return total, limit / (total + 1e-6)


def _norm_type(value: Any) -> float:
    """A number > 0, or math.inf for the largest magnitude."""
    if isinstance(value, float) and value == math.inf:
        return value
    return checks.positive("clip_grad_norm", "norm_type", value)
