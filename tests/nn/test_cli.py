"""`python -m nn`, end to end in a subprocess, and its option checking."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nn", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=None,
    )


def test_cli_trains_and_writes_three_valid_files(tmp_path: Path) -> None:
    out = tmp_path / "results"
    repo = Path(__file__).resolve().parents[2]
    result = _run("--epochs", "3", "--hidden", "4", "--out", str(out), "--seed", "1", cwd=repo)
    assert result.returncode == 0, result.stderr
    for line in ("data:", "model:", "optimizer:", "train:", "test:", "stopped:"):
        assert line in result.stdout
    assert "accuracy" in result.stdout
    for name in ("loss.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    svg = ET.parse(out / "neuron_graph.svg").getroot()
    assert svg.tag.endswith("svg")
    texts = "".join(t.text or "" for t in svg.iter() if t.tag.endswith("text"))
    assert "layers.0.neurons.0.w.0" in texts  # parameters carry their dotted names


@pytest.mark.parametrize(
    ("option", "value", "listed"),
    [
        ("--dataset", "mnist", "moons"),
        ("--optimizer", "lbfgs", "adam"),
        ("--activation", "gelu", "tanh"),
        ("--hidden", "16,x", "16,16"),
        ("--lr", "-1", "positive"),
        ("--epochs", "0", "positive"),
    ],
)
def test_bad_option_values_list_what_is_allowed(
    option: str, value: str, listed: str, tmp_path: Path
) -> None:
    result = _run(option, value, "--out", str(tmp_path), cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert listed in result.stderr
    assert not any(tmp_path.iterdir())
