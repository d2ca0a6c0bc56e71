"""FlatParameters: leaf Values whose data and grad live in two float64 arrays while open,
and what works on those arrays directly (nn.optim's optimizers, compiled programs)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import autograd
import nn
from autograd import FlatParameters, Value


def test_the_values_read_and_write_the_arrays_while_open_and_keep_the_numbers_after():
    w, b = Value(2.0), Value(-1.0)
    w.grad = 0.5
    with FlatParameters([w, b]) as flat:
        assert flat.data.tolist() == [2.0, -1.0] and flat.grad.tolist() == [0.5, 0.0]
        flat.data *= 10.0
        assert (w.data, b.data) == (20.0, -10.0)
        b.data = 3.0
        assert flat.data[1] == 3.0
        (w * 3.0 + b * b).backward()  # eager code on held Values works
        assert flat.grad.tolist() == [3.5, 6.0]
    assert type(w) is Value and type(b) is Value
    assert (w.data, w.grad, b.data, b.grad) == (20.0, 3.5, 3.0, 6.0)
    assert not flat.open


def test_a_copy_of_a_held_value_is_a_plain_value_with_its_numbers():
    w = Value(1.5, label="w")
    with FlatParameters([w]) as flat:
        flat.grad[0] = 2.0
        for c in (copy.copy(w), copy.deepcopy(w), pickle.loads(pickle.dumps(w))):
            assert type(c) is Value and (c.data, c.grad, c.label) == (1.5, 2.0, "w")
            c.data = 9.0
        assert w.data == 1.5


@pytest.mark.parametrize(
    "params, error, words",
    [
        (lambda: Value(1.0), TypeError, "wrap it"),
        (lambda: [Value(1.0), 2.0], TypeError, "parameter 1 is float"),
        (lambda: [Value(1.0) * 2.0], ValueError, "not a leaf"),
        (lambda: [_v] * 2, ValueError, "given twice"),
    ],
)
def test_what_cannot_be_held_is_refused_by_name(params, error, words):
    with pytest.raises(error, match=words):
        FlatParameters(params())


_v = Value(1.0)


def test_a_value_is_held_by_one_store_at_a_time_and_nothing_changes_on_refusal():
    a, b = Value(1.0), Value(2.0)
    with FlatParameters([a]):
        with pytest.raises(ValueError, match="already in an open FlatParameters"):
            FlatParameters([b, a])
        assert type(b) is Value  # the refused store bound nothing
    with FlatParameters([a, b]) as again:
        assert again.index(b) == 1


def test_assigning_the_arrays_checks_shape_and_finiteness():
    with FlatParameters([Value(1.0), Value(2.0)]) as flat:
        with pytest.raises(ValueError, match="expected \\(2,\\)"):
            flat.data = [1.0, 2.0, 3.0]
        with pytest.raises(ValueError, match="not finite"):
            flat.grad = [0.0, float("nan")]
        flat.data = [5.0, 6.0]
        assert flat.data.tolist() == [5.0, 6.0]


def _model_and_grads(seed: int) -> tuple[nn.MLP, list[list[float]]]:
    model = nn.MLP(3, [4, 2], seed=seed)
    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=len(model.parameters())).tolist() for _ in range(4)]
    return model, grads


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: nn.optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
        lambda ps: nn.optim.Adagrad(ps, lr=0.1),
    ],
)
def test_an_optimizer_over_held_parameters_steps_as_over_values_bit_for_bit(make):
    free, grads = _model_and_grads(0)
    held, _ = _model_and_grads(0)
    reference, optimizer = make(free.parameters()), make(held.parameters())
    with FlatParameters(held.parameters()) as flat:
        for g in grads:
            reference.zero_grad()
            optimizer.zero_grad()
            assert not flat.grad.any()
            for p, x in zip(free.parameters(), g):
                p.grad = x
            flat.grad[:] = g
            reference.step()
            optimizer.step()
            assert flat.data.tolist() == [p.data for p in free.parameters()]
    assert optimizer.state_dict() == reference.state_dict()


def test_a_step_refused_over_held_parameters_changes_nothing():
    model, _ = _model_and_grads(1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.1)
    with FlatParameters(model.parameters()) as flat:
        before = flat.data.copy()
        flat.grad[3] = np.inf
        with pytest.raises(ValueError, match=r"Adam\.step: nothing was updated"):
            optimizer.step()
        assert np.array_equal(flat.data, before)
        assert optimizer.state_dict()["state"] == {}


def test_a_compiled_function_over_held_parameters_adds_the_eager_gradients():
    model = nn.MLP(2, [5, 1], activation="tanh", seed=3)
    X = np.random.default_rng(3).normal(size=(7, 2))
    loss = autograd.mean([(model(list(map(Value, x))) - 1.0) ** 2 for x in X.tolist()])
    loss.backward()
    eager = [p.grad for p in model.parameters()]
    model.zero_grad()
    f = autograd.compile(lambda x: (model(x) - 1.0) ** 2, X[0])
    order = model.parameters()[::-1]  # a store whose order is not the program's
    with FlatParameters(order) as flat:
        flat.grad[:] = 1.0  # accumulates, as backward() does
        value = f.value_and_grad(X)
        np.testing.assert_allclose(flat.grad[::-1], np.array(eager) + 1.0, rtol=1e-12)
    assert value == pytest.approx(loss.data, rel=1e-12)


def test_a_backward_after_its_store_was_released_is_refused_and_writes_nothing():
    w = Value(2.0)
    f = autograd.compile(lambda x: w * x, 1.0)
    with FlatParameters([w]):
        _, backward = f.vjp(np.array([1.0, 3.0]))
    with pytest.raises(RuntimeError, match="released after this forward pass; call vjp again"):
        backward(np.ones(2))
    assert w.grad == 0.0
    f.backward(np.array([1.0, 3.0]), grad_output=np.ones(2))  # unbound again: the Values
    assert w.grad == 4.0
