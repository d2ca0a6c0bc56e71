"""What gradcheck's report says about f's graph: where its corners are (kinks), and which
node is wrong when the derivatives disagree (each node checked against a finite
difference of its own operation, and each derivative rule against its stored local
derivatives). Separate from `autograd.gradcheck`, which compares f as a whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from autograd.engine import OPS, Op, Value, _fmt, operation, topological_order
from autograd.higher import grad as _grad

# ------------------------------------------------------------------------------ kinks
# The operations with a corner, and which side of it a node is on. Two evaluations of f,
# at x + eps u and x - eps u, that put a node on different sides straddle the corner.
# Which operations have corners, and how a node tells its side, is in their entries
# (`Op.has_kinks`, `Op.branch`): for most the local derivatives, which unlike the
# operands' data never change on one side (relu 1 or 0, leaky_relu 1 or the slope, abs
# the sign, clamp 1 or 0, max/min 1 at the input picked); for sign its value.


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


# ----------------------------------------------------------------------- the report


def _describe(node: Value, most: int = 6) -> str:
    """``swish node of (0.5)``: the node's op and its operands' numbers."""
    data = [_fmt(p.data) for p in node.parents]
    if len(data) > most:
        data = [*data[:most], f"... {len(data)} operands"]
    label = f" {node.label!r}" if node.label else ""
    return f"{node.op} node{label} of ({', '.join(data)})"


# One comparison of a node with itself: the node, the parent slot, its stored local
# derivative, a central difference of its operation in that slot alone, and the error
# that difference itself carries (truncation, from steps eps and 2 eps, plus rounding).
_NodeCheck = tuple[Value, int, float, float, float]


def _node_checks(out: Value, eps: float) -> Iterator[_NodeCheck]:
    """Every node of out's graph (inputs first) compared with itself, slot by slot.

    A slot whose step leaves the operation's domain, or takes a kink to its other side,
    cannot be compared and is skipped.
    """
    for node in topological_order(out):
        if not node.parents:
            continue
        op, constants = operation(node)
        data = [p.data for p in node.parents]
        for slot, stored in enumerate(node.local_grads):
            near = _moved_both_ways(node, op, constants, data, slot, eps)
            if near is None:
                continue
            numeric = (near[0].data - near[1].data) / (2.0 * eps)
            far = _moved_both_ways(node, op, constants, data, slot, 2.0 * eps)
            wide = numeric if far is None else (far[0].data - far[1].data) / (4.0 * eps)
            rounding = 2.0**-52 * max(abs(near[0].data), abs(near[1].data), 1.0) / eps
            yield node, slot, stored, numeric, abs(numeric - wide) / 3.0 + rounding


def _first_order_diagnosis(
    out: Value, eps: float, atol: float, rtol: float
) -> tuple[Value | None, str]:
    """The node the report names and the sentence that says why: the first node whose
    stored local derivative disagrees with a finite difference of the node alone; when
    none does, that said plainly, with the largest per-node discrepancies."""
    checks = []
    for check in _node_checks(out, eps):
        node, slot, stored, numeric, _ = check
        if abs(stored - numeric) > atol + rtol * abs(numeric):
            return node, (
                f"The first node whose local derivative is wrong (error.node): the "
                f"{_describe(node)}: d/d(operand {slot}) is stored as {stored:.8g}, a finite "
                f"difference of the node alone gives {numeric:.8g}"
            )
        checks.append(check)
    checks.sort(key=lambda c: abs(c[2] - c[3]), reverse=True)
    largest = "; ".join(
        f"the {_describe(node)}, d/d(operand {slot}): stored {stored:.10g}, difference "
        f"{numeric:.10g} (off by {abs(stored - numeric):.2g}; the difference's own error "
        f"about {noise:.1g})"
        for node, slot, stored, numeric, noise in checks[:3]
    )
    return None, (
        f"No node's stored local derivative disagrees with a finite difference of that node "
        f"alone beyond atol={atol:g}, rtol={rtol:g}. The largest per-node discrepancies: "
        f"{largest or 'none (f has no operations)'}. An error within the tolerance in one "
        f"node can grow along the graph; where every discrepancy is within the difference's "
        f"own error, f's result depends on the inputs through something the graph does not "
        f"record (a detach(), a .data or a plain float)"
    )


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
