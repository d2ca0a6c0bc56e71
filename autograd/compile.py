"""Compiled batch mode: trace a per-sample function once, replay it over a batch with numpy.

``autograd.compile(fn, *examples)`` calls ``fn`` ONCE on placeholder Values made from
one example of each argument, and keeps the graph it records. Calling the result on
arrays with a leading batch axis replays that graph for every row at once: each kind
of operation has one vectorised rule in `RULES` (its forward and its derivatives, as
numpy expressions, beside the engine's float ones), and nodes of the same kind at the
same depth run as ONE numpy call. The linear nodes of a layer, which share their
inputs, become one matrix product.

>>> import numpy as np
>>> from autograd import Value
>>> w = Value(2.0)
>>> f = compile(lambda x: (w * x).tanh(), 0.0)
>>> f(np.array([0.0, 0.5])).round(4)
array([0.    , 0.7616])

What is traced and what is not:

- The parameters are the leaves ``fn`` reaches that are not its arguments (a model's
  weights). Their ``.data`` is read at every call, so optimizer steps take effect;
  gradients are added to their ``.grad`` as the eager engine's ``backward()`` would.
- The graph must not depend on the data. Comparisons, ``float(v)`` and ``bool(v)`` of a
  Value raise ``TypeError`` while tracing: write ``max(0, v)`` as ``v.relu()``, an
  ``if`` on a sign as ``abs``, ``relu`` or `autograd.max`. So do reading ``v.data`` and
  ``v.detach()`` of a Value made while tracing: the number is the example's, and would
  be a constant of the graph for every row.
- Kinks and ties follow the engine (relu'(0) = 0, the first maximum wins); a row whose
  value or derivative would not be finite raises the eager engine's own error for that
  row, with the row's index in front.
- An operation with no vectorised rule (a custom primitive) still works: it is run
  per row and per node with the engine itself, and is as slow as eager mode.
"""

from __future__ import annotations

import math
import numbers
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from autograd import engine
from autograd.engine import Op, Value, _as_number, is_grad_enabled, operation
from autograd.functional import _mean_of, _sum_of
from autograd.ops import Math

__all__ = ["NUMPY", "RULES", "Compiled", "Rule", "compile"]

Array = NDArray[np.float64]
_data = attrgetter("data")
_grad = attrgetter("grad")


# ====================================================================== the rules
#
# A rule's forward takes the node's operands as arrays and returns its value; its
# derivative functions, one per operand, take (g, out, *operands) and return
# g * d out / d operand (the vector-Jacobian product). Operands of elementwise rules
# have the shape (batch, nodes) or (nodes,); those of vector rules (sum, dot, ...)
# one more axis, the node's inputs, over which they reduce.


@dataclass(frozen=True)
class Rule:
    """The vectorised form of one kind of operation.

    - ``forward(*operands) -> out``;
    - ``derivatives``: one function per operand, ``(g, out, *operands) -> contribution``;
    - ``vector``: the operands carry the node's inputs on a last axis (sum, dot, ...);
      one flag for all operands, or one per operand;
    - ``bad(out, *operands) -> mask``: where the engine would raise (None: never).
      The engine's own error is then produced by replaying that row eagerly.
    """

    forward: Callable[..., Array]
    derivatives: tuple[Callable[..., Array], ...]
    vector: bool | tuple[bool, ...] = False
    bad: Callable[..., Any] | None = None

    def is_vector(self, operand: int) -> bool:
        """Whether this operand has the node's inputs on a last axis."""
        return self.vector if isinstance(self.vector, bool) else self.vector[operand]


def _not_finite(out: Array, *operands: Array) -> Any:
    return ~np.isfinite(out)


def _sigmoid(x: Array) -> Array:
    """As the engine: 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) below."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x: Array) -> Array:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


_erf = np.vectorize(math.erf, otypes=[float])  # numpy has no erf: math's, row by row
_erfc = np.vectorize(math.erfc, otypes=[float])

#: numpy's math for the entries' rules (``rule(m, out, *arguments)``, see
#: `autograd.ops`): the same formula that gives a float or a Value gives an array.
NUMPY: Any = Math(
    np,
    {name: "arc" + name[1:] for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh")},
    atan2=np.arctan2,
    erf=_erf,
    erfc=_erfc,
    sigmoid=_sigmoid,
    softplus=_softplus,
)


def _elementwise_rule(op: Op, varying: tuple[bool, ...]) -> Rule:
    """The vectorised rule of an elementwise entry, for nodes whose arguments are Values
    where `varying` says (a constant operand elsewhere): its forward and derivatives
    over `NUMPY`, or the numpy forms the entry gives where those would not do."""
    forms = op.numpy
    rule_forward = op.forward_rule
    assert rule_forward is not None  # an entry with rules has its forward too
    forward = forms.get("forward") or (lambda *args: rule_forward(NUMPY, *args))
    rules = [own or shared for own, shared in zip(forms.get("rules", (None,) * 9), op.rules)]
    rules += op.rules[len(rules) :]
    derivatives = tuple(_times_g(rule) for rule in rules)
    if "bad" in forms:
        given = forms["bad"]
        return Rule(forward, derivatives, bad=lambda y, *args: given(NUMPY, y, *args, varying))
    domain = op.domain
    singular = [rule for rule, v in zip(rules, varying) if v] if op.singular else []

    def bad(y: Array, *args: Array) -> Any:
        mask = ~np.isfinite(y)
        if domain is not None:
            mask |= ~domain(NUMPY, *args)
        for rule in singular:
            mask |= ~np.isfinite(rule(NUMPY, y, *args))
        return mask

    return Rule(forward, derivatives, bad=bad if domain or singular else _not_finite)


def _times_g(rule: Callable[..., Any]) -> Callable[..., Array]:
    return lambda g, y, *args: g * rule(NUMPY, y, *args)


_ELEMENTWISE_RULES: dict[tuple[str, tuple[bool, ...]], Rule] = {}


def _rule(kind: str, varying: tuple[bool, ...]) -> Rule:
    """The rule of `kind` (an entry's name, or one of `RULES`) for nodes with Values
    where `varying` says."""
    op = engine.OPS.get(kind)
    if op is None or not op.rules:
        return RULES[kind]
    key = (kind, varying)
    if key not in _ELEMENTWISE_RULES:
        _ELEMENTWISE_RULES[key] = _elementwise_rule(op, varying)
    return _ELEMENTWISE_RULES[key]


def _first_pick(x: Array, pick: Callable[..., Any]) -> Array:
    """One-hot along the last axis at the first extreme (as Python's max and min)."""
    k = pick(x, axis=-1)
    return (np.arange(x.shape[-1]) == k[..., None]).astype(float)  # type: ignore[no-any-return]


def _shifted(x: Array) -> tuple[Array, Array, Array, Array]:
    """As the engine's: (m, exp(x - m), S, log S) along the last axis, m the largest
    input (the first of equals), S = 1 + the rest, and log S as log1p of the rest."""
    m = x.max(-1, keepdims=True)
    e = np.exp(x - m)
    first = x.argmax(-1)[..., None]
    np.put_along_axis(e, first, 0.0, -1)
    rest = e.sum(-1, keepdims=True)  # the other terms, without the exact 1 of the maximum
    np.put_along_axis(e, first, 1.0, -1)
    return m, e, 1.0 + rest, np.log1p(rest)


def _lse(x: Array) -> Array:
    m, _, _, log_total = _shifted(x)
    return (m + log_total)[..., 0]


def _softmax(x: Array) -> Array:
    _, e, total, _ = _shifted(x)
    return e / total


def _log_softmax(x: Array) -> Array:
    """(x - m) - log S: both terms <= 0, so nothing cancels (as the engine)."""
    m, _, _, log_total = _shifted(x)
    return (x - m) - log_total


def _matmul(x: Array, w: Array) -> Array:
    """x (batch, n) or (n,) times the rows of w (nodes, n): (batch, nodes) or (nodes,)."""
    return x @ w.T  # type: ignore[no-any-return]


def _outer_grad(g: Array, x: Array) -> Array:
    """d (x . w_k) / d w summed over the batch: g (batch, nodes) against x (batch, n)."""
    return g.T @ x if g.ndim == 2 else np.multiply.outer(g, x)


def _per_row(each: Callable[[list[float]], float]) -> Callable[[Array], Array]:
    """A reduction over the last axis made of the engine's own float function, so the
    compiled sum and mean give the eager ones' numbers (exactly rounded, where numpy's
    pairwise sum is not: sum([x, 1, -x]) at x = 1e16 is 1, not 0)."""

    def reduce(x: Array) -> Array:
        rows = x.reshape(-1, x.shape[-1]).tolist()
        return np.fromiter(map(each, rows), float, len(rows)).reshape(x.shape[:-1])

    return reduce


def _others_product(x: Array) -> Array:
    """For each input on the last axis, the product of the others (prefix times suffix
    products, as the engine: no division, exact where an input is 0)."""
    ones = np.ones((*x.shape[:-1], 1))
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], -1), -1)[..., ::-1]
    return before * after


def _spread(g: Array, x: Array) -> Array:
    """The same upstream gradient for each of a node's inputs."""
    return np.broadcast_to(g[..., None], g.shape + x.shape[-1:])


def _g(g: Array) -> Array:
    """An elementwise upstream gradient lined up with a vector operand's last axis."""
    return g[..., None]


#: The vectorised rules of the functions of lists (their inputs on a last axis) and of
#: the layer's matrix product; an elementwise operation's comes from its entry (`_rule`).
RULES: dict[str, Rule] = {
    "sum": Rule(_per_row(_sum_of), (lambda g, y, x: _spread(g, x),), True, _not_finite),
    "prod": Rule(
        lambda x: x.prod(-1), (lambda g, y, x: _g(g) * _others_product(x),), True, _not_finite
    ),
    "mean": Rule(_per_row(_mean_of), (lambda g, y, x: _spread(g / x.shape[-1], x),), True),
    "max": Rule(lambda x: x.max(-1), (lambda g, y, x: _g(g) * _first_pick(x, np.argmax),), True),
    "min": Rule(lambda x: x.min(-1), (lambda g, y, x: _g(g) * _first_pick(x, np.argmin),), True),
    "logsumexp": Rule(_lse, (lambda g, y, x: _g(g) * _softmax(x),), True),
    "dot": Rule(
        lambda a, b: (a * b).sum(-1),
        (lambda g, y, a, b: _g(g) * b, lambda g, y, a, b: _g(g) * a),
        True,
        _not_finite,
    ),
    # A layer's weighted sums over shared inputs x: w (nodes, n), bias (nodes,), x (n,).
    "matmul": Rule(
        lambda w, bias, x: _matmul(x, w) + bias,
        (
            lambda g, y, w, bias, x: _outer_grad(g, x),
            lambda g, y, w, bias, x: g,
            lambda g, y, w, bias, x: g @ w,
        ),
        bad=_not_finite,
    ),
    # linear nodes that do not share their inputs: w (nodes, n), bias (nodes,), x (nodes, n).
    "linear": Rule(
        lambda w, bias, x: (w * x).sum(-1) + bias,
        (
            lambda g, y, w, bias, x: _g(g) * x,
            lambda g, y, w, bias, x: g,
            lambda g, y, w, bias, x: _g(g) * w,
        ),
        (True, False, True),
        _not_finite,
    ),
    # One call per row of operands (nodes, n): every output of a softmax, then the rule
    # picks; g and out have the operands' shape.
    "softmax": Rule(
        _softmax,
        (lambda g, p, x: p * (g - (g * p).sum(-1, keepdims=True)),),
        True,
    ),
    "log_softmax": Rule(
        _log_softmax,
        (lambda g, y, x: g - _softmax(x) * g.sum(-1, keepdims=True),),
        True,
    ),
}

# Kinds whose nodes are the outputs of one call over shared inputs (softmax's k outputs).
_MULTI_OUTPUT = frozenset({"softmax", "log_softmax"})
# Kinds a group of nodes sharing their inputs turns into one matrix product.
_WEIGHTED_SUMS = frozenset({"dot", "linear"})


# ====================================================================== tracing


Example = float | Sequence[float] | NDArray[Any]


def compile(fn: Callable[..., Any], *examples: Example) -> Compiled:
    """Trace ``fn`` once on one example of each argument; return its batched form.

    Each example is a number or a sequence of numbers (a 1-D array): it becomes one
    placeholder Value, or a list of them, while ``fn`` runs. ``fn`` returns a Value or
    a list of Values. The result, `Compiled`, takes one array per argument with a
    leading batch axis and replays the graph over every row at once.
    """
    if not callable(fn):
        raise TypeError(f"autograd.compile: fn must be callable, got {type(fn).__name__}")
    if not examples:
        raise TypeError(
            "autograd.compile: give one example of each argument of fn, e.g. "
            "compile(fn, X[0], y[0]); they fix the arguments' shapes"
        )
    if not is_grad_enabled():
        raise RuntimeError(
            "autograd.compile: tracing records a graph, and no_grad() is active; call "
            "compile outside no_grad()"
        )
    shapes = [_example_shape(x, i) for i, x in enumerate(examples)]
    start = time.perf_counter()
    with engine._tracing():  # placeholders made inside: their .data is refused to fn
        placeholders = [_placeholders(x, shape) for x, shape in zip(examples, shapes)]
        result = fn(*placeholders)
    outputs, single = _outputs(result)
    flat_inputs = [v for arg in placeholders for v in (arg if isinstance(arg, list) else [arg])]
    program = _Program(flat_inputs, outputs)
    compiled = Compiled(fn, shapes, program, single, time.perf_counter() - start)
    compiled._traced = (flat_inputs, outputs)  # for to_torch, which lowers the graph itself
    return compiled


def _example_shape(x: object, i: int) -> int | None:
    """None for a number, k for a sequence of k numbers."""
    if isinstance(x, Value):
        raise TypeError(
            f"autograd.compile: example {i} is a Value; give plain numbers (the "
            f"placeholders are made from them)"
        )
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return None
    ndim = getattr(x, "ndim", None)
    if ndim == 0:
        return None
    if ndim is not None and ndim != 1:
        raise ValueError(
            f"autograd.compile: example {i} must be a number or a 1-D sequence (one "
            f"sample), got an array of shape {x.shape}"  # type: ignore[attr-defined]
        )
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(
            f"autograd.compile: example {i} must be a number or a sequence of numbers, "
            f"got {type(x).__name__} {x!r}"
        )
    if len(x) == 0:
        raise ValueError(f"autograd.compile: example {i} is empty; give one sample")
    return len(x)


def _placeholders(x: Any, shape: int | None) -> Value | list[Value]:
    if shape is None:
        return Value(x, label="x")
    return [Value(v, label=f"x[{k}]") for k, v in enumerate(list(x))]


def _outputs(result: object) -> tuple[list[Value], bool]:
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TypeError(
        f"autograd.compile: fn must return a Value or a non-empty list of Values, got "
        f"{type(result).__name__} {result!r:.80}"
    )


# ====================================================================== the program
#
# Every value lives in a block, at a column: block 0 holds the inputs (batch, n), block
# 1 the parameters (n,), block 2 the constants, and each step's output is a new block:
# batched (batch, width) when it depends on an input, else shared (width,), computed
# once for all rows.

INPUTS, PARAMS, CONSTANTS = 0, 1, 2

Location = tuple[int, int]  # (block, column)


@dataclass
class _Gather:
    """How one operand of a step is read from the blocks, and its gradient sent back.

    ``shape``: the operand's shape without the batch axis. ``sources``: per block it
    reads, (block, flat positions in the operand, columns of the block, whether those
    columns are distinct). ``single``: (block, index) when one block gives it all, read
    with one indexing. ``needed``: whether a gradient sent back reaches a parameter.
    """

    shape: tuple[int, ...]
    batched: bool
    sources: list[tuple[int, NDArray[np.intp], NDArray[np.intp], bool]]
    single: tuple[int, Any] | None
    needed: bool

    def __post_init__(self) -> None:
        self._ndim = len(self.shape) + self.batched
        self._unique = self.sources[0][3]

    def read(self, blocks: list[Array], batch: int) -> Array:
        if self.single is not None:
            block, index = self.single
            return blocks[block][..., index]
        out = np.empty((batch, *self.shape) if self.batched else self.shape)
        flat = out.reshape((batch, -1) if self.batched else (-1,))
        for block, positions, columns, _ in self.sources:
            flat[..., positions] = blocks[block][..., columns]
        return out

    def send(self, grads: list[Array | None], contribution: Array) -> None:
        """Add ``contribution``, the gradient of this operand, into the blocks' grads."""
        if contribution.ndim > self._ndim:
            contribution = contribution.sum(0)  # a shared operand: the rows add up
        if self.single is not None:
            block, index = self.single
            target = grads[block]
            if target is None:
                return
            if self._unique:
                target[..., index] += contribution
            else:  # an input read more than once: repeated indices must add up
                np.add.at(target, (Ellipsis, index), contribution)  # type: ignore[arg-type]
            return
        lead = (contribution.shape[0],) if self.batched else ()
        flat = np.broadcast_to(contribution, (*lead, *self.shape)).reshape((*lead, -1))
        for block, positions, columns, unique in self.sources:
            target = grads[block]
            if target is None:
                continue
            part = flat[..., positions]
            if part.ndim > target.ndim:
                part = part.sum(0)
            if unique:
                target[..., columns] += part
            else:
                np.add.at(target, (Ellipsis, columns), part)  # type: ignore[arg-type]


Operand = _Gather | Array  # an Array: a constant operand, fixed at trace time


@dataclass
class _Step:
    """One numpy call of a rule over a group of nodes of the same kind and depth."""

    kind: str
    rule: Rule
    operands: list[Operand]
    batched: bool
    needs_grad: bool
    replayed: Any = None  # the engine's Op, for a kind without a rule
    constants: list[tuple[Any, ...]] = field(default_factory=list)

    def forward(self, blocks: list[Array], batch: int, tape: _Tape) -> Array:
        operands = [_read(o, blocks, batch) for o in self.operands]
        tape.operands.append(operands)
        if self.replayed is not None:
            out = self._replay(operands[0], tape)
        else:
            out = self.rule.forward(*operands)
            bad = self.rule.bad
            # One sum tells whether all is finite (inf and nan survive a sum; a finite
            # sum that overflows only costs the full check).
            if bad is not None and (bad is not _not_finite or not math.isfinite(out.sum())):
                mask = bad(out, *operands)
                if mask.any():
                    tape.fail(mask, self.batched, self.kind)
        return out.reshape((batch, -1) if self.batched else (-1,))

    def __post_init__(self) -> None:
        # The operands a gradient is sent to: those that lead to a parameter.
        self._sends = [
            (self.rule.derivatives[j], operand)
            for j, operand in enumerate(self.operands)
            if isinstance(operand, _Gather) and operand.needed
        ]

    def backward(self, g: Array, out: Array, operands: list[Array], tape: _Tape) -> None:
        """Send g * d out / d operand to every operand that leads to a parameter."""
        if self.replayed is not None:
            g = _g(g.reshape(operands[0].shape[:-1]))
            for _, operand in self._sends:
                operand.send(tape.grads, g * tape.local_grads[id(self)])
            return
        if self.kind in _MULTI_OUTPUT:  # out and g as (rows, calls, outputs of a call)
            out, g = out.reshape(operands[0].shape), g.reshape(operands[0].shape)
        for derivative, operand in self._sends:
            operand.send(tape.grads, np.asarray(derivative(g, out, *operands)))

    def _replay(self, x: Array, tape: _Tape) -> Array:
        """The engine's own operation, per row and node: x is (rows, nodes, inputs)."""
        rows = x.reshape((-1, *x.shape[-2:]))
        out = np.empty(rows.shape[:2])
        local_grads = np.zeros(rows.shape)
        for r, row in enumerate(rows.tolist()):
            for k, (args, constants) in enumerate(zip(row, self.constants)):
                try:
                    node = self.replayed.apply(tuple(map(Value, args)), constants)
                except (TypeError, ValueError, ArithmeticError):
                    tape.fail(np.arange(len(rows)) == r, self.batched, self.kind)
                    raise
                out[r, k] = node.data
                if node.local_grads:
                    local_grads[r, k] = node.local_grads
        tape.local_grads[id(self)] = local_grads.reshape(x.shape)
        return out.reshape(x.shape[:-1])


def _read(operand: Operand, blocks: list[Array], batch: int) -> Array:
    return operand.read(blocks, batch) if isinstance(operand, _Gather) else operand


class _RowFailed(Exception):
    """Raised inside a forward pass: the rule of `kind` says row `row` cannot be computed."""

    def __init__(self, row: int, kind: str) -> None:
        super().__init__(row, kind)
        self.row, self.kind = row, kind


@dataclass
class _Tape:
    """What one forward pass leaves for its backward pass."""

    blocks: list[Array]
    operands: list[list[Array]] = field(default_factory=list)  # each step's, as read
    grads: list[Array | None] = field(default_factory=list)
    local_grads: dict[int, Array] = field(default_factory=dict)

    def fail(self, bad: Array, batched: bool, kind: str) -> None:
        row = 0
        if batched:
            bad = np.asarray(bad)
            rows = bad.reshape(bad.shape[0], -1).any(1) if bad.ndim > 1 else bad
            row = int(np.argmax(rows)) if rows.shape[0] > 1 or rows.ndim else 0
        raise _RowFailed(row, kind)


class _Program:
    """The traced graph as steps of one numpy call each, in an order that runs."""

    def __init__(self, inputs: list[Value], outputs: list[Value]) -> None:
        self.parameters: list[Value] = []
        self.steps: list[_Step] = []
        self._where: dict[int, Location] = {id(v): (INPUTS, k) for k, v in enumerate(inputs)}
        self._constants: list[float] = []
        self._batched: dict[int, bool] = {id(v): True for v in inputs}
        self._needs_grad: dict[int, bool] = {id(v): False for v in inputs}
        groups: dict[tuple[Any, ...], list[tuple[Value, _Node]]] = {}
        depth: dict[int, int] = {id(v): 0 for v in inputs}
        for v in _joint_order(outputs):
            if id(v) in depth:
                continue
            if not v.parents:  # a parameter (or a constant leaf made inside fn)
                self._where[id(v)] = (PARAMS, len(self.parameters))
                self.parameters.append(v)
                self._batched[id(v)] = False
                self._needs_grad[id(v)] = True
                depth[id(v)] = 0
                continue
            depth[id(v)] = 1 + max(depth[id(p)] for p in v.parents)
            self._batched[id(v)] = any(self._batched[id(p)] for p in v.parents)
            self._needs_grad[id(v)] = any(self._needs_grad[id(p)] for p in v.parents)
            node = _describe(v)
            groups.setdefault(self._group_key(node, depth[id(v)]), []).append((v, node))
        for key in sorted(groups, key=lambda k: k[0]):  # by depth, then as first seen
            self.steps.append(self._step(groups[key]))
        self.constants = np.array(self._constants, dtype=float)
        self.output = self._gather([(v,) for v in outputs], vector=False)

    def _group_key(self, node: _Node, depth: int) -> tuple[Any, ...]:
        """Nodes with the same key run as one step."""
        batched = [
            any(isinstance(x, Value) and self._batched[id(x)] for x in o) for o in node.operands
        ]
        if node.kind == "dot" and batched[0] and not batched[1]:
            node.operands = node.operands[::-1]  # the shared side first, as a layer's weights
            batched.reverse()
        key: tuple[Any, ...] = (
            depth,
            node.kind,
            tuple(map(len, node.operands)),
            tuple(batched),
            node.varying,
        )
        if node.kind in _WEIGHTED_SUMS and batched[-1] and not batched[0]:
            node.shares_x = True  # nodes reading the same inputs: one matrix product
            key += (tuple(id(x) if isinstance(x, Value) else x for x in node.operands[-1]),)
        elif not _has_rule(node.kind):
            key += (id(operation(node.value)[0]),)
        return key

    # ------------------------------------------------------------ building steps

    def _step(self, members: list[tuple[Value, _Node]]) -> _Step:
        nodes = [v for v, _ in members]
        first = members[0][1]
        kind = first.kind
        if kind in _MULTI_OUTPUT:
            return self._multi_output_step(members)
        if first.shares_x:
            return self._matmul_step(members)
        if not _has_rule(kind):
            op = operation(first.value)[0]
            operand = self._operand([v.parents for v in nodes], True)
            constants = [operation(v)[1] for v in nodes]
            rule = Rule(_replayed, (_replayed,), True)
            return self._new_step(op.name, rule, [operand], nodes, replayed=op, constants=constants)
        rule = _rule(kind, first.varying)
        operands = [
            self._operand([node.operands[j] for _, node in members], rule.is_vector(j))
            for j in range(len(first.operands))
        ]
        return self._new_step(kind, rule, operands, nodes)

    def _new_step(
        self,
        kind: str,
        rule: Rule,
        operands: list[Operand],
        nodes: list[Value],
        columns: list[int] | None = None,
        **extra: Any,
    ) -> _Step:
        block = CONSTANTS + 1 + len(self.steps)
        for k, v in enumerate(nodes):
            self._where[id(v)] = (block, k if columns is None else columns[k])
        batched = self._batched[id(nodes[0])]
        needs_grad = any(self._needs_grad[id(v)] for v in nodes)
        return _Step(kind, rule, operands, batched, needs_grad, **extra)

    def _matmul_step(self, members: list[tuple[Value, _Node]]) -> _Step:
        nodes = [v for v, _ in members]
        first = members[0][1]
        weights = self._operand([node.operands[0] for _, node in members], True)
        bias: Operand = np.zeros(len(members))
        if first.kind == "linear":
            bias = self._operand([node.operands[1] for _, node in members], False)
        x = self._operand([first.operands[-1]], False, flat=True)
        return self._new_step("matmul", RULES["matmul"], [weights, bias, x], nodes)

    def _multi_output_step(self, members: list[tuple[Value, _Node]]) -> _Step:
        """Softmax-like nodes: one call per distinct tuple of inputs, every output of it
        computed, each node at column call * n + its index."""
        calls: dict[tuple[int, ...], int] = {}
        inputs: list[tuple[Value | float, ...]] = []
        columns = []
        for v, node in members:
            call = calls.setdefault(tuple(map(id, v.parents)), len(calls))
            if call == len(inputs):
                inputs.append(v.parents)
            columns.append(call * len(v.parents) + node.index)
        kind = members[0][1].kind
        operand = self._operand(inputs, True)
        return self._new_step(kind, RULES[kind], [operand], [v for v, _ in members], columns)

    def _operand(
        self, rows: Sequence[tuple[Value | float, ...]], vector: bool, flat: bool = False
    ) -> Operand:
        """One operand of a step: an entry per node, a Value or number (elementwise) or a
        tuple of them (vector). ``flat``: one row, the same for every node, read as (n,)."""
        if not vector and not flat:
            rows = [(row[0],) for row in rows]
        if all(not isinstance(x, Value) for row in rows for x in row):
            array = np.array(rows, dtype=float)
            return array if vector else array.reshape(-1)
        return self._gather(rows, vector and not flat)

    def _gather(self, rows: Sequence[tuple[Value | float, ...]], vector: bool) -> _Gather:
        shape = (len(rows), len(rows[0])) if vector else (sum(map(len, rows)),)
        locations = [self._locate(x) for row in rows for x in row]
        by_block: dict[int, tuple[list[int], list[int]]] = {}
        for position, (block, column) in enumerate(locations):
            positions, columns = by_block.setdefault(block, ([], []))
            positions.append(position)
            columns.append(column)
        sources = [
            (block, np.array(pos, dtype=np.intp), np.array(cols, dtype=np.intp), _distinct(cols))
            for block, (pos, cols) in by_block.items()
        ]
        batched = any(self._block_is_batched(block) for block in by_block)
        needed = any(self._block_needs_grad(block) for block in by_block)
        single = None
        if len(sources) == 1:
            block, _, read, _ = sources[0]
            index: Any = read.reshape(shape)
            start = int(read[0])
            if not vector and np.array_equal(read, np.arange(start, start + len(read))):
                index = slice(start, start + len(read))  # a view, not a copy
            single = (block, index)
        return _Gather(shape, batched, sources, single, needed)

    def _locate(self, x: Value | float) -> Location:
        if isinstance(x, Value):
            return self._where[id(x)]
        self._constants.append(float(x))
        return (CONSTANTS, len(self._constants) - 1)

    def _block_is_batched(self, block: int) -> bool:
        if block in (PARAMS, CONSTANTS):
            return False
        return block == INPUTS or self.steps[block - CONSTANTS - 1].batched

    def _block_needs_grad(self, block: int) -> bool:
        if block in (INPUTS, CONSTANTS):
            return False
        return block == PARAMS or self.steps[block - CONSTANTS - 1].needs_grad

    # ------------------------------------------------------------ running

    def forward(self, inputs: Array) -> _Tape:
        """Every block's values for a batch of inputs (batch, number of inputs)."""
        params = np.fromiter(map(_data, self.parameters), float, len(self.parameters))
        tape = _Tape([inputs, params, self.constants])
        batch = len(inputs)
        with np.errstate(all="ignore"):  # a bad row is reported through `tape.fail`
            for step in self.steps:
                tape.blocks.append(step.forward(tape.blocks, batch, tape))
        return tape

    def outputs(self, tape: _Tape) -> Array:
        """(batch, outputs)."""
        out = self.output.read(tape.blocks, len(tape.blocks[INPUTS]))
        return np.broadcast_to(out, (len(tape.blocks[INPUTS]), len(out))) if out.ndim == 1 else out

    def backward(self, tape: _Tape, grad_output: Array) -> Array:
        """d (sum over rows of grad_output . outputs) / d parameters, as one array."""
        blocks = tape.blocks
        tape.grads = [None, np.zeros(len(self.parameters)), None]
        for step, block in zip(self.steps, blocks[CONSTANTS + 1 :]):
            tape.grads.append(np.zeros(block.shape) if step.needs_grad else None)
        self.output.send(tape.grads, grad_output)
        with np.errstate(all="ignore"):
            for i in range(len(self.steps) - 1, -1, -1):
                g = tape.grads[CONSTANTS + 1 + i]
                if g is not None:
                    self.steps[i].backward(g, blocks[CONSTANTS + 1 + i], tape.operands[i], tape)
        grads = tape.grads[PARAMS]
        assert grads is not None
        return grads

    def overflowed_row(self, tape: _Tape) -> int | None:
        """After a backward pass whose parameter gradients are not finite: the first row
        whose own gradients are not (rows stay apart until they reach a shared block), or
        None when every row's are finite and only their sum over the batch is not."""
        steps = zip(self.steps, tape.grads[CONSTANTS + 1 :])
        rows = [
            np.flatnonzero(~np.isfinite(g).all(1)) for s, g in steps if s.batched and g is not None
        ]
        first = [int(r[0]) for r in rows if len(r)]
        return min(first) if first else None


def _has_rule(kind: str) -> bool:
    op = engine.OPS.get(kind)
    return kind in RULES or (op is not None and bool(op.rules))


def _distinct(columns: list[int]) -> bool:
    return len(set(columns)) == len(columns)


def _replayed(*args: Any) -> Array:
    raise AssertionError("a kind without a rule is run by the engine, not by a rule")


def _joint_order(outputs: list[Value]) -> list[Value]:
    """Every node the outputs depend on, each after its parents (leaves included)."""
    seen: set[int] = set()
    order: list[Value] = []
    for out in outputs:
        for v in engine.topological_order(out):
            if id(v) not in seen:
                seen.add(id(v))
                order.append(v)
    return order


# ====================================================================== node kinds


@dataclass
class _Node:
    """A traced node in the rules' terms: its kind, and its operands, each a tuple of
    Values and numbers (one entry for an elementwise operand, the node's inputs for a
    vector one). ``index``: the output's place in a multi-output call (softmax)."""

    value: Value
    kind: str
    operands: tuple[tuple[Value | float, ...], ...]
    index: int = 0
    shares_x: bool = False
    varying: tuple[bool, ...] = ()  # an elementwise node: which arguments are Values


def _describe(v: Value) -> _Node:
    """The rules' view of a traced node, from the engine's operation identity."""
    op, constants = operation(v)
    name, parents = op.name, v.parents
    if engine.OPS.get(name) is not op:  # a custom primitive: replayed by the engine
        return _Node(v, f"{name} (primitive)", (parents,))
    if op.rules:  # an elementwise entry: its arguments, a constant operand in place
        args = op.arguments(parents, constants)
        return _Node(v, name, tuple((a,) for a in args), varying=_varying(args))
    if name in _MULTI_OUTPUT:
        return _Node(v, name, (parents,), index=constants[0])
    if name == "dot":
        return _Node(v, name, _sides(parents, constants[0], constants[1]))
    if name == "linear":
        w_layout, bias, x_layout = constants
        if bias is None:  # a Value bias: the parent after the weights' Values
            n_w = _values_in(w_layout, x_layout, len(parents) - 1)
            w, x = _sides(parents[:n_w] + parents[n_w + 1 :], w_layout, x_layout)
            return _Node(v, name, (w, (parents[n_w],), x))
        w, x = _sides(parents, w_layout, x_layout)
        return _Node(v, name, (w, (bias,), x))
    return _Node(v, name, (parents,))


def _varying(args: list[Any]) -> tuple[bool, ...]:
    return tuple(isinstance(a, Value) for a in args)


Layout = tuple[float | None, ...] | None  # how a node records one side of a dot product


def _values_in(a: Layout, b: Layout, n_values: int) -> int:
    """How many of a dot product's Values belong to side a (the first ones)."""
    if a is not None:
        return sum(x is None for x in a)
    if b is not None:
        return len(b)
    return n_values // 2


def _sides(
    values: tuple[Value, ...], a: Layout, b: Layout
) -> tuple[tuple[Value | float, ...], tuple[Value | float, ...]]:
    """The two sides of a dot product, Values and numbers in place, from its layouts."""
    n_a = _values_in(a, b, len(values))
    return _fill(a, values[:n_a]), _fill(b, values[n_a:])


def _fill(layout: Layout, values: tuple[Value, ...]) -> tuple[Value | float, ...]:
    if layout is None:
        return values
    it = iter(values)
    return tuple(next(it) if x is None else x for x in layout)


# ====================================================================== the API


class Compiled:
    """A traced function, run over whole batches: see `compile`.

    ``f(*arrays)`` returns the outputs for every row: shape (batch,) when ``fn`` returns
    one Value, (batch, k) when it returns a list of k. ``f.value_and_grad`` and
    ``f.backward`` add parameter gradients into ``.grad``, as the eager ``backward()``
    does; ``f.vjp`` gives the outputs and a function to send gradients back later.

    Attributes: ``parameters`` (the leaves ``fn`` reached that are not arguments, in
    the order first reached), ``trace_seconds`` (the time to trace and plan).
    ``to_torch()`` gives the same graph as a ``torch.nn.Module``.
    """

    _traced: tuple[list[Value], list[Value]]  # the placeholders and outputs, as traced

    def __init__(
        self,
        fn: Callable[..., Any],
        shapes: list[int | None],
        program: _Program,
        single: bool,
        trace_seconds: float,
    ) -> None:
        self.fn = fn
        self.parameters = program.parameters
        self.trace_seconds = trace_seconds
        self._shapes = shapes
        self._program = program
        self._single = single

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        args = ", ".join("number" if s is None else f"{s} numbers" for s in self._shapes)
        return (
            f"Compiled({name}({args}): {self._program.output.shape[0]} output(s), "
            f"{len(self.parameters)} parameters, {len(self._program.steps)} steps, traced "
            f"in {self.trace_seconds * 1e3:.1f} ms)"
        )

    def __call__(self, *args: Any) -> Array:
        """The outputs for every row of the arguments: (batch,) or (batch, k)."""
        arrays, inputs = self._batch(args)
        out = self._program.outputs(self._forward(arrays, inputs))
        return out[:, 0].copy() if self._single else np.array(out)

    def to_torch(self, dtype: Any = None, device: Any = None) -> Any:
        """The traced graph as a ``torch.nn.Module`` over batches of torch tensors, its
        parameters one ``torch.nn.Parameter`` (see `autograd.torch_lowering`); float64
        unless ``dtype``, on ``device`` (e.g. ``"cuda"``). Needs PyTorch."""
        try:
            from autograd import torch_lowering
        except ImportError:
            raise ImportError(
                "Compiled.to_torch needs PyTorch, which is not installed: pip install "
                "'backproplab[torch]' (or pip install torch)"
            ) from None
        return torch_lowering.lower(self, dtype=dtype, device=device)

    def vjp(self, *args: Any) -> tuple[Array, Callable[[Any], None]]:
        """(outputs, backward): ``backward(grad_output)`` adds
        sum_b grad_output[b] . d outputs[b] / d p into each parameter's ``.grad``.

        One forward pass serves both, so computing a loss gradient from the outputs
        between them costs no second pass (this is how ``nn.fit(compile=True)`` trains).
        """
        arrays, inputs = self._batch(args)
        tape = self._forward(arrays, inputs)
        out = self._program.outputs(tape)
        outputs = out[:, 0].copy() if self._single else np.array(out)

        def backward(grad_output: Any) -> None:
            self._backward(tape, self._grad_output(grad_output, outputs.shape))

        return outputs, backward

    def backward(self, *args: Any, grad_output: Any) -> None:
        """Add sum_b grad_output[b] . d out_b / d p into each parameter's ``.grad``.

        ``grad_output`` has the outputs' shape: (batch,) or (batch, k).
        """
        self.vjp(*args)[1](grad_output)

    def value_and_grad(self, *args: Any, reduction: Literal["mean", "sum"] = "mean") -> float:
        """The loss, the mean (or sum) over rows of ``fn``'s one output; adds d loss / d p
        into each parameter's ``.grad``, exactly as ``autograd.mean([...]).backward()``."""
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"value_and_grad: reduction must be 'mean' or 'sum', got {reduction!r}"
            )
        if self._program.output.shape[0] != 1:
            raise ValueError(
                f"value_and_grad needs fn to return one Value (a loss per row); it returns "
                f"{self._program.output.shape[0]}. Reduce them inside fn, or use "
                f"backward(..., grad_output=G)"
            )
        arrays, inputs = self._batch(args)
        tape = self._forward(arrays, inputs)
        values = self._program.outputs(tape)[:, 0].tolist()
        batch = len(values)
        # The engine's own mean and sum (finite where the rows' sum is not), and checked
        # before any gradient is written: an error leaves every .grad as it was.
        loss = _mean_of(values) if reduction == "mean" else _sum_of(values)
        if not math.isfinite(loss):
            raise OverflowError(
                f"value_and_grad: the sum of the {batch} rows' values is {loss!r}, not a "
                f"finite number; rescale the loss, or use reduction='mean'"
            )
        self._backward(tape, np.full((batch, 1), 1.0 / batch if reduction == "mean" else 1.0))
        return loss

    # ------------------------------------------------------------ helpers

    def _forward(self, arrays: list[Array], inputs: Array) -> _Tape:
        try:
            return self._program.forward(inputs)
        except _RowFailed as failed:
            self._raise_eager_error(arrays, failed.row, failed.kind)
            raise  # not reached: the line above raises

    def _backward(self, tape: _Tape, grad_output: Array) -> None:
        grads = self._program.backward(tape, grad_output.reshape(len(grad_output), -1))
        if not np.isfinite(grads).all():
            bad = self.parameters[int(np.argmax(~np.isfinite(grads)))]
            row = self._program.overflowed_row(tape)
            if row is None:
                raise OverflowError(
                    f"backward: the gradient of {bad!r} is finite for each row of the batch "
                    f"but not summed over its {len(grad_output)} rows; scale the loss down "
                    f"or use smaller batches"
                )
            raise OverflowError(
                f"row {row} of the batch: backward: the gradient of {bad!r} is not finite: a "
                f"gradient overflowed on its way back from the output; scale the loss down "
                f"or clip the gradients"
            )
        # Read and written by map in C: no Python loop over the parameters.
        with np.errstate(over="ignore"):
            totals = np.fromiter(map(_grad, self.parameters), float, len(self.parameters)) + grads
        if not np.isfinite(totals).all():  # finite alone, but not with what .grad held
            bad = self.parameters[int(np.argmax(~np.isfinite(totals)))]
            raise OverflowError(
                f"backward: the gradient accumulated in {bad!r} would not be finite "
                f"({bad.grad!r} plus this call's); zero the gradients (zero_grad()) first"
            )
        deque(map(setattr, self.parameters, repeat("grad"), totals.tolist()), maxlen=0)

    def _grad_output(self, grad_output: Any, shape: tuple[int, ...]) -> Array:
        try:
            raw = np.asarray(grad_output)
        except (TypeError, ValueError):
            raise TypeError(
                f"grad_output must be an array of numbers of shape {shape}, got "
                f"{type(grad_output).__name__}"
            ) from None
        if raw.shape != shape:
            raise ValueError(
                f"grad_output must have the outputs' shape {shape}, got shape {raw.shape}"
            )
        return _float_array(raw, "grad_output")

    def _batch(self, args: tuple[Any, ...]) -> tuple[list[Array], Array]:
        """The arguments as float arrays, checked, and all their columns side by side."""
        if len(args) != len(self._shapes):
            raise TypeError(
                f"the compiled function takes {len(self._shapes)} argument(s), one array "
                f"per argument of fn with a leading batch axis; got {len(args)}"
            )
        arrays = [
            _batch_argument(a, shape, i) for i, (a, shape) in enumerate(zip(args, self._shapes))
        ]
        batch = len(arrays[0])
        for i, a in enumerate(arrays):
            if len(a) != batch:
                raise ValueError(
                    f"argument {i} has {len(a)} rows but argument 0 has {batch}; every "
                    f"argument needs one row per sample"
                )
        if len(arrays) == 1 and arrays[0].ndim == 2:
            return arrays, np.ascontiguousarray(arrays[0])
        return arrays, np.column_stack([a.reshape(batch, -1) for a in arrays])

    def _raise_eager_error(self, arrays: list[Array], row: int, kind: str) -> None:
        """Run ``fn`` eagerly on row `row`: the engine's own error, with the row named."""
        sample = [
            Value(float(a[row])) if shape is None else [Value(x) for x in a[row].tolist()]
            for a, shape in zip(arrays, self._shapes)
        ]
        try:
            self.fn(*sample)
        except (TypeError, ValueError, ArithmeticError) as err:
            raise type(err)(f"row {row} of the batch: {err}") from err
        raise OverflowError(
            f"row {row} of the batch: the compiled {kind!r} step is not finite there, "
            f"though the eager engine computes that row; the rounding of the batched sum "
            f"differs: rescale the inputs"
        )


def _batch_argument(a: Any, shape: int | None, i: int) -> Array:
    try:
        raw = np.asarray(a)
    except (TypeError, ValueError):
        raise TypeError(
            f"argument {i} must be an array of numbers with a leading batch axis, got "
            f"{type(a).__name__}"
        ) from None
    want = "(batch,)" if shape is None else f"(batch, {shape})"
    if (shape is None and raw.ndim != 1) or (
        shape is not None and (raw.ndim != 2 or raw.shape[1] != shape)
    ):
        raise ValueError(
            f"argument {i} must have shape {want} (its example was "
            f"{'a number' if shape is None else f'{shape} numbers'}), got shape {raw.shape}"
        )
    if len(raw) == 0:
        raise ValueError(f"argument {i} has no rows; give at least one sample")
    return _float_array(raw, f"argument {i}")


def _float_array(raw: NDArray[Any], name: str) -> Array:
    """``raw`` as float64, or the engine's own error for its first entry that is not a
    finite real number (a bool, complex, string, date, None, Value, an int past the float
    range, NaN), naming ``name`` and the row: numpy would convert most of them silently."""
    if raw.dtype.kind in "fiu":
        with np.errstate(over="ignore"):  # a longdouble past the float range: reported below
            array = raw.astype(float, copy=False)
        bad = ~np.isfinite(array)
        if not bad.any():
            return array
        first = np.unravel_index(int(np.argmax(bad)), raw.shape)
        _as_number(raw[first], _entry(name, first))
    if raw.dtype.kind != "O":
        first = np.unravel_index(0, raw.shape)
        _as_number(_refused(raw[first], _entry(name, first)), _entry(name, first))
    numbers_ = [_object_number(x, raw.shape, k, name) for k, x in enumerate(raw.flat)]
    return np.array(numbers_, dtype=float).reshape(raw.shape)


def _entry(name: str, index: tuple[Any, ...]) -> str:
    """Where an entry is, for messages: "argument 1, row 3" (", entry 2" in a row)."""
    where = f"{name}, row {int(index[0])}"
    return where + "".join(f", entry {int(k)}" for k in index[1:])


def _refused(element: Any, where: str) -> Any:
    """An entry of an array numpy holds as no real number, in the form whose refusal by
    the engine reads best (np.datetime64 and np.timedelta64 would pass as numbers)."""
    if isinstance(element, (np.datetime64, np.timedelta64)):
        raise TypeError(
            f"{where}: expected a real number (int, float or numpy scalar), got "
            f"{type(element).__name__} {element!r}; convert dates and times to numbers first"
        )
    if isinstance(element, np.bytes_):
        return element.decode(errors="replace")
    if isinstance(element, (np.bool_, np.complexfloating, np.str_)):
        return element.item()  # shown as Python's True, (1+2j), '1.5'
    return element


def _object_number(x: Any, shape: tuple[int, ...], k: int, name: str) -> float:
    where = _entry(name, np.unravel_index(k, shape))
    if isinstance(x, Value):
        raise TypeError(
            f"{where}: got a Value ({x!r}); a compiled function takes numbers, and no "
            f"gradient flows to its arguments. Pass the numbers (v.data), or use the Value "
            f"inside fn to make it a parameter"
        )
    return _as_number(x, where)
