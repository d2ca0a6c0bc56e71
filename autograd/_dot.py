"""How `autograd.viz` writes a graph as DOT: the boxes, ovals, edges and grouped boxes.

`draw_dot` decides what to draw (which Values, which groups closed, which step); this
module turns that into a `graphviz.Digraph` (see `autograd.viz` for how to read the
source), and holds the number formats and colours every picture shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from autograd._opinfo import non_commutative, symbol
from autograd._page import display_text
from autograd.engine import Value
from autograd.grouping import Grouping, visible

if TYPE_CHECKING:
    import graphviz

    from autograd.viz import BackwardStep

_GROUP_FILL = "#eef3f9"
_GROUP_LINE = "#5b7fa6"
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
    box_of: dict[Value, str] | None = None,
) -> None:
    """Node ``op{i}`` (the operation that made ``v{i}``), its edge to ``v{i}``, and one
    edge from each drawn parent, in the order of ``value.parents``; the parents that
    are not drawn are counted in a dashed summary node ``in{i}``.

    An edge says which operand it is (``a``/``b``) for ``-``, ``/`` and ``**``; while
    `sending` (this node's step) it carries the chain rule ``local x grad = amount``,
    otherwise the local derivative with `show_local_grads`. With `svg_ids` the edges
    are ``e{i}`` (op to value) and ``e{i}_{k}`` (from parent k). A parent shown inside a
    closed group's box (`box_of`) sends one dashed edge from the box.
    """
    labelled = len(value.parents) == 2 and non_commutative(value.op)
    op_label = display_text(symbol(value.op, len(value.parents)))
    op_attrs = {"id": f"op{i}"} if style.svg_ids else {}
    if style.highlight is value:
        op_attrs.update(color=_HIGHLIGHT_COLOR, fontcolor=_HIGHLIGHT_COLOR, penwidth="3")
    graph.node(f"op{i}", _escape_text(gv, [op_label]), shape="ellipse", **op_attrs)
    graph.edge(f"op{i}", f"v{i}", **({"id": f"e{i}"} if style.svg_ids else {}))
    hidden = 0
    from_boxes = set()
    for k, (parent, local) in enumerate(zip(value.parents, value.local_grads)):
        box = box_of.get(parent) if box_of else None
        if box is not None and box not in from_boxes:
            from_boxes.add(box)
            graph.edge(box, f"op{i}", style="dashed", color=_GROUP_LINE)
        if parent not in drawn:
            hidden += box is None
            continue
        parts = ["ab"[k]] if labelled else []
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


# Graphviz's own bounds on its layout passes (network simplex iterations, crossing
# minimisation), for grouped pictures; the timeout bounds the rest.
_BOUNDED = {"nslimit": "3", "nslimit1": "3", "mclimit": "0.3", "searchsize": "30"}


def _grouped_graph(
    order: list[Value],
    drawn: set[Value],
    grads: dict[Value, float],
    current: BackwardStep | None,
    style: _Style,
    grouping: Grouping,
    opened: set[int],
    group_of: dict[Value, int],
    who: str,
) -> graphviz.Digraph:
    """`_graph` with every closed group of `grouping` drawn as one box ``g{j}``: its
    title, its size and the sum of its Values' gradients; dashed edges go into and out
    of it. The Values outside closed groups are drawn as `_graph` draws them."""
    gv = _graphviz(who)
    graph = gv.Digraph(
        "computation_graph",
        graph_attr={"rankdir": style.rankdir, "ordering": "in", **_BOUNDED},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    shown = visible(grouping, opened)
    index = {v: i for i, v in enumerate(order)}
    box_of: dict[Value, str] = {}
    members: dict[int, list[Value]] = {}
    for value in order:
        group = group_of.get(value, -1)
        if group >= 0 and shown[group] >= 0:
            box_of[value] = f"g{shown[group]}"
            members.setdefault(shown[group], []).append(value)
    values = drawn - set(box_of)
    for box, inside in members.items():
        _group_box(graph, gv, box, inside, grouping, grads, current, style)
        links = {box_of.get(p) or f"v{index[p]}" for v in inside for p in v.parents if p in drawn}
        for source in sorted(links - {f"g{box}"}):
            graph.edge(source, f"g{box}", style="dashed", color=_GROUP_LINE)
    for i, value in enumerate(order):
        if value in values:
            is_current = current is not None and current.node is value
            _value_box(graph, gv, i, value, grads.get(value), is_current, style)
            if value.parents:
                sending = current if is_current else None
                _operation(graph, gv, i, value, index, values, sending, style, box_of)
    return graph


def _group_box(
    graph: graphviz.Digraph,
    gv: ModuleType,
    box: int,
    inside: list[Value],
    grouping: Grouping,
    grads: dict[Value, float],
    current: BackwardStep | None,
    style: _Style,
) -> None:
    """Node ``g{box}``: a closed group, outlined in blue when the current step is inside."""
    known = [grads[v] for v in inside if v in grads]
    total = f"grad sum {_four_decimals(math.fsum(known))}" if known else "grad ?"
    lines = [display_text(grouping.titles[box]), f"{len(inside)} values"]
    if style.show_grad:
        lines.append(total)
    attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": _GROUP_FILL}
    attrs["color"] = _GROUP_LINE
    if current is not None and current.node in inside:
        lines.append(f"step {current.index}: {display_text(_node_name(current.node))}")
        attrs.update(color=_STEP_COLOR, penwidth="3")
    graph.node(f"g{box}", _escape_text(gv, lines), **attrs)


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
