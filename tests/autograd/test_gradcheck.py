"""Tests of the checker itself: it passes right gradients, catches wrong ones with a
readable table, leaves no trace on the Values it touches, and rejects bad arguments."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import (
    GradcheckError,
    Value,
    gradcheck,
    is_grad_enabled,
    numerical_grad,
    primitive,
    topological_order,
)


def test_numerical_grad_matches_closed_forms() -> None:
    x, y = Value(0.7), Value(-1.3)
    grads = numerical_grad(lambda a, b: a.sin() * b + b**3, [x, y])
    assert grads[0] == pytest.approx(math.cos(0.7) * -1.3, rel=1e-8)
    assert grads[1] == pytest.approx(math.sin(0.7) + 3 * 1.3**2, rel=1e-8)
    assert numerical_grad(lambda a: a.exp(), Value(1.0), eps=1e-4) == pytest.approx(
        [math.e], rel=1e-7
    )


def test_numerical_grad_runs_f_on_fresh_leaves_and_leaves_no_trace() -> None:
    x = Value(2.0, label="x")
    seen: list[Value] = []

    def f(a: Value) -> Value:
        seen.append(a)
        return a * a

    numerical_grad(f, [x])
    assert [a.data for a in seen] == [2.0, 2.0 + 1e-6, 2.0 - 1e-6]  # the point, then both sides
    assert all(a is not x and a.label == "x" and a.parents == () for a in seen)
    assert (x.data, x.grad) == (2.0, 0.0)
    assert is_grad_enabled()


def test_gradcheck_returns_true_for_right_gradients() -> None:
    a, b = Value(1.5, label="a"), Value(-0.4, label="b")
    assert gradcheck(lambda x, y: (x * y).tanh() + x / (y * y + 1), [a, b]) is True
    assert gradcheck(lambda x, y: x ** y.sigmoid(), [a, b], grad=-3.0) is True
    assert gradcheck(lambda x: x, [a]) is True  # f may return its input


@settings(max_examples=30, deadline=None)
@given(
    x=st.floats(min_value=-3, max_value=3),
    y=st.floats(min_value=-3, max_value=3),
    g=st.floats(min_value=-5, max_value=5),
)
def test_gradcheck_passes_a_right_gradient_with_any_upstream_gradient(
    x: float, y: float, g: float
) -> None:
    assert gradcheck(lambda a, b: (a * b).sin() + a.exp() * b, [Value(x), Value(y)], grad=g)


def test_an_input_not_used_has_zero_gradient_and_passes() -> None:
    assert gradcheck(lambda a, b: a * 2, [Value(1.0), Value(5.0)]) is True


def test_detached_input_fails_with_a_table_of_every_input() -> None:
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: x * y.detach(), [a, b])
    err = info.value
    assert isinstance(err, AssertionError)  # pytest shows it as a failed check

    lines = str(err).splitlines()
    assert lines[0].startswith("gradcheck failed for 1 of 2 inputs")
    assert "eps=1e-06" in lines[0] and "atol=1e-05" in lines[0] and "rtol=0.001" in lines[0]
    header = lines[1].split()
    assert header == ["input", "label", "analytic", "numeric", "abs", "err", "rel", "err"]
    assert len(lines) == 5  # header line, column names, one row per input, the diagnosis
    # every node is right about itself, and the report says so rather than naming one
    assert lines[4].startswith("No node's stored local derivative disagrees")
    assert "The largest per-node discrepancies: the * node of (2, 3)" in lines[4]
    assert "a detach(), a .data or a plain float" in lines[4]
    assert err.node is None and err.kind == "mismatch"
    assert err.output is not None and err.output.data == 6.0

    row_a, row_b = lines[2].split(), lines[3].split()
    assert row_a[:3] == ["0", "a", "3"]  # d(ab)/da = b, right
    assert float(row_a[3]) == pytest.approx(3.0, rel=1e-8)
    assert "FAIL" not in lines[2]
    assert row_b[:4] == ["FAIL", "1", "b", "0"]  # analytic 0: the gradient was cut
    assert float(row_b[4]) == pytest.approx(2.0, rel=1e-8)  # numeric: a
    assert float(row_b[5]) == pytest.approx(2.0, rel=1e-6)  # abs err
    assert float(row_b[6]) == pytest.approx(1.0, rel=1e-6)  # rel err

    assert [row[0] for row in err.rows] == [0, 1]
    assert [row[1] for row in err.rows] == ["a", "b"]
    assert [row[-1] for row in err.rows] == [True, False]
    _, _, analytic, numeric, abs_err, rel_err, ok = err.rows[1]
    assert (analytic, ok) == (0.0, False)
    assert numeric == pytest.approx(2.0, rel=1e-8)
    assert abs_err == pytest.approx(2.0, rel=1e-8)
    assert rel_err == pytest.approx(1.0, rel=1e-8)

    # the failed check left no trace either
    assert (a.data, b.data, a.grad, b.grad) == (2.0, 3.0, 0.0, 0.0)


def test_hidden_gradient_fails_and_unlabelled_inputs_show_a_dash() -> None:
    x = Value(1.5)
    with pytest.raises(GradcheckError, match="gradcheck failed for 1 of 1 inputs") as info:
        gradcheck(lambda v: v * v.data, [x])  # v.data is treated as a constant
    row = str(info.value).splitlines()[2].split()
    assert row[:3] == ["FAIL", "0", "-"]
    assert float(row[3]) == pytest.approx(1.5)  # analytic: x
    assert float(row[4]) == pytest.approx(3.0, rel=1e-8)  # numeric: 2x


def test_wrong_gradient_is_caught_with_a_non_uniform_upstream_gradient() -> None:
    x = Value(0.5, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: v.exp() * v.detach(), [x], grad=-2.0)
    _, _, analytic, numeric, _, _, ok = info.value.rows[0]
    assert not ok
    assert analytic == pytest.approx(-2.0 * math.exp(0.5) * 0.5, rel=1e-12)
    assert numeric == pytest.approx(-2.0 * math.exp(0.5) * 1.5, rel=1e-7)


def test_tolerances() -> None:
    # the analytic gradient is off by 1e-3 (a detached term): 2x against 2x + 1e-3
    def f(v: Value) -> Value:
        return v * v + (v * 1e-3).detach()

    x = Value(1.0)
    assert gradcheck(f, [x]) is True  # 1e-3 <= 1e-5 + 1e-3 * 2.001
    with pytest.raises(GradcheckError):
        gradcheck(f, [x], rtol=1e-4)
    assert gradcheck(f, [x], rtol=0.0, atol=2e-3) is True
    with pytest.raises(GradcheckError):
        gradcheck(f, [x], rtol=0.0, atol=5e-4)


def test_gradcheck_restores_every_grad_it_touches() -> None:
    x, y = Value(1.2, label="x"), Value(-0.7, label="y")
    h = x * y  # an interior node used as gradcheck's input
    x.grad, y.grad, h.grad = 5.0, -6.0, 7.0
    assert gradcheck(lambda v: v * v + v.sin(), [h]) is True
    # backward from f(h) also reaches x and y through h: all three are restored
    assert (x.grad, y.grad, h.grad) == (5.0, -6.0, 7.0)
    assert (x.data, y.data) == (1.2, -0.7)
    assert h.data == 1.2 * -0.7


def test_gradcheck_restores_grads_after_a_failure() -> None:
    a = Value(2.0)
    a.grad = 0.25
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: v * v.detach(), [a])
    assert (a.data, a.grad) == (2.0, 0.25)


def test_numerical_grad_restores_data_when_f_raises() -> None:
    x = Value(1e-7, label="x")
    with pytest.raises(ValueError, match=r"input 0 \(x\) moved to 1e-07 \+- 1e-06.*log\(") as info:
        numerical_grad(lambda v: v.log(), [x])
    assert isinstance(info.value.__cause__, ValueError)
    assert x.data == 1e-7
    assert is_grad_enabled()

    y, z = Value(3.0), Value(4.0)

    def boom(a: Value, b: Value) -> Value:
        if b.data != 4.0:
            raise RuntimeError("boom")
        return a * b

    with pytest.raises(RuntimeError, match="boom"):
        numerical_grad(boom, [y, z])
    assert (y.data, z.data) == (3.0, 4.0)
    assert is_grad_enabled()

    w = Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"input 0 moved to 0 \+- 0.5"):
        numerical_grad(lambda v: 1 / (v + 0.5), [w], eps=0.5)
    assert w.data == 0.0


@pytest.mark.parametrize("check", [gradcheck, numerical_grad])
def test_bad_arguments(check: Callable[..., object]) -> None:
    name = check.__name__
    f = check
    with pytest.raises(TypeError, match=rf"{name}: inputs\[1\] is float 2.0"):
        f(lambda a, b: a * b, [Value(1.0), 2.0])
    with pytest.raises(TypeError, match=rf"{name}: inputs\[0\] is str"):
        f(lambda a: a, "a")
    with pytest.raises(ValueError, match=rf"{name}: no inputs"):
        f(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match=rf"{name}: f must return a Value, it returned float"):
        f(lambda a: a.data * 2, [Value(1.0)])
    for eps in [0.0, -1e-6]:
        with pytest.raises(ValueError, match=r"eps must be positive, got"):
            f(lambda a: a, [Value(1.0)], eps=eps)
    with pytest.raises(ValueError, match=r"eps.*nan"):
        f(lambda a: a, [Value(1.0)], eps=math.nan)


def test_gradcheck_rejects_a_bad_upstream_gradient() -> None:
    with pytest.raises(ValueError, match=r"gradcheck\(grad\).*inf"):
        gradcheck(lambda a: a, [Value(1.0)], grad=math.inf)


# ------------------------------------------------------------------------------ kinks


@pytest.mark.parametrize(
    ("f", "at", "op"),
    [
        (lambda x: x.relu() * 3, 0.0, "relu"),
        (lambda x: (x * 2).relu(), 2e-7, "relu"),  # the step 1e-6 reaches the corner
        (lambda x: x.abs(), 0.0, "abs"),  # analytic and numeric both 0, yet no derivative
        (lambda x: (x - 1).abs() + x, 1.0 - 5e-7, "abs"),
        (lambda x: x.leaky_relu(0.1).exp(), -3e-7, "leaky_relu"),
        (lambda x: autograd.max([x, x * 0 + 1.0, x.sin()]), 1.0, "max"),  # a tie with 1
        (lambda x: autograd.min([2 - x, x]), 1.0, "min"),
    ],
    ids=[
        "relu_at_0",
        "relu_within_eps",
        "abs_at_0",
        "abs_shifted",
        "leaky_relu",
        "max_tie",
        "min_tie",
    ],
)
def test_a_kink_within_reach_is_not_differentiable_rather_than_a_mismatch(
    f: Callable[[Value], Value], at: float, op: str
) -> None:
    x = Value(at, label="x")
    with pytest.raises(GradcheckError, match="not differentiable at this point") as info:
        gradcheck(f, [x])
    err = info.value
    assert err.kind == "kink"
    assert err.rows == []  # no table of slopes: they cannot be compared
    assert err.node is not None and err.node.op == op
    assert f"the {op} node of (" in str(err)
    assert "input 0 (x) moved to" in str(err)
    # the node named is in f's graph at the point, on the input's path: f ran on a
    # fresh leaf with x's number and label (gradcheck never writes the caller's Values)
    assert any(v.label == "x" and v.data == at for v in topological_order(err.node))
    assert (x.data, x.grad) == (at, 0.0)
    assert gradcheck(f, [Value(at + 1e-3)])  # farther than eps from the corner: checked
    assert gradcheck(f, [x], raise_exception=False) is False


def test_a_kink_off_the_checked_path_or_far_away_is_no_kink() -> None:
    # relu at 0 of a constant: no input moves it
    assert gradcheck(lambda x: x * Value(0.0).relu() + x, [Value(0.5)])
    # max of Values that tie but move together: max(x, x) is x, smooth
    assert gradcheck(lambda x: autograd.max([x, x]), [Value(0.5)])
    assert gradcheck(lambda x: (x * x).relu(), [Value(1e-3)])


def test_kink_names_the_first_node_whose_side_changes() -> None:
    def f(x: Value, y: Value) -> Value:
        a = (x - 1.0).relu()  # x = 2: far from its corner
        b = (y * 3).abs()  # y = 0: at the corner
        return a * b + y

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [Value(2.0, label="x"), Value(0.0, label="y")])
    assert info.value.node is not None and info.value.node.op == "abs"
    assert "input 1 (y) moved to 0 +- 1e-06" in str(info.value)


# -------------------------------------------------------------------------- fast mode


def _sum_of_sines(*v: Value) -> Value:
    return autograd.sum([a.sin() * a + a * a for a in v])


def test_fast_mode_passes_right_gradients_with_two_evaluations_per_direction() -> None:
    xs = [Value(0.1 * i - 2.0) for i in range(40)]
    calls = []

    def f(*v: Value) -> Value:
        calls.append(1)
        return _sum_of_sines(*v)

    assert gradcheck(f, xs, fast_mode=True, directions=4, grad=-1.5) is True
    assert len(calls) == 1 + 2 * 4  # one forward for the backward pass, two per direction
    calls.clear()
    assert gradcheck(f, xs) is True
    assert len(calls) == 1 + 2 * 40
    assert all(x.grad == 0.0 for x in xs)


def _with_gradient_error(error: list[float]) -> Callable[..., Value]:
    """sum(x_i^2) with the analytic gradient off by error[i]: the term e_i (x_i -
    detach(x_i)) is 0 in value and adds e_i to the gradient."""

    def f(*v: Value) -> Value:
        base = autograd.sum([a * a for a in v])
        return base + autograd.sum([e * (a - a.detach()) for a, e in zip(v, error)])

    return f


def test_fast_mode_reports_the_directions_and_catches_a_wrong_gradient() -> None:
    xs = [Value(float(i)) for i in range(6)]
    with pytest.raises(GradcheckError) as info:
        gradcheck(_with_gradient_error([0, 0, 0.5, 0, 0, 0]), xs, fast_mode=True)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("gradcheck failed for 3 of 3 random directions (fast mode, seed 0)")
    assert lines[1].split()[:2] == ["direction", "label"]
    # the analytic directional derivative is the numeric one plus 0.5 u_2
    rng = random.Random(0)
    us = [[rng.gauss(0.0, 1.0) for _ in xs] for _ in range(3)]
    for (_, _, a, n, *_), u in zip(info.value.rows, us):
        assert n == pytest.approx(sum(2 * i * c for i, c in enumerate(u)), rel=1e-7)
        assert a - n == pytest.approx(0.5 * u[2], rel=1e-6)


def _misses(error: list[float], directions: int, trials: int, **tolerances: float) -> int:
    xs = [Value(0.3 * i) for i in range(len(error))]
    f = _with_gradient_error(error)
    return sum(
        gradcheck(
            f,
            xs,
            fast_mode=True,
            directions=directions,
            seed=s,
            raise_exception=False,
            **tolerances,
        )
        for s in range(trials)
    )


@pytest.mark.parametrize("directions", [1, 2])
def test_fast_mode_false_negative_rate_is_the_one_derived_in_the_docstring(directions: int) -> None:
    # rtol = 0: a wrong gradient d passes one direction with probability
    # erf(atol / (|d| sqrt 2)); here |d| = 2 atol: erf(0.5 / sqrt 2) = 0.383 per direction
    atol = 1e-3
    error = [2 * atol * c for c in (0.6, 0.0, -0.8, 0.0)]  # |d| = 2 atol
    trials = 400
    p = math.erf(0.5 / math.sqrt(2.0)) ** directions
    missed = _misses(error, directions, trials, atol=atol, rtol=0.0)
    sigma = math.sqrt(trials * p * (1 - p))
    assert abs(missed - trials * p) < 4 * sigma, (missed, trials * p)


def test_fast_mode_false_negative_rate_stays_below_the_bound_with_rtol() -> None:
    # sum(x^2) at 0.3 i has |g| = |2 x|; with rtol the docstring's bound is
    # p = 0.8 (atol + 0.8 rtol |g|) / (|d| - rtol |g|)
    atol, rtol = 1e-3, 1e-3
    n = 4
    g = math.sqrt(sum((2 * 0.3 * i) ** 2 for i in range(n)))
    error = [10 * atol, 0.0, 0.0, 0.0]  # |d| = 10 atol, four times rtol |g|
    bound = 0.8 * (atol + 0.8 * rtol * g) / (10 * atol - rtol * g)
    assert 0.25 < bound < 0.3  # a bound that says something
    trials = 400
    missed = _misses(error, 1, trials, atol=atol, rtol=rtol)
    # misses happen, and no more often than the bound (the seeds are fixed: no flakes)
    assert 0.1 < missed / trials <= bound


def test_an_exact_fast_check_misses_nothing() -> None:
    error = [1e-4, 0.0, 0.0]
    assert _misses(error, 1, 100, atol=0.0, rtol=1e-9) == 0


def test_fast_mode_and_an_input_listed_twice() -> None:
    a = Value(1.5)
    assert gradcheck(lambda p, q: p * q.sin(), [a, a], fast_mode=True)


@pytest.mark.parametrize(
    ("option", "value", "error", "message"),
    [
        ("directions", 0, ValueError, "directions must be a positive int, got 0"),
        ("directions", 1.5, ValueError, "directions must be a positive int, got 1.5"),
        ("directions", True, ValueError, "directions must be a positive int, got True"),
        ("fast_mode", "yes", TypeError, "fast_mode must be True or False, got 'yes'"),
        ("atol", -1e-5, ValueError, "atol must be >= 0, got -1e-05"),
        ("rtol", math.nan, ValueError, r"gradcheck\(rtol\).*nan"),
    ],
)
def test_bad_options(option: str, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        gradcheck(lambda a: a, [Value(1.0)], **{option: value})  # type: ignore[arg-type]


# ------------------------------------------------------------------- the faulty node


@primitive
def half_exp(x: float) -> tuple[float, tuple[float]]:
    """exp(x), storing half its local derivative (planted)."""
    y = math.exp(x)
    return y, (0.5 * y,)


def test_a_mismatch_names_the_first_node_whose_own_derivative_is_wrong() -> None:
    x, y = Value(0.3, label="x"), Value(0.4, label="y")

    def f(a: Value, b: Value) -> Value:
        inner = (a * b).sin()  # right, and before the wrong node
        return (half_exp(inner) + b).tanh()

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [x, y])
    err = info.value
    assert err.node is not None and err.node.op == "half_exp"
    assert err.node.data == pytest.approx(math.exp(math.sin(0.12)), rel=1e-15)
    assert err.output is not None and err.node in topological_order(err.output)
    stored, numeric = 0.5 * math.exp(math.sin(0.12)), math.exp(math.sin(0.12))
    message = str(err).splitlines()[-1]
    assert message.startswith("The first node whose local derivative is wrong (error.node): ")
    assert f"the half_exp node of ({math.sin(0.12):.6g})" in message
    assert f"stored as {stored:.8g}, a finite difference of the node alone gives " in message
    assert float(message.rsplit(" ", 1)[1]) == pytest.approx(numeric, rel=1e-7)  # 8 digits


def test_the_faulty_node_is_the_first_wrong_one_in_topological_order() -> None:
    def f(a: Value) -> Value:
        first = half_exp(a * 0.5)
        first.label = "first"
        second = half_exp(first.sin())
        return second * a

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [Value(0.2)])
    assert info.value.node is not None and info.value.node.label == "first"
    assert "the half_exp node 'first' of (0.1)" in str(info.value)


def test_a_node_near_its_kink_or_domain_edge_is_skipped_not_blamed() -> None:
    # relu's operand is 1e-7 from its corner (not reached by the input's step, which the
    # 1e-3 factor shrinks) and log's operand is within eps of 0: neither is blamed
    def f(a: Value) -> Value:
        corner = (a * 1e-3 + (1e-7 - 0.5e-3)).relu()
        edge = (a * 1e-3 + (5e-7 - 0.5e-3)).log()
        return half_exp(a) + corner + edge * 1e-3

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [Value(0.5)])
    assert info.value.node is not None and info.value.node.op == "half_exp"


# ------------------------------------------------------------ primitives and order 2


@primitive
def cube(x: float) -> tuple[float, tuple[float]]:
    return x**3, (3 * x**2,)


@cube.defderiv
def _cube_rule(x: Value) -> tuple[Value]:
    return (3 * x * x,)


@primitive
def cube_rule_from_data(x: float) -> tuple[float, tuple[float]]:
    return x**3, (3 * x**2,)


@cube_rule_from_data.defderiv
def _rule_from_data(x: Value) -> tuple[Value]:
    return (3 * x * x.data,)  # right in value, but x.data is a constant to the engine


@primitive
def cube_wrong_rule(x: float) -> tuple[float, tuple[float]]:
    return x**3, (3 * x**2,)


@cube_wrong_rule.defderiv
def _wrong_rule(x: Value) -> tuple[Value]:
    return (2 * x * x,)  # wrong in value: 2 x^2 where the floats say 3 x^2


@primitive
def square_half_derivative(x: float) -> tuple[float, tuple[float]]:
    return x * x, (x,)  # planted: the derivative of x^2 is 2x


def test_a_primitive_with_a_wrong_derivative_is_named() -> None:
    x = Value(0.5, label="x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: square_half_derivative(v.sin()) * v, [x])
    err = info.value
    assert err.node is not None and err.node.op == "square_half_derivative"
    last = str(err).splitlines()[-1]
    s = math.sin(0.5)
    assert f"the square_half_derivative node of ({s:.6g}): d/d(operand 0) is stored as " in last
    assert f"stored as {s:.8g}, a finite difference of the node alone gives " in last
    assert float(last.rsplit(" ", 1)[1]) == pytest.approx(2 * s, rel=1e-7)
    assert gradcheck(lambda v: cube(v.sin()) * v, [x])  # the right one passes


def test_order_2_passes_right_second_derivatives_of_builtins_and_primitives() -> None:
    xs = [Value(0.3, label="x"), Value(-0.7, label="y")]
    f = lambda a, b: (a * b).sin() + a.exp() * b * b + cube(a - b)  # noqa: E731
    assert gradcheck(f, xs, order=2) is True
    assert gradcheck(f, xs, order=2, grad=-2.5) is True
    assert gradcheck(f, xs, order=2, fast_mode=True, directions=2) is True
    assert [(x.data, x.grad) for x in xs] == [(0.3, 0.0), (-0.7, 0.0)]


def test_order_2_catches_a_rule_built_from_data_and_names_the_primitive() -> None:
    x = Value(0.7, label="x")
    assert gradcheck(cube_rule_from_data, [x]) is True  # the first derivative is right
    with pytest.raises(GradcheckError) as info:
        gradcheck(cube_rule_from_data, [x], order=2)
    err = info.value
    lines = str(err).splitlines()
    assert lines[0].startswith("gradcheck failed for 1 of 1 second derivatives (order 2")
    assert lines[1].split()[:2] == ["entry", "label"]
    _, label, analytic, numeric, *_, ok = err.rows[0]
    assert (label, ok) == ("x,x", False)
    assert analytic == pytest.approx(3 * 0.7, rel=1e-12)  # d/dx of 3 x * 0.7
    assert numeric == pytest.approx(6 * 0.7, rel=1e-6)  # d2 x^3 / dx2 = 6 x
    assert err.node is not None and err.node.op == "cube_rule_from_data"
    assert (
        "the derivative of its rule for d/d(operand 0) with respect to operand 0 is 2.1"
        in lines[-1]
    )
    assert "not from .data or plain floats" in lines[-1]


def test_order_2_catches_a_rule_that_disagrees_with_the_stored_derivative() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: cube_wrong_rule(v) + v.sin(), [Value(0.7)], order=2)
    err = info.value
    assert err.node is not None and err.node.op == "cube_wrong_rule"
    assert (
        f"its rule gives d/d(operand 0) = {2 * 0.49:.8g}, the stored local derivative is "
        f"{3 * 0.49:.8g}" in str(err)
    )
    _, _, analytic, numeric, *_ = err.rows[0]
    assert analytic == pytest.approx(4 * 0.7 - math.sin(0.7), rel=1e-12)
    assert numeric == pytest.approx(6 * 0.7 - math.sin(0.7), rel=1e-6)


def test_order_2_in_fast_mode_catches_a_wrong_rule() -> None:
    xs = [Value(0.7), Value(0.2)]
    with pytest.raises(GradcheckError, match=r"second derivatives \(order 2, along the random"):
        gradcheck(lambda a, b: cube_rule_from_data(a) * b, xs, order=2, fast_mode=True)
    assert gradcheck(lambda a, b: cube(a) * b, xs, order=2, fast_mode=True)


@primitive
def softsign(x: float) -> tuple[float, tuple[float]]:
    return x / (1 + abs(x)), (1 / (1 + abs(x)) ** 2,)  # right, and no Value-op rule


def test_order_2_without_a_rule_says_which_primitive_needs_one() -> None:
    assert gradcheck(lambda v: softsign(v) * v, [Value(0.5)])
    with pytest.raises(NotImplementedError, match="primitive softsign has no derivative rule"):
        gradcheck(lambda v: softsign(v) * v, [Value(0.5)], order=2)


def test_order_2_reports_a_kink_as_not_differentiable() -> None:
    with pytest.raises(GradcheckError, match="not differentiable at this point") as info:
        gradcheck(lambda v: v.relu() * v, [Value(0.0)], order=2)
    assert info.value.kind == "kink"


def test_a_third_derivative_as_the_order_3_message_says() -> None:
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3") as info:
        gradcheck(cube, [Value(0.5)], order=3)
    assert "create_graph=True" in str(info.value)
    f = lambda v: v.sin() * cube(v)  # noqa: E731
    first = lambda *v: autograd.grad(f(*v), list(v), create_graph=True)[0]  # noqa: E731
    assert gradcheck(first, [Value(0.5)], order=2)  # checks f'' and f'''
    with pytest.raises(GradcheckError):  # and catches a rule that cannot be differentiated
        gradcheck(
            lambda v: autograd.grad(cube_rule_from_data(v), [v], create_graph=True)[0],
            [Value(0.5)],
            order=2,
        )


@pytest.mark.parametrize(
    ("order", "error"),
    [(0, ValueError), (-1, ValueError), (2.0, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_bad_orders(order: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="gradcheck: order must be"):
        gradcheck(lambda a: a, [Value(1.0)], order=order)  # type: ignore[arg-type]


def test_raise_exception_false_returns_false_for_every_kind_of_failure() -> None:
    x = Value(0.7)
    assert gradcheck(square_half_derivative, [x], raise_exception=False) is False
    assert gradcheck(cube_rule_from_data, [x], order=2, raise_exception=False) is False
    assert gradcheck(lambda v: v.abs(), [Value(0.0)], raise_exception=False) is False


def test_draw_dot_highlights_the_node_a_gradcheck_error_names() -> None:
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: half_exp(v.sin()) * v, [Value(0.5, label="x")])
    err = info.value
    assert err.output is not None and err.node is not None
    source = autograd.draw_dot(err.output, highlight=err.node).source
    marked = [line.strip() for line in source.splitlines() if "#d62728" in line]
    assert len(marked) == 2  # the node's box and the operation that made it, nothing else
    box, op = sorted(marked, key=lambda line: not line.startswith("v"))
    assert f"data {math.exp(math.sin(0.5)):.4f}" in box
    assert op.startswith("op") and "label=half_exp" in op
    assert "#d62728" not in autograd.draw_dot(err.output).source  # only when asked
    with pytest.raises(ValueError, match=r"highlight .* is not among the Values drawn"):
        autograd.draw_dot(err.output, highlight=Value(1.0))
    with pytest.raises(TypeError, match="highlight must be a Value of the graph, got str"):
        autograd.draw_dot(err.output, highlight="x")  # type: ignore[arg-type]


# The README's tour of primitives and higher derivatives: its snippet, read from the README.
README_TOUR = next(
    block
    for block in re.findall(
        r"```python\n(.*?)```",
        (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8"),
        re.DOTALL,
    )
    if "@primitive" in block
)


def test_the_readme_tour_of_primitives_and_higher_derivatives_runs() -> None:
    names: dict[str, object] = {}
    exec(compile(README_TOUR, "README tour", "exec"), names)
    s = 1.0 / (1.0 + math.exp(-0.5))
    dy, d2y = names["dy"], names["d2y"]
    assert isinstance(dy, Value) and isinstance(d2y, Value)
    assert dy.data == pytest.approx(2 * (s + 0.5 * s * (1 - s)), rel=1e-12)
    assert d2y.data == pytest.approx(2 * s * (1 - s) * (2 + 0.5 * (1 - 2 * s)), rel=1e-12)
    assert dy.parents  # it has a graph
    last = README_TOUR.strip().splitlines()[-1].split("  #")[0]
    assert eval(last, names) == [[2.0, 0.0], [0.0, 4.0]]
    assert eval("gradcheck(lambda v: swish(v) * 2, [x], order=2)", names) is True


# ------------------------------------------- the difference's own error (issue 19, 1)


def test_a_large_third_derivative_does_not_fail_a_right_first_derivative() -> None:
    # f = 1e8 x^3 at 0: f' = 0, but the central difference is 1e8 eps^2 = 1e-4 > atol
    assert numerical_grad(lambda v: 1e8 * v**3, [Value(0.0)])[0] == pytest.approx(1e-4)
    assert gradcheck(lambda v: 1e8 * v**3, [Value(0.0)]) is True


def test_a_nested_cube_with_a_large_fourth_derivative_passes_order_2() -> None:
    # The case hypothesis found: every second derivative is exactly 0 at the point, while
    # the central difference of the gradient carries its own error term of about 2e-5.
    def f(a: Value, b: Value, c: Value) -> Value:
        return ((((c + 0.75) / 0.25) ** 3) - 27.0) ** 3

    assert gradcheck(f, [Value(0.0)] * 3, order=2) is True
    assert gradcheck(f, [Value(0.0), Value(1.0), Value(0.0)], order=2) is True


def test_a_wrong_derivative_is_still_caught_where_the_differences_need_extrapolating() -> None:
    @primitive
    def cube_off(x: float) -> tuple[float, tuple[float]]:
        return x**3, (3 * x**2 + 1e-3,)  # off by 1e-3 everywhere

    with pytest.raises(GradcheckError, match="cube_off node") as info:
        gradcheck(lambda v: 1e8 * cube_off(v), [Value(0.0)])
    assert info.value.kind == "mismatch"
    assert info.value.node is not None and info.value.node.op == "cube_off"


def test_differences_that_do_not_settle_give_an_undecided_report() -> None:
    # sin(1e6 x) / 1e6 turns a whole radian within one step eps = 1e-6: the differences at
    # eps, 2 eps, 4 eps are sin(1)/1, sin(2)/2, sin(4)/4, which approach nothing as h**2.
    def f(v: Value) -> Value:
        return (v * 1e6).sin() * 1e-6

    with pytest.raises(GradcheckError, match="cannot decide") as info:
        gradcheck(f, [Value(0.0, label="x")])
    assert info.value.kind == "undecided"
    assert str(info.value).splitlines()[2].split()[:2] == ["?", "0"]
    assert gradcheck(f, [Value(0.0)], eps=1e-10) is True  # a step that resolves it


# ------------------------------------------------ f that calls grad (issue 19, 6)


def test_numerical_grad_of_a_function_that_takes_a_gradient() -> None:
    def derivative_of_cube(x: Value) -> Value:
        return autograd.grad(x**3, [x], create_graph=True)[0]  # 3 x^2

    assert numerical_grad(derivative_of_cube, [Value(2.0)]) == pytest.approx([12.0], rel=1e-8)
    assert gradcheck(derivative_of_cube, [Value(2.0)]) is True
    with autograd.no_grad():  # the checks turn grad mode on for f, as torch's do
        assert numerical_grad(derivative_of_cube, [Value(2.0)]) == pytest.approx([12.0], rel=1e-8)
        assert gradcheck(derivative_of_cube, [Value(2.0)], order=2) is True
        assert not autograd.is_grad_enabled()


# ---------------------------------------------- shared Values, threads (issue 19, 8)


def test_gradcheck_in_two_threads_on_a_shared_value_never_writes_it() -> None:
    import sys
    import threading

    shared = Value(0.9, label="w")
    failures: list[str] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible

    def check(repeats: int) -> None:
        for _ in range(repeats):
            try:
                gradcheck(lambda v: autograd.sum([(v * k).sin() for k in range(1, 30)]), [shared])
            except GradcheckError as error:
                failures.append(str(error))
            if shared.data != 0.9:
                failures.append(f"shared moved to {shared.data!r}")

    try:
        threads = [threading.Thread(target=check, args=(400,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert (shared.data, shared.grad) == (0.9, 0.0)


# ------------------------------------------------- attribution (issue 19, 9)


def test_an_error_below_the_node_tolerance_is_reported_plainly_with_the_largest_discrepancy() -> (
    None
):
    @primitive
    def square_off(x: float) -> tuple[float, tuple[float]]:
        return x * x, (2 * x + 1e-4,)  # off by 1e-4: within rtol of 2x at the node itself

    # f = x^2 - x^2 has derivative 0, so the 1e-4 is more than atol for f as a whole
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda v: square_off(v) - v * v, [Value(1.0)])
    diagnosis = str(info.value).splitlines()[-1]
    assert diagnosis.startswith("No node's stored local derivative disagrees")
    largest = diagnosis.split("The largest per-node discrepancies: ")[1]
    assert largest.startswith("the square_off node of (1), d/d(operand 0): stored 2.0001")
    assert info.value.node is None


def test_an_f_that_reads_the_inputs_through_a_closure_is_still_differenced() -> None:
    # The pattern of a model's loss: f ignores its arguments and reads the parameters it
    # closes over. Fresh leaves would not move them, so they are moved in place and put back.
    w, b = Value(0.8, label="w"), Value(-0.3, label="b")

    def loss(*_: Value) -> Value:
        return ((w * 1.5 + b).tanh() - 0.25) ** 2

    t = math.tanh(0.8 * 1.5 - 0.3)
    slope = 2 * (t - 0.25) * (1 - t * t)
    assert numerical_grad(loss, [w, b]) == pytest.approx([slope * 1.5, slope], rel=1e-7)
    assert gradcheck(loss, [w, b], order=2) is True
    with pytest.raises(GradcheckError, match="failed for 1 of 2 inputs"):
        gradcheck(lambda *_: loss() + w * b.detach(), [w, b])
    assert (w.data, b.data, w.grad, b.grad) == (0.8, -0.3, 0.0, 0.0)
