"""Tests of autograd.primitive: a function on floats returning its value and local
derivatives, recorded as one node; its optional derivative rule as Value operations;
every bad return and argument."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import autograd
from autograd import Value, no_grad, primitive
from autograd.engine import OPS, operation


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def closed_swish(x: float) -> float:
    return x * _sigmoid(x)


def closed_swish_prime(x: float) -> float:
    s = _sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def closed_swish_second(x: float) -> float:
    s = _sigmoid(x)
    return s * (1 - s) * (2 + x * (1 - 2 * s))


def make_swish() -> autograd.primitive.Primitive:  # type: ignore[name-defined]
    @primitive
    def swish(x: float) -> tuple[float, tuple[float]]:
        s = 1.0 / (1.0 + math.exp(-x))
        return x * s, (s * (1.0 + x * (1.0 - s)),)

    return swish


@primitive
def hypot(a: float, b: float) -> tuple[float, tuple[float, float]]:
    r = math.hypot(a, b)
    return r, (a / r, b / r)


# ------------------------------------------------------------ one node, as any op


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.5, 2.5])
def test_a_primitive_is_one_node_named_after_the_function(x: float) -> None:
    swish = make_swish()
    v = Value(x)
    y = swish(v) * 2
    node = y.parents[0]
    assert node.op == "swish" and node.parents == (v,)
    assert operation(node)[0] is swish.op and swish.op.name == "swish"
    assert node.data == pytest.approx(closed_swish(x), rel=1e-15, abs=1e-300)
    y.backward()
    assert v.grad == pytest.approx(2 * closed_swish_prime(x), rel=1e-15)


@pytest.mark.parametrize("xs", [[0.7, -1.3], [-2.0, 0.4]])
def test_a_primitive_inside_a_larger_graph_matches_finite_differences(xs: list[float]) -> None:
    swish = make_swish()

    def f(a: Value, b: Value) -> Value:
        return swish(a * b) + swish(a) * hypot(a, b) - swish(swish(b))

    vs = [Value(x) for x in xs]
    f(*vs).backward()
    h = 1e-6
    for i, v in enumerate(vs):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        numeric = (f(*map(Value, up)).data - f(*map(Value, down)).data) / (2 * h)
        assert v.grad == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_numbers_are_constants_and_not_parents() -> None:
    b = Value(4.0)
    z = hypot(3.0, b)
    assert z.data == 5.0 and z.parents == (b,) and z.local_grads == (0.8,)
    assert operation(z)[1] == ((3.0, None),)
    z.backward()
    assert b.grad == 0.8
    all_constants = hypot(3, 4)
    assert all_constants.data == 5.0 and all_constants.parents == ()


def test_the_same_value_twice_is_two_parent_slots() -> None:
    x = Value(3.0)
    z = hypot(x, x)
    assert z.parents == (x, x)
    z.backward()
    assert x.grad == pytest.approx(2 * 3.0 / math.hypot(3.0, 3.0), rel=1e-15)


def test_under_no_grad_a_primitive_records_nothing() -> None:
    with no_grad():
        z = hypot(Value(3.0), Value(4.0))
    assert z.data == 5.0 and z.parents == () and z.op == ""


def test_a_primitive_op_reevaluates_from_floats_and_is_not_a_built_in() -> None:
    z = hypot(Value(3.0), 4.0)
    op, constants = operation(z)
    assert op.forward([0.0], constants) == 4.0  # hypot(0, 4): the constant stays 4
    again = op.apply((Value(12.0),), constants)
    assert again.data == math.hypot(12.0, 4.0) and again.op == "hypot"
    assert OPS.get(op.name) is not op


# ------------------------------------------------------------ bad returns and arguments


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (lambda x: (x, (1.0, 2.0)), TypeError, r"returned 2 local derivative\(s\) for 1 arg"),
        (lambda x: (x, ()), TypeError, r"returned 0 local derivative\(s\) for 1 argument"),
        (lambda x: (x, ("1",)), TypeError, r"derivative 0 must be a real number, got str '1'"),
        (lambda x: (x, 1.0), TypeError, r"local derivatives float 1.0; return them as a tuple"),
        (lambda x: x, TypeError, r"returned float 1.5; a primitive returns a pair"),
        (lambda x: ("a", (1.0,)), TypeError, r"its value must be a real number, got str"),
        (lambda x: (math.nan, (1.0,)), ValueError, r"primitive bad\(1.5\): its value is nan"),
        (lambda x: (x, (math.inf,)), ValueError, r"bad\(1.5\): its derivative 0 is inf"),
        (lambda x: (x, (True,)), TypeError, r"derivative 0 must be a real number, got bool"),
    ],
)
def test_a_bad_return_is_a_clear_error_naming_the_primitive(
    body: Callable[[float], object], error: type[Exception], message: str
) -> None:
    def bad(x: float) -> object:
        return body(x)

    with pytest.raises(error, match=message):
        primitive(bad)(Value(1.5))


def test_an_exception_inside_is_raised_again_with_the_primitives_name() -> None:
    @primitive
    def inverse(x: float) -> tuple[float, tuple[float]]:
        return 1.0 / x, (-1.0 / (x * x),)

    with pytest.raises(ZeroDivisionError, match=r"primitive inverse\(0\) raised ZeroDivision"):
        inverse(Value(0.0))

    @primitive
    def domain(x: float) -> tuple[float, tuple[float]]:
        return math.log(x), (1.0 / x,)

    with pytest.raises(ValueError, match=r"primitive domain\(-1\) raised ValueError: math"):
        domain(Value(-1.0))


@pytest.mark.parametrize(
    ("argument", "error", "message"),
    [
        ("2.0", TypeError, r"primitive hypot argument 1: expected a real number.*str '2.0'"),
        (math.nan, ValueError, r"primitive hypot argument 1: expected a finite number, got nan"),
        (None, TypeError, r"primitive hypot argument 1: expected a real number.*NoneType"),
    ],
)
def test_a_bad_argument_is_a_clear_error_naming_the_primitive(
    argument: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        hypot(Value(1.0), argument)  # type: ignore[arg-type]


def test_primitive_needs_a_function() -> None:
    with pytest.raises(TypeError, match=r"primitive\(\) takes a function, got int 3"):
        primitive(3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"defderiv\(\) takes a function"):
        hypot.defderiv("rule")  # type: ignore[arg-type]


# ------------------------------------------------------------ differentiating again


def test_without_a_value_rule_a_second_derivative_names_the_primitive_and_the_fix() -> None:
    swish = make_swish()
    x = Value(0.5)
    (first,) = autograd.grad(swish(x), [x])  # the first derivative needs no rule
    assert first.data == pytest.approx(closed_swish_prime(0.5), rel=1e-15)
    with pytest.raises(NotImplementedError, match=r"primitive swish has no derivative rule .*"):
        autograd.grad(swish(x), [x], create_graph=True)
    with pytest.raises(NotImplementedError, match=r"@swish.defderiv"):
        autograd.hessian(lambda v: swish(v), [0.5])
    # A primitive off the path to the inputs is not asked for its rule.
    (dx,) = autograd.grad(x * x + swish(Value(1.0)), [x], create_graph=True)
    assert dx.data == 1.0


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 1.7])
def test_a_value_rule_gives_second_and_third_derivatives(x: float) -> None:
    swish = make_swish()

    @swish.defderiv
    def swish_rule(v: Value) -> tuple[Value]:
        s = v.sigmoid()
        return (s * (1.0 + v * (1.0 - s)),)

    assert swish.deriv is swish_rule
    assert autograd.hessian(lambda v: swish(v), [x]) == [
        [pytest.approx(closed_swish_second(x), rel=1e-13)]
    ]
    h = 1e-5
    v = Value(x)
    (d1,) = autograd.grad(swish(v), [v], create_graph=True)
    (d2,) = autograd.grad(d1, [v], create_graph=True)
    (d3,) = autograd.grad(d2, [v])
    numeric = (closed_swish_second(x + h) - closed_swish_second(x - h)) / (2 * h)
    assert d3.data == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_a_value_rule_given_at_decoration_with_constants_among_the_arguments() -> None:
    def rule(a: Value | float, b: Value | float) -> tuple[Value | float, Value | float]:
        r = (a * a + b * b) ** 0.5
        return a / r, b / r

    @primitive(deriv=rule)
    def norm2(a: float, b: float) -> tuple[float, tuple[float, float]]:
        r = math.hypot(a, b)
        return r, (a / r, b / r)

    b = Value(4.0)
    (first,) = autograd.grad(norm2(3.0, b), [b], create_graph=True)
    (second,) = autograd.grad(first, [b])
    assert first.data == pytest.approx(0.8, rel=1e-15)
    assert second.data == pytest.approx(3.0**2 / 5.0**3, rel=1e-14)  # d2 r / db2 = a^2 / r^3


@pytest.mark.parametrize(
    ("rule", "error", "message"),
    [
        (lambda x: (x, x), TypeError, r"rule of primitive wrong returned 2 item\(s\) for 1 arg"),
        (lambda x: x, TypeError, r"rule of primitive wrong returned Value"),
        (lambda x: ("1",), TypeError, r"rule of primitive wrong: derivative 0 must be a real"),
        (lambda x: (x.log(),), ValueError, r"rule of primitive wrong raised ValueError: log"),
    ],
)
def test_a_bad_value_rule_is_a_clear_error(
    rule: Callable[[Value], object], error: type[Exception], message: str
) -> None:
    @primitive(deriv=rule)  # type: ignore[arg-type]
    def wrong(x: float) -> tuple[float, tuple[float]]:
        return x * x, (2 * x,)

    v = Value(-1.0)
    with pytest.raises(error, match=message):
        autograd.grad(wrong(v), [v], create_graph=True)
