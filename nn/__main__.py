"""`python -m nn`: train an MLP on a built-in dataset and draw what happened.

    python -m nn                                  # moons, the defaults below
    python -m nn --dataset spirals --hidden 32,32 --optimizer adam --epochs 200
    python -m nn --dataset digits                 # 8x8 handwritten digits, compiled

Prints a summary (data, model, optimizer, final train/test loss and accuracy, time)
and writes to --out (./out, checked and created before anything is trained): the
trained model (model.json, loadable with `nn.load_model`), the loss curves
(loss.png), the decision boundary over the data (decision_boundary.png), the
computation graph of one neuron after a backward pass (neuron_graph.svg), and two
interactive pages that open in any browser, offline: that neuron's backward pass step
by step (graph.html, `autograd.explore`) and the run epoch by epoch (training.html,
`History.explore`, for 2-D data).

Every optimizer has its own default learning rate (`OPTIMIZERS`), one with which it
reaches 95% test accuracy on moons in the default epochs. A bad option is a usage
error (exit status 2). Ctrl-C stops the training after the current step; the model
and the pictures of the run so far are still written, and the exit status is 130 (the
shell's convention for Ctrl-C). A second Ctrl-C while writing ends the program at
once, without a traceback (each file is written whole or not at all).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import autograd
from nn import data, losses, optim
from nn._compiled import BatchOutputs
from nn.layers import ACTIVATIONS, MLP
from nn.train import History, evaluate, fit

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a program ended by Ctrl-C

DATASETS: dict[str, Callable[[int], tuple[Any, Any]]] = {
    "moons": lambda seed: data.make_moons(n_samples=200, noise=0.1, seed=seed),
    "circles": lambda seed: data.make_circles(n_samples=200, noise=0.05, seed=seed),
    "spirals": lambda seed: data.make_spirals(n_samples=300, classes=3, seed=seed),
    "blobs": lambda seed: data.make_blobs(n_samples=200, centers=3, seed=seed),
    "xor": lambda seed: data.xor(n_samples=200, noise=0.1, seed=seed),
    # scikit-learn's 8x8 handwritten digits: fixed data (the seed shuffles the split)
    "digits": lambda seed: data.load_digits(),
}
# Datasets trained with fit(compile=True): 64 inputs per sample are slow in eager mode.
COMPILED = frozenset({"digits"})


@dataclass(frozen=True)
class OptimizerChoice:
    """How ``--optimizer NAME`` builds its optimizer, and the learning rate it gets
    when ``--lr`` is not given."""

    build: Callable[[list[autograd.Value], float], optim.Optimizer]
    default_lr: float


# Each default lr reaches >= 95% test accuracy on moons with the default epochs, batch
# size and model (tests/nn/test_cli.py runs every one).
OPTIMIZERS: dict[str, OptimizerChoice] = {
    "sgd": OptimizerChoice(lambda params, lr: optim.SGD(params, lr=lr), 0.3),
    "momentum": OptimizerChoice(lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9), 0.03),
    "nesterov": OptimizerChoice(
        lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True), 0.03
    ),
    "adam": OptimizerChoice(lambda params, lr: optim.Adam(params, lr=lr), 0.02),
    "adamw": OptimizerChoice(lambda params, lr: optim.AdamW(params, lr=lr), 0.02),
    "rmsprop": OptimizerChoice(lambda params, lr: optim.RMSprop(params, lr=lr), 0.01),
    "adagrad": OptimizerChoice(lambda params, lr: optim.Adagrad(params, lr=lr), 0.1),
}


# ---------------------------------------------------------------- the options


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


def _number(kind: type, minimum: float, what: str) -> Callable[[str], Any]:
    """A parser of finite numbers of ``kind`` that are >= ``minimum``."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
            usable = math.isfinite(value) and value >= minimum
        except (ValueError, OverflowError):  # not a number; an int beyond any float
            usable = False
        if not usable:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_float = _number(float, math.ulp(0.0), "a positive number")
_positive_int = _number(int, 1, "a positive int")
_seed = _number(int, 0, "an int >= 0 (a seed)")


def _lr_defaults() -> str:
    return ", ".join(f"{name} {choice.default_lr:g}" for name, choice in OPTIMIZERS.items())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train an MLP on a built-in dataset (2-D toy sets, or the 8x8 "
        "handwritten digits) with backproplab and draw it.",
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
        type=_choice(list(ACTIVATIONS), "activation"),
        default="tanh",
        help=f"hidden activation: {', '.join(ACTIVATIONS)} (default: tanh)",
    )
    p.add_argument(
        "--optimizer",
        type=_choice(list(OPTIMIZERS), "optimizer"),
        default="adam",
        help=f"one of {', '.join(OPTIMIZERS)} (default: adam)",
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help=f"learning rate (default per optimizer: {_lr_defaults()}; with each, "
        f"moons reaches >= 95%% test accuracy in the default epochs)",
    )
    p.add_argument("--epochs", type=_positive_int, default=120, help="epochs (default: 120)")
    p.add_argument(
        "--batch-size", type=_positive_int, default=32, help="mini-batch size (default: 32)"
    )
    p.add_argument(
        "--seed", type=_seed, default=0, help="seed for data, weights, shuffling (default: 0)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("out"),
        help="output folder, created if missing: the model (model.json) and the pictures "
        "(default: ./out)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _usable_folder(out: Path) -> str | None:
    """Create ``out`` (and its parents) and check that files can be written there; the
    reason when not."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: exists and is not a folder; give a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        return f"--out {out}: cannot write there ({err.strerror or err}); give another folder"
    return None


# ---------------------------------------------------------------- the run


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    problem = _usable_folder(args.out)
    if problem is not None:
        p.error(problem)  # exits with status 2
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("interrupted: stopped without finishing the output", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        X, y = DATASETS[args.dataset](args.seed)
    except ImportError as err:  # digits without scikit-learn: say what to install
        print(f"python -m nn: error: {err}", file=sys.stderr)
        return 2
    X_train, X_test, y_train, y_test = data.train_test_split(
        X, y, test_size=0.25, seed=args.seed, stratify=True
    )
    classes = int(y.max()) + 1
    sizes = [*args.hidden, classes]
    model = MLP(X.shape[1], sizes, activation=args.activation, seed=args.seed)
    choice = OPTIMIZERS[args.optimizer]
    lr = choice.default_lr if args.lr is None else args.lr
    optimizer = choice.build(model.parameters(), lr)
    say(
        f"data:      {args.dataset}, {len(X_train)} train / {len(X_test)} test samples, "
        f"{classes} classes"
    )
    say(
        f"model:     MLP({X.shape[1]}, {sizes}), {args.activation}, "
        f"{model.num_parameters()} parameters"
    )
    say(
        f"optimizer: {args.optimizer}, lr {lr:g}, batch size {args.batch_size}, "
        f"{args.epochs} epochs" + (", compiled" if args.dataset in COMPILED else "")
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
        compile=args.dataset in COMPILED,
        record=max(1, args.epochs // EXPLORER_FRAMES),
    )
    say(f"stopped:   {history.stop_reason} after {history.epochs} epochs, {history.seconds:.1f} s")
    train = evaluate(model, X_train, y_train, loss=losses.cross_entropy)
    test = evaluate(model, X_test, y_test, loss=losses.cross_entropy)
    say(f"train:     loss {train['loss']:.4f}, accuracy {train['accuracy']:.1%}")
    say(f"test:      loss {test['loss']:.4f}, accuracy {test['accuracy']:.1%}")

    for path in _write_results(model, history, (X_train, y_train), (X_test, y_test), args):
        say(f"wrote:     {path}")
    return EXIT_INTERRUPTED if history.stop_reason == "interrupted" else 0


def say(line: str) -> None:
    """One line of the summary, flushed (a pipe shows it at once)."""
    print(line, flush=True)


def _write_results(
    model: MLP, history: History, train: Any, test: Any, args: argparse.Namespace
) -> list[Path]:
    """The model first (it is what a run is for), then the pictures."""
    out: Path = args.out
    written = [_save_model(model, out / "model.json"), _plot_history(history, out / "loss.png")]
    if model.in_features == 2:
        written.append(
            _plot_boundary(model, train, test, out / "decision_boundary.png", args.dataset)
        )
    neuron = _first_neuron(model, train[0][0])
    written.append(_neuron_graph(neuron, out / "neuron_graph.svg"))
    written.append(_page(autograd.explore(neuron, title=NEURON_TITLE), out / "graph.html"))
    if model.in_features == 2:
        page = history.explore(model, *train, *test, title=f"training on {args.dataset}")
        written.append(_page(page, out / "training.html"))
    return written


def _save_model(model: MLP, path: Path) -> Path:
    model.save(path)  # atomic: a temporary file next to it, then renamed
    return path


def _pyplot() -> Any:
    """matplotlib.pyplot drawing to files only (no window, works without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _whole(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(a temporary path)``, then rename it to ``path``: the file is written whole
    or not at all, even when a second Ctrl-C stops the writing."""
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _save_figure(fig: Any, path: Path) -> Path:
    return _whole(path, lambda tmp: fig.savefig(tmp, dpi=110))


def _plot_history(history: History, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        history.plot(ax)
        ax.set_title("loss per epoch")
        fig.tight_layout()
        return _save_figure(fig, path)
    finally:
        plt.close(fig)


def _predicted_classes(model: MLP, points: NDArray[np.float64]) -> NDArray[np.int64]:
    """The class the model gives each point: the argmax of its outputs, in one batch call."""
    scores = BatchOutputs(model, points[0])(points)  # one vectorised call, not one per point
    classes: NDArray[np.int64] = np.argmax(scores.reshape(len(points), -1), axis=1).astype(np.int64)
    return classes


def _plot_boundary(model: MLP, train: Any, test: Any, path: Path, title: str) -> Path:
    """The predicted class over the plane as pale regions, the samples on top in strong
    colours of the same hue: train as circles, test as triangles, a test sample the
    model gets wrong ringed in red."""
    from matplotlib.colors import ListedColormap, to_rgb

    plt = _pyplot()
    (X_train, y_train), (X_test, y_test) = train, test
    X = np.concatenate([X_train, X_test])
    classes = int(max(y_train.max(), y_test.max())) + 1
    strong = [plt.get_cmap("tab10")(k % 10) for k in range(classes)]
    pale = ListedColormap([tuple(0.72 + 0.28 * np.array(to_rgb(c))) for c in strong])
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 100)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 100)
    gx, gy = np.meshgrid(xs, ys)
    grid = _predicted_classes(model, np.column_stack([gx.ravel(), gy.ravel()]))
    wrong = _predicted_classes(model, X_test) != y_test

    fig, ax = plt.subplots(figsize=(6.5, 5))
    try:
        ax.contourf(xs, ys, grid.reshape(gx.shape), levels=np.arange(classes + 1) - 0.5, cmap=pale)
        for k in range(classes):
            ax.scatter(
                *X_train[y_train == k].T,
                color=strong[k],
                marker="o",
                s=22,
                edgecolors="white",
                linewidths=0.5,
                label=f"class {k}, train",
            )
            ax.scatter(
                *X_test[y_test == k].T,
                color=strong[k],
                marker="^",
                s=40,
                edgecolors="black",
                linewidths=0.6,
                label=f"class {k}, test",
            )
        if wrong.any():
            ax.scatter(
                *X_test[wrong].T,
                facecolors="none",
                edgecolors="red",
                marker="o",
                s=140,
                linewidths=1.5,
                label=f"test, misclassified ({wrong.sum()})",
            )
        ax.set_xlabel("x1 (first feature)")
        ax.set_ylabel("x2 (second feature)")
        ax.set_title(f"decision boundary: {title} (background: predicted class)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        fig.tight_layout()
        return _save_figure(fig, path)
    finally:
        plt.close(fig)


NEURON_TITLE = "the first hidden neuron on the first training sample"
EXPLORER_FRAMES = 10  # training.html shows the parameters about every epochs/10 epochs


def _first_neuron(model: MLP, x: Any) -> autograd.Value:
    """The first hidden neuron on one sample, after backward."""
    neuron = model.layers[0].neurons[0]
    out: autograd.Value = neuron(x.tolist())
    out.label = "layers.0.neurons.0 output"
    for p in neuron.parameters():
        p.grad = 0.0
    out.backward()
    return out


def _neuron_graph(out: autograd.Value, path: Path) -> Path:
    """The neuron's graph with every local gradient shown."""
    return _whole(path, lambda tmp: autograd.save_graph(out, tmp, show_local_grads=True))


def _page(page: Any, path: Path) -> Path:
    return _whole(path, page.save)


if __name__ == "__main__":
    sys.exit(main())
