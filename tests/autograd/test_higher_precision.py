"""Precision of higher derivatives (issue 19, items 10 and 11): the derivative rules as
Value operations must keep what the float rules keep.

- logsumexp, softmax and log_softmax (and so nn.cross_entropy) are shift-invariant: their
  derivatives of every order at x + c equal those at x. The references are evaluated at
  the inputs minus their largest, which float subtraction gives exactly here (Sterbenz),
  so they carry no large offset: closed forms, and torch float64 for third order.
- ``x ** p`` with a huge even p at x = -1: the derivative p x ** (p - 1) is negative
  although p - 1 rounds to an even number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.autograd.functional as TF

import autograd
import nn
from autograd import Value, grad

OFFSETS = [1e9, 1e15, 1e17]


def shifts(offset: float) -> list[float]:
    """Distances from the offset that are exact there (multiples of its float spacing)."""
    step = max(math.ulp(offset), 0.125)
    return [step, -2 * step, 0.0]


def points(offset: float) -> tuple[list[float], list[float]]:
    """(inputs near the offset, the same minus their largest: exact, offset-free)."""
    xs = [offset + d for d in shifts(offset)]
    assert [x - offset for x in xs] == shifts(offset)  # the distances are exact
    top = max(xs)
    return xs, [x - top for x in xs]


def softmax_ref(d: list[float]) -> list[float]:
    exps = [math.exp(x) for x in d]
    return [e / math.fsum(exps) for e in exps]


def derivatives(f: Callable[[list[Value]], Value], xs: list[float]) -> tuple[Any, Any, Any]:
    """(gradient, Hessian, d/dx_0 of the Hessian), all through create_graph=True."""
    vs = [Value(x) for x in xs]
    first = grad(f(vs), vs, create_graph=True)
    second = [grad(g, vs, create_graph=True) for g in first]
    third = [[grad(h, vs)[0].data for h in row] for row in second]
    return [g.data for g in first], [[h.data for h in row] for row in second], third


FUNCTIONS: list[tuple[str, Callable[[list[Any]], Any], Callable[[torch.Tensor], torch.Tensor]]] = [
    ("logsumexp", lambda vs: autograd.logsumexp(vs), lambda t: torch.logsumexp(t, 0)),
    ("softmax", lambda vs: autograd.softmax(vs)[0], lambda t: torch.softmax(t, 0)[0]),
    ("log_softmax", lambda vs: autograd.log_softmax(vs)[1], lambda t: torch.log_softmax(t, 0)[1]),
    (
        "cross_entropy",
        lambda vs: nn.cross_entropy(vs, 2),
        lambda t: torch.nn.functional.cross_entropy(t[None], torch.tensor([2])),
    ),
]


@pytest.mark.parametrize("offset", OFFSETS)
def test_logsumexp_derivatives_match_the_closed_forms_at_large_offsets(offset: float) -> None:
    xs, d = points(offset)
    p = softmax_ref(d)
    gradient, hessian, third = derivatives(autograd.logsumexp, xs)
    assert gradient == pytest.approx(p, rel=1e-13)
    for i in range(3):  # d2 lse / dx_i dx_j = p_i delta_ij - p_i p_j
        want = [p[i] * (i == j) - p[i] * p[j] for j in range(3)]
        assert hessian[i] == pytest.approx(want, rel=1e-12, abs=1e-16)
        # d/dx_0 of it: p_i (delta_ij - p_j) (delta_i0 - p_0) - p_i p_j (delta_j0 - p_0)
        want = [
            p[i] * ((i == j) - p[j]) * ((i == 0) - p[0]) - p[i] * p[j] * ((j == 0) - p[0])
            for j in range(3)
        ]
        assert third[i] == pytest.approx(want, rel=1e-11, abs=1e-16)


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize(("name", "ours", "theirs"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_softmax_family_derivatives_are_shift_invariant(
    name: str,
    ours: Callable[[list[Any]], Any],
    theirs: Callable[[torch.Tensor], torch.Tensor],
    offset: float,
) -> None:
    xs, d = points(offset)
    gradient, hessian, third = derivatives(ours, xs)
    t = torch.tensor(d, dtype=torch.float64)
    t_grad = TF.jacobian(theirs, t)
    t_hessian = TF.hessian(theirs, t)
    t_third = TF.jacobian(lambda u: TF.hessian(theirs, u, create_graph=True)[:, 0], t)
    assert gradient == pytest.approx(t_grad.tolist(), rel=1e-12, abs=1e-16)
    for ours_row, want in zip(hessian, t_hessian.tolist()):
        assert ours_row == pytest.approx(want, rel=1e-11, abs=1e-16)
    for ours_row, want in zip(third, t_third.tolist()):
        assert ours_row == pytest.approx(want, rel=1e-10, abs=1e-16)


def test_logsumexp_of_two_equal_inputs_at_1e17_has_gradient_half_and_hessian_quarter() -> None:
    gradient, hessian, _ = derivatives(autograd.logsumexp, [1e17, 1e17])
    assert gradient == [0.5, 0.5]
    assert hessian == [[0.25, -0.25], [-0.25, 0.25]]


@pytest.mark.parametrize("p", [1e16, 2.0**53, 2.0**60, -1e16])
def test_a_huge_even_power_of_minus_one_has_a_derivative_of_the_right_sign(p: float) -> None:
    """d/dx x**p at x = -1 is p * (-1) ** (p - 1) = -p (p - 1 is odd), though p - 1.0
    rounds to an even float for |p| > 2**53; the second derivative p (p - 1) is then
    positive, the third negative."""
    x = Value(-1.0)
    (d1,) = grad(x**p, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    y = Value(-1.0)
    (y**p).backward()
    assert d1.data == y.grad == -p
    assert d2.data == pytest.approx(p * (p - 1), rel=1e-15)
    assert d3.data == pytest.approx(-p * (p - 1) * (p - 2), rel=1e-15)
