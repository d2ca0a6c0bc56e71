"""Tests of the sweeps behind grad(create_graph=True): the collector pause they share
between threads (issue 19, item 7)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator

import pytest

import autograd
from autograd import Value, primitive


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on before the test, and on again after it whatever happened."""
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _in_thread(
    work: Callable[[], None], name: str, errors: list[BaseException]
) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as err:  # handed to the test by the errors list
            errors.append(err)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def test_overlapping_sweeps_in_two_threads_leave_the_collector_on(
    collector_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thread A's sweep is held inside its pause (a derivative rule that waits) while
    thread B runs a whole sweep. B's switching the collector off, if it does so at all,
    is held until A is done: the order in which a check-then-switch per sweep left the
    collector off for good. A shared, counted pause leaves it on."""
    a_inside, b_moved, a_done = threading.Event(), threading.Event(), threading.Event()
    real_disable = gc.disable

    def disable() -> None:
        if threading.current_thread().name == "sweep B":
            b_moved.set()
            a_done.wait(10)  # B's switch-off lands after A switched the collector on
        real_disable()

    @primitive
    def held(x: float) -> tuple[float, tuple[float]]:
        return x * x, (2.0 * x,)

    @held.defderiv
    def _(x: Value) -> tuple[Value]:
        a_inside.set()
        b_moved.wait(10)  # until B switched (or finished its sweep)
        return (2.0 * x,)

    def sweep_a() -> None:
        x = Value(1.5)
        (d,) = autograd.grad(held(x) * x, [x], create_graph=True)
        assert d.data == pytest.approx(3 * 1.5**2)
        a_done.set()

    def sweep_b() -> None:
        assert a_inside.wait(10)
        x = Value(0.5)
        (d,) = autograd.grad(x.sin() * x, [x], create_graph=True)
        b_moved.set()
        assert d.parents

    monkeypatch.setattr(gc, "disable", disable)
    errors: list[BaseException] = []
    a_thread = _in_thread(sweep_a, "sweep A", errors)
    b_thread = _in_thread(sweep_b, "sweep B", errors)
    for thread in (a_thread, b_thread):
        thread.join(timeout=30)
        assert not thread.is_alive()
    monkeypatch.undo()
    assert not errors, errors
    assert gc.isenabled()


def test_a_sweep_leaves_the_collector_off_when_it_was_off(collector_on: None) -> None:
    x = Value(2.0)
    gc.disable()
    autograd.grad(x**3, [x], create_graph=True)
    assert not gc.isenabled()
    gc.enable()
    autograd.grad(x**3, [x], create_graph=True)
    assert gc.isenabled()
