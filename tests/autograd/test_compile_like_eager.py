"""autograd.compile at the edges: the same numbers as the eager engine, and the same
errors, for every row, naming the row; nothing written when a call raises.

The references are the eager engine run on the row (the same function on Values) and
closed forms (math.fsum); never the compiled mode itself.
"""

from __future__ import annotations

import math
import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import Value

# ------------------------------------------------------------ exact sums and means


def _cancelling_rows() -> np.ndarray:
    """Rows whose naive (left to right or pairwise) sum loses what fsum keeps."""
    return np.array([1e16, 1.0, 3.0, -1e16, 2.5e-16, 7e15])


@pytest.mark.parametrize("reduce", [autograd.sum, autograd.mean], ids=["sum", "mean"])
def test_compiled_sums_and_means_round_exactly_as_the_engine(reduce: Callable[..., Value]) -> None:
    def fn(x: Value) -> Value:
        return reduce([x, 1.0, -x, x * 0.1, 0.25])

    X = _cancelling_rows()
    compiled = autograd.compile(fn, 0.0)(X)
    eager = [fn(Value(float(x))).data for x in X]
    assert compiled.tolist() == eager  # bit for bit
    # and both are the exactly rounded sum (the mean: that sum over n), as math.fsum gives
    n = 1.0 if reduce is autograd.sum else 5.0
    assert eager == [math.fsum([x, 1.0, -x, x * 0.1, 0.25]) / n for x in X.tolist()]


def test_compiled_sum_of_the_issues_example_is_one_as_in_the_engine() -> None:
    f = autograd.compile(lambda x: autograd.sum([x, 1.0, -x]), 0.0)
    assert f(np.array([1e16])).tolist() == [1.0]


# ------------------------------------------------------------ value_and_grad's reduction


def test_value_and_grad_mean_over_rows_whose_sum_overflows_works_as_eager() -> None:
    w = Value(1.0)
    rows = [1.6e308, 1.6e308, -1.0e308]
    f = autograd.compile(lambda x: w * x, 1.0)
    loss = f.value_and_grad(np.array(rows))
    compiled_grad, w.grad = w.grad, 0.0
    eager = autograd.mean([w * Value(x) for x in rows])
    eager.backward()
    assert loss == eager.data
    assert compiled_grad == w.grad
    # a closed form: the mean of the rows, computed without overflow
    assert loss == math.fsum([x / 4 for x in rows]) / 3 * 4


def test_value_and_grad_sum_that_overflows_raises_as_eager_and_writes_no_grad() -> None:
    w = Value(1.0)
    rows = [1.6e308, 1.6e308]
    f = autograd.compile(lambda x: w * x, 1.0)
    with pytest.raises(OverflowError, match="not a finite number"):
        f.value_and_grad(np.array(rows), reduction="sum")
    assert w.grad == 0.0
    with pytest.raises(OverflowError):  # the eager engine refuses the same sum
        autograd.sum([w * Value(x) for x in rows])


def test_a_gradient_that_overflows_only_with_what_grad_held_is_refused_untouched() -> None:
    w = Value(1.0)
    w.grad = 1.5e308
    f = autograd.compile(lambda x: w * x, 1.0)
    with pytest.raises(OverflowError, match="zero_grad"):
        f.value_and_grad(np.array([1.5e308]), reduction="sum")
    assert w.grad == 1.5e308
    _, backward = f.vjp(np.array([1.5e308]))
    with pytest.raises(OverflowError, match="zero_grad"):
        backward(np.ones(1))
    assert w.grad == 1.5e308


# ------------------------------------------------------------ division, rows named


def _eager_error(fn: Callable[..., Value], x: float) -> BaseException:
    with pytest.raises((ValueError, ArithmeticError, TypeError)) as info:
        fn(Value(x))
    return info.value


def test_a_division_by_a_subnormal_raises_as_eager_naming_the_row() -> None:
    def fn(x: Value) -> Value:
        return (x - x) / x  # 0, but d/da = 1 / x overflows: the engine refuses it

    eager = _eager_error(fn, 1e-310)
    with pytest.raises(OverflowError) as info:
        autograd.compile(fn, 1.0)(np.array([1.0, 2.0, 1e-310]))
    assert str(info.value) == f"row 2 of the batch: {eager}"


def test_a_gradient_through_a_division_by_a_subnormal_names_the_row_and_writes_nothing() -> None:
    w = Value(1.0)

    def fn(x: Value) -> Value:
        return (w * x - x) / x

    eager = _eager_error(fn, 1e-310)
    with pytest.raises(OverflowError) as info:
        autograd.compile(fn, 1.0).value_and_grad(np.array([1.0, 1e-310]))
    assert str(info.value) == f"row 1 of the batch: {eager}"
    assert w.grad == 0.0


@pytest.mark.parametrize(
    ("fn", "x"),
    [
        pytest.param(lambda x: x / 1e-5, 1e300, id="by_a_constant"),  # q / b is inf: not stored
        pytest.param(lambda x: 0.0 / x, 1e-310, id="a_constant_by"),  # 1 / b is inf: not stored
        pytest.param(lambda x: 1e-300**x, -1.0, id="a_constant_to_the"),  # y / c is inf
    ],
)
def test_a_constant_operand_is_checked_only_for_the_derivatives_the_engine_keeps(
    fn: Callable[[Value], Value], x: float
) -> None:
    w = Value(1.0)

    def scaled(v: Value) -> Value:
        return fn(v) * w

    X = np.array([0.5, x])
    eager = [scaled(Value(float(v))) for v in X]
    assert autograd.compile(scaled, 1.0)(X).tolist() == [e.data for e in eager]
    autograd.compile(scaled, 1.0).backward(X, grad_output=np.ones(2))
    assert w.grad == math.fsum(e.data for e in eager)  # d (f(x) w) / dw = f(x), summed


def test_a_gradient_that_overflows_names_the_row_where_it_did() -> None:
    w = Value(1.0)
    f = autograd.compile(lambda x: (x * w) * 1e200, 1.0)
    X = np.array([1.0, 1e-300, 1e-100, 2.0])
    with pytest.raises(OverflowError, match=r"^row 2 of the batch: backward: the gradient of"):
        f.backward(X, grad_output=np.array([1.0, 1.0, 1e200, 1.0]))
    assert w.grad == 0.0
    with pytest.raises(OverflowError):  # the eager engine overflows on that row too
        ((Value(1e-100) * w) * 1e200).backward(1e200)


def test_a_gradient_finite_in_each_row_but_not_summed_over_them_says_so() -> None:
    w = Value(1.0)
    f = autograd.compile(lambda x: x * w, 1.0)
    with pytest.raises(OverflowError, match="finite for each row of the batch but not summed"):
        f.backward(np.array([1e308, 1e308]), grad_output=np.ones(2))
    assert w.grad == 0.0


def test_a_primitive_raising_type_error_on_one_row_names_the_row() -> None:
    @autograd.primitive
    def picky(x: float) -> tuple[Any, tuple[float]]:
        return (x if x < 1.0 else None), (1.0,)

    def fn(x: Value) -> Value:
        return picky(x) * 2.0

    eager = _eager_error(fn, 2.0)
    assert isinstance(eager, TypeError)
    with pytest.raises(TypeError) as info:
        autograd.compile(fn, 0.5)(np.array([0.5, 0.25, 2.0]))
    assert str(info.value) == f"row 2 of the batch: {eager}"


# ------------------------------------------------------------ what a compiled call takes


def _engine_refusal(x: Any) -> BaseException:
    """The error the engine raises for x as a number, without its "Value(data): "."""
    with pytest.raises((TypeError, ValueError)) as info:
        Value(x)
    return info.value


@pytest.mark.parametrize(
    ("rows", "bad_row", "element"),
    [
        pytest.param(np.array([1.0, 2.0 + 1.0j]), 0, 1.0 + 0.0j, id="complex"),
        pytest.param(np.array([True, False]), 0, True, id="bool"),
        pytest.param(np.array(["1.5", "2"]), 0, "1.5", id="numeric_strings"),
        pytest.param(["1.5", "2"], 0, "1.5", id="a_list_of_strings"),
        pytest.param([1.0, 2.0, None], 2, None, id="None"),
        pytest.param([1.0, 10**400], 1, 10**400, id="an_int_past_the_float_range"),
        pytest.param(np.array([1.0, np.nan]), 1, math.nan, id="nan"),
    ],
)
def test_a_compiled_call_refuses_what_the_engine_refuses_naming_argument_and_row(
    rows: Any, bad_row: int, element: Any
) -> None:
    w = Value(1.0)
    f = autograd.compile(lambda t, x: x * w - t, 0.0, 0.0)
    expected = _engine_refusal(element)
    assert str(expected).startswith("Value(data): ")
    with pytest.raises(type(expected)) as info:
        f(np.zeros(len(rows)), rows)
    said = str(expected).removeprefix("Value(data): ")
    assert str(info.value) == f"argument 1, row {bad_row}: {said}"
    with pytest.raises(type(expected)) as grad_info:  # grad_output is checked the same way
        f.backward(np.zeros(len(rows)), np.zeros(len(rows)), grad_output=rows)
    assert str(grad_info.value) == f"grad_output, row {bad_row}: {said}"
    assert w.grad == 0.0


def test_a_compiled_call_refuses_dates_which_numpy_would_count_in_days() -> None:
    f = autograd.compile(lambda x: x * 2.0, 0.0)
    days = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]")
    with pytest.raises(TypeError, match=r"^argument 0, row 0: .*datetime64.*dates and times"):
        f(days)
    _engine_refusal(days[0])  # the engine refuses one too


def test_a_compiled_call_refuses_values_which_would_get_no_gradient() -> None:
    w, v = Value(1.0), Value(3.0)
    f = autograd.compile(lambda x: x * w, 0.0)
    with pytest.raises(TypeError, match=r"^argument 0, row 1: got a Value .*no gradient flows"):
        f([2.0, v])
    assert (w.grad, v.grad) == (0.0, 0.0)


def test_a_vector_argument_names_the_entry_in_the_row() -> None:
    f = autograd.compile(lambda x: x[0] * x[1], [0.0, 0.0])
    with pytest.raises(TypeError, match=r"^argument 0, row 1, entry 0: .*NoneType None"):
        f([[1.0, 2.0], [None, 3.0]])


# ------------------------------------------------------------ .data while tracing


def _raised_at(error: BaseException, fn: Callable[..., Any]) -> traceback.FrameSummary:
    """The frame of ``fn`` the error passed through: the user's line that caused it."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.name == fn.__name__]
    assert frames, traceback.format_tb(error.__traceback__)
    return frames[-1]


def test_reading_data_of_a_traced_value_is_an_error_naming_the_line() -> None:
    w = Value(2.0)

    def fn(x: Value) -> Value:
        return w * (w * x).data  # the example's 2.0 for every row, were it allowed

    with pytest.raises(TypeError, match=r"reading \.data of a traced Value") as info:
        autograd.compile(fn, 1.0)
    frame = _raised_at(info.value, fn)
    assert frame.lineno == fn.__code__.co_firstlineno + 1
    assert frame.line is not None and ".data" in frame.line


def test_a_branch_on_data_while_tracing_is_an_error() -> None:
    def fn(x: Value) -> Value:
        z = x * 2.0
        return z if z.data > 0 else z * 0.0

    with pytest.raises(TypeError, match=r"reading \.data .*relu"):
        autograd.compile(fn, 1.0)


def test_detach_while_tracing_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"detach\(\) of a traced Value"):
        autograd.compile(lambda x: x * x.detach(), 3.0)


def test_data_reads_refused_only_in_the_tracing_thread_and_only_while_it_traces() -> None:
    seen: dict[str, float] = {}
    kept: list[Value] = []

    def elsewhere(x: Value) -> None:  # another thread, while this one traces
        seen["eager"] = (Value(2.0) * 3.0).data
        seen["placeholder"] = x.data

    def fn(x: Value) -> Value:
        worker = threading.Thread(target=elsewhere, args=(x,))
        worker.start()
        worker.join()
        kept.append(x * 5.0)
        return x * x

    f = autograd.compile(fn, 3.0)
    assert seen == {"eager": 6.0, "placeholder": 3.0}
    assert kept[0].data == 15.0  # the trace is over: readable again
    assert f(np.array([1.0, 4.0])).tolist() == [1.0, 16.0]
    assert (Value(1.5) * 2.0).data == 3.0
