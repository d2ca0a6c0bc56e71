"""Tests of the n-ary functions: sum, dot, matvec, linear, mean, max, min, logsumexp,
softmax, log_softmax.

Each is checked against its closed form written here with `math`, for its graph shape
(one node, every input a parent), at ties and extreme inputs, and with gradcheck over
hypothesis-generated lists.
"""

from __future__ import annotations

import decimal
import itertools
import math
import sys
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, gradcheck

FAST = settings(max_examples=30, deadline=None)

finite = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)
lists = st.lists(finite, min_size=1, max_size=6)
weights = st.lists(
    st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False),
    min_size=6,
    max_size=6,
)

POINTS = [[1.5], [0.3, -1.2], [2.0, -0.5, 0.25, 3.0], [-4.0, -1.0, 0.5, 1.0, 4.5]]


def leaves(xs: list[float]) -> list[Value]:
    return [Value(x, label=f"x{i}") for i, x in enumerate(xs)]


def closed_softmax(xs: list[float]) -> list[float]:
    exps = [math.exp(x) for x in xs]
    return [e / math.fsum(exps) for e in exps]


# ------------------------------------------------------------ sum, mean, dot


@pytest.mark.parametrize("xs", POINTS)
def test_sum_is_one_node_with_unit_local_grads(xs: list[float]) -> None:
    vs = leaves(xs)
    s = autograd.sum(vs)
    assert s.op == "sum"
    assert s.parents == tuple(vs)
    assert s.local_grads == (1.0,) * len(vs)
    assert s.data == pytest.approx(math.fsum(xs), rel=1e-15)
    s.backward(grad=2.5)
    assert [v.grad for v in vs] == [2.5] * len(vs)


def test_sum_accepts_any_iterable_and_reused_inputs() -> None:
    a, b = Value(2.0), Value(-3.0)
    s = autograd.sum(v for v in [a, b, a])
    assert s.parents == (a, b, a)
    s.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)
    assert s.data == 1.0


def test_sum_is_exactly_rounded_and_empty_sum_is_zero() -> None:
    assert autograd.sum([Value(1e16), Value(1.0), Value(-1e16)]).data == 1.0
    assert autograd.sum([Value(0.1)] * 10).data == 1.0
    empty = autograd.sum([])
    assert (empty.data, empty.parents) == (0.0, ())


def test_sum_with_plain_numbers() -> None:
    a = Value(2.0)
    s = autograd.sum([a, 3, 0.5])
    assert s.data == 5.5
    s.backward()
    assert a.grad == 1.0


@pytest.mark.parametrize("xs", POINTS)
def test_mean(xs: list[float]) -> None:
    vs = leaves(xs)
    m = autograd.mean(vs)
    assert m.op == "mean"
    assert m.parents == tuple(vs)
    assert m.data == pytest.approx(math.fsum(xs) / len(xs), rel=1e-15)
    m.backward()
    assert [v.grad for v in vs] == pytest.approx([1 / len(xs)] * len(xs), rel=1e-15)


@pytest.mark.parametrize(
    "xs",
    [
        [1.5e308, 1.5e308],
        [sys.float_info.max] * 3,
        [1.7e308, 1.7e308, 1.7e308, -1.0e308],
        [-1.2e308, -1.3e308, 5.0, -1.0e308, -1.4e308],
        [1.0e308] * 100,
    ],
)
def test_mean_of_huge_numbers_is_finite_where_their_sum_is_not(xs: list[float]) -> None:
    vs = leaves(xs)
    m = autograd.mean(vs)
    exact = sum(map(Fraction, xs)) / len(xs)
    assert m.data == pytest.approx(float(exact), rel=2e-16, abs=0.0)
    m.backward()
    assert [v.grad for v in vs] == [1 / len(xs)] * len(xs)


@pytest.mark.parametrize("xs", POINTS)
def test_dot_is_one_node_with_both_sides_as_parents(xs: list[float]) -> None:
    ys = [0.5 * x - 1.0 for x in reversed(xs)]
    a, b = leaves(xs), leaves(ys)
    d = autograd.dot(a, b)
    assert d.op == "dot"
    assert d.parents == tuple(a) + tuple(b)
    assert d.local_grads == tuple(ys) + tuple(xs)
    assert d.data == pytest.approx(math.fsum(x * y for x, y in zip(xs, ys)), rel=1e-12, abs=1e-12)
    d.backward(grad=-2.0)
    assert [v.grad for v in a] == [-2.0 * y for y in ys]
    assert [v.grad for v in b] == [-2.0 * x for x in xs]


def test_dot_with_constants_on_either_side_records_only_values() -> None:
    w1, w2 = Value(0.5), Value(-2.0)
    right = autograd.dot([w1, w2], [3.0, 4])
    assert right.parents == (w1, w2) and right.local_grads == (3.0, 4.0)
    assert right.data == 0.5 * 3.0 - 2.0 * 4
    left = autograd.dot([3.0, 4.0], [w1, w2])
    assert left.parents == (w1, w2) and left.local_grads == (3.0, 4.0)
    assert left.data == right.data

    mixed = autograd.dot([w1, 3.0], [2.0, w2])  # a Value and a constant on each side
    assert mixed.parents == (w1, w2)
    assert mixed.local_grads == (2.0, 3.0)
    assert mixed.data == 0.5 * 2.0 + 3.0 * -2.0
    mixed.backward()
    assert (w1.grad, w2.grad) == (2.0, 3.0)


def test_dot_of_a_side_with_constants_and_a_side_of_constants() -> None:
    w = Value(0.5)
    for d in (autograd.dot([w, 3.0], [2.0, 4]), autograd.dot([2.0, 4], [w, 3.0])):
        assert d.parents == (w,) and d.local_grads == (2.0,)
        assert d.data == 0.5 * 2.0 + 3.0 * 4
    d.backward()
    assert w.grad == 2.0


def test_dot_of_a_value_with_itself() -> None:
    a = Value(3.0)
    d = autograd.dot([a, a], [a, 2.0])  # a*a + 2a
    d.backward()
    assert d.data == 15.0
    assert a.grad == 8.0  # 2a + 2


def test_dot_of_empty_sequences_is_zero() -> None:
    d = autograd.dot([], [])
    assert d.data == 0.0 and type(d.data) is float


def _same_node(a: Value, b: Value) -> bool:
    return (
        a.data == b.data
        and a.op == b.op
        and len(a.parents) == len(b.parents)
        and all(p is q for p, q in zip(a.parents, b.parents))
        and a.local_grads == b.local_grads
    )


@pytest.mark.parametrize(
    "x",
    [
        [Value(0.5), Value(-2.0), Value(1.25)],  # a hidden layer's outputs
        [0.5, -2.0, 1.25],  # raw float inputs: constants
        [Value(0.5), -2.0, 3],  # mixed, with an int
        (Value(0.5), Value(-2.0), Value(1.25)),
    ],
)
def test_matvec_builds_the_nodes_dot_builds_row_by_row(x: list[Value | float]) -> None:
    rows: list[list[Value | float]] = [
        [Value(1.0), Value(2.0), Value(-3.0)],
        [Value(0.25), 4.0, Value(0.0)],  # a constant in the row
        (Value(-1.0), Value(-1.0), Value(-1.0)),  # type: ignore[list-item]
    ]
    got = autograd.matvec(rows, x)
    want = [autograd.dot(row, x) for row in rows]
    assert len(got) == len(want) == 3
    for g, w in zip(got, want):
        assert _same_node(g, w)


def test_matvec_gradients_are_the_dot_products_derivatives() -> None:
    W = [[Value(1.0), Value(-2.0)], [Value(0.5), Value(3.0)]]
    x = [Value(4.0), Value(-1.0)]
    out = autograd.sum(autograd.matvec(W, x))
    out.backward()
    # out = sum_k W_k . x: d/dW_kj = x_j, d/dx_j = sum_k W_kj
    assert [[w.grad for w in row] for row in W] == [[4.0, -1.0], [4.0, -1.0]]
    assert [v.grad for v in x] == [1.5, 1.0]


def test_matvec_of_no_rows_and_of_empty_rows() -> None:
    assert autograd.matvec([], [Value(1.0)]) == []
    (node,) = autograd.matvec([[]], [])
    assert node.data == 0.0


@pytest.mark.parametrize(
    ("rows", "x", "error", "match"),
    [
        (
            [[Value(1.0)], [Value(1.0), Value(2.0)]],
            [1.0],
            ValueError,
            r"rows\[1\] has 2 .* x has 1",
        ),
        ([[Value(1.0)], Value(2.0)], [1.0], TypeError, r"argument rows\[1\] must be a sequence"),
        ([[Value(1.0)], ["a"]], [1.0], TypeError, r"matvec\(\) rows\[1\]\[0\].*str 'a'"),
        ([[Value(1.0)]], Value(1.0), TypeError, r"argument x must be a sequence"),
        ([[Value(1.0)]], [math.inf], ValueError, r"x\[0\] is inf"),
        ([[Value(1.0)], [math.nan]], [Value(1.0)], ValueError, r"rows\[1\]\[0\].*nan"),
        ([[Value(1e200)]], [1e200], OverflowError, r"matvec\(\).*overflows"),
    ],
)
def test_matvec_bad_inputs_name_the_row(
    rows: list[list[Value | float]], x: list[Value | float], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        autograd.matvec(rows, x)


# ------------------------------------------------------------ linear

_W = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
_B = [0.1, -0.2]
_X = [[1.0, 2.0, -3.0], [0.5, -0.5, 4.0], [0.0, 1.0, 1.0]]


def _fsum_linear(w: list[float], x: list[float], b: float) -> float:
    return math.fsum([b, *(wi * xi for wi, xi in zip(w, x))])


def test_linear_without_a_bias_builds_the_nodes_of_matvec() -> None:
    W = [leaves(row) for row in _W]
    x = leaves(_X[0])
    got = autograd.linear(x, W)
    want = autograd.matvec(W, x)
    assert all(_same_node(g, w) for g, w in zip(got, want))
    assert [node.op for node in got] == ["dot", "dot"]


@pytest.mark.parametrize("x_kind", ["values", "floats", "mixed"])
def test_linear_with_a_bias_is_one_node_per_row(x_kind: str) -> None:
    W = [leaves(row) for row in _W]
    b = leaves(_B)
    x: list[Value | float] = {
        "values": list(leaves(_X[0])),
        "floats": list(_X[0]),
        "mixed": [Value(_X[0][0]), _X[0][1], Value(_X[0][2])],
    }[x_kind]
    x_values = tuple(v for v in x if isinstance(v, Value))
    x_numbers = [float(v) for v in x]
    for k, node in enumerate(autograd.linear(x, W, b)):
        assert node.op == "linear"
        assert node.parents == (*W[k], b[k], *x_values)  # the neuron's parameters first
        row_locals = tuple(_W[k][i] for i, v in enumerate(x) if isinstance(v, Value))
        assert node.local_grads == (*x_numbers, 1.0, *row_locals)
        assert node.data == pytest.approx(_fsum_linear(_W[k], x_numbers, _B[k]), abs=1e-15)


def test_linear_with_constants_in_the_weights_and_the_bias() -> None:
    w0 = Value(2.0)
    x = [Value(1.0), Value(3.0)]
    (node,) = autograd.linear(x, [[w0, 0.5]], [0.25])  # a constant weight and bias
    assert node.op == "linear"
    assert node.parents == (w0, *x)
    assert node.local_grads == (1.0, 2.0, 0.5)
    assert node.data == 2.0 * 1.0 + 0.5 * 3.0 + 0.25


def test_linear_of_a_batch_is_the_samples_one_by_one() -> None:
    W = [leaves(row) for row in _W]
    b = leaves(_B)
    X = [leaves(row) for row in _X]
    batch = autograd.linear(X, W, b)
    assert len(batch) == len(X)
    for sample, out in zip(X, batch):
        assert all(_same_node(g, w) for g, w in zip(out, autograd.linear(sample, W, b)))


def test_linear_takes_numpy_rows_and_batches() -> None:
    W = [leaves(row) for row in _W]
    from_array = autograd.linear(np.array(_X), W, _B)
    from_rows = autograd.linear([np.array(row) for row in _X], W, _B)
    from_lists = autograd.linear(_X, W, _B)
    for a, b, c in zip(from_array, from_rows, from_lists):
        assert [v.data for v in a] == [v.data for v in b] == [v.data for v in c]
    assert autograd.linear(np.zeros((0, 3)), W, _B) == []


def test_linear_gradients() -> None:
    W = [leaves(row) for row in _W]
    b = leaves(_B)
    X = [leaves(row) for row in _X]
    loss = autograd.sum([z for out in autograd.linear(X, W, b) for z in out])
    loss.backward()
    # loss = sum over samples s and rows k of W_k . x_s + b_k
    assert [[w.grad for w in row] for row in W] == [
        [math.fsum(x[i] for x in _X) for i in range(3)]
    ] * 2
    assert [v.grad for v in b] == [3.0, 3.0]
    for row in X:
        assert [v.grad for v in row] == [math.fsum(r[i] for r in _W) for i in range(3)]


@FAST
@given(xs=weights, ws=weights, g=st.floats(min_value=-3, max_value=3))
def test_linear_gradcheck(xs: list[float], ws: list[float], g: float) -> None:
    def f(*v: Value) -> Value:
        W = [list(v[0:3]), [v[3], ws[4], v[4]]]  # a constant among the weights
        out = autograd.linear([list(v[5:6]) + xs[:2], xs[2:5]], W, [v[5], 0.5])
        return autograd.sum([z * (i + 1) for i, z in enumerate(out[0] + out[1])])

    assert gradcheck(f, leaves(ws), grad=g)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda W: autograd.linear([1.0, 2.0], W), ValueError, r"weight\[0\] has 3 .* x has 2"),
        (
            lambda W: autograd.linear([[1.0, 2.0, 3.0], [1.0]], W),
            ValueError,
            r"weight\[0\] has 3 .* x\[1\] has 1",
        ),
        (lambda W: autograd.linear([1.0] * 3, W, [0.0]), ValueError, r"bias has 1 .* 2 rows"),
        (lambda W: autograd.linear([1.0] * 3, W, ["b", 0.0]), TypeError, r"bias\[0\].*str"),
        (lambda W: autograd.linear([1.0] * 3, W, 0.5), TypeError, r"argument bias must be a seq"),
        (lambda W: autograd.linear([1.0] * 3, Value(1.0)), TypeError, r"argument weight must"),
        (lambda W: autograd.linear([1.0, "a", 3.0], W), TypeError, r"linear\(\) x\[1\].*str"),
        (
            lambda W: autograd.linear([[1.0, math.nan, 3.0]], W),
            ValueError,
            r"linear\(\): x\[0\]\[1\] is nan",
        ),
        (lambda W: autograd.linear([1e200] * 3, [[1e200] * 3]), OverflowError, r"linear\(\) of"),
        (
            lambda W: autograd.linear(np.ones((2, 2, 3)), W),
            ValueError,
            r"one sample \(1-D\) or a batch of samples \(2-D\).*\(2, 2, 3\)",
        ),
    ],
)
def test_linear_bad_inputs_say_what_is_wrong(
    call: Callable[[list[list[Value]]], object], error: type, match: str
) -> None:
    W = [leaves(row) for row in _W]
    with pytest.raises(error, match=match):
        call(W)


@FAST
@given(xs=lists, ws=weights, g=st.floats(min_value=-3, max_value=3))
def test_sum_mean_dot_gradcheck(xs: list[float], ws: list[float], g: float) -> None:
    vs = leaves(xs)
    n = len(xs)
    assert gradcheck(lambda *v: autograd.sum(v), vs, grad=g)
    assert gradcheck(lambda *v: autograd.mean(v), vs, grad=g)
    assert gradcheck(lambda *v: autograd.dot(v, ws[:n]), vs, grad=g)
    assert gradcheck(lambda *v: autograd.dot(ws[:n], v), vs, grad=g)
    assert gradcheck(lambda *v: autograd.dot(v, list(reversed(v))), vs, grad=g)
    # half Values, half constants on each side
    mixed_a: Callable[..., list[Value | float]] = lambda *v: [  # noqa: E731
        x if i % 2 else w for i, (x, w) in enumerate(zip(v, ws))
    ]
    mixed_b: Callable[..., list[Value | float]] = lambda *v: [  # noqa: E731
        w if i % 2 else x for i, (x, w) in enumerate(zip(v, ws))
    ]
    assert gradcheck(lambda *v: autograd.dot(mixed_a(*v), mixed_b(*v)), vs, grad=g)


# ------------------------------------------------------------ max, min


@pytest.mark.parametrize("xs", POINTS)
def test_max_and_min(xs: list[float]) -> None:
    for func, pick in [(autograd.max, max), (autograd.min, min)]:
        vs = leaves(xs)
        out = func(vs)
        assert out.parents == tuple(vs)
        assert out.data == pick(xs)
        out.backward()
        k = xs.index(pick(xs))
        assert [v.grad for v in vs] == [1.0 if i == k else 0.0 for i in range(len(xs))]


def test_ties_send_the_gradient_to_the_first() -> None:
    vs = leaves([1.0, 3.0, -2.0, 3.0, -2.0])
    top = autograd.max(vs)
    top.backward()
    assert [v.grad for v in vs] == [0.0, 1.0, 0.0, 0.0, 0.0]

    vs = leaves([1.0, 3.0, -2.0, 3.0, -2.0])
    bottom = autograd.min(vs)
    bottom.backward()
    assert [v.grad for v in vs] == [0.0, 0.0, 1.0, 0.0, 0.0]

    same = Value(4.0)
    out = autograd.max([same, same])
    out.backward()
    assert same.grad == 1.0


@FAST
@given(xs=lists, g=st.floats(min_value=-3, max_value=3))
def test_max_min_gradcheck(xs: list[float], g: float) -> None:
    ordered = sorted(xs)
    assume(all(b - a > 1e-3 for a, b in itertools.pairwise(ordered)))  # away from ties
    vs = leaves(xs)
    assert gradcheck(lambda *v: autograd.max(v), vs, grad=g)
    assert gradcheck(lambda *v: autograd.min(v), vs, grad=g)


# ------------------------------------------------------------ softmax family


@pytest.mark.parametrize("xs", POINTS)
def test_logsumexp(xs: list[float]) -> None:
    vs = leaves(xs)
    out = autograd.logsumexp(vs)
    assert out.parents == tuple(vs)
    assert out.data == pytest.approx(math.log(math.fsum(math.exp(x) for x in xs)), rel=1e-14)
    out.backward()
    assert [v.grad for v in vs] == pytest.approx(closed_softmax(xs), rel=1e-13)


@pytest.mark.parametrize("xs", POINTS)
def test_softmax_values_and_jacobian(xs: list[float]) -> None:
    p = closed_softmax(xs)
    vs = leaves(xs)
    probs = autograd.softmax(vs)
    assert [q.data for q in probs] == pytest.approx(p, rel=1e-13)
    assert math.fsum(q.data for q in probs) == pytest.approx(1.0, rel=1e-15)
    for i, q in enumerate(probs):
        assert q.parents == tuple(vs)
        for v in vs:
            v.grad = 0.0
        q.backward()
        expected = [p[i] * ((i == j) - p[j]) for j in range(len(xs))]
        assert [v.grad for v in vs] == pytest.approx(expected, rel=1e-12, abs=1e-16)


@pytest.mark.parametrize("xs", POINTS)
def test_log_softmax_values_and_jacobian(xs: list[float]) -> None:
    p = closed_softmax(xs)
    vs = leaves(xs)
    outs = autograd.log_softmax(vs)
    assert [o.data for o in outs] == pytest.approx([math.log(q) for q in p], rel=1e-13)
    for i, o in enumerate(outs):
        assert o.parents == tuple(vs)
        for v in vs:
            v.grad = 0.0
        o.backward()
        expected = [(i == j) - p[j] for j in range(len(xs))]
        assert [v.grad for v in vs] == pytest.approx(expected, rel=1e-12, abs=1e-16)


@FAST
@given(xs=lists, ws=weights, g=st.floats(min_value=-3, max_value=3))
def test_softmax_family_gradcheck(xs: list[float], ws: list[float], g: float) -> None:
    vs = leaves(xs)
    n = len(xs)
    # non-uniform weights on the outputs: every entry of the Jacobian counts
    assert gradcheck(lambda *v: autograd.logsumexp(v), vs, grad=g)
    assert gradcheck(lambda *v: autograd.dot(autograd.softmax(v), ws[:n]), vs, grad=g)
    assert gradcheck(lambda *v: autograd.dot(ws[:n], autograd.log_softmax(v)), vs, grad=g)
    assert gradcheck(lambda *v: autograd.softmax(v)[0] * autograd.log_softmax(v)[-1], vs)


@pytest.mark.parametrize("xs", [[1000.0, -1000.0], [-1000.0, 1000.0, 0.0], [1e300, -1e300]])
def test_softmax_family_is_finite_for_extreme_logits(xs: list[float]) -> None:
    k = xs.index(max(xs))
    onehot = [1.0 if i == k else 0.0 for i in range(len(xs))]

    vs = leaves(xs)
    lse = autograd.logsumexp(vs)
    lse.backward()
    assert lse.data == max(xs)
    assert [v.grad for v in vs] == onehot

    vs = leaves(xs)
    probs = autograd.softmax(vs)
    assert [q.data for q in probs] == onehot
    autograd.sum(probs).backward()
    assert all(math.isfinite(v.grad) for v in vs)
    assert [v.grad for v in vs] == pytest.approx([0.0] * len(xs), abs=1e-300)

    vs = leaves(xs)
    logs = autograd.log_softmax(vs)
    assert [o.data for o in logs] == [x - max(xs) for x in xs]
    logs[k].backward()
    assert [v.grad for v in vs] == [0.0] * len(xs)  # d(x_k - lse)/dx_j = delta_kj - p_j
    vs[0].grad = 0.0
    j = (k + 1) % len(xs)
    logs[j].backward()  # the improbable class: gradient 1 to itself, -1 to the maximum
    assert vs[j].grad == 1.0 and vs[k].grad == -1.0


def test_logsumexp_of_equal_large_inputs() -> None:
    vs = leaves([1000.0, 1000.0])
    out = autograd.logsumexp(vs)
    out.backward()
    assert out.data == pytest.approx(1000.0 + math.log(2.0), rel=1e-15)
    assert [v.grad for v in vs] == [0.5, 0.5]


def _exact_log_softmax(xs: list[float]) -> list[float]:
    """x_i - log(sum_j exp(x_j)) from the exact floats, in 400-digit decimal arithmetic
    (enough for log(1 + exp(-700)) to keep its leading digits)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        ds = [decimal.Decimal(x) for x in xs]
        log_total = sum(d.exp() for d in ds).ln()
        return [float(d - log_total) for d in ds]


def _exact_logsumexp(xs: list[float]) -> float:
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        return float(sum(decimal.Decimal(x).exp() for x in xs).ln())


CONFIDENT = [0.5, 1.0, 5.0, 20.0, 33.0, 36.5, 50.0, 200.0, 700.0, -33.0, -700.0]
logits = st.lists(
    st.floats(min_value=-100.0, max_value=100.0, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("a", CONFIDENT)
def test_log_softmax_of_a_confident_pair_keeps_full_relative_precision(a: float) -> None:
    # log_softmax([a, 0])_0 = -log(1 + exp(-a)): tiny for a large, never rounded away
    first, second = autograd.log_softmax(leaves([a, 0.0]))
    want = _exact_log_softmax([a, 0.0])
    assert first.data == pytest.approx(want[0], rel=1e-13, abs=0.0)
    assert second.data == pytest.approx(want[1], rel=1e-13, abs=0.0)


@FAST
@given(xs=logits)
def test_log_softmax_is_within_1e13_relative_of_exact_arithmetic(xs: list[float]) -> None:
    outs = autograd.log_softmax(leaves(xs))
    for got, want in zip(outs, _exact_log_softmax(xs)):
        assert got.data == pytest.approx(want, rel=1e-13, abs=1e-300)  # 0: one input


@FAST
@given(xs=logits)
def test_logsumexp_is_within_1e13_relative_of_exact_arithmetic(xs: list[float]) -> None:
    assume(max(xs) >= 0.0)  # m + log1p(...) of two non-negative terms: nothing cancels
    want = _exact_logsumexp(xs)
    assert autograd.logsumexp(leaves(xs)).data == pytest.approx(want, rel=1e-13, abs=0.0)


def test_logsumexp_keeps_the_small_terms_next_to_a_large_one() -> None:
    # log(1 + exp(-40)) = 4.248e-18: log(sum) of the rounded sum 1.0 would give 0
    out = autograd.logsumexp(leaves([0.0, -40.0]))
    assert out.data == pytest.approx(_exact_logsumexp([0.0, -40.0]), rel=1e-15, abs=0.0)


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: autograd.sum(Value(1.0)), TypeError, r"sum\(\) takes a list.*got Value.*\[v\]"),
        (lambda: autograd.sum(3.0), TypeError, r"sum\(\) takes a list.*got float"),
        (lambda: autograd.sum("ab"), TypeError, r"sum\(\) takes a list.*got str"),
        (lambda: autograd.sum([Value(1.0), "a"]), TypeError, r"sum\(\) element 1.*str 'a'"),
        (lambda: autograd.sum([1.0, math.nan]), ValueError, r"sum\(\) element 1.*nan"),
        (lambda: autograd.mean([]), ValueError, r"mean\(\) of an empty list"),
        (lambda: autograd.max([]), ValueError, r"max\(\) of an empty list"),
        (lambda: autograd.min([]), ValueError, r"min\(\) of an empty list"),
        (lambda: autograd.logsumexp([]), ValueError, r"logsumexp\(\) of an empty list"),
        (lambda: autograd.softmax([]), ValueError, r"softmax\(\) of an empty list"),
        (lambda: autograd.log_softmax([]), ValueError, r"log_softmax\(\) of an empty list"),
        (lambda: autograd.max(Value(1.0)), TypeError, r"max\(\) takes a list"),
        (lambda: autograd.dot([Value(1.0)], [1.0, 2.0]), ValueError, r"same length.*1 and 2"),
        (lambda: autograd.dot(Value(1.0), [1.0]), TypeError, r"argument a must be a sequence"),
        (lambda: autograd.dot([1.0], 2.0), TypeError, r"argument b must be a sequence"),
        (lambda: autograd.dot([Value(1.0)], ["x"]), TypeError, r"dot\(\) b\[0\].*str 'x'"),
        (lambda: autograd.dot([Value(1.0)], [math.inf]), ValueError, r"b\[0\] is inf"),
        (lambda: autograd.dot([Value(1e200)], [1e200]), OverflowError, r"dot\(\).*overflows"),
        (
            lambda: autograd.sum([Value(1e308), Value(1e308)]),
            OverflowError,
            r"sum of \(1e\+308, 1e\+308\) is inf",
        ),
        (
            lambda: autograd.sum([Value(-1e308), Value(-1e308)]),
            OverflowError,
            r"sum of \(-1e\+308, -1e\+308\) is -inf",
        ),
    ],
    ids=lambda p: p if isinstance(p, str) else "",
)
def test_bad_inputs_raise_and_say_what_was_given(
    call: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()
