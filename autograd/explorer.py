"""The graph explorer: step through the forward values and the backward pass in a page.

``autograd.explore(root)`` returns a `GraphPage`: a self-contained page that lays the
graph of `root` out itself (a layered layout in the page's script, bounded in time for
any graph up to the size limit; Graphviz is not involved) and replays the backward pass
one node at a time, in the engine's own order (the steps of `backward_steps`).
Position 0 shows the forward values before any gradient is sent; position k shows every
node's gradient as it stands after k steps (the partial sums of the nodes still
waiting, in grey), the node of step k outlined, and beside each of its edges
``local x upstream = amount``, the amount added to the parent. Buttons, the keyboard
(ArrowRight / ArrowLeft, Home / End) and ``window.backproplab`` move between positions;
hovering or clicking a node shows its op, the formula of its local derivatives (from the
engine's docstrings), its data, grad and label. The wheel zooms, dragging pans, and the
search box finds a Value by its label.

A large graph is grouped (`autograd.grouping`: by sample of a batch, by module, by
position) and a closed group is one box showing its summed gradient; a click opens it,
a double-click on a Value inside closes it again. A step inside a closed group lights
the box, and the caption says which node inside it is being processed.

(The module is ``explorer``, not ``explore``, so that importing it can never replace the
function ``autograd.explore`` with a module of the same name.)

The numbers are the engine's: each step's amounts are computed here, in Python, and
the page adds them up in the same order as `backward_steps`, so the page's gradients
equal the engine's to the last bit. The page loads nothing from anywhere; its script
and style are the package's ``explorer.js`` and ``explorer.css``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from autograd._opinfo import formula, symbol
from autograd._page import Page, display_text
from autograd.engine import Value, _as_number, topological_order
from autograd.grouping import Grouping, group_values, initial_open
from autograd.viz import (
    _check_rankdir,
    _check_value,
    _opened,
    _positive_int,
    _step_tuples,
    _values_to_draw,
)

__all__ = ["GraphPage", "explore", "formula"]

# A page shows at most this many boxes at first (whole levels of groups open while
# they fit), and one open group shows at most FANOUT Values directly.
PAGE_BOXES = 100
FANOUT = 400


@cache
def _asset(name: str) -> str:
    return resources.files("autograd").joinpath(name).read_text(encoding="utf-8")


class GraphPage(Page):
    """The page `explore` returns: ``.html``, ``.save(path)``, inline in a notebook.

    ``steps`` is the number of positions (the forward values, then one per node of the
    backward pass); the page's ``window.backproplab`` has the same ``steps``.
    """

    def __init__(self, title: str, data: dict[str, Any]) -> None:
        super().__init__(title, _asset("explorer.css"), _BODY, _asset("explorer.js"), data)
        self.steps = len(data["steps"]) + 1


def explore(
    root: Value,
    *,
    grad: float = 1.0,
    rankdir: str = "LR",
    max_nodes: int = 20_000,
    collapse: bool = False,
    group_above: int = PAGE_BOXES,
    expand: Iterable[str] | bool = (),
    title: str = "",
) -> GraphPage:
    """An interactive page of the graph of `root` and its backward pass (see the module).

    ``grad`` seeds the backward pass (as ``root.backward(grad)``). ``max_nodes`` and
    ``collapse`` are `draw_dot`'s: a graph with more Values than ``max_nodes`` (at most
    100,000) raises a `ValueError` that says what to draw instead. With ``collapse`` the
    folded inputs are not drawn, but their steps are still steps (the page says so). A
    graph of more than ``group_above`` Values opens grouped, whole levels of groups open
    while at most that many boxes show; ``expand`` names groups to show open
    (``{"layers.1"}``, ``{"sample 3"}``; ``True``: every group), as in `draw_dot`.
    ``title`` heads the page (default: the root's label). ``rankdir`` is accepted for
    `draw_dot`'s sake; the page always runs from the inputs on the left to the root on
    the right.

    No ``.grad`` is changed: the gradients are those of one ``root.backward(grad)`` on
    zeroed gradients. Needs nothing but the standard library and a browser.
    """
    _check_value(root, "explore")
    seed = _as_number(grad, "explore(grad)")
    _check_rankdir(rankdir, "explore")
    if not isinstance(title, str):
        raise TypeError(f"explore: title must be a str, got {type(title).__name__}")
    order = topological_order(root)
    drawn = _values_to_draw(root, collapse, max_nodes, "explore")
    visible = [v for v in order if v in drawn] if collapse else order
    grouping = group_values(visible, FANOUT)  # the boxes hold only what is drawn
    group_of = dict(zip(visible, grouping.of_node))
    budget = _positive_int(group_above, "group_above", "explore")
    every = set(range(len(grouping.names)))
    first = every if len(visible) <= budget else initial_open(grouping, budget)
    opened = _opened(grouping, expand, first, "explore")
    ops = [v.op for v in order]  # formatted once: `op` is built on each read
    arity = {op: len(v.parents) for op, v in zip(ops, order) if v.parents}
    shown = {op: display_text(op) for op in set(ops)}
    data = {
        "seed": seed,
        "nodes": [
            _node_data(v, shown[op], group_of.get(v, -1), v in drawn) for v, op in zip(order, ops)
        ],
        "steps": _step_data(order, seed),
        "groups": _groups_data(grouping),
        "open": sorted(opened),
        "symbols": {op: display_text(symbol(op, n)) for op, n in arity.items()},
        "formulas": {op: formula(op) for op in arity},
    }
    return GraphPage(display_text(title or root.label or "computation graph"), data)


def _step_data(order: list[Value], seed: float) -> list[dict[str, Any]]:
    """The steps of `backward_steps`, as the page reads them: node and parents by index."""
    index = {v: i for i, v in enumerate(order)}
    return [
        {
            "node": index[node],
            "grad": grad,
            "sends": [[index[p], local, a] for p, local, a in sends],
        }
        for node, grad, sends in _step_tuples(order, seed)
    ]


def _node_data(value: Value, op: str, group: int, drawn: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "label": display_text(value.label),
        "op": op,
        "data": value.data,
        "locals": list(value.local_grads),
        "group": group,
    }
    if not drawn:
        node["drawn"] = False
    return node


def _groups_data(grouping: Grouping) -> list[dict[str, Any]]:
    return [
        {"name": name, "title": title, "parent": parent, "size": size}
        for name, title, parent, size in zip(
            grouping.names, grouping.titles, grouping.parents, grouping.sizes
        )
    ]


_BODY = (
    '<div class="bpl-controls">'
    '<button type="button" data-go="first" title="Home">|&#x25C0; first</button>'
    '<button type="button" data-go="prev" title="ArrowLeft">&#x25C0; back</button>'
    '<button type="button" data-go="next" title="ArrowRight">step &#x25B6;</button>'
    '<button type="button" data-go="last" title="End">last &#x25B6;|</button>'
    '<button type="button" data-go="play" class="bpl-play">play</button>'
    '<label>speed <select class="bpl-speed">'
    '<option value="1000">1 step/s</option><option value="500" selected>2 steps/s</option>'
    '<option value="200">5 steps/s</option><option value="50">20 steps/s</option>'
    "</select></label>"
    '<button type="button" data-go="zoomin" title="zoom in (or the wheel)">+</button>'
    '<button type="button" data-go="zoomout" title="zoom out">&#x2212;</button>'
    '<button type="button" data-go="fit" title="the whole graph">fit</button>'
    '<button type="button" data-go="close" title="back to the first grouping">regroup</button>'
    '<input type="search" class="bpl-search" placeholder="find a label">'
    '<button type="button" data-go="find">find</button>'
    '<span class="bpl-position"></span>'
    "</div>"
    '<div class="bpl-caption"></div>'
    '<div class="bpl-graph"><svg xmlns="http://www.w3.org/2000/svg" '
    'preserveAspectRatio="xMidYMid meet"><g class="bpl-layer"></g></svg></div>'
    '<div class="bpl-info">Hover over or click a value or an operation to see its '
    "numbers and its formula; click a group's box to open it.</div>"
)
