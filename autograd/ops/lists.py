"""Functions of a list of Values beyond `autograd.functional`'s: the n-ary product
`prod` (one node, one entry), and `var` / `std`, composed from ``mean``, ``-``, ``dot``
and ``sqrt`` (so they need no derivative of their own: theirs give every order, forward
mode and the compiled mode).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd.engine import (
    Op,
    Value,
    _Derivatives,
    _finite_locals,
    _node,
    _register,
    is_grad_enabled,
)
from autograd.functional import _list_test, _nonempty, dot, mean
from autograd.linear import not_finite, per_input

__all__ = ["PROD", "prod", "std", "var"]

_Scalar = Value | float


def prod(values: Iterable[_Scalar]) -> Value:
    """Forward: x_1 * x_2 * ... * x_n, as ONE node. Local derivatives: the product of
    the other inputs, for each input (exact where some are 0: no division).

    Plain numbers in the list are constants.
    """
    vs = _nonempty(values, "prod")
    data = [v.data for v in vs]
    # before[i] = x_1 ... x_(i-1) and after[i] = x_(i+1) ... x_n: the others' product
    # without dividing by x_i, which may be 0.
    before = [1.0]
    for x in data[:-1]:
        before.append(before[-1] * x)
    after = [1.0]
    for x in reversed(data[1:]):
        after.append(after[-1] * x)
    after.reverse()
    local = _finite_locals("prod", tuple(data), *[b * a for b, a in zip(before, after)])
    return _node(before[-1] * data[-1], _PROD, vs, local)


def _others(node: Value) -> _Derivatives:
    """d prod / d x_i as Value operations: the product of the other inputs."""
    xs = node.parents
    if len(xs) == 1:
        return (1.0,)
    return tuple(xs[1 - i] if len(xs) == 2 else prod(xs[:i] + xs[i + 1 :]) for i in range(len(xs)))


def _others_product(x: Any) -> Any:
    """For each input on the last axis, the product of the others, over arrays (prefix
    times suffix products, as `prod`: no division, exact where an input is 0)."""
    ones = np.ones((*x.shape[:-1], 1))
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], -1), -1)[..., ::-1]
    return before * after


def _product(x: Any) -> Any:
    """The product along the last axis, of an array or a tensor (compiled mode, torch)."""
    return x.prod(-1)


PROD = _register(
    Op(
        "prod",
        "prod",
        lambda p, c: prod(p),
        _others,
        method=prod,
        numpy={
            "forward": _product,
            "derivatives": (lambda g, y, x: per_input(g) * _others_product(x),),
            "vector": True,
            "bad": not_finite,
        },
        torch=_product,
        test_op=_list_test(prod, constants=True),
    )
)
_PROD = (PROD,)


def var(values: Iterable[_Scalar], correction: float = 1) -> Value:
    """Forward: the variance sum((x_i - mean)**2) / (n - correction), as torch.var:
    ``correction=1`` (the default) is the sample variance, ``correction=0`` the
    population variance.

    Built from mean, subtraction and one dot product, so its derivatives (2 (x_i -
    mean) / (n - correction)) come from theirs.
    """
    vs = _nonempty(values, "var")
    if isinstance(correction, bool) or not isinstance(correction, numbers.Real):
        raise TypeError(
            f"var/std: correction must be a number (0 for the population, 1 for a "
            f"sample), got {type(correction).__name__} {correction!r}"
        )
    dof = len(vs) - correction
    if not dof > 0:
        raise ValueError(
            f"var/std of {len(vs)} value(s) with correction={correction!r} divides by "
            f"{dof!r}: give more values than the correction, or correction=0"
        )
    m = mean(vs)
    deviations = [v - m for v in vs]
    return dot(deviations, deviations) / dof


def std(values: Iterable[_Scalar], correction: float = 1) -> Value:
    """Forward: the standard deviation sqrt(var(values, correction)), as torch.std.

    Its derivative (x_i - mean) / ((n - correction) std) is infinite where every value
    is the same, so that raises when recorded.
    """
    v = var(values, correction)
    if v.data == 0.0 and is_grad_enabled():
        raise ValueError(
            "std of values that are all equal has an infinite derivative (std is 0); "
            "use var, or compute it under no_grad()"
        )
    return v.sqrt()
