"""Planning: the traced graph as steps of one numpy call each (nodes of one kind at one
depth together, a layer's weighted sums one matrix product), the buffers laid out at
trace time, and the forward and backward passes over them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd.compile.rules import (
    _MULTI_OUTPUT,
    _WEIGHTED_SUMS,
    RULES,
    Rule,
    _g,
    _has_rule,
    _not_finite,
    _rule,
)
from autograd.compile.tracing import _describe, _joint_order, _Node
from autograd.engine import Value, operation

Array = NDArray[np.float64]


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
    width: int  # the columns of its output block
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
        members = sorted(members, key=self._layout_key)
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

    def _layout_key(self, member: tuple[Value, _Node]) -> Location:
        """Where a node's first Value operand is: a step's nodes are laid out in the
        order of what they read, so that a layer's weights are rows of the parameter
        vector and each block is read as a run of columns of the one before (views,
        not copies, in the generated program)."""
        for operand in member[1].operands:
            for x in operand:
                if isinstance(x, Value):
                    return self._where[id(x)]
        return (CONSTANTS, 0)

    def _new_step(
        self,
        kind: str,
        rule: Rule,
        operands: list[Operand],
        nodes: list[Value],
        columns: list[int] | None = None,
        width: int | None = None,
        **extra: Any,
    ) -> _Step:
        block = CONSTANTS + 1 + len(self.steps)
        for k, v in enumerate(nodes):
            self._where[id(v)] = (block, k if columns is None else columns[k])
        batched = self._batched[id(nodes[0])]
        needs_grad = any(self._needs_grad[id(v)] for v in nodes)
        width = len(nodes) if width is None else width
        return _Step(kind, rule, operands, batched, needs_grad, width, **extra)

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
        nodes = [v for v, _ in members]
        width = len(inputs) * len(inputs[0])  # every output of every call
        return self._new_step(kind, RULES[kind], [operand], nodes, columns, width)

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

    def forward(self, inputs: Array, params: Array) -> _Tape:
        """Every block's values for a batch of inputs (batch, number of inputs) and the
        parameters' values (in `parameters` order)."""
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


def _distinct(columns: list[int]) -> bool:
    return len(set(columns)) == len(columns)


def _replayed(*args: Any) -> Array:
    raise AssertionError("a kind without a rule is run by the engine, not by a rule")
