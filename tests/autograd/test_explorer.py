"""Tests for autograd.explore: the page's content, then the page itself in Chromium."""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import autograd
from autograd import Value, backward_steps, topological_order
from autograd.explorer import GraphPage, formula


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def reused() -> Value:
    a = Value(3.0, label="a")
    b = a + a
    return (b * b - a / b) ** 2


def mlp_loss() -> Value:
    """The mean squared error of a 2-3-1 tanh network on four samples."""
    rng = np.random.default_rng(0)
    w1 = [[Value(float(w)) for w in row] for row in rng.normal(size=(3, 2))]
    b1 = [Value(float(b)) for b in rng.normal(size=3)]
    w2, b2 = [[Value(float(w)) for w in rng.normal(size=3)]], [Value(0.1)]
    errors = []
    for x, y in zip(rng.normal(size=(4, 2)), (1.0, -1.0, 1.0, -1.0)):
        hidden = [h.tanh() for h in autograd.linear([float(v) for v in x], w1, b1)]
        (out,) = autograd.linear(hidden, w2, b2)
        errors.append((out - y) ** 2)
    return autograd.mean(errors)


def page_data(page: GraphPage) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" class="bpl-data">(.*?)</script>', page.html)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def grads_after(root: Value, k: int, seed: float = 1.0) -> list[float]:
    """Every node's gradient after k steps of the backward pass, from backward_steps:
    the seed on the root once the pass has begun, plus every amount sent so far."""
    order = topological_order(root)
    grads = dict.fromkeys(order, 0.0)
    if k:
        grads[root] = seed
    for step in list(backward_steps(root, grad=seed))[:k]:
        for send in step.sends:
            grads[send.parent] += send.amount
    return [grads[v] for v in order]


# ------------------------------------------------------------------ the page's content


def test_the_page_holds_the_steps_of_backward_steps() -> None:
    root = reused()
    page = autograd.explore(root, grad=2.0)
    data = page_data(page)
    order = topological_order(root)
    steps = list(backward_steps(root, grad=2.0))
    assert page.steps == len(steps) + 1 == len(order) + 1
    assert data["seed"] == 2.0
    assert [n["data"] for n in data["nodes"]] == [v.data for v in order]
    assert [n["op"] for n in data["nodes"]] == [v.op for v in order]
    index = {v: i for i, v in enumerate(order)}
    assert data["steps"] == [
        {
            "node": index[s.node],
            "grad": s.grad,
            "sends": [[index[c.parent], c.local_grad, c.amount] for c in s.sends],
        }
        for s in steps
    ]
    assert all(v.grad == 0.0 for v in order)  # exploring changes no .grad


def test_the_page_is_self_contained() -> None:
    page = autograd.explore(neuron())
    text = page.html
    assert text.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in text  # the page may fetch nothing, even by mistake
    for reference in ("<link", "@import", "url(", " src=", "href=", "<iframe", "<img"):
        assert reference not in text
    # the only URL is the SVG namespace, which is a name, not a request
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    assert page._repr_html_() in text  # the notebook gets the same page without the document
    assert page._repr_html_().startswith('<div class="bpl-page"')


@pytest.mark.parametrize(
    ("op", "says"),
    [
        ("tanh", "Forward: t = tanh(x). Local derivative: 1 - t**2."),
        ("*", "Forward: a * b. Local derivatives: b, a."),
        ("* 2", "Forward: a * b. Local derivatives: b, a."),
        ("2 /", "Forward: q = c / b. Local derivative: -q / b."),
        ("** 3", "Forward: y = x ** p. A number exponent p: local derivative p * x ** (p - 1);"),
        ("sum", "Local derivatives: 1 for every input."),
        ("logsumexp", "Local derivatives: softmax(x)_i."),
    ],
)
def test_formulas_come_from_the_engines_docstrings(op: str, says: str) -> None:
    assert says in formula(op)
    assert "\n" not in formula(op)


def test_an_undocumented_op_has_no_formula() -> None:
    assert formula("my_primitive") == ""
    assert formula("_walk") == ""


def test_save_writes_the_page(tmp_path: Path) -> None:
    page = autograd.explore(neuron(), title="a neuron")
    target = page.save(tmp_path / "graph.html")
    assert target == tmp_path / "graph.html"
    assert target.read_text(encoding="utf-8") == page.html
    assert "<title>a neuron</title>" in page.html
    with pytest.raises(ValueError, match=r"ending in \.html"):
        page.save(tmp_path / "graph.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.html"]


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda: autograd.explore([neuron()]), TypeError, "explore expects a Value, got list"),
        (lambda: autograd.explore(neuron(), grad=math.nan), ValueError, "finite"),
        (lambda: autograd.explore(neuron(), rankdir="up"), ValueError, "rankdir must be one of"),
        (lambda: autograd.explore(neuron(), max_nodes=0), ValueError, "positive int"),
        (lambda: autograd.explore(neuron(), title=3), TypeError, "title must be a str"),
    ],
)
def test_bad_arguments_are_refused(call: Callable[[], object], error: type, says: str) -> None:
    with pytest.raises(error, match=re.escape(says)):
        call()


def test_a_big_graph_gets_draw_dots_message() -> None:
    root = mlp_loss()
    count = len(topological_order(root))
    with pytest.raises(ValueError, match=rf"^explore: the graph has {count} Values") as info:
        autograd.explore(root, max_nodes=20)
    assert "smaller batch" in str(info.value)
    page = autograd.explore(root, max_nodes=count)
    assert page.steps == count + 1


# ------------------------------------------------------------------ in the browser


def open_page(browser: Any, tmp_path: Path, root: Value, **options: Any) -> GraphPage:
    page = autograd.explore(root, **options)
    path = page.save(tmp_path / "graph.html")
    browser.open(path)
    assert browser.console_errors() == []
    assert browser.requested_urls() == [path.resolve().as_uri()]  # nothing else is fetched
    return page


def state(browser: Any) -> dict[str, Any]:
    result: dict[str, Any] = browser.run("return window.backproplab.state()")
    return result


@pytest.mark.parametrize(
    ("make", "options"),
    [(neuron, {}), (reused, {"grad": -0.5}), (mlp_loss, {}), (mlp_loss, {"collapse": True})],
    ids=["neuron", "reused-values", "mlp-loss", "mlp-loss-collapsed"],
)
def test_every_nodes_numbers_are_the_engines_at_every_tested_step(
    browser: Any, tmp_path: Path, make: Callable[[], Value], options: dict[str, Any]
) -> None:
    root = make()
    page = open_page(browser, tmp_path, root, **options)
    order = topological_order(root)
    seed = options.get("grad", 1.0)
    assert browser.run("return window.backproplab.steps") == page.steps == len(order) + 1
    assert state(browser)["step"] == 0  # the page opens on the forward values
    last = page.steps - 1
    for k in sorted({0, 1, 2, last // 2, last - 1, last}):
        assert browser.run("return window.backproplab.step(arguments[0])", k) == k
        shown = state(browser)
        assert shown["step"] == k
        assert [n["id"] for n in shown["nodes"]] == [f"v{i}" for i in range(len(order))]
        assert [n["label"] for n in shown["nodes"]] == [v.label for v in order]
        assert [n["op"] for n in shown["nodes"]] == [v.op for v in order]
        assert [n["data"] for n in shown["nodes"]] == [v.data for v in order]
        assert [n["grad"] for n in shown["nodes"]] == grads_after(root, k, seed)
    root.backward(seed)  # the end of the page's pass is the engine's backward()
    assert [n["grad"] for n in state(browser)["nodes"]] == [v.grad for v in order]
    assert browser.console_errors() == []


def test_the_screen_shows_the_step(browser: Any, tmp_path: Path) -> None:
    root = neuron()
    open_page(browser, tmp_path, root)
    order = topological_order(root)
    browser.run("window.backproplab.step(4)")
    step4 = list(backward_steps(root))[3]  # the product x1 * w1 sends 0.5 x (-3), 0.5 x 2
    boxes = browser.driver.find_elements(By.CSS_SELECTOR, "g.node.bpl-current")
    i = order.index(step4.node)
    assert sorted(box.get_attribute("id") for box in boxes) == [f"op{i}", f"v{i}"]
    carried = [t.text for t in browser.driver.find_elements(By.CSS_SELECTOR, "text.bpl-carry")]
    assert carried == ["-3.0000 x 0.5000 = -1.5000", "2.0000 x 0.5000 = 1.0000"]
    caption = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-caption").text
    assert caption.startswith("Step 4 of 10: '*' node 'x1*w1'") or caption.startswith(
        "Step 4 of 10: '*' node (data -6.0000)"
    )
    grads = [t.text for t in browser.driver.find_elements(By.CSS_SELECTOR, "g.node text.bpl-grad")]
    x1 = order.index(next(v for v in order if v.label == "x1"))
    x1_grad = browser.driver.find_element(By.CSS_SELECTOR, f'[id="v{x1}"] text.bpl-grad').text
    assert x1_grad == "grad -1.5000"  # received, not yet final: shown in grey
    assert len(grads) == len(order)


def test_keyboard_and_buttons_step_through_the_pass(browser: Any, tmp_path: Path) -> None:
    page = open_page(browser, tmp_path, neuron())
    body = browser.driver.find_element(By.TAG_NAME, "body")
    for key, expected in [
        (Keys.ARROW_RIGHT, 1),
        (Keys.ARROW_RIGHT, 2),
        (Keys.ARROW_RIGHT, 3),
        (Keys.ARROW_LEFT, 2),
        (Keys.END, page.steps - 1),
        (Keys.ARROW_RIGHT, page.steps - 1),  # the end stays the end
        (Keys.HOME, 0),
        (Keys.ARROW_LEFT, 0),
    ]:
        body.send_keys(key)
        assert state(browser)["step"] == expected
    for button, expected in [("next", 1), ("next", 2), ("prev", 1), ("last", 10), ("first", 0)]:
        browser.driver.find_element(By.CSS_SELECTOR, f'button[data-go="{button}"]').click()
        assert state(browser)["step"] == expected
    for bad in (-1, page.steps, 1.5, "2"):
        with pytest.raises(Exception, match="step\\(k\\) needs an integer k from 0 to 10"):
            browser.run("window.backproplab.step(arguments[0])", bad)
    assert state(browser)["step"] == 0


def test_hovering_a_node_shows_its_formula_and_full_numbers(browser: Any, tmp_path: Path) -> None:
    root = neuron()
    open_page(browser, tmp_path, root)
    order = topological_order(root)
    browser.run("window.backproplab.step(arguments[0])", len(order))
    box = browser.driver.find_element(By.CSS_SELECTOR, f'[id="v{len(order) - 1}"]')
    ActionChains(browser.driver).move_to_element(box).perform()
    info = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-info").text
    assert "label o" in " ".join(info.split())
    assert f"data {root.data!r}" in " ".join(info.split())  # full precision
    assert "Forward: t = tanh(x). Local derivative: 1 - t**2." in info
    b = next(v for v in order if v.label == "b")
    browser.driver.find_element(By.CSS_SELECTOR, f'[id="v{order.index(b)}"]').click()
    info = " ".join(browser.driver.find_element(By.CSS_SELECTOR, ".bpl-info").text.split())
    assert f"data {b.data!r}" in info and "leaf" in info


HOSTILE = [
    '<img src=x onerror="window.__pwned = 1">',
    "</script><script>window.__pwned = 2</script>",
    '"><svg onload="window.__pwned = 3">',
    "\u2028'; window.__pwned = 4; '",
]


def test_a_hostile_label_shows_as_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    values = [Value(float(i + 1), label=label) for i, label in enumerate(HOSTILE)]
    root = autograd.sum(values)
    root.label = HOSTILE[0]
    open_page(browser, tmp_path, root, title=HOSTILE[1])
    browser.run("window.backproplab.step(arguments[0])", 1)
    assert browser.run("return window.__pwned === undefined")
    assert browser.run("return document.querySelectorAll('img, iframe').length") == 0
    assert browser.run("return document.querySelectorAll('svg').length") == 1  # Graphviz's own
    assert [n["label"] for n in state(browser)["nodes"]] == [*HOSTILE, HOSTILE[0]]
    texts = browser.run(
        "return Array.from(document.querySelectorAll('g.node text')).map(t => t.textContent)"
    )
    for label in HOSTILE[:3]:
        assert label in texts
    assert browser.run("return document.title") == HOSTILE[1]
    assert browser.console_errors() == []


def test_a_screenshot_is_not_blank(browser: Any, tmp_path: Path) -> None:
    open_page(browser, tmp_path, neuron())
    browser.run("window.backproplab.step(3)")
    element = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-page")
    picture = np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB"))
    height, width, _ = picture.shape
    assert width > 600 and height > 200
    not_white = (picture < 240).any(axis=2).mean()
    blue = ((picture[..., 2] > 150) & (picture[..., 0] < 80)).sum()  # the step's outline
    assert 0.02 < not_white < 0.6
    assert blue > 50


# ------------------------------------------------------------------ layout and groups


def random_dag(rng: np.random.Generator, n: int) -> tuple[list[list[float]], list[list[int]]]:
    """Box sizes and edges (from an earlier box to a later one, some back) of a random graph."""
    sizes = [[float(rng.integers(30, 200)), float(rng.choice([26, 52]))] for _ in range(n)]
    edges = []
    for b in range(1, n):
        for a in rng.choice(b, size=min(b, int(rng.integers(1, 4))), replace=False):
            edges.append([int(a), b])
    if n > 1:
        edges += [[int(rng.integers(1, n)), 0]]  # one edge back: drawn, not used for layers
    return sizes, edges


def test_the_layouts_invariants_hold(browser: Any, tmp_path: Path) -> None:
    open_page(browser, tmp_path, neuron())
    rng = np.random.default_rng(7)
    for n in (1, 2, 15, 120, 600):
        sizes, edges = random_dag(rng, n)
        placed = browser.run(
            "return window.backproplab.layout(arguments[0], arguments[1])", sizes, edges
        )
        again = browser.run(
            "return window.backproplab.layout(arguments[0], arguments[1])", sizes, edges
        )
        assert placed == again  # the same graph, the same picture
        layer, x, y = placed["layer"], placed["x"], placed["y"]
        for a, b in edges:
            if a < b:
                assert layer[a] < layer[b]  # every edge runs from an earlier layer to a later one
        boxes = sorted((x[k], y[k], x[k] + w, y[k] + h) for k, (w, h) in enumerate(sizes))
        for k, first in enumerate(boxes):  # no two boxes overlap
            for second in boxes[k + 1 :]:
                if second[0] >= first[2]:
                    break
                assert second[1] >= first[3] or first[1] >= second[3]


def batch_loss(samples: int, labels: list[str] | None = None) -> Value:
    """A labelled 2-3-1 network's mean squared error over a batch (leaf inputs labelled)."""
    rng = np.random.default_rng(1)
    w1 = [
        [Value(float(rng.normal()), label=f"layers.0.neurons.{i}.w.{j}") for j in range(2)]
        for i in range(3)
    ]
    b1 = [Value(0.1 * i, label=f"layers.0.neurons.{i}.b") for i in range(3)]
    w2 = [[Value(float(rng.normal()), label=f"layers.1.neurons.0.w.{k}") for k in range(3)]]
    b2 = [Value(0.1, label="layers.1.neurons.0.b")]
    errors = []
    for s in range(samples):
        label = labels[s] if labels else f"x[{s}]"
        xs = [Value(float(rng.normal()), label=f"{label}.{j}") for j in range(2)]
        hidden = [h.tanh() for h in autograd.linear(xs, w1, b1)]
        (out,) = autograd.linear(hidden, w2, b2)
        errors.append((out - (-1.0) ** s) ** 2)
    return autograd.mean(errors)


def shown_boxes(browser: Any) -> list[str]:
    result: list[str] = browser.run(
        "return Array.from(document.querySelectorAll('g.node')).map(g => g.id)"
    )
    return result


def test_a_grouped_page_opens_a_group_to_the_engines_own_numbers(
    browser: Any, tmp_path: Path
) -> None:
    root = batch_loss(4)
    order = topological_order(root)
    open_page(browser, tmp_path, root, group_above=10)
    boxes = shown_boxes(browser)
    assert len(boxes) < 15 and any(b.startswith("g") for b in boxes)
    groups = page_groups(browser)
    sample = groups.index("sample 2")
    browser.driver.find_element(By.CSS_SELECTOR, f'[id="g{sample}"]').click()
    opened = shown_boxes(browser)
    x = order.index(next(v for v in order if v.label == "x[2].0"))
    assert f"v{x}" in opened  # the sample's own inputs show, its layers stay closed
    assert not any(f"v{i}" in opened for i, v in enumerate(order) if v.op == "linear")
    browser.run("window.backproplab.open('sample 2/layers.0/layers.0.neurons.1')")
    inside = [
        i for i, v in enumerate(order) if v.op == "linear" and f"v{i}" in shown_boxes(browser)
    ]
    assert len(inside) == 1
    text = browser.driver.find_element(By.CSS_SELECTOR, f'[id="v{inside[0]}"]').text
    assert f"data {order[inside[0]].data:.4f}" in text  # the engine's number, as draw_dot writes it
    assert [n["data"] for n in state(browser)["nodes"]] == [v.data for v in order]
    assert browser.console_errors() == []


def page_groups(browser: Any) -> list[str]:
    names: list[str] = browser.run(
        "return JSON.parse(document.querySelector('script.bpl-data').textContent)"
        ".groups.map(g => g.name)"
    )
    return names


def test_stepping_through_closed_groups_reaches_backwards_gradients(
    browser: Any, tmp_path: Path
) -> None:
    root = batch_loss(3)
    order = topological_order(root)
    page = open_page(browser, tmp_path, root, group_above=10)
    steps = list(backward_steps(root))
    k = next(s.index for s in steps if s.node.op == "tanh")  # a step inside a closed sample
    browser.run("window.backproplab.step(arguments[0])", k)
    caption = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-caption").text
    assert caption.startswith(f"Step {k} of {len(order)}: inside the closed group 'sample ")
    lit = browser.driver.find_elements(By.CSS_SELECTOR, "g.node.bpl-current")
    assert [e.get_attribute("id")[0] for e in lit] == ["g"]
    # the box shows the sum of its Values' gradients at this step
    shown = state(browser)
    grads = grads_after(root, k)
    for name, total in shown["boxes"].items():
        j = page_groups(browser).index(name)
        members = [
            i for i, g in enumerate(page_data(page)["nodes"]) if _within(page, g["group"], j)
        ]
        assert total == sum(grads[i] for i in members)
    browser.run("window.backproplab.step(arguments[0])", page.steps - 1)
    root.backward()
    assert [n["grad"] for n in state(browser)["nodes"]] == [v.grad for v in order]


def _within(page: GraphPage, group: int, j: int) -> bool:
    groups = page_data(page)["groups"]
    while group >= 0:
        if group == j:
            return True
        group = groups[group]["parent"]
    return False


def test_a_hostile_label_inside_a_group_runs_nothing(browser: Any, tmp_path: Path) -> None:
    root = batch_loss(3, labels=HOSTILE[:3])
    open_page(browser, tmp_path, root, group_above=10, title=HOSTILE[3])
    for s in range(3):
        browser.run("window.backproplab.open(arguments[0])", f"sample {s}")
    browser.run("window.backproplab.find(arguments[0])", HOSTILE[0][:8])
    browser.run("window.backproplab.step(5)")
    assert browser.run("return window.__pwned === undefined")
    assert browser.run("return document.querySelectorAll('img, iframe').length") == 0
    assert browser.run("return document.querySelectorAll('svg').length") == 1
    assert browser.console_errors() == []


def test_search_opens_the_groups_around_a_label(browser: Any, tmp_path: Path) -> None:
    root = batch_loss(4)
    order = topological_order(root)
    open_page(browser, tmp_path, root, group_above=10)
    x = order.index(next(v for v in order if v.label == "x[3].1"))
    assert f"v{x}" not in shown_boxes(browser)
    assert browser.run("return window.backproplab.find('x[3].1')") == x
    assert f"v{x}" in shown_boxes(browser)
    found = browser.driver.find_elements(By.CSS_SELECTOR, "g.node.bpl-found")
    assert [e.get_attribute("id") for e in found] == [f"v{x}"]


def test_edge_labels_overlap_no_box_and_no_other_label(browser: Any, tmp_path: Path) -> None:
    xs = [Value(0.5 * i - 1, label=f"x{i}") for i in range(6)]
    root = autograd.sum([x * x for x in xs] + xs)  # 12 parents; each x sends twice
    open_page(browser, tmp_path, root)
    for k in (1, 2):
        browser.run("window.backproplab.step(arguments[0])", k)
        rects = browser.run(
            "function r(e) { var b = e.getBBox();"
            " return [b.x, b.y, b.x + b.width, b.y + b.height]; }"
            "return [Array.from(document.querySelectorAll('text.bpl-carry')).map(r),"
            " Array.from(document.querySelectorAll('g.node')).map(r)]"
        )
        labels, boxes = rects
        assert len(labels) == len(list(backward_steps(root))[k - 1].sends)

        def apart(a: list[float], b: list[float]) -> bool:
            return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]

        for n, label in enumerate(labels):
            assert all(apart(label, box) for box in boxes)
            assert all(apart(label, other) for other in labels[n + 1 :])


def test_collapsed_inputs_are_not_counted_into_the_boxes() -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(300)]
    ws = [Value(0.01, label=f"w.{i}") for i in range(300)]
    root = autograd.dot(xs, ws).tanh()  # 602 Values; collapsed, 2 are drawn
    data = page_data(autograd.explore(root, collapse=True))
    drawn = [n for n in data["nodes"] if n.get("drawn", True)]
    assert [n["op"] for n in drawn] == ["dot", "tanh"]
    assert all(n["group"] == -1 for n in drawn)  # two Values: shown as themselves
