"""Every course notebook runs top to bottom in a clean kernel, its assert cells included."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebooks.run import execute, notebook_paths

NOTEBOOKS = notebook_paths()


def test_the_course_has_its_notebooks() -> None:
    names = [path.stem for path in NOTEBOOKS]
    assert len(names) == 12, names
    assert [name[:2] for name in names] == [f"{i:02d}" for i in range(1, 13)]


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
