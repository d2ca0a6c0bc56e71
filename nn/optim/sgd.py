"""`SGD`, and `sgd`, its update rule over lists of floats (`sgd_arrays` over arrays)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autograd import Value
from nn.optim.flat import Array, ArrayBuffers, blend_array, decayed_gradient_array
from nn.optim.optimizer import Buffers, Optimizer, coupled_weight_decay, maximised

__all__ = ["SGD", "sgd", "sgd_arrays"]


def sgd(
    params: list[float],
    grads: list[float],
    momentum_buffers: list[float] | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> tuple[list[float], list[float] | None]:
    """One SGD step: the new parameter values and momentum buffers (see `SGD`).

    ``momentum_buffers`` is None before the first step with momentum (the buffer then
    starts as the gradient itself, undamped, as torch's does); the returned buffers
    are None when ``momentum`` is 0. Nothing is written.
    """
    g = coupled_weight_decay(maximised(grads, maximize), params, weight_decay)
    buf = None
    if momentum:
        if momentum_buffers is None:
            buf = list(g)
        else:
            keep = 1.0 - dampening
            buf = [momentum * b + keep * gi for b, gi in zip(momentum_buffers, g)]
        g = [gi + momentum * b for gi, b in zip(g, buf)] if nesterov else buf
    return [x - lr * gi for x, gi in zip(params, g)], buf


def sgd_arrays(
    params: Array,
    grads: Array,
    momentum_buffer: Array | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> tuple[Array, Array | None]:
    """`sgd` over float64 arrays, bit for bit: the same float operations in the same
    order, a few numpy calls for the whole buffer. Returns new arrays; the arguments
    are not written."""
    g = decayed_gradient_array(grads, params, weight_decay, maximize)
    buf = None
    if momentum:
        if momentum_buffer is None:
            buf = g.copy()
        else:
            buf = blend_array(momentum, momentum_buffer, 1.0 - dampening, g)
        g = g + momentum * buf if nesterov else buf
    new = lr * g
    return np.subtract(params, new, out=new), buf


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.SGD.html. With
    learning rate gamma, momentum mu, dampening tau, weight decay lambda, at step t::

        g_t = -grad if maximize else grad      (torch negates first, then decays)
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        if mu != 0:
            b_t = g_t                          on the first step (no dampening)
            b_t = mu * b_{t-1} + (1 - tau) g_t  afterwards
            g_t = g_t + mu * b_t  if nesterov else  b_t
        theta_t = theta_{t-1} - gamma * g_t

    Note: the doc page's pseudo-code applies ``maximize`` at the end
    (theta + gamma g); torch's code (``_single_tensor_sgd``) negates the gradient
    first, which differs when weight_decay != 0. This follows the code.

    ``lr`` defaults to 1e-3 as in torch >= 2.2. Checks: lr, momentum, weight_decay
    >= 0 (as torch); dampening in [0, 1] (torch does not check it); nesterov needs
    momentum > 0 and dampening == 0 (as torch).
    """

    _counts_steps = False

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, locals())

    def _check_combination(self, hypers: dict[str, Any]) -> None:
        if hypers["nesterov"] and (hypers["momentum"] <= 0 or hypers["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={hypers['momentum']!r}, dampening={hypers['dampening']!r}: set "
                f"momentum (e.g. 0.9) and dampening=0, or nesterov=False"
            )

    def _needed_buffers(self, hypers: Mapping[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if hypers["momentum"] else ()

    def _update(
        self,
        hypers: Mapping[str, Any],
        datas: list[float],
        grads: list[float],
        buffers: Buffers,
        t: int,
    ) -> tuple[list[float], Buffers]:
        new, buf = sgd(datas, grads, buffers.get("momentum_buffer"), **hypers)
        return new, {} if buf is None else {"momentum_buffer": buf}

    def _update_arrays(
        self, hypers: Mapping[str, Any], datas: Array, grads: Array, buffers: ArrayBuffers, t: int
    ) -> tuple[Array, ArrayBuffers]:
        new, buf = sgd_arrays(datas, grads, buffers.get("momentum_buffer"), **hypers)
        return new, {} if buf is None else {"momentum_buffer": buf}
