"""Tests of operation identity (autograd.engine.Op, operation) and of every operation's
derivative rule written with Value operations.

Every built-in operation has a case here: how to build one of its nodes, and its value
written independently with `math` (the reference). The rules are checked against the
float local derivatives stored at forward time and against central differences of the
reference, at many points kept off kinks and inside domains.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
import torch
from op_registry import CASES, Case, softmax_reference

import autograd
from autograd import Value, no_grad
from autograd.engine import OPS, operation

CASE_IDS = [case.id for case in CASES]


def points(case: Case, count: int, seed: int = 0) -> list[list[float]]:
    """`count` random inputs for a case, inside its domain and at least 0.05 from each
    other (no max/min ties)."""
    rng = random.Random(f"{case.id}-{seed}")
    found: list[list[float]] = []
    while len(found) < count:
        xs = [rng.uniform(case.low, case.high) for _ in range(case.n)]
        if all(abs(a - b) > 0.05 for i, a in enumerate(xs) for b in xs[i + 1 :]):
            found.append(xs)
    return found


def build(case: Case, xs: list[float]) -> tuple[list[Value], Value]:
    vs = [Value(x) for x in xs]
    return vs, case.build(vs)


def central_differences(f: Callable[[list[float]], float], xs: list[float]) -> list[float]:
    h = 1e-6
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def parent_slots(vs: list[Value], node: Value) -> list[int]:
    """For each parent of `node`, which of the leaves `vs` it is."""
    return [next(i for i, v in enumerate(vs) if v is p) for p in node.parents]


# ------------------------------------------------------------ operation identity


def test_every_built_in_operation_has_a_case() -> None:
    assert {case.kind for case in CASES} == set(OPS) - {"leaf"}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_node_knows_its_operation_and_reevaluates_from_floats(case: Case) -> None:
    here, there = points(case, 2)
    vs, node = build(case, here)
    op, constants = operation(node)
    assert op is OPS[case.kind] and op.name == case.kind
    assert op.text(constants) == node.op
    assert node.data == pytest.approx(case.reference(here), rel=1e-13, abs=1e-13)
    # The same operation at other parent values, from floats: its reference value there.
    slots = parent_slots(vs, node)
    assert op.forward([there[i] for i in slots], constants) == pytest.approx(
        case.reference(there), rel=1e-13, abs=1e-13
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_applying_an_operation_again_records_the_same_kind_of_node(case: Case) -> None:
    here, there = points(case, 2)
    vs, node = build(case, here)
    op, constants = operation(node)
    new = [Value(x) for x in there]
    again = op.apply(tuple(new[i] for i in parent_slots(vs, node)), constants)
    assert operation(again) == (op, constants)
    assert again.op == node.op
    assert again.data == pytest.approx(case.reference(there), rel=1e-13, abs=1e-13)
    again.backward()
    assert [v.grad for v in new] == pytest.approx(
        central_differences(case.reference, there), rel=1e-6, abs=1e-6
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_derivative_rule_as_value_ops_equals_the_stored_local_grads(case: Case) -> None:
    for xs in points(case, 12):
        _, node = build(case, xs)
        rule = OPS[case.kind].derivatives(node)
        assert len(rule) == len(node.local_grads)
        assert [float(d) for d in rule] == pytest.approx(node.local_grads, rel=1e-13, abs=1e-14)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_derivative_rule_matches_finite_differences_of_the_reference(case: Case) -> None:
    for xs in points(case, 4, seed=1):
        vs, node = build(case, xs)
        numeric = central_differences(case.reference, xs)
        # Sum the rule over the parent slots that are the same leaf (dot(x, x)).
        total = [0.0] * len(xs)
        for i, d in zip(parent_slots(vs, node), OPS[case.kind].derivatives(node)):
            total[i] += float(d)
        assert total == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_a_leaf_and_a_node_made_under_no_grad_are_leaf_operations() -> None:
    with no_grad():
        made = Value(2.0) * 3.0
    for leaf in (Value(1.0), made):
        assert operation(leaf) == (OPS["leaf"], ())
        assert leaf.op == ""


def test_constants_are_kept_as_numbers_and_formatted_only_for_op() -> None:
    x = Value(1.0)
    # One kind per operation; a constant operand is recorded with the side it sits on.
    assert operation(x * 2) == (OPS["mul"], (1, 2.0))
    assert operation(2 * x) == (OPS["mul"], (0, 2.0)) and (2 * x).op == "2 *"
    assert operation(2 - x)[1].position == 0 and (2 - x).op == "2 -"
    assert operation(2 - x)[1].constant == 2.0
    assert operation(x**1e-7)[1] == (1, 1e-7) and (x**1e-7).op == "** 1e-07"
    assert operation(x.leaky_relu(0.25))[1].negative_slope == 0.25
    assert x.leaky_relu(0.25).op == "leaky_relu"
    assert operation(x.clamp(-1.0, 2.0))[1] == (-1.0, 2.0)
    assert operation(x.clamp(hi=2.0))[1].lo == -math.inf
    assert [operation(p)[1].index for p in autograd.softmax([x, x * 2])] == [0, 1]


def test_dot_and_linear_record_where_their_constants_sit() -> None:
    w, u = Value(1.0), Value(2.0)
    assert operation(autograd.dot([w, 2.0], [3.0, u])) == (OPS["dot"], ((None, 2.0), (3.0, None)))
    assert operation(autograd.dot([w, 2.0], [3.0, u]))[1].b_layout == (3.0, None)
    assert operation(autograd.dot([w, u], [u, w]))[1] == (None, None)
    (node,) = autograd.linear([0.5, 4.0], [[w, u]], [1.5])
    assert operation(node) == (OPS["linear"], (None, 1.5, (0.5, 4.0)))
    (node,) = autograd.linear([u, 4.0], [[w, 3.0]], [u])
    assert operation(node)[1] == ((None, 3.0), None, (None, 4.0))


def test_forward_from_floats_keeps_the_engine_checks() -> None:
    with pytest.raises(ValueError, match=r"log\(-1\) is undefined"):
        OPS["log"].forward([-1.0])
    with pytest.raises(ValueError, match=r"expected a finite number, got nan"):
        OPS["exp"].forward([math.nan])
    with pytest.raises(TypeError, match="a leaf is not an operation"):
        OPS["leaf"].forward([])


# ------------------------------------------------------------ grad


def test_grad_returns_the_derivatives_and_touches_no_grad() -> None:
    x, w = Value(2.0), Value(-1.5)
    x.grad, w.grad = 5.0, 0.25
    y = x * x * w + 3 * x
    dx, dw = autograd.grad(y, [x, w])
    assert (dx.data, dw.data) == (2 * 2.0 * -1.5 + 3, 2.0**2)
    assert not dx.parents and not dw.parents  # create_graph=False: plain numbers
    assert (x.grad, w.grad, y.grad) == (5.0, 0.25, 0.0)


def test_grad_of_an_input_the_output_does_not_depend_on_is_zero() -> None:
    x, unused = Value(1.0), Value(2.0)
    for create_graph in (False, True):
        dx, du = autograd.grad(x.exp(), [x, unused], create_graph=create_graph)
        assert du.data == 0.0 and dx.data == pytest.approx(math.e, rel=1e-15)
    (dx,) = autograd.grad(Value(3.0) * 2, x)  # a single input is a list of one
    assert dx.data == 0.0


def test_grad_with_respect_to_an_interior_node_and_with_weighted_outputs() -> None:
    x = Value(0.7)
    u = x * 2.0
    y, z = u.exp(), u * x  # z = 2 x**2: depends on x directly and through u
    du, dx = autograd.grad([y, z], [u, x], grad_outputs=[1.5, -2.0])
    assert du.data == pytest.approx(1.5 * math.exp(1.4) - 2.0 * 0.7, rel=1e-14)
    assert dx.data == pytest.approx(1.5 * 2 * math.exp(1.4) - 2.0 * 4 * 0.7, rel=1e-14)


def test_grad_with_create_graph_gives_derivatives_of_any_order() -> None:
    x = Value(1.3)
    d = x**5
    want = [5 * 1.3**4, 20 * 1.3**3, 60 * 1.3**2, 120 * 1.3, 120.0, 0.0]
    for expected in want:
        (d,) = autograd.grad(d, [x], create_graph=True)
        assert d.data == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_derivatives_of_sin_cycle_through_cos_minus_sin_minus_cos_sin() -> None:
    x = Value(0.4)
    d = x.sin()
    for k in range(1, 9):
        (d,) = autograd.grad(d, [x], create_graph=True)
        assert d.data == pytest.approx(math.sin(0.4 + k * math.pi / 2), rel=1e-14, abs=1e-15)


def test_mixed_second_derivative_and_a_value_grad_output() -> None:
    x, y = Value(1.5), Value(-0.5)
    f = x * x * y**3
    dx, dy = autograd.grad(f, [x, y], create_graph=True)
    assert dx.parents and dy.parents  # Values with graphs of their own
    (dxy,) = autograd.grad(dx, [y])
    assert dxy.data == pytest.approx(6 * 1.5 * (-0.5) ** 2, rel=1e-14)
    # A grad_output that is a Value is part of the graph: d/dy of (y * df/dx).
    (weighted,) = autograd.grad(f, [x], grad_outputs=y, create_graph=True)
    (d,) = autograd.grad(weighted, [y])
    assert d.data == pytest.approx(2 * 1.5 * 4 * (-0.5) ** 3, rel=1e-14)


def test_grad_goes_through_a_reused_subexpression() -> None:
    a = Value(0.8)
    b = a + a
    c = b * b  # 4 a**2
    (d,) = autograd.grad(c, [a], create_graph=True)
    (dd,) = autograd.grad(d, [a])
    assert (d.data, dd.data) == (pytest.approx(8 * 0.8, rel=1e-15), 8.0)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_second_derivatives_of_every_operation_match_differences_of_its_gradient(
    case: Case,
) -> None:
    def gradient(xs: list[float]) -> list[float]:
        vs, node = build(case, xs)
        return [g.data for g in autograd.grad(node, vs)]  # the float path

    for xs in points(case, 3, seed=2):
        vs, node = build(case, xs)
        first = autograd.grad(node, vs, create_graph=True)
        assert [g.data for g in first] == pytest.approx(gradient(xs), rel=1e-13, abs=1e-14)
        h = 1e-6
        for j in range(case.n):
            up, down = list(xs), list(xs)
            up[j] += h
            down[j] -= h
            numeric = [(a - b) / (2 * h) for a, b in zip(gradient(up), gradient(down))]
            column = [autograd.grad(g, [vs[j]])[0].data for g in first]
            assert column == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_grad_rejects_what_is_not_a_value() -> None:
    x = Value(1.0)
    y = x * 2
    with pytest.raises(TypeError, match=r"outputs must be a Value or a list of Values, got float"):
        autograd.grad(3.0, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got float 2.0"):
        autograd.grad(y, [x, 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"inputs must be a Value or a list of Values, got str"):
        autograd.grad(y, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"at least one output and one input, got 1 output"):
        autograd.grad(y, [])
    with pytest.raises(ValueError, match=r"got 2 grad_outputs for 1 output"):
        autograd.grad(y, [x], grad_outputs=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"grad_outputs\[0\]: expected a finite number, got nan"):
        autograd.grad(y, [x], grad_outputs=[math.nan])
    with pytest.raises(TypeError, match=r"grad_outputs\[0\]: expected a real number.*str"):
        autograd.grad(y, [x], grad_outputs=["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"create_graph=...\) must be True or False, got 'yes'"):
        autograd.grad(y, [x], create_graph="yes")  # type: ignore[arg-type]


def test_grad_reports_a_gradient_that_overflows() -> None:
    x = Value(1.0)
    big = x * 1e300 + x
    assert autograd.grad(big, [x])[0].data == 1e300 + 1.0
    with pytest.raises(OverflowError, match=r"gradient .* is not finite \(inf\)"):
        autograd.grad(big, [x], grad_outputs=[1e300])


# ------------------------------------------------------------ jacobian, hessian, hvp, jvp


def bowl(w1: Value, w2: Value) -> Value:
    return (w1 - 4) ** 2 + 2 * (w2 - 3) ** 2


def curvy(a: Value, b: Value) -> Value:
    return a**3 * b + (a * b).sin()


def curvy_hessian(a: float, b: float) -> list[list[float]]:
    s, c = math.sin(a * b), math.cos(a * b)
    return [
        [6 * a * b - b * b * s, 3 * a * a + c - a * b * s],
        [3 * a * a + c - a * b * s, -a * a * s],
    ]


@pytest.mark.parametrize("xs", [[0.0, 0.0], [4.0, 3.0], [-7.5, 12.0]])
def test_hessian_of_the_bowl_is_diag_2_4_everywhere(xs: list[float]) -> None:
    assert autograd.hessian(bowl, xs) == [[2.0, 0.0], [0.0, 4.0]]


@pytest.mark.parametrize("xs", [[0.3, -1.2], [1.1, 0.7], [-0.9, 2.0]])
def test_hessian_matches_its_closed_form(xs: list[float]) -> None:
    got = autograd.hessian(curvy, xs)
    for row, want in zip(got, curvy_hessian(*xs)):
        assert row == pytest.approx(want, rel=1e-13, abs=1e-14)


def test_jacobian_has_one_row_per_output_and_a_scalar_gives_the_gradient() -> None:
    a, b = 0.5, -1.25
    jac = autograd.jacobian(lambda x, y: [x * y, x + y, x.sin(), Value(2.0)], [a, b])
    assert jac == [[b, a], [1.0, 1.0], [math.cos(a), 0.0], [0.0, 0.0]]
    assert autograd.jacobian(lambda x, y: x * y, [a, b]) == [b, a]


@pytest.mark.parametrize("v", [[1.0, 0.0], [0.0, 1.0], [0.6, -2.5]])
def test_hvp_is_the_hessian_times_v_and_returns_the_value(v: list[float]) -> None:
    xs = [0.8, -0.4]
    value, product = autograd.hvp(curvy, xs, v)
    H = curvy_hessian(*xs)
    assert value == pytest.approx(0.8**3 * -0.4 + math.sin(0.8 * -0.4), rel=1e-15)
    assert product == pytest.approx([H[i][0] * v[0] + H[i][1] * v[1] for i in range(2)], rel=1e-13)
    assert autograd.hvp(lambda x, y: x + 2 * y, xs, v) == (0.8 - 0.8, [0.0, 0.0])


def test_jvp_is_the_directional_derivative_from_one_forward_sweep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_reverse_mode(*args: object, **kwargs: object) -> None:
        raise AssertionError("jvp used reverse mode")

    monkeypatch.setattr(Value, "backward", no_reverse_mode)
    monkeypatch.setattr(autograd.higher, "grad", no_reverse_mode)
    xs, v = [0.8, -0.4], [0.6, -2.5]
    value, tangent = autograd.jvp(curvy, xs, v)
    a, b = xs
    gradient = [3 * a * a * b + b * math.cos(a * b), a**3 + a * math.cos(a * b)]
    assert value == pytest.approx(a**3 * b + math.sin(a * b), rel=1e-15)
    assert tangent == pytest.approx(gradient[0] * v[0] + gradient[1] * v[1], rel=1e-14)
    values, tangents = autograd.jvp(lambda x, y: autograd.softmax([x, y, 0.5]), xs, [1.0, 0.0])
    p = softmax_reference([a, b, 0.5])
    assert values == pytest.approx(p, rel=1e-15)
    assert tangents == pytest.approx([p[0] * (1 - p[0]), -p[1] * p[0], -p[2] * p[0]], rel=1e-14)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_jvp_of_every_operation_matches_a_finite_difference_along_v(case: Case) -> None:
    (xs,) = points(case, 1, seed=3)
    v = [random.Random(case.id).uniform(-1, 1) for _ in xs]
    value, tangent = autograd.jvp(lambda *vs: case.build(list(vs)), xs, v)
    h = 1e-6
    numeric = (
        case.reference([x + h * d for x, d in zip(xs, v)])
        - case.reference([x - h * d for x, d in zip(xs, v)])
    ) / (2 * h)
    assert value == pytest.approx(case.reference(xs), rel=1e-13, abs=1e-13)
    assert tangent == pytest.approx(numeric, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: autograd.hessian(bowl, None), TypeError, "xs as a number or a list of numbers"),
        (lambda: autograd.hessian(bowl, "12"), TypeError, "xs as a number or a list of numbers"),
        (lambda: autograd.hessian(bowl, [1.0, math.nan]), ValueError, r"xs\[1\].*nan"),
        (lambda: autograd.hessian(lambda a, b: [a, b], [1.0, 2.0]), TypeError, "one Value"),
        (lambda: autograd.jacobian(lambda a: 3.0, [1.0]), TypeError, "return a Value or a list"),
        (lambda: autograd.hvp(bowl, [1.0, 2.0], [1.0]), ValueError, "v of length 1 for 2"),
        (lambda: autograd.jvp(bowl, [1.0, 2.0], 1.0), ValueError, "one number for 2 inputs"),
        (
            lambda: autograd.jvp(bowl, [1.0, 2.0], iter([1.0, 0.0])),
            TypeError,
            "v as a number or a list",
        ),
        (lambda: autograd.jvp(bowl, [1.0, 2.0], [1.0, "0"]), TypeError, r"v\[1\].*str"),
        (
            lambda: autograd.jvp(lambda a, b: None, [1.0, 2.0], [1.0, 0.0]),
            TypeError,
            "got NoneType",
        ),
    ],
)
def test_functional_api_rejects_bad_arguments(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


# ------------------------------------------------------------ against PyTorch (float64)

# Operations written twice, for Values and for float64 tensors, kept inside their
# domains (positive logs and bases, no kinks) so that every second derivative exists.
UNARY: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("tanh", lambda v: v.tanh(), torch.tanh),
    ("sigmoid", lambda v: v.sigmoid(), torch.sigmoid),
    ("sin", lambda v: v.sin(), torch.sin),
    ("cos", lambda v: v.cos(), torch.cos),
    ("softplus", lambda v: v.softplus(), torch.nn.functional.softplus),
    ("exp of tanh", lambda v: v.tanh().exp(), lambda t: torch.exp(torch.tanh(t))),
    ("log", lambda v: (v * v + 0.5).log(), lambda t: torch.log(t * t + 0.5)),
    ("sqrt", lambda v: (v * v + 1.0).sqrt(), lambda t: torch.sqrt(t * t + 1.0)),
    ("cube", lambda v: v**3, lambda t: t**3),
    ("c / x", lambda v: 2.0 / (v * v + 1.0), lambda t: 2.0 / (t * t + 1.0)),
    ("c ** x", lambda v: 1.5 ** v.tanh(), lambda t: 1.5 ** torch.tanh(t)),
    ("affine", lambda v: 0.5 - v * 1.25, lambda t: 0.5 - t * 1.25),
]
BINARY: list[tuple[str, Callable[[Any, Any], Any], Callable[[Any, Any], Any]]] = [
    ("add", lambda a, b: a + b, lambda a, b: a + b),
    ("sub", lambda a, b: a - b, lambda a, b: a - b),
    ("mul", lambda a, b: a * b, lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    ("pow", lambda a, b: (a * a + 0.5) ** b.tanh(), lambda a, b: (a * a + 0.5) ** torch.tanh(b)),
]
NARY: list[tuple[str, Callable[[list[Any]], Any], Callable[[Any], Any]]] = [
    ("dot", lambda vs: autograd.dot(vs[:2], vs[2:4]), lambda t: t[:2] @ t[2:4]),
    (
        "linear",
        lambda vs: autograd.linear(vs[2:4], [vs[:2]], [vs[3]])[0],
        lambda t: t[:2] @ t[2:4] + t[3],
    ),
    ("logsumexp", lambda vs: autograd.logsumexp(vs), lambda t: torch.logsumexp(t, 0)),
    ("softmax", lambda vs: autograd.softmax(vs)[0], lambda t: torch.softmax(t, 0)[0]),
    ("log_softmax", lambda vs: autograd.log_softmax(vs)[1], lambda t: torch.log_softmax(t, 0)[1]),
    ("mean", lambda vs: autograd.mean(vs), lambda t: torch.mean(t)),
    ("sum", lambda vs: autograd.sum(vs), lambda t: torch.sum(t)),
]


def random_expression(seed: int) -> Callable[[list[Any], bool], Any]:
    """A random graph over four inputs (reused nodes, diamonds), the same for Values
    (``torch_side=False``) and tensors; its output is a scalar."""
    rng = random.Random(seed)
    steps = []
    for _ in range(10):
        kind = rng.choice(["unary", "unary", "binary", "binary", "nary"])
        table = {"unary": UNARY, "binary": BINARY, "nary": NARY}[kind]
        steps.append((kind, rng.randrange(len(table)), [rng.random() for _ in range(4)]))

    def run(xs: list[Any], torch_side: bool) -> Any:
        pool = list(xs)
        for kind, k, picks in steps:
            args = [pool[int(p * len(pool))] for p in picks]
            side = 2 if torch_side else 1
            if kind == "unary":
                pool.append(UNARY[k][side](args[0]))
            elif kind == "binary":
                pool.append(BINARY[k][side](args[0], args[1]))
            else:
                pool.append(NARY[k][side](torch.stack(args) if torch_side else args))
        tail = pool[-3:]
        return tail[0] + tail[1] * tail[2] if len(tail) == 3 else tail[-1]

    return run


@pytest.mark.parametrize("seed", range(24))
def test_values_gradients_and_hessians_agree_with_torch_float64(seed: int) -> None:
    run = random_expression(seed)
    rng = random.Random(1000 + seed)
    xs = [rng.uniform(-1.5, 1.5) for _ in range(4)]
    vs = [Value(x) for x in xs]
    out = run(vs, False)
    gradient = autograd.grad(out, vs, create_graph=True)
    hessian = [[g.data for g in autograd.grad(d, vs)] for d in gradient]

    ts = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    t_out = run(list(ts), True)
    (t_grad,) = torch.autograd.grad(t_out, ts, create_graph=True)
    t_hessian = [
        torch.autograd.grad(t_grad[i], ts, retain_graph=True)[0].tolist() for i in range(4)
    ]

    scale = max(1.0, max(abs(x) for row in t_hessian for x in row))
    assert out.data == pytest.approx(t_out.item(), rel=1e-9)
    assert [g.data for g in gradient] == pytest.approx(t_grad.tolist(), rel=1e-9, abs=1e-12)
    for ours, theirs in zip(hessian, t_hessian):
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12 * scale)
