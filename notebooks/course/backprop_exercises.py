"""Checks for notebook 07: the learner's error terms against the engine's gradients.

An error term is delta_j = -dE/dnet_j, the negative gradient of a neuron's net input
(its ``linear`` node). The checker runs the same network and loss through `autograd`,
reads -grad off every net node, and compares it with the learner's numbers layer by
layer, from the output back, since a wrong layer makes every layer below it wrong too.
A mismatch is named (layer, neuron, expected, received) and, where the received numbers
match a common slip (the sign, a missing slope, the weights not transposed, a slope
factor where softmax and cross-entropy need none), the message says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd
import nn

from .report import CheckFailed, answer, close, number, passed

WHERE = "the exercise cell above"


def _layers(model: nn.MLP, x: Sequence[float]) -> list[list[autograd.Value]]:
    """Every layer's outputs for input x, recorded (first hidden layer first)."""
    outputs: list[list[autograd.Value]] = []
    values: Any = [float(v) for v in x]
    for layer in model.layers:
        values = layer(values)
        values = values if isinstance(values, list) else [values]
        outputs.append(values)
    return outputs


def _net(v: autograd.Value) -> autograd.Value:
    """The neuron's net input w . x + b: v itself for a linear neuron, else its parent."""
    return v if v.op == "linear" else v.parents[0]


def engine_error_terms(
    model: nn.MLP, x: Sequence[float], loss: Any, target: Any
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The engine's error terms -dE/dnet of every layer, and every layer's outputs."""
    layers = _layers(model, x)
    model.zero_grad()
    loss(layers[-1], target).backward()
    deltas = [np.array([-_net(v).grad for v in layer]) for layer in layers]
    activations = [np.array([v.data for v in layer]) for layer in layers]
    return deltas, activations


def _as_vector(value: object, name: str, size: int) -> np.ndarray:
    value = answer(value, name, WHERE)
    try:
        vector = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError) as error:
        raise CheckFailed(f"`{name}` should be {size} numbers, got {value!r}.") from error
    if vector.size != size:
        raise CheckFailed(
            f"`{name}` has {vector.size} numbers; expected {size}, one per neuron of its "
            "layer. (The sum for a hidden neuron runs over the neurons of the next layer: "
            "W_next.T @ delta_next.)"
        )
    return vector


def _slip(
    received: np.ndarray,
    expected: np.ndarray,
    candidates: dict[str, np.ndarray],
) -> str:
    """The hint for the first common slip whose numbers the learner's match."""
    for hint, numbers in candidates.items():
        if numbers.shape == received.shape and np.allclose(received, numbers, rtol=1e-6, atol=0):
            return hint
    return ""


def _compare(
    received: list[np.ndarray],
    expected: list[np.ndarray],
    names: list[str],
    slips: list[dict[str, np.ndarray]],
) -> None:
    """Layer by layer from the output back: the first neuron that disagrees is named."""
    for k in reversed(range(len(expected))):
        mine, ref = received[k], expected[k]
        scale = float(np.abs(ref).max())
        for j, (r, e) in enumerate(zip(mine, ref)):
            if not close(float(e), float(r), rtol=1e-6, atol=1e-12 * max(scale, 1.0)):
                hint = _slip(mine, ref, slips[k])
                raise CheckFailed(
                    f"`{names[k]}`, neuron {j}: expected {number(float(e))} (-dE/dnet from "
                    f"the engine's backward()), received {number(float(r))}."
                    + (f" {hint}" if hint else "")
                )


def _hidden_slips(
    h: np.ndarray, W_next: np.ndarray, delta_next: np.ndarray
) -> dict[str, np.ndarray]:
    slope = h * (1 - h)
    slips = {
        "The sign: delta = -dE/dnet, so the output error enters as (t - o), not (o - t).": -(
            slope * (W_next.T @ delta_next)
        ),
        "Each hidden term needs this neuron's own sigmoid slope o(1 - o) as a factor.": (
            W_next.T @ delta_next
        ),
    }
    if W_next.shape[0] == W_next.shape[1]:
        slips[
            "The weights are not transposed: neuron j collects w_kj delta_k over the neurons k "
            "of the next layer, a column of W_next: W_next.T @ delta_next."
        ] = slope * (W_next @ delta_next)
    return slips


def _weights(model: nn.MLP) -> list[np.ndarray]:
    return [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in model.layers]


def _named(values: Sequence[object], prefix: str, sizes: list[int]) -> list[np.ndarray]:
    if len(values) != len(sizes):
        raise CheckFailed(
            f"expected {len(sizes)} lists of error terms, one per layer, got {len(values)}."
        )
    # from the output layer back, the order the terms are worked out in
    vectors = [
        _as_vector(values[k], f"{prefix}{k + 1}", sizes[k]) for k in reversed(range(len(sizes)))
    ]
    return vectors[::-1]


def check_error_terms_sse(
    model: nn.MLP, x: Sequence[float], t: Sequence[float], deltas: Sequence[object]
) -> None:
    """A sigmoid network with the loss E = 1/2 sum (t - o)**2 (`nn.sse`): the learner's
    `deltas` (first hidden layer first, the output layer last) against the engine's."""
    expected, outputs = engine_error_terms(model, x, nn.sse, list(t))
    sizes = [len(d) for d in expected]
    received = _named(deltas, "delta_", sizes)
    W = _weights(model)
    o, target = outputs[-1], np.asarray(t, dtype=float)
    out_slips = {
        "The sign: delta = -dE/dnet = o(1 - o)(t - o), with (t - o), not (o - t).": -(
            o * (1 - o) * (target - o)
        ),
        "An output term needs the sigmoid's slope o(1 - o) as a factor.": target - o,
    }
    slips = [_hidden_slips(outputs[k], W[k + 1], received[k + 1]) for k in range(len(expected) - 1)]
    _compare(received, expected, [f"delta_{k + 1}" for k in range(len(sizes))], [*slips, out_slips])
    passed(
        f"error terms of all {len(sizes)} layers agree with -dE/dnet from the engine "
        f"({sum(sizes)} neurons)"
    )


def check_error_terms_softmax(
    model: nn.MLP, x: Sequence[float], label: int, deltas: Sequence[object]
) -> None:
    """Sigmoid hidden layers, a linear output layer (the logits), softmax and
    cross-entropy with the class `label` (`nn.cross_entropy`): the learner's `deltas`
    against the engine's."""
    expected, outputs = engine_error_terms(model, x, nn.cross_entropy, label)
    sizes = [len(d) for d in expected]
    received = _named(deltas, "delta_", sizes)
    W = _weights(model)
    z = outputs[-1]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    t = np.eye(len(z))[label]
    out_slips = {
        "The sign: with softmax and cross-entropy delta = t - p, not p - t.": p - t,
        "No slope factor here: the softmax's slope cancels against the log of the "
        "cross-entropy, and delta is simply t - p.": (t - p) * p * (1 - p),
        "t is the one-hot target: 1 for the true class, 0 elsewhere; delta = t - p.": -p,
    }
    slips = [_hidden_slips(outputs[k], W[k + 1], received[k + 1]) for k in range(len(expected) - 1)]
    _compare(received, expected, [f"delta_{k + 1}" for k in range(len(sizes))], [*slips, out_slips])
    passed(
        f"softmax + cross-entropy: error terms of all {len(sizes)} layers agree with "
        "-dE/dnet from the engine"
    )
