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
from dataclasses import dataclass

import pytest

import autograd
from autograd import Value, no_grad
from autograd.engine import OPS, operation


@dataclass(frozen=True)
class Case:
    """One way to build a node of operation `kind` from n leaves (its parents, in order)."""

    id: str
    kind: str
    n: int
    build: Callable[[list[Value]], Value]
    reference: Callable[[list[float]], float]
    low: float = -2.0
    high: float = 2.0


def _softmax(xs: list[float]) -> list[float]:
    exps = [math.exp(x) for x in xs]
    return [e / math.fsum(exps) for e in exps]


CASES = [
    Case("a + b", "add", 2, lambda v: v[0] + v[1], lambda x: x[0] + x[1]),
    Case("a + 1.7", "add_const", 1, lambda v: v[0] + 1.7, lambda x: x[0] + 1.7),
    Case("1.7 + a", "add_const", 1, lambda v: 1.7 + v[0], lambda x: 1.7 + x[0]),
    Case("a - b", "sub", 2, lambda v: v[0] - v[1], lambda x: x[0] - x[1]),
    Case("a - 1.7", "sub_const", 1, lambda v: v[0] - 1.7, lambda x: x[0] - 1.7),
    Case("1.7 - a", "rsub_const", 1, lambda v: 1.7 - v[0], lambda x: 1.7 - x[0]),
    Case("a * b", "mul", 2, lambda v: v[0] * v[1], lambda x: x[0] * x[1]),
    Case("a * a", "mul", 1, lambda v: v[0] * v[0], lambda x: x[0] * x[0]),
    Case("a * -1.7", "mul_const", 1, lambda v: v[0] * -1.7, lambda x: x[0] * -1.7),
    Case("-1.7 * a", "mul_const", 1, lambda v: -1.7 * v[0], lambda x: -1.7 * x[0]),
    Case("a / b", "div", 2, lambda v: v[0] / v[1], lambda x: x[0] / x[1], 0.4, 2.0),
    Case("a / 1.7", "div_const", 1, lambda v: v[0] / 1.7, lambda x: x[0] / 1.7),
    Case("1.7 / a", "rdiv_const", 1, lambda v: 1.7 / v[0], lambda x: 1.7 / x[0], 0.4, 2.0),
    Case("a ** b", "pow", 2, lambda v: v[0] ** v[1], lambda x: x[0] ** x[1], 0.4, 2.0),
    Case("a ** 2.5", "pow_const", 1, lambda v: v[0] ** 2.5, lambda x: x[0] ** 2.5, 0.4, 2.0),
    Case("a ** 3", "pow_const", 1, lambda v: v[0] ** 3, lambda x: x[0] ** 3),
    Case("a ** -2", "pow_const", 1, lambda v: v[0] ** -2, lambda x: x[0] ** -2, 0.4, 2.0),
    Case("1.7 ** a", "rpow_const", 1, lambda v: 1.7 ** v[0], lambda x: 1.7 ** x[0]),
    Case("-a", "neg", 1, lambda v: -v[0], lambda x: -x[0]),
    Case("exp", "exp", 1, lambda v: v[0].exp(), lambda x: math.exp(x[0])),
    Case("log", "log", 1, lambda v: v[0].log(), lambda x: math.log(x[0]), 0.3, 3.0),
    Case("sqrt", "sqrt", 1, lambda v: v[0].sqrt(), lambda x: math.sqrt(x[0]), 0.3, 3.0),
    Case("tanh", "tanh", 1, lambda v: v[0].tanh(), lambda x: math.tanh(x[0])),
    Case("sigmoid", "sigmoid", 1, lambda v: v[0].sigmoid(), lambda x: 1 / (1 + math.exp(-x[0]))),
    Case("relu > 0", "relu", 1, lambda v: v[0].relu(), lambda x: x[0], 0.2, 2.0),
    Case("relu < 0", "relu", 1, lambda v: v[0].relu(), lambda x: 0.0, -2.0, -0.2),
    Case(
        "leaky_relu < 0",
        "leaky_relu",
        1,
        lambda v: v[0].leaky_relu(0.3),
        lambda x: 0.3 * x[0],
        -2.0,
        -0.2,
    ),
    Case("leaky_relu > 0", "leaky_relu", 1, lambda v: v[0].leaky_relu(), lambda x: x[0], 0.2),
    Case(
        "softplus", "softplus", 1, lambda v: v[0].softplus(), lambda x: math.log1p(math.exp(x[0]))
    ),
    Case("abs > 0", "abs", 1, lambda v: v[0].abs(), lambda x: abs(x[0]), 0.2, 2.0),
    Case("abs < 0", "abs", 1, lambda v: abs(v[0]), lambda x: abs(x[0]), -2.0, -0.2),
    Case("sin", "sin", 1, lambda v: v[0].sin(), lambda x: math.sin(x[0])),
    Case("cos", "cos", 1, lambda v: v[0].cos(), lambda x: math.cos(x[0])),
    Case("sum", "sum", 3, lambda v: autograd.sum(v), lambda x: x[0] + x[1] + x[2]),
    Case("mean", "mean", 3, lambda v: autograd.mean(v), lambda x: (x[0] + x[1] + x[2]) / 3),
    Case(
        "dot of Values",
        "dot",
        4,
        lambda v: autograd.dot(v[:2], v[2:]),
        lambda x: x[0] * x[2] + x[1] * x[3],
    ),
    Case(
        "dot with constants on both sides",
        "dot",
        4,
        lambda v: autograd.dot([v[0], 2.0, v[1], 0.5], [v[2], v[3], -1.5, 4.0]),
        lambda x: x[0] * x[2] + 2.0 * x[3] + x[1] * -1.5 + 2.0,
    ),
    Case("dot(x, x)", "dot", 1, lambda v: autograd.dot([v[0]], [v[0]]), lambda x: x[0] * x[0]),
    Case(
        "linear of Values",
        "linear",
        5,
        lambda v: autograd.linear(v[3:], [v[:2]], [v[2]])[0],
        lambda x: x[0] * x[3] + x[1] * x[4] + x[2],
    ),
    Case(
        "linear of constant inputs",
        "linear",
        3,
        lambda v: autograd.linear([0.5, -1.2], [v[:2]], [v[2]])[0],
        lambda x: 0.5 * x[0] - 1.2 * x[1] + x[2],
    ),
    Case(
        "linear with constants in the row and bias",
        "linear",
        2,
        lambda v: autograd.linear([v[1], 2.0], [[v[0], -0.7]], [0.3])[0],
        lambda x: x[0] * x[1] - 1.4 + 0.3,
    ),
    Case("max", "max", 3, lambda v: autograd.max(v), lambda x: max(x)),
    Case("min", "min", 3, lambda v: autograd.min(v), lambda x: min(x)),
    Case(
        "logsumexp",
        "logsumexp",
        3,
        lambda v: autograd.logsumexp(v),
        lambda x: math.log(math.fsum(math.exp(t) for t in x)),
    ),
    Case("softmax[1]", "softmax", 3, lambda v: autograd.softmax(v)[1], lambda x: _softmax(x)[1]),
    Case(
        "log_softmax[2]",
        "log_softmax",
        3,
        lambda v: autograd.log_softmax(v)[2],
        lambda x: math.log(_softmax(x)[2]),
    ),
]
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
    assert operation(x * 2) == (OPS["mul_const"], (2.0,))
    assert operation(2 - x)[1] == (2.0,) and (2 - x).op == "2 -"
    assert operation(x**1e-7)[1] == (1e-7,) and (x**1e-7).op == "** 1e-07"
    assert operation(x.leaky_relu(0.25))[1] == (0.25,) and x.leaky_relu(0.25).op == "leaky_relu"
    assert [operation(p)[1] for p in autograd.softmax([x, x * 2])] == [(0,), (1,)]


def test_dot_and_linear_record_where_their_constants_sit() -> None:
    w, u = Value(1.0), Value(2.0)
    assert operation(autograd.dot([w, 2.0], [3.0, u])) == (OPS["dot"], ((None, 2.0), (3.0, None)))
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
