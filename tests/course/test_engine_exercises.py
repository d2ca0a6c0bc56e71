"""The checks of notebook 05 pass a correct engine and explain each typical mistake.

`make_engine` writes a small engine the way the notebook's exercises ask for it; each
mistake a learner is likely to make is one keyword away, and the test reads the
message the check gives for it: which operation or node, the expected and the received
number (the expected ones come from autograd and from central differences).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from notebooks.course.engine_exercises import (
    check_add_mul,
    check_backward,
    check_engine,
    check_tanh_exp,
    check_topological_order,
)
from notebooks.course.report import CheckFailed, NotAnswered


def make_engine(**mistake: bool) -> tuple[type, Any, Any]:
    """A learner's Value class, topological_order and backward; each keyword plants one
    mistake."""

    class Value:
        def __init__(
            self,
            data: float,
            parents: tuple[Any, ...] = (),
            local_grads: tuple[float, ...] = (),
            op: str = "",
        ) -> None:
            self.data = float(data)
            self.grad = 0.0
            self.parents = parents
            self.local_grads = local_grads
            self.op = op

        def __add__(self, other: Value) -> Value:
            if mistake.get("add_not_written"):
                raise NotImplementedError("exercise: write this part")
            return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

        def __mul__(self, other: Value) -> Value:
            locals_ = (other.data, self.data)
            if mistake.get("mul_swapped"):
                locals_ = (self.data, other.data)
            return Value(self.data * other.data, (self, other), locals_, "*")

        def tanh(self) -> Value:
            t = math.tanh(self.data)
            local = 1 - self.data**2 if mistake.get("tanh_of_input") else 1 - t**2
            return Value(t, (self,), (local,), "tanh")

        def exp(self) -> Value:
            e = math.exp(self.data)
            if mistake.get("exp_returns_float"):
                return e  # type: ignore[return-value]
            return Value(e, (self,), (e,), "exp")

    def topological_order(root: Value) -> list[Value]:
        order: list[Value] = []
        visited: set[int] = set()

        def visit(node: Value) -> None:
            if id(node) in visited and not mistake.get("no_visited_set"):
                return
            visited.add(id(node))
            if mistake.get("parents_after"):
                order.append(node)
            for parent in node.parents:
                visit(parent)
            if not mistake.get("parents_after"):
                order.append(node)

        visit(root)
        return order

    def backward(root: Value) -> None:
        if not mistake.get("no_seed"):
            root.grad = 1.0
        for node in reversed(topological_order(root)):
            for parent, local in zip(node.parents, node.local_grads):
                if mistake.get("overwrite"):
                    parent.grad = local * node.grad
                else:
                    parent.grad += local * node.grad

    Value.backward = backward  # type: ignore[attr-defined]
    return Value, topological_order, backward


def test_a_correct_engine_passes_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    Value, topological_order, backward = make_engine()
    check_add_mul(Value)
    check_tanh_exp(Value)
    check_topological_order(Value, topological_order)
    check_backward(Value, backward)
    check_engine(Value)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(line.startswith("\u2713 ") for line in lines)


def test_swapped_local_derivatives_of_mul_are_named_with_both_numbers() -> None:
    Value, _, _ = make_engine(mul_swapped=True)
    with pytest.raises(CheckFailed) as caught:
        check_add_mul(Value)
    message = str(caught.value)
    # 2 * -3: d/da is b = -3 (autograd), the planted rule gives a = 2.
    assert "`2 * -3`" in message and "d out / d a" in message
    assert "expected -3 (autograd; a central difference of your forward gives -3)" in message
    assert "received 2." in message and "b.data" in message


def test_tanh_derivative_written_with_the_input_instead_of_the_output_is_caught() -> None:
    Value, _, _ = make_engine(tanh_of_input=True)
    with pytest.raises(CheckFailed) as caught:
        check_tanh_exp(Value)
    message = str(caught.value)
    expected = 1 - math.tanh(0.8) ** 2
    assert "`tanh(0.8)`" in message and f"expected {expected:.6g}" in message
    assert f"received {1 - 0.8**2:.6g}" in message and "1 - t**2" in message


def test_an_operation_returning_a_float_is_told_to_return_a_value() -> None:
    Value, _, _ = make_engine(exp_returns_float=True)
    with pytest.raises(
        CheckFailed, match=r"`exp\(0.5\)` returned float .* should return a new Value"
    ):
        check_tanh_exp(Value)


def test_a_blank_operation_says_which_cell_to_fill_in() -> None:
    Value, _, _ = make_engine(add_not_written=True)
    with pytest.raises(
        NotAnswered,
        match=r"`2 \+ -3` is not written yet \(`__add__` raised NotImplementedError\): "
        r"fill in `add` .*exercise 1",
    ):
        check_add_mul(Value)


def test_an_order_with_a_node_before_its_parents_names_the_node() -> None:
    Value, topological_order, _ = make_engine(parents_after=True)
    with pytest.raises(CheckFailed, match="comes at position 0, before its parent"):
        check_topological_order(Value, topological_order)


def test_an_order_without_a_visited_set_is_told_about_the_repeat() -> None:
    Value, topological_order, _ = make_engine(no_visited_set=True)
    with pytest.raises(CheckFailed, match=r"twice .* Keep a set of visited nodes"):
        check_topological_order(Value, topological_order)


def test_backward_that_overwrites_names_the_reused_node() -> None:
    Value, _, backward = make_engine(overwrite=True)
    with pytest.raises(CheckFailed) as caught:
        check_backward(Value, backward)
    message = str(caught.value)
    assert "autograd's backward" in message
    assert "used by 2 nodes: add up what each sends (grad += ...)" in message


def test_backward_without_the_seed_is_told_to_start_from_one() -> None:
    Value, _, backward = make_engine(no_seed=True)
    with pytest.raises(CheckFailed, match=r"root's own grad: expected 1 .*received 0\. Start"):
        check_backward(Value, backward)


def test_the_whole_engine_check_tells_a_wrong_forward_from_a_wrong_backward() -> None:
    Value, _, _ = make_engine(mul_swapped=True)
    with pytest.raises(CheckFailed) as caught:
        check_engine(Value)
    message = str(caught.value)
    # x * y + x at x = 2, y = -3: d/dx = y + 1 = -2, the swapped rule gives x + 1 = 3.
    assert "d out / d x: expected -2 (autograd; numerical_grad gives -2)" in message
    assert "received 3." in message and "Your forward pass is right" in message
