"""Execute the course notebooks in a clean kernel.

``python -m notebooks.run`` (what ``make notebooks`` calls) re-executes every notebook
in place, so the committed outputs are the ones the code produces. The test suite
calls `execute` on a copy and fails on any error or failed assert cell.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
TIMEOUT_PER_CELL = 120  # seconds; a whole notebook is meant to run in well under a minute


def notebook_paths() -> list[Path]:
    """The course's notebooks, in order: the numbered chapters, then the appendices
    (``A1_...``), which build on the whole course but nothing builds on them."""
    chapters = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    return chapters + sorted(HERE.glob("A[0-9]_*.ipynb"))


def execute(path: Path) -> nbformat.NotebookNode:
    """Run every cell of `path` top to bottom in a fresh kernel; return the executed notebook.

    Raises nbclient's CellExecutionError, which names the failing cell, on any error.
    """
    notebook: nbformat.NotebookNode = nbformat.read(  # type: ignore[no-untyped-call]
        path, as_version=4
    )
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_PER_CELL,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m notebooks.run", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: all)")
    args = parser.parse_args()
    paths = args.paths or notebook_paths()
    for path in paths:
        start = time.perf_counter()
        executed = execute(path)
        nbformat.write(executed, path)  # type: ignore[no-untyped-call]
        print(f"{path.name}: ran in {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
