"""A compiled function as a ``torch.nn.Module``: ``autograd.compile(fn, ...).to_torch()``.

The traced graph is lowered node by node to torch operations over a batch: every node
the compiled mode runs with a numpy rule (`autograd.compile.RULES`, through the same
reading of a node, ``compile.tracing._describe``) has a torch form from its entry: an
elementwise entry's forward rule evaluated over torch's math (`TORCH_MATH`), a function
of a list's own torch form (`Op.torch`, gathered in `TORCH_RULES`); torch's autograd
differentiates it. The linear nodes of a
layer, which read the same inputs, become one matrix product, as in the compiled mode.
The parameters (the traced function's weights, in ``Compiled.parameters`` order) are
one ``torch.nn.Parameter`` vector, ``module.params``; ``module.write_back()`` copies
them into the Values.

A custom primitive has no vectorised rule (compiled mode replays it with the engine,
row by row): lowering one raises TypeError naming it. torch is imported by this module,
which ``autograd`` imports only when ``to_torch`` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from autograd import engine
from autograd.engine import Value
from autograd.ops import Math

if TYPE_CHECKING:
    from autograd.compile import Compiled

__all__ = ["TORCH_MATH", "TORCH_RULES", "TracedModule", "lower"]

Tensor = torch.Tensor


def _product(w: Tensor, bias: Tensor, x: Tensor) -> Tensor:
    return x @ w.T + bias


# The torch forms of the functions of lists, each its entry's (`Op.torch`: its forward
# over tensors, a vector operand (batch, n) or (n,)), and of compiled mode's matrix
# product of a layer; an elementwise operation's is its entry's forward formula over
# `TORCH_MATH`.
TORCH_RULES: dict[str, Callable[..., Tensor]] = {
    **{op.name: op.torch for op in engine.OPS.values() if op.torch is not None},
    "matmul": _product,
}

#: torch's math for an operation entry's forward rule ``forward(m, *arguments)`` (the
#: formula that gives a float over the engine's math gives a tensor over this): where an
#: entry has one, it is the torch form, so a new operation needs nothing here.
TORCH_MATH: Any = Math(torch, {}, softplus=lambda x: torch.logaddexp(x, torch.zeros_like(x)))


def _torch_rule(kind: str) -> Callable[..., Tensor] | None:
    """The torch form of `kind`: its entry's forward rule over `TORCH_MATH` where it has
    one, else its entry's torch form (`TORCH_RULES`; None: there is none)."""
    op = engine.OPS.get(kind)
    forward = getattr(op, "forward_rule", None)
    if forward is not None:
        return lambda *args: forward(TORCH_MATH, *args)
    return getattr(op, "torch", None) or TORCH_RULES.get(kind)


# Where a value comes from: ("input", column), ("param", index), ("node", position in
# the plan), ("const", number).
Source = tuple[str, Any]


@dataclass
class _Operand:
    """An elementwise operand (one source) or a vector one (a source per entry); a
    vector whose entries are all parameters or all inputs is read with one index."""

    sources: list[Source]
    vector: bool


@dataclass
class _Instruction:
    rule: Callable[..., Tensor]
    operands: list[_Operand]
    extra: tuple[Any, ...] = ()  # constants the torch form takes after its operands
    columns: int = 0  # a matrix product: the number of nodes it computes
    kind: str = ""


class TracedModule(torch.nn.Module):
    """The traced graph over a batch in torch; see the module docstring.

    ``forward(*args)`` takes one tensor per argument of the traced function, with a
    leading batch axis ((batch,) for a number argument, (batch, n) for a list), and
    returns (batch,) when the function returns one Value, else (batch, k).
    """

    def __init__(
        self,
        plan: list[_Instruction],
        outputs: list[Source],
        parameters: Sequence[Value],
        shapes: list[int | None],
        single: bool,
        dtype: torch.dtype,
    ) -> None:
        super().__init__()
        self._plan = plan
        self._outputs = outputs
        self._values = list(parameters)
        self._shapes = shapes
        self._single = single
        data = [p.data for p in parameters]
        self.params = torch.nn.Parameter(torch.tensor(data, dtype=dtype).reshape(len(data)))

    def forward(self, *args: Tensor) -> Tensor:
        if len(args) != len(self._shapes):
            raise TypeError(
                f"the traced function takes {len(self._shapes)} argument(s), one tensor per "
                f"argument with a leading batch axis; got {len(args)}"
            )
        columns = []
        for i, (a, shape) in enumerate(zip(args, self._shapes)):
            want = 1 if shape is None else 2
            if a.dim() != want or (shape is not None and a.shape[1] != shape):
                expected = "(batch,)" if shape is None else f"(batch, {shape})"
                raise ValueError(
                    f"argument {i} must have the shape {expected}, got {tuple(a.shape)}"
                )
            columns.append(a.reshape(len(a), -1).to(self.params.dtype))
        inputs = torch.cat(columns, 1)
        nodes: list[Tensor] = []
        for step in self._plan:
            operands = [self._read(o, inputs, nodes) for o in step.operands]
            value = step.rule(*operands, *step.extra)
            if step.columns:  # a matrix product: one node per column
                nodes.extend(value[..., k] for k in range(step.columns))
            else:
                nodes.append(value)
        batch = len(inputs)
        outs = [self._source(s, inputs, nodes).expand(batch) for s in self._outputs]
        return outs[0] if self._single else torch.stack(outs, -1)

    def _source(self, source: Source, inputs: Tensor, nodes: list[Tensor]) -> Tensor:
        where, at = source
        if where == "input":
            return inputs[:, at]
        if where == "param":
            return self.params[at]
        if where == "node":
            return nodes[at]
        return torch.tensor(at, dtype=self.params.dtype, device=self.params.device)

    def _read(self, operand: _Operand, inputs: Tensor, nodes: list[Tensor]) -> Tensor:
        sources = operand.sources
        if not operand.vector:
            return self._source(sources[0], inputs, nodes)
        kinds = {where for where, _ in sources}
        if kinds == {"param"} or kinds == {"input"}:
            index = torch.tensor([at for _, at in sources], device=self.params.device)
            return self.params[index] if kinds == {"param"} else inputs[:, index]
        parts = [self._source(s, inputs, nodes) for s in sources]
        batched = [p for p in parts if p.dim()]
        if batched:
            parts = [p.expand_as(batched[0]) for p in parts]
        return torch.stack(parts, -1)

    def write_back(self) -> None:
        """Copy the torch parameters into the traced function's Values (``.data``)."""
        for value, x in zip(self._values, self.params.detach().cpu().tolist()):
            value.data = float(x)

    def extra_repr(self) -> str:
        return f"{len(self._plan)} steps, {len(self._values)} parameters"


def lower(
    compiled: Compiled, dtype: torch.dtype | None = None, device: str | torch.device | None = None
) -> TracedModule:
    """The `TracedModule` of ``compiled`` (float64 unless ``dtype``), on ``device``."""
    from autograd.compile.tracing import _describe

    inputs, outputs = compiled._traced
    where: dict[int, Source] = {id(v): ("input", k) for k, v in enumerate(inputs)}
    for k, p in enumerate(compiled.parameters):
        where[id(p)] = ("param", k)
    plan: list[_Instruction] = []
    count = 0  # nodes computed so far
    layers: dict[tuple[int, ...], list[Value]] = _layers(_order(outputs, where), _describe, where)
    for v in _order(outputs, where):
        if id(v) in where:
            continue
        node = _describe(v)
        if node.kind.endswith("(primitive)"):
            raise TypeError(
                f"to_torch: the graph has the custom primitive {node.kind.split()[0]!r}, "
                f"which has no vectorised rule for torch to run; write it with the engine's "
                f"operations, or leave it out of the traced function"
            )
        if node.kind == "linear" and id(v) in _first_of(layers):
            members = layers[_key(node)]
            plan.append(_matmul(members, _describe, where))
            for k, member in enumerate(members):
                where[id(member)] = ("node", count + k)
            count += len(members)
            continue
        plan.append(_instruction(node, where))
        where[id(v)] = ("node", count)
        count += 1
    module = TracedModule(
        plan,
        [where[id(v)] for v in outputs],
        compiled.parameters,
        compiled._shapes,
        compiled._single,
        torch.float64 if dtype is None else dtype,
    )
    return module.to(device) if device is not None else module


def _order(outputs: list[Value], where: dict[int, Source]) -> list[Value]:
    from autograd.compile.tracing import _joint_order

    return [v for v in _joint_order(outputs) if v.parents or id(v) in where]


def _source_of(x: Value | float, where: dict[int, Source]) -> Source:
    if isinstance(x, Value):
        if id(x) not in where:  # a leaf that is neither an input nor a parameter
            return ("const", x.data)
        return where[id(x)]
    return ("const", float(x))


def _instruction(node: Any, where: dict[int, Source]) -> _Instruction:
    """One node's torch step: its rule's operands, and its constants after them."""
    from autograd.compile.rules import _MULTI_OUTPUT, RULES

    kind = node.kind
    rule = _torch_rule(kind)
    if rule is None:
        raise TypeError(
            f"to_torch: the operation {kind!r} has no torch form; add one to "
            f"autograd.torch_lowering.TORCH_RULES"
        )
    if kind in _MULTI_OUTPUT:  # the output's place in the call, after the operands
        return _Instruction(rule, [_vector(node.operands[0], where)], (node.index,), kind=kind)
    operands = []
    for j, operand in enumerate(node.operands):
        if kind in RULES and RULES[kind].is_vector(j):
            operands.append(_vector(operand, where))
        else:
            operands.append(_Operand([_source_of(operand[0], where)], False))
    return _Instruction(rule, operands, kind=kind)


def _vector(entries: Sequence[Value | float], where: dict[int, Source]) -> _Operand:
    return _Operand([_source_of(x, where) for x in entries], True)


def _key(node: Any) -> tuple[int, ...]:
    """Linear nodes with the same inputs x (by identity): one layer."""
    return tuple(id(x) if isinstance(x, Value) else hash(x) for x in node.operands[-1])


def _layers(
    order: list[Value], describe: Callable[[Value], Any], where: dict[int, Source]
) -> dict[tuple[int, ...], list[Value]]:
    """The linear nodes whose weights and bias are parameters or numbers, by their inputs."""
    layers: dict[tuple[int, ...], list[Value]] = {}
    for v in order:
        if id(v) in where or not v.parents:
            continue
        node = describe(v)
        if node.kind != "linear":
            continue
        shared = [*node.operands[0], *node.operands[1]]
        if all(not isinstance(x, Value) or where.get(id(x), ("",))[0] == "param" for x in shared):
            layers.setdefault(_key(node), []).append(v)
    return {key: members for key, members in layers.items() if len(members) > 1}


def _first_of(layers: dict[tuple[int, ...], list[Value]]) -> set[int]:
    return {id(members[0]) for members in layers.values()}


def _matmul(
    members: list[Value], describe: Callable[[Value], Any], where: dict[int, Source]
) -> _Instruction:
    """A layer's linear nodes as one product x @ W.T + b: W (nodes, n) and b (nodes,)."""
    nodes = [describe(v) for v in members]
    weights = _Operand([_source_of(x, where) for n in nodes for x in n.operands[0]], True)
    bias = _vector([n.operands[1][0] for n in nodes], where)
    x = _vector(nodes[0].operands[-1], where)
    n_in = len(nodes[0].operands[0])
    return _Instruction(_layer, [weights, bias, x], (n_in,), columns=len(members), kind="layer")


def _layer(w: Tensor, bias: Tensor, x: Tensor, n_in: int) -> Tensor:
    return x @ w.reshape(-1, n_in).T + bias
