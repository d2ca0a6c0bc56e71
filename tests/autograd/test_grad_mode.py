"""Tests of grad mode beyond `no_grad`: `enable_grad` and `set_grad_enabled` (context
managers and decorators, per thread, as torch's), and the functional API, which records
what it needs whatever the caller's mode (issue 19, item 5)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

import autograd
from autograd import Value, enable_grad, engine, no_grad, set_grad_enabled


def test_enable_grad_records_inside_no_grad_and_restores_the_outer_mode() -> None:
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert autograd.is_grad_enabled()
            y = x * 3
            with no_grad():
                assert not autograd.is_grad_enabled()
                z = x * 3
            assert autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
        w = x * 3
    assert autograd.is_grad_enabled()
    assert y.parents == (x,) and z.parents == () and w.parents == ()


def test_enable_grad_and_no_grad_as_decorators_with_and_without_parentheses() -> None:
    @enable_grad
    def square(v: Value) -> Value:
        """Kept."""
        return v * v

    @enable_grad()
    def failing(v: Value) -> Value:
        return v.log()

    x = Value(3.0)
    with no_grad():
        y = square(x)
        with pytest.raises(ValueError, match="log"):
            failing(Value(-1.0))
        assert not autograd.is_grad_enabled()  # restored after the error too
    assert y.parents == (x, x) and square.__doc__ == "Kept."


def test_set_grad_enabled_as_block_decorator_and_switch() -> None:
    x = Value(2.0)
    with set_grad_enabled(False):
        assert (x * 2).parents == ()
        with set_grad_enabled(True):
            assert (x * 2).parents == (x,)
        assert not autograd.is_grad_enabled()
    assert autograd.is_grad_enabled()

    @set_grad_enabled(False)
    def off() -> bool:
        return autograd.is_grad_enabled()

    assert autograd.is_grad_enabled()  # making the decorator changed nothing
    assert off() is False and autograd.is_grad_enabled()
    with no_grad():
        assert set_grad_enabled(True)(autograd.is_grad_enabled)() is True

    # Called on its own it switches this thread's mode, as torch.set_grad_enabled does;
    # switched back, the operations' fast path (no thread has grad mode off) is back too.
    set_grad_enabled(False)
    try:
        assert (x * 2).parents == ()
    finally:
        set_grad_enabled(True)
    assert (x * 2).parents == (x,)
    assert engine._off_anywhere == 0


def test_set_grad_enabled_refuses_what_is_not_a_bool() -> None:
    with pytest.raises(TypeError, match=r"True or False, got int 1"):
        set_grad_enabled(1)  # type: ignore[arg-type]
    assert autograd.is_grad_enabled()


def test_the_modes_are_per_thread() -> None:
    """One thread inside enable_grad within no_grad, another inside no_grad: each sees
    its own mode while both blocks are open."""
    both_inside = threading.Barrier(2, timeout=10)
    seen: dict[str, object] = {}

    def enabled_inside_no_grad() -> None:
        with no_grad(), enable_grad():
            both_inside.wait()
            seen["a"] = (Value(1.0) * 2).parents != ()
            both_inside.wait()

    def disabled() -> None:
        with set_grad_enabled(False):
            both_inside.wait()
            seen["b"] = (Value(1.0) * 2).parents != ()
            both_inside.wait()

    threads = [threading.Thread(target=f) for f in (enabled_inside_no_grad, disabled)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert seen == {"a": True, "b": False}
    assert autograd.is_grad_enabled() and (Value(1.0) * 2).parents != ()


def cube(x: Value) -> Value:
    return x**3


# Each call under no_grad, and what it gives at x = 3 for f = x**3 (f' = 27, f'' = 18).
FUNCTIONAL: list[tuple[str, Callable[[], object], object]] = [
    ("hessian", lambda: autograd.hessian(cube, [3.0]), [[18.0]]),
    ("jacobian", lambda: autograd.jacobian(cube, [3.0]), [27.0]),
    ("hvp", lambda: autograd.hvp(cube, [3.0], [1.0]), (27.0, [18.0])),
    ("vhp", lambda: autograd.vhp(cube, [3.0], [1.0]), (27.0, [18.0])),
    ("jvp", lambda: autograd.jvp(cube, [3.0], [1.0]), (27.0, 27.0)),
    ("vjp", lambda: autograd.vjp(cube, [3.0]), (27.0, [27.0])),
    ("value_and_grad", lambda: autograd.value_and_grad(cube, [3.0]), (27.0, [27.0])),
]


@pytest.mark.parametrize(("name", "call", "want"), FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_the_functional_api_gives_the_same_answer_inside_no_grad(
    name: str, call: Callable[[], object], want: object
) -> None:
    assert call() == want
    with no_grad():
        assert call() == want
        assert not autograd.is_grad_enabled()


def test_grad_with_create_graph_inside_no_grad_records_the_derivative_graph() -> None:
    x = Value(0.5)
    y = x.sin() * x  # built with grad mode on, differentiated with it off
    with no_grad():
        (dy,) = autograd.grad(y, [x], create_graph=True)
    (d2y,) = autograd.grad(dy, [x])
    assert dy.data == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5), rel=1e-15)
    assert d2y.data == pytest.approx(2 * math.cos(0.5) - 0.5 * math.sin(0.5), rel=1e-15)
