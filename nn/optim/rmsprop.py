"""`RMSprop`, and `rmsprop`, its update rule over lists of floats (`rmsprop_arrays`
over arrays)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Value
from nn.optim.flat import Array, ArrayBuffers, blend_array, decayed_gradient_array
from nn.optim.optimizer import Buffers, Optimizer, coupled_weight_decay, maximised

__all__ = ["RMSprop", "rmsprop", "rmsprop_arrays"]

_sqrt = math.sqrt


def rmsprop(
    params: list[float],
    grads: list[float],
    square_avgs: list[float] | None,
    grad_avgs: list[float] | None,
    momentum_buffers: list[float] | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> tuple[list[float], Buffers]:
    """One RMSprop step: new values and ``{"square_avg": ...}``, plus ``"grad_avg"``
    when centered and ``"momentum_buffer"`` with momentum (see `RMSprop`). Buffers
    are None before the first step (they start at 0). Nothing is written."""
    zeros = [0.0] * len(params)
    g = coupled_weight_decay(maximised(grads, maximize), params, weight_decay)
    c = 1.0 - alpha
    v = [alpha * vi + c * gi * gi for vi, gi in zip(square_avgs or zeros, g)]
    buffers: Buffers = {"square_avg": v}
    if centered:
        a = [alpha * ai + c * gi for ai, gi in zip(grad_avgs or zeros, g)]
        buffers["grad_avg"] = a
        s = [_sqrt(max(vi - ai * ai, 0.0)) + eps for vi, ai in zip(v, a)]
    else:
        s = [_sqrt(vi) + eps for vi in v]
    if momentum > 0:
        buf = [momentum * b + gi / si for b, gi, si in zip(momentum_buffers or zeros, g, s)]
        buffers["momentum_buffer"] = buf
        return [x - lr * b for x, b in zip(params, buf)], buffers
    return [x - lr * gi / si for x, gi, si in zip(params, g, s)], buffers


def rmsprop_arrays(
    params: Array,
    grads: Array,
    square_avgs: Array | None,
    grad_avgs: Array | None,
    momentum_buffers: Array | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> tuple[Array, ArrayBuffers]:
    """`rmsprop` over float64 arrays, bit for bit: the same float operations in the
    same order. Returns new arrays; the arguments are not written."""
    g = decayed_gradient_array(grads, params, weight_decay, maximize)
    c = 1.0 - alpha
    v = blend_array(alpha, square_avgs, c, g, squared=True)
    buffers: ArrayBuffers = {"square_avg": v}
    if centered:
        a = blend_array(alpha, grad_avgs, c, g)
        buffers["grad_avg"] = a
        spread = v - a * a
        # max(spread, 0.0) keeps `spread` unless 0.0 is strictly larger (a -0.0 stays)
        s = np.sqrt(np.where(spread < 0.0, 0.0, spread))
    else:
        s = np.sqrt(v)
    s += eps
    if momentum > 0:
        # 1.0 * x is x exactly, so this is momentum * b + gi / si
        buf = blend_array(momentum, momentum_buffers, 1.0, g / s)
        buffers["momentum_buffer"] = buf
        new = lr * buf
        return np.subtract(params, new, out=new), buffers
    new = lr * g
    new /= s
    return np.subtract(params, new, out=new), buffers


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum, as ``torch.optim.RMSprop``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html. With
    learning rate gamma, smoothing alpha, weight decay lambda, momentum mu::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        v_t = alpha v_{t-1} + (1 - alpha) g_t^2                  (v_0 = 0)
        if centered:
            a_t = alpha a_{t-1} + (1 - alpha) g_t                 (a_0 = 0)
            s_t = sqrt(v_t - a_t^2) + eps
        else:
            s_t = sqrt(v_t) + eps
        if mu > 0:
            b_t = mu b_{t-1} + g_t / s_t;   theta_t = theta_{t-1} - gamma b_t    (b_0 = 0)
        else:
            theta_t = theta_{t-1} - gamma g_t / s_t

    v_t - a_t^2 is a weighted variance, >= 0 in exact arithmetic; rounding can make
    it a hair negative when the gradients are constant, where torch's sqrt gives nan.
    Here it is clamped at 0, the only departure from torch. Checks: lr, eps,
    weight_decay, momentum >= 0 (as torch); alpha in [0, 1] (torch only checks >= 0,
    but alpha > 1 gives negative weights to squared gradients).
    """

    _nonnegative_buffers = frozenset({"square_avg"})

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, locals())

    def _needed_buffers(self, hypers: Mapping[str, Any]) -> tuple[str, ...]:
        names = ["square_avg"]
        if hypers["momentum"] > 0:
            names.append("momentum_buffer")
        if hypers["centered"]:
            names.append("grad_avg")
        return tuple(names)

    def _update(
        self,
        hypers: Mapping[str, Any],
        datas: list[float],
        grads: list[float],
        buffers: Buffers,
        t: int,
    ) -> tuple[list[float], Buffers]:
        return rmsprop(
            datas,
            grads,
            buffers.get("square_avg"),
            buffers.get("grad_avg"),
            buffers.get("momentum_buffer"),
            **hypers,
        )

    def _update_arrays(
        self, hypers: Mapping[str, Any], datas: Array, grads: Array, buffers: ArrayBuffers, t: int
    ) -> tuple[Array, ArrayBuffers]:
        return rmsprop_arrays(
            datas,
            grads,
            buffers.get("square_avg"),
            buffers.get("grad_avg"),
            buffers.get("momentum_buffer"),
            **hypers,
        )
