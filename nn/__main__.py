"""`python -m nn`: train an MLP on a built-in dataset and draw what happened.

    python -m nn                                  # moons, the defaults below
    python -m nn --dataset spirals --hidden 32,32 --optimizer adam --epochs 200

Prints a summary (data, model, optimizer, final train/test loss and accuracy, time)
and writes to --out (./out): the loss curves (loss.png), the decision boundary over
the data (decision_boundary.png), and the computation graph of one neuron after a
backward pass (neuron_graph.svg).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd
from nn import data, losses, optim
from nn.layers import MLP
from nn.train import evaluate, fit

DATASETS: dict[str, Callable[[int], tuple[Any, Any]]] = {
    "moons": lambda seed: data.make_moons(n_samples=200, noise=0.1, seed=seed),
    "circles": lambda seed: data.make_circles(n_samples=200, noise=0.05, seed=seed),
    "spirals": lambda seed: data.make_spirals(n_samples=300, classes=3, seed=seed),
    "blobs": lambda seed: data.make_blobs(n_samples=200, centers=3, seed=seed),
    "xor": lambda seed: data.xor(n_samples=200, noise=0.1, seed=seed),
}
OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "nesterov": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: optim.AdamW(params, lr=lr),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
    "adagrad": lambda params, lr: optim.Adagrad(params, lr=lr),
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "softplus", "linear")


def _choice(allowed: Sequence[str], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {text!r}; choose one of: {', '.join(allowed)}"
            )
        return text

    return parse


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"--hidden takes layer widths separated by commas, e.g. 16,16; got {text!r}"
        )
    return sizes


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train an MLP on a built-in 2-D dataset with backproplab and draw it.",
    )
    p.add_argument(
        "--dataset",
        type=_choice(list(DATASETS), "dataset"),
        default="moons",
        help=f"one of {', '.join(DATASETS)} (default: moons)",
    )
    p.add_argument(
        "--hidden",
        type=_hidden,
        default=[16, 16],
        help="hidden layer widths, comma separated (default: 16,16)",
    )
    p.add_argument(
        "--activation",
        type=_choice(ACTIVATIONS, "activation"),
        default="tanh",
        help=f"hidden activation: {', '.join(ACTIVATIONS)} (default: tanh)",
    )
    p.add_argument(
        "--optimizer",
        type=_choice(list(OPTIMIZERS), "optimizer"),
        default="adam",
        help=f"one of {', '.join(OPTIMIZERS)} (default: adam)",
    )
    p.add_argument("--lr", type=_positive(float), default=0.02, help="learning rate (0.02)")
    p.add_argument("--epochs", type=_positive(int), default=120, help="epochs (default: 120)")
    p.add_argument(
        "--batch-size", type=_positive(int), default=32, help="mini-batch size (default: 32)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for data, weights, shuffling")
    p.add_argument("--out", type=Path, default=Path("out"), help="output folder (./out)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    X, y = DATASETS[args.dataset](args.seed)
    X_train, X_test, y_train, y_test = data.train_test_split(
        X, y, test_size=0.25, seed=args.seed, stratify=True
    )
    classes = int(y.max()) + 1
    model = MLP(2, [*args.hidden, classes], activation=args.activation, seed=args.seed)
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), args.lr)
    print(
        f"data:      {args.dataset}, {len(X_train)} train / {len(X_test)} test samples, "
        f"{classes} classes"
    )
    print(
        f"model:     MLP(2, {[*args.hidden, classes]}), {args.activation}, "
        f"{model.num_parameters()} parameters"
    )
    print(
        f"optimizer: {args.optimizer}, lr {args.lr}, batch size {args.batch_size}, "
        f"{args.epochs} epochs"
    )

    history = fit(
        model,
        X_train,
        y_train,
        loss=losses.cross_entropy,
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_data=(X_test, y_test),
        progress=not args.no_progress,
        seed=args.seed,
    )
    train = evaluate(model, X_train, y_train, loss=losses.cross_entropy)
    test = evaluate(model, X_test, y_test, loss=losses.cross_entropy)
    print(
        f"stopped:   {history.stop_reason} after {history.epochs} epochs, {history.seconds:.1f} s"
    )
    print(f"train:     loss {train['loss']:.4f}, accuracy {train['accuracy']:.1%}")
    print(f"test:      loss {test['loss']:.4f}, accuracy {test['accuracy']:.1%}")

    args.out.mkdir(parents=True, exist_ok=True)
    written = [
        _plot_history(history, args.out / "loss.png"),
        _plot_boundary(model, X, y, args.out / "decision_boundary.png", args.dataset),
        _neuron_graph(model, X_train[0], args.out / "neuron_graph.svg"),
    ]
    for path in written:
        print(f"wrote:     {path}")
    return 0


def _pyplot() -> Any:
    """matplotlib.pyplot drawing to files only (no window, works without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_history(history: Any, path: Path) -> Path:
    plt = _pyplot()

    fig, ax = plt.subplots(figsize=(7, 4))
    history.plot(ax)
    ax.set_title("loss per epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_boundary(model: MLP, X: Any, y: Any, path: Path, title: str) -> Path:
    plt = _pyplot()

    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 100)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 100)
    grid = np.array([[a, b] for b in ys for a in xs])
    with autograd.no_grad():
        classes = [int(np.argmax([v.data for v in model(row)])) for row in grid.tolist()]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xs, ys, np.array(classes).reshape(len(ys), len(xs)), alpha=0.3, cmap="viridis")
    ax.scatter(X[:, 0], X[:, 1], c=y, s=14, cmap="viridis", edgecolors="k", linewidths=0.3)
    ax.set_title(f"decision boundary: {title}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _neuron_graph(model: MLP, x: Any, path: Path) -> Path:
    """The first hidden neuron on one sample, after backward: every local gradient shown."""
    neuron = model.layers[0].neurons[0]
    out = neuron(x.tolist())
    out.label = "layers.0.neurons.0 output"
    for p in neuron.parameters():
        p.grad = 0.0
    out.backward()
    autograd.save_graph(out, path, show_local_grads=True)
    return path


if __name__ == "__main__":
    sys.exit(main())
