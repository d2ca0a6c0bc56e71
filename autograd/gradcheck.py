"""Numerical gradient checking: compare the engine's derivatives with central differences.

``gradcheck(f, inputs)`` is what a unit test calls to prove a derivative right: it
computes the analytic gradient with the engine and the numerical one with

    df/dx_i ~ (f(.., x_i + eps, ..) - f(.., x_i - eps, ..)) / (2 eps)

and raises `GradcheckError` with a table of every input when any pair disagrees. The
error then also says where the mistake is: it checks every node's stored local
derivatives against a finite difference of that node alone and names the first wrong
one (``GradcheckError.node``; ``draw_dot(root, highlight=error.node)`` marks it). A
point where f has a corner within reach of the step (relu, abs, leaky_relu at 0, a tie
of max or min) is reported as "not differentiable at this point", naming that node,
rather than as a mismatch. ``order=2`` checks every second derivative as well, and
``fast_mode=True`` compares along a few random directions instead of every input.

Neither function leaves a trace: every ``data`` and ``grad`` it touches is restored.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd.engine import (
    OPS,
    Op,
    Value,
    _as_number,
    _fmt,
    no_grad,
    operation,
    topological_order,
)
from autograd.functional import sum as autograd_sum
from autograd.higher import grad as _grad

__all__ = ["GradcheckError", "gradcheck", "numerical_grad"]

Function = Callable[..., Value]
Row = tuple[int, str, float, float, float, float, bool]


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree, or f is not differentiable at the
    point. The message is a table of every comparison and what was found.

    ``rows`` holds, per comparison: (index, label, analytic, numeric, abs_err, rel_err,
    ok); an index is an input, a random direction (fast mode) or an entry of the
    Hessian (order 2, index ``i * n + j`` for d2f / dx_i dx_j).
    ``kind`` is ``"mismatch"`` or ``"kink"`` (not differentiable at this point).
    ``node`` is the node the report points at, in the graph of f at the checked
    point: the first node whose own derivative is wrong, or the kink; else None.
    ``output`` is f's output at the checked point, so that
    ``draw_dot(error.output, highlight=error.node)`` shows the node in its graph.
    Subclasses AssertionError so that pytest reports it as a failed check.
    """

    def __init__(
        self,
        message: str,
        rows: list[Row],
        *,
        node: Value | None = None,
        kind: str = "mismatch",
        output: Value | None = None,
    ) -> None:
        super().__init__(message)
        self.rows = rows
        self.node = node
        self.kind = kind
        self.output = output

    def with_context(self, text: str) -> GradcheckError:
        """The same error with a line of context appended to its message."""
        return GradcheckError(
            f"{self}\n{text}", self.rows, node=self.node, kind=self.kind, output=self.output
        )


def _check_inputs(inputs: Sequence[Value], func: str) -> list[Value]:
    if isinstance(inputs, Value):
        inputs = [inputs]
    items = list(inputs)
    for i, x in enumerate(items):
        if not isinstance(x, Value):
            raise TypeError(
                f"{func}: inputs[{i}] is {type(x).__name__} {x!r}; pass the Values that "
                f"f takes, e.g. {func}(f, [Value(1.0), Value(2.0)])"
            )
    if not items:
        raise ValueError(f"{func}: no inputs to check; pass a list of Values")
    return items


def _check_eps(eps: float, func: str) -> float:
    eps = _as_number(eps, f"{func}(eps)")
    if eps <= 0.0:
        raise ValueError(f"{func}: eps must be positive, got {eps!r}")
    return eps


def _call(f: Function, inputs: Sequence[Value], func: str) -> Value:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"{func}: f must return a Value, it returned {type(out).__name__}")
    return out


@contextmanager
def _restored(xs: Sequence[Value]) -> Iterator[list[float]]:
    """The inputs' numbers; every input's data is put back on exit, also on an error."""
    originals = [x.data for x in xs]
    try:
        yield originals
    finally:
        for x, original in zip(xs, originals):
            x.data = original


def _move(
    xs: Sequence[Value], originals: list[float], direction: Sequence[float], step: float
) -> None:
    """Set the inputs to originals + step * direction. An input listed twice moves by the
    sum of its entries, as the derivative of f with respect to it adds up its uses."""
    for x, original in zip(xs, originals):
        x.data = original
    for x, u in zip(xs, direction):
        if u:
            x.data += step * u


def _both_sides(
    f: Function,
    xs: Sequence[Value],
    direction: Sequence[float],
    eps: float,
    func: str,
    where: str,
) -> tuple[tuple[Value, float], tuple[Value, float]]:
    """f at xs + eps * direction and at xs - eps * direction, each as (the output, its
    number read at once: f may return an input, whose data moves on); the data put
    back after. ``where`` says in an error what moved ("input 0 (x) moved to 1 +- 1e-06").
    """
    with _restored(xs) as originals:
        try:
            _move(xs, originals, direction, eps)
            plus = _call(f, xs, func)
            plus_data = plus.data
            _move(xs, originals, direction, -eps)
            minus = _call(f, xs, func)
            minus_data = minus.data
        except (ArithmeticError, ValueError) as err:
            raise type(err)(
                f"{func}: f failed with {where}: {err}. Move the point away from the edge of "
                f"f's domain or use a smaller eps"
            ) from err
    return (plus, plus_data), (minus, minus_data)


def _moved(xs: Sequence[Value], i: int, eps: float) -> str:
    name = f" ({xs[i].label})" if xs[i].label else ""
    return f"input {i}{name} moved to {_fmt(xs[i].data)} +- {eps:g}"


def _basis(n: int, i: int) -> list[float]:
    return [1.0 if k == i else 0.0 for k in range(n)]


def numerical_grad(f: Function, inputs: Sequence[Value], eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of d f(*inputs) / d inputs[i] for every i.

    ``f`` takes the inputs as positional arguments and returns a Value. It is called
    2 * len(inputs) times under `no_grad`, with one input nudged by +-eps each time;
    every input's data is restored afterwards, also when ``f`` raises.
    """
    xs = _check_inputs(inputs, "numerical_grad")
    eps = _check_eps(eps, "numerical_grad")
    grads = []
    with no_grad():
        for i in range(len(xs)):
            where = _moved(xs, i, eps)
            (_, plus), (_, minus) = _both_sides(
                f, xs, _basis(len(xs), i), eps, "numerical_grad", where
            )
            grads.append((plus - minus) / (2.0 * eps))
    return grads


def gradcheck(
    f: Function,
    inputs: Sequence[Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    grad: float = 1.0,
    fast_mode: bool = False,
    directions: int = 3,
    seed: int | None = 0,
    order: int = 1,
    raise_exception: bool = True,
) -> bool:
    """Check the engine's gradient of ``f(*inputs)`` against central differences.

    An input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns
    True when every input passes; otherwise raises `GradcheckError` (or returns False
    with ``raise_exception=False``), whose message is a table of every input (index,
    label, analytic, numeric, absolute and relative error), the failing rows marked,
    followed by the first node of f's graph whose stored local derivatives disagree
    with a finite difference of that node alone (``error.node``), or, when every node
    agrees with itself, the hint that the graph misses a path (a ``detach()``, a
    ``.data``, a plain float). ``grad`` is the upstream gradient passed to
    ``backward``, so a non-uniform seed can be checked too.

    **Kinks.** When moving an input by +-eps switches a relu, leaky_relu or abs from
    one side of 0 to the other, or changes which input a max or min picks, f is not
    differentiable within the step: gradcheck raises `GradcheckError` with ``kind ==
    "kink"``, naming that node ("not differentiable at this point"), instead of
    comparing slopes that cannot agree.

    **Fast mode** (``fast_mode=True``, for many inputs) compares directional
    derivatives along ``directions`` random directions u (independent standard normal
    entries, from ``random.Random(seed)``): ``g . u`` from ONE backward pass against
    ``(f(x + eps u) - f(x - eps u)) / (2 eps)``, two evaluations per direction, instead
    of two per input. Its false-negative rate: a gradient wrong by the vector d
    (analytic minus true) passes a direction when ``|d . u| <= atol + rtol |g . u|``.
    ``d . u`` is normal with standard deviation ``|d|``, so with ``rtol = 0`` the chance
    is exactly ``erf(atol / (|d| sqrt 2)) < 0.8 atol / |d|``; writing ``d . u`` and
    ``g . u`` in terms of two independent normals bounds it in general by
    ``p = 0.8 (atol + 0.8 rtol |g|) / (|d| - rtol |g|)`` (for ``|d| > rtol |g|``). The
    directions are independent, so a wrong gradient passes all of them with
    probability ``p ** directions``: for an error ten times atol (rtol = 0), 0.080 per
    direction and 5e-4 for the default three. An exact check (``atol = rtol = 0``)
    misses nothing but rounding. The rows of the report are then the directions.

    **Order 2** (``order=2``, as HIPS autograd's ``check_grads(order=2)`` and torch's
    ``gradgradcheck``) also checks every second derivative, once the first pass: the
    gradient is differentiated again (``autograd.grad(..., create_graph=True)``, which
    uses each operation's derivative rule written with Value operations) and compared,
    entry by entry, with central differences of the gradient, ``(g(x + eps e_i) -
    g(x - eps e_i)) / (2 eps)`` (in fast mode: ``H u`` along each direction). On a
    mismatch the report names the first node whose rule is wrong: one that disagrees
    with the stored local derivatives, or whose own derivative disagrees with their
    finite difference (a rule built from ``.data``). A primitive without a rule raises
    the error that names it. For a third derivative, check a first derivative at order 2
    (the ValueError for ``order=3`` shows how).

    The ``grad`` of every Value in the graph is left as it was before the call.
    """
    xs = _check_inputs(inputs, "gradcheck")
    eps = _check_eps(eps, "gradcheck")
    atol = _tolerance(atol, "atol")
    rtol = _tolerance(rtol, "rtol")
    seed_grad = _as_number(grad, "gradcheck(grad)")
    if not isinstance(fast_mode, bool):
        raise TypeError(f"gradcheck: fast_mode must be True or False, got {fast_mode!r}")
    n_dirs = _count(directions, "directions")
    _check_order(order)
    tol = (eps, atol, rtol)
    out = _call(f, xs, "gradcheck")
    kinks = _kink_nodes(out)

    if fast_mode:
        rng = random.Random(seed)
        probes = [
            _Probe(
                [rng.gauss(0.0, 1.0) for _ in xs],
                "",
                f"the point moved by +-{eps:g} along direction {k}",
            )
            for k in range(n_dirs)
        ]
        what = f"random directions (fast mode, seed {seed})"
    else:
        probes = [
            _Probe(_basis(len(xs), i), xs[i].label, _moved(xs, i, eps)) for i in range(len(xs))
        ]
        what = "inputs"

    # The graphs on both sides are recorded only when something needs them: a kink to
    # watch, or gradients there (order 2). Otherwise f runs under no_grad, which is faster.
    record = bool(kinks) or order == 2
    for probe in probes:  # f on both sides of the point, along each probe's direction
        with _grad_mode(record):
            plus, minus = _both_sides(f, xs, probe.direction, eps, "gradcheck", probe.where)
        kink = _crossed_kink(kinks, plus[0], minus[0]) if record else None
        if kink is not None:
            return _fail(_kink_error(kink, probe.where, out), raise_exception)
        probe.values = (plus[1], minus[1])
        if order == 2:  # the gradient on both sides: a finite difference of the gradient
            probe.gradients = (
                _analytic_grad(plus[0], xs, seed_grad),
                _analytic_grad(minus[0], xs, seed_grad),
            )

    error = _first_order(out, xs, probes, seed_grad, tol, what, fast_mode)
    if error is None and order == 2:
        error = _second_order(out, xs, probes, seed_grad, tol, what, fast_mode)
    return True if error is None else _fail(error, raise_exception)


class _Probe:
    """One direction along which f is evaluated on both sides of the point: its numbers,
    label and description; then f's values there (and its gradients, for order 2)."""

    __slots__ = ("direction", "gradients", "label", "values", "where")

    def __init__(self, direction: list[float], label: str, where: str) -> None:
        self.direction = direction
        self.label = label
        self.where = where
        self.values = (0.0, 0.0)
        self.gradients: tuple[list[float], list[float]] = ([], [])


def _first_order(
    out: Value,
    xs: list[Value],
    probes: list[_Probe],
    seed: float,
    tol: tuple[float, float, float],
    what: str,
    fast_mode: bool,
) -> GradcheckError | None:
    """Compare the gradient from one backward pass with the central differences."""
    eps, atol, rtol = tol
    analytic = _analytic_grad(out, xs, seed)
    rows = []
    for k, probe in enumerate(probes):
        a = math.fsum(g * c for g, c in zip(analytic, probe.direction))
        n = seed * (probe.values[0] - probe.values[1]) / (2.0 * eps)
        rows.append(_row(k, probe.label, a, n, atol, rtol))
    if all(row[-1] for row in rows):
        return None
    first = "direction" if fast_mode else "input"
    header = _header(rows, what, tol)
    faulty = _faulty_node(out, eps, atol, rtol)
    if faulty is None:
        where = (
            "Every node's stored local derivatives agree with a finite difference of that "
            "node alone, so the graph misses a path: a detach(), a .data or a plain float "
            "in f cuts a gradient"
        )
        node = None
    else:
        node, slot, stored, numeric = faulty
        where = (
            f"The first node whose local derivative is wrong (error.node): the "
            f"{_describe(node)}: d/d(operand {slot}) is stored as {stored:.8g}, a finite "
            f"difference of the node alone gives {numeric:.8g}"
        )
    message = f"{header}\n{_table(rows, first)}\n{where}"
    return GradcheckError(message, rows, node=node, output=out)


def _second_order(
    out: Value,
    xs: list[Value],
    probes: list[_Probe],
    seed: float,
    tol: tuple[float, float, float],
    what: str,
    fast_mode: bool,
) -> GradcheckError | None:
    """Compare the second derivatives from differentiating the gradient again (with
    ``create_graph=True``) with central differences of the gradient."""
    eps, atol, rtol = tol
    first = _grad(out, xs, create_graph=True)
    names = [x.label or str(i) for i, x in enumerate(xs)]
    n = len(xs)
    if not fast_mode:  # the Hessian, row j the gradient of first[j]: n reverse sweeps
        hessian = [[g.data for g in _grad(g_j, xs)] for g_j in first]
    rows = []
    for k, probe in enumerate(probes):
        if fast_mode:  # H u: the gradient of (gradient . u), one more reverse sweep
            directional = [g * u for g, u in zip(first, probe.direction) if u]
            column = [seed * g.data for g in _grad(autograd_sum(directional), xs)]
        else:
            column = [seed * row[k] for row in hessian]
        plus, minus = probe.gradients
        for j in range(n):
            numeric = (plus[j] - minus[j]) / (2.0 * eps)
            label = f"{names[j]} / u{k}" if fast_mode else f"{names[j]},{names[k]}"
            rows.append(_row(k * n + j, label, column[j], numeric, atol, rtol))
    if all(row[-1] for row in rows):
        return None
    header = _header(rows, f"second derivatives (order 2, along the {what})", tol)
    faulty = _faulty_rule(out, eps, atol, rtol)
    if faulty is None:
        where = (
            "Every node's derivative rule as Value operations agrees with its stored local "
            "derivatives and with their finite differences"
        )
        node = None
    else:
        node, where = faulty
    message = f"{header}\n{_table(rows, 'entry')}\n{where}"
    return GradcheckError(message, rows, node=node, output=out)


def _header(rows: list[Row], what: str, tol: tuple[float, float, float]) -> str:
    eps, atol, rtol = tol
    failed = sum(not row[-1] for row in rows)
    return (
        f"gradcheck failed for {failed} of {len(rows)} {what} "
        f"(eps={eps:g}, atol={atol:g}, rtol={rtol:g}; pass when |a - n| <= atol + rtol * |n|)"
    )


def _check_order(order: int) -> None:
    if isinstance(order, bool) or not isinstance(order, int):
        raise TypeError(f"gradcheck: order must be the int 1 or 2, got {order!r}")
    if order not in (1, 2):
        raise ValueError(
            f"gradcheck: order must be 1 or 2, got {order!r}. For a third derivative, check "
            f"the second derivatives of a first derivative: gradcheck(lambda *v: "
            f"autograd.grad(f(*v), list(v), create_graph=True)[0], inputs, order=2)"
        )


@contextmanager
def _grad_mode(record: bool) -> Iterator[None]:
    if record:
        yield
    else:
        with no_grad():
            yield


def _fail(error: GradcheckError, raise_exception: bool) -> bool:
    if raise_exception:
        raise error
    return False


def _tolerance(x: float, name: str) -> float:
    value = _as_number(x, f"gradcheck({name})")
    if value < 0.0:
        raise ValueError(f"gradcheck: {name} must be >= 0, got {x!r}")
    return value


def _count(n: int, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"gradcheck: {name} must be a positive int, got {n!r}")
    return n


def _row(index: int, label: str, a: float, n: float, atol: float, rtol: float) -> Row:
    abs_err = abs(a - n)
    scale = max(abs(a), abs(n))
    rel_err = abs_err / scale if scale > 0.0 else 0.0
    return (index, label, a, n, abs_err, rel_err, abs_err <= atol + rtol * abs(n))


def _analytic_grad(out: Value, xs: list[Value], seed: float) -> list[float]:
    """d out / d x for each x via backward(), restoring every grad it touches."""
    order = topological_order(out)
    nodes = set(order)
    nodes.update(xs)
    saved = [(v, v.grad) for v in nodes]
    try:
        for v in nodes:
            v.grad = 0.0
        out.backward(seed)
        # An input listed twice, or not reached by out, still gets its right gradient:
        # its grad attribute holds the total (0.0 when out does not depend on it).
        return [x.grad for x in xs]
    finally:
        for v, g in saved:
            v.grad = g


# ------------------------------------------------------------------------------ kinks
# The operations with a corner, and which side of it a node is on: the branch its
# local derivatives were taken from. Two evaluations of f, at x + eps u and x - eps u,
# that put a node on different branches straddle the corner.

# Which operations have kinks, and how a node tells its side, is in their entries
# (`Op.has_kinks`, `Op.branch`): for most the local derivatives (relu 1 or 0, abs the
# sign, max/min 1 at the input picked), for sign its value.


def _branch(node: Value) -> tuple[float, ...]:
    return operation(node)[0].branch(node)


def _is_kink(node: Value) -> bool:
    op = operation(node)[0]
    return OPS.get(op.name) is op and op.has_kinks  # the built-ins, not a namesake


def _kink_nodes(out: Value) -> list[Value]:
    return [v for v in topological_order(out) if v.parents and _is_kink(v)]


def _crossed_kink(base: list[Value], plus: Value, minus: Value) -> Value | str | None:
    """The node of ``base`` (f's graph at the point) that the two evaluations put on
    different sides of its corner; a message when f's graph itself changed; else None."""
    side_plus, side_minus = _kink_nodes(plus), _kink_nodes(minus)
    kinds_plus = [operation(v)[0] for v in side_plus]
    kinds_minus = [operation(v)[0] for v in side_minus]
    for k, (p, m) in enumerate(zip(side_plus, side_minus)):
        if kinds_plus[k] is not kinds_minus[k]:
            break
        if _branch(p) != _branch(m):
            same = k < len(base) and operation(base[k])[0] is kinds_plus[k]
            return base[k] if same else p
    if kinds_plus == kinds_minus:
        return None
    return "f records different operations on the two sides (Python control flow on data?)"


def _kink_error(kink: Value | str, where: str, out: Value) -> GradcheckError:
    if isinstance(kink, str):
        text = (
            f"gradcheck: f is not differentiable at this point: {kink}, with {where}. "
            f"Check the gradient at a point farther from where f switches"
        )
        return GradcheckError(text, [], kind="kink", output=out)
    operands = ", ".join(_fmt(p.data) for p in kink.parents)
    op, constants = operation(kink)
    points = " and ".join(_fmt(k) for k in op.kinks(*constants))
    corner = "a tie between its inputs" if op.ties else f"its corner at {points}"
    text = (
        f"gradcheck: f is not differentiable at this point: the {op.name} node of "
        f"({operands}) is within reach of {corner} ({where} puts it on both sides). "
        f"The engine's derivative there is a convention and the central difference "
        f"averages both sides, so they cannot be compared: check the gradient at a point "
        f"farther than eps from the kink, and the kink's convention with an exact assert"
    )
    return GradcheckError(text, [], node=kink, kind="kink", output=out)


# ----------------------------------------------------------------------- the report


def _describe(node: Value, most: int = 6) -> str:
    """``swish node of (0.5)``: the node's op and its operands' numbers."""
    data = [_fmt(p.data) for p in node.parents]
    if len(data) > most:
        data = [*data[:most], f"... {len(data)} operands"]
    label = f" {node.label!r}" if node.label else ""
    return f"{node.op} node{label} of ({', '.join(data)})"


def _faulty_node(
    out: Value, eps: float, atol: float, rtol: float
) -> tuple[Value, int, float, float] | None:
    """The first node of out's graph (inputs first) whose stored local derivative for one
    parent slot disagrees with a central difference of that node's own operation, moved
    in that slot alone: (node, slot, stored, numeric), or None when every node agrees.

    A slot whose step leaves the operation's domain, or takes a kink to its other side,
    cannot be compared and is skipped.
    """
    for node in topological_order(out):
        if not node.parents:
            continue
        op, constants = operation(node)
        data = [p.data for p in node.parents]
        for slot, stored in enumerate(node.local_grads):
            sides = _moved_both_ways(node, op, constants, data, slot, eps)
            if sides is None:
                continue
            numeric = (sides[0].data - sides[1].data) / (2.0 * eps)
            if abs(stored - numeric) > atol + rtol * abs(numeric):
                return node, slot, stored, numeric
    return None


def _moved_both_ways(
    node: Value, op: Op, constants: tuple[Any, ...], data: list[float], slot: int, eps: float
) -> tuple[Value, Value] | None:
    """The node's operation applied again with parent `slot` moved by +eps and by -eps,
    or None where that cannot be compared: a step leaves the operation's domain, or
    takes a kink to its other side."""
    sides = []
    for step in (eps, -eps):
        moved = list(data)
        moved[slot] += step
        try:
            sides.append(op.apply(tuple(map(Value, moved)), constants))
        except (ArithmeticError, ValueError):
            return None
    if _is_kink(node) and _branch(sides[0]) != _branch(sides[1]):
        return None
    return sides[0], sides[1]


def _table(rows: list[Row], first: str = "input") -> str:
    head = ("", first, "label", "analytic", "numeric", "abs err", "rel err")
    body = [
        (
            "" if ok else "FAIL",
            str(i),
            label or "-",
            f"{a:.8g}",
            f"{n:.8g}",
            f"{ae:.3g}",
            f"{re:.3g}" if math.isfinite(re) else "inf",
        )
        for i, label, a, n, ae, re, ok in rows
    ]
    widths = [max(len(r[c]) for r in [head, *body]) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in [head, *body]]
    return "\n".join(lines)


def _faulty_rule(out: Value, eps: float, atol: float, rtol: float) -> tuple[Value, str] | None:
    """The first node of out's graph whose derivative rule as Value operations (what
    ``create_graph=True`` differentiates) is wrong, and what is wrong, or None.

    Its rule must give the stored local derivatives, and the rule's own derivative in
    each parent slot must match a central difference of the stored local derivatives
    (the node applied again with that slot moved by +-eps): a rule that agrees in value
    but is built from ``.data`` or plain floats fails the second test.
    """
    for node in topological_order(out):
        if not node.parents:
            continue
        op, constants = operation(node)
        data = [p.data for p in node.parents]
        for slot, (rule, stored) in enumerate(zip(op.derivatives(node), node.local_grads)):
            value = rule.data if isinstance(rule, Value) else float(rule)
            if abs(value - stored) > atol + rtol * abs(stored):
                return node, (
                    f"The first node whose derivative rule as Value operations is wrong "
                    f"(error.node): the {_describe(node)}: its rule gives d/d(operand {slot}) "
                    f"= {value:.8g}, the stored local derivative is {stored:.8g}"
                )
        leaves = tuple(Value(x) for x in data)
        again = op.apply(leaves, constants)
        # The node moved in each parent slot, once: every rule's check reads the same pairs.
        moved = [
            _moved_both_ways(node, op, constants, data, other, eps) for other in range(len(data))
        ]
        for slot, rule in enumerate(op.derivatives(again)):
            analytic = (
                [g.data for g in _grad(rule, list(leaves))]
                if isinstance(rule, Value)
                else [0.0] * len(leaves)
            )
            for other, sides in enumerate(moved):
                if sides is None:
                    continue
                numeric = (sides[0].local_grads[slot] - sides[1].local_grads[slot]) / (2 * eps)
                if abs(analytic[other] - numeric) > atol + rtol * abs(numeric):
                    return node, (
                        f"The first node whose derivative rule as Value operations is wrong "
                        f"(error.node): the {_describe(node)}: the derivative of its rule for "
                        f"d/d(operand {slot}) with respect to operand {other} is "
                        f"{analytic[other]:.8g}, a finite difference of the stored local "
                        f"derivatives gives {numeric:.8g} (a rule must be built from Value "
                        f"operations, not from .data or plain floats)"
                    )
    return None
