"""The graph explorer: step through the forward values and the backward pass in a page.

``autograd.explore(root)`` returns a `GraphPage`: the graph of `root` laid out by
Graphviz (as `draw_dot` draws it) as inline SVG, and a script that replays the
backward pass one node at a time, in the engine's own order (the steps of
`backward_steps`). Position 0 shows the forward values before any gradient is sent;
position k shows every node's gradient as it stands after k steps (the partial sums
of the nodes still waiting, in grey), the node of step k outlined, and on each of its
edges ``local x upstream = amount``, the amount added to the parent. Buttons, the
keyboard (ArrowRight / ArrowLeft, Home / End) and ``window.backproplab`` move
between positions; hovering or clicking a node shows its op, the formula of its local
derivatives (from the engine's docstrings), its data, grad and label.

(The module is ``explorer``, not ``explore``, so that importing it can never replace the
function ``autograd.explore`` with a module of the same name.)

The numbers are the engine's: each step's amounts are computed here, in Python, and
the page adds them up in the same order as `backward_steps`, so the page's gradients
equal the engine's to the last bit. The page loads nothing from anywhere.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from autograd import functional
from autograd._page import Page, display_text
from autograd.engine import Value, _as_number, topological_order
from autograd.viz import (
    _check_rankdir,
    _check_value,
    _graph,
    _steps,
    _Style,
    _values_to_draw,
)

__all__ = ["GraphPage", "explore"]


class GraphPage(Page):
    """The page `explore` returns: ``.html``, ``.save(path)``, inline in a notebook.

    ``steps`` is the number of positions (the forward values, then one per node of the
    backward pass); the page's ``window.backproplab`` has the same ``steps``.
    """

    def __init__(self, title: str, svg: str, data: dict[str, Any]) -> None:
        super().__init__(title, _STYLE, _body(svg), _SCRIPT, data)
        self.steps = len(data["steps"]) + 1


def explore(
    root: Value,
    *,
    grad: float = 1.0,
    rankdir: str = "LR",
    max_nodes: int = 500,
    collapse: bool = False,
    title: str = "",
) -> GraphPage:
    """An interactive page of the graph of `root` and its backward pass (see the module).

    ``grad`` seeds the backward pass (as ``root.backward(grad)``); ``rankdir``,
    ``max_nodes`` and ``collapse`` are `draw_dot`'s: a graph with more Values than
    ``max_nodes`` raises the same `ValueError`, which says what to draw instead. With
    ``collapse`` the folded inputs are not drawn, but their steps are still steps (the
    page says so). ``title`` heads the page (default: the root's label).

    No ``.grad`` is changed: the gradients are those of one ``root.backward(grad)`` on
    zeroed gradients. Needs the Python package ``graphviz`` and Graphviz's ``dot``.
    """
    _check_value(root, "explore")
    seed = _as_number(grad, "explore(grad)")
    _check_rankdir(rankdir, "explore")
    if not isinstance(title, str):
        raise TypeError(f"explore: title must be a str, got {type(title).__name__}")
    order = topological_order(root)
    drawn = _values_to_draw(root, collapse, max_nodes, "explore")
    steps = list(_steps(order, seed))
    final = {step.node: step.grad for step in steps}
    graph = _graph(order, drawn, final, None, _Style(rankdir=rankdir, svg_ids=True), "explore")
    svg = graph.pipe(format="svg", encoding="utf-8")
    index = {v: i for i, v in enumerate(order)}
    data = {
        "seed": seed,
        "nodes": [_node_data(i, v, v in drawn) for i, v in enumerate(order)],
        "steps": [
            {
                "node": index[step.node],
                "grad": step.grad,
                "sends": [[index[c.parent], c.local_grad, c.amount] for c in step.sends],
            }
            for step in steps
        ],
    }
    return GraphPage(title or root.label or "computation graph", _svg_element(svg), data)


def _node_data(i: int, value: Value, drawn: bool) -> dict[str, Any]:
    return {
        "id": f"v{i}",
        "label": display_text(value.label),
        "op": value.op,
        "data": value.data,
        "formula": formula(value.op) if value.parents else "",
        "locals": list(value.local_grads),
        "drawn": drawn,
    }


def _svg_element(svg: str) -> str:
    """The ``<svg>`` element of Graphviz's output, without the XML prolog and doctype."""
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("explore: Graphviz returned no SVG")
    return svg[start:]


# ------------------------------------------------------------------ formulas

# Which function documents each op. Ops with a constant carry it in their name
# ("* 2", "2 -", "** 3"); the side of the constant picks the reflected method.
_VALUE_METHODS: dict[str, Callable[..., Any]] = {
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": Value.__truediv__,
    "**": Value.__pow__,
    "neg": Value.__neg__,
}
_REFLECTED: dict[str, Callable[..., Any]] = {
    "+": Value.__add__,  # c + x: the same derivative as x + c
    "-": Value.__rsub__,
    "*": Value.__mul__,
    "/": Value.__rtruediv__,
    "**": Value.__rpow__,
}
_CONSTANT_RIGHT = re.compile(r"^(\+|-|\*|/|\*\*) \S+$")  # "* 2": x * 2
_CONSTANT_LEFT = re.compile(r"^\S+ (\+|-|\*|/|\*\*)$")  # "2 -": 2 - x


def formula(op: str) -> str:
    """The forward formula and local derivatives of `op`, as the engine's docstrings
    write them; "" for an op whose function is not documented here."""
    function: Callable[..., Any] | None
    if match := _CONSTANT_RIGHT.match(op):
        function = _VALUE_METHODS.get(match[1])
    elif match := _CONSTANT_LEFT.match(op):
        function = _REFLECTED.get(match[1])
    else:
        function = _VALUE_METHODS.get(op) or _documented(op)
    doc = inspect.getdoc(function) if function is not None else None
    if not doc:
        return ""
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n")]
    keep = [paragraphs[0]]
    derivative = next((p for p in paragraphs if "local derivative" in p.lower()), None)
    if derivative is not None and derivative is not paragraphs[0]:
        keep.append(derivative)
    return " ".join(keep)


def _documented(op: str) -> Callable[..., Any] | None:
    """A Value method or an `autograd.functional` function named `op` ("tanh", "dot")."""
    method = getattr(Value, op, None)
    if callable(method) and not op.startswith("_"):
        return method  # type: ignore[no-any-return]
    function = getattr(functional, op, None)
    return function if callable(function) and not op.startswith("_") else None


# ------------------------------------------------------------------ the page


def _body(svg: str) -> str:
    return (
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
        '<label><input type="checkbox" class="bpl-fit" checked> fit to width</label>'
        '<span class="bpl-position"></span>'
        "</div>"
        '<div class="bpl-caption"></div>'
        f'<div class="bpl-graph">{svg}</div>'
        '<div class="bpl-info">Hover over or click a value or an operation to see its '
        "numbers and its formula.</div>"
    )


_STYLE = """
.bpl-page{font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222;outline:none}
.bpl-title{font-weight:bold;font-size:16px;margin:4px 0}
.bpl-controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}
.bpl-controls button{min-width:36px;padding:3px 8px;font-size:14px;cursor:pointer}
.bpl-position{margin-left:8px;font-variant-numeric:tabular-nums}
.bpl-caption{min-height:2.6em;margin:4px 0;padding:4px 8px;background:#f4f7fb;
 border-left:4px solid #1f77b4;white-space:pre-wrap}
.bpl-graph{overflow:auto;max-height:80vh;border:1px solid #ddd}
.bpl-graph.bpl-fitted svg{max-width:100%;height:auto}
.bpl-info{margin:6px 0;padding:4px 8px;background:#fafafa;border:1px solid #eee;
 white-space:pre-wrap;font-family:Menlo,Consolas,monospace;font-size:12px;min-height:5em}
.bpl-page g.node{cursor:pointer}
.bpl-page g.node polygon,.bpl-page g.node ellipse{pointer-events:all}
.bpl-page g.bpl-pending text.bpl-grad{fill:#8a8a8a}
.bpl-page g.bpl-current polygon,.bpl-page g.bpl-current polyline,
.bpl-page g.bpl-current ellipse{stroke:#1f77b4;stroke-width:3}
.bpl-page g.bpl-sending path{stroke:#1f77b4;stroke-width:2.5}
.bpl-page g.bpl-sending polygon{stroke:#1f77b4;fill:#1f77b4}
.bpl-page g.bpl-selected polygon,.bpl-page g.bpl-selected ellipse{fill:#fff6d5}
.bpl-page text.bpl-carry{fill:#1f77b4;font-size:10px;font-family:Helvetica,Arial,sans-serif;
 paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
"""

# The page's script. It reads its data, then recomputes the gradients at a position
# by replaying the steps' amounts from zero in the engine's order (exact doubles).
_SCRIPT = r"""
(function () {
  "use strict";
  var page = document.getElementById(CONTAINER_ID);
  var data = JSON.parse(page.querySelector("script.bpl-data").textContent);
  var nodes = data.nodes, steps = data.steps, positions = steps.length + 1;
  var svg = page.querySelector(".bpl-graph svg");
  var graphLayer = svg.querySelector("g.graph");
  var SVGNS = "http://www.w3.org/2000/svg";
  function byId(id) { return svg.querySelector('[id="' + id + '"]'); }
  var boxes = nodes.map(function (node, i) { return byId("v" + i); });
  var ops = nodes.map(function (node, i) { return byId("op" + i); });
  boxes.forEach(function (box) {
    if (!box) { return; }
    var texts = box.querySelectorAll("text");
    texts[texts.length - 1].classList.add("bpl-grad");
  });
  var position = 0, grads = [], timer = null, selected = null;

  function fmt(x) {
    if (x === 0) { return "0.0000"; }
    var a = Math.abs(x);
    if (a >= 1e-3 && a < 1e5) { return x.toFixed(4); }
    return x.toExponential(3).replace(/e([+-])(\d)$/, "e$10$2");
  }
  function name(i) {
    var node = nodes[i];
    var what = node.op ? "'" + node.op + "' node" : "leaf";
    return node.label ? what + " '" + node.label + "'" : what + " (data " + fmt(node.data) + ")";
  }
  function gradsAt(k) {
    var g = nodes.map(function () { return 0; });
    if (k > 0) { g[steps[0].node] = data.seed; }
    for (var s = 0; s < k; s++) {
      steps[s].sends.forEach(function (send) { g[send[0]] = g[send[0]] + send[2]; });
    }
    return g;
  }
  function clearMarks() {
    svg.querySelectorAll(".bpl-current,.bpl-sending").forEach(function (el) {
      el.classList.remove("bpl-current", "bpl-sending");
    });
    svg.querySelectorAll("text.bpl-carry").forEach(function (el) { el.remove(); });
  }
  function carry(edge, text) {
    var path = edge.querySelector("path");
    if (!path) { return; }
    var point = path.getPointAtLength(path.getTotalLength() * 0.45);
    var label = document.createElementNS(SVGNS, "text");
    label.setAttribute("class", "bpl-carry");
    label.setAttribute("x", point.x);
    label.setAttribute("y", point.y - 4);
    label.setAttribute("text-anchor", "middle");
    label.textContent = text;
    graphLayer.appendChild(label);
  }
  function caption(k) {
    if (k === 0) {
      return "Position 0 of " + (positions - 1) + ": the forward pass is done, every " +
        "value holds its data and every grad is 0. Step forward to send the gradient " +
        "back from the root, one node at a time.";
    }
    var step = steps[k - 1], i = step.node;
    var head = "Step " + k + " of " + (positions - 1) + ": " + name(i) +
      " has its final grad " + fmt(step.grad);
    if (k === 1) { head += " (the seed of the backward pass)"; }
    if (!nodes[i].drawn) { head += " (a folded input, not drawn)"; }
    if (!step.sends.length) { return head + ". It is a leaf: it sends nothing."; }
    return head + " and sends to each parent local derivative x its grad:\n" +
      step.sends.map(function (send) {
        return "  " + fmt(send[1]) + " x " + fmt(step.grad) + " = " + fmt(send[2]) +
          " added to " + name(send[0]);
      }).join("\n");
  }
  function show(k) {
    position = Math.max(0, Math.min(positions - 1, Math.floor(k)));
    grads = gradsAt(position);
    clearMarks();
    var done = {};
    for (var s = 0; s < position; s++) { done[steps[s].node] = true; }
    boxes.forEach(function (box, i) {
      if (!box) { return; }
      var texts = box.querySelectorAll("text");
      texts[texts.length - 1].textContent = "grad " + fmt(grads[i]);
      box.classList.toggle("bpl-pending", !done[i]);
    });
    if (position > 0) {
      var step = steps[position - 1], i = step.node;
      if (boxes[i]) { boxes[i].classList.add("bpl-current"); }
      if (ops[i]) {
        ops[i].classList.add("bpl-current");
        var out = byId("e" + i);
        if (out) { out.classList.add("bpl-sending"); }
      }
      step.sends.forEach(function (send, k) {
        var edge = byId("e" + i + "_" + k);
        if (!edge) { return; }
        edge.classList.add("bpl-sending");
        carry(edge, fmt(send[1]) + " x " + fmt(step.grad) + " = " + fmt(send[2]));
      });
    }
    page.querySelector(".bpl-position").textContent =
      "position " + position + " / " + (positions - 1);
    page.querySelector(".bpl-caption").textContent = caption(position);
    if (selected !== null) { info(selected); }
  }
  function info(i) {
    selected = i;
    var node = nodes[i];
    var lines = [
      (node.label ? "label   " + node.label + "\n" : "") +
        "op      " + (node.op || "(leaf: an input or a parameter)"),
      "data    " + String(node.data),
      "grad    " + String(grads[i]) + "   (at position " + position + ")"
    ];
    if (node.formula) { lines.push("formula " + node.formula); }
    if (node.locals.length) {
      lines.push("local derivatives, one per parent: " +
        node.locals.map(function (x) { return fmt(x); }).join(", "));
    }
    page.querySelector(".bpl-info").textContent = lines.join("\n");
    svg.querySelectorAll(".bpl-selected").forEach(function (el) {
      el.classList.remove("bpl-selected");
    });
    if (boxes[i]) { boxes[i].classList.add("bpl-selected"); }
  }
  nodes.forEach(function (node, i) {
    [boxes[i], ops[i]].forEach(function (el) {
      if (!el) { return; }
      el.addEventListener("mouseenter", function () { info(i); });
      el.addEventListener("click", function () { info(i); });
    });
  });
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    page.querySelector(".bpl-play").textContent = "play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (position === positions - 1) { show(0); }
    var delay = Number(page.querySelector(".bpl-speed").value);
    page.querySelector(".bpl-play").textContent = "pause";
    timer = setInterval(function () {
      if (position >= positions - 1) { stop(); return; }
      show(position + 1);
    }, delay);
  }
  var actions = {
    first: function () { stop(); show(0); },
    prev: function () { stop(); show(position - 1); },
    next: function () { stop(); show(position + 1); },
    last: function () { stop(); show(positions - 1); },
    play: play
  };
  page.querySelectorAll("button[data-go]").forEach(function (button) {
    button.addEventListener("click", function () { actions[button.dataset.go](); });
  });
  page.querySelector(".bpl-speed").addEventListener("change", function () {
    if (timer !== null) { stop(); play(); }
  });
  var fit = page.querySelector(".bpl-fit");
  function refit() { page.querySelector(".bpl-graph").classList.toggle("bpl-fitted", fit.checked); }
  fit.addEventListener("change", refit);
  refit();
  var keys = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last" };
  document.addEventListener("keydown", function (event) {
    var action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "SELECT" || target.tagName === "INPUT")) { return; }
    var alone = document.querySelectorAll(".bpl-page").length === 1;
    if (!alone && !page.contains(target)) { return; }
    event.preventDefault();
    actions[action]();
  });
  window.backproplab = {
    steps: positions,
    step: function (k) {
      if (typeof k !== "number" || !isFinite(k) || k < 0 || k >= positions || k % 1 !== 0) {
        throw new RangeError("step(k) needs an integer k from 0 to " + (positions - 1));
      }
      stop();
      show(k);
      return position;
    },
    state: function () {
      return {
        step: position,
        nodes: nodes.map(function (node, i) {
          return { id: node.id, label: node.label, op: node.op, data: node.data,
                   grad: grads[i] };
        })
      };
    }
  };
  show(0);
})();
"""
