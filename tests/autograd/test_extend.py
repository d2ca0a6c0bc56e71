"""autograd.extend: the public way to add an operation and to read a node's (that nn
uses only public names of autograd is tests/nn/test_autograd_imports.py's)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import autograd
from autograd import Value, extend


@pytest.fixture
def cube() -> Iterator[autograd.engine.Op]:
    """The docstring's example, registered for one test and removed after it."""

    def method(x: Value) -> Value:
        """Forward: y = x**3. Local derivative: 3 x**2."""
        return extend.record(x.data**3, (op,), (x,), (3.0 * x.data**2,))

    op = extend.elementwise(
        "cube", {"cube": method}, (lambda m, y, x: 3.0 * x * x,), lambda m, x: x * x * x
    )
    yield op
    del extend.OPS["cube"]
    delattr(Value, "cube")


def test_an_operation_added_through_extend_works_in_every_mode(cube: autograd.engine.Op) -> None:
    x = Value(1.5)
    y = x.cube()  # type: ignore[attr-defined]
    assert extend.operation(y)[0] is cube and y.op == "cube"
    y.backward()
    assert (y.data, x.grad) == (1.5**3, 3 * 1.5**2)
    assert autograd.hessian(lambda a: a.cube(), [1.5]) == [[pytest.approx(9.0)]]
    assert autograd.jvp(lambda a: a.cube(), [2.0], [1.0]) == (8.0, pytest.approx(12.0))
    f = autograd.compile(lambda a: a.cube(), 1.0)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, -3.0])), [1.0, 8.0, -27.0])
    assert "cube" in [step.kind for step in f._program.steps]  # its rule, not a replay
    assert autograd.gradcheck(lambda a: a.cube(), [Value(0.7)], order=2)


def test_a_second_entry_of_the_same_name_is_refused(cube: autograd.engine.Op) -> None:
    with pytest.raises(ValueError, match="'cube' is already registered"):
        extend.elementwise("cube", {}, (), lambda m, x: x, method=lambda x: x)
