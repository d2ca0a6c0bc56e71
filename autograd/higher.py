"""Derivatives as functions: `grad` (of any order, with ``create_graph=True``), and the
functional API of ``torch.autograd.functional``: `value_and_grad`, `vjp`, `jacobian`,
`hessian`, `hvp`, `vhp`, and forward mode, `jvp`.

`grad` is reverse mode over the recorded graph, like ``backward()``, but it returns the
derivatives instead of adding them into ``.grad`` (it touches no ``.grad``), as
``torch.autograd.grad`` does. With ``create_graph=True`` it applies each operation's
derivative rule written with Value operations (``autograd.engine.Op.derivatives``), so
the derivatives it returns are Values with graphs of their own: differentiate them
again for second, third, n-th derivatives.

The functional API takes a function and the point (a list of numbers, or one number)
and returns numbers; with ``create_graph=True`` it returns Values with graphs instead,
so its results compose (the Jacobian of a Jacobian is a Hessian). Like torch's, it
records what it needs whatever the caller's grad mode (also inside ``no_grad()``), and
``strict=True`` refuses an output that does not depend on an input.

`jvp` is forward mode: ONE sweep over the recorded graph from the inputs to the output,
each node's tangent the sum of its stored local derivatives times its parents'
tangents. The same stored numbers serve both modes; a directional derivative costs one
forward sweep, where reverse mode needs one sweep per output. With ``create_graph=True``
the tangents are built from the derivative rules instead, as Values: forward over
forward and forward over reverse.

>>> from autograd import Value, grad, hessian
>>> x = Value(3.0)
>>> (dy,) = grad(x ** 3, [x], create_graph=True)     # 3 x**2 = 27
>>> (d2y,) = grad(dy, [x])                          # 6 x = 18
>>> dy.data, d2y.data
(27.0, 18.0)
>>> hessian(lambda a, b: (a - 4) ** 2 + 2 * (b - 3) ** 2, [0.0, 0.0])
[[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd.engine import Value, _as_number, _leaf, enable_grad, topological_order
from autograd.sweeps import _as_value, _checked_grad, _derivatives, _forward

__all__ = ["grad", "hessian", "hvp", "jacobian", "jvp", "value_and_grad", "vhp", "vjp"]

_Grad = Value | float  # a derivative: a number, or a Value with a graph


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: float | Value | Sequence[float | Value] | None = None,
    create_graph: bool = False,
) -> list[Value]:
    """d outputs / d inputs: one Value per input, as ``torch.autograd.grad``.

    The sum over the outputs of ``grad_output * d output / d input`` (each grad_output
    1.0 by default). No ``.grad`` is read or changed. An input the outputs do not depend
    on gets 0. Inputs may be leaves or interior nodes of the graph.

    ``create_graph=False``: the results are leaves (plain numbers in Values), computed
    from the float local derivatives stored on the nodes, the fast path of
    ``backward()``. ``create_graph=True``: the results are Values computed with every
    operation's derivative rule as Value operations, so they have graphs and can be
    differentiated again (``grad_outputs`` given as Values are then part of it too).
    The graph is recorded also inside ``no_grad()``, as torch does.
    """
    outs = _values(outputs, "outputs")
    ins = _values(inputs, "inputs")
    if not outs or not ins:
        raise ValueError(
            f"grad() needs at least one output and one input, got {len(outs)} output(s) and "
            f"{len(ins)} input(s)"
        )
    seeds = _seeds(grad_outputs, len(outs))
    _check_flag(create_graph, "grad", "create_graph")
    found = _derivatives(outs, ins, seeds, create_graph)
    return [_as_value(0.0 if g is None else g) for g in found]


def value_and_grad(
    f: Callable[..., Any], xs: Any, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(f(xs), the gradient of f at `xs`) for ``f(*values)`` returning one Value.

    `xs` is a list of numbers (then the gradient is a list, one entry per input) or one
    number (then it is one number). `vjp` with ``v = 1``: one reverse sweep.
    Floats, or Values with graphs when ``create_graph=True``; `strict` as in `vjp`.
    """
    return vjp(_scalar_function(f, "value_and_grad"), xs, None, create_graph, strict)


def vjp(
    f: Callable[..., Any],
    xs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f(xs), v^T J): the vector `v` times the Jacobian of f at `xs`, as
    ``torch.autograd.functional.vjp``; one reverse sweep.

    ``f(*values)`` gets one Value per number of `xs` (one Value if `xs` is a number)
    and returns a Value or a list of Values; `v` has one number per output (it may be
    left out when f returns one Value: then it is 1). The product has the shape of
    `xs`. Floats, or with ``create_graph=True`` Values with graphs, so the result can be
    differentiated again (`xs` and `v` may then be Values, e.g. another function's
    inputs, and the result depends on them). ``strict=True`` refuses a function whose
    outputs do not depend on an input (and, with `create_graph`, a product that does
    not), where the default gives 0.
    """
    with enable_grad():
        call = _Call.of(f, xs, "vjp", create_graph, strict)
        seeds = _output_weights(v, call)
        found = call.derivatives(call.outs, seeds, "the outputs of f")
        return call.outputs(), call.per_input(found)


def jacobian(
    f: Callable[..., Any], xs: Any, create_graph: bool = False, strict: bool = False
) -> Any:
    """d f_i / d x_j as nested lists: one row per output, one column per input, as
    ``torch.autograd.functional.jacobian``.

    ``f(*values)`` gets one Value per number of `xs` and returns a Value (then the
    result is one row: the gradient) or a list of Values; with `xs` one number (f gets
    one Value) each row is one number. One reverse sweep per output. Floats, or with
    ``create_graph=True`` Values with graphs, so Jacobians compose:
    ``jacobian(lambda *x: jacobian(f, list(x), create_graph=True), xs)`` is the Hessian.
    `strict` as in `vjp`.
    """
    with enable_grad():
        call = _Call.of(f, xs, "jacobian", create_graph, strict)
        rows = [
            call.per_input(call.derivatives([out], [1.0], f"output {k} of f"))
            for k, out in enumerate(call.outs)
        ]
        return rows[0] if call.one_output else rows


def hessian(
    f: Callable[..., Any], xs: Any, create_graph: bool = False, strict: bool = False
) -> Any:
    """d^2 f / d x_i d x_j as nested lists, for ``f(*values)`` returning one Value, as
    ``torch.autograd.functional.hessian``: the gradient with ``create_graph=True``, then
    the gradient of each of its entries (n + 1 reverse sweeps). One number for `xs` one
    number. Floats, or Values with graphs when ``create_graph=True``. ``strict=True``
    refuses a function whose gradient does not depend on every input (a linear one).
    """
    with enable_grad():
        call = _Call.of(_scalar_function(f, "hessian"), xs, "hessian", True, strict)
        first = call.first_derivatives()
        call.create_graph = create_graph
        rows = [
            call.per_input(call.derivatives([d], [1.0], f"entry {k} of the gradient of f"))
            for k, d in enumerate(first)
        ]
        return rows[0] if call.one_input else rows


def hvp(
    f: Callable[..., Any],
    xs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f(xs), H v): the Hessian of ``f(*values)`` at `xs` times the vector `v`, without
    forming the Hessian, as ``torch.autograd.functional.hvp``.

    The gradient with ``create_graph=True``, dotted with `v`, differentiated once more:
    two reverse sweeps whatever the number of inputs, where `hessian` needs n + 1. `v`
    has the shape of `xs` (it may be left out for one input). Floats, or Values with
    graphs when ``create_graph=True``; `strict` as in `hessian`.
    """
    return _hessian_product(f, xs, v, create_graph, strict, "hvp")


def vhp(
    f: Callable[..., Any],
    xs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f(xs), v^T H), as ``torch.autograd.functional.vhp``: the same two reverse sweeps
    as `hvp` (the gradient dotted with `v`, differentiated again). The Hessian of a
    twice continuously differentiable function is symmetric, so both give one product.
    """
    return _hessian_product(f, xs, v, create_graph, strict, "vhp")


def _hessian_product(
    f: Callable[..., Any], xs: Any, v: Any, create_graph: bool, strict: bool, func: str
) -> tuple[Any, Any]:
    with enable_grad():
        call = _Call.of(_scalar_function(f, func), xs, func, True, strict)
        direction = _input_weights(v, call)
        first = call.first_derivatives()
        call.create_graph = create_graph
        found = call.derivatives(first, direction, "the gradient of f")
        return call.outputs(), call.per_input(found)


def jvp(
    f: Callable[..., Any],
    xs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f(xs), J v: the derivative of f at `xs` in the direction `v`), by forward mode,
    as ``torch.autograd.functional.jvp``.

    ``f(*values)`` returns a Value (then both are numbers) or a list of Values (then
    both are lists); `v` has the shape of `xs` (it may be left out for one input). ONE
    forward sweep over the recorded graph: a node's tangent is the sum over its
    parents of its local derivative times the parent's tangent, starting from tangent
    ``v[i]`` for input i. No reverse sweep is made. With ``create_graph=True`` the
    local derivatives are the operations' derivative rules as Value operations, so the
    tangents are Values that can be differentiated again: forward over forward
    (``jvp`` of a ``jvp``) and forward over reverse (``jvp`` of a ``grad``). `strict`
    refuses outputs that do not depend on the inputs.
    """
    with enable_grad():
        call = _Call.of(f, xs, "jvp", create_graph, strict)
        direction = _input_weights(v, call)
        tangents = _forward(call.outs, call.ins, direction, create_graph)
        if strict and create_graph:
            for i, t in enumerate(tangents):
                call.check_depends(t, f"the tangent of output {i}")
        tangents = [call.result(t) for t in tangents]
        return call.outputs(), tangents[0] if call.one_output else tangents


# ---------------------------------------------------------------- one call of f


class _Call:
    """f evaluated once for a function of the functional API: the Values it was given
    (`ins`, one per input), what it returned (`outs`), and the caller's flags. Turns the
    derivatives into the caller's shapes and types, and makes the ``strict`` checks."""

    def __init__(
        self, func: str, ins: list[Value], out: object, create_graph: bool, strict: bool
    ) -> None:
        self.func = func
        self.ins = ins
        self.outs = _outputs(out, func)
        self.one_output = isinstance(out, Value)
        self.one_input = False
        self.create_graph = create_graph
        self.strict = strict

    @classmethod
    def of(
        cls, f: Callable[..., Any], xs: Any, func: str, create_graph: bool, strict: bool
    ) -> _Call:
        """Run ``f(*values)`` at `xs` (grad mode on: the caller's `enable_grad`)."""
        _check_flag(create_graph, func, "create_graph")
        _check_flag(strict, func, "strict")
        ins, one_input = _prepare_inputs(xs, func, create_graph)
        call = cls(func, ins, f(*ins), create_graph, strict)
        call.one_input = one_input
        if strict:
            for i, out in enumerate(call.outs):
                if not call.depends(out):
                    raise ValueError(
                        f"{func}(strict=True): output {i} of f does not depend on its inputs; "
                        f"compute it from the Values f is given, or pass strict=False (its "
                        f"derivatives are then 0)"
                    )
        return call

    def depends(self, g: _Grad) -> bool:
        """Whether `g` is a Value computed from the inputs (on a path from one of them)."""
        if not isinstance(g, Value):
            return False
        ins = set(self.ins)
        return any(node in ins for node in topological_order(g))

    def derivatives(self, outs: Sequence[_Grad], seeds: list[_Grad], of: str) -> list[_Grad]:
        """d outs / d ins weighted by `seeds`, 0 where there is no path, after the strict
        checks (`of` names the outs in their messages)."""
        found = _derivatives(outs, self.ins, seeds, self.create_graph)
        if self.strict:
            for i, g in enumerate(found):
                g = self.check_path(g, i, of)
                if self.create_graph:
                    self.check_depends(g, f"the derivative of {of} with respect to input {i}")
        return [0.0 if g is None else g for g in found]

    def first_derivatives(self) -> list[_Grad]:
        """The gradient of f's one output as Values, for a second sweep; with strict, each
        entry must depend on the inputs (a linear f's Hessian is 0: torch refuses it)."""
        found = _derivatives(self.outs, self.ins, [1.0], True)
        if self.strict:
            for i, g in enumerate(found):
                g = self.check_path(g, i, "the output of f")
                self.check_depends(g, f"the gradient of f with respect to input {i}")
        return [0.0 if g is None else g for g in found]

    def check_path(self, g: _Grad | None, i: int, of: str) -> _Grad:
        if g is None:
            raise ValueError(
                f"{self.func}(strict=True): {of} does not depend on input {i}; pass "
                f"strict=False to get 0 for it"
            )
        return g

    def check_depends(self, g: _Grad, what: str) -> None:
        if not self.depends(g):
            raise ValueError(
                f"{self.func}(strict=True): {what} does not depend on the inputs (f is linear "
                f"in them, or the derivative is a constant); pass strict=False to accept it"
            )

    def result(self, g: _Grad) -> Any:
        """A derivative as the caller asked: a Value with create_graph, else a float."""
        if self.create_graph:
            return _as_value(g)
        return _checked_grad(g.data if isinstance(g, Value) else g, None)

    def per_input(self, found: list[_Grad]) -> Any:
        results = [self.result(g) for g in found]
        return results[0] if self.one_input else results

    def outputs(self) -> Any:
        """f's outputs: the Values with create_graph (they depend on the inputs), else
        their numbers; one or a list, as f returned them."""
        outs = self.outs if self.create_graph else [o.data for o in self.outs]
        return outs[0] if self.one_output else outs


# ---------------------------------------------------------------- argument checks


def _check_flag(flag: object, func: str, name: str) -> None:
    if not isinstance(flag, bool):
        raise TypeError(f"{func}({name}=...) must be True or False, got {flag!r}")


def _is_scalar(x: object) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _items(xs: Any, func: str, name: str, how_many: str) -> tuple[list[Any], bool]:
    """(the entries of `xs`, whether it was one number or Value rather than a list)."""
    if _is_scalar(xs):
        return [xs], True
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__"):
        raise TypeError(
            f"{func}() takes {name} as a number or a list of numbers ({how_many}), got "
            f"{type(xs).__name__} {xs!r}"
        )
    return list(xs), False


def _prepare_inputs(xs: Any, func: str, create_graph: bool) -> tuple[list[Value], bool]:
    """The Values f is called with: a new node per entry of `xs`, so that a Value f also
    reaches another way (a Value in `xs` that f captures) is not mistaken for its input.
    With `create_graph` a Value entry's node depends on it (``x + 0.0``), so the result
    does too; otherwise every node is a leaf holding the number."""
    items, one = _items(xs, func, "xs", "one per argument of f")
    if not items:
        raise ValueError(f"{func}() needs at least one input, got xs={xs!r}")
    ins = []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            ins.append(x + 0.0 if create_graph else _leaf(x.data))
        else:
            ins.append(_leaf(_as_number(x, f"{func}() xs[{i}]")))
    return ins, one


def _weights(v: Any, n: int, one: bool, call: _Call, what: str) -> list[_Grad]:
    """`v` as one weight per input or output (Values kept with create_graph)."""
    func = call.func
    if v is None:
        if n != 1:
            raise ValueError(f"{func}() needs v, one number per {what}, when there are {n} {what}s")
        return [1.0]
    items, scalar = _items(v, func, "v", f"{n}, one per {what}")
    if len(items) != n or scalar != one:
        shown = "one number" if scalar else f"v of length {len(items)}"
        raise ValueError(f"{func}() got {shown} for {n} {what}s; give one number per {what}")
    return [
        (x if call.create_graph else x.data)
        if isinstance(x, Value)
        else _as_number(x, f"{func}() v[{i}]")
        for i, x in enumerate(items)
    ]


def _input_weights(v: Any, call: _Call) -> list[_Grad]:
    return _weights(v, len(call.ins), call.one_input, call, "input")


def _output_weights(v: Any, call: _Call) -> list[_Grad]:
    return _weights(v, len(call.outs), call.one_output, call, "output")


def _scalar_function(f: Callable[..., Any], func: str) -> Callable[..., Value]:
    """`f`, checked to return one Value."""

    def checked(*args: Value) -> Value:
        return _scalar(f(*args), func)

    return checked


def _values(x: object, name: str) -> list[Value]:
    """`x` as a list of Values: one Value, or a sequence of them."""
    items = [x] if isinstance(x, Value) else x
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise TypeError(
            f"grad() {name} must be a Value or a list of Values, got {type(x).__name__} {x!r}"
        )
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(
                f"grad() {name}[{i}] must be a Value, got {type(v).__name__} {v!r}: "
                f"differentiate Values computed from Values (wrap numbers in Value(...))"
            )
    return list(items)


def _seeds(grad_outputs: object, n: int) -> list[_Grad]:
    if grad_outputs is None:
        return [1.0] * n
    items = [grad_outputs] if not isinstance(grad_outputs, (list, tuple)) else grad_outputs
    if len(items) != n:
        raise ValueError(
            f"grad() got {len(items)} grad_outputs for {n} output(s); give one per output"
        )
    return [
        g if isinstance(g, Value) else _as_number(g, f"grad() grad_outputs[{i}]")
        for i, g in enumerate(items)
    ]


def _outputs(out: object, func: str) -> list[Value]:
    items = [out] if isinstance(out, Value) else out
    if not isinstance(items, (list, tuple)) or not all(isinstance(o, Value) for o in items):
        raise TypeError(
            f"{func}(): f must return a Value or a list of Values, got {type(out).__name__} {out!r}"
        )
    return list(items)


def _scalar(out: object, func: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"{func}(): f must return one Value (a scalar function), got {type(out).__name__} "
            f"{out!r}"
        )
    return out
