"""What `autograd.viz` needs from the `graphviz` package, imported only when drawing.

`import autograd` must not need graphviz, so nothing imports this module until a graph
is drawn (`autograd.viz._graphviz()` does, with a message saying what to install).
"""

from __future__ import annotations

import re
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz
from graphviz import nohtml

__all__ = ["Digraph", "GraphvizError", "GraphvizNotFoundError", "nohtml"]

# How long one call of `dot` may run (seconds) unless the graph says otherwise: Graphviz's
# layout has no bound of its own (a 163-value chain with a reused input took minutes).
DEFAULT_TIMEOUT = 30.0

INSTALL_DOT = (
    "Graphviz's `dot` program was not found on PATH. The Python package `graphviz` "
    "only writes DOT text; drawing it needs Graphviz itself. Install it with one of:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows, other: https://graphviz.org/download/ (and add its bin folder to PATH)\n"
    "then restart Python. Until then the DOT text is in the graph's `.source`."
)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):  # type: ignore[misc]
    """Graphviz's ``dot`` program is not installed (or not on PATH).

    A `RuntimeError`, and a `graphviz.ExecutableNotFound`, whose message says how to
    install Graphviz.
    """

    def __init__(self, message: str = INSTALL_DOT) -> None:
        RuntimeError.__init__(self, message)


_VALUE_NODE = re.compile(r"\s*v\d+ \[")
_OP_NODE = re.compile(r"\s*op\d+ \[")


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` failed on a graph, or did not finish within its timeout."""


class Digraph(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose every call of ``dot`` is bounded in time and whose
    failures say what happened and what to do.

    Notebook display (``_repr_mimebundle_``) goes through `pipe`, and `render` is
    written here over `pipe`, so every way of drawing it runs ``dot`` once, with
    ``timeout`` seconds (the attribute) to finish.
    """

    timeout: float = DEFAULT_TIMEOUT
    who: str = "draw_dot"
    # A picture with more of the graph in closed boxes, drawn instead when `dot` runs
    # out of time on this one (None: there is nothing simpler to draw).
    fallback: Callable[[], Digraph] | None = None

    def pipe(self, format: str | None = None, *args: Any, **kwargs: Any) -> Any:
        encoding = kwargs.get("encoding")
        command = [self.engine, f"-T{format or self.format}"]
        try:
            done = subprocess.run(
                command,
                input=self.source.encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise GraphvizNotFoundError() from graphviz.ExecutableNotFound(command)
        except subprocess.TimeoutExpired as error:
            if self.fallback is not None:
                simpler = self.fallback()
                warnings.warn(
                    f"{self.who}: Graphviz's `{self.engine}` did not lay out {repr(self)[1:-1]} "
                    f"within timeout={self.timeout:g} s; drawn with more of it in closed "
                    f"boxes instead ({repr(simpler)[1:-1]})",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return simpler.pipe(format, *args, **kwargs)
            raise GraphvizError(
                f"{self.who}: Graphviz's `{self.engine}` did not lay out this graph "
                f"({repr(self)[1:-1]}) within timeout={self.timeout:g} s and was stopped. "
                f"Draw fewer boxes: draw_dot groups a large graph (lower group_above, or "
                f"expand fewer groups), pass an intermediate Value as the root, or use "
                f"autograd.explore(root), whose own layout is bounded in time"
            ) from error
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace").strip()
            raise GraphvizError(
                f"{self.who}: Graphviz's `{self.engine}` failed (exit status "
                f"{done.returncode}): {stderr[:500]}"
            )
        return done.stdout.decode(encoding) if encoding else done.stdout

    def render(
        self,
        filename: str | None = None,
        directory: str | None = None,
        *args: Any,
        format: str | None = None,
        outfile: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Write the drawing to `outfile` (or ``directory/filename.format``); nothing else."""
        fmt = format or (Path(outfile).suffix[1:] if outfile else self.format)
        target = (
            Path(outfile) if outfile else Path(directory or ".") / f"{filename or self.name}.{fmt}"
        )
        target.write_bytes(self.pipe(format=fmt))
        return str(target)

    def __repr__(self) -> str:
        # Stable text (no memory address), so a re-run notebook's outputs do not churn.
        values = sum(1 for line in self.body if _VALUE_NODE.match(line))
        ops = sum(1 for line in self.body if _OP_NODE.match(line))
        return f"<computation graph: {values} values, {ops} operations>"
