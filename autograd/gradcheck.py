"""Numerical gradient checking: compare `backward()` with central differences.

``gradcheck(f, inputs)`` is what a unit test calls to prove a derivative right: it
computes the analytic gradient with the engine and the numerical one with

    df/dx_i ~ (f(.., x_i + eps, ..) - f(.., x_i - eps, ..)) / (2 eps)

and raises `GradcheckError` with a table of every input when any pair disagrees.
Neither function leaves a trace: every ``data`` and ``grad`` it touches is restored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograd.engine import Value, _as_number, _fmt, no_grad, topological_order

__all__ = ["GradcheckError", "gradcheck", "numerical_grad"]

Function = Callable[..., Value]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree. The message is a table of every input.

    ``rows`` holds, per input: (index, label, analytic, numeric, abs_err, rel_err, ok).
    Subclasses AssertionError so that pytest reports it as a failed check.
    """

    def __init__(self, message: str, rows: list[tuple[int, str, float, float, float, float, bool]]):
        super().__init__(message)
        self.rows = rows


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


def _call(f: Function, inputs: Sequence[Value], func: str) -> Value:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"{func}: f must return a Value, it returned {type(out).__name__}")
    return out


def numerical_grad(f: Function, inputs: Sequence[Value], eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of d f(*inputs) / d inputs[i] for every i.

    ``f`` takes the inputs as positional arguments and returns a Value. It is called
    2 * len(inputs) times under `no_grad`, with one input nudged by +-eps each time;
    every input's data is restored afterwards, also when ``f`` raises.
    """
    xs = _check_inputs(inputs, "numerical_grad")
    eps = _as_number(eps, "numerical_grad(eps)")
    if eps <= 0.0:
        raise ValueError(f"numerical_grad: eps must be positive, got {eps!r}")
    grads = []
    with no_grad():
        for i, x in enumerate(xs):
            original = x.data
            try:
                x.data = original + eps
                f_plus = _call(f, xs, "numerical_grad").data
                x.data = original - eps
                f_minus = _call(f, xs, "numerical_grad").data
            except (ArithmeticError, ValueError) as err:
                name = f" ({x.label})" if x.label else ""
                raise type(err)(
                    f"numerical_grad: f failed with input {i}{name} moved to "
                    f"{_fmt(original)} +- {eps:g}: {err}. Move the point away from the "
                    f"edge of f's domain or use a smaller eps"
                ) from err
            finally:
                x.data = original
            grads.append((f_plus - f_minus) / (2.0 * eps))
    return grads


def gradcheck(
    f: Function,
    inputs: Sequence[Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    grad: float = 1.0,
) -> bool:
    """Check the engine's gradient of ``f(*inputs)`` against central differences.

    An input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns
    True when every input passes; otherwise raises `GradcheckError`, whose message is
    a table of every input (index, label, analytic, numeric, absolute and relative
    error), the failing rows marked. ``grad`` is the upstream gradient passed to
    ``backward``, so a non-uniform seed can be checked too.

    The ``grad`` of every Value in the graph is left as it was before the call.
    """
    xs = _check_inputs(inputs, "gradcheck")
    out = _call(f, xs, "gradcheck")
    seed = _as_number(grad, "gradcheck(grad)")
    analytic = _analytic_grad(out, xs, seed)
    numeric = [seed * g for g in numerical_grad(f, xs, eps)]

    rows = []
    for i, (x, a, n) in enumerate(zip(xs, analytic, numeric)):
        abs_err = abs(a - n)
        scale = max(abs(a), abs(n))
        rel_err = abs_err / scale if scale > 0.0 else 0.0
        rows.append((i, x.label, a, n, abs_err, rel_err, abs_err <= atol + rtol * abs(n)))
    if all(row[-1] for row in rows):
        return True
    failed = sum(not row[-1] for row in rows)
    header = (
        f"gradcheck failed for {failed} of {len(rows)} inputs "
        f"(eps={eps:g}, atol={atol:g}, rtol={rtol:g}; pass when |a - n| <= atol + rtol * |n|)"
    )
    raise GradcheckError(header + "\n" + _table(rows), rows)


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


def _table(rows: list[tuple[int, str, float, float, float, float, bool]]) -> str:
    head = ("", "input", "label", "analytic", "numeric", "abs err", "rel err")
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
