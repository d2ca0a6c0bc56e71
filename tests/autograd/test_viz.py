"""Tests for autograd.viz: the DOT source, real rendering with `dot`, stepping, files."""

from __future__ import annotations

import dataclasses
import re
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
HIGHLIGHT = ' color="#1f77b4" penwidth=3'


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


def value_lines(source: str) -> dict[str, str]:
    """DOT id -> label of every Value node (v0, v1, ...) in a DOT source."""
    return dict(re.findall(r'^\t(v\d+) \[label="((?:[^"\\]|\\.)*)".*shape=record', source, re.M))


# ------------------------------------------------------------------ DOT source


def test_source_of_a_small_expression_is_exact() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c - a
    d.backward()
    assert draw_dot(d).source == (
        "digraph computation_graph {\n"
        "\tgraph [ordering=in rankdir=LR]\n"
        "\tnode [fontname=Helvetica fontsize=11]\n"
        "\tedge [fontname=Helvetica fontsize=9]\n"
        '\tv0 [label="{a|data 2.0000|grad -4.0000}" shape=record]\n'
        '\tv1 [label="{b|data -3.0000|grad 2.0000}" shape=record]\n'
        '\tv2 [label="{c|data -6.0000|grad 1.0000}" shape=record]\n'
        '\top2 [label="*" shape=ellipse]\n'
        "\top2 -> v2\n"
        "\tv0 -> op2\n"
        "\tv1 -> op2\n"
        '\tv3 [label="{data -8.0000|grad 1.0000}" shape=record]\n'
        '\top3 [label="a - b" shape=ellipse]\n'
        "\top3 -> v3\n"
        "\tv2 -> op3 [label=a]\n"
        "\tv0 -> op3 [label=b]\n"
        "}\n"
    )


def test_edges_follow_the_order_of_the_parents() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    ab = draw_dot(a * b).source
    ba = draw_dot(b * a).source
    # v0 is the first parent (visited first), so its edge comes first either way...
    assert "\tv0 -> op2\n\tv1 -> op2\n" in ab
    assert "\tv0 -> op2\n\tv1 -> op2\n" in ba
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
    assert f'\top1 [label="{op_label}" shape=ellipse]' in source or (
        f"\top1 [label={op_label} shape=ellipse]" in source
    )
    # one Value node per Value: the constant is not a node
    assert len(value_lines(source)) == 2


def test_non_commutative_operands_are_marked_and_repeated_parents_drawn_twice() -> None:
    x = Value(3.0, label="x")
    for op in ("-", "/", "**"):
        y = {"-": x - x, "/": x / x, "**": x**x}[op]
        source = draw_dot(y).source
        assert f'op1 [label="a {op} b"' in source
        assert "\tv0 -> op1 [label=a]\n\tv0 -> op1 [label=b]\n" in source
    # commutative operations are not marked
    assert "label=a]" not in draw_dot(x * x).source


def test_show_grad_and_local_grads() -> None:
    x = Value(0.5, label="x")
    y = x.tanh()
    assert "grad" not in draw_dot(y, show_grad=False).source
    local = 1 - y.data**2
    assert f'\tv0 -> op1 [label="local {local:.4f}"]' in draw_dot(y, show_local_grads=True).source
    z = x - y
    assert (
        f'\tv1 -> op2 [label="b\\nlocal {-1.0:.4f}"]' in draw_dot(z, show_local_grads=True).source
    )


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
    assert "rankdir=TB" in tb
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
        match = re.search(r'label="\{' + label + r'\|[^\n]*fillcolor="(#[0-9a-f]{6})"', source)
        assert match, label
        return match.group(1)

    assert fill("a") == "#d62728"  # the largest |grad|: full red
    assert fill("c") == "#ffffff"  # zero: white
    # 1e-3 of the largest: halfway down a 6-decade scale
    assert fill("b") == "#ea9394"
    assert "\tlegend [label=<<TABLE" in source
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


def test_max_nodes_error_says_how_many_and_what_to_do() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(600):
        y = y * 1.0
    with pytest.raises(ValueError, match=r"has 601 Values, more than max_nodes=500") as info:
        draw_dot(y)
    message = str(info.value)
    assert "sub-expression" in message
    assert "raise max_nodes" in message
    assert "collapse=True" not in message  # would not help a chain
    assert len(value_lines(draw_dot(y, max_nodes=601).source)) == 601

    xs = [Value(float(i)) for i in range(784)]
    s = autograd.sum(xs)
    with pytest.raises(ValueError, match=r"collapse=True .*\(1 Values would be drawn\)"):
        draw_dot(s)
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        draw_dot(x, max_nodes=0)


def test_collapse_folds_the_inputs_of_dot_sum_and_mean() -> None:
    ws = [Value(0.1 * i, label=f"w.{i}") for i in range(784)]
    xs = [Value(1.0) for _ in range(784)]
    b = Value(0.5, label="b")
    wx = autograd.dot(ws, xs)
    act = (wx + b).tanh()
    source = draw_dot(act, collapse=True).source
    assert len(value_lines(source)) == 4  # dot, b, dot + b, tanh
    i = topological_order(act).index(wx)  # ids number all Values, drawn or not
    assert f'\tin{i} [label="1568 inputs"' in source
    assert f'\tin{i} -> op{i} [color="#777777" style=dashed]' in source
    nodes = svg_nodes(render_svg(draw_dot(act, collapse=True)))
    assert ["1568 inputs"] in nodes.values()
    assert len(nodes) == 4 + 3 + 1  # values, operations, the summary

    # A neuron's linear node: weights, inputs and the bias fold into one summary.
    (z,) = autograd.linear(xs, [ws], [b])
    source = draw_dot(z.tanh(), collapse=True).source
    assert len(value_lines(source)) == 2  # linear, tanh
    assert '[label="1569 inputs"' in source

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
    assert re.search(rf'\tv\d+ -> op{i}\n\tin{i} \[label="9 more inputs"', source)
    assert f"\tin{i} -> op{i}" in source


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
        == "step 1: 'tanh' node 'o' (data 0.7071, grad 1) sends 1 x 0.5 = 0.5 to '+' node 'n'"
    )
    leaf = steps[-1]
    assert not leaf.sends
    assert re.fullmatch(
        r"step 10: leaf '\w+' \(data -?[\d.]+, grad -?[\d.]+\) sends nothing", str(leaf)
    )
    unlabelled = next(s for s in steps if not s.node.label and s.node.op == "*")
    assert re.match(
        r"step \d+: '\*' node \(data -?[\d.]+, grad 0.5\) sends 0.5 x ", str(unlabelled)
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
    assert "penwidth" not in source
    for bad in (-1, 11, True, 1.0):
        with pytest.raises(ValueError, match=r"from 0 .* to 10"):
            draw_dot(o, step=bad)  # type: ignore[arg-type]


def test_draw_step_writes_the_chain_rule_on_the_edges_it_sends_along() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    source = draw_dot(c, step=1).source
    assert '\tv2 [label="{data -6.0000|grad 1.0000}"' + HIGHLIGHT + " shape=record]" in source
    assert '\tv0 -> op2 [label="1.0000 x -3.0000 = -3.0000" color="#1f77b4"' in source
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
    assert [s.node for s in steps] == order[::-1]
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
        highlighted = re.findall(r"^\t(v\d+) \[.*penwidth=3", source, re.M)
        assert highlighted == ([f"v{index[steps[k - 1].node]}"] if k else [])
    last = draw_dot(root, step=len(steps)).source
    root.backward()
    # the last step's node is a leaf (it sends nothing), so only its outline differs
    assert last.replace(HIGHLIGHT, "") == draw_dot(root).source


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
