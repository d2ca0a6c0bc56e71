"""Tests for autograd.viz: the DOT source, real rendering with `dot`, stepping, files."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, backward_steps, draw_dot, save_graph, topological_order
from autograd.viz import BackwardStep, Contribution, GraphvizNotFoundError

SVG = "{http://www.w3.org/2000/svg}"
HIGHLIGHT = {"color": "#1f77b4", "penwidth": "3"}


def render_svg(graph: graphviz.Digraph) -> ET.Element:
    return ET.fromstring(graph.pipe(format="svg"))


def svg_nodes(root: ET.Element) -> dict[str, list[str]]:
    """Each drawn node's DOT id (its <title>) -> the lines of text drawn in it."""
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            title = group.find(f"{SVG}title")
            assert title is not None and title.text is not None
            nodes[title.text] = [t.text or "" for t in group.iter(f"{SVG}text")]
    return nodes


# A DOT statement: a node id or an edge "a -> b", then its attributes. The order of the
# attributes is graphviz's business, so they are read into a dict.
STATEMENT = re.compile(r"^\t(?P<head>[^\[\n]+?)(?: \[(?P<attrs>.*)\])?$", re.M)
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<(?:[^<>]|<[^<>]*>)*>|[^\s"\]]+)')


def statements(source: str) -> list[tuple[str, dict[str, str]]]:
    """Every statement of a DOT source, in order: (head, {attribute: value unquoted})."""
    out = []
    for match in STATEMENT.finditer(source):
        attrs = {}
        for name, value in ATTRIBUTE.findall(match["attrs"] or ""):
            attrs[name] = value[1:-1] if value.startswith('"') else value
        out.append((match["head"], attrs))
    return out


def attributes(source: str, head: str) -> dict[str, str]:
    """The attributes of the first statement `head` (a node id or "a -> b")."""
    return next(attrs for h, attrs in statements(source) if h == head)


def value_lines(source: str) -> dict[str, str]:
    """DOT id -> label of every Value node (v0, v1, ...) in a DOT source."""
    return {h: a["label"] for h, a in statements(source) if a.get("shape") == "record"}


# ------------------------------------------------------------------ DOT source


def test_source_of_a_small_expression_is_exact() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c - a
    d.backward()
    source = draw_dot(d).source
    assert source.startswith("digraph computation_graph {\n") and source.endswith("\n}\n")
    assert statements(source) == [
        ("graph", {"ordering": "in", "rankdir": "LR"}),
        ("node", {"fontname": "Helvetica", "fontsize": "11"}),
        ("edge", {"fontname": "Helvetica", "fontsize": "9"}),
        ("v0", {"label": "{a|data 2.0000|grad -4.0000}", "shape": "record"}),
        ("v1", {"label": "{b|data -3.0000|grad 2.0000}", "shape": "record"}),
        ("v2", {"label": "{c|data -6.0000|grad 1.0000}", "shape": "record"}),
        ("op2", {"label": "*", "shape": "ellipse"}),
        ("op2 -> v2", {}),
        ("v0 -> op2", {}),
        ("v1 -> op2", {}),
        ("v3", {"label": "{data -8.0000|grad 1.0000}", "shape": "record"}),
        ("op3", {"label": "a - b", "shape": "ellipse"}),
        ("op3 -> v3", {}),
        ("v2 -> op3", {"label": "a"}),
        ("v0 -> op3", {"label": "b"}),
    ]
    # every line of the source is one of those statements
    assert len(statements(source)) == source.count("\n") - 2


def test_edges_follow_the_order_of_the_parents() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    ab = draw_dot(a * b).source
    ba = draw_dot(b * a).source
    # v0 is the first parent (visited first), so its edge comes first either way...
    for source in (ab, ba):
        edges = [head for head, _ in statements(source) if "->" in head]
        assert edges == ["op2 -> v2", "v0 -> op2", "v1 -> op2"]
    # ...and v0 is `a` in one drawing and `b` in the other.
    assert value_lines(ab)["v0"].startswith("{a|")
    assert value_lines(ba)["v0"].startswith("{b|")


@pytest.mark.parametrize(
    ("make", "op_label"),
    [
        (lambda v: v * 2, "* 2"),
        (lambda v: 2 - v, "2 -"),
        (lambda v: v / 4, "/ 4"),
        (lambda v: v**3, "** 3"),
        (lambda v: 2**v, "2 **"),
        (lambda v: v.tanh(), "tanh"),
        (lambda v: autograd.sum([v, v, v]), "sum"),
    ],
)
def test_constants_show_on_the_operation(make: object, op_label: str) -> None:
    v = Value(1.5, label="v")
    out = make(v)  # type: ignore[operator]
    source = draw_dot(out).source
    assert attributes(source, "op1") == {"label": op_label, "shape": "ellipse"}
    # one Value node per Value: the constant is not a node
    assert len(value_lines(source)) == 2


def test_non_commutative_operands_are_marked_and_repeated_parents_drawn_twice() -> None:
    x = Value(3.0, label="x")
    for op in ("-", "/", "**"):
        y = {"-": x - x, "/": x / x, "**": x**x}[op]
        source = draw_dot(y).source
        assert attributes(source, "op1")["label"] == f"a {op} b"
        edges = [(head, attrs) for head, attrs in statements(source) if head == "v0 -> op1"]
        assert edges == [("v0 -> op1", {"label": "a"}), ("v0 -> op1", {"label": "b"})]
    # commutative operations are not marked
    assert [a for h, a in statements(draw_dot(x * x).source) if h == "v0 -> op1"] == [{}, {}]


def test_show_grad_and_local_grads() -> None:
    x = Value(0.5, label="x")
    y = x.tanh()
    assert "grad" not in draw_dot(y, show_grad=False).source
    local = 1 - y.data**2
    source = draw_dot(y, show_local_grads=True).source
    assert attributes(source, "v0 -> op1") == {"label": f"local {local:.4f}"}
    z = x - y
    source = draw_dot(z, show_local_grads=True).source
    assert attributes(source, "v1 -> op2") == {"label": f"b\\nlocal {-1.0:.4f}"}


def test_numbers_that_four_decimals_would_hide_use_scientific_notation() -> None:
    x = Value(3.0517578125e-07, label="tiny")
    y = x * 2e6
    y.backward()
    lines = value_lines(draw_dot(y).source)
    assert lines["v0"] == "{tiny|data 3.052e-07|grad 2.000e+06}"
    assert lines["v1"] == "{data 0.6104|grad 1.0000}"
    assert value_lines(draw_dot(Value(-0.0)).source)["v0"] == "{data 0.0000|grad 0.0000}"


def test_rankdir() -> None:
    x = Value(1.0, label="x")
    tb = draw_dot(x + 1, rankdir="TB").source
    assert attributes(tb, "graph")["rankdir"] == "TB"
    # top to bottom: no braces, so the fields still sit side by side
    assert value_lines(tb)["v0"] == "x|data 1.0000|grad 0.0000"
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_dot(x, rankdir="sideways")


def test_color_by_grad_is_log_scaled_from_white_to_red_with_a_legend() -> None:
    a = Value(1.0, label="a")
    b = Value(1e-3, label="b")
    c = Value(5.0, label="c")
    y = a * 1e3 + b * 1e-3 * 1e3 + c * 0  # grads: a 1e3, b 1, c 0
    y.backward()
    source = draw_dot(y, color_by_grad=True).source

    def fill(label: str) -> str:
        (attrs,) = [
            a for _, a in statements(source) if a.get("label", "").startswith("{" + label + "|")
        ]
        return attrs["fillcolor"]

    assert fill("a") == "#d62728"  # the largest |grad|: full red
    assert fill("c") == "#ffffff"  # zero: white
    # 1e-3 of the largest: halfway down a 6-decade scale
    assert fill("b") == "#ea9394"
    assert attributes(source, "legend")["label"].startswith("<<TABLE")
    assert "relative to the largest (1000.0000)" in source
    assert "fillcolor" not in draw_dot(y).source


# ------------------------------------------------------------------ real rendering


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_renders_to_svg_with_one_node_per_value_and_per_operation() -> None:
    o = neuron()
    o.backward()
    nodes = svg_nodes(render_svg(draw_dot(o)))
    n_values = len(topological_order(o))
    n_ops = sum(1 for v in topological_order(o) if v.parents)
    assert (n_values, n_ops) == (10, 5)
    assert len(nodes) == n_values + n_ops
    texts = {tuple(lines) for lines in nodes.values()}
    assert ("o", "data 0.7071", "grad 1.0000") in texts
    assert ("n", "data 0.8814", "grad 0.5000") in texts
    assert ("x1", "data 2.0000", "grad -1.5000") in texts
    assert ("tanh",) in texts


def test_notebook_display_is_inline_svg() -> None:
    bundle = draw_dot(neuron())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    svg = bundle["image/svg+xml"]
    assert isinstance(svg, str)
    assert "<svg" in svg
    assert len(svg_nodes(ET.fromstring(svg))) == 15


@pytest.mark.parametrize(
    "label",
    [
        "a<b>c",
        "x|y",
        "{z}",
        'say "hi"',
        "back\\slash",
        "two\nlines",
        "\\n",
        '\\"',
        "trail\\",
        "<<html>>",
        "{a|<p> b}",
        "layers.0.neurons.3.w.1",
        "ünïcödé ∂",
    ],
)
def test_labels_render_exactly_as_written(label: str) -> None:
    x = Value(1.0, label=label)
    y = x * 2
    y.label = label
    graph = draw_dot(y)
    nodes = svg_nodes(render_svg(graph))
    expected = [*label.split("\n"), "data 1.0000", "grad 0.0000"]
    assert nodes["v0"] == expected
    assert nodes["v1"][: len(expected)] == [*label.split("\n"), "data 2.0000", "grad 0.0000"]
    # and in top-to-bottom records, which have no braces around the fields
    assert svg_nodes(render_svg(draw_dot(y, rankdir="TB")))["v0"] == expected


# ------------------------------------------------------------------ big graphs


def chain(n: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(n):
        y = y * 1.0
    return y


def wide_sum(n: int) -> Value:
    return autograd.sum([Value(float(i)) for i in range(n)])


def wide_neuron(n: int) -> Value:
    xs = [Value(1.0) for _ in range(n)]
    ws = [Value(0.01 * i) for i in range(n)]
    (z,) = autograd.linear(xs, [ws], [Value(0.5)])
    return z.tanh()


def mlp_loss(samples: int) -> Value:
    """The mean squared error of a 2-3-1 tanh network over a batch of samples."""
    w1 = [[Value(0.1 * (i + j)) for j in range(2)] for i in range(3)]
    b1 = [Value(0.0) for _ in range(3)]
    w2, b2 = [[Value(0.2), Value(-0.3), Value(0.4)]], [Value(0.1)]
    errors = []
    for s in range(samples):
        hidden = [h.tanh() for h in autograd.linear([Value(s), Value(-s)], w1, b1)]
        (out,) = autograd.linear(hidden, w2, b2)
        errors.append((out - 1.0) ** 2)
    return autograd.mean(errors)


@pytest.mark.parametrize(
    ("root", "collapse", "suggests_collapse"),
    [
        (chain(600), False, None),  # nothing to fold
        (wide_sum(784), False, 1),  # folds 784 inputs into one box: the sum alone
        (wide_neuron(784), False, 2),  # linear and tanh, the inputs in one box
        (mlp_loss(30), False, None),  # would hide every sample's network: not offered
        (chain(600), True, None),  # already collapsed, and still too big
    ],
    ids=["chain", "sum", "neuron", "mlp-loss", "collapsed-chain"],
)
def test_max_nodes_error_suggests_what_helps(
    root: Value, collapse: bool, suggests_collapse: int | None
) -> None:
    count = len(_ancestors(root, folded=collapse))
    assert count > 100
    with pytest.raises(ValueError, match=rf"has {count} Values, more than max_nodes=100") as info:
        draw_dot(root, max_nodes=100, collapse=collapse)
    message = str(info.value)
    for advice in ("intermediate Value as the root", "one neuron", "smaller batch", "max_nodes"):
        assert advice in message
    if suggests_collapse is None:
        assert "pass collapse=True" not in message
    else:
        assert "pass collapse=True" in message
        assert f"({suggests_collapse} Values would be drawn)" in message
        drawn = value_lines(draw_dot(root, max_nodes=100, collapse=True).source)
        assert len(drawn) == suggests_collapse
    assert ("already with collapse=True" in message) == collapse
    # raising the limit draws it all (opening every group)
    everything = draw_dot(root, max_nodes=count, collapse=collapse, expand=True)
    assert len(value_lines(everything.source)) == count


def _ancestors(root: Value, folded: bool) -> set[Value]:
    """Independent count of what a drawing holds: every ancestor, or (folded) those
    not reached only through the inputs of a sum/dot/linear/mean node."""
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        if folded and node.op in ("sum", "dot", "linear", "mean"):
            continue
        stack.extend(p for p in node.parents if p not in seen)
        seen.update(node.parents)
    return seen


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "100"])
def test_max_nodes_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"max_nodes must be a positive int, got {bad!r}"):
        draw_dot(Value(1.0), max_nodes=bad)  # type: ignore[arg-type]


def test_collapse_folds_the_inputs_of_dot_sum_and_mean() -> None:
    ws = [Value(0.1 * i, label=f"w.{i}") for i in range(784)]
    xs = [Value(1.0) for _ in range(784)]
    b = Value(0.5, label="b")
    wx = autograd.dot(ws, xs)
    act = (wx + b).tanh()
    source = draw_dot(act, collapse=True).source
    assert len(value_lines(source)) == 4  # dot, b, dot + b, tanh
    i = topological_order(act).index(wx)  # ids number all Values, drawn or not
    assert attributes(source, f"in{i}")["label"] == "1568 inputs"
    assert attributes(source, f"in{i} -> op{i}") == {"color": "#777777", "style": "dashed"}
    nodes = svg_nodes(render_svg(draw_dot(act, collapse=True)))
    assert ["1568 inputs"] in nodes.values()
    assert len(nodes) == 4 + 3 + 1  # values, operations, the summary

    # A neuron's linear node: weights, inputs and the bias fold into one summary.
    (z,) = autograd.linear(xs, [ws], [b])
    source = draw_dot(z.tanh(), collapse=True).source
    assert len(value_lines(source)) == 2  # linear, tanh
    assert "1569 inputs" in [a.get("label") for _, a in statements(source)]

    # An input that is also used elsewhere is drawn with its edge; the rest are counted.
    xs2 = [Value(float(i), label=f"x{i}") for i in range(10)]
    out = autograd.mean(xs2) * xs2[3]
    source = draw_dot(out, collapse=True).source
    lines = value_lines(source)
    assert sorted(label.split("|")[0] for label in lines.values()) == [
        "{data 13.5000",
        "{data 4.5000",
        "{x3",
    ]
    i = topological_order(out).index(out.parents[0])
    heads = [head for head, _ in statements(source)]
    at = heads.index(f"in{i}")  # the summary comes after the drawn input's edge
    assert re.fullmatch(rf"v\d+ -> op{i}", heads[at - 1])
    assert attributes(source, f"in{i}")["label"] == "9 more inputs"
    assert heads[at + 1] == f"in{i} -> op{i}"


# ------------------------------------------------------------------ stepping


def test_steps_of_the_neuron() -> None:
    o = neuron()
    steps = list(backward_steps(o))
    order = topological_order(o)
    assert [s.node for s in steps] == order[::-1]
    assert [s.index for s in steps] == list(range(1, 11))
    first = steps[0]
    assert first.grad == 1.0
    local = first.node.local_grads[0]
    assert first.sends == (Contribution(first.node.parents[0], local, local),)
    assert (
        str(first)
        == "step 1: 'tanh' node 'o' (data 0.7071, grad 1) sends 0.5 x 1 = 0.5 to '+' node 'n'"
    )
    leaf = steps[-1]
    assert not leaf.sends
    assert re.fullmatch(
        r"step 10: leaf '\w+' \(data -?[\d.]+, grad -?[\d.]+\) sends nothing", str(leaf)
    )
    unlabelled = next(s for s in steps if not s.node.label and s.node.op == "*")
    assert re.match(
        r"step \d+: '\*' node \(data -?[\d.]+, grad 0.5\) sends -?[\d.]+ x 0.5 = ",
        str(unlabelled),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.grad = 2.0  # type: ignore[misc]
    assert isinstance(first, BackwardStep)


def test_steps_leave_grads_alone_and_show_one_pass() -> None:
    x = Value(3.0, label="x")
    y = x * x + x
    y.backward()
    y.backward()
    assert x.grad == 14.0  # leaves accumulate across backward() calls
    steps = list(backward_steps(y, grad=2.0))
    assert x.grad == 14.0 and y.grad == 1.0
    assert steps[-1].node is x and steps[-1].grad == 14.0  # one pass of grad 2: 2 * 7
    (only,) = backward_steps(x)  # a leaf alone: one step, the seed
    assert (only.index, only.node, only.grad, only.sends) == (1, x, 1.0, ())
    with pytest.raises(TypeError, match="expects a Value"):
        backward_steps([y])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        backward_steps(y, grad=float("nan"))


def test_draw_step_zero_and_out_of_range() -> None:
    o = neuron()
    source = draw_dot(o, step=0).source
    assert all(label.endswith("grad ?}") for label in value_lines(source).values())
    assert not any("penwidth" in attrs for _, attrs in statements(source))
    for bad in (-1, 11, True, 1.0):
        with pytest.raises(ValueError, match=r"from 0 .* to 10"):
            draw_dot(o, step=bad)  # type: ignore[arg-type]


def test_draw_step_writes_the_chain_rule_on_the_edges_it_sends_along() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    source = draw_dot(c, step=1).source
    label = {"label": "{data -6.0000|grad 1.0000}", "shape": "record"}
    assert attributes(source, "v2") == label | HIGHLIGHT
    edge = attributes(source, "v0 -> op2")
    assert edge["label"] == "-3.0000 x 1.0000 = -3.0000"  # local derivative x upstream grad
    assert edge["color"] == edge["fontcolor"] == "#1f77b4"
    assert value_lines(source)["v0"] == "{a|data 2.0000|grad ?}"


# Random graphs: leaves, then a few operations on earlier nodes (so subexpressions are
# reused), all kept in ranges where nothing overflows.
_UNARY = ("tanh", "sigmoid", "sin", "relu", "neg", "* 0.5", "+ 1")
_BINARY = ("+", "-", "*")
_NARY = ("sum", "dot", "linear", "mean", "logsumexp")

ops_strategy = st.lists(
    st.tuples(
        st.sampled_from(_UNARY + _BINARY + _NARY),
        st.lists(st.integers(min_value=0, max_value=1000), min_size=4, max_size=4),
    ),
    min_size=1,
    max_size=8,
)


def build(leaf_data: list[float], ops: list[tuple[str, list[int]]]) -> Value:
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(leaf_data)]
    pool = list(leaves)
    for op, picks in ops:
        args = [pool[p % len(pool)] for p in picks]
        a, b = args[0], args[1]
        if op == "+":
            out = a + b
        elif op == "-":
            out = a - b
        elif op == "*":
            out = a * b
        elif op == "sum":
            out = autograd.sum(args)
        elif op == "dot":
            out = autograd.dot(args[:2], args[2:])
        elif op == "linear":
            (out,) = autograd.linear(args[:2], [args[2:]], [args[0]])
        elif op == "mean":
            out = autograd.mean(args[:3])
        elif op == "logsumexp":
            out = autograd.logsumexp(args)
        elif op == "neg":
            out = -a
        elif op == "* 0.5":
            out = a * 0.5
        elif op == "+ 1":
            out = a + 1
        else:
            out = getattr(a, op)()
        pool.append(out)
    return pool[-1]


@settings(max_examples=40, deadline=None)
@given(
    leaf_data=st.lists(st.floats(min_value=-2, max_value=2), min_size=1, max_size=4),
    ops=ops_strategy,
    seed=st.floats(min_value=-3, max_value=3),
)
def test_stepping_agrees_with_backward(
    leaf_data: list[float], ops: list[tuple[str, list[int]]], seed: float
) -> None:
    root = build(leaf_data, ops)
    order = topological_order(root)
    steps = list(backward_steps(root, grad=seed))
    assert all(v.grad == 0.0 for v in order)  # backward_steps changed no .grad
    position = {s.node: s.index for s in steps}
    assert sorted(position.values()) == list(range(1, len(order) + 1))
    assert set(position) == set(order)
    # every amount that is not zero reaches its node before that node's step: the
    # step's grad is final (a node the pass never reaches sends only zeros, later)
    assert all(position[c.parent] > s.index for s in steps for c in s.sends if c.amount)
    for s in steps:
        assert [c.parent for c in s.sends] == list(s.node.parents)
        assert all(c.amount == c.local_grad * s.grad for c in s.sends)
    root.backward(seed)
    assert {s.node: s.grad for s in steps} == {v: v.grad for v in order}

    # The same graph, built again, drawn step by step: after k steps exactly the nodes
    # of those steps show a gradient, and the latest one is outlined.
    root = build(leaf_data, ops)
    order = topological_order(root)
    steps = list(backward_steps(root))
    index = {v: i for i, v in enumerate(order)}
    for k in sorted({0, 1, len(steps) // 2, len(steps)}):
        source = draw_dot(root, step=k).source
        processed = {f"v{index[s.node]}" for s in steps[:k]}
        known = {vid for vid, label in value_lines(source).items() if "grad ?" not in label}
        assert known == processed
        highlighted = [h for h, a in statements(source) if a.get("penwidth") == "3"]
        assert highlighted == ([f"v{index[steps[k - 1].node]}"] if k else [])
    last = draw_dot(root, step=len(steps)).source
    root.backward()
    # the last step's node is a leaf (it sends nothing), so only its outline differs
    outline_removed = [
        (head, {k: v for k, v in attrs.items() if (k, v) not in HIGHLIGHT.items()})
        for head, attrs in statements(last)
    ]
    assert outline_removed == statements(draw_dot(root).source)


# ------------------------------------------------------------------ files and errors


@pytest.mark.parametrize(
    ("name", "magic"),
    [("g.svg", b"<?xml"), ("g.png", b"\x89PNG\r\n\x1a\n"), ("g.PDF", b"%PDF-")],
)
def test_save_graph_writes_exactly_the_path(tmp_path: Path, name: str, magic: bytes) -> None:
    target = tmp_path / name
    result = save_graph(neuron(), target, show_local_grads=True)
    assert result == target
    assert target.read_bytes().startswith(magic)
    assert list(tmp_path.iterdir()) == [target]
    assert save_graph(neuron(), str(target)) == target  # a str path works too


def test_save_graph_rejects_other_extensions(tmp_path: Path) -> None:
    for name in ("g.jpg", "g", "g.dot"):
        with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
            save_graph(neuron(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="expects a Value"):
        draw_dot(2.0)  # type: ignore[arg-type]


def test_missing_dot_says_how_to_install_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = draw_dot(neuron())  # building the graph needs no `dot`
    monkeypatch.setenv("PATH", "")
    for attempt in (
        lambda: save_graph(neuron(), tmp_path / "g.svg"),
        graph._repr_mimebundle_,
        lambda: graph.pipe(format="png"),
    ):
        with pytest.raises(GraphvizNotFoundError) as info:
            attempt()
        message = str(info.value)
        for hint in ("apt-get install graphviz", "brew install graphviz", "conda", "graphviz.org"):
            assert hint in message
        assert isinstance(info.value, RuntimeError)
        assert isinstance(info.value.__cause__, graphviz.ExecutableNotFound)
    assert list(tmp_path.iterdir()) == []


def test_repr_is_stable_text_without_an_address() -> None:
    x = Value(2.0, label="x")
    y = (x * x + 1.0).tanh()  # 4 values: x, x*x, +1, tanh; 3 operations
    text = repr(draw_dot(y))
    assert text == "<computation graph: 4 values, 3 operations>"
    assert repr(draw_dot(y)) == text


# ------------------------------------------------------------------ optional packages

# Run in a fresh interpreter in which importing any of HIDDEN fails, as it does where
# the package is not installed.
HIDE_PACKAGES = """
import importlib.abc, json, sys
HIDDEN = {hidden!r}
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Hide())
"""


def run_without(hidden: set[str], body: str) -> dict[str, object]:
    """Run `body` (which ends by printing a JSON object) with `hidden` not importable."""
    script = HIDE_PACKAGES.format(hidden=sorted(hidden)) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_import_autograd_and_nn_need_neither_graphviz_nor_matplotlib() -> None:
    result = run_without(
        {"graphviz", "matplotlib", "selenium"},
        """
        import autograd, nn
        x = autograd.Value(2.0, label="x")
        y = (x * x).tanh()
        steps = [step.grad for step in autograd.backward_steps(y)]  # needs no graphviz
        loaded = sorted(m for m in ("graphviz", "matplotlib") if m in sys.modules)
        print(json.dumps({"steps": steps, "loaded": loaded, "names": dir(autograd)}))
        """,
    )
    x = Value(2.0)
    y = (x * x).tanh()
    assert result["steps"] == [s.grad for s in backward_steps(y)]
    assert result["loaded"] == []
    assert {"draw_dot", "save_graph", "backward_steps"} <= set(result["names"])  # type: ignore[arg-type]


def test_drawing_without_the_graphviz_package_says_what_to_install() -> None:
    result = run_without(
        {"graphviz"},
        """
        import autograd, autograd.viz
        messages = []
        for attempt in (
            lambda: autograd.draw_dot(autograd.Value(1.0)),
            lambda: autograd.save_graph(autograd.Value(1.0), "never-written.svg"),
            lambda: autograd.viz.GraphvizNotFoundError,
        ):
            try:
                attempt()
            except ModuleNotFoundError as error:
                messages.append([str(error), error.name])
        print(json.dumps({"messages": messages}))
        """,
    )
    messages = result["messages"]
    assert isinstance(messages, list) and len(messages) == 3
    for (message, name), who in zip(
        messages, ["draw_dot", "save_graph", "autograd.viz.GraphvizNotFoundError"]
    ):
        assert name == "graphviz"
        assert message.startswith(f"{who} needs the Python package `graphviz`")
        assert "pip install graphviz" in message
        assert "apt-get install graphviz" in message  # and the `dot` program beside it


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'draw_dots'"):
        autograd.draw_dots  # type: ignore[attr-defined]  # noqa: B018
    assert autograd.draw_dot is draw_dot


# ------------------------------------------------------------------ hostile labels, errors

HOSTILE_LABELS = ["a\x00b", "y" * 16_384, "a\ud800b", "\udfff"]


@pytest.mark.parametrize("label", HOSTILE_LABELS, ids=["nul", "16384-chars", "surrogate", "lone"])
def test_labels_graphviz_cannot_take_are_shown_escaped_or_cut(label: str, tmp_path: Path) -> None:
    y = Value(2.0, label=label) * 3.0
    shown = svg_nodes(render_svg(draw_dot(y)))["v0"]
    text = " ".join(shown)
    if len(label) > 200:
        assert "y" * 200 + "\u2026 (16,384 characters)" in text
    else:
        assert label.encode("unicode_escape").decode("ascii") in text  # \x00, \ud800
    assert save_graph(y, tmp_path / "g.svg").read_bytes().startswith(b"<?xml")
    page = autograd.explore(y, title=label)
    page.save(tmp_path / "g.html")  # the page is valid UTF-8: nothing unencodable in it


def test_save_graphs_errors_name_save_graph(tmp_path: Path) -> None:
    o = neuron()
    with pytest.raises(ValueError, match=r"^save_graph: step must be an int"):
        save_graph(o, tmp_path / "g.svg", step=99)
    with pytest.raises(ValueError, match=r"^save_graph: the graph has 10 Values"):
        save_graph(o, tmp_path / "g.svg", max_nodes=3)
    with pytest.raises(TypeError, match=r"^save_graph: unknown option 'colour_by_grad'"):
        save_graph(o, tmp_path / "g.svg", colour_by_grad=True)
    assert list(tmp_path.iterdir()) == []


def test_a_dot_that_does_not_finish_is_stopped_and_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tmp_path / "bin" / "dot"
    slow.parent.mkdir()
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(slow.parent))
    graph = draw_dot(neuron(), timeout=0.5)
    with pytest.raises(autograd.viz.GraphvizError, match=r"^draw_dot: .* within timeout=0.5 s"):
        graph.pipe(format="svg")
    with pytest.raises(autograd.viz.GraphvizError, match=r"^save_graph: .*explore"):
        save_graph(neuron(), tmp_path / "g.svg", timeout=0.5)
    assert not (tmp_path / "g.svg").exists()
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        draw_dot(neuron(), timeout=0)


# ------------------------------------------------------------------ grouped drawings


def test_a_large_graph_is_drawn_grouped_and_opens_on_request() -> None:
    root = mlp_loss(6)  # 6 samples: each sample's Values are one box
    order = topological_order(root)
    grouped = draw_dot(root, group_above=20)
    boxes = {h: a for h, a in statements(grouped.source) if re.fullmatch(r"g\d+", h)}
    assert len(boxes) == 6 and len(value_lines(grouped.source)) < 20
    inside = {h: int(a["label"].split("\\n")[1].split()[0]) for h, a in boxes.items()}
    assert sum(inside.values()) + len(value_lines(grouped.source)) == len(order)
    svg = svg_nodes(render_svg(grouped))  # Graphviz lays it out, within its timeout
    assert {"sample 0", "sample 5"} <= {lines[0] for lines in svg.values()}
    opened = draw_dot(root, group_above=20, expand={"sample 2"})
    shown = value_lines(opened.source)
    assert len(shown) == len(value_lines(grouped.source)) + inside[_box_of(grouped, "sample 2")]
    with pytest.raises(ValueError, match=r"^draw_dot: expand names no group 'layers.9'"):
        draw_dot(root, group_above=20, expand={"layers.9"})
    with pytest.raises(TypeError, match=r"expand takes a set of group names"):
        draw_dot(root, expand="sample 2")  # type: ignore[arg-type]


def _box_of(graph: graphviz.Digraph, title: str) -> str:
    return next(
        h for h, a in statements(graph.source) if a.get("label", "").startswith(title + "\\n")
    )


def test_a_step_inside_a_closed_group_outlines_its_box_and_names_the_node() -> None:
    root = mlp_loss(4)
    steps = list(backward_steps(root))
    k = next(s.index for s in steps if s.node.op == "tanh")
    source = draw_dot(root, group_above=10, step=k).source
    lit = [(h, a) for h, a in statements(source) if a.get("penwidth") == "3"]
    assert len(lit) == 1 and lit[0][0].startswith("g")
    assert f"step {k}: 'tanh' node" in lit[0][1]["label"]
    root.backward()  # after the last step a box shows the sum of its Values' gradients
    last = draw_dot(root, group_above=10, step=len(steps)).source
    box = _box_of(draw_dot(root, group_above=10), "sample 1")
    label = attributes(last, box)["label"]
    assert "grad sum" in label


def test_steps_add_up_in_backwards_own_order_where_it_skips_a_zero_edge() -> None:
    # relu at x <= 0 has local derivative 0, so backward() does not follow that edge and
    # visits the other nodes in another order than topological_order; the steps follow
    # it, so that x0's gradient is the same sum, added in the same order, to the bit
    x0 = Value(-1.0, label="x0")
    a = x0.tanh()
    root = autograd.sum([x0, a, -x0, a.relu()])  # relu(tanh(-1)): a zero edge
    steps = list(backward_steps(root))
    root.backward()
    assert {s.node: s.grad for s in steps} == {v: v.grad for v in topological_order(root)}


def test_a_picture_dot_cannot_lay_out_in_time_is_drawn_with_more_boxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a `dot` that never finishes a graph drawing v40 itself, and draws anything smaller
    slow = tmp_path / "bin" / "dot"
    slow.parent.mkdir()
    slow.write_text(
        f"#!{sys.executable}\nimport sys, time\nsource = sys.stdin.read()\n"
        "if '\\tv40 [' in source:\n    time.sleep(60)\n"
        "sys.stdout.write('<svg>' + str(source.count('\\n')) + '</svg>')\n"
    )
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(slow.parent))
    x = Value(0.5, label="x")
    y = x
    for _ in range(119):
        y = y * 0.5 + 0.25  # 239 Values: all drawn at group_above=300
    graph = draw_dot(y, group_above=300, timeout=1.0)
    assert "\tv40 [" in graph.source
    with pytest.warns(RuntimeWarning, match=r"^draw_dot: .* within timeout=1 s; drawn with more"):
        svg = graph.pipe(format="svg")
    simpler = graph.fallback()
    assert "\tv40 [" not in simpler.source
    assert svg == f"<svg>{simpler.source.count(chr(10))}</svg>".encode()
