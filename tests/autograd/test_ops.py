"""Every operation of the registry (`op_registry.CASES`, and the composites var and std)
in every mode: eager value and gradient, forward mode (`jvp`), second derivatives
(``grad(create_graph=True)``, gradcheck ``order=2``), and compiled mode over a batch;
then each entry's own facts (domain and its error, kinks, formula) against the engine.

The references are the registry's (torch float64 or closed forms) and central
differences of them; nothing is compared with the engine's own output alone.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from op_registry import CASES, COMPOSITES, Case

import autograd
from autograd import Value, no_grad
from autograd.engine import OPS
from autograd.ops import ELEMENTWISE, FLOATS, VALUES

ALL = CASES + COMPOSITES
IDS = [case.id for case in ALL]


def _points(case: Case, count: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(f"{case.id}-{seed}")
    found: list[list[float]] = []
    while len(found) < count:
        xs = [rng.uniform(case.low, case.high) for _ in range(case.n)]
        if all(abs(a - b) > 0.05 for i, a in enumerate(xs) for b in xs[i + 1 :]):
            found.append(xs)
    return found


def _numeric_gradient(case: Case, xs: list[float], h: float = 1e-6) -> list[float]:
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((case.reference(up) - case.reference(down)) / (2 * h))
    return out


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_eager_value_and_gradient_match_the_reference(case: Case) -> None:
    for xs in _points(case, 3):
        vs = [Value(x) for x in xs]
        out = case.build(vs)
        out.backward()
        assert out.data == pytest.approx(case.reference(xs), rel=1e-12, abs=1e-12)
        assert [v.grad for v in vs] == pytest.approx(
            _numeric_gradient(case, xs), rel=1e-6, abs=1e-7
        )


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_forward_mode_gives_the_directional_derivative(case: Case) -> None:
    (xs,) = _points(case, 1, seed=2)
    direction = [0.5 + 0.25 * i for i in range(len(xs))]
    value, tangent = autograd.jvp(case.build_flat, xs, direction)
    assert value == pytest.approx(case.reference(xs), rel=1e-12, abs=1e-12)
    expected = sum(g * d for g, d in zip(_numeric_gradient(case, xs), direction))
    assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_second_derivatives_pass_gradcheck_of_order_two(case: Case) -> None:
    (xs,) = _points(case, 1, seed=3)
    assert autograd.gradcheck(case.build_flat, [Value(x) for x in xs], order=2)


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_hessian_matches_differences_of_the_gradient(case: Case) -> None:
    (xs,) = _points(case, 1, seed=4)
    hessian = autograd.hessian(case.build_flat, xs)
    h = 1e-5
    for j in range(len(xs)):
        up, down = list(xs), list(xs)
        up[j] += h
        down[j] -= h
        column = [
            (a - b) / (2 * h)
            for a, b in zip(_numeric_gradient(case, up, 1e-4), _numeric_gradient(case, down, 1e-4))
        ]
        assert [row[j] for row in hessian] == pytest.approx(column, rel=1e-3, abs=1e-4)


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_compiled_mode_matches_the_reference_over_a_batch(case: Case) -> None:
    rows = _points(case, 5, seed=5)
    weights = [Value(1.0) for _ in range(case.n)]  # parameters, so gradients flow back
    f = autograd.compile(lambda x: case.build([x[i] * w for i, w in enumerate(weights)]), rows[0])
    X = np.array(rows)
    np.testing.assert_allclose(f(X), [case.reference(r) for r in rows], rtol=1e-12, atol=1e-12)
    f.backward(X, grad_output=np.ones(len(rows)))
    # d/dw_i of f(x * w) at w = 1 is x_i times the gradient in x_i, summed over the rows
    expected = np.sum([np.multiply(r, _numeric_gradient(case, r)) for r in rows], axis=0)
    np.testing.assert_allclose([w.grad for w in weights], expected, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------- the entries' facts


@pytest.mark.parametrize("op", ELEMENTWISE, ids=[op.name for op in ELEMENTWISE])
def test_the_rule_over_floats_equals_the_fast_path_local_derivatives(
    op: autograd.engine.Op,
) -> None:
    # The derivative written once (over FLOATS) and the method's inline floats agree
    # across the test domain: the fast path is the same formula.
    rng = random.Random(op.name)
    for _ in range(20):
        args = [rng.uniform(lo + 0.01, hi - 0.01) for lo, hi in _intervals(op)]
        node = op.call(*[Value(a) for a in args], *op.test_params)  # type: ignore[misc]
        rules = [r(FLOATS, node.data, *args, *op.test_params) for r in op.rules]
        assert rules == pytest.approx(list(node.local_grads), rel=1e-13, abs=1e-15)
        assert op.forward_rule(FLOATS, *args, *op.test_params) == pytest.approx(  # type: ignore[misc]
            node.data, rel=1e-14, abs=1e-15
        )


def _intervals(op: autograd.engine.Op) -> list[tuple[float, float]]:
    return [op.test_domain[min(i, len(op.test_domain) - 1)] for i in range(len(op.rules))]


# One point outside each domain, and the words its error must use.
OUTSIDE = [
    ("log", [-1.0], "log needs a positive input"),
    ("log1p", [-1.0], "log1p needs x > -1"),
    ("log2", [0.0], "log2 needs a positive input"),
    ("log10", [-2.0], "log10 needs a positive input"),
    ("sqrt", [-1.0], "sqrt needs x >= 0"),
    ("asin", [1.5], r"asin needs -1 <= x <= 1"),
    ("acos", [-1.5], r"acos needs -1 <= x <= 1"),
    ("acosh", [0.5], "acosh needs x >= 1"),
    ("atanh", [1.0], r"atanh needs -1 < x < 1"),
    ("div", [1.0, 0.0], "division by zero"),
    ("pow", [-1.0, 0.5], "positive base"),
    ("atan2", [0.0, 0.0], "no derivative"),
    ("hypot", [0.0, 0.0], "no derivative"),
]


@pytest.mark.parametrize(("name", "args", "words"), OUTSIDE, ids=[o[0] for o in OUTSIDE])
def test_outside_its_domain_an_operation_raises_naming_the_input(
    name: str, args: list[float], words: str
) -> None:
    op = OPS[name]
    assert op.domain is not None and not op.domain(FLOATS, *args)
    with pytest.raises((ValueError, ArithmeticError), match=words):
        op.call(*[Value(a) for a in args])


@pytest.mark.parametrize(
    ("name", "x"), [("sinh", 711.0), ("cosh", -711.0), ("expm1", 710.0), ("exp", 710.0)]
)
def test_an_overflow_raises_naming_the_input(name: str, x: float) -> None:
    with pytest.raises(OverflowError, match=rf"{name}\({x:g}\) overflows"):
        getattr(Value(x), name)()


@pytest.mark.parametrize(
    ("name", "edge"), [("sqrt", 0.0), ("asin", 1.0), ("acos", -1.0), ("acosh", 1.0)]
)
def test_at_an_edge_with_an_infinite_slope_only_no_grad_computes_the_value(
    name: str, edge: float
) -> None:
    with pytest.raises(ValueError, match="infinite derivative"):
        getattr(Value(edge), name)()
    with no_grad():
        assert getattr(Value(edge), name)().data == getattr(math, name)(edge)


def test_clamp_and_sign_follow_torch_at_their_kinks() -> None:
    points = [-1.0, -0.5, 1.0, 2.0, 0.0]
    t = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    (t.clamp(-0.5, 1.0).sum() + t.sign().sum()).backward()
    vs = [Value(x) for x in points]
    autograd.sum([v.clamp(-0.5, 1.0) + v.sign() for v in vs]).backward()
    assert [v.grad for v in vs] == t.grad.tolist()
    assert Value(3.0).clamp(2.0, 1.0).data == float(torch.clamp(torch.tensor(3.0), 2.0, 1.0))


@pytest.mark.parametrize(
    ("build", "at"),
    [
        (lambda v: v.sign() * 3.0, 0.0),
        (lambda v: v.clamp(-1.0, 2.0) * v, 2.0),
        (lambda v: v.clamp(lo=-1.0) * 2.0, -1.0),
    ],
    ids=["sign at 0", "clamp at hi", "clamp at lo"],
)
def test_gradcheck_reports_the_kinks_of_sign_and_clamp(build: object, at: float) -> None:
    with pytest.raises(autograd.GradcheckError) as error:
        autograd.gradcheck(build, [Value(at)])  # type: ignore[arg-type]
    assert error.value.kind == "kink"


def test_higher_derivatives_of_the_new_functions_match_closed_forms() -> None:
    # tan" = 2 tan sec^2, atan''' = (6x^2 - 2) / (1 + x^2)^3, erf" = -4x/sqrt(pi) e^(-x^2)
    x = Value(0.3)
    (d1,) = autograd.grad(x.tan(), [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x])
    assert d2.data == pytest.approx(2 * math.tan(0.3) / math.cos(0.3) ** 2, rel=1e-13)
    (a1,) = autograd.grad(x.atan(), [x], create_graph=True)
    (a2,) = autograd.grad(a1, [x], create_graph=True)
    (a3,) = autograd.grad(a2, [x])
    assert a3.data == pytest.approx((6 * 0.09 - 2) / (1 + 0.09) ** 3, rel=1e-13)
    (e1,) = autograd.grad(x.erf(), [x], create_graph=True)
    (e2,) = autograd.grad(e1, [x])
    assert e2.data == pytest.approx(-4 * 0.3 / math.sqrt(math.pi) * math.exp(-0.09), rel=1e-13)


def test_every_rule_over_values_records_nodes_that_differentiate_again() -> None:
    # The rule over VALUES is a graph: its derivative is the second derivative.
    x = Value(0.4)
    slope = OPS["asin"].rules[0](VALUES, x.asin(), x)
    (second,) = autograd.grad(slope, [x])
    assert second.data == pytest.approx(0.4 / (1 - 0.16) ** 1.5, rel=1e-13)


def test_a_constant_operand_is_recorded_once_with_its_side() -> None:
    x = Value(2.0)
    for node, position in [(x / 4.0, 1), (4.0 / x, 0), (autograd.atan2(1.0, x), 0)]:
        op, constants = autograd.engine.operation(node)
        assert op.constant_operands and constants.position == position
    assert {op.name for op in OPS.values()}.isdisjoint({"mul_const", "rdiv_const", "pow_const"})


def test_std_of_equal_values_has_an_infinite_derivative() -> None:
    with pytest.raises(ValueError, match="std of values that are all equal"):
        autograd.std([Value(1.0), Value(1.0)])
    with pytest.raises(ValueError, match="correction=1 divides by 0"):
        autograd.var([Value(1.0)])
    with pytest.raises(TypeError, match="correction must be a number"):
        autograd.var([Value(1.0)], correction="1")  # type: ignore[arg-type]


def test_atan2_and_hypot_need_a_value() -> None:
    with pytest.raises(TypeError, match="at least one Value"):
        autograd.atan2(1.0, 2.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [*[op.name for op in ELEMENTWISE], "prod"])
def test_every_operation_has_its_formula_for_the_hover(name: str) -> None:
    from autograd.explorer import formula

    text = formula(name)
    assert text.startswith("Forward:") and "ocal derivative" in text


def test_a_drawing_labels_the_operands_of_an_operation_whose_order_matters() -> None:
    y, x = Value(1.0), Value(2.0)
    ordered = autograd.draw_dot(autograd.atan2(y, x)).source
    assert "v0 -> op2 [label=a]" in ordered and "v1 -> op2 [label=b]" in ordered
    either = autograd.draw_dot(autograd.hypot(y, x)).source
    assert "label=a" not in either and "v0 -> op2" in either


@pytest.mark.parametrize("case", ALL, ids=IDS)
def test_the_torch_lowering_of_a_compiled_graph_matches_the_reference(case: Case) -> None:
    rows = _points(case, 3, seed=6)
    w = Value(1.0)
    f = autograd.compile(lambda x: case.build([x[i] * w for i in range(case.n)]), rows[0])
    out = f.to_torch()(torch.tensor(rows, dtype=torch.float64))
    np.testing.assert_allclose(
        out.detach().numpy(), [case.reference(r) for r in rows], rtol=1e-12, atol=1e-12
    )


def test_every_operation_has_a_compiled_rule_a_torch_form_and_a_test_op_from_its_entry() -> None:
    # A function of a list's vectorised forms are its entry's (Op.numpy, Op.torch,
    # Op.test_op), not a second table beside it; an elementwise entry's come from its
    # rules over numpy's and torch's math.
    from autograd.compile.rules import RULES, Rule, _has_rule
    from autograd.testing import BUILTIN_OPS
    from autograd.torch_lowering import TORCH_RULES, _torch_rule

    testing = {op.name: op for op in BUILTIN_OPS}
    for kind, op in OPS.items():
        if kind == "leaf":
            continue
        assert _has_rule(kind) and _torch_rule(kind) is not None, kind
        assert kind in testing, kind
        if not op.rules:
            assert RULES[kind] == Rule(**op.numpy), kind
            assert TORCH_RULES[kind] is op.torch, kind
            assert op.test_op is not None and testing[kind].apply is op.test_op["apply"], kind


def test_the_methods_type_checkers_see_are_the_ones_the_entries_set_on_value() -> None:
    # Value inherits the ops modules' method classes only for type checkers; at runtime
    # the entries set the methods. The two must name the same functions.
    import inspect

    from autograd.ops.arithmetic import ArithmeticMethods
    from autograd.ops.functions import FunctionMethods
    from autograd.ops.piecewise import PiecewiseMethods

    declared = {
        name: f
        for cls in (ArithmeticMethods, FunctionMethods, PiecewiseMethods)
        for name, f in vars(cls).items()
        if inspect.isfunction(f)
    }
    set_by_entries = {name: f for op in ELEMENTWISE for name, f in op.methods.items()}
    assert declared == set_by_entries
    assert all(getattr(Value, name) is f for name, f in declared.items())
