"""Checks for notebook 05, where the learner builds a small engine of their own.

The learner's class follows the shape the notebook gives it: ``Value(data, parents=(),
local_grads=(), op="")`` with the fields ``data``, ``grad``, ``parents``, ``local_grads``
and ``op``, the same names `autograd.Value` uses. Each check compares the learner's
numbers with two references: `autograd` (the library's engine, on the same expression)
and a central difference, the estimate `autograd.gradcheck` compares against. A wrong
answer raises `report.CheckFailed` naming the operation, the input, the expected and
the received number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import autograd

from .report import CheckFailed, call, close, expect_close, number, passed

EPS = 1e-6  # the central difference's step, as gradcheck's default

# (symbol, method name, arguments): the points every operation is checked at.
_BINARY = [
    ("+", "__add__", (2.0, -3.0)),
    ("*", "__mul__", (2.0, -3.0)),
    ("*", "__mul__", (0.5, 4.0)),
]
_UNARY = [("tanh", "tanh", 0.8), ("tanh", "tanh", -1.5), ("exp", "exp", 0.5), ("exp", "exp", -2.0)]

# The expressions of the end-to-end check, written once for both engines.
EXPRESSIONS: list[tuple[str, Callable[..., Any], tuple[float, ...]]] = [
    ("x * y + x", lambda x, y: x * y + x, (2.0, -3.0)),
    ("tanh(x * y)", lambda x, y: (x * y).tanh(), (0.3, -1.2)),
    ("exp(x * y + z) * x", lambda x, y, z: (x * y + z).exp() * x, (0.5, -0.4, 0.2)),
    ("tanh(x * x) + exp(x)", lambda x: (x * x).tanh() + x.exp(), (0.7,)),
    (
        "tanh(x1 * w1 + x2 * w2 + b), a neuron",
        lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(),
        (2.0, 0.0, -3.0, 1.0, 6.8813735870195432),
    ),
]
_NAMES = {1: ("x",), 2: ("x", "y"), 3: ("x", "y", "z"), 5: ("x1", "x2", "w1", "w2", "b")}


def _result(Value: type, out: object, what: str) -> Any:
    if not isinstance(out, Value):
        raise CheckFailed(
            f"{what} returned {type(out).__name__} {out!r}; it should return a new Value "
            "(made with Value(data, parents, local_grads, op))."
        )
    return out


def _check_op(Value: type, symbol: str, method: str, args: tuple[float, ...], where: str) -> None:
    """One operation at one point: its data, its parents, its local derivatives."""
    mine = [Value(a) for a in args]
    ref = [autograd.Value(a) for a in args]
    shown = (
        f" {symbol} ".join(number(a) for a in args)
        if len(args) == 2
        else (f"{symbol}({number(args[0])})")
    )
    what = f"`{shown}`"
    out = _result(Value, call(getattr(Value, method), *mine, what=what, where=where), what)
    expected = getattr(ref[0], method)(*ref[1:])
    expect_close(f"{what}: its data", expected.data, out.data, source="autograd")
    parents = tuple(out.parents)
    if len(parents) != len(mine) or any(a is not b for a, b in zip(parents, mine)):
        raise CheckFailed(
            f"{what}: parents should be the inputs in order, {tuple(mine)!r}; received "
            f"{parents!r}. Pass them as parents=(...) when you make the result."
        )
    if len(out.local_grads) != len(mine):
        raise CheckFailed(
            f"{what}: expected one local derivative per parent ({len(mine)}), received "
            f"{len(out.local_grads)}: {tuple(out.local_grads)!r}."
        )
    for i, (local, ref_local) in enumerate(zip(out.local_grads, expected.local_grads)):
        name = "d out / d " + ("a" if i == 0 else "b") if len(args) == 2 else "d out / d x"
        moved_up = [Value(a + (EPS if j == i else 0.0)) for j, a in enumerate(args)]
        moved_down = [Value(a - (EPS if j == i else 0.0)) for j, a in enumerate(args)]
        numeric = (
            getattr(Value, method)(*moved_up).data - getattr(Value, method)(*moved_down).data
        ) / (2 * EPS)
        expect_close(
            f"{what}: the local derivative {name}",
            ref_local,
            local,
            source=f"autograd; a central difference of your forward gives {number(numeric)}",
            hint=_local_hint(symbol, i),
            rtol=1e-5,
        )


def _local_hint(symbol: str, slot: int) -> str:
    other = "b" if slot == 0 else "a"
    return {
        "+": "A sum moves one for one with each input: both local derivatives are 1.",
        "*": f"A product changes with one factor at the rate of the other: {other}.data.",
        "tanh": "With t = tanh(x), d t / d x = 1 - t**2.",
        "exp": "exp is its own derivative: d exp(x) / d x = exp(x).",
    }[symbol]


def check_add_mul(Value: type) -> None:
    """Exercise 1: `+` and `*` give the right data, parents and local derivatives."""
    for symbol, method, args in _BINARY:
        _check_op(Value, symbol, method, args, "`add` and `mul` in the cell of exercise 1")
    passed("+ and *: data and local derivatives agree with autograd and a central difference")


def check_tanh_exp(Value: type) -> None:
    """Exercise 2: `tanh` and `exp` give the right data, parent and local derivative."""
    for symbol, method, x in _UNARY:
        _check_op(Value, symbol, method, (x,), "`tanh` and `exp` in the cell of exercise 2")
    passed("tanh and exp: data and local derivatives agree with autograd and a central difference")


def mirror(Value: type, root: autograd.Value) -> dict[autograd.Value, Any]:
    """Copy autograd's graph of `root` node for node into the learner's Value class,
    local derivatives included, so their topological order and backward can be
    checked before (and apart from) their operations."""
    copies: dict[autograd.Value, Any] = {}
    for node in autograd.topological_order(root):
        copies[node] = Value(
            node.data,
            tuple(copies[p] for p in node.parents),
            tuple(node.local_grads),
            node.op,
        )
    return copies


def _sample_graph() -> autograd.Value:
    # A node used twice (x) and a shared interior node (h), so order and += both matter.
    x, y = autograd.Value(0.6, label="x"), autograd.Value(-1.1, label="y")
    h = x * y
    return (h.tanh() + h * x).exp() * y


def check_topological_order(Value: type, topological_order: Callable[[Any], Any]) -> None:
    """Exercise 3: every node once, each after all of its parents, the root last."""
    copies = mirror(Value, _sample_graph())
    root = list(copies.values())[-1]
    where = "`topological_order` in the cell of exercise 3"
    order = call(topological_order, root, what="topological_order(root)", where=where)
    order = list(order) if isinstance(order, (list, tuple)) else order
    if not isinstance(order, list):
        raise CheckFailed(
            f"topological_order(root) returned {type(order).__name__}; expected a list."
        )
    nodes = set(copies.values())
    missing = [n for n in copies.values() if not any(n is m for m in order)]
    if missing:
        raise CheckFailed(
            f"topological_order(root) left out {len(missing)} of the {len(nodes)} nodes, "
            f"e.g. {_describe(missing[0])}. Visit the parents of every node you reach."
        )
    seen: dict[int, int] = {}
    for position, node in enumerate(order):
        if id(node) in seen:
            raise CheckFailed(
                f"topological_order(root) lists {_describe(node)} twice (positions "
                f"{seen[id(node)]} and {position}). Keep a set of visited nodes."
            )
        seen[id(node)] = position
        for parent in node.parents:
            if seen.get(id(parent), len(order)) > position:
                raise CheckFailed(
                    f"topological_order(root): {_describe(node)} comes at position "
                    f"{position}, before its parent {_describe(parent)}. Add a node only "
                    "after all of its parents."
                )
    if order[-1] is not root:
        raise CheckFailed("topological_order(root) should end with root itself.")
    passed(f"topological_order: all {len(order)} nodes, each after its parents, root last")


def _describe(node: Any) -> str:
    op = getattr(node, "op", "")
    made = f"the node made by `{op}`" if op else "the leaf"
    return f"{made} (data {number(node.data)})"


def check_backward(Value: type, backward: Callable[[Any], Any]) -> None:
    """Exercise 4: after `backward(root)` every node's grad is d root / d node.

    The graph is autograd's copied into the learner's class (`mirror`), so this checks
    the walk alone; the first wrong node is the one nearest the root.
    """
    ref_root = _sample_graph()
    copies = mirror(Value, ref_root)
    ref_root.backward()
    root = copies[ref_root]
    call(backward, root, what="backward(root)", where="`backward` in the cell of exercise 4")
    expect_close(
        "backward(root): the root's own grad",
        1.0,
        root.grad,
        source="d root / d root",
        hint="Start the walk with root.grad = 1.0.",
    )
    children: dict[autograd.Value, int] = {}
    for node in copies:
        for parent in node.parents:
            children[parent] = children.get(parent, 0) + 1
    for ref in reversed(list(copies)):
        mine = copies[ref]
        hint = (
            f"This node is used by {children[ref]} nodes: add up what each sends "
            "(grad += ...), and visit a node only after every node that uses it."
            if children.get(ref, 0) > 1
            else "Each parent receives local derivative times the node's grad."
        )
        expect_close(
            f"backward(root): the grad of {_describe(mine)}",
            ref.grad,
            mine.grad,
            source="autograd's backward",
            hint=hint,
        )
    passed(f"backward: the grads of all {len(copies)} nodes agree with autograd's backward")


def _learner_gradients(Value: type, f: Callable[..., Any], point: Sequence[float]) -> list[float]:
    xs = [Value(a) for a in point]
    out = f(*xs)
    out.backward()
    return [x.grad for x in xs]


def _learner_central_difference(
    Value: type, f: Callable[..., Any], point: Sequence[float], i: int
) -> float:
    up = [Value(a + (EPS if j == i else 0.0)) for j, a in enumerate(point)]
    down = [Value(a - (EPS if j == i else 0.0)) for j, a in enumerate(point)]
    return float((f(*up).data - f(*down).data) / (2 * EPS))


def check_engine(Value: type) -> None:
    """The whole engine: gradients of several expressions (a reused input, a neuron)
    against autograd's backward and against `autograd.numerical_grad` (the central
    difference `gradcheck` uses); gradcheck itself first vouches for autograd's."""
    where = "the exercise cells above"
    for text, f, point in EXPRESSIONS:
        ref = [autograd.Value(a, label=n) for a, n in zip(point, _NAMES[len(point)])]
        autograd.gradcheck(f, ref)  # the reference itself passes its check
        numeric = autograd.numerical_grad(f, ref)
        out = f(*ref)
        out.backward()
        what = f"the gradient of {text} at " + ", ".join(
            f"{n} = {number(a)}" for n, a in zip(_NAMES[len(point)], point)
        )
        mine = call(_learner_gradients, Value, f, point, what=f"your engine on {text}", where=where)
        for i, name in enumerate(_NAMES[len(point)]):
            own = _learner_central_difference(Value, f, point, i)
            forward_hint = (
                "Your forward pass is off too (a central difference of it gives "
                f"{number(own)}): check the operations' data first."
                if not close(numeric[i], own, 1e-4, 1e-7)
                else "Your forward pass is right (a central difference of it agrees), "
                "so the local derivatives or backward are not."
            )
            expect_close(
                f"{what}: d out / d {name}",
                ref[i].grad,
                mine[i],
                source=f"autograd; numerical_grad gives {number(numeric[i])}",
                hint=forward_hint,
                rtol=1e-6,
            )
    passed(
        f"your engine: {len(EXPRESSIONS)} expressions, every gradient agrees with autograd "
        "and with numerical_grad"
    )
