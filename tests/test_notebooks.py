"""Every course notebook runs top to bottom in a clean kernel, its assert cells included."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebooks.run import execute, notebook_paths

NOTEBOOKS = notebook_paths()


def test_every_notebook_has_a_number_of_its_own() -> None:
    # Every notebook in the folder runs below; this only checks that no two share a
    # number, so a new notebook never needs this test changed.
    numbers = [path.stem.split("_")[0] for path in NOTEBOOKS]
    assert numbers, "no notebooks found in notebooks/"
    assert len(set(numbers)) == len(numbers), [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean(path: Path) -> None:
    executed = execute(path)
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert code_cells, f"{path.name} has no code"
    errors = [
        output
        for cell in code_cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
