"""The Makefile's `lab` target: JupyterLab into the venv, then the course opened in it.

The target is read with `make -n` (nothing runs) against an empty venv folder, so every
set-up step it would take is printed; starting a real server is left to the user.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(target: str, venv: Path) -> list[list[str]]:
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return [shlex.split(line) for line in out.replace("\\\n", " ").splitlines() if line.strip()]


def test_make_lab_installs_jupyterlab_into_the_venv_then_opens_the_notebooks(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    commands = _dry_run("lab", venv)
    installs = [c for c in commands if c[:4] == [f"{venv}/bin/python", "-m", "pip", "install"]]
    extras = {re.sub(r".*\[(.*)\].*", r"\1", a) for c in installs for a in c if a.startswith(".[")}
    assert any("lab" in e.split(",") for e in extras), f"no install of the lab extra: {installs}"
    (server,) = [c for c in commands if c[0] == f"{venv}/bin/jupyter"]
    assert server[1] == "lab" and "--notebook-dir=notebooks" in server
    # the server is started last, after everything it needs is installed
    assert commands[-1] == server
    lab_extra = read_configuration(ROOT / "pyproject.toml", expand=False)["project"][
        "optional-dependencies"
    ]["lab"]
    assert any(r.startswith("jupyterlab") for r in lab_extra)
    assert any(r.startswith("backproplab[") and "notebooks" in r for r in lab_extra)


def test_the_readme_tells_how_to_open_the_course() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course = readme.split("## The course", 1)[1].split("\n## ", 1)[0]
    assert "`make lab`" in course
