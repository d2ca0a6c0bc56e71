"""`Adam` and `AdamW`, and `adam`, their update rule over lists of floats
(`adam_arrays` over arrays)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import partialmethod
from typing import Any

import numpy as np

from autograd import Value
from nn.optim.flat import Array, ArrayBuffers, blend_array, decayed_gradient_array
from nn.optim.optimizer import Buffers, Optimizer, coupled_weight_decay, maximised

__all__ = ["Adam", "AdamW", "adam", "adam_arrays"]

_sqrt = math.sqrt


def adam(
    params: list[float],
    grads: list[float],
    exp_avgs: list[float] | None,
    exp_avg_sqs: list[float] | None,
    max_exp_avg_sqs: list[float] | None,
    *,
    step: int,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool = False,
) -> tuple[list[float], Buffers]:
    """One Adam (or AdamW) step `step` (1-based): new values and moment buffers.

    The moments are None before the first step (they start at 0). Returns the new
    values and ``{"exp_avg": m, "exp_avg_sq": v}``, plus ``"max_exp_avg_sq"`` with
    amsgrad. ``decoupled_weight_decay`` is AdamW's decay (see `AdamW`). Nothing is
    written.
    """
    beta1, beta2 = betas
    zeros = [0.0] * len(params)
    g = maximised(grads, maximize)
    if not decoupled_weight_decay:
        g = coupled_weight_decay(g, params, weight_decay)
    elif weight_decay:  # AdamW: shrink the parameter itself, outside the moments
        shrink = 1.0 - lr * weight_decay
        params = [x * shrink for x in params]
    c1, c2 = 1.0 - beta1, 1.0 - beta2
    m = [beta1 * mi + c1 * gi for mi, gi in zip(exp_avgs or zeros, g)]
    v = [beta2 * vi + c2 * gi * gi for vi, gi in zip(exp_avg_sqs or zeros, g)]
    buffers: Buffers = {"exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = [max(a, b) for a, b in zip(max_exp_avg_sqs or zeros, v)]
        buffers["max_exp_avg_sq"] = v
    step_size = lr / (1.0 - beta1**step)
    root_bc2 = _sqrt(1.0 - beta2**step)
    new = [x - step_size * mi / (_sqrt(vi) / root_bc2 + eps) for x, mi, vi in zip(params, m, v)]
    return new, buffers


def adam_arrays(
    params: Array,
    grads: Array,
    exp_avgs: Array | None,
    exp_avg_sqs: Array | None,
    max_exp_avg_sqs: Array | None,
    *,
    step: int,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool = False,
) -> tuple[Array, ArrayBuffers]:
    """`adam` over float64 arrays, bit for bit: the same float operations in the same
    order, a few numpy calls for the whole buffer. Returns new arrays; the arguments
    are not written."""
    beta1, beta2 = betas
    if not decoupled_weight_decay:
        g = decayed_gradient_array(grads, params, weight_decay, maximize)
    else:
        g = decayed_gradient_array(grads, params, 0.0, maximize)
        if weight_decay:
            params = params * (1.0 - lr * weight_decay)
    m = blend_array(beta1, exp_avgs, 1.0 - beta1, g)
    v = blend_array(beta2, exp_avg_sqs, 1.0 - beta2, g, squared=True)
    buffers: ArrayBuffers = {"exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        old = np.zeros_like(v) if max_exp_avg_sqs is None else max_exp_avg_sqs
        # max(old, v) keeps `old` unless v is strictly larger: np.where says the same
        v = np.where(v > old, v, old)
        buffers["max_exp_avg_sq"] = v
    step_size = lr / (1.0 - beta1**step)
    root_bc2 = _sqrt(1.0 - beta2**step)
    denom = np.sqrt(v)
    denom /= root_bc2
    denom += eps
    new = step_size * m
    new /= denom
    return np.subtract(params, new, out=new), buffers


class Adam(Optimizer):
    r"""Adam (and AMSGrad), as ``torch.optim.Adam``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.Adam.html. With
    learning rate gamma, betas (beta1, beta2), weight decay lambda, at step t::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}      (coupled, an L2 penalty)
        m_t = beta1 m_{t-1} + (1 - beta1) g_t                   (m_0 = 0)
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2                 (v_0 = 0)
        if amsgrad:  v_t^max = max(v_{t-1}^max, v_t);  v = v_t^max  else  v = v_t
        denom   = sqrt(v) / sqrt(1 - beta2^t) + eps
        theta_t = theta_{t-1} - gamma / (1 - beta1^t) * m_t / denom

    AMSGrad keeps the running maximum of the raw second moment and bias-corrects
    it with beta2^t, as torch's current code does. Checks (as torch): lr, eps,
    weight_decay >= 0; 0 <= beta < 1.
    """

    _nonnegative_buffers = frozenset({"exp_avg_sq", "max_exp_avg_sq"})
    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, locals())

    def _needed_buffers(self, hypers: Mapping[str, Any]) -> tuple[str, ...]:
        if hypers["amsgrad"]:
            return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        return ("exp_avg", "exp_avg_sq")

    def _update(
        self,
        hypers: Mapping[str, Any],
        datas: list[float],
        grads: list[float],
        buffers: Buffers,
        t: int,
    ) -> tuple[list[float], Buffers]:
        return adam(
            datas,
            grads,
            buffers.get("exp_avg"),
            buffers.get("exp_avg_sq"),
            buffers.get("max_exp_avg_sq"),
            step=t,
            decoupled_weight_decay=self._decoupled_weight_decay,
            **hypers,
        )

    def _update_arrays(
        self, hypers: Mapping[str, Any], datas: Array, grads: Array, buffers: ArrayBuffers, t: int
    ) -> tuple[Array, ArrayBuffers]:
        return adam_arrays(
            datas,
            grads,
            buffers.get("exp_avg"),
            buffers.get("exp_avg_sq"),
            buffers.get("max_exp_avg_sq"),
            step=t,
            decoupled_weight_decay=self._decoupled_weight_decay,
            **hypers,
        )


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html. The
    same as `Adam` except for the weight decay, which shrinks the parameter directly
    instead of entering the gradient (so it is not rescaled by the moments)::

        theta_{t-1} <- theta_{t-1} (1 - gamma lambda)
        ... then Adam's update with g_t = grad (or -grad if maximize), no L2 term.

    Adam's arguments, with ``weight_decay`` defaulting to 1e-2, as torch's. From
    ``weight_decay`` on they are keyword-only (the one place where the signature
    differs from torch's, where they may also be given by position).
    """

    _decoupled_weight_decay = True
    __init__ = partialmethod(Adam.__init__, weight_decay=1e-2)
