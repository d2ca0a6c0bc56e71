"""`Adagrad`, and `adagrad`, its update rule over lists of floats (`adagrad_arrays`
over arrays)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Value
from nn.optim.flat import Array, ArrayBuffers, decayed_gradient_array
from nn.optim.optimizer import Buffers, Optimizer, coupled_weight_decay, maximised

__all__ = ["Adagrad", "adagrad", "adagrad_arrays"]

_sqrt = math.sqrt


def adagrad(
    params: list[float],
    grads: list[float],
    sums: list[float],
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> tuple[list[float], list[float]]:
    """One Adagrad step `step` (1-based): the new values and the new sums of squared
    gradients (see `Adagrad`; the sums start at ``initial_accumulator_value``).
    Nothing is written.
    """
    clr = lr / (1.0 + (step - 1) * lr_decay)
    g = coupled_weight_decay(maximised(grads, maximize), params, weight_decay)
    s = [si + gi * gi for si, gi in zip(sums, g)]
    return [x - clr * gi / (_sqrt(si) + eps) for x, gi, si in zip(params, g, s)], s


def adagrad_arrays(
    params: Array,
    grads: Array,
    sums: Array,
    *,
    step: int,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> tuple[Array, Array]:
    """`adagrad` over float64 arrays, bit for bit: the same float operations in the
    same order. Returns new arrays; the arguments are not written. A zero eps with a
    zero sum gives nan here where `adagrad` raises ZeroDivisionError."""
    clr = lr / (1.0 + (step - 1) * lr_decay)
    g = decayed_gradient_array(grads, params, weight_decay, maximize)
    s = g * g
    s += sums  # si + gi * gi: float addition commutes exactly
    new = clr * g
    denom = np.sqrt(s)
    denom += eps
    new /= denom
    return np.subtract(params, new, out=new), s


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html. With
    learning rate gamma, lr decay eta, weight decay lambda, initial accumulator tau::

        g_t = -grad if maximize else grad
        gamma_t = gamma / (1 + (t - 1) eta)
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        s_t = s_{t-1} + g_t^2                                     (s_0 = tau)
        theta_t = theta_{t-1} - gamma_t g_t / (sqrt(s_t) + eps)

    The doc page's pseudo-code writes s_0 = 0, but torch's code starts the sum at
    ``initial_accumulator_value``, and (unlike the other optimizers) creates this
    state when the optimizer is built, with step 0; both followed here. Checks (as
    torch): lr, lr_decay, weight_decay, initial_accumulator_value, eps >= 0.
    """

    _nonnegative_buffers = frozenset({"sum"})

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, locals())

    def _needed_buffers(self, hypers: Mapping[str, Any]) -> tuple[str, ...]:
        return ("sum",)

    def _initial_buffers(self, group: Mapping[str, Any]) -> Buffers:
        return {"sum": [group["initial_accumulator_value"]] * len(group["params"])}

    def _parse_group_state(
        self, gi: int, n: int, entries: dict[int, Mapping[str, Any]], hypers: dict[str, Any]
    ) -> tuple[Buffers, int]:
        buffers, step = super()._parse_group_state(gi, n, entries, hypers)
        if not buffers:  # no saved state: start afresh, as the constructor does
            buffers = {"sum": [hypers["initial_accumulator_value"]] * n}
        return buffers, step

    def _update(
        self,
        hypers: Mapping[str, Any],
        datas: list[float],
        grads: list[float],
        buffers: Buffers,
        t: int,
    ) -> tuple[list[float], Buffers]:
        # The sum exists from construction (or load) on, as in torch: the initial
        # accumulator value has done its work there.
        rule = {k: v for k, v in hypers.items() if k != "initial_accumulator_value"}
        new, sums = adagrad(datas, grads, buffers["sum"], step=t, **rule)
        return new, {"sum": sums}

    def _update_arrays(
        self, hypers: Mapping[str, Any], datas: Array, grads: Array, buffers: ArrayBuffers, t: int
    ) -> tuple[Array, ArrayBuffers]:
        rule = {k: v for k, v in hypers.items() if k != "initial_accumulator_value"}
        new, sums = adagrad_arrays(datas, grads, buffers["sum"], step=t, **rule)
        return new, {"sum": sums}
