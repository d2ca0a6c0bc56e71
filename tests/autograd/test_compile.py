"""autograd.compile: a function traced once, replayed over a batch, equals the eager engine.

Every test compares the compiled result with the eager engine run row by row (the
same function on Values), or with gradients derived by hand in numpy; never with the
compiled mode itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import autograd
import nn
from autograd import Value, testing
from autograd.compile import Compiled
from autograd.engine import OPS

RTOL = 1e-12


def _row_args(arrays: Sequence[np.ndarray], b: int) -> list[Any]:
    return [
        Value(float(a[b])) if a.ndim == 1 else [Value(x) for x in a[b].tolist()] for a in arrays
    ]


def _eager(
    fn: Callable[..., Any], params: list[Value], *arrays: np.ndarray, reduction: str = "mean"
) -> tuple[np.ndarray, list[float]]:
    """Row-by-row outputs, and the parameters' grads of the mean (or sum) of the
    outputs, from the eager engine."""
    for p in params:
        p.grad = 0.0
    outs = [fn(*_row_args(arrays, b)) for b in range(len(arrays[0]))]
    values = np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in outs])
    loss = autograd.mean(outs) if reduction == "mean" else autograd.sum(outs)
    loss.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    return values, grads


def _compiled_grads(
    f: Compiled, params: list[Value], *arrays: np.ndarray, reduction: str = "mean"
) -> Any:
    """The loss, and the grads of `params` (in that order: 0 for one fn never reached)."""
    for p in [*f.parameters, *params]:
        p.grad = 0.0
    loss = f.value_and_grad(*arrays, reduction=reduction)
    grads = [p.grad for p in params]
    for p in f.parameters:
        p.grad = 0.0
    return loss, grads


def _close(actual: Any, expected: Any, rtol: float = RTOL) -> None:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


# ------------------------------------------------------------------ MLPs


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "softplus"])
@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_a_compiled_mlp_matches_eager_outputs_and_gradients(activation: str, batch: int) -> None:
    rng = np.random.default_rng(batch)
    model = nn.MLP(3, [8, 8, 1], activation=activation, seed=batch)
    X = rng.normal(size=(batch, 3))
    y = rng.choice([-1.0, 1.0], size=batch)

    def fn(x: Any, t: Any) -> Value:
        return (1.0 - t * model(x)).relu() + 1e-3 * nn.l2(model)

    f = autograd.compile(fn, X[0], y[0])
    expected, expected_grads = _eager(fn, model.parameters(), X, y)
    _close(f(X, y), expected)
    loss, grads = _compiled_grads(f, model.parameters(), X, y)
    _close(loss, expected.mean())
    assert [id(p) for p in f.parameters] == [id(p) for p in model.parameters()]
    _close(grads, expected_grads)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_softmax_classifier_matches_eager_for_both_reductions(reduction: str) -> None:
    rng = np.random.default_rng(0)
    model = nn.MLP(6, [5, 4], activation="tanh", seed=1)
    X = rng.normal(size=(40, 6))
    y = rng.integers(0, 4, size=40).astype(float)
    onehots = np.eye(4)[y.astype(int)]

    def fn(x: Any, p: Any) -> Value:
        logits = model(x)
        return autograd.logsumexp(logits) - autograd.dot(logits, p)

    f = autograd.compile(fn, X[0], onehots[0])
    expected, expected_grads = _eager(fn, model.parameters(), X, onehots, reduction=reduction)
    loss, grads = _compiled_grads(f, model.parameters(), X, onehots, reduction=reduction)
    _close(loss, expected.sum() if reduction == "sum" else expected.mean())
    _close(grads, expected_grads)


def test_several_outputs_come_as_columns_and_backward_weights_them() -> None:
    rng = np.random.default_rng(2)
    model = nn.MLP(4, [6, 3], activation="relu", seed=3)
    X = rng.normal(size=(25, 4))
    G = rng.normal(size=(25, 3))
    f = autograd.compile(model, X[0])
    out = f(X)
    assert out.shape == (25, 3)
    _close(out, [[v.data for v in model(row)] for row in X.tolist()])
    model.zero_grad()
    f.backward(X, grad_output=G)
    compiled = [p.grad for p in model.parameters()]
    model.zero_grad()
    total = autograd.sum([autograd.dot(model(row), g) for row, g in zip(X.tolist(), G.tolist())])
    total.backward()
    _close(compiled, [p.grad for p in model.parameters()])


def test_each_layer_of_linear_nodes_becomes_one_matrix_product() -> None:
    model = nn.MLP(5, [7, 7, 2], activation="relu", seed=0)
    f = autograd.compile(model, np.zeros(5))
    kinds = [step.kind for step in f._program.steps]
    assert kinds.count("matmul") == 3
    assert "linear" not in kinds


# ------------------------------------------------------------------ hand-derived numpy


def test_gradients_equal_the_hand_derived_numpy_ones_of_micrograds_demo() -> None:
    """MLP 2-16-16-1 relu, max-margin loss plus 1e-4 L2: the backward pass written out
    in numpy by hand (as benchmarks/training.py's reference)."""
    X, labels = nn.data.make_moons(n_samples=100, noise=0.1, seed=1)
    y = 2.0 * labels - 1.0
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    f = autograd.compile(lambda x, t: (1.0 - t * model(x)).relu() + 1e-4 * nn.l2(model), X[0], y[0])
    loss, grads = _compiled_grads(f, model.parameters(), X, y)

    weights = [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
        )
        for layer in model.layers
    ]
    hs = [X]
    for i, (W, b) in enumerate(weights):
        z = hs[-1] @ W.T + b
        hs.append(np.maximum(z, 0.0) if i < 2 else z)
    margin = 1.0 - y * hs[-1][:, 0]
    l2 = sum((W**2).sum() + (b**2).sum() for W, b in weights)
    _close(loss, np.maximum(margin, 0.0).mean() + 1e-4 * l2)
    upstream = (np.where(margin > 0.0, -y, 0.0) / len(y))[:, None]
    expected: list[float] = []
    for i in range(2, -1, -1):
        W, b = weights[i]
        gW, gb = upstream.T @ hs[i] + 2e-4 * W, upstream.sum(0) + 2e-4 * b
        expected = [
            g for row_w, g_b in zip(gW.tolist(), gb.tolist()) for g in (*row_w, g_b)
        ] + expected
        upstream = (upstream @ W) * (hs[i] > 0.0)
    _close(grads, expected)


# ------------------------------------------------------------------ every op


def _unary(name: str, method: Callable[[Value], Value], lo: float, hi: float) -> Any:
    return pytest.param(method, lo, hi, id=name)


# (op, and a range of inputs where it is defined and its derivative finite)
UNARY = [
    _unary("neg", lambda v: -v, -3, 3),
    _unary("exp", Value.exp, -3, 3),
    _unary("log", Value.log, 0.1, 5),
    _unary("sqrt", Value.sqrt, 0.1, 5),
    _unary("tanh", Value.tanh, -3, 3),
    _unary("sigmoid", Value.sigmoid, -30, 30),
    _unary("relu", Value.relu, -3, 3),
    _unary("leaky_relu", lambda v: v.leaky_relu(0.2), -3, 3),
    _unary("softplus", Value.softplus, -30, 30),
    _unary("abs", Value.abs, -3, 3),
    _unary("sin", Value.sin, -3, 3),
    _unary("cos", Value.cos, -3, 3),
    _unary("add_const", lambda v: v + 1.5, -3, 3),
    _unary("radd_const", lambda v: 1.5 + v, -3, 3),
    _unary("sub_const", lambda v: v - 0.7, -3, 3),
    _unary("rsub_const", lambda v: 0.7 - v, -3, 3),
    _unary("mul_const", lambda v: v * -2.5, -3, 3),
    _unary("div_const", lambda v: v / 3.0, -3, 3),
    _unary("rdiv_const", lambda v: 3.0 / v, 0.5, 3),
    _unary("pow_const", lambda v: v**3, -3, 3),
    _unary("pow_const_fractional", lambda v: v**0.5, 0.1, 3),
    _unary("rpow_const", lambda v: 2.0**v, -3, 3),
]


@pytest.mark.parametrize(("op", "lo", "hi"), UNARY)
def test_every_unary_op_matches_eager(op: Callable[[Value], Value], lo: float, hi: float) -> None:
    rng = np.random.default_rng(5)
    w = Value(0.9)  # a parameter before the op, so its gradient flows through it

    def fn(x: Any) -> Value:
        return op(w * x) * w

    X = rng.uniform(lo / 0.9, hi / 0.9, size=50)
    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, [w], X)
    _close(f(X), expected)
    _close(_compiled_grads(f, [w], X)[1], expected_grads)


BINARY = [
    pytest.param(lambda a, b: a + b, id="add"),
    pytest.param(lambda a, b: a - b, id="sub"),
    pytest.param(lambda a, b: a * b, id="mul"),
    pytest.param(lambda a, b: a / b, id="div"),
    pytest.param(lambda a, b: a**b, id="pow"),
]


@pytest.mark.parametrize("op", BINARY)
def test_every_binary_op_matches_eager_with_inputs_and_parameters_on_either_side(
    op: Callable[[Value, Value], Value],
) -> None:
    rng = np.random.default_rng(6)
    w, u = Value(1.3), Value(0.6)

    def fn(x: Any, t: Any) -> Value:
        return op(x * w, t + u) + op(u + 1.0, x) * op(t, w)

    X, T = rng.uniform(0.5, 2.0, size=30), rng.uniform(0.5, 2.0, size=30)
    f = autograd.compile(fn, X[0], T[0])
    expected, expected_grads = _eager(fn, [w, u], X, T)
    _close(f(X, T), expected)
    _close(_compiled_grads(f, [w, u], X, T)[1], expected_grads)


VECTOR = [
    pytest.param(lambda vs: autograd.sum(vs), id="sum"),
    pytest.param(lambda vs: autograd.mean(vs), id="mean"),
    pytest.param(lambda vs: autograd.max(vs), id="max"),
    pytest.param(lambda vs: autograd.min(vs), id="min"),
    pytest.param(lambda vs: autograd.logsumexp(vs), id="logsumexp"),
    pytest.param(lambda vs: autograd.dot(vs, vs[::-1]), id="dot"),
    pytest.param(lambda vs: autograd.dot(vs, [0.5, -1.0, 2.0, 0.25]), id="dot_constant"),
    pytest.param(lambda vs: autograd.dot(vs[:2], [vs[2], 3.0]), id="dot_mixed"),
    pytest.param(lambda vs: autograd.dot(autograd.softmax(vs), [1.0, 2.0, 3.0, 4.0]), id="softmax"),
    pytest.param(
        lambda vs: autograd.dot(autograd.log_softmax(vs), [0.1, 0.2, 0.3, 0.4]), id="log_softmax"
    ),
    pytest.param(lambda vs: autograd.softmax(vs)[2] * vs[0], id="softmax_one_output"),
    pytest.param(
        lambda vs: autograd.sum(autograd.linear(vs, [vs[:4], [1.0] * 4], [vs[0], 0.5])),
        id="linear_mixed",
    ),
    pytest.param(lambda vs: autograd.sum(autograd.matvec([vs, vs[::-1]], vs)), id="matvec"),
    pytest.param(lambda vs: autograd.sum([vs[0], 2.0, vs[1]]), id="sum_with_a_number"),
]


@pytest.mark.parametrize("op", VECTOR)
def test_every_function_of_a_list_matches_eager(op: Callable[[list[Value]], Value]) -> None:
    rng = np.random.default_rng(7)
    ws = [Value(float(w)) for w in rng.normal(size=4)]

    def fn(x: Any) -> Value:
        return op([xi * wi + wi for xi, wi in zip(x, ws)])

    X = rng.normal(size=(60, 4))
    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, ws, X)
    _close(f(X), expected)
    _close(_compiled_grads(f, ws, X)[1], expected_grads)


# The one random-graph generator (autograd.testing's) over every operation of the
# engine; each input is scaled by a parameter, so gradients flow back to parameters,
# and the rows are the graph's point moved by less than a thousandth (its operands stay
# inside their domains and away from kinks, by testing.MARGIN).
@settings(max_examples=40, deadline=None)
@given(graph=testing.graphs())
def test_random_graphs_of_every_op_match_eager(graph: testing.Graph) -> None:
    ws = [Value(1.0) for _ in graph.point]

    def fn(x: Any) -> Value:
        return graph(*[xi * w for xi, w in zip(x, ws)])

    offsets = np.linspace(-1e-3, 1e-3, 5)[:, None] * np.arange(1, len(ws) + 1)
    X = np.array(graph.point) + offsets
    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, ws, X)
    _close(f(X), expected, rtol=1e-10)
    _close(_compiled_grads(f, ws, X)[1], expected_grads, rtol=1e-9)


def test_a_kind_without_a_vectorised_rule_is_replayed_by_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(OPS["tanh"], "rules", ())  # tanh's entry without its derivative rule
    w = Value(0.7)

    def fn(x: Any) -> Value:
        return (x * w).tanh() * w

    X = np.linspace(-2, 2, 9)
    f = autograd.compile(fn, X[0])
    assert "tanh" in [step.kind for step in f._program.steps]
    expected, expected_grads = _eager(fn, [w], X)
    _close(f(X), expected)
    _close(_compiled_grads(f, [w], X)[1], expected_grads)


@autograd.primitive
def _scaled_swish(x: float, c: float) -> tuple[float, tuple[float, float]]:
    """c x sigmoid(x), a custom primitive: derivatives c (s + x s (1 - s)) and x s."""
    s = 1.0 / (1.0 + math.exp(-x))
    return c * x * s, (c * (s + x * s * (1.0 - s)), x * s)


def test_a_custom_primitive_is_replayed_per_row_by_the_engine() -> None:
    w, c = Value(0.7), Value(1.5)

    def fn(x: Any) -> Value:
        return _scaled_swish(x * w, c) + _scaled_swish(x, 2.0)  # a Value and a number

    X = np.linspace(-2.0, 2.0, 9)
    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, [w, c], X)
    _close(f(X), expected)
    _close(_compiled_grads(f, [w, c], X)[1], expected_grads)


def test_a_custom_primitive_that_fails_on_a_row_raises_its_error_naming_the_row() -> None:
    f = autograd.compile(lambda x: _scaled_swish(x, 1.0), 0.0)
    with pytest.raises(OverflowError, match=r"^row 2 of the batch: .*_scaled_swish") as info:
        f(np.array([0.0, 1.0, -1000.0]))
    with pytest.raises(OverflowError) as eager:
        _scaled_swish(Value(-1000.0), 1.0)
    assert str(info.value) == f"row 2 of the batch: {eager.value}"


# ------------------------------------------------------------------ kinks and ties


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(Value.relu, id="relu"),
        pytest.param(Value.abs, id="abs"),
        pytest.param(lambda v: v.leaky_relu(0.3), id="leaky_relu"),
        pytest.param(lambda v: (1.0 - v).relu(), id="hinge"),
        pytest.param(lambda v: v**2, id="square"),
        pytest.param(lambda v: v**1, id="first_power"),
        pytest.param(lambda v: autograd.max([v, v * 0.0, -v]), id="max_ties"),
        pytest.param(lambda v: autograd.min([v * 0.0, v, v]), id="min_ties"),
    ],
)
def test_kinks_and_ties_follow_the_engine(op: Callable[[Value], Value]) -> None:
    w = Value(1.0)

    def fn(x: Any) -> Value:
        return op(x * w)

    X = np.array([-1.0, 0.0, 1.0, 0.0, 2.0])
    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, [w], X)
    _close(f(X), expected)
    _close(_compiled_grads(f, [w], X)[1], expected_grads)


# ------------------------------------------------------------------ parameters


def test_parameters_are_read_at_every_call_and_gradients_accumulate() -> None:
    w, b = Value(2.0), Value(0.5)
    f = autograd.compile(lambda x: (w * x + b).tanh(), 1.0)
    X = np.array([0.1, -0.3, 0.8])
    first = f(X)
    w.data = -1.0
    _close(f(X), np.tanh(-1.0 * X + 0.5))
    assert not np.allclose(first, f(X))
    f.value_and_grad(X)
    once = (w.grad, b.grad)
    f.value_and_grad(X)
    _close((w.grad, b.grad), (2 * once[0], 2 * once[1]))
    t = np.tanh(-X + 0.5)  # d mean(tanh(w x + b)) / dw, by hand
    _close(once, ((1 - t**2) @ X / 3, (1 - t**2).mean()))


def test_constants_made_inside_fn_and_unused_arguments_are_fine() -> None:
    w = Value(3.0)

    def fn(x: Any, unused: Any) -> list[Value]:
        return [w * Value(2.0), x[1] * w, x[0]]

    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    f = autograd.compile(fn, X[0], 0.0)
    _close(f(X, np.zeros(2)), [[6.0, 6.0, 1.0], [6.0, 12.0, 3.0]])
    w.grad = 0.0
    f.backward(X, np.zeros(2), grad_output=np.ones((2, 3)))
    _close(w.grad, 2 * 2.0 + 2.0 + 4.0)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("fn", "bad_row", "error", "words"),
    [
        (lambda x: x.log(), -0.5, ValueError, "log(-0.5) is undefined"),
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "division by zero"),
        (lambda x: (x * 1000.0).exp(), 1.0, OverflowError, "exp(1000) overflows"),
        (lambda x: x.sqrt(), 0.0, ValueError, "infinite derivative"),
        (lambda x: x**0.5, -4.0, ValueError, "not a real number"),
    ],
)
def test_a_row_the_engine_cannot_compute_raises_its_error_naming_the_row(
    fn: Callable[[Value], Value], bad_row: float, error: type[Exception], words: str
) -> None:
    f = autograd.compile(fn, 0.5)
    X = np.array([0.1, 0.2, 0.3, bad_row, 0.4])
    with pytest.raises(error, match=r"^row 3 of the batch: ") as info:
        f(X)
    assert words in str(info.value)
    with pytest.raises(error) as eager:
        fn(Value(bad_row))
    assert str(info.value) == f"row 3 of the batch: {eager.value}"


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda x: x if x > 0 else -x, id="comparison"),
        pytest.param(lambda x: Value(float(x)), id="float"),
        pytest.param(lambda x: x * 2 if x else x, id="bool"),
        pytest.param(lambda x: max(x, 0.0), id="builtin_max"),
    ],
)
def test_a_python_branch_on_a_value_fails_at_trace_time_saying_what_to_use(
    fn: Callable[[Value], Value],
) -> None:
    with pytest.raises(TypeError, match=r"while tracing.*relu"):
        autograd.compile(fn, 1.0)
    v = Value(1.0)  # outside a trace, the same operations work as before
    assert v > 0 and float(v) == 1.0 and bool(v)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((np.zeros((3, 2)),), TypeError, "takes 2 argument"),
        ((np.zeros((3, 3)), np.zeros(3)), ValueError, r"shape \(batch, 2\)"),
        ((np.zeros((3, 2)), np.zeros((3, 1))), ValueError, r"shape \(batch,\)"),
        ((np.zeros((3, 2)), np.zeros(4)), ValueError, "4 rows but argument 0 has 3"),
        ((np.zeros((0, 2)), np.zeros(0)), ValueError, "no rows"),
        (
            (np.array([[0.0, np.nan]]), np.zeros(1)),
            ValueError,
            "argument 0, row 0, entry 1: expected a fin",
        ),
        ((np.zeros((1, 2)), ["a"]), TypeError, "argument 1, row 0: expected a real number"),
    ],
)
def test_bad_batches_raise_errors_naming_the_argument(
    args: tuple[Any, ...], error: type[Exception], words: str
) -> None:
    w = Value(1.0)
    f = autograd.compile(lambda x, t: (x[0] + x[1]) * w - t, [0.0, 0.0], 0.0)
    with pytest.raises(error, match=words):
        f(*args)


@pytest.mark.parametrize(
    ("fn", "examples", "error", "words"),
    [
        (lambda x: x, (), TypeError, "give one example"),
        (lambda x: x, (Value(1.0),), TypeError, "is a Value"),
        (lambda x: x, ("1",), TypeError, "number or a sequence"),
        (lambda x: x, (np.zeros((2, 2)),), ValueError, "1-D"),
        (lambda x: x, ([],), ValueError, "empty"),
        (lambda x: 3.0, (1.0,), TypeError, "must return a Value"),
        ("not callable", (1.0,), TypeError, "callable"),
    ],
)
def test_bad_compile_calls_raise_errors_that_say_what_to_give(
    fn: Any, examples: tuple[Any, ...], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        autograd.compile(fn, *examples)


def test_value_and_grad_needs_one_output_and_a_known_reduction() -> None:
    w = Value(1.0)
    two = autograd.compile(lambda x: [x * w, x + w], 1.0)
    with pytest.raises(ValueError, match="returns 2"):
        two.value_and_grad(np.ones(2))
    one = autograd.compile(lambda x: x * w, 1.0)
    with pytest.raises(ValueError, match="'mean' or 'sum'"):
        one.value_and_grad(np.ones(2), reduction="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        one.backward(np.ones(2), grad_output=np.ones((2, 1)))


def test_the_mean_of_huge_numbers_is_finite_as_in_the_engine() -> None:
    w = Value(1.0)
    f = autograd.compile(lambda x: autograd.mean([x * w, x * w, x]), 1.0)
    X = np.array([1.5e308, -1.5e308, 2.0])
    expected, expected_grads = _eager(lambda x: autograd.mean([x * w, x * w, x]), [w], X)
    _close(f(X), expected)
    _close(_compiled_grads(f, [w], X)[1], expected_grads)


@pytest.mark.parametrize(
    ("op", "X"),
    [
        pytest.param(
            lambda x: autograd.log_softmax([x * 33.0, x * 0.0])[0], [1.0, 1.2], id="confident"
        ),
        pytest.param(
            lambda x: autograd.logsumexp([x * 0.0, x * -40.0]), [1.0, 0.9], id="tiny_rest"
        ),
        pytest.param(lambda x: x**2, [1e-200, -3e-170], id="underflowed_square"),
    ],
)
def test_results_keep_the_engines_precision_where_naive_formulas_lose_it(
    op: Callable[[Value], Value], X: list[float]
) -> None:
    w = Value(0.0)  # added, so its gradient is the op's slope itself

    def fn(x: Any) -> Value:
        return op(x + w)

    f = autograd.compile(fn, X[0])
    expected, expected_grads = _eager(fn, [w], np.array(X))
    _close(f(np.array(X)), expected, rtol=1e-12)
    np.testing.assert_allclose(f(np.array(X)), expected, rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(
        _compiled_grads(f, [w], np.array(X))[1], expected_grads, rtol=1e-12, atol=0.0
    )


def test_compiling_under_no_grad_is_refused() -> None:
    with autograd.no_grad(), pytest.raises(RuntimeError, match="outside no_grad"):
        autograd.compile(lambda x: x * 2.0, 1.0)


def test_a_gradient_that_overflows_raises_and_leaves_grad_untouched() -> None:
    w = Value(1.0)
    f = autograd.compile(lambda x: (x * w) * 1e200, 1.0)
    with pytest.raises(OverflowError, match="not finite"):
        f.backward(np.ones(2), grad_output=np.full(2, 1e200))
    assert w.grad == 0.0


def test_every_kind_of_operation_of_the_engine_has_a_vectorised_rule() -> None:
    # A function of lists needs its rule in RULES (an elementwise entry brings its own),
    # else compiled code would replay it per row with the engine, silently slow.
    from autograd.compile import _has_rule

    assert [kind for kind in OPS if kind != "leaf" and not _has_rule(kind)] == []
