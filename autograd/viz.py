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
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd._dot import _graph, _graphviz, _grouped_graph, _kind, _node_name, _short, _Style
from autograd._opinfo import COLLAPSIBLE
from autograd.engine import Value, _as_number, _backward_order, topological_order
from autograd.grouping import Grouping, group_values, initial_open

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

_RANKDIRS = ("LR", "RL", "TB", "BT")
# No picture or page of more Values than this: past it, a part of the graph is what helps.
HARD_LIMIT = 100_000
# What one open group of a Graphviz drawing shows directly, at most (Graphviz's own
# layout is not bounded in time, so its pictures stay small).
DOT_FANOUT = 100
# The fewest boxes a grouped drawing falls back to when `dot` runs out of time.
_FEWEST = 10
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


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

    The steps come in the order `Value.backward()` processes the nodes (a reverse
    topological order, `root` first; see `step_order`): when a node's step comes, every
    node that uses it has already sent its share, so ``step.grad`` is final. Gradients
    are computed from zero in a dict, so they are those of one ``root.backward(grad)``
    on a graph whose gradients were all zero (`backward` itself accumulates into leaves
    across calls).

    >>> x = Value(2.0, label="x")
    >>> y = (x * 3).tanh()
    >>> for step in backward_steps(y):
    ...     print(step)   # doctest: +SKIP
    """
    _check_value(root, "backward_steps")
    seed = _as_number(grad, "backward_steps(grad)")
    return _steps(topological_order(root), seed)


def step_order(order: list[Value]) -> list[Value]:
    """The nodes of `order` (a topological order) in the order the backward pass
    processes them: `Value.backward`'s, so that every gradient adds up in the same
    order, to the same bits.

    `backward` walks only what the gradient reaches (an edge with local derivative 0
    is not followed), which can visit the reached nodes in another order than
    `topological_order`. Where it does, they come first, in backward's order, and the
    nodes it leaves out after them: those send only zeros, so every node still has
    received every amount that is not zero when its step comes.
    """
    interior, _ = _backward_order(order[-1])
    if interior == [v for v in order if v.parents]:
        return order[::-1]
    reached = set(interior)
    return interior[::-1] + [v for v in reversed(order) if v not in reached]


def _steps(order: list[Value], seed: float) -> Iterator[BackwardStep]:
    for index, (node, g, sends) in enumerate(_step_tuples(order, seed), start=1):
        yield BackwardStep(index, node, g, tuple(Contribution(*send) for send in sends))


def _step_tuples(
    order: list[Value], seed: float
) -> Iterator[tuple[Value, float, list[tuple[Value, float, float]]]]:
    """The steps as plain tuples (node, its grad, [(parent, local, amount), ...]): the
    chain rule of the backward pass, written once for `backward_steps` and the page."""
    grads: dict[Value, float] = {order[-1]: seed}
    for node in step_order(order):
        g = grads.get(node, 0.0)
        sends = []
        for parent, local in zip(node.parents, node.local_grads):
            amount = local * g
            grads[parent] = grads.get(parent, 0.0) + amount
            sends.append((parent, local, amount))
        yield node, g, sends


# ------------------------------------------------------------------ drawing


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = False,
    color_by_grad: bool = False,
    max_nodes: int = 20_000,
    collapse: bool = False,
    step: int | None = None,
    highlight: Value | None = None,
    group_above: int = 150,
    expand: Iterable[str] | bool = (),
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
    - ``max_nodes``: a graph with more Values than this (at most 100,000) raises
      `ValueError`; the message says what to draw instead.
    - ``group_above``: a graph with more Values than this is drawn grouped (see
      `autograd.grouping`): each sample of a batch, each module (``layers.0``,
      ``layers.0.neurons.3``) and each long run of other Values is one box with its
      size and summed gradient, whole levels of groups opened while at most
      ``group_above`` boxes show. Graphviz's layout is not bounded in time, so a
      picture stays small enough for it; `autograd.explore` lays out any size.
    - ``expand``: names of groups to draw open, with the groups around them:
      ``{"layers.1"}`` (every group of that name), ``{"sample 3/layers.1"}`` (that one);
      ``True`` opens every group (every Value drawn).
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
      is shown or saved; past that it is stopped, and the picture is drawn again with a
      quarter of the boxes (a `RuntimeWarning` says so) until there is nothing simpler
      to draw, when `GraphvizError` says what to draw instead.

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
        group_above=group_above,
        expand=expand,
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
    group_above: int,
    expand: Iterable[str] | bool,
    timeout: float,
) -> graphviz.Digraph:
    """`draw_dot` for `who` (draw_dot or save_graph), whose name every error carries."""
    request: dict[str, Any] = dict(locals())  # the same drawing, asked again with more boxes
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
    shown = [v for v in order if v in drawn]
    budget = _positive_int(group_above, "group_above", who)
    grouping = group_values(shown, min(DOT_FANOUT, budget))
    every = set(range(len(grouping.names)))
    first = every if len(shown) <= budget else initial_open(grouping, budget)
    opened = _opened(grouping, expand, first, who)
    if opened == every:
        graph = _graph(order, drawn, grads, current, style, who)
    else:
        group_of = dict(zip(shown, grouping.of_node))
        graph = _grouped_graph(order, drawn, grads, current, style, grouping, opened, group_of, who)
    smaller = max(_FEWEST, min(budget, len(shown)) // 4)
    if smaller < min(budget, len(shown)):
        # what `dot` draws instead when it cannot lay this out in time: more closed boxes
        graph.fallback = partial(_draw, **{**request, "group_above": smaller, "expand": ()})
    graph.timeout, graph.who = seconds, who
    return graph


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
    limit = _positive_int(max_nodes, "max_nodes", who)
    if limit > HARD_LIMIT:
        raise ValueError(
            f"{who}: max_nodes can be at most {HARD_LIMIT:,}, got {limit:,}; a graph that big "
            f"is not drawn: cut it (pass an intermediate Value as the root, one sample's "
            f"loss, or a smaller batch)"
        )
    drawn = _reachable(root, collapse)
    if len(drawn) > limit:
        raise ValueError(_too_many_message(root, len(drawn), limit, collapse, who))
    return drawn


def _positive_int(number: object, name: str, who: str) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {number!r}")
    return number


def _opened(grouping: Grouping, expand: object, default: set[int], who: str) -> set[int]:
    """The groups to show open: `default`, and those `expand` names with the groups
    around them (every group when `expand` is True)."""
    if expand is True:
        return set(range(len(grouping.names)))
    if expand is False:
        return default
    if isinstance(expand, str) or not isinstance(expand, Iterable):
        raise TypeError(
            f"{who}: expand takes a set of group names such as {{'layers.1'}}, or True; "
            f"got {type(expand).__name__} {expand!r}"
        )
    opened = set(default)
    for name in expand:
        found = [
            j
            for j, (full, title) in enumerate(zip(grouping.names, grouping.titles))
            if name in (full, title)
        ]
        if not found:
            known = ", ".join(repr(n) for n in grouping.names[:8]) or "none: nothing is grouped"
            raise ValueError(f"{who}: expand names no group {name!r}; the groups are {known}, ...")
        for group in found:
            while group >= 0:
                opened.add(group)
                group = grouping.parents[group]
    return opened


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
        if collapse and node.op in COLLAPSIBLE:
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
