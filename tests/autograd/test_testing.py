"""Tests of autograd.testing: the random graphs cover every operation and the shapes that
break gradients (reuse, diamonds, deep chains, constants on either side), stay inside
domains and off kinks, and the assertion helper catches a wrong derivative."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from autograd import GradcheckError, Value, numerical_grad, testing, topological_order
from autograd.engine import OPS, operation
from autograd.testing import BUILTIN_OPS, MARGIN, Graph, Op, assert_gradients, floats_in, graphs

FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_random_graphs_over_every_op_pass_gradcheck(graph: Graph) -> None:
    assert_gradients(graph)


@settings(max_examples=40, deadline=None)
@given(graphs(steps=(1, 5)))
def test_random_graphs_pass_the_second_order_check(graph: Graph) -> None:
    assert_gradients(graph, order=2)


@pytest.mark.parametrize("op", BUILTIN_OPS, ids=[op.name for op in BUILTIN_OPS])
@FAST
@given(data=st.data())
def test_a_graph_that_includes_an_op_uses_it_and_passes(op: Op, data: st.DataObject) -> None:
    graph = data.draw(graphs(include=[op], steps=(1, 4)))
    assert op in [step_op for step_op, _ in graph.steps]
    assert_gradients(graph, order=2)


def _one_step(op: Op, constant: tuple[bool, ...]) -> Graph:
    """A graph of one step of ``op``: the operands marked in ``constant`` are plain numbers,
    the others inputs; each inside its domain, off the kinks, and MARGIN apart."""
    point: list[float] = []
    operands: list[tuple[int | None, float]] = []
    for position, is_constant in enumerate(constant):
        lo, _ = op.interval(position)
        x = lo + MARGIN * (position + 1)
        while any(abs(x - a) < MARGIN for a in (*op.avoid, 0.0)):
            x += MARGIN
        if is_constant:
            operands.append((None, x))
        else:
            operands.append((len(point), 0.0))
            point.append(x)
    return Graph(point, [(op, operands)])


def test_the_operations_graphs_draw_from_cover_every_operation_of_the_engine() -> None:
    # Every op of the pool with every placement of constants it allows, built by hand: which
    # kinds 150 random draws reach depends on the constants hypothesis collects from the
    # modules a test process happens to have imported, so a draw cannot show this.
    kinds: set[str] = set()
    for op in BUILTIN_OPS:
        low, high = op.arity
        for count in sorted({low, min(high, low + 1)}):
            for constant in itertools.product(
                [False, True] if op.constants else [False], repeat=count
            ):
                if all(constant):
                    continue
                graph = _one_step(op, constant)
                out = graph(*graph.values())
                kinds.update(operation(v)[0].name for v in topological_order(out) if v.parents)
    assert set(OPS) - {"leaf"} <= kinds, sorted(set(OPS) - {"leaf"} - kinds)


def _interior(graph: Graph) -> list[Value]:
    return [v for v in topological_order(graph(*graph.values())) if v.parents]


@settings(max_examples=80, deadline=None)
@given(graphs(steps=(1, 10)))
def test_operands_stay_inside_domains_and_away_from_kinks(graph: Graph) -> None:
    for node in _interior(graph):
        operands = [p.data for p in node.parents]
        if node.op in ("relu", "leaky_relu", "abs"):
            assert abs(operands[0]) >= MARGIN - 1e-12, (node.op, operands)
        elif node.op in ("log", "sqrt"):
            assert operands[0] >= MARGIN - 1e-12, (node.op, operands)
        elif node.op in ("max", "min"):
            # which operands are Values is all we see here; distinct ones never tie
            top = sorted(operands, reverse=node.op == "max")
            assert len(top) < 2 or abs(top[0] - top[1]) >= MARGIN - 1e-9, (node.op, operands)
        elif node.op == "/":
            assert abs(operands[1]) >= MARGIN - 1e-12, operands
        elif node.op == "**":
            assert operands[0] >= MARGIN - 1e-12, operands
        assert all(abs(x) < 1e6 for x in operands)


def _reuses_a_node(graph: Graph) -> bool:
    return any(len(set(node.parents)) < len(node.parents) for node in _interior(graph))


def _has_a_diamond(graph: Graph) -> bool:
    # a node read by two different nodes whose paths meet again further on
    nodes = _interior(graph)
    readers: dict[Value, set[Value]] = {}
    for node in nodes:
        for p in node.parents:
            readers.setdefault(p, set()).add(node)
    return any(len(r) >= 2 for p, r in readers.items() if p.parents)


def _depth(graph: Graph) -> int:
    depth: dict[Value, int] = {}
    for node in topological_order(graph(*graph.values())):
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    return max(depth.values())


@pytest.mark.parametrize(
    "shape",
    [
        _reuses_a_node,
        _has_a_diamond,
        lambda g: _depth(g) >= 8,
        lambda g: any(n.op.endswith((" -", " /", " **")) for n in _interior(g)),  # c - x
        lambda g: any(n.op.startswith(("- ", "/ ", "** ")) for n in _interior(g)),  # x - c
        lambda g: len(g.point) == 3,
    ],
    ids=[
        "reused_node",
        "diamond",
        "deep_chain",
        "constant_on_the_left",
        "constant_on_the_right",
        "three_inputs",
    ],
)
def test_the_graphs_reach_every_shape(shape: object) -> None:
    rules = settings(max_examples=2000, derandomize=True, database=None)
    graph = find(graphs(steps=(1, 10)), shape, settings=rules)  # type: ignore[arg-type]
    assert shape(graph)  # type: ignore[operator]


def test_every_step_reaches_the_output() -> None:
    graph = Graph(
        [0.5, 1.5],
        [
            (Op(lambda a: a.exp(), name="exp"), [(0, 0.0)]),
            (Op(lambda a: a.sin(), name="sin"), [(1, 0.0)]),
        ],
    )
    assert graph(*graph.values()).data == pytest.approx(math.sin(1.5))  # built by hand: last step

    def uses_all(g: Graph) -> bool:
        n = len(g.point)
        read = {i for _, ops in g.steps for i, _ in ops}
        return all(k in read for k in range(n, n + len(g.steps) - 1))

    @settings(max_examples=50, deadline=None)
    @given(graphs(steps=(2, 8)))
    def check(g: Graph) -> None:
        assert uses_all(g)

    check()


def test_graph_repr_shows_the_program_and_running_it_matches() -> None:
    mul = next(op for op in BUILTIN_OPS if op.name == "mul")
    relu = next(op for op in BUILTIN_OPS if op.name == "relu")
    graph = Graph([2.0, -1.0], [(mul, [(0, 0.0), (None, 3.0)]), (relu, [(1, 0.5)])])
    assert repr(graph) == (
        "Graph(inputs: v0 = 2.0, v1 = -1.0\n    v2 = v0 * 3.0\n    v3 = relu((v1 + 0.5)))"
    )
    assert graph(Value(2.0), Value(-1.0)).data == 0.0  # relu(-0.5)
    assert graph(Value(2.0), Value(1.0)).data == 1.5
    with pytest.raises(TypeError, match="this graph takes 2 inputs, got 1"):
        graph(Value(1.0))


@settings(max_examples=200, deadline=None)
@given(floats_in(-1.0, 1.0, avoid=(0.0, 0.5)))
def test_floats_in_stays_inside_and_away_from_the_points_to_avoid(x: float) -> None:
    assert -1.0 <= x <= 1.0
    assert abs(x) >= MARGIN and abs(x - 0.5) >= MARGIN


def _half_gradient(a: Value) -> Value:
    """a**2 with the gradient of only one factor: d/da gives a instead of 2a."""
    out = a * a.detach()
    out.label = "planted"
    return out


def test_assert_gradients_catches_a_wrong_derivative_and_says_where() -> None:
    assert_gradients(lambda a, b: a * b.exp(), [0.5, -1.0])  # right: passes, returns None
    with pytest.raises(GradcheckError, match=r"checked: point \[0.7\]"):
        assert_gradients(_half_gradient, [0.7])
    graph = Graph([0.7], [(Op(_half_gradient, domain=(0.5, 3.0)), [(0, 0.0)])])
    with pytest.raises(GradcheckError, match=r"checked: Graph\(inputs: v0 = 0.7\n    v1 = "):
        assert_gradients(graph)


@FAST
@given(
    graphs(
        ops=[op for op in BUILTIN_OPS if op.name in ("add", "sin", "exp", "sum")],
        include=[Op(_half_gradient, domain=(0.5, 3.0))],
    )
)
def test_a_planted_wrong_primitive_fails_in_a_random_graph(graph: Graph) -> None:
    inputs = graph.values()
    graph(*inputs).backward()
    numeric = numerical_grad(graph, graph.values())
    # the planted error, wherever it is larger than gradcheck's tolerance with room to spare
    if any(abs(x.grad - n) > 2 * (1e-5 + 1e-3 * abs(n)) for x, n in zip(inputs, numeric)):
        with pytest.raises(GradcheckError):
            assert_gradients(graph)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Op: apply must be callable, got int 3"):
        Op(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"arity must be a positive int or a \(fewest, most\)"):
        Op(lambda a: a, 0)
    with pytest.raises(ValueError, match=r"domain \(0.0, 0.4\) is too narrow"):
        Op(lambda a: a, domain=(0.0, 0.4))
    with pytest.raises(ValueError, match="floats_in: low must be below high"):
        floats_in(1.0, -1.0)
    with pytest.raises(TypeError, match="pass the point to check f at"):
        assert_gradients(lambda a: a)
    with pytest.raises(TypeError, match=r"graphs: every operation must be an autograd.testing.Op"):
        find(graphs(ops=[lambda a: a]), lambda g: True)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="graphs: steps must be a positive int"):
        find(graphs(steps=0), lambda g: True)


def test_import_autograd_needs_no_hypothesis_and_testing_says_what_to_install() -> None:
    script = textwrap.dedent(
        """
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, Block())
        import autograd
        assert "hypothesis" not in sys.modules
        autograd.gradcheck(lambda a: a * a, [autograd.Value(2.0)])
        try:
            import autograd.testing
        except ImportError as error:
            print(error)
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "autograd.testing needs hypothesis" in run.stdout
    assert "pip install hypothesis" in run.stdout


def test_the_module_is_reachable_as_autograd_testing() -> None:
    assert testing.graphs is graphs


def _op(name: str) -> Op:
    return next(op for op in BUILTIN_OPS if op.name == name)


def test_a_graph_whose_differences_move_with_the_step_is_never_drawn() -> None:
    # ((c + 0.75) / 0.25) ** 3 - 27) ** 3 at c = 0: every second derivative is 0, but the
    # difference of the gradient at gradcheck's step is off by 2e-5 (issue 19, item 1)
    nested_cube = Graph(
        [0.0, 0.0, 0.0],
        [
            (_op("add"), ((2, 0.0), (None, 0.75))),
            (_op("div"), ((3, 0.0), (None, 0.25))),
            (_op("cube"), ((4, 0.0),)),
            (_op("sub"), ((5, 0.0), (None, 27.0))),
            (_op("cube"), ((6, 0.0),)),
        ],
    )
    assert nested_cube(*nested_cube.values()).data == 0.0
    assert not testing._differences_settle(nested_cube)
    gentle = Graph([0.5], [(_op("tanh"), ((0, 0.0),)), (_op("mul"), ((1, 0.0), (0, 0.0)))])
    assert testing._differences_settle(gentle)

    @settings(max_examples=60, deadline=None)
    @given(graphs(include=[_op("cube")], steps=(3, 6)))
    def drawn(graph: Graph) -> None:
        assert testing._differences_settle(graph)

    drawn()


def test_the_suite_replays_no_saved_examples_and_draws_the_same_cases_every_run() -> None:
    assert settings().database is None
    assert settings().derandomize
    assert settings().deadline is None
    assert HealthCheck.too_slow in settings().suppress_health_check
