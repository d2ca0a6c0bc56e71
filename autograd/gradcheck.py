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
Where a difference at ``eps`` is itself inaccurate (large higher derivatives), steps
``2 eps`` and ``4 eps`` estimate its truncation error and take it out, so a right rule
is not failed for the difference's fault; when even that cannot settle it, the error
says the check cannot decide (``kind == "undecided"``) instead of blaming the rule.

Neither function writes a Value it is given or any ``.grad``: f runs on fresh leaves
with the inputs' numbers (see `_Caller` for an f that reads its inputs by closure).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from functools import partial

from autograd._diagnosis import (
    _crossed_kink,
    _faulty_rule,
    _first_order_diagnosis,
    _kink_nodes,
)
from autograd.engine import (
    Value,
    _as_number,
    _fmt,
    enable_grad,
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
    ``kind`` is ``"mismatch"``, ``"kink"`` (not differentiable at this point) or
    ``"undecided"`` (the central differences do not settle as the step shrinks).
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
    # Grad mode on whatever the caller's, as torch's functional API does: an f that takes
    # a gradient itself (autograd.grad inside f) needs its graph recorded.
    with enable_grad():
        out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"{func}: f must return a Value, it returned {type(out).__name__}")
    return out


def _leaves(xs: Sequence[Value], direction: Sequence[float], step: float) -> list[Value]:
    """Fresh leaves for f at ``xs + step * direction``; the caller's Values are never
    written (another thread may be reading them). An input listed twice is one leaf,
    moved by the sum of its entries, as the derivative of f adds up its uses."""
    shift: dict[int, float] = {}
    for x, u in zip(xs, direction):
        shift[id(x)] = shift.get(id(x), 0.0) + u
    made: dict[int, Value] = {}
    leaves = []
    for x in xs:
        leaf = made.get(id(x))
        if leaf is None:
            u = shift[id(x)]
            leaf = made[id(x)] = Value(x.data + step * u if u else x.data, label=x.label)
        leaves.append(leaf)
    return leaves


class _Side:
    """f evaluated at one side of the point: the leaves it was given, its output, and the
    output's number read at once (f may return an input, whose number moves on)."""

    __slots__ = ("leaves", "out", "value")

    def __init__(self, leaves: list[Value], out: Value) -> None:
        self.leaves = leaves
        self.out = out
        self.value = out.data


class _Caller:
    """Calls f at points near the inputs' numbers, for the differences.

    f is given fresh leaves with the inputs' numbers and labels, so the caller's Values
    are never written (another thread may be reading them). An f that reads the inputs
    themselves instead, ignoring its arguments (a closure over a model's parameters),
    would not see fresh leaves move: that shows at the point, where the inputs are then
    in f's graph, and only for such an f are the inputs moved in place and put back
    after every call (so it must not share them with another thread meanwhile).
    """

    def __init__(self, f: Function, xs: list[Value], func: str) -> None:
        self.f, self.xs, self.func = f, xs, func
        self.point = _leaves(xs, [0.0] * len(xs), 0.0)
        self.out = _call(f, self.point, func)
        inputs = set(xs)
        self.in_place = any(v in inputs for v in topological_order(self.out))
        if self.in_place:
            self.point = list(xs)
            self.out = _call(f, xs, func)

    def side(self, direction: Sequence[float], step: float) -> _Side:
        """f at ``xs + step * direction``."""
        if not self.in_place:
            leaves = _leaves(self.xs, direction, step)
            return _Side(leaves, _call(self.f, leaves, self.func))
        originals = [x.data for x in self.xs]
        try:
            for x, u in zip(self.xs, direction):
                if u:  # an input listed twice moves by the sum of its entries
                    x.data += step * u
            return _Side(list(self.xs), _call(self.f, self.xs, self.func))
        finally:
            for x, original in zip(self.xs, originals):
                x.data = original

    def both_sides(self, direction: Sequence[float], eps: float, where: str) -> tuple[_Side, _Side]:
        """f at xs + eps * direction and at xs - eps * direction. ``where`` says in an
        error what moved ("input 0 (x) moved to 1 +- 1e-06")."""
        try:
            return self.side(direction, eps), self.side(direction, -eps)
        except (ArithmeticError, ValueError) as err:
            raise type(err)(
                f"{self.func}: f failed with {where}: {err}. Move the point away from the "
                f"edge of f's domain or use a smaller eps"
            ) from err


def _moved(xs: Sequence[Value], i: int, eps: float) -> str:
    name = f" ({xs[i].label})" if xs[i].label else ""
    return f"input {i}{name} moved to {_fmt(xs[i].data)} +- {eps:g}"


def _basis(n: int, i: int) -> list[float]:
    return [1.0 if k == i else 0.0 for k in range(n)]


def numerical_grad(f: Function, inputs: Sequence[Value], eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of d f(*inputs) / d inputs[i] for every i.

    ``f`` takes the inputs as positional arguments and returns a Value. It is called
    2 * len(inputs) times, each time on fresh leaves with the inputs' numbers and one
    of them nudged by +-eps; the inputs themselves are never written. f runs with grad
    mode on, so an f that itself calls `autograd.grad` is differenced correctly.
    """
    xs = _check_inputs(inputs, "numerical_grad")
    eps = _check_eps(eps, "numerical_grad")
    caller = _Caller(f, xs, "numerical_grad")
    grads = []
    for i in range(len(xs)):
        where = _moved(xs, i, eps)
        plus, minus = caller.both_sides(_basis(len(xs), i), eps, where)
        grads.append((plus.value - minus.value) / (2.0 * eps))
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
    with a finite difference of that node alone (``error.node``), or, when no node
    does, that said plainly with the largest per-node discrepancies beside the error
    each difference carries. ``grad`` is the upstream gradient (as ``backward(grad)``),
    so a non-uniform seed can be checked too.

    **The difference's own error.** A row that disagrees at ``eps`` is looked at again
    with steps ``2 eps`` and ``4 eps``: while the three shrink towards a limit as the
    step squared (the central difference's truncation error), that limit is what the
    analytic value is compared with; when they do not, the row is marked ``?`` and
    gradcheck raises with ``kind == "undecided"``, saying it cannot decide and what to
    try (another eps or point), rather than calling a right derivative wrong.

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

    f is called on fresh leaves with the inputs' numbers and labels (``error.output``
    and ``error.node`` belong to that graph); no Value's ``data`` or ``grad`` is
    written, so gradcheck may run in several threads over shared Values. An f that
    ignores its arguments and reads the inputs by closure (a model's parameters) is
    detected, and its inputs are then moved in place and put back after each call.
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
    caller = _Caller(f, xs, "gradcheck")
    point, out = caller.point, caller.out
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

    diffs = _Differences(caller, eps, seed_grad, order, kinks)
    for probe in probes:  # f on both sides of the point, along each probe's direction
        kink = diffs.evaluate(probe)
        if kink is not None:
            return _fail(_kink_error(kink, probe.where, out), raise_exception)

    error = _first_order(out, point, probes, diffs, tol, what, fast_mode)
    if error is None and order == 2:
        error = _second_order(out, point, probes, diffs, tol, what, fast_mode)
    return True if error is None else _fail(error, raise_exception)


class _Probe:
    """One direction along which f is evaluated on both sides of the point: its numbers,
    label and description; then, per step (eps, 2 eps, 4 eps: `_Differences`), f's
    values there and, for order 2, its gradients (None where f cannot be evaluated or a
    kink lies within the step)."""

    __slots__ = ("direction", "label", "sides", "where")

    def __init__(self, direction: list[float], label: str, where: str) -> None:
        self.direction = direction
        self.label = label
        self.where = where
        self.sides: dict[int, _Sides | None] = {}


# f's values on both sides, and its gradients there (empty lists for order 1)
_Sides = tuple[tuple[float, float], tuple[list[float], list[float]]]


class _Differences:
    """Central differences of f (order 1) and of its gradient (order 2) along the probes.

    A central difference with step h is off by a truncation error ``c h**2 + O(h**4)``
    besides rounding. Where the analytic value disagrees with the difference at eps,
    `judge` also takes steps 2 eps and 4 eps (evaluated only then): when the three
    estimates shrink towards a limit as ``h**2`` does, the truncation error is estimated
    from them and taken out (Richardson: ``D(h) + (D(h) - D(2h)) / 3``), so a large
    fourth derivative does not fail a correct rule; when they do not, the check says it
    cannot decide instead of blaming the rule.
    """

    def __init__(
        self, caller: _Caller, eps: float, seed: float, order: int, kinks: list[Value]
    ) -> None:
        self.caller, self.eps, self.seed, self.order = caller, eps, seed, order
        self.kinks = kinks

    def evaluate(self, probe: _Probe, multiple: int = 1) -> Value | str | None:
        """Evaluate f on both sides of the point at step ``multiple * eps`` and store it on
        the probe; return the kink the two sides straddle (a node or a message), if any."""
        plus, minus = self.caller.both_sides(probe.direction, multiple * self.eps, probe.where)
        kink = _crossed_kink(self.kinks, plus.out, minus.out) if self.kinks else None
        if kink is not None:
            return kink
        gradients: tuple[list[float], list[float]] = ([], [])
        if self.order == 2:  # the gradient on both sides: a finite difference of the gradient
            gradients = (
                _analytic_grad(plus.out, plus.leaves, self.seed),
                _analytic_grad(minus.out, minus.leaves, self.seed),
            )
        probe.sides[multiple] = ((plus.value, minus.value), gradients)
        return None

    def _sides(self, probe: _Probe, multiple: int) -> _Sides | None:
        if multiple not in probe.sides:
            try:
                if self.evaluate(probe, multiple) is not None:
                    probe.sides[multiple] = None  # a kink within the larger step
            except (ArithmeticError, ValueError):
                probe.sides[multiple] = None  # the larger step leaves f's domain
        return probe.sides[multiple]

    def first(self, probe: _Probe, multiple: int) -> float | None:
        """The directional derivative (times the seed) from the step ``multiple * eps``."""
        sides = self._sides(probe, multiple)
        if sides is None:
            return None
        plus, minus = sides[0]
        return self.seed * (plus - minus) / (2.0 * multiple * self.eps)

    def second(self, probe: _Probe, j: int, multiple: int) -> float | None:
        """The derivative of gradient entry j along the probe, from ``multiple * eps``."""
        sides = self._sides(probe, multiple)
        if sides is None:
            return None
        plus, minus = sides[1]
        return (plus[j] - minus[j]) / (2.0 * multiple * self.eps)


def _judge(
    analytic: float, estimate: Callable[[int], float | None], atol: float, rtol: float
) -> tuple[float, str]:
    """Compare an analytic derivative with central differences: the numeric value that
    decided and the verdict, "ok", "fail" or "undecided" (see `_Differences`)."""
    d1 = estimate(1)
    assert d1 is not None  # step 1 is evaluated up front, or the check stopped at a kink
    if abs(analytic - d1) <= atol + rtol * abs(d1):
        return d1, "ok"
    d2, d4 = estimate(2), estimate(4)
    if d2 is None or d4 is None or abs(d1 - d2) <= (atol + rtol * abs(d1)) / 10:
        return d1, "fail"  # the differences do not move with the step: they are right
    ratio = (d4 - d2) / (d2 - d1)  # 4 while the error is c h**2
    if not 2.5 <= ratio <= 6.5:
        return d1, "undecided"
    extrapolated = d1 + (d1 - d2) / 3.0
    ok = abs(analytic - extrapolated) <= atol + rtol * abs(extrapolated)
    return extrapolated, "ok" if ok else "fail"


def _first_order(
    out: Value,
    point: list[Value],
    probes: list[_Probe],
    diffs: _Differences,
    tol: tuple[float, float, float],
    what: str,
    fast_mode: bool,
) -> GradcheckError | None:
    """Compare the gradient from one reverse pass with the central differences."""
    eps, atol, rtol = tol
    analytic = _analytic_grad(out, point, diffs.seed)
    rows, verdicts = [], []
    for k, probe in enumerate(probes):
        a = math.fsum(g * c for g, c in zip(analytic, probe.direction))
        n, verdict = _judge(a, partial(diffs.first, probe), atol, rtol)
        rows.append(_row(k, probe.label, a, n, verdict == "ok"))
        verdicts.append(verdict)
    if all(row[-1] for row in rows):
        return None
    first = "direction" if fast_mode else "input"
    header = _header(rows, what, tol)
    if "fail" not in verdicts:
        return _undecided(header, _table(rows, verdicts, first), rows, out)
    node, where = _first_order_diagnosis(out, eps, atol, rtol)
    message = f"{header}\n{_table(rows, verdicts, first)}\n{where}"
    return GradcheckError(message, rows, node=node, output=out)


def _second_order(
    out: Value,
    point: list[Value],
    probes: list[_Probe],
    diffs: _Differences,
    tol: tuple[float, float, float],
    what: str,
    fast_mode: bool,
) -> GradcheckError | None:
    """Compare the second derivatives from differentiating the gradient again (with
    ``create_graph=True``) with central differences of the gradient."""
    eps, atol, rtol = tol
    seed = diffs.seed
    first = _grad(out, point, create_graph=True)
    names = [x.label or str(i) for i, x in enumerate(point)]
    n = len(point)
    if not fast_mode:  # the Hessian, row j the gradient of first[j]: n reverse sweeps
        hessian = [[g.data for g in _grad(g_j, point)] for g_j in first]
    rows, verdicts = [], []
    for k, probe in enumerate(probes):
        if fast_mode:  # H u: the gradient of (gradient . u), one more reverse sweep
            directional = [g * u for g, u in zip(first, probe.direction) if u]
            column = [seed * g.data for g in _grad(autograd_sum(directional), point)]
        else:
            column = [seed * row[k] for row in hessian]
        for j in range(n):
            numeric, verdict = _judge(column[j], partial(diffs.second, probe, j), atol, rtol)
            label = f"{names[j]} / u{k}" if fast_mode else f"{names[j]},{names[k]}"
            rows.append(_row(k * n + j, label, column[j], numeric, verdict == "ok"))
            verdicts.append(verdict)
    if all(row[-1] for row in rows):
        return None
    header = _header(rows, f"second derivatives (order 2, along the {what})", tol)
    if "fail" not in verdicts:
        return _undecided(header, _table(rows, verdicts, "entry"), rows, out)
    faulty = _faulty_rule(out, eps, atol, rtol)
    if faulty is None:
        where = (
            "No node's derivative rule as Value operations disagrees with its stored local "
            "derivatives or with their finite differences"
        )
        node = None
    else:
        node, where = faulty
    message = f"{header}\n{_table(rows, verdicts, 'entry')}\n{where}"
    return GradcheckError(message, rows, node=node, output=out)


def _undecided(header: str, table: str, rows: list[Row], out: Value) -> GradcheckError:
    message = (
        f"{header}\n{table}\nThe check cannot decide the rows marked '?': the central "
        f"differences at steps eps, 2 eps and 4 eps do not settle on a limit (f's higher "
        f"derivatives are large at this point, or rounding dominates), so they cannot tell "
        f"whether the analytic value is right. Try another eps (10 times smaller or larger) "
        f"or a point where f changes less steeply"
    )
    return GradcheckError(message, rows, kind="undecided", output=out)


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


def _row(index: int, label: str, a: float, n: float, ok: bool) -> Row:
    abs_err = abs(a - n)
    scale = max(abs(a), abs(n))
    rel_err = abs_err / scale if scale > 0.0 else 0.0
    return (index, label, a, n, abs_err, rel_err, ok)


def _analytic_grad(out: Value, xs: list[Value], seed: float) -> list[float]:
    """``seed * d out / d x`` for each x from the stored local derivatives (one reverse
    pass, as ``backward(seed)``, through `autograd.grad`, which writes no ``.grad``: a
    Value f shares with another thread is never touched). An input listed twice gets
    the total; one out does not depend on, 0."""
    return [g.data for g in _grad(out, xs, grad_outputs=seed)]


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


_MARKS = {"ok": "", "fail": "FAIL", "undecided": "?"}


def _table(rows: list[Row], verdicts: list[str], first: str = "input") -> str:
    head = ("", first, "label", "analytic", "numeric", "abs err", "rel err")
    body = [
        (
            _MARKS[verdict],
            str(i),
            label or "-",
            f"{a:.8g}",
            f"{n:.8g}",
            f"{ae:.3g}",
            f"{re:.3g}" if math.isfinite(re) else "inf",
        )
        for (i, label, a, n, ae, re, _), verdict in zip(rows, verdicts)
    ]
    widths = [max(len(r[c]) for r in [head, *body]) for c in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in [head, *body]]
    return "\n".join(lines)
