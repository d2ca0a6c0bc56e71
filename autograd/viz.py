"""Pictures of a computation graph, and the backward pass one step at a time.

`draw_dot(root)` draws the graph that produced `root` the way micrograd made familiar:
one box per Value (``label | data 2.0000 | grad 1.0000``) and one small oval per
operation between a Value and its parents. Arrows point the way the forward pass
went, from parents to the operation to its result; gradients flow against them.

`backward_steps(root)` replays the chain rule without touching any ``.grad``: one
`BackwardStep` per node, in the order `Value.backward()` visits them, each saying what
the node sends to each parent. `draw_dot(root, step=k)` draws the graph as it stands
after k of those steps.

Reading the DOT source (``draw_dot(...).source``), which is deterministic:

- ``v{i}`` is the i-th Value of `topological_order(root)` (parents before the nodes
  made from them, the root last), ``op{i}`` the operation that made ``v{i}`` and
  ``in{i}`` the folded inputs of ``v{i}`` (``collapse=True``).
- Nodes are written in topological order; the edges into an operation are written in
  the order of its parents (``Value.parents``), and the layout keeps that order
  (``ordering=in``): in a left-to-right drawing the first operand is on top.
- The Value-Value operations whose operands cannot be swapped, ``-``, ``/`` and
  ``**``, read ``a - b``, ``a / b``, ``a ** b``, and their two edges are labelled ``a``
  and ``b``. A constant operand is part of the operation's name (``* 2``, ``2 -``).

Numbers are shown with four decimals (``2.0000``), or in scientific notation when
that would hide them (``|x| < 1e-3`` or ``|x| >= 1e5``: ``3.052e-07``), so that a
vanishing gradient does not print as ``0.0000``. Labels (say, a parameter's dotted name
``layers.0.neurons.3.w.1``) show exactly as written, ``{ } | < > " \\`` and newlines
included; only leading and trailing spaces are trimmed by Graphviz.

Drawing needs the ``graphviz`` Python package, imported on the first `draw_dot` (so
`backward_steps` and ``import autograd`` work without it), and rendering needs
Graphviz's ``dot`` program too. The returned graph shows itself inline in a notebook;
when ``dot`` is missing, it and `save_graph` raise `GraphvizNotFoundError`, which says
how to install it.
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from autograd._page import display_text
from autograd.engine import Value, _as_number, topological_order

if TYPE_CHECKING:
    import graphviz

    from autograd._graphviz import GraphvizError, GraphvizNotFoundError

__all__ = [
    "BackwardStep",
    "Contribution",
    "GraphvizError",
    "GraphvizNotFoundError",
    "backward_steps",
    "draw_dot",
    "save_graph",
]

# Operations with two Value operands whose order matters: their edges are labelled.
_NON_COMMUTATIVE = frozenset({"-", "/", "**"})
# Operations whose inputs `collapse=True` folds into one summary node.
_COLLAPSIBLE = frozenset({"sum", "dot", "linear", "mean"})
_RANKDIRS = ("LR", "RL", "TB", "BT")
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}

# Colours. |grad| shading runs from white (|grad| <= 1e-6 of the largest) to red.
_DECADES = 6
_WHITE = (255, 255, 255)
_RED = (214, 39, 40)
_STEP_COLOR = "#1f77b4"  # the node of the current step and the edges it sends along
_HIGHLIGHT_COLOR = "#d62728"  # draw_dot(highlight=...): the node a GradcheckError names
_SUMMARY_COLOR = "#777777"

_INSTALL_PACKAGE = (
    "{who} needs the Python package `graphviz`, which is not installed. Install it "
    "with: pip install graphviz   (or: pip install backproplab, which depends on it). "
    "Drawing also needs Graphviz's `dot` program: sudo apt-get install graphviz, "
    "brew install graphviz, or https://graphviz.org/download/."
)


def _graphviz(who: str) -> ModuleType:
    """`autograd._graphviz` (the graphviz package's classes), imported on first use.

    `import autograd` never imports graphviz; the first drawing does, and a missing
    package is reported with what to install, naming the function that needed it.
    """
    try:
        from autograd import _graphviz as module
    except ModuleNotFoundError as error:
        if error.name != "graphviz":
            raise
        raise ModuleNotFoundError(_INSTALL_PACKAGE.format(who=who), name="graphviz") from error
    return module


def __getattr__(name: str) -> Any:
    # PEP 562: the error class lives with the graphviz-dependent code; load it on use.
    if name in ("GraphvizNotFoundError", "GraphvizError"):
        return getattr(_graphviz(f"autograd.viz.{name}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------ stepping


@dataclass(frozen=True)
class Contribution:
    """What one node of the backward pass sends to one of its parents.

    ``amount = local_grad x grad of the sending node`` (the chain rule's order, used by
    every view: local derivative x upstream grad); the parent's gradient is the sum
    of the amounts it receives.
    """

    parent: Value
    local_grad: float
    amount: float


@dataclass(frozen=True)
class BackwardStep:
    """One step of the backward pass: a node, its (final) gradient, what it sends.

    ``index`` counts from 1. ``sends`` holds one `Contribution` per parent, in the
    order of ``node.parents``; a leaf sends nothing.
    """

    index: int
    node: Value
    grad: float
    sends: tuple[Contribution, ...]

    def __str__(self) -> str:
        node = self.node
        name = f"{_kind(node)} {node.label!r}" if node.label else _kind(node)
        head = f"step {self.index}: {name} (data {_short(node.data)}, grad {_short(self.grad)})"
        if not self.sends:
            return f"{head} sends nothing"
        flows = ", ".join(
            f"{_short(c.local_grad)} x {_short(self.grad)} = {_short(c.amount)} "
            f"to {_node_name(c.parent)}"
            for c in self.sends
        )
        return f"{head} sends {flows}"


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[BackwardStep]:
    """The backward pass from `root`, one `BackwardStep` per node, without changing ``.grad``.

    The steps come in the order `Value.backward()` processes the nodes (reverse
    topological order, `root` first): when a node's step comes, every node that uses it
    has already sent its share, so ``step.grad`` is final. Gradients are computed from
    zero in a dict, so they are those of one ``root.backward(grad)`` on a graph whose
    gradients were all zero (`backward` itself accumulates into leaves across calls).

    >>> x = Value(2.0, label="x")
    >>> y = (x * 3).tanh()
    >>> for step in backward_steps(y):
    ...     print(step)   # doctest: +SKIP
    """
    _check_value(root, "backward_steps")
    seed = _as_number(grad, "backward_steps(grad)")
    return _steps(topological_order(root), seed)


def _steps(order: list[Value], seed: float) -> Iterator[BackwardStep]:
    grads: dict[Value, float] = {order[-1]: seed}
    for index, node in enumerate(reversed(order), start=1):
        g = grads.get(node, 0.0)
        sends = []
        for parent, local in zip(node.parents, node.local_grads):
            amount = local * g
            grads[parent] = grads.get(parent, 0.0) + amount
            sends.append(Contribution(parent, local, amount))
        yield BackwardStep(index, node, g, tuple(sends))


# ------------------------------------------------------------------ drawing


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = False,
    color_by_grad: bool = False,
    max_nodes: int = 500,
    collapse: bool = False,
    step: int | None = None,
    highlight: Value | None = None,
    timeout: float = 30.0,
) -> graphviz.Digraph:
    """Draw the computation graph that produced `root` as a `graphviz.Digraph`.

    In a notebook the result shows inline; `save_graph` writes it to a file, and its
    ``.source`` is the DOT text (see the module docstring for how to read it).

    - ``rankdir``: "LR" (inputs on the left), "RL", "TB" or "BT".
    - ``show_grad``: show each Value's ``.grad``.
    - ``show_local_grads``: write each local derivative d(result)/d(parent) on the
      edge from the parent into the operation (``local 0.4200``).
    - ``color_by_grad``: fill each Value by |grad| on a log scale relative to the
      largest |grad| drawn: red at the largest, fading to white at a millionth of it
      or less (and at zero), so vanishing gradients show as pale boxes. A legend node
      gives the scale.
    - ``max_nodes``: a graph with more Values than this raises `ValueError` instead of
      producing a picture nobody can read (and that ``dot`` takes minutes to lay out);
      the message says what to draw instead.
    - ``collapse``: fold the inputs of every ``sum``, ``dot``, ``linear`` and ``mean`` node into one
      dashed summary node ("784 inputs"). Everything that is reached only through those
      inputs is left out; an input that is also reached another way is drawn, with its
      edge, and the summary counts the rest ("3 more inputs").
    - ``step``: draw the backward pass after ``step`` steps of `backward_steps(root)`
      (0 to the number of Values): the node of the latest step is outlined in blue,
      with the chain rule for what it sent written on its edges
      (``local x grad = amount``); nodes already processed show their gradient, the
      others ``grad ?``. After the last step the gradients are those of
      ``root.backward()`` on zeroed gradients.
    - ``highlight``: a Value of the graph to outline in red, its box and the operation
      that made it: ``draw_dot(error.output, highlight=error.node)`` shows the node a
      `GradcheckError` names.
    - ``timeout``: seconds Graphviz's ``dot`` may take to lay the picture out when it
      is shown or saved; past that it is stopped and `GraphvizError` says what to draw
      instead.

    Labels are shown as written, except what a picture cannot carry: control
    characters and lone surrogates show as escapes (``\\x00``), and a label longer
    than 200 characters is cut, saying its length.

    Needs the Python package ``graphviz`` (imported on the first call); rendering the
    result needs Graphviz's ``dot`` program.
    """
    return _draw(
        "draw_dot",
        root,
        rankdir=rankdir,
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        color_by_grad=color_by_grad,
        max_nodes=max_nodes,
        collapse=collapse,
        step=step,
        highlight=highlight,
        timeout=timeout,
    )


def _draw(
    who: str,
    root: Value,
    *,
    rankdir: str,
    show_grad: bool,
    show_local_grads: bool,
    color_by_grad: bool,
    max_nodes: int,
    collapse: bool,
    step: int | None,
    highlight: Value | None,
    timeout: float,
) -> graphviz.Digraph:
    """`draw_dot` for `who` (draw_dot or save_graph), whose name every error carries."""
    _check_value(root, who)
    _check_rankdir(rankdir, who)
    seconds = _as_number(timeout, f"{who}(timeout)")
    if seconds <= 0:
        raise ValueError(f"{who}: timeout must be a positive number of seconds, got {timeout!r}")
    order = topological_order(root)
    drawn = _values_to_draw(root, collapse, max_nodes, who)
    if highlight is not None and highlight not in drawn:
        if not isinstance(highlight, Value):
            raise TypeError(
                f"{who}: highlight must be a Value of the graph, got "
                f"{type(highlight).__name__} {highlight!r}"
            )
        raise ValueError(
            f"{who}: highlight {highlight!r} is not among the Values drawn for this root; "
            f"pass a node of root's graph (e.g. GradcheckError.node with its .output)"
        )
    if step is None:
        grads, current = {v: v.grad for v in drawn}, None
    else:
        grads, current = _replayed_grads(order, step, who)
    style = _Style(
        rankdir=rankdir,
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        color_by_grad=color_by_grad,
        largest=max((abs(g) for v, g in grads.items() if v in drawn), default=0.0),
        highlight=highlight,
    )
    graph = _graph(order, drawn, grads, current, style, who)
    graph.timeout, graph.who = seconds, who
    return graph


@dataclass(frozen=True)
class _Style:
    """How `_graph` draws: `draw_dot`'s options, the largest |grad| for the shading,
    and whether each node and edge carries an ``id`` for the SVG (the explorer's)."""

    rankdir: str = "LR"
    show_grad: bool = True
    show_local_grads: bool = False
    color_by_grad: bool = False
    largest: float = 0.0
    svg_ids: bool = False
    highlight: Value | None = None


def _graph(
    order: list[Value],
    drawn: set[Value],
    grads: dict[Value, float],
    current: BackwardStep | None,
    style: _Style,
    who: str,
) -> graphviz.Digraph:
    """The Digraph of the Values `drawn` (a subset of `order`), each showing the
    gradient in `grads` (``grad ?`` where it has none), `current` step highlighted.

    DOT ids: ``v{i}`` is the box of ``order[i]``, ``op{i}`` the operation that made it
    and ``in{i}`` the summary of its folded inputs. An index into the topological order
    (not ``id()``) keeps the source the same from run to run, and numbers every Value,
    drawn or not, so that a Value keeps its id whether or not `collapse` hides others.
    """
    gv = _graphviz(who)
    graph = gv.Digraph(
        "computation_graph",
        graph_attr={"rankdir": style.rankdir, "ordering": "in"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    index = {v: i for i, v in enumerate(order)}
    for i, value in enumerate(order):
        if value not in drawn:
            continue
        is_current = current is not None and current.node is value
        _value_box(graph, gv, i, value, grads.get(value), is_current, style)
        if value.parents:
            sending = current if is_current else None
            _operation(graph, gv, i, value, index, drawn, sending, style)
    if style.color_by_grad:
        graph.node("legend", _legend(style.largest), shape="plaintext")
    return graph


def _value_box(
    graph: graphviz.Digraph,
    gv: ModuleType,
    i: int,
    value: Value,
    grad: float | None,
    is_current: bool,
    style: _Style,
) -> None:
    """Node ``v{i}``: a record ``label | data | grad`` (``grad ?`` when `grad` is None),
    filled by |grad| with `color_by_grad`, outlined in blue when it is the current step."""
    fields = [_escape_record(display_text(value.label))] if value.label else []
    fields.append(f"data {_four_decimals(value.data)}")
    if style.show_grad:
        fields.append("grad ?" if grad is None else f"grad {_four_decimals(grad)}")
    text = "|".join(fields)
    if style.rankdir in ("LR", "RL"):  # braces turn a record's fields across LR's ranks
        text = f"{{{text}}}"
    attrs: dict[str, str] = {"shape": "record"}
    if style.color_by_grad and grad is not None:
        fill, font = _shade(grad, style.largest)
        attrs.update(style="filled", fillcolor=fill, fontcolor=font)
    if is_current:
        attrs.update(color=_STEP_COLOR, penwidth="3")
    if style.highlight is value:
        attrs.update(color=_HIGHLIGHT_COLOR, penwidth="3")
    if style.svg_ids:
        attrs["id"] = f"v{i}"
    graph.node(f"v{i}", gv.nohtml(text), **attrs)


def _operation(
    graph: graphviz.Digraph,
    gv: ModuleType,
    i: int,
    value: Value,
    index: dict[Value, int],
    drawn: set[Value],
    sending: BackwardStep | None,
    style: _Style,
) -> None:
    """Node ``op{i}`` (the operation that made ``v{i}``), its edge to ``v{i}``, and one
    edge from each drawn parent, in the order of ``value.parents``; the parents that
    are not drawn are counted in a dashed summary node ``in{i}``.

    An edge says which operand it is (``a``/``b``) for ``-``, ``/`` and ``**``; while
    `sending` (this node's step) it carries the chain rule ``local x grad = amount``,
    otherwise the local derivative with `show_local_grads`. With `svg_ids` the edges
    are ``e{i}`` (op to value) and ``e{i}_{k}`` (from parent k).
    """
    non_commutative = value.op in _NON_COMMUTATIVE and len(value.parents) == 2
    op_label = f"a {value.op} b" if non_commutative else display_text(value.op)
    op_attrs = {"id": f"op{i}"} if style.svg_ids else {}
    if style.highlight is value:
        op_attrs.update(color=_HIGHLIGHT_COLOR, fontcolor=_HIGHLIGHT_COLOR, penwidth="3")
    graph.node(f"op{i}", _escape_text(gv, [op_label]), shape="ellipse", **op_attrs)
    graph.edge(f"op{i}", f"v{i}", **({"id": f"e{i}"} if style.svg_ids else {}))
    hidden = 0
    for k, (parent, local) in enumerate(zip(value.parents, value.local_grads)):
        if parent not in drawn:
            hidden += 1
            continue
        parts = ["ab"[k]] if non_commutative else []
        attrs: dict[str, str] = {}
        if sending is not None:
            amount = sending.sends[k].amount
            grad, local_text = _four_decimals(sending.grad), _four_decimals(local)
            parts.append(f"{local_text} x {grad} = {_four_decimals(amount)}")
            attrs.update(color=_STEP_COLOR, fontcolor=_STEP_COLOR, penwidth="2")
        elif style.show_local_grads:
            parts.append(f"local {_four_decimals(local)}")
        if parts:
            attrs["label"] = _escape_text(gv, parts)
        if style.svg_ids:
            attrs["id"] = f"e{i}_{k}"
        graph.edge(f"v{index[parent]}", f"op{i}", **attrs)
    if hidden:
        more = " more" if hidden < len(value.parents) else ""
        graph.node(
            f"in{i}",
            f"{hidden}{more} inputs",
            shape="box",
            style="dashed,rounded",
            color=_SUMMARY_COLOR,
            fontcolor=_SUMMARY_COLOR,
        )
        graph.edge(f"in{i}", f"op{i}", style="dashed", color=_SUMMARY_COLOR)


def _replayed_grads(
    order: list[Value], step: object, who: str
) -> tuple[dict[Value, float], BackwardStep | None]:
    """What ``draw_dot(step=k)`` shows: the gradient of each node processed in the
    first k steps of the backward pass (final, by then), and the k-th step itself."""
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= len(order):
        raise ValueError(
            f"{who}: step must be an int from 0 (before the backward pass) to "
            f"{len(order)} (after its last step, one per Value), got {step!r}"
        )
    grads: dict[Value, float] = {}
    current = None
    if step > 0:
        for current in _steps(order, 1.0):
            grads[current.node] = current.grad
            if current.index == step:
                break
    return grads, current


def save_graph(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Draw `root` with ``draw_dot(root, **options)`` and write it to `path`.

    The format follows the extension: ``.svg``, ``.png`` or ``.pdf``. Exactly `path` is
    written (no DOT source file is left beside it). Returns the path as a `Path`.
    Raises `GraphvizNotFoundError` when Graphviz's ``dot`` is not installed, and
    `GraphvizError` when it fails or does not finish within ``timeout`` seconds.
    """
    unknown = sorted(set(options) - set(inspect.signature(draw_dot).parameters) - {"root"})
    if unknown:
        raise TypeError(
            f"save_graph: unknown option {unknown[0]!r}; it takes draw_dot's options: "
            f"{', '.join(p for p in inspect.signature(draw_dot).parameters if p != 'root')}"
        )
    target = Path(path)
    fmt = _FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"save_graph: cannot tell the format of {str(path)!r} from its extension "
            f"{target.suffix!r}; use a path ending in .svg, .png or .pdf"
        )
    defaults = {
        name: p.default
        for name, p in inspect.signature(draw_dot).parameters.items()
        if name != "root"
    }
    graph = _draw("save_graph", root, **{**defaults, **options})
    target.write_bytes(graph.pipe(format=fmt))
    return target


# ------------------------------------------------------------------ helpers


def _check_value(root: object, func: str) -> None:
    if not isinstance(root, Value):
        hint = ""
        if isinstance(root, (list, tuple)):
            hint = "; for a list of outputs (e.g. softmax) draw one of them, or their sum"
        raise TypeError(f"{func} expects a Value, got {type(root).__name__}{hint}")


def _values_to_draw(root: Value, collapse: bool, max_nodes: object, who: str) -> set[Value]:
    """The Values a picture of `root` shows, or a ValueError when there are more than
    `max_nodes` (the limit `draw_dot` and `autograd.explore` share)."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{who}: max_nodes must be a positive int, got {max_nodes!r}")
    drawn = _reachable(root, collapse)
    if len(drawn) > max_nodes:
        raise ValueError(_too_many_message(root, len(drawn), max_nodes, collapse, who))
    return drawn


def _check_rankdir(rankdir: object, who: str) -> None:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"{who}: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")


def _reachable(root: Value, collapse: bool) -> set[Value]:
    """The Values to draw: all ancestors of `root`, or with `collapse`, those reached
    without going through the inputs of a sum / dot / linear / mean node."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if collapse and node.op in _COLLAPSIBLE:
            continue
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _too_many_message(root: Value, count: int, max_nodes: int, collapse: bool, who: str) -> str:
    """What to draw instead of a graph too big to read.

    ``collapse=True`` is offered only when it keeps the structure: when everything it
    would fold away is an input (a leaf), as in a neuron or a layer over many inputs.
    When it would hide operations too (an MLP's loss folds into "20 inputs -> mean"),
    it is not offered: a part of the graph, or a smaller batch, is what helps then.
    """
    message = (
        f"{who}: the graph has {count} Values, more than max_nodes={max_nodes}; a picture "
        f"that big is unreadable and slow to lay out. Draw a part of it: pass an "
        f"intermediate Value as the root (one neuron's output, one sample's loss), "
        f"build the graph on a smaller batch (fewer samples or a smaller model), or "
        f"raise max_nodes to draw it all anyway"
    )
    if collapse:
        return message + " (this count is already with collapse=True)"
    folded = _reachable(root, collapse=True)
    hides_only_inputs = all(not v.parents for v in _reachable(root, collapse=False) - folded)
    if len(folded) < count and hides_only_inputs:
        return (
            message + f"; or pass collapse=True, which folds the inputs of each "
            f"sum/dot/linear/mean node into one summary box and keeps every operation "
            f"({len(folded)} Values would be drawn)"
        )
    return message


def _four_decimals(x: float) -> str:
    """Four decimals, or scientific notation where four decimals would hide the number."""
    x += 0.0  # -0.0 -> 0.0
    if x == 0.0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _short(x: float) -> str:
    return f"{x + 0.0:.4g}"


def _kind(v: Value) -> str:
    return f"{v.op!r} node" if v.parents else "leaf"


def _node_name(v: Value) -> str:
    return f"{_kind(v)} {v.label!r}" if v.label else f"{_kind(v)} (data {_short(v.data)})"


def _escape_record(text: str) -> str:
    r"""Make `text` show literally inside a record label.

    Record labels give ``{ } | < >`` a meaning and backslashes start escapes, so all
    of them get a backslash; a newline becomes DOT's ``\n`` (a centred line break).
    The ``"`` is left to graphviz's quoting.
    """
    out = []
    for ch in text.replace("\r\n", "\n"):
        if ch in "\\{}|<>":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def _escape_text(gv: ModuleType, lines: list[str]) -> str:
    """An escString showing `lines` literally, one per line (backslashes doubled)."""
    text: str = gv.nohtml("\\n".join(line.replace("\\", "\\\\") for line in lines))
    return text


def _shade_level(magnitude: float, largest: float) -> float:
    """0 (white) to 1 (red): log10 of |grad| relative to the largest, over _DECADES."""
    if magnitude == 0.0 or largest == 0.0:
        return 0.0
    level = 1.0 + math.log10(magnitude / largest) / _DECADES
    return min(1.0, max(0.0, level))


def _color(level: float) -> str:
    r, g, b = (round(w + (c - w) * level) for w, c in zip(_WHITE, _RED))
    return f"#{r:02x}{g:02x}{b:02x}"


def _shade(grad: float, largest: float) -> tuple[str, str]:
    """Fill and font colour of a Value box with gradient `grad`."""
    level = _shade_level(abs(grad), largest)
    return _color(level), ("white" if level > 0.75 else "black")


def _legend(largest: float) -> str:
    """An HTML-like table: the colour of each decade of |grad| below the largest."""
    cells = []
    for decade in range(_DECADES + 1):
        level = 1.0 - decade / _DECADES
        text = "max" if decade == 0 else f"1e-{decade}"
        if decade == _DECADES:
            text = "&le;" + text
        font = "white" if level > 0.75 else "black"
        cells.append(f'<TD BGCOLOR="{_color(level)}"><FONT COLOR="{font}">{text}</FONT></TD>')
    title = f"|grad| relative to the largest ({_four_decimals(largest)})"
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD COLSPAN="{_DECADES + 1}">{title}</TD></TR>'
        f"<TR>{''.join(cells)}</TR></TABLE>>"
    )
