"""Property-based tests of gradients: hypothesis strategies for random computation graphs.

``graphs()`` draws a random program over the engine's operations (every primitive of
`Value` and every function of `autograd.functional`, or the operations you pass) and a
point to run it at. The programs reuse nodes (``v2 * v2``), join paths again (diamonds),
run in deep chains, and put plain-number constants on either side of an operator. Every
operand is kept inside its operation's domain and away from its kinks, at a margin far
larger than gradcheck's step, so a failure is a wrong derivative and never a corner:

>>> from hypothesis import given
>>> from autograd import testing
>>> @given(testing.graphs())
... def test_every_op_differentiates(graph):
...     testing.assert_gradients(graph)

To property-test a primitive of your own, describe it with `Op` and include it in every
graph (it is then composed with the built-in operations, so a mistake in how it takes or
passes on a gradient shows too):

>>> swish_op = testing.Op(swish, domain=(-4.0, 4.0))
>>> @given(testing.graphs(include=[swish_op]))
... def test_swish(graph):
...     testing.assert_gradients(graph, order=2)

hypothesis is needed only by this module: ``import autograd`` does not import it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "autograd.testing needs hypothesis, which is not installed: "
        "pip install hypothesis (or install backproplab's dev extra: pip install -e '.[dev]')"
    ) from error

import autograd.functional as F
from autograd.engine import OPS, Value, _as_number, no_grad
from autograd.engine import Op as EngineOp
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.higher import grad
from autograd.ops import ELEMENTWISE, std, var

__all__ = [
    "BUILTIN_OPS",
    "MARGIN",
    "Graph",
    "Op",
    "assert_gradients",
    "floats_in",
    "graphs",
]

# How far every operand stays from a kink or a domain edge, and distinct operands of
# max/min from each other. Far above gradcheck's eps (1e-6), so a central difference
# never straddles a corner; small enough that the graphs still visit both sides of it.
MARGIN = 0.25

_Interval = tuple[float, float]
_DEFAULT: _Interval = (-3.0, 3.0)


class Op:
    """One operation a random graph may use.

    ``apply`` takes the operands (Values, or plain numbers where ``constants`` allows)
    and returns a Value: a method such as ``lambda a: a.tanh()``, an operator, or a
    primitive made with `autograd.primitive`, passed as it is. ``arity`` is the number
    of operands, or ``(fewest, most)`` for a function of a list.

    ``domain`` is where the operands are kept at the graph's point: one ``(low, high)``
    interval for every operand, or a tuple of intervals, one per operand position.
    ``avoid`` lists the points where the operation is not differentiable (0 for relu);
    operands stay `MARGIN` away from them. ``separate=True`` keeps distinct operands
    `MARGIN` apart (max and min: no ties). ``constants`` allows plain-number operands
    (never all of them). ``template`` shows one step, ``{0}``, ``{1}``... for the
    operands or ``{*}`` for all of them; by default ``name({*})``.
    """

    __slots__ = ("apply", "arity", "avoid", "constants", "domain", "name", "separate", "template")

    def __init__(
        self,
        apply: Callable[..., Value],
        arity: int | tuple[int, int] = 1,
        *,
        name: str | None = None,
        domain: _Interval | tuple[_Interval, ...] = _DEFAULT,
        avoid: Sequence[float] = (),
        separate: bool = False,
        constants: bool = False,
        template: str | None = None,
    ) -> None:
        if not callable(apply):
            raise TypeError(f"Op: apply must be callable, got {type(apply).__name__} {apply!r}")
        low, high = (arity, arity) if isinstance(arity, int) else arity
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
            raise ValueError(
                f"Op: arity must be a positive int or a (fewest, most) pair, got {arity!r}"
            )
        intervals = (domain,) if isinstance(domain[0], (int, float)) else domain
        for interval in intervals:
            lo, hi = interval
            if not lo + MARGIN < hi - MARGIN:
                raise ValueError(
                    f"Op: domain {interval!r} is too narrow; it needs room for operands "
                    f"{MARGIN} away from its edges"
                )
        self.apply = apply
        self.arity = (low, high)
        self.name = name or getattr(apply, "__name__", "op")
        self.domain: tuple[_Interval, ...] = tuple(intervals)
        self.avoid = tuple(float(a) for a in avoid)
        self.separate = separate
        self.constants = constants
        self.template = template or f"{self.name}({{*}})"

    def interval(self, position: int) -> _Interval:
        """Where operand ``position`` is kept."""
        return self.domain[min(position, len(self.domain) - 1)]

    def show(self, operands: Sequence[str]) -> str:
        """One step as text, e.g. ``relu(v1 + 0.5)``."""
        return self.template.replace("{*}", ", ".join(operands)).format(*operands)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _from_entry(entry: EngineOp) -> Op:
    """The random graphs' view of an elementwise operation, all of it read from its
    entry: its test domain, kinks, constants, and the params the tests use."""
    params = entry.test_params

    def apply(*operands: Any) -> Value:
        return entry.call(*operands, *params)  # type: ignore[misc]

    arity = len(entry.rules)
    if not entry.symbol.isidentifier():  # an operator: "{0} * {1}", "-{0}"
        template = f"{{0}} {entry.symbol} {{1}}" if arity == 2 else f"{entry.symbol}{{0}}"
    else:
        template = f"{entry.name}({', '.join(['{*}', *map(repr, params)])})"
    return Op(
        apply,
        arity,
        name=entry.name,
        domain=entry.test_domain,
        avoid=(*entry.kinks(*params), *entry.test_avoid),
        constants=entry.constant_operands,
        template=template,
    )


def _from_list_entry(entry: EngineOp) -> Op:
    """The random graphs' view of a function of a list, read from its entry (`test_op`:
    how to call it, on how many operands; `ties`: its operands kept apart)."""
    assert entry.test_op is not None  # only entries that have one are read
    return Op(**entry.test_op, name=entry.name, separate=entry.ties)


# Every operation of the engine: each elementwise entry (with plain-number constants on
# either side of a binary operator, where its entry allows them) and each function of a
# list's, both read from their entries; and the compositions that have no entry of their
# own: whole powers of any base, var, std and matvec.
BUILTIN_OPS: tuple[Op, ...] = (
    *map(_from_entry, ELEMENTWISE),
    *(_from_list_entry(op) for op in OPS.values() if op.test_op is not None),
    Op(lambda a: a**2, name="square", template="{0} ** 2"),
    Op(lambda a: a**3, name="cube", template="{0} ** 3"),
    Op(lambda *a: var(a), (2, 4), name="var", template="var([{*}])"),
    # 4.0 is in every std's list: its variance stays far from 0, where its slope is infinite
    Op(lambda *a: std([*a, 4.0]), (1, 3), name="std", separate=True, template="std([{*}, 4.0])"),
    Op(
        lambda a, b, c, d, x0, x1: F.matvec([[a, b], [c, d]], [x0, x1])[1],
        6,
        name="matvec",
        constants=True,
        template="matvec([[{0}, {1}], [{2}, {3}]], [{4}, {5}])[1]",
    ),
)


# One operand of a step: a node (its index and the constant added to it to bring it
# into the op's domain, 0.0 for none) or a plain-number constant (index None).
_Operand = tuple[int | None, float]


class Graph:
    """A random program and the point it is checked at; call it like ``f(*inputs)``.

    ``point`` holds the input numbers; `values()` makes fresh input Values of them.
    ``steps`` holds ``(op, operands)`` pairs; node ``k`` is input ``k`` for ``k <
    len(point)``, then the result of step ``k - len(point)``. The last step is the
    output. ``repr`` shows the program line by line, as hypothesis prints a failure.
    """

    __slots__ = ("point", "steps")

    def __init__(self, point: Sequence[float], steps: Sequence[tuple[Op, Sequence[_Operand]]]):
        self.point = [float(x) for x in point]
        self.steps = [(op, tuple(operands)) for op, operands in steps]

    def values(self) -> list[Value]:
        """Fresh input Values at the graph's point, labelled x0, x1, ..."""
        return [Value(x, label=f"x{i}") for i, x in enumerate(self.point)]

    def __call__(self, *inputs: Value) -> Value:
        if len(inputs) != len(self.point):
            raise TypeError(f"this graph takes {len(self.point)} inputs, got {len(inputs)}")
        nodes: list[Any] = list(inputs)
        for op, operands in self.steps:
            args = [
                value if index is None else (nodes[index] + value if value else nodes[index])
                for index, value in operands
            ]
            nodes.append(op.apply(*args))
        out: Value = nodes[-1]
        return out

    def lines(self) -> list[str]:
        """The program: one ``v3 = relu(v1 + 0.5)`` line per step."""
        n = len(self.point)
        out = []
        for k, (op, operands) in enumerate(self.steps):
            shown = [_show_operand(index, value) for index, value in operands]
            out.append(f"v{n + k} = {op.show(shown)}")
        return out

    def __repr__(self) -> str:
        inputs = ", ".join(f"v{i} = {x!r}" for i, x in enumerate(self.point))
        body = "".join(f"\n    {line}" for line in self.lines())
        return f"Graph(inputs: {inputs}{body})"


def _show_operand(index: int | None, value: float) -> str:
    if index is None:
        return repr(value)
    if value == 0.0:
        return f"v{index}"
    sign = "+" if value > 0 else "-"
    return f"(v{index} {sign} {abs(value)!r})"


def floats_in(
    low: float = -3.0, high: float = 3.0, avoid: Sequence[float] = (), margin: float = MARGIN
) -> st.SearchStrategy[float]:
    """Floats in ``[low, high]`` at least ``margin`` away from every point of ``avoid``
    (the kinks of the function under test)."""
    lo, hi = _as_number(low, "floats_in(low)"), _as_number(high, "floats_in(high)")
    if not lo < hi:
        raise ValueError(f"floats_in: low must be below high, got low={low!r}, high={high!r}")
    points = sorted(float(a) for a in avoid)
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(
        lambda x: _away(x, points, margin, lo, hi)
    )


def _away(x: float, avoid: Sequence[float], margin: float, lo: float, hi: float) -> float:
    """``x`` moved, if needed, to ``margin`` from the nearest point of ``avoid``."""
    for a in avoid:
        if abs(x - a) < margin:
            up, down = a + margin, a - margin
            x = up if (x >= a and up <= hi) or down < lo else down
    return x


def _node_index(last: int) -> st.SearchStrategy[int]:
    """Which earlier node an operand reads: often the newest one (deep chains), otherwise
    any (reused nodes and diamonds)."""
    return st.one_of(st.just(last), st.integers(0, last))


@st.composite
def _step(draw: st.DrawFn, op: Op, data: list[float]) -> tuple[tuple[_Operand, ...], float]:
    """The operands of one step of ``op`` over nodes with numbers ``data``, and its result."""
    low, high = op.arity
    count = draw(st.integers(low, high))
    constant = [op.constants and draw(st.booleans()) for _ in range(count)]
    if all(constant):
        constant[draw(st.integers(0, count - 1))] = False
    operands: list[_Operand] = []
    numbers: list[float] = []
    for position, is_constant in enumerate(constant):
        lo, hi = op.interval(position)
        if is_constant:  # never 0 either: a factor 0 would hide what comes before it
            c = draw(floats_in(lo, hi, (*op.avoid, 0.0)))
            operands.append((None, c))
            numbers.append(c)
            continue
        index = draw(_node_index(len(data) - 1))
        x = data[index]
        inside = lo <= x <= hi and all(abs(x - a) >= MARGIN for a in op.avoid)
        shift = 0.0 if inside else draw(floats_in(lo, hi, op.avoid)) - x
        operands.append((index, shift))
        numbers.append(x + shift)
    if op.separate:
        operands, numbers = _spread(operands, numbers)
    with no_grad():
        result = op.apply(*[x if i is None else Value(x) for (i, _), x in zip(operands, numbers)])
    return tuple(operands), result.data


def _spread(operands: list[_Operand], numbers: list[float]) -> tuple[list[_Operand], list[float]]:
    """Shift node operands so that no two operands are closer than MARGIN (no ties). A
    node read twice becomes two operands MARGIN apart: max([v1, v1 + 0.25])."""
    order = sorted(range(len(numbers)), key=numbers.__getitem__)
    new_ops, new_numbers = list(operands), list(numbers)
    previous = -math.inf
    for k in order:
        index, shift = new_ops[k]
        x = new_numbers[k]
        if x < previous + MARGIN and index is not None:
            shift += previous + MARGIN - x
            x = previous + MARGIN
            new_ops[k], new_numbers[k] = (index, shift), x
        previous = x
    return new_ops, new_numbers


@st.composite
def graphs(
    draw: st.DrawFn,
    *,
    ops: Sequence[Op] = BUILTIN_OPS,
    include: Sequence[Op] = (),
    inputs: int | tuple[int, int] = (1, 3),
    steps: int | tuple[int, int] = (1, 8),
) -> Graph:
    """A random `Graph`: ``inputs`` input numbers (a count or a (fewest, most) range),
    then ``steps`` steps, each an operation of ``ops``; every operation of ``include``
    is used at least once. The output is the last step; when several results are read
    by no later step, it is their sum, so that every step reaches it. Every operand is
    kept inside its operation's domain and `MARGIN` away from its kinks (by adding a
    constant to it where needed), so the graph is differentiable, with finite and
    moderate derivatives, near its point. A graph whose central differences cannot be
    trusted at gradcheck's step (they move with the step: large higher derivatives) is
    not drawn, so that a failure always means a wrong derivative.
    """
    pool = list(ops)
    for op in [*pool, *include]:
        if not isinstance(op, Op):
            raise TypeError(
                f"graphs: every operation must be an autograd.testing.Op, got "
                f"{type(op).__name__} {op!r}; wrap it: Op(function, arity)"
            )
    if not pool and not include:
        raise ValueError("graphs: no operations to draw from; pass ops=... or include=...")
    n_in = draw(_count(inputs, "inputs"))
    n_steps = max(draw(_count(steps, "steps")), len(include))
    forced = dict(zip(draw(st.permutations(range(n_steps))), include))
    data = [draw(floats_in()) for _ in range(n_in)]
    point = list(data)
    program: list[tuple[Op, tuple[_Operand, ...]]] = []
    for k in range(n_steps):
        op = forced.get(k) or draw(st.sampled_from(pool))
        operands, result = draw(_step(op, data))
        program.append((op, operands))
        data.append(result)
    # Every step reaches the output: the results no later step reads are summed.
    read = {index for _, operands in program for index, _ in operands}
    sinks = [k for k in range(n_in, len(data)) if k not in read]
    if len(sinks) > 1:
        program.append((_SUM_OF_SINKS, tuple((k, 0.0) for k in sinks)))
    graph = Graph(point, program)
    assume(_differences_settle(graph))
    return graph


def _differences_settle(graph: Graph, eps: float = 1e-6) -> bool:
    """True when the central differences of the graph's output and of its gradient (what
    gradcheck compares at orders 1 and 2) barely move between steps eps and 2 eps: within
    a tenth of gradcheck's default tolerance (atol 1e-5, rtol 1e-3). Their difference is
    three times the truncation error at eps, which the check would otherwise mistake for
    a wrong derivative (``((c + 0.75) / 0.25) ** 3 - 27) ** 3`` at c = 0: 2e-5)."""
    for i in range(len(graph.point)):
        near, far = _difference(graph, i, eps), _difference(graph, i, 2.0 * eps)
        if any(abs(a - b) > (1e-5 + 1e-3 * abs(a)) / 10 for a, b in zip(near, far)):
            return False
    return True


def _difference(graph: Graph, i: int, step: float) -> list[float]:
    """Central differences along input i of the output and of every gradient entry."""
    sides = []
    for h in (step, -step):
        xs = [Value(x + h if k == i else x) for k, x in enumerate(graph.point)]
        out = graph(*xs)
        sides.append([out.data, *(g.data for g in grad(out, xs))])
    return [(p - m) / (2.0 * step) for p, m in zip(*sides)]


_SUM_OF_SINKS = Op(lambda *a: F.sum(a), (1, 1 << 30), name="sum", template="sum([{*}])")


def _count(n: int | tuple[int, int], name: str) -> st.SearchStrategy[int]:
    low, high = (n, n) if isinstance(n, int) else n
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
        raise ValueError(
            f"graphs: {name} must be a positive int or a (fewest, most) pair, got {n!r}"
        )
    return st.integers(low, high)


def assert_gradients(
    f: Graph | Callable[..., Value],
    point: Sequence[float] | None = None,
    **options: Any,
) -> None:
    """Assert that `gradcheck` passes for ``f`` at ``point`` (a `Graph` brings its own).

    ``options`` go to `gradcheck` (``order=2``, ``eps``, ``atol``, ``fast_mode``, ...).
    On failure the `GradcheckError` is raised again with the program (or the point)
    appended, so the pytest report shows what was checked.
    """
    if isinstance(f, Graph):
        where = repr(f)
        inputs = f.values() if point is None else [Value(x) for x in point]
    else:
        if point is None:
            raise TypeError("assert_gradients: pass the point to check f at, e.g. [0.5, 1.5]")
        inputs = [
            Value(_as_number(x, f"assert_gradients(point[{i}])")) for i, x in enumerate(point)
        ]
        where = f"point {[x.data for x in inputs]}"
    try:
        gradcheck(f, inputs, **options)
    except GradcheckError as error:
        raise error.with_context(f"checked: {where}") from None
