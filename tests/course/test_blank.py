"""The learner's copies: solutions blanked, everything else kept, and the blanked checks
fail with a message that says which exercise to fill in."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from notebooks.course.blank import (
    CHECK_TAG,
    PLACEHOLDER,
    SOLUTION_TAG,
    blank_notebook,
    blank_source,
    has_exercises,
    tags,
    write_copies,
)
from notebooks.run import notebook_paths

SOLVED = """def add(a, b):
    \"\"\"a + b.\"\"\"
    # BEGIN SOLUTION
    out = a + b
    return out
    # END SOLUTION

largest_lr = 0.9  # SOLUTION
assert largest_lr == 0.9"""


def test_a_marked_block_becomes_one_placeholder_at_its_indentation() -> None:
    blanked = blank_source(SOLVED).splitlines()
    assert blanked[:3] == ["def add(a, b):", '    """a + b."""', f"    {PLACEHOLDER}"]
    assert "out = a + b" not in "\n".join(blanked)


def test_an_inline_answer_becomes_an_ellipsis_and_comparisons_stay() -> None:
    blanked = blank_source(SOLVED).splitlines()
    assert "largest_lr = ...  # your answer" in blanked
    assert "assert largest_lr == 0.9" in blanked  # not a marked line: kept as it is


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("x = 1", "marks nothing to blank"),
        ("# BEGIN SOLUTION\nx = 1", "never closed"),
        ("# END SOLUTION", "without a"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another"),
    ],
)
def test_badly_marked_solution_cells_are_refused(source: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        blank_source(source, "05 cell 3")


def test_only_solution_cells_change_and_every_output_goes() -> None:
    notebook = nbformat.v4.new_notebook()
    solution = nbformat.v4.new_code_cell(
        "answer = 42  # SOLUTION", metadata={"tags": [SOLUTION_TAG]}
    )
    plain = nbformat.v4.new_code_cell("other = 42  # SOLUTION")
    for cell in (solution, plain):
        cell.outputs = [nbformat.v4.new_output("stream", text="42\n")]
        cell.execution_count = 1
    notebook.cells = [nbformat.v4.new_markdown_cell("# title"), solution, plain]
    blanked = blank_notebook(notebook)
    assert blanked.cells[1].source == "answer = ...  # your answer"
    assert blanked.cells[2].source == "other = 42  # SOLUTION"  # untagged: kept
    assert all(c.outputs == [] and c.execution_count is None for c in blanked.cells[1:])
    assert notebook.cells[1].source == "answer = 42  # SOLUTION"  # the original is untouched


EXERCISES = [p for p in notebook_paths() if has_exercises(nbformat.read(p, as_version=4))]


def test_the_course_has_exercises() -> None:
    assert any(p.name.startswith("05_") for p in EXERCISES)


@pytest.mark.parametrize("path", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_the_learners_copy_fails_each_check_with_a_helpful_message(
    path: Path, tmp_path: Path
) -> None:
    (copy,) = write_copies([path], tmp_path)
    assert (tmp_path / "course" / "report.py").is_file()  # the checks travel with the copy
    notebook = nbformat.read(copy, as_version=4)
    original = nbformat.read(path, as_version=4)
    for cell, before in zip(notebook.cells, original.cells):
        if SOLUTION_TAG not in tags(cell):
            assert cell.source == before.source
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    checks = [cell for cell in notebook.cells if CHECK_TAG in tags(cell)]
    assert checks, f"{path.name} has solutions but no cell tagged {CHECK_TAG!r}"
    for cell in checks:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors, f"a blank check passed in {path.name}:\n{cell.source}"
        assert errors[0].ename in {"NotAnswered", "CheckFailed"}, (cell.source, errors[0])
        assert "fill in" in errors[0].evalue or "replace the `...`" in errors[0].evalue


def test_the_command_writes_every_notebook_and_the_checkers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # what `make exercises` runs, on two notebooks: one with exercises, one without
    from notebooks.course.blank import main

    paths = [p for p in notebook_paths() if p.name.startswith(("01_", "05_"))]
    main([*map(str, paths), "--out", str(tmp_path)])
    assert "wrote 2 notebooks" in capsys.readouterr().out
    plain = nbformat.read(tmp_path / paths[0].name, as_version=4)
    assert plain == nbformat.read(paths[0], as_version=4)  # no exercises: copied as it is
    blanked = nbformat.read(tmp_path / paths[1].name, as_version=4)
    sources = "\n".join(c.source for c in blanked.cells if SOLUTION_TAG in tags(c))
    assert PLACEHOLDER in sources and "parent.grad += local * node.grad" not in sources
