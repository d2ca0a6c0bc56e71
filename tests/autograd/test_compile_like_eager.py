"""autograd.compile at the edges: the same numbers as the eager engine, and the same
errors, for every row, naming the row; nothing written when a call raises.

The references are the eager engine run on the row (the same function on Values) and
closed forms (math.fsum); never the compiled mode itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable

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
