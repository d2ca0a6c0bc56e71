"""Tests for autograd/torch_lowering.py (``autograd.compile(...).to_torch()``): random
traced graphs of every op (autograd.testing's strategies) give the compiled mode's
values and gradients in torch; a layer, a softmax classifier, shared subgraphs; the
errors; every compiled-mode rule has a torch form."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings

import autograd
import nn
from autograd import Value, testing
from autograd.compile import RULES
from autograd.torch_lowering import TORCH_RULES


def _grads(params: list[Value]) -> np.ndarray:
    return np.array([p.grad for p in params])


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(graph=testing.graphs(inputs=(2, 4), steps=(1, 10)))
def test_random_graphs_of_every_op_give_the_compiled_values_and_gradients(
    graph: testing.Graph,
) -> None:
    weights = graph.values()[1:]  # the other inputs are the parameters

    def fn(x: Value) -> Value:
        return graph(x, *weights)

    f = autograd.compile(fn, graph.point[0])
    X = graph.point[0] + np.array([-1e-3, 0.0, 4e-4, 1e-3])  # rows near the graph's point
    module = f.to_torch()
    out = module(torch.from_numpy(X))
    expected = f(X)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    if not f.parameters:  # the output reads no weight: nothing to differentiate
        return
    for w in f.parameters:
        w.grad = 0.0
    f.value_and_grad(X, reduction="sum")
    out.sum().backward()
    got = module.params.grad.numpy()
    scale = max(1.0, float(np.abs(_grads(f.parameters)).max(initial=0.0)))
    np.testing.assert_allclose(got, _grads(f.parameters), rtol=1e-10, atol=1e-12 * scale)


def test_a_classifier_loss_in_torch_equals_the_compiled_one_and_trains_the_same() -> None:
    model = nn.MLP(4, [6, 3], activation="relu", seed=0)
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(9, 4)), np.eye(3)[rng.integers(0, 3, 9)]
    f = autograd.compile(lambda x, t: -autograd.dot(autograd.log_softmax(model(x)), t), X[0], T[0])
    module = f.to_torch()
    assert "layer" in [step.kind for step in module._plan]  # a layer is one matrix product
    loss = module(torch.from_numpy(X), torch.from_numpy(T)).mean()
    loss.backward()
    assert loss.item() == pytest.approx(f.value_and_grad(X, T), rel=1e-13)
    np.testing.assert_allclose(module.params.grad, _grads(f.parameters), rtol=1e-12, atol=1e-15)
    before = np.array([p.data for p in f.parameters])
    torch.optim.SGD(module.parameters(), lr=0.5).step()
    module.write_back()  # the trained numbers back into the model's Values
    assert {id(p) for p in f.parameters} == {id(p) for p in model.parameters()}
    after = np.array([p.data for p in f.parameters])
    np.testing.assert_allclose(after, before - 0.5 * _grads(f.parameters), rtol=1e-15, atol=0)


def test_nodes_that_no_input_reaches_and_a_constant_output_broadcast_over_the_batch() -> None:
    w = Value(0.3)
    f = autograd.compile(lambda x: [x * w.exp(), w.tanh() * 2.0], 1.0)
    X = np.array([1.0, -2.0, 0.5])
    out = f.to_torch(dtype=torch.float32, device="cpu")(torch.from_numpy(X))
    assert out.shape == (3, 2) and out.dtype == torch.float32
    np.testing.assert_allclose(out.detach().numpy(), f(X), rtol=1e-6)


def test_every_compiled_mode_rule_has_a_torch_form() -> None:
    assert set(RULES) <= set(TORCH_RULES)


def test_a_custom_primitive_is_a_clear_error() -> None:
    @autograd.primitive
    def cube(x: float) -> tuple[float, tuple[float]]:
        return x**3, (3 * x**2,)

    w = Value(1.5)
    f = autograd.compile(lambda x: cube(x * w), 1.0)
    with pytest.raises(TypeError, match="custom primitive 'cube'"):
        f.to_torch()


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((torch.zeros(3, 2),), ValueError, r"shape \(batch, 3\)"),
        ((torch.zeros(3, 3), torch.zeros(3)), TypeError, "1 argument"),
    ],
)
def test_wrong_arguments_are_named(args: tuple[Any, ...], error: type, pattern: str) -> None:
    w = Value(1.0)
    module = autograd.compile(lambda x: autograd.sum(x) * w, np.zeros(3)).to_torch()
    with pytest.raises(error, match=pattern):
        module(*args)
