"""The error-term exercises of notebook 07: the right terms pass, the usual slips are
named (the expected numbers come from the engine's backward(), the learner's from numpy)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from notebooks.course.backprop_exercises import check_error_terms_softmax, check_error_terms_sse
from notebooks.course.report import CheckFailed, NotAnswered

X = [0.35, 0.9]
T = [0.2, 0.8]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)))


def network(output: str) -> tuple[nn.MLP, list[np.ndarray], list[np.ndarray]]:
    model = nn.MLP(
        2,
        [3, 3, 2 if output == "sigmoid" else 3],
        activation="sigmoid",
        output_activation=output,
        init=nn.init.uniform(-1, 1),
        seed=3,
    )
    W = [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in model.layers]
    b = [np.array([n.b.data for n in layer.neurons]) for layer in model.layers]
    return model, W, b


def forward(W: list[np.ndarray], b: list[np.ndarray], last: str) -> list[np.ndarray]:
    h1 = sigmoid(W[0] @ X + b[0])
    h2 = sigmoid(W[1] @ h1 + b[1])
    z = W[2] @ h2 + b[2]
    return [h1, h2, sigmoid(z) if last == "sigmoid" else z]


def test_the_right_error_terms_of_a_three_layer_net_pass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    model, W, b = network("sigmoid")
    h1, h2, o = forward(W, b, "sigmoid")
    d3 = o * (1 - o) * (np.array(T) - o)
    d2 = h2 * (1 - h2) * (W[2].T @ d3)
    d1 = h1 * (1 - h1) * (W[1].T @ d2)
    check_error_terms_sse(model, X, T, [d1, d2, d3])
    assert capsys.readouterr().out.startswith("\u2713 error terms of all 3 layers")


@pytest.mark.parametrize(
    ("slip", "layer", "says"),
    [
        ("sign", "delta_3", "with (t - o), not (o - t)"),
        ("no slope", "delta_3", "needs the sigmoid's slope o(1 - o)"),
        ("W not transposed", "delta_1", "not transposed"),
        ("hidden without slope", "delta_2", "this neuron's own sigmoid slope"),
    ],
)
def test_each_slip_in_the_error_terms_is_named(slip: str, layer: str, says: str) -> None:
    model, W, b = network("sigmoid")
    h1, h2, o = forward(W, b, "sigmoid")
    t = np.array(T)
    d3 = {"sign": o * (1 - o) * (o - t), "no slope": t - o}.get(slip, o * (1 - o) * (t - o))
    d2 = h2 * (1 - h2) * (W[2].T @ d3)
    if slip == "hidden without slope":
        d2 = W[2].T @ d3
    d1 = h1 * (1 - h1) * ((W[1] if slip == "W not transposed" else W[1].T) @ d2)
    with pytest.raises(CheckFailed) as caught:
        check_error_terms_sse(model, X, T, [d1, d2, d3])
    message = str(caught.value)
    assert message.startswith(f"`{layer}`, neuron ") and "(-dE/dnet from the engine" in message
    assert says in message


def test_a_layer_of_the_wrong_size_is_told_how_many_numbers_it_needs() -> None:
    model, _, _ = network("sigmoid")
    with pytest.raises(CheckFailed, match="`delta_3` has 3 numbers; expected 2"):
        check_error_terms_sse(model, X, T, [np.zeros(3), np.zeros(3), np.zeros(3)])


def test_blank_error_terms_say_which_to_fill_in() -> None:
    model, _, _ = network("sigmoid")
    with pytest.raises(NotAnswered, match="`delta_3` has no answer yet"):
        check_error_terms_sse(model, X, T, [..., ..., ...])


def softmax_terms(slip: str = "") -> tuple[nn.MLP, list[np.ndarray]]:
    model, W, b = network("linear")
    h1, h2, z = forward(W, b, "linear")
    p = np.exp(z) / np.exp(z).sum()
    t = np.eye(3)[1]
    d3 = {"sign": p - t, "slope": (t - p) * p * (1 - p)}.get(slip, t - p)
    d2 = h2 * (1 - h2) * (W[2].T @ d3)
    d1 = h1 * (1 - h1) * (W[1].T @ d2)
    return model, [d1, d2, d3]


def test_softmax_and_cross_entropy_error_terms_pass(capsys: pytest.CaptureFixture[str]) -> None:
    model, deltas = softmax_terms()
    check_error_terms_softmax(model, X, 1, deltas)
    assert "softmax + cross-entropy" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("slip", "says"), [("sign", "delta = t - p, not p - t"), ("slope", "No slope factor here")]
)
def test_softmax_slips_are_named(slip: str, says: str) -> None:
    model, deltas = softmax_terms(slip)
    with pytest.raises(CheckFailed, match=f"`delta_3`, neuron .*{says}"):
        check_error_terms_softmax(model, X, 1, deltas)
