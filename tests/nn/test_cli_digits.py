"""`python -m nn --dataset digits`: the 8x8 handwritten digits, trained compiled."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.__main__ import main


def _numpy_accuracy(
    state: dict[str, float], sizes: list[int], X: np.ndarray, y: np.ndarray
) -> float:
    """Accuracy of a tanh MLP with a linear output, in numpy from its named weights."""
    a = X
    for i, width in enumerate(sizes):
        W = np.array(
            [
                [state[f"layers.{i}.neurons.{k}.w.{j}"] for j in range(a.shape[1])]
                for k in range(width)
            ]
        )
        b = np.array([state[f"layers.{i}.neurons.{k}.b"] for k in range(width)])
        a = a @ W.T + b
        a = np.tanh(a) if i < len(sizes) - 1 else a
    return float(np.mean(a.argmax(axis=1) == y))


def test_the_digits_train_compiled_and_the_printed_accuracy_is_the_saved_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "digits"
    args = ["--dataset", "digits", "--epochs", "4", "--hidden", "12", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "data:      digits, 1347 train / 450 test samples, 10 classes" in printed
    assert "model:     MLP(64, [12, 10]), tanh, 910 parameters" in printed  # 64*12+12 + 12*10+10
    assert ", compiled" in printed
    match = re.search(r"^test:\s+loss \S+, accuracy (\S+)%$", printed, re.MULTILINE)
    assert match is not None, printed
    X, y = nn.data.load_digits()
    _, X_test, _, y_test = nn.data.train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    model = nn.load_model(out / "model.json")
    accuracy = _numpy_accuracy(model.state_dict(), [12, 10], X_test, y_test)
    assert float(match[1]) / 100 == pytest.approx(accuracy, abs=5e-4)
    assert accuracy > 0.8  # four epochs already read most digits
    assert not (out / "decision_boundary.png").exists()  # 64 inputs: no 2-D picture


def test_the_digits_without_scikit_learn_say_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert main(["--dataset", "digits", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "pip install scikit-learn" in capsys.readouterr().err
