"""The generated program of compiled mode: the same numbers as the planner's checked
interpreter, to the bit, and the text a user prints is straight-line numpy over views."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from hypothesis import given, settings

import autograd
import nn
from autograd import FlatParameters, Value, testing
from autograd.compile.running import _finish


def _both(f: Any, X: np.ndarray, grad_output: np.ndarray) -> tuple[Any, Any]:
    """(outputs, parameter gradients) from the generated program and from the
    interpreter, on the same inputs and parameters."""
    params = f._parameters()
    inputs = np.ascontiguousarray(X.reshape(len(X), -1))
    program = params.generated.function(inputs, params.vector, f._program.constants)
    generated = np.asarray(next(program)), _finish(program, grad_output)
    tape = f._program.forward(inputs, params.vector)
    interpreted = f._program.outputs(tape), f._program.backward(tape, grad_output)
    return generated, interpreted


@settings(max_examples=30, deadline=None)
@given(graph=testing.graphs())
def test_the_generated_program_gives_the_interpreters_numbers_to_the_bit(graph):
    ws = [Value(1.0 + 0.1 * k) for k in range(len(graph.point))]
    f = autograd.compile(lambda x: graph(*[xi * w for xi, w in zip(x, ws)]), graph.point)
    X = np.array(graph.point) + np.linspace(-1e-3, 1e-3, 4)[:, None]
    grad_output = np.linspace(0.5, 2.0, 4)[:, None]
    (out, grads), (out_i, grads_i) = _both(f, X, grad_output)
    assert np.array_equal(np.broadcast_to(out, out_i.shape), out_i)
    assert np.array_equal(grads, grads_i)


def _demo() -> tuple[Any, nn.MLP, np.ndarray, np.ndarray]:
    X, y = nn.data.make_moons(n_samples=20, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    f = autograd.compile(
        lambda x, t: (1.0 - t * model(x)).relu() + 1e-4 * nn.l2(model), X[0], 2.0 * y[0] - 1.0
    )
    return f, model, X, 2.0 * y - 1.0


def test_the_demos_program_reads_and_updates_its_parameters_through_views_only():
    f, model, X, y = _demo()
    with FlatParameters(model.parameters()):
        f.value_and_grad(X, y)
        source = f._parameters().generated.source
    assert source.startswith("def program(X, P, C):") and "yield" in source
    assert "for " not in source and "np.add.at" not in source  # no loop, no scatter
    # every read of the parameters or a block is a slice, never an index array
    assert not re.search(r"\b[PB]\d*\[(\.\.\., )?I\d+\]", source), source
    assert not re.search(r"\bG[P\d]*\[(\.\.\., )?I\d+\] \+=", source), source
    # a layer is one matrix product into its block, its weights rows of P
    assert len(re.findall(r"np\.matmul\(.*out=B\d+\)", source)) == 3
    assert re.search(r"P\[0:48\]\.reshape\(16, 3\)\[:, :2\]", source)


def test_a_program_over_held_parameters_gives_the_eager_gradients_every_call():
    f, model, X, y = _demo()
    total = autograd.mean(
        [(1.0 - t * model(list(map(Value, x)))).relu() for x, t in zip(X.tolist(), y.tolist())]
    ) + 1e-4 * nn.l2(model)
    total.backward()
    eager = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    with FlatParameters(model.parameters()) as flat:
        for _ in range(3):  # nothing of one call is left over in the next
            flat.grad[:] = 0.0
            loss = f.value_and_grad(X, y)
            np.testing.assert_allclose(flat.grad, eager, rtol=1e-12, atol=1e-15)
            assert abs(loss - total.data) <= 1e-12 * abs(total.data)
