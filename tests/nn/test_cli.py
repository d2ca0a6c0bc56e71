"""`python -m nn`, end to end in a subprocess: what it prints, what it writes, its option
checking, its default learning rates, and Ctrl-C (real signals)."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import nn
from nn.__main__ import OPTIMIZERS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "nn", "--no-progress"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def _printed(stdout: str, line: str) -> dict[str, float]:
    """The numbers of a summary line such as ``test:      loss 0.1234, accuracy 97.5%``."""
    match = re.search(rf"^{line}:\s+loss (\S+), accuracy (\S+)%$", stdout, re.MULTILINE)
    assert match is not None, stdout
    return {"loss": float(match[1]), "accuracy": float(match[2]) / 100}


def _numpy_loss_and_accuracy(
    state: dict[str, float], sizes: list[int], X: np.ndarray, y: np.ndarray
) -> tuple[float, float]:
    """Cross-entropy and accuracy of a tanh MLP with a linear output, in numpy from its
    named weights (layers.i.neurons.k.w.j, layers.i.neurons.k.b)."""
    a = X
    for i, width in enumerate(sizes):
        fan_in = a.shape[1]
        W = np.array(
            [[state[f"layers.{i}.neurons.{k}.w.{j}"] for j in range(fan_in)] for k in range(width)]
        )
        b = np.array([state[f"layers.{i}.neurons.{k}.b"] for k in range(width)])
        z = a @ W.T + b
        a = np.tanh(z) if i < len(sizes) - 1 else z
    shifted = a - a.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean()), float(np.mean(a.argmax(axis=1) == y))


def test_cli_prints_the_numbers_of_the_model_it_saves(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = _run("--epochs", "3", "--hidden", "4", "--out", str(out), "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "data:      moons, 150 train / 50 test samples, 2 classes" in result.stdout
    # 2 inputs -> 4 -> 2: (2 * 4 + 4) + (4 * 2 + 2) parameters
    assert "model:     MLP(2, [4, 2]), tanh, 22 parameters" in result.stdout
    assert "optimizer: adam, lr 0.02, batch size 32, 3 epochs" in result.stdout
    assert re.search(r"^stopped:   epochs after 3 epochs, [\d.]+ s$", result.stdout, re.MULTILINE)
    # the printed losses and accuracies are those of the saved model, recomputed in numpy
    model = nn.load_model(out / "model.json")
    assert f"wrote:     {out / 'model.json'}" in result.stdout
    X, y = nn.data.make_moons(n_samples=200, noise=0.1, seed=1)
    X_train, X_test, y_train, y_test = nn.data.train_test_split(
        X, y, test_size=0.25, seed=1, stratify=True
    )
    for line, (Xs, ys) in (("train", (X_train, y_train)), ("test", (X_test, y_test))):
        loss, accuracy = _numpy_loss_and_accuracy(model.state_dict(), [4, 2], Xs, ys)
        assert _printed(result.stdout, line) == {
            "loss": pytest.approx(loss, abs=5e-5),
            "accuracy": pytest.approx(accuracy, abs=5e-4),
        }
    for name in ("loss.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
        assert f"wrote:     {out / name}" in result.stdout
    svg = ET.parse(out / "neuron_graph.svg").getroot()
    assert svg.tag.endswith("svg")
    texts = "".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    assert "layers.0.neurons.0.w.0" in texts  # parameters carry their dotted names
    # the two explorer pages: the neuron's backward pass, and the run every 3 // 10 -> 1 epochs
    for name, holds in (("graph.html", "layers.0.neurons.0.w.0"), ("training.html", "moons")):
        page = (out / name).read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and holds in page
        assert f"wrote:     {out / name}" in result.stdout
    frames = re.search(r'class="bpl-data">(.*?)</script>', (out / "training.html").read_text())
    assert frames is not None
    assert [f["epoch"] for f in json.loads(frames.group(1))["frames"]] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("option", "value", "listed"),
    [
        ("--dataset", "mnist", "moons"),
        ("--optimizer", "lbfgs", "adam"),
        ("--activation", "gelu", "tanh"),
        ("--hidden", "16,x", "16,16"),
        ("--lr", "-1", "positive"),
        ("--lr", "inf", "positive"),
        ("--lr", "nan", "positive"),
        ("--lr", "1e-400", "positive"),
        ("--epochs", "0", "positive"),
        ("--epochs", "2.5", "positive"),
        ("--batch-size", "0", "positive"),
        ("--seed", "-1", ">= 0"),
        ("--seed", "x", ">= 0"),
    ],
)
def test_bad_option_values_are_usage_errors_listing_what_is_allowed(
    option: str, value: str, listed: str, tmp_path: Path
) -> None:
    result = _run(option, value, "--out", str(tmp_path))
    assert result.returncode == 2
    assert listed in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("where", "message"),
    [("a_file", "exists and is not a folder"), ("a_file/below", "cannot write there")],
)
def test_an_unusable_out_folder_is_a_usage_error_before_training(
    where: str, message: str, tmp_path: Path
) -> None:
    (tmp_path / "a_file").write_text("keep me")
    result = _run("--out", str(tmp_path / where))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was trained
    assert (tmp_path / "a_file").read_text() == "keep me"


def test_the_out_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper"
    result = _run("--epochs", "1", "--hidden", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "decision_boundary.png",
        "graph.html",
        "loss.png",
        "model.json",
        "neuron_graph.svg",
        "training.html",
    ]


def test_help_states_every_default_learning_rate() -> None:
    result = _run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines anywhere
    for name, choice in OPTIMIZERS.items():
        assert f"{name} {choice.default_lr:g}" in text


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_reaches_95_percent_on_moons_with_its_defaults(
    optimizer: str, tmp_path: Path
) -> None:
    result = _run("--optimizer", optimizer, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"lr {OPTIMIZERS[optimizer].default_lr:g}," in result.stdout
    assert "120 epochs" in result.stdout
    assert _printed(result.stdout, "test")["accuracy"] >= 0.95


class _LongRun:
    """``python -m nn`` training for 100,000 epochs in a subprocess, its output read by a
    thread so that waiting for a line has a deadline (a run that never prints it fails
    the test instead of hanging it)."""

    def __init__(self, out: Path) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, "--epochs", "100000", "--hidden", "4", "--out", str(out)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")  # the end

    def wait_for(self, start: str, seconds: float = 120.0) -> None:
        """Read the summary until a line that starts with ``start``."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                pytest.fail(f"no line {start!r} within {seconds} s; got {self.stdout}")
            self.stdout.append(line)
            if line.startswith(start):
                return
            if not line:
                pytest.fail(f"the run ended before a line {start!r}; got {self.stdout}")

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C delivers

    def finish(self) -> tuple[str, str]:
        """(all of stdout, stderr) once the process has ended."""
        try:
            self.process.wait(timeout=300)  # stderr is a few lines: its pipe cannot fill
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        while True:
            line = self.lines.get(timeout=10)
            if not line:
                return "".join(self.stdout), stderr
            self.stdout.append(line)


def test_ctrl_c_stops_training_writes_everything_and_exits_130(tmp_path: Path) -> None:
    run = _LongRun(tmp_path)
    run.wait_for("optimizer:")
    time.sleep(2.0)  # into the epochs
    run.interrupt()
    stdout, stderr = run.finish()
    assert run.process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert re.search(r"^stopped:   interrupted after \d+ epochs", stdout, re.MULTILINE), stdout
    model = nn.load_model(tmp_path / "model.json")  # the interrupted run's model
    untrained = nn.MLP(2, [4, 2], seed=0)
    assert model.state_dict() != untrained.state_dict()
    for name in ("loss.png", "decision_boundary.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "neuron_graph.svg").exists()


def test_a_second_ctrl_c_while_writing_ends_without_a_traceback(tmp_path: Path) -> None:
    run = _LongRun(tmp_path)
    run.wait_for("optimizer:")
    time.sleep(2.0)  # into the epochs
    run.interrupt()
    run.wait_for("stopped:")
    run.interrupt()  # while it evaluates and writes
    _, stderr = run.finish()
    assert run.process.returncode == 130
    assert "interrupted: stopped without finishing the output" in stderr
    assert "Traceback" not in stderr
    # whatever was written is whole: no temporary file is left, every file reads
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    if (tmp_path / "model.json").exists():
        nn.load_model(tmp_path / "model.json")
    for name in ("loss.png", "decision_boundary.png"):
        if (tmp_path / name).exists():
            assert (tmp_path / name).read_bytes()[:8] == PNG_MAGIC
