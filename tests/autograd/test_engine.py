"""Tests of the engine: every primitive against its closed form, kinks, random graphs,
the plumbing of Value (no_grad, detach, comparisons, repr) and every error it raises.

Expected values are computed here with `math`, independently of the engine; gradients
of random inputs and graphs are checked against central differences with `gradcheck`.
"""

from __future__ import annotations

import asyncio
import copy
import decimal
import math
import sys
import threading
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, gradcheck, no_grad, testing, topological_order

FAST = settings(max_examples=25, deadline=None)


def finite(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float, margin: float = 1e-2) -> st.SearchStrategy[float]:
    return finite(lo, hi).filter(lambda x: abs(x) > margin)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ------------------------------------------------------------ unary primitives
# name -> (apply to a Value, closed-form value, closed-form derivative, points, domain)

UnaryOp = Callable[[Value], Value]
Real = Callable[[float], float]

UNARY: dict[str, tuple[UnaryOp, Real, Real, list[float], st.SearchStrategy[float]]] = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, [-2.0, 0.0, 3.5], finite(-5, 5)),
    "exp": (Value.exp, math.exp, math.exp, [-2.0, -0.5, 0.0, 1.0, 3.0], finite(-5, 5)),
    "log": (Value.log, math.log, lambda x: 1 / x, [0.1, 0.5, 1.0, 2.0, 10.0], finite(0.1, 10)),
    "sqrt": (
        Value.sqrt,
        math.sqrt,
        lambda x: 0.5 / math.sqrt(x),
        [0.01, 0.25, 1.0, 4.0, 9.0],
        finite(0.05, 10),
    ),
    "tanh": (
        Value.tanh,
        math.tanh,
        lambda x: 1 / math.cosh(x) ** 2,
        [-3.0, -0.5, 0.0, 0.7, 2.0],
        finite(-4, 4),
    ),
    "sigmoid": (
        Value.sigmoid,
        sigmoid,
        lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2,
        [-4.0, -1.0, 0.0, 0.3, 5.0],
        finite(-6, 6),
    ),
    "relu": (
        Value.relu,
        lambda x: x if x > 0 else 0.0,
        lambda x: 1.0 if x > 0 else 0.0,
        [-2.0, -0.5, 0.5, 3.0],
        away_from_zero(-5, 5),
    ),
    "leaky_relu": (
        Value.leaky_relu,
        lambda x: x if x > 0 else 0.01 * x,
        lambda x: 1.0 if x > 0 else 0.01,
        [-2.0, -0.5, 0.5, 3.0],
        away_from_zero(-5, 5),
    ),
    "leaky_relu(0.2)": (
        lambda v: v.leaky_relu(negative_slope=0.2),
        lambda x: x if x > 0 else 0.2 * x,
        lambda x: 1.0 if x > 0 else 0.2,
        [-2.0, -0.5, 0.5, 3.0],
        away_from_zero(-5, 5),
    ),
    "softplus": (
        Value.softplus,
        lambda x: math.log(1 + math.exp(x)),
        lambda x: 1 / (1 + math.exp(-x)),
        [-5.0, -1.0, 0.0, 1.0, 5.0],
        finite(-8, 8),
    ),
    "abs": (
        Value.abs,
        lambda x: x if x >= 0 else -x,
        lambda x: 1.0 if x > 0 else -1.0,
        [-2.5, -0.1, 0.1, 4.0],
        away_from_zero(-5, 5),
    ),
    "builtin abs": (
        abs,
        lambda x: x if x >= 0 else -x,
        lambda x: 1.0 if x > 0 else -1.0,
        [-2.5, 4.0],
        away_from_zero(-5, 5),
    ),
    "sin": (Value.sin, math.sin, math.cos, [-2.0, 0.0, 1.0, 3.0], finite(-6, 6)),
    "cos": (Value.cos, math.cos, lambda x: -math.sin(x), [-2.0, 0.0, 1.0, 3.0], finite(-6, 6)),
}

UNARY_POINTS = [(name, x) for name, spec in UNARY.items() for x in spec[3]]


@pytest.mark.parametrize(("name", "x"), UNARY_POINTS, ids=[f"{n}@{x}" for n, x in UNARY_POINTS])
def test_unary_value_and_derivative_match_closed_form(name: str, x: float) -> None:
    op, f, df, _, _ = UNARY[name]
    v = Value(x)
    y = op(v)
    assert y.data == pytest.approx(f(x), rel=1e-12, abs=1e-15)
    assert y.parents == (v,)
    assert len(y.local_grads) == 1
    y.backward()
    assert v.grad == pytest.approx(df(x), rel=1e-12, abs=1e-15)
    assert y.grad == 1.0


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_gradcheck_over_domain(name: str) -> None:
    op, _, _, _, domain = UNARY[name]

    @FAST
    @given(x=domain)
    def check(x: float) -> None:
        assert gradcheck(op, [Value(x)]) is True

    check()


def test_op_names() -> None:
    x = Value(2.0)
    assert x.op == ""
    assert x.parents == ()
    assert x.local_grads == ()
    assert (x.exp()).op == "exp"
    assert (x.tanh()).op == "tanh"
    assert (x + x).op == "+"
    assert (x * 3).op == "* 3"
    assert (-x).op == "neg"


# ------------------------------------------------------------ binary primitives
# name -> (apply, value, d/da, d/db, points)

BinaryOp = Callable[[Value, Value], Value]
Real2 = Callable[[float, float], float]

BINARY: dict[str, tuple[BinaryOp, Real2, Real2, Real2]] = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: b, lambda a, b: a),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: 1 / b, lambda a, b: -a / b**2),
    "pow": (
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: b * a ** (b - 1),
        lambda a, b: a**b * math.log(a),
    ),
}
BINARY_POINTS = [(1.5, -2.0), (0.3, 0.7), (4.0, 2.5), (2.0, -0.5)]


@pytest.mark.parametrize("name", list(BINARY))
@pytest.mark.parametrize(("a", "b"), BINARY_POINTS)
def test_binary_value_and_derivatives_match_closed_form(name: str, a: float, b: float) -> None:
    op, f, dfa, dfb = BINARY[name]
    va, vb = Value(a), Value(b)
    y = op(va, vb)
    assert y.data == pytest.approx(f(a, b), rel=1e-12)
    assert y.parents == (va, vb)
    y.backward()
    assert va.grad == pytest.approx(dfa(a, b), rel=1e-12)
    assert vb.grad == pytest.approx(dfb(a, b), rel=1e-12)


BINARY_DOMAINS: dict[str, tuple[st.SearchStrategy[float], st.SearchStrategy[float]]] = {
    "add": (finite(-10, 10), finite(-10, 10)),
    "sub": (finite(-10, 10), finite(-10, 10)),
    "mul": (finite(-10, 10), finite(-10, 10)),
    "div": (finite(-10, 10), away_from_zero(-5, 5, margin=0.2)),
    "pow": (finite(0.2, 4), finite(-3, 3)),
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck_over_domain(name: str) -> None:
    op = BINARY[name][0]
    da, db = BINARY_DOMAINS[name]

    @FAST
    @given(a=da, b=db, g=away_from_zero(-3, 3, margin=0.1))
    def check(a: float, b: float, g: float) -> None:
        assert gradcheck(op, [Value(a), Value(b)], grad=g) is True

    check()


# Value-constant forms: (expression, value, derivative), the constant c = 2 or given.
CONSTANT_FORMS: dict[str, tuple[UnaryOp, Real, Real, list[float]]] = {
    "v + 2": (lambda v: v + 2, lambda x: x + 2, lambda x: 1.0, [-1.0, 3.0]),
    "2 + v": (lambda v: 2 + v, lambda x: 2 + x, lambda x: 1.0, [-1.0, 3.0]),
    "v - 2": (lambda v: v - 2, lambda x: x - 2, lambda x: 1.0, [-1.0, 3.0]),
    "2 - v": (lambda v: 2 - v, lambda x: 2 - x, lambda x: -1.0, [-1.0, 3.0]),
    "v * 2.5": (lambda v: v * 2.5, lambda x: 2.5 * x, lambda x: 2.5, [-1.0, 3.0]),
    "2.5 * v": (lambda v: 2.5 * v, lambda x: 2.5 * x, lambda x: 2.5, [-1.0, 3.0]),
    "v / 4": (lambda v: v / 4, lambda x: x / 4, lambda x: 0.25, [-1.0, 3.0]),
    "2 / v": (lambda v: 2 / v, lambda x: 2 / x, lambda x: -2 / x**2, [-1.0, 0.5, 3.0]),
    "v ** 3": (lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, [-2.0, 0.5, 3.0]),
    "v ** 2 (negative base)": (lambda v: v**2, lambda x: x**2, lambda x: 2 * x, [-3.0]),
    "v ** -2": (lambda v: v**-2, lambda x: x**-2, lambda x: -2 * x**-3, [-2.0, 0.5, 3.0]),
    "v ** 0.5": (lambda v: v**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.25, 4.0]),
    "v ** 1.7": (lambda v: v**1.7, lambda x: x**1.7, lambda x: 1.7 * x**0.7, [0.3, 2.0]),
    "v ** 0": (lambda v: v**0, lambda x: 1.0, lambda x: 0.0, [-2.0, 3.0]),
    "2 ** v": (lambda v: 2**v, lambda x: 2**x, lambda x: 2**x * math.log(2), [-1.5, 0.0, 3.0]),
    "0.5 ** v": (
        lambda v: 0.5**v,
        lambda x: 0.5**x,
        lambda x: 0.5**x * math.log(0.5),
        [-1.5, 2.0],
    ),
}
CONSTANT_POINTS = [(name, x) for name, spec in CONSTANT_FORMS.items() for x in spec[3]]


@pytest.mark.parametrize(
    ("name", "x"), CONSTANT_POINTS, ids=[f"{n}@{x}" for n, x in CONSTANT_POINTS]
)
def test_constant_forms_match_closed_form_and_record_no_constant(name: str, x: float) -> None:
    op, f, df, _ = CONSTANT_FORMS[name]
    v = Value(x)
    y = op(v)
    assert y.data == pytest.approx(f(x), rel=1e-12)
    assert y.parents == (v,)  # the constant is not a graph input
    y.backward()
    assert v.grad == pytest.approx(df(x), rel=1e-12, abs=1e-15)


@FAST
@given(
    x=finite(-3, 3),
    c=away_from_zero(-4, 4, margin=0.1),
    base=finite(0.2, 5),
    power=st.integers(-3, 4),
)
def test_constant_forms_gradcheck(x: float, c: float, base: float, power: int) -> None:
    v = Value(x)
    assert gradcheck(lambda a: a + c, [v])
    assert gradcheck(lambda a: c + a, [v])
    assert gradcheck(lambda a: a - c, [v])
    assert gradcheck(lambda a: c - a, [v])
    assert gradcheck(lambda a: a * c, [v])
    assert gradcheck(lambda a: c * a, [v])
    assert gradcheck(lambda a: a / c, [v])
    assert gradcheck(lambda a: c / (a + 4), [v])  # a + 4 >= 1
    assert gradcheck(lambda a: base**a, [v])
    assert gradcheck(lambda a: (a * a + 0.5) ** c, [v])  # positive base, real power
    assume(abs(x) > 0.1 or power >= 0)
    assert gradcheck(lambda a: a**power, [v])  # whole power: negative bases too


def test_kinks_follow_pytorch() -> None:
    zero = Value(0.0)
    y = zero.relu()
    y.backward()
    assert (y.data, zero.grad) == (0.0, 0.0)

    zero = Value(0.0)
    y = zero.abs()
    y.backward()
    assert (y.data, zero.grad) == (0.0, 0.0)

    zero = Value(0.0)
    y = zero.leaky_relu(negative_slope=0.2)
    y.backward()
    assert (y.data, zero.grad) == (0.0, 0.2)

    zero = Value(0.0)
    y = zero.leaky_relu()
    y.backward()
    assert (y.data, zero.grad) == (0.0, 0.01)


@pytest.mark.parametrize(("power", "data", "grad"), [(0, 1.0, 0.0), (1, 0.0, 1.0), (2, 0.0, 0.0)])
def test_power_of_zero(power: int, data: float, grad: float) -> None:
    zero = Value(0.0)
    y = zero**power
    y.backward()
    assert (y.data, zero.grad) == (data, grad)


def test_sqrt_and_fractional_power_of_zero_are_fine_when_not_recorded() -> None:
    with no_grad():
        assert Value(0.0).sqrt().data == 0.0
        assert (Value(0.0) ** 0.5).data == 0.0


def test_seed_worked_numbers() -> None:
    for y0, loss, slope in [(350.0, 22500.0, -300.0), (600.0, 10000.0, 200.0)]:
        y = Value(y0)
        L = (y - 500) ** 2
        L.backward()
        assert L.data == loss
        assert y.grad == slope


# ------------------------------------------------------------ random graphs
# The one random-graph generator (autograd.testing's): every operation of the engine,
# with reused nodes, diamonds, deep chains and constants on either side, kept inside
# each operation's domain and away from its kinks.


@settings(max_examples=200, deadline=None)
@given(graph=testing.graphs(), g=away_from_zero(-3, 3, margin=0.1))
def test_random_graphs_gradcheck(graph: testing.Graph, g: float) -> None:
    testing.assert_gradients(graph)
    testing.assert_gradients(graph, grad=g)


# ------------------------------------------------------------ backward semantics


def test_reused_subexpression() -> None:
    a = Value(3.0)
    b = a + a
    c = b * b
    c.backward()
    assert c.data == 36.0
    assert b.grad == 12.0  # dc/db = 2b
    assert a.grad == 24.0  # dc/da = 8a


def test_same_value_as_both_operands() -> None:
    a = Value(-1.5)
    y = a * a / a - a
    y.backward()
    assert y.data == 0.0
    assert a.grad == pytest.approx(0.0, abs=1e-15)


def test_two_backward_calls_double_leaves_but_not_interior_nodes() -> None:
    x, w = Value(0.7, label="x"), Value(-1.2, label="w")
    h = x * w  # interior, reused twice
    out = h.tanh() + h * x + w.exp()
    t = math.tanh(0.7 * -1.2)
    dh = (1 - t * t) + 0.7
    dx = dh * -1.2 + (0.7 * -1.2)
    dw = dh * 0.7 + math.exp(-1.2)

    out.backward()
    assert (x.grad, w.grad, h.grad) == pytest.approx((dx, dw, dh), rel=1e-12)
    first_x, first_w = x.grad, w.grad

    out.backward()
    assert x.grad == 2 * first_x  # leaves accumulate, exactly
    assert w.grad == 2 * first_w
    assert h.grad == pytest.approx(dh, rel=1e-12)  # interior: the latest call's gradient
    assert out.grad == 1.0


def test_backward_stops_at_a_zero_derivative() -> None:
    x, w = Value(2.0, label="x"), Value(-1.5, label="w")
    a = x * w  # -3: the relu below is off
    a.label = "a"
    b = a * 4.0  # another output that reaches a
    dead = a.relu()
    out = dead + w * 3.0  # w still gets a gradient, by the other path

    b.backward()
    assert (a.grad, x.grad, w.grad) == (4.0, -6.0, 8.0)

    out.backward()
    assert dead.grad == 1.0  # reached: its relu sends 0 to a
    assert w.grad == 8.0 + 3.0  # accumulated: only the path around the relu adds
    assert x.grad == -6.0  # nothing reached x
    assert a.grad == 4.0  # not reached: a keeps what b.backward() gave it


def test_nodes_behind_a_zero_derivative_are_not_visited() -> None:
    x = Value(-1.0)
    hidden = [x * float(k) for k in range(1, 4)]  # three interior nodes behind the relu
    out = autograd.sum(hidden).relu() + x
    for h in hidden:
        h.grad = 7.0  # a mark: backward() would reset the grad of a node it visits
    out.backward()
    assert [h.grad for h in hidden] == [7.0, 7.0, 7.0]
    assert x.grad == 1.0  # only the path that skips the relu


def test_an_overflow_that_stops_at_a_zero_derivative_is_still_reported() -> None:
    u = Value(-1.0)
    off = u.relu()  # data 0, local derivative 0: the gradient stops here
    out = off * 1e300 * 1e300  # forward 0; backward 1e300 * 1e300 overflows into off.grad
    with pytest.raises(OverflowError, match=r"backward: the gradient of Value\(data=0\.0"):
        out.backward()
    assert u.grad == 0.0


def test_backward_with_upstream_gradient() -> None:
    x = Value(2.0)
    y = x**3
    y.backward(grad=-0.5)
    assert x.grad == -0.5 * 12.0
    assert y.grad == -0.5


def test_backward_of_a_leaf_adds_the_seed() -> None:
    x = Value(2.0)
    x.backward()
    x.backward(3.0)
    assert x.grad == 4.0


def test_unused_branch_gets_no_gradient() -> None:
    x, z = Value(1.0), Value(5.0)
    _ = z * 2
    y = x * 3
    y.backward()
    assert (x.grad, z.grad) == (3.0, 0.0)


def test_million_operation_chain_under_default_recursion_limit() -> None:
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == 1.0
    assert y.data == 1_000_000.5
    assert len(topological_order(y)) == 1_000_001


def test_topological_order_puts_parents_first_once_each() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    dc = d * c
    e = dc + b
    order = topological_order(e)
    assert order[-1] is e
    assert len(order) == len({id(v) for v in order}) == 6
    assert {id(v) for v in order} == {id(v) for v in (a, b, c, d, dc, e)}
    position = {id(v): i for i, v in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert topological_order(a) == [a]


# ------------------------------------------------------------ no_grad, detach, plumbing


def test_no_grad_context_manager() -> None:
    x = Value(2.0)
    assert autograd.is_grad_enabled()
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = (x * 3).exp()
        with no_grad():
            z = x + 1
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    assert y.parents == () and y.op == "" and y.local_grads == ()
    assert y.data == pytest.approx(math.exp(6.0))
    assert z.parents == ()
    assert (x * 3).parents == (x,)


def test_no_grad_restores_mode_after_exception() -> None:
    with pytest.raises(RuntimeError, match="boom"), no_grad():
        raise RuntimeError("boom")
    assert autograd.is_grad_enabled()


def test_no_grad_decorator() -> None:
    @no_grad()
    def square(v: Value) -> Value:
        """Docstring kept."""
        assert not autograd.is_grad_enabled()
        return v * v

    @no_grad()
    def fails(v: Value) -> Value:
        return v.log()

    x = Value(3.0)
    y = square(x)
    assert autograd.is_grad_enabled()
    assert (y.data, y.parents) == (9.0, ())
    assert square.__name__ == "square"
    assert square.__doc__ == "Docstring kept."
    with pytest.raises(ValueError, match="log"):
        fails(Value(-1.0))
    assert autograd.is_grad_enabled()


def _in_thread(work: Callable[[], None]) -> threading.Thread:
    """Start `work` in a new thread; its exceptions are re-raised by `_join`."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as err:  # handed to the test thread by _join
            errors.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def _join(thread: threading.Thread) -> None:
    thread.join(timeout=10)
    assert not thread.is_alive(), "the helper thread hung"
    for err in thread.errors:  # type: ignore[attr-defined]
        raise err


def test_no_grad_in_one_thread_leaves_other_threads_recording() -> None:
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def other() -> None:
        with no_grad():
            inside.set()
            assert done.wait(10)
            seen["enabled"] = autograd.is_grad_enabled()
            seen["parents"] = (Value(1.0) * 2).parents

    thread = _in_thread(other)
    assert inside.wait(10)
    x = Value(2.0)
    y = x * 3
    enabled_here = autograd.is_grad_enabled()
    done.set()
    _join(thread)
    assert enabled_here and y.parents == (x,)
    assert seen == {"enabled": False, "parents": ()}


def test_overlapping_no_grad_blocks_in_two_threads_restore_grad_mode_in_both() -> None:
    # A enters, B enters, A exits, B exits: each thread's mode follows its own block.
    steps = {name: threading.Event() for name in ("a_in", "b_in", "a_out", "b_out")}
    seen: dict[str, bool] = {}

    def thread_a() -> None:
        with no_grad():
            steps["a_in"].set()
            assert steps["b_in"].wait(10)
        seen["a after its block, B still inside"] = autograd.is_grad_enabled()
        seen["a records"] = bool((Value(1.0) + 1).parents)
        steps["a_out"].set()

    def thread_b() -> None:
        assert steps["a_in"].wait(10)
        with no_grad():
            steps["b_in"].set()
            assert steps["a_out"].wait(10)
            seen["b inside after A left"] = autograd.is_grad_enabled()
        seen["b after its block"] = autograd.is_grad_enabled()
        seen["b records"] = bool((Value(1.0) + 1).parents)

    threads = [_in_thread(thread_a), _in_thread(thread_b)]
    for thread in threads:
        _join(thread)
    assert seen == {
        "a after its block, B still inside": True,
        "a records": True,
        "b inside after A left": False,
        "b after its block": True,
        "b records": True,
    }
    assert autograd.is_grad_enabled()
    assert (Value(1.0) * 2).parents != ()


def test_a_thread_started_inside_no_grad_starts_with_grad_mode_on() -> None:
    seen: list[bool] = []
    with no_grad():
        _join(_in_thread(lambda: seen.append(autograd.is_grad_enabled())))
        assert not autograd.is_grad_enabled()
    assert seen == [True]


def test_one_no_grad_instance_shared_by_threads_keeps_each_threads_mode() -> None:
    guard = no_grad()
    barrier = threading.Barrier(4)
    results: list[tuple[bool, bool, bool]] = []

    def work() -> None:
        for _ in range(50):
            with guard:
                barrier.wait(10)  # every thread inside at once
                inside = autograd.is_grad_enabled()
                barrier.wait(10)
            results.append((inside, autograd.is_grad_enabled(), bool((Value(1.0) * 2).parents)))

    threads = [_in_thread(work) for _ in range(4)]
    for thread in threads:
        _join(thread)
    assert results == [(False, True, True)] * 200


def test_no_grad_in_one_asyncio_task_leaves_another_task_recording() -> None:
    async def quiet(entered: asyncio.Event, release: asyncio.Event) -> tuple[Value, ...]:
        with no_grad():
            entered.set()
            await release.wait()
            return (Value(1.0) * 2).parents

    async def main() -> tuple[tuple[Value, ...], tuple[Value, ...], bool]:
        entered, release = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(quiet(entered, release))
        await entered.wait()
        x = Value(1.0)
        recorded = (x * 2).parents
        release.set()
        return recorded, await task, autograd.is_grad_enabled()

    x_parents, quiet_parents, enabled = asyncio.run(main())
    assert len(x_parents) == 1 and quiet_parents == () and enabled


def test_detach() -> None:
    x = Value(1.5)
    h = x * 2
    d = h.detach()
    assert d is not h
    assert (d.data, d.parents, d.op, d.grad) == (3.0, (), "", 0.0)
    y = d * x
    y.backward()
    assert x.grad == 3.0  # only through the second factor
    assert d.grad == 1.5
    assert h.grad == 0.0


def test_comparisons_return_bools_on_data() -> None:
    a, b = Value(1.0), Value(2.0)
    results = [a < b, a <= b, b > a, b >= a, a < 1.5, a <= 1, a > 0, b >= 2, a > b, b < 2]
    assert all(type(r) is bool for r in results)
    assert results == [True] * 8 + [False, False]
    assert 3 > a  # noqa: SIM300 (the reflected comparison is what is tested)
    assert max([a, b]) is b  # the builtin, through __lt__/__gt__


def test_equality_and_hash_are_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a
    assert a != b
    assert a != 1.0
    assert len({a, b, a}) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"


def test_float_format_and_repr() -> None:
    x = Value(2.5, label="x")
    assert float(x) == 2.5 and type(float(x)) is float
    assert f"{x:.2f}" == "2.50"
    assert repr(x) == "Value(data=2.5, grad=0.0, label='x')"
    y = x * 2
    y.backward()
    assert repr(x) == "Value(data=2.5, grad=2.0, label='x')"
    assert repr(y) == "Value(data=5.0, grad=1.0)"
    assert str(y) == repr(y)


def test_accepted_numbers_become_floats() -> None:
    for data, expected in [
        (3, 3.0),
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.int64(-7), -7.0),
        (Fraction(1, 4), 0.25),
    ]:
        v = Value(data)
        assert v.data == expected and type(v.data) is float
    assert (Value(1.0) * np.int64(3)).data == 3.0


# ------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        ("1", TypeError, r"got str '1'.*float\('1'\)"),
        (None, TypeError, r"got NoneType None"),
        ([1.0], TypeError, r"got list \[1\.0\].*one Value per element"),
        (True, TypeError, r"got bool True; a bool is not a number here: pass 1\.0 or 0\.0$"),
        # .item() of a numpy bool is a bool, refused too: the hint is not .item()
        (np.bool_(True), TypeError, r"got bool np\.True_; a bool is not a number.*1\.0 or 0\.0$"),
        (np.array(False), TypeError, r"got ndarray array\(False\); a bool is not a number"),
        (np.array(2.0), TypeError, r"ndarray.*\.item\(\)"),
        (np.array([1.0, 2.0]), TypeError, r"got ndarray .*one Value per element"),
        (np.array([True, False]), TypeError, r"got ndarray .*one Value per element"),
        (1 + 2j, TypeError, r"complex.*\(1\+2j\)"),
        (float("nan"), ValueError, r"finite.*nan"),
        (float("inf"), ValueError, r"finite.*inf"),
        (-math.inf, ValueError, r"finite.*-inf"),
        (np.float64("nan"), ValueError, r"finite.*nan"),
        pytest.param(
            10**400, ValueError, r"got an int of about 401 digits, too large", id="10**400"
        ),
        pytest.param(
            -(10**4000), ValueError, r"got an int of about 4001 digits, too large", id="-10**4000"
        ),
        pytest.param(
            Fraction(10**400, 3),
            ValueError,
            r"got Fraction Fraction\(10+\.\.\., too",
            id="Fraction",
        ),
        # numpy converts it to inf without an error: say what was given, not "got inf"
        (np.longdouble("1e4000"), ValueError, r"got longdouble .*1e\+4000.*too large for a float"),
    ],
    ids=repr,
)
def test_bad_data(data: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        Value(data)  # type: ignore[arg-type]


# Operations on a Value whose data was set by hand to a non-finite number: each path
# that reports a non-finite result or derivative (the node, the local derivatives, exp's
# range check, the softmax family's shift) says so.
ON_A_BROKEN_VALUE: dict[str, Callable[[Value], object]] = {
    "a + b": lambda v: v + Value(1.0),
    "a * 2": lambda v: v * 2.0,
    "a / b": lambda v: v / Value(2.0),
    "c / a": lambda v: 2.0 / v,
    "a ** 2": lambda v: v**2,
    "a ** b": lambda v: Value(2.0) ** v,
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "sum": lambda v: autograd.sum([v, Value(1.0)]),
    "mean": lambda v: autograd.mean([Value(1.0), v]),
    "logsumexp": lambda v: autograd.logsumexp([Value(1.0), v]),
    "softmax": lambda v: autograd.softmax([v, Value(1.0)]),
    "log_softmax": lambda v: autograd.log_softmax([Value(1.0), v]),
}


# at inf these have a finite limit (2 / inf = 0, tanh(inf) = 1) and give it: only the
# error paths check operands, so that the normal path stays as fast as it was
FINITE_AT_INF = {"c / a", "tanh", "sigmoid"}


@pytest.mark.parametrize(
    ("op", "bad"),
    [(op, math.nan) for op in ON_A_BROKEN_VALUE]
    + [(op, math.inf) for op in ON_A_BROKEN_VALUE if op not in FINITE_AT_INF],
    ids=str,
)
def test_a_data_set_to_a_non_finite_number_by_hand_is_named_as_such(op: str, bad: float) -> None:
    v = Value(1.0)
    v.data = bad
    shown = "nan" if math.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=r"operand \d is " + shown + r", not a finite.*v\.data"):
        ON_A_BROKEN_VALUE[op](v)


def test_a_subclass_of_value_makes_leaves_of_its_own_class() -> None:
    class Parameter(Value):
        __slots__ = ()

    w = Parameter(np.float64(0.5), label="w")
    assert type(w) is Parameter
    assert (w.data, w.grad, w.label, w.op, w.parents, w.local_grads) == (0.5, 0.0, "w", "", (), ())
    y = w * w
    y.backward()
    assert type(y) is Value and w.grad == 1.0


@pytest.mark.parametrize("copy_of", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
def test_a_copy_of_a_leaf_is_a_new_leaf_with_the_same_fields(
    copy_of: Callable[[Value], Value],
) -> None:
    v = Value(2.5, label="w")
    v.grad = 0.75
    c = copy_of(v)
    assert c is not v
    assert (c.data, c.grad, c.label, c.op, c.parents) == (2.5, 0.75, "w", "", ())


def test_a_deep_copy_of_a_graph_keeps_the_engines_own_operations() -> None:
    from autograd.engine import OPS, operation

    x = Value(0.5)
    y = (x * 2.0).tanh() + x
    copied = copy.deepcopy(y)
    for node in autograd.topological_order(copied):
        op, _ = operation(node)
        assert OPS[op.name] is op, op.name  # the kind is still recognised by identity
    assert copied.op == "+" and copied.parents[0].op == "tanh"
    assert copied.parents[0].parents[0].op == "* 2"
    copied.backward()
    assert copied.parents[1].grad == pytest.approx(1 + 2 * (1 - math.tanh(1.0) ** 2))


def test_value_of_a_value_and_bad_label() -> None:
    with pytest.raises(TypeError, match=r"got a Value.*detach"):
        Value(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"label must be a str, got int 3"):
        Value(1.0, label=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "error", "match"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log\(0\).*positive.*log_softmax"),
        (lambda: Value(-1.0).log(), ValueError, r"log\(-1\).*softplus"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"1 / 0 \(Value / Value\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"Value\(1\) / 0"),
        (lambda: 2 / Value(0.0), ZeroDivisionError, r"2 / Value\(0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1\).*x >= 0"),
        (lambda: Value(0.0).sqrt(), ValueError, r"sqrt\(0\).*infinite derivative.*no_grad"),
        (lambda: Value(0.0) ** 0.5, ValueError, r"0 \*\* 0.5.*infinite derivative"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\).*logsumexp.*softplus"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"0 \*\* -1"),
        (lambda: Value(-2.0) ** Value(0.5), ValueError, r"positive base.*-2 \*\* 0.5"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"positive base.*-2 \*\* 2"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"0 \*\* -2 is infinite"),
        (lambda: (-2) ** Value(0.5), ValueError, r"positive base.*-2 \*\* Value\(0.5\)"),
        (lambda: 0 ** Value(-1.0), ZeroDivisionError, r"0 \*\* -1 is infinite"),
        (lambda: Value(-2.0) ** 0.5, ValueError, r"-2 \*\* 0.5 is not a real number"),
        (lambda: Value(1e200) * Value(1e200), OverflowError, r"\* of \(1e\+200, 1e\+200\)"),
        (lambda: Value(1e200) * 1e200, OverflowError, r"\* 1e\+200 of \(1e\+200\)"),
        (lambda: Value(1e308) + Value(1e308), OverflowError, r"\+ of \(1e\+308, 1e\+308\)"),
        (lambda: Value(-1e308) - 1e308, OverflowError, r"- 1e\+308 of \(-1e\+308\).*-inf"),
        (lambda: Value(1e300) / 1e-10, OverflowError, r"/ 1e-10 of \(1e\+300\)"),
        (lambda: Value(1e200) ** 2, OverflowError, r"1e\+200 \*\* 2 overflows"),
        (lambda: 2 ** Value(5000.0), OverflowError, r"2 \*\* 5000 overflows"),
        # finite results whose local derivative would be infinite
        (lambda: Value(0.0) / 5e-324, OverflowError, r"derivative of / at \(0, 4.94066e-324\)"),
        (lambda: 10 ** Value(308.0), OverflowError, r"derivative of \*\* at \(10, 308\)"),
        (
            lambda: Value(1e-320).log(),
            OverflowError,
            r"derivative of log at \(9.99989e-321\) is not finite",
        ),
        (lambda: Value(1.0) + "a", TypeError, r"constant operand of '\+'.*str 'a'"),
        (lambda: "a" * Value(1.0), TypeError, r"str 'a'"),
        (lambda: Value(1.0) * None, TypeError, r"NoneType None"),
        (lambda: Value(1.0) - float("nan"), ValueError, r"constant operand of '-'.*nan"),
        (lambda: Value(1.0) ** True, TypeError, r"bool True"),
        (lambda: Value(1.0) * 10**400, ValueError, r"constant operand of '\*'.*int"),
        (lambda: Value(1.0).leaky_relu("0.1"), TypeError, r"negative_slope.*str"),
        (lambda: Value(1.0) < "a", TypeError, r"comparison.*str 'a'"),
        (lambda: Value(1.0).backward(float("inf")), ValueError, r"backward\(grad\).*inf"),
    ],
    ids=lambda p: p if isinstance(p, str) else "",
)
def test_bad_operations_raise_and_name_the_operands(
    expr: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        expr()


def test_errors_are_raised_under_no_grad_too() -> None:
    with no_grad():
        with pytest.raises(ValueError, match="log"):
            Value(0.0).log()
        with pytest.raises(OverflowError, match="exp"):
            Value(800.0).exp()


def test_backward_reports_a_gradient_that_overflows() -> None:
    z = Value(1e300)
    out = z * 1e-300 * 2.0  # d out / d z = 2e-300
    out.backward(grad=1e300)
    assert z.grad == pytest.approx(2.0)
    with pytest.raises(OverflowError, match=r"backward: the gradient of Value.*not finite.*clip"):
        (Value(2.0) * 1e200).backward(grad=1e200)


# ------------------------------------------------------------ numbers stay finite


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e300, -1e300])
def test_squashing_functions_are_finite_at_extremes(x: float) -> None:
    for op, data, grad in [
        (Value.sigmoid, 1.0 if x > 0 else 0.0, 0.0),
        (Value.tanh, 1.0 if x > 0 else -1.0, 0.0),
        (Value.softplus, x if x > 0 else 0.0, 1.0 if x > 0 else 0.0),
    ]:
        v = Value(x)
        y = op(v)
        y.backward()
        assert y.data == data
        assert v.grad == grad


def test_softplus_is_accurate_in_both_tails() -> None:
    for x in [-40.0, -20.0, 20.0, 40.0]:
        v = Value(x)
        y = v.softplus()
        y.backward()
        assert y.data == pytest.approx(math.log1p(math.exp(x)), rel=1e-14)
        assert v.grad == pytest.approx(sigmoid(x), rel=1e-14)


def test_sigmoid_is_accurate_for_negative_inputs() -> None:
    y = Value(-40.0).sigmoid()
    assert y.data == pytest.approx(math.exp(-40.0) / (1 + math.exp(-40.0)), rel=1e-14)


everything = st.floats(allow_nan=False, allow_infinity=False)


def _finite_or_raises(make: Callable[[], Value]) -> None:
    try:
        out = make()
    except (ArithmeticError, ValueError):
        return
    assert math.isfinite(out.data)
    assert all(math.isfinite(g) for g in out.local_grads), (out.op, out.local_grads)


@settings(max_examples=1000, deadline=None)
@given(a=everything, b=everything)
def test_no_op_ever_stores_a_non_finite_number(a: float, b: float) -> None:
    va, vb = Value(a), Value(b)
    for op, *_ in BINARY.values():
        _finite_or_raises(lambda op=op: op(va, vb))  # type: ignore[misc]
    for make in [
        lambda: va + b,
        lambda: b - va,
        lambda: va * b,
        lambda: va / b,
        lambda: b / va,
        lambda: va**b,
        lambda: abs(b) ** va,
        lambda: va.leaky_relu(b),
    ]:
        _finite_or_raises(make)
    for unary, *_ in UNARY.values():
        _finite_or_raises(lambda unary=unary: unary(va))  # type: ignore[misc]


def test_no_grad_without_parentheses_and_reentrant_instance() -> None:
    @autograd.no_grad
    def square(v: Value) -> Value:
        return v * v

    x = Value(3.0)
    y = square(x)
    assert y.data == 9.0 and y.parents == ()
    assert square.__name__ == "square"
    assert autograd.is_grad_enabled()
    guard = autograd.no_grad()
    with guard:
        with guard:
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()
    assert (x * x).parents == (x, x)


def _exact_power_derivative(x: float, p: float) -> float:
    """p * x ** (p - 1) from the exact floats, in 60-digit decimal arithmetic."""
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return float(decimal.Decimal(p) * decimal.Decimal(x) ** (decimal.Decimal(p) - 1))


# (x, p): near the float maximum y = x**p is finite but p * y is not; near the smallest
# floats y underflows (to 0, or to a subnormal with few digits) while p x**(p-1) does not
POWER_EXTREMES = [
    (1.34e154, 2.0),
    (1.0e102, 3.0),
    (1.0e-200, 2.0),
    (3.0e-160, 2.0),
    (-1.0e-110, 3.0),
    (1.0e-250, 1.5),
    (2.0e-300, 1.01),
]


@pytest.mark.parametrize(("x", "p"), POWER_EXTREMES)
def test_power_derivative_at_the_ends_of_the_float_range_is_exact(x: float, p: float) -> None:
    v = Value(x)
    (v**p).backward()
    assert v.grad == pytest.approx(_exact_power_derivative(x, p), rel=2e-15, abs=0.0)
    assert v.grad != 0.0


# a positive base where y * log(x), the derivative in the exponent, is finite too
@pytest.mark.parametrize(("x", "p"), [(x, p) for x, p in POWER_EXTREMES if 0.0 < x < 1.0])
def test_power_derivative_with_a_value_exponent_at_the_ends_of_the_float_range(
    x: float, p: float
) -> None:
    v, e = Value(x), Value(p)
    (v**e).backward()
    assert v.grad == pytest.approx(_exact_power_derivative(x, p), rel=2e-15, abs=0.0)


TRUTH_CASES = [0.0, -0.0, 5e-324, -1e-300, 1.0, -2.5, 1e308, 3]


@pytest.mark.parametrize("x", TRUTH_CASES)
def test_bool_of_a_value_is_its_data_being_nonzero_as_torch(x: float) -> None:
    import torch

    assert bool(Value(x)) is bool(torch.tensor(x, dtype=torch.float64))
    taken = "taken" if Value(x) else "skipped"  # an `if v:` follows the number, not identity
    assert taken == ("taken" if x != 0 else "skipped")


@pytest.mark.parametrize("x", TRUTH_CASES)
def test_item_gives_the_number_as_torch_does(x: float) -> None:
    import torch

    v = Value(x) * 1.0
    assert v.item() == torch.tensor(x, dtype=torch.float64).item() and type(v.item()) is float


def test_equality_stays_identity_even_where_bool_follows_the_number() -> None:
    a, b = Value(0.0), Value(0.0)
    assert not a and not b  # both falsy, as their data is 0
    assert a != b and a == a and (a == 0.0) is False
    assert len({a, b}) == 2 and {a: 1, b: 2}[a] == 1  # still usable as distinct keys


def test_item_while_tracing_is_refused_as_float_is() -> None:
    with pytest.raises(TypeError, match=r"\.item\(\) while tracing"):
        autograd.compile(lambda x: x * 2 if x.item() > 0 else x, 1.0)


def test_the_walk_follows_only_the_edges_a_parents_function_gives() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    # b is reached only through c's second edge, which this rule does not follow
    assert topological_order(d, parents=lambda n: n.parents[:1]) == [a, c, d]
    assert topological_order(d) == [a, b, c, d]


def test_backward_walks_the_edges_of_the_carrying_rule_called_per_node() -> None:
    # The backward pass applies `_carrying` inline, for speed; it must give what the
    # rule gives when the walk calls it like any parents function.
    from autograd import engine

    x, w = Value(-1.0), Value(2.0)
    hidden = x * w
    y = hidden.relu() * w + (w * 3.0).relu()
    interior, leaves = engine._backward_order(y)
    called: tuple[list[Value], list[Value]] = ([], [])
    engine._walk(y, lambda n: engine._carrying(n), *called)
    assert (interior, leaves) == called
    assert hidden not in interior and x not in leaves  # behind a relu at x <= 0
