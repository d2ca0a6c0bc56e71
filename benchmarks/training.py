"""Training benchmarks: micrograd's own demo, and a larger softmax classifier.

micrograd's demo (its README's notebook): 100 two-moons points (noise 0.1), labels
+-1, ``MLP(2, [16, 16, 1])`` with relu hidden layers, max-margin loss
``mean(relu(1 - y * score))`` plus ``1e-4 * sum(p ** 2)``, full batch, 100 steps of
plain SGD with the learning rate ``1.0 - 0.9 * k / 100``.

The three implementations start from the same weights (drawn once with numpy), so
they compute the same numbers up to floating-point rounding, and they run in
lockstep: step k of each, then step k + 1, so a slow phase of the machine hits all
of them alike. The table gives the median milliseconds per step and the final
training accuracy.

Two more references of the demo live here for `benchmarks.compiled`, from the same
weights and to the same numbers (tests/benchmarks checks both against the engine):
numpy written with care (`_CarefulNumpy`) and torch eager in float64 (`_Torch`).
"""

from __future__ import annotations

import gc
import statistics
import sys
from itertools import pairwise
from time import perf_counter
from typing import Any

import numpy as np

import nn
from benchmarks.common import Row

DEMO_STEPS = 100
ALPHA = 1e-4


def _demo_data(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    X, y = nn.data.make_moons(n_samples=100, noise=0.1, seed=seed)
    return X, 2.0 * y - 1.0  # labels -1 / +1, as the max-margin loss wants


def _initial_weights(sizes: list[int], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer, W of shape (out, in): uniform(-1, 1) weights and zero biases,
    micrograd's own initialisation."""
    rng = np.random.default_rng(seed)
    return [
        (rng.uniform(-1.0, 1.0, size=(n_out, n_in)), np.zeros(n_out))
        for n_in, n_out in pairwise(sizes)
    ]


def _set_weights(model: Any, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Copy (W, b) per layer into an MLP of either library: both keep
    ``layers[i].neurons[j].w[k]`` and ``.b``."""
    for layer, (W, b) in zip(model.layers, weights):
        for neuron, w_row, b_j in zip(layer.neurons, W, b):
            for p, w in zip(neuron.w, w_row):
                p.data = float(w)
            neuron.b.data = float(b_j)


def _lr(k: int) -> float:
    return 1.0 - 0.9 * k / DEMO_STEPS


class _Micrograd:
    """micrograd's demo loop, as its notebook writes it."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        from micrograd.engine import Value as MicroValue
        from micrograd.nn import MLP as MicroMLP

        self.Value = MicroValue
        self.model = MicroMLP(2, [16, 16, 1])
        _set_weights(self.model, weights)
        self.X, self.y = X.tolist(), y.tolist()

    def step(self, k: int) -> None:
        inputs = [list(map(self.Value, row)) for row in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.model.parameters())
        total = data_loss + reg_loss
        self.model.zero_grad()
        total.backward()
        lr = _lr(k)
        for p in self.model.parameters():
            p.data -= lr * p.grad

    def accuracy(self) -> float:
        scores = [self.model(list(map(self.Value, row))).data for row in self.X]
        return float(np.mean([(s > 0) == (t > 0) for s, t in zip(scores, self.y)]))


class _Ours:
    """The same computation written with backproplab's nn: MLP, hinge, l2, SGD, LambdaLR.

    The model is called on the whole batch: the same nodes as one call per sample, with
    the weights read once per step instead of once per sample."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        self.model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
        _set_weights(self.model, weights)
        self.params = self.model.parameters()
        self.optimizer = nn.optim.SGD(self.params, lr=1.0)
        self.scheduler = nn.optim.LambdaLR(self.optimizer, _lr)
        self.X, self.y = X.tolist(), y.tolist()

    def step(self, k: int) -> None:
        scores = self.model(self.X)
        loss = nn.hinge(scores, self.y) + ALPHA * nn.l2(self.params)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()

    def parameters(self) -> list[float]:
        """Every parameter, in the order of ``model.parameters()``."""
        return [p.data for p in self.params]

    def accuracy(self) -> float:
        scores = [s.data for s in self.model(self.X)]
        return float(np.mean([(s > 0) == (t > 0) for s, t in zip(scores, self.y)]))


class _Numpy:
    """The same network, loss and updates, vectorised over the batch by hand."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        self.params = [(W.copy(), b.copy()) for W, b in weights]
        self.X, self.y = X, y

    def _forward(self) -> tuple[list[np.ndarray], np.ndarray]:
        activations = [self.X]
        h = self.X
        for i, (W, b) in enumerate(self.params):
            z = h @ W.T + b
            h = np.maximum(z, 0.0) if i < len(self.params) - 1 else z
            activations.append(h)
        return activations, h[:, 0]

    def step(self, k: int) -> None:
        activations, scores = self._forward()
        n = len(self.y)
        margin = 1.0 - self.y * scores
        # d loss / d score: mean of relu(margin), relu'(0) = 0 as in the engines
        upstream = (np.where(margin > 0.0, -self.y, 0.0) / n)[:, None]
        lr = _lr(k)
        grads = []
        for i in range(len(self.params) - 1, -1, -1):
            W, b = self.params[i]
            h_in = activations[i]
            grads.append((upstream.T @ h_in + 2.0 * ALPHA * W, upstream.sum(0) + 2.0 * ALPHA * b))
            if i:
                upstream = (upstream @ W) * (activations[i] > 0.0)
        for (W, b), (gW, gb) in zip(self.params, reversed(grads)):
            W -= lr * gW
            b -= lr * gb

    def parameters(self) -> list[float]:
        """Every parameter, in the order of ``model.parameters()`` (each neuron's
        weights, then its bias)."""
        return [x for W, b in self.params for x in np.column_stack([W, b]).ravel().tolist()]

    def accuracy(self) -> float:
        return float(np.mean((self._forward()[1] > 0) == (self.y > 0)))


class _CarefulNumpy:
    """The demo's step in numpy written with care, the floor the compiled mode aims at.

    Every parameter in one flat float64 buffer, neuron-major (each neuron's weights,
    then its bias: the order of ``model.parameters()``), so that layer i is a view of
    shape (out, in + 1) with its bias as the last column; the activations carry a
    column of ones for it, so each layer is one matrix product. Every intermediate is
    preallocated and written with ``out=``; the gradients land in views of one flat
    buffer; the update (SGD, the L2 term folded in as a shrinkage) is three in-place
    calls over the whole buffer. The loss is computed too, as micrograd's loop does.
    """

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray):
        n = len(X)
        widths = [weights[0][0].shape[1], *(W.shape[0] for W, _ in weights)]
        self.theta = np.concatenate([np.column_stack([W, b]).ravel() for W, b in weights])
        self.grad = np.empty_like(self.theta)
        self.layers, self.grads = [], []
        start = 0
        for n_in, n_out in pairwise(widths):
            end = start + n_out * (n_in + 1)
            self.layers.append(self.theta[start:end].reshape(n_out, n_in + 1))
            self.grads.append(self.grad[start:end].reshape(n_out, n_in + 1))
            start = end
        # the inputs of each layer, with the ones column that multiplies the bias
        self.inputs = [np.ones((n, k + 1)) for k in widths[:-1]]
        self.inputs[0][:, :-1] = X
        self.deltas = [np.empty((n, k)) for k in widths[1:-1]]  # d loss / d hidden output
        self.masks = [np.empty((n, k), dtype=bool) for k in widths[1:-1]]
        self.scores, self.margin, self.hinge = np.empty((n, 1)), np.empty((n, 1)), np.empty((n, 1))
        self.active = np.empty((n, 1), dtype=bool)
        self.upstream = np.empty((n, 1))
        self.y = y[:, None].copy()
        self.slope = -self.y / n  # d mean(1 - y s) / d s, where the margin is positive

    def step(self, k: int) -> float:
        (W1, W2, W3), (G1, G2, G3) = self.layers, self.grads
        (A0, A1, A2), (D1, D2), (M1, M2) = self.inputs, self.deltas, self.masks
        H1, H2 = A1[:, :-1], A2[:, :-1]
        np.matmul(A0, W1.T, out=H1)
        np.maximum(H1, 0.0, out=H1)
        np.matmul(A1, W2.T, out=H2)
        np.maximum(H2, 0.0, out=H2)
        np.matmul(A2, W3.T, out=self.scores)
        np.multiply(self.scores, self.y, out=self.margin)
        np.subtract(1.0, self.margin, out=self.margin)
        hinge = np.maximum(self.margin, 0.0, out=self.hinge)
        loss = float(hinge.mean()) + ALPHA * float(self.theta @ self.theta)
        np.greater(self.margin, 0.0, out=self.active)  # relu'(0) = 0, as the engines
        np.multiply(self.active, self.slope, out=self.upstream)
        np.matmul(self.upstream.T, A2, out=G3)
        np.matmul(self.upstream, W3[:, :-1], out=D2)
        np.multiply(D2, np.greater(H2, 0.0, out=M2), out=D2)
        np.matmul(D2.T, A1, out=G2)
        np.matmul(D2, W2[:, :-1], out=D1)
        np.multiply(D1, np.greater(H1, 0.0, out=M1), out=D1)
        np.matmul(D1.T, A0, out=G1)
        # p -= lr (g + 2 alpha p), as p (1 - 2 alpha lr) - lr g
        lr = _lr(k)
        self.theta *= 1.0 - 2.0 * ALPHA * lr
        self.grad *= lr
        self.theta -= self.grad
        return loss

    def parameters(self) -> list[float]:
        """Every parameter, in the order of ``model.parameters()``."""
        return self.theta.tolist()

    def accuracy(self) -> float:
        scores = self.inputs[0] @ self.layers[0].T
        for W in self.layers[1:]:
            hidden = np.maximum(scores, 0.0)
            scores = np.column_stack([hidden, np.ones(len(hidden))]) @ W.T
        return float(np.mean((scores[:, 0] > 0) == (self.y[:, 0] > 0)))


def load_torch() -> Any:
    """torch, set to one thread (as every engine here runs), or None when it is not
    installed: its rows are then left out (it comes with the dev extra)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


NO_TORCH = "torch is not installed (pip install torch, or the dev extra): its rows are left out"


def torch_mlp(torch: Any, weights: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    """The relu MLP as a torch user writes it: float64 nn.Linear layers, our weights."""
    layers: list[Any] = []
    for W, b in weights:
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


class _Torch:
    """The demo in torch eager, float64: nn.Linear layers, torch.optim.SGD and LambdaLR."""

    def __init__(
        self, torch: Any, weights: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray
    ):
        self.torch = torch
        self.model = torch_mlp(torch, weights)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _lr)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)

    def step(self, k: int) -> float:
        scores = self.model(self.X)[:, 0]
        data_loss = self.torch.relu(1.0 - self.y * scores).mean()
        loss = data_loss + ALPHA * sum((p * p).sum() for p in self.model.parameters())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        return float(loss.item())

    def parameters(self) -> list[float]:
        """Every parameter, in the order of ``model.parameters()`` of our MLP."""
        linears = [m for m in self.model if isinstance(m, self.torch.nn.Linear)]
        return [
            x
            for linear in linears
            for row_w, b in zip(linear.weight.tolist(), linear.bias.tolist())
            for x in (*row_w, b)
        ]

    def accuracy(self) -> float:
        with self.torch.no_grad():
            scores = self.model(self.X)[:, 0].numpy()
        return float(np.mean((scores > 0) == (self.y.numpy() > 0)))


def demo_rows(steps: int = DEMO_STEPS) -> list[Row]:
    X, y = _demo_data()
    weights = _initial_weights([2, 16, 16, 1])
    runs = {
        "backproplab": _Ours(weights, X, y),
        "micrograd": _Micrograd(weights, X, y),
        "numpy": _Numpy(weights, X, y),
    }
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # micrograd recurses
    times: dict[str, list[float]] = {name: [] for name in runs}
    for k in range(steps):
        for name, run in runs.items():
            gc.collect()
            start = perf_counter()
            run.step(k)
            times[name].append(perf_counter() - start)
    per_step = {name: statistics.median(t) * 1e3 for name, t in times.items()}
    accuracy = {name: run.accuracy() for name, run in runs.items()}
    return [
        Row(
            "micrograd's demo: one training step",
            "ms/step",
            per_step,
            note=f"100 moons points, MLP(2, [16, 16, 1]) relu, max-margin + 1e-4 L2, full "
            f"batch, SGD lr 1.0 - 0.9 k / 100; median of {steps} steps, engines in lockstep "
            f"from the same initial weights",
        ),
        Row(f"micrograd's demo: accuracy after {steps} steps", "accuracy", accuracy, kind="score"),
    ]


def classifier_rows(batch_size: int = 32) -> list[Row]:
    """MLP 64-32-10, softmax cross-entropy, one epoch of mini-batches over 1,000 samples.

    micrograd cannot run it: it has no exp or log, so no softmax.
    """
    X, y = nn.data.make_blobs(n_samples=1000, centers=10, n_features=64, seed=0)
    X = (X - X.mean(0)) / X.std(0)
    weights = _initial_weights([64, 32, 10], seed=1)
    for W, _ in weights:
        W *= np.sqrt(1.0 / W.shape[1])  # keep the logits moderate at the start

    model = nn.MLP(64, [32, 10], activation="relu", seed=0)
    _set_weights(model, weights)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)

    def ours() -> float:
        start = perf_counter()
        for xb, yb in nn.data.batches(X, y, batch_size=batch_size, shuffle=False):
            logits = model(xb)
            loss = nn.cross_entropy(logits, yb.tolist())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return perf_counter() - start

    params = [(W.copy(), b.copy()) for W, b in weights]

    def vectorised() -> float:
        start = perf_counter()
        for xb, yb in nn.data.batches(X, y, batch_size=batch_size, shuffle=False):
            numpy_softmax_mlp_step(params, xb, yb, lr=0.1)
        return perf_counter() - start

    gc.collect()
    t_ours = ours()
    t_numpy = statistics.median(vectorised() for _ in range(5))
    return [
        Row(
            "MLP 64-32-10, softmax cross-entropy: one epoch",
            "s/epoch",
            {"backproplab": t_ours, "numpy": t_numpy},
            note=f"1,000 blobs samples of 64 features, 10 classes, mini-batches of "
            f"{batch_size}, SGD lr 0.1; micrograd has no exp or log, so it cannot run it",
        )
    ]


def run(steps: int = DEMO_STEPS) -> list[Row]:
    return [*demo_rows(steps), *classifier_rows()]


def numpy_softmax_mlp_step(
    params: list[tuple[np.ndarray, np.ndarray]], xb: np.ndarray, yb: np.ndarray, lr: float
) -> None:
    """One SGD step of the relu 64-32-10 softmax classifier in numpy, in place: the
    vectorised reference of the classifier rows (eager here, compiled in compiled.py)."""
    (W1, b1), (W2, b2) = params
    z1 = xb @ W1.T + b1
    h1 = np.maximum(z1, 0.0)
    logits = h1 @ W2.T + b2
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(yb)), yb] -= 1.0
    d_logits = p / len(yb)
    d_h1 = (d_logits @ W2) * (z1 > 0.0)
    W2 -= lr * (d_logits.T @ h1)
    b2 -= lr * d_logits.sum(0)
    W1 -= lr * (d_h1.T @ xb)
    b1 -= lr * d_h1.sum(0)
