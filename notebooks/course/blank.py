"""Make the learner's copies of the course: every solution blanked, the checks left in.

``make exercises`` runs ``python -m notebooks.course.blank``, which writes a copy of every
notebook to ``exercises/`` (with this package beside them, so ``from course import ...``
works there too). In a notebook with exercises, each code cell tagged ``solution`` (cell
metadata ``tags``) is blanked and every output is cleared, since a figure or a printed
number can give an answer away; notebooks without exercises are copied as they are.

Inside a solution cell, what to blank is marked, so the surrounding code stays:

- the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` become one
  ``raise NotImplementedError(...)`` at the marker's indentation (a function body);
- a line ``name = expression  # SOLUTION`` becomes ``name = ...  # your answer``.

A solution cell that marks nothing is refused, so no answer ships by mistake. The
blanked checks then fail with `report.NotAnswered`, which says which cell to fill in.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
CHECK_TAG = "check"
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
PLACEHOLDER = 'raise NotImplementedError("exercise: write this part")'
# `name = expression  # SOLUTION`; the `(?!=)` keeps a comparison `a == b` out.
_INLINE = re.compile(r"^(?P<target>\s*[^=#]+?)\s*=(?!=)\s*(?P<value>.+?)\s*#\s*SOLUTION\s*$")

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """The cell's metadata tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def blank_source(source: str, where: str = "the cell") -> str:
    """`source` with every marked solution replaced (see the module docstring).

    Raises ValueError naming `where` for an unclosed or nested block, or a cell that
    marks nothing.
    """
    out: list[str] = []
    inside = False
    marked = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{where}: {BEGIN!r} inside another solution block")
            inside = marked = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{PLACEHOLDER}")
        elif stripped == END:
            if not inside:
                raise ValueError(f"{where}: {END!r} without a {BEGIN!r} before it")
            inside = False
        elif inside:
            continue
        elif (match := _INLINE.match(line)) is not None:
            marked = True
            out.append(f"{match['target']} = ...  # your answer")
        else:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN!r} is never closed by {END!r}")
    if not marked:
        raise ValueError(
            f"{where} is tagged {SOLUTION_TAG!r} but marks nothing to blank: put the answer "
            f"between {BEGIN!r} and {END!r}, or end its line with '# SOLUTION'"
        )
    return "\n".join(out)


def has_exercises(notebook: nbformat.NotebookNode) -> bool:
    """Whether any code cell of `notebook` is tagged as a solution."""
    return any(cell.cell_type == "code" and SOLUTION_TAG in tags(cell) for cell in notebook.cells)


def blank_notebook(
    notebook: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """A copy of `notebook` with its solutions blanked and every output cleared."""
    blanked = copy.deepcopy(notebook)
    for index, cell in enumerate(blanked.cells):
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in tags(cell):
            cell.source = blank_source(cell.source, f"{name} cell {index}")
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    return blanked


def write_copies(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """Write the learner's copy of each notebook in `paths` to `out_dir`, with this
    package beside them; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        HERE, out_dir / HERE.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    written = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
        if has_exercises(notebook):
            notebook = blank_notebook(notebook, path.name)
        target = out_dir / path.name
        nbformat.write(notebook, target)  # type: ignore[no-untyped-call]
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """The command line: ``python -m notebooks.course.blank [--out DIR] [NOTEBOOK ...]``."""
    from notebooks.run import notebook_paths

    parser = argparse.ArgumentParser(prog="python -m notebooks.course.blank", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to copy (default: all)")
    parser.add_argument("--out", type=Path, default=Path("exercises"), help="where to write")
    args = parser.parse_args(argv)
    written = write_copies(args.paths or notebook_paths(), args.out)
    with_exercises = [p.name for p in written if has_exercises(nbformat.read(p, as_version=4))]  # type: ignore[no-untyped-call]
    print(f"wrote {len(written)} notebooks to {args.out}/ ({len(with_exercises)} with exercises)")


if __name__ == "__main__":
    main()
