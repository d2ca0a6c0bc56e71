"""What `autograd.viz` needs from the `graphviz` package, imported only when drawing.

`import autograd` must not need graphviz, so nothing imports this module until a graph
is drawn (`autograd.viz._graphviz()` does, with a message saying what to install).
"""

from __future__ import annotations

import re
from typing import Any

import graphviz
from graphviz import nohtml

__all__ = ["Digraph", "GraphvizNotFoundError", "nohtml"]

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


class Digraph(graphviz.Digraph):  # type: ignore[misc]
    """A `graphviz.Digraph` whose rendering explains how to install a missing ``dot``.

    Notebook display (``_repr_mimebundle_``), `render` and `view` all go through `pipe`
    or `render`, so overriding those two covers every way of drawing it.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def __repr__(self) -> str:
        # Stable text (no memory address), so a re-run notebook's outputs do not churn.
        values = sum(1 for line in self.body if _VALUE_NODE.match(line))
        ops = sum(1 for line in self.body if _OP_NODE.match(line))
        return f"<computation graph: {values} values, {ops} operations>"
