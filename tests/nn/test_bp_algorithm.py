"""The classic BP algorithm with error terms, written with plain floats, against the engine.

Network: 2 inputs, 3 sigmoid hidden units, 2 sigmoid outputs, biases (a bias is a weight
on a constant input of 1). Loss E = 1/2 sum_k (t_k - o_k)^2. The algorithm:

    output unit k:  delta_k = o_k (1 - o_k) (t_k - o_k)
    hidden unit h:  delta_h = h (1 - h) sum_k w_kh delta_k
    every weight:   Delta w_ji = lr * delta_j * x_ji    (x_ji = 1 for the bias)

Gradient descent changes each weight by -lr * dE/dw, so the engine's gradients from
``sse(...).backward()`` must give exactly these Delta w.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from nn import init


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


def bp_weight_changes(
    w_hidden: list[list[float]],
    b_hidden: list[float],
    w_out: list[list[float]],
    b_out: list[float],
    x: list[float],
    t: list[float],
    lr: float,
) -> tuple[list[list[float]], list[float], list[list[float]], list[float]]:
    """One step of the error-term algorithm: (dW_hidden, db_hidden, dW_out, db_out)."""
    h = [sigmoid(sum(w * xi for w, xi in zip(row, x)) + b) for row, b in zip(w_hidden, b_hidden)]
    o = [sigmoid(sum(w * hj for w, hj in zip(row, h)) + b) for row, b in zip(w_out, b_out)]
    delta_out = [ok * (1 - ok) * (tk - ok) for ok, tk in zip(o, t)]
    delta_hidden = [
        hj * (1 - hj) * sum(w_out[k][j] * delta_out[k] for k in range(len(o)))
        for j, hj in enumerate(h)
    ]
    dw_hidden = [[lr * d * xi for xi in x] for d in delta_hidden]
    db_hidden = [lr * d * 1.0 for d in delta_hidden]
    dw_out = [[lr * d * hj for hj in h] for d in delta_out]
    db_out = [lr * d * 1.0 for d in delta_out]
    return dw_hidden, db_hidden, dw_out, db_out


def weights_of(
    model: nn.MLP,
) -> tuple[list[list[float]], list[float], list[list[float]], list[float]]:
    """Read the weights by their dotted names (only through the public state dict)."""
    state = model.state_dict()
    w_hidden = [[state[f"layers.0.neurons.{j}.w.{i}"] for i in range(2)] for j in range(3)]
    b_hidden = [state[f"layers.0.neurons.{j}.b"] for j in range(3)]
    w_out = [[state[f"layers.1.neurons.{k}.w.{j}"] for j in range(3)] for k in range(2)]
    b_out = [state[f"layers.1.neurons.{k}.b"] for k in range(2)]
    return w_hidden, b_hidden, w_out, b_out


def engine_weight_changes(
    model: nn.MLP, lr: float
) -> tuple[list[list[float]], list[float], list[list[float]], list[float]]:
    grad = {name: p.grad for name, p in model.named_parameters()}
    dw_hidden = [[-lr * grad[f"layers.0.neurons.{j}.w.{i}"] for i in range(2)] for j in range(3)]
    db_hidden = [-lr * grad[f"layers.0.neurons.{j}.b"] for j in range(3)]
    dw_out = [[-lr * grad[f"layers.1.neurons.{k}.w.{j}"] for j in range(3)] for k in range(2)]
    db_out = [-lr * grad[f"layers.1.neurons.{k}.b"] for k in range(2)]
    return dw_hidden, db_hidden, dw_out, db_out


def flat(
    changes: tuple[list[list[float]], list[float], list[list[float]], list[float]],
) -> list[float]:
    dw_h, db_h, dw_o, db_o = changes
    return [x for row in dw_h for x in row] + db_h + [x for row in dw_o for x in row] + db_o


INITS = [init.uniform(-0.05, 0.05), init.uniform(-2.0, 2.0), init.normal(1.0), None]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "initializer", INITS, ids=["seeds_small", "uniform2", "normal1", "default"]
)
def test_engine_gradients_give_the_bp_weight_changes(
    seed: int, initializer: init.Initializer | None
) -> None:
    model = nn.MLP(
        2, [3, 2], activation="sigmoid", output_activation="sigmoid", init=initializer, seed=seed
    )
    rng = np.random.default_rng(100 + seed)
    lr = 0.5
    for _ in range(4):  # several samples, each from fresh gradients
        x = rng.uniform(-2.0, 2.0, size=2).tolist()
        t = rng.uniform(0.0, 1.0, size=2).tolist()
        expected = bp_weight_changes(*weights_of(model), x, t, lr)
        model.zero_grad()
        nn.sse(model(x), t).backward()
        got = engine_weight_changes(model, lr)
        assert flat(got) == pytest.approx(flat(expected), rel=0.0, abs=1e-12)


def test_several_steps_of_stochastic_gradient_descent_stay_identical() -> None:
    """Apply the updates: the engine-trained net and the hand-written BP net stay in step."""
    model = nn.MLP(
        2,
        [3, 2],
        activation="sigmoid",
        output_activation="sigmoid",
        init=init.uniform(-0.05, 0.05),
        seed=7,
    )
    w_h, b_h, w_o, b_o = weights_of(model)
    samples = [([0.0, 1.0], [1.0, 0.0]), ([1.0, 0.0], [0.0, 1.0]), ([1.0, 1.0], [0.2, 0.8])]
    lr = 0.9
    for _ in range(30):
        for x, t in samples:
            dw_h, db_h, dw_o, db_o = bp_weight_changes(w_h, b_h, w_o, b_o, x, t, lr)
            w_h = [[w + d for w, d in zip(row, drow)] for row, drow in zip(w_h, dw_h)]
            b_h = [b + d for b, d in zip(b_h, db_h)]
            w_o = [[w + d for w, d in zip(row, drow)] for row, drow in zip(w_o, dw_o)]
            b_o = [b + d for b, d in zip(b_o, db_o)]

            model.zero_grad()
            nn.sse(model(x), t).backward()
            for p in model.parameters():
                p.data -= lr * p.grad
    assert flat(weights_of(model)) == pytest.approx(flat((w_h, b_h, w_o, b_o)), rel=0.0, abs=1e-12)
    # and the training did something: the weights moved far from [-0.05, 0.05]
    assert max(abs(w) for w in flat(weights_of(model))) > 0.2
