"""Tests of the functional API against ``torch.autograd.functional`` in float64:
`value_and_grad`, `vjp`, `vhp`, `hvp`, `jvp` (also with ``create_graph=True``: forward
over reverse, forward over forward), `jacobian` / `hessian` with ``create_graph=True``
(so that they compose) and ``strict=True`` (issue 21, the functional API)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.autograd.functional as TF

import autograd
from autograd import Value, grad, hessian, jacobian, jvp, vhp, vjp

XS = [0.8, -0.4, 1.3]
V3 = [0.6, -2.5, 0.25]


def f_values(a: Any, b: Any, c: Any) -> Any:
    """A scalar function written once for Values and for float64 tensors."""
    return a**3 * b + (a * b).sin() + (c * c + 0.5).log() * a


def f_tensor(t: torch.Tensor) -> torch.Tensor:
    result: torch.Tensor = f_values(t[0], t[1], t[2])
    return result


def g_values(a: Any, b: Any, c: Any) -> list[Any]:
    """A function with two outputs."""
    return [a * b * c, (a - c).tanh() + b * b]


def g_tensor(t: torch.Tensor) -> torch.Tensor:
    return torch.stack(g_values(t[0], t[1], t[2]))


def t64(xs: list[float]) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64)


def flat(xs: Any) -> list[float]:
    """Numbers, Values and (nested) lists of them as one flat list of floats."""
    if isinstance(xs, Value):
        return [xs.data]
    if isinstance(xs, (int, float)):
        return [float(xs)]
    return [y for x in xs for y in flat(x)]


def close(ours: Any, theirs: torch.Tensor | list[Any]) -> None:
    want = theirs.reshape(-1).tolist() if isinstance(theirs, torch.Tensor) else flat(theirs)
    assert flat(ours) == pytest.approx(want, rel=1e-12, abs=1e-13)


def test_value_and_grad_gives_the_value_and_the_gradient() -> None:
    value, gradient = autograd.value_and_grad(f_values, XS)
    t = t64(XS).requires_grad_()
    out = f_tensor(t)
    out.backward()
    assert value == pytest.approx(out.item(), rel=1e-15)
    close(gradient, t.grad)  # type: ignore[arg-type]
    value, derivative = autograd.value_and_grad(lambda x: x.exp() * x, 0.5)
    assert (value, derivative) == pytest.approx((math.exp(0.5) * 0.5, math.exp(0.5) * 1.5))


def test_vjp_matches_torch_and_needs_v_only_for_several_outputs() -> None:
    outs, product = vjp(g_values, XS, [1.5, -0.5])
    t_outs, t_product = TF.vjp(g_tensor, t64(XS), t64([1.5, -0.5]))
    close(outs, t_outs)
    close(product, t_product)
    value, gradient = vjp(f_values, XS)  # one output: v = 1
    close(gradient, TF.vjp(f_tensor, t64(XS))[1])
    assert value == pytest.approx(f_tensor(t64(XS)).item(), rel=1e-15)
    with pytest.raises(ValueError, match="needs v, one number per output, when there are 2"):
        vjp(g_values, XS)


def test_vhp_and_hvp_match_torch() -> None:
    t_value, t_vhp = TF.vhp(f_tensor, t64(XS), t64(V3))
    _, t_hvp = TF.hvp(f_tensor, t64(XS), t64(V3))
    for func in (vhp, autograd.hvp):
        value, product = func(f_values, XS, V3)
        assert value == pytest.approx(t_value.item(), rel=1e-15)
        close(product, t_vhp)
        close(product, t_hvp)


def test_jacobian_and_hessian_with_create_graph_return_values_that_compose() -> None:
    inner = jacobian(f_values, XS, create_graph=True)
    assert all(isinstance(d, Value) and d.parents for d in inner)
    close(inner, TF.jacobian(f_tensor, t64(XS)))
    # The Jacobian of the gradient is the Hessian; the Jacobian of that, third derivatives.
    t_hessian = TF.hessian(f_tensor, t64(XS))
    close(jacobian(lambda *x: jacobian(f_values, list(x), create_graph=True), XS), t_hessian)
    close(hessian(f_values, XS, create_graph=True), t_hessian)
    third = jacobian(lambda *x: hessian(f_values, list(x), create_graph=True)[0][0], XS)
    t_third = TF.jacobian(lambda t: TF.hessian(f_tensor, t, create_graph=True)[0, 0], t64(XS))
    close(third, t_third)


def test_an_inner_call_treats_a_value_it_also_captures_as_a_separate_input() -> None:
    """d/dx [d/dy (x * y) at y = x] = d/dx x = 1, as torch (its view_as copy): the inner
    derivative is taken with respect to its own input, not every use of x."""
    got = jacobian(lambda x: jacobian(lambda y: x * y, x, create_graph=True), [2.0])
    theirs = TF.jacobian(lambda x: TF.jacobian(lambda y: x * y, x, create_graph=True), t64([2.0]))
    assert got == theirs.reshape(-1).tolist() == [1.0]


def test_jvp_with_create_graph_forward_over_reverse_and_forward_over_forward() -> None:
    x = 0.7
    # forward over forward: the tangent of a tangent is the second derivative
    value, second = jvp(lambda v: jvp(lambda y: y.sin() * y**2, v, 1.0, create_graph=True)[1], x)
    first_t = TF.jvp(
        lambda t: TF.jvp(lambda y: y.sin() * y**2, t, t64([1.0]), create_graph=True)[1],
        t64([x]),
        t64([1.0]),
    )
    assert (value, second) == pytest.approx((first_t[0].item(), first_t[1].item()), rel=1e-13)
    # forward over reverse: the tangent of the gradient along v is H v
    _, hv = jvp(lambda *vs: grad(f_values(*vs), list(vs), create_graph=True), XS, V3)
    close(hv, TF.hvp(f_tensor, t64(XS), t64(V3))[1])
    # and the create_graph tangents can be differentiated once more
    _, tangent = jvp(f_values, [Value(x) for x in XS], V3, create_graph=True)
    assert isinstance(tangent, Value) and tangent.parents
    close(grad(tangent, [tangent]), t64([1.0]))


def test_create_graph_results_depend_on_value_inputs_and_directions() -> None:
    """With create_graph, Values in xs and v stay connected to the results (torch's
    _grad_preprocess), so the result can be differentiated with respect to them."""
    xs = [Value(x) for x in XS]
    v = [Value(d) for d in V3]
    _, product = autograd.hvp(f_values, xs, v, create_graph=True)
    d_dv = grad(product[0], v)  # d (H v)_0 / d v = row 0 of H
    close([d.data for d in d_dv], TF.hessian(f_tensor, t64(XS))[0])
    _, plain = autograd.hvp(f_values, xs, v)
    assert all(isinstance(p, float) for p in plain)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: jacobian(lambda a, b: a * 3.0, [1.0, 2.0], strict=True),
            "does not depend on input 1",
        ),
        (lambda: vjp(lambda a, b: Value(1.0), [1.0, 2.0], strict=True), "output 0 of f does not"),
        (lambda: hessian(lambda a, b: a + 2 * b, [1.0, 2.0], strict=True), "linear"),
        (
            lambda: hessian(lambda a, b: a * a * b, [1.0, 2.0], strict=True),
            "entry 1 of the gradient of f does not depend on input 1",
        ),
        (lambda: vjp(lambda a: 3 * a, [1.0], strict=True, create_graph=True), "constant"),
        (lambda: jvp(lambda a: 3 * a, 1.0, strict=True, create_graph=True), "tangent of output"),
        (lambda: autograd.hvp(lambda a: a * 2, 1.0, strict=True), "gradient of f"),
    ],
)
def test_strict_refuses_what_torch_refuses(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_strict_accepts_what_torch_accepts_and_the_default_gives_zeros() -> None:
    close(
        hessian(lambda a, b: a * a * b * b, [1.0, 2.0], strict=True),
        TF.hessian(lambda t: t[0] ** 2 * t[1] ** 2, t64([1.0, 2.0]), strict=True),
    )
    with pytest.raises(RuntimeError, match="independent of input 1"):
        TF.jacobian(lambda a, b: a * 3.0, (t64([1.0]), t64([2.0])), strict=True)
    assert jacobian(lambda a, b: a * 3.0, [1.0, 2.0]) == [3.0, 0.0]
    assert hessian(lambda a, b: a + 2 * b, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]


def test_flags_must_be_bools() -> None:
    with pytest.raises(TypeError, match=r"jacobian\(strict=...\) must be True or False"):
        jacobian(f_values, XS, strict=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"vjp\(create_graph=...\) must be True or False"):
        vjp(f_values, XS, create_graph="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one input"):
        jacobian(f_values, [])
