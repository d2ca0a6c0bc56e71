"""Generation: a planned program (`planning._Program`) as one straight-line Python
function over numpy, its buffers laid out once.

The planner's interpreter reads every operand through index arrays and checks every
step as it goes; that costs more than the arithmetic at the sizes users train. The
generated function does the same steps with what was learnt at trace time bound in:

- every step's output is a block of ONE workspace (one array for the rows' values, one
  for the values shared by all rows), so an operand that is a run of columns is a view,
  not a copy; a layer's weights are a view of the parameter vector (neuron-major
  ``[w..., b]`` rows are a reshape of it), and their gradient is accumulated into the
  same view of the gradient vector: no index scatters where the layout allows;
- a layer's matrix product writes into its block with ``out=``;
- finiteness is checked once, on the whole workspace, rather than once per step; only
  steps whose domain is narrower than "finite" (log, sqrt, ...) keep a check of their
  own. A failed check makes the caller rerun the batch through the checked interpreter,
  which names the row and raises the engine's own error.

The function is a generator: it computes the outputs and yields them; sent the
gradient of the outputs, it runs the backward pass and returns the parameters'
gradient (one fresh array, in the program's parameter order). ``source`` is its text:
print it to see what runs.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd import engine
from autograd.compile.formulas import NotSymbolic, Sym, SymbolicMath, text_of
from autograd.compile.planning import CONSTANTS, INPUTS, PARAMS, _Gather, _Program, _Step
from autograd.compile.rules import _MULTI_OUTPUT, NUMPY, _not_finite

Array = NDArray[np.float64]
Program = Callable[[Array, Array, Array], Generator[Array, Array, Array]]


class NotFinite(Exception):
    """Raised inside a generated program: a check failed; rerun the batch checked."""


@dataclass
class Generated:
    """A generated program: ``function(X, P, C)`` (see the module's docstring) and its
    ``source``."""

    function: Program
    source: str


def generate(
    program: _Program,
    places: NDArray[np.intp] | None = None,
    size: int = 0,
    vector: Array | None = None,
) -> Generated | None:
    """The program as generated code; None when a step has no vectorised rule (a custom
    primitive: the interpreter runs it).

    ``places``: where each of the program's parameters is in the parameter vector the
    program is given (a `FlatParameters`' whole array, whose order is the model's),
    when it is not the program's own order. A layer's weights are then read (and their
    gradient added) as views of that vector wherever the model lays them out in rows;
    ``size`` is that vector's length; ``vector``, when given, is that very array, which
    the program will always be called with (a store's ``data``, written in place and
    never replaced): its views are then made once, here, not at every call.
    """
    if any(step.replayed is not None for step in program.steps):
        return None
    return _Writer(program, places, size, vector).write()


class _Writer:
    def __init__(
        self,
        program: _Program,
        places: NDArray[np.intp] | None,
        size: int,
        vector: Array | None,
    ) -> None:
        self.program = program
        self.places = places
        self.vector = vector
        self.views: dict[str, str] = {}  # a view's text -> the name it is bound to
        self.header: list[str] = []
        self.widths = [step.width for step in program.steps]
        self.names: dict[str, Any] = {"np": np, "NotFinite": NotFinite}
        self.lines: list[str] = []
        # each step's offset (in columns) in the forward workspaces
        steps = range(len(program.steps))
        self.place, self.batched_width, self.shared_width = self.layout(steps)
        self.n_params = len(program.parameters) if places is None else size
        self.math = SymbolicMath(NUMPY, self.bind)
        self.args: list[list[str]] = []  # each step's operands, as the names of locals
        # an operand read from several blocks goes through the planner's own gather,
        # which takes the list of all blocks
        self.gathers_several = any(
            isinstance(o, _Gather) and o.single is None
            for o in [program.output, *(o for s in program.steps for o in s.operands)]
        )

    # ------------------------------------------------------------ names and operands

    def bind(self, value: Any, prefix: str) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def block(self, block: int, grad: bool = False) -> str:
        if block == INPUTS:
            return "X"
        if block == PARAMS:
            return "GP" if grad else "P"
        if block == CONSTANTS:
            return "C"
        return f"{'G' if grad else 'B'}{block - CONSTANTS - 1}"

    def operand(self, operand: _Gather | Array, grad: bool = False) -> str:
        """The expression that reads an operand (or, with `grad`, its gradient's place:
        only for a gather from one block)."""
        if not isinstance(operand, _Gather):
            return self.bind(operand, "K")
        if operand.single is None:
            return f"{self.bind(operand, 'R')}.read(blocks, n)"
        block, index = operand.single
        base = self.block(block, grad)
        rows = "..., " if self.is_batched_block(block) else ""  # a (rows, columns) block
        index = self.placed(block, index)
        if isinstance(index, slice):
            text = f"{base}[{rows}{index.start}:{index.stop}]"
        else:
            view = _as_view(np.asarray(index), self.length(block), two_d=not rows)
            if view is None:
                return f"{base}[{rows}{self.bind(index, 'I')}]"
            text = f"{base}[{rows}{view}"
        if base == "P" and self.vector is not None:  # the array never moves: view it once
            if text not in self.views:
                name = self.bind(eval(text, {"P": self.vector}), "V")
                self.views[text] = name
                self.header.append(f"    # {name} = {text}, a view made once")
            return self.views[text]
        return text

    def placed(self, block: int, index: Any) -> Any:
        """An index into a block, with the program's parameters at their `places`."""
        if block != PARAMS or self.places is None:
            return index
        return self.places[np.arange(len(self.program.parameters))[index]]

    def is_batched_block(self, block: int) -> bool:
        return block == INPUTS or (
            block > CONSTANTS and self.program.steps[block - CONSTANTS - 1].batched
        )

    def layout(self, steps: Iterable[int]) -> tuple[dict[int, int], int, int]:
        """Where each of `steps` goes in a pair of workspaces, one for the blocks with a
        row per sample and one for the shared blocks: {step: offset in columns}, and
        the two workspaces' widths."""
        offsets: dict[int, int] = {}
        batched = shared = 0
        for i in steps:
            if self.program.steps[i].batched:
                offsets[i], batched = batched, batched + self.widths[i]
            else:
                offsets[i], shared = shared, shared + self.widths[i]
        return offsets, batched, shared

    def view(self, name: str, i: int, offset: int, workspace: str) -> str:
        """The line that makes step i's block (or its gradient) a view of a workspace:
        (rows, width) of ``{workspace}B`` or (width,) of ``{workspace}S``."""
        width = self.widths[i]
        if self.program.steps[i].batched:
            rows = f"{offset} * n:{offset + width} * n"
            return f"    {name} = {workspace}B[{rows}].reshape(n, {width})"
        return f"    {name} = {workspace}S[{offset}:{offset + width}]"

    def length(self, block: int) -> int | None:
        if block == PARAMS:
            return self.n_params
        if block == CONSTANTS:
            return len(self.program.constants)
        if block > CONSTANTS:
            return self.widths[block - CONSTANTS - 1]
        return None

    # ------------------------------------------------------------ the text

    def write(self) -> Generated:
        program, out = self.program, self.lines
        out.append("def program(X, P, C):")
        out.append("    n = X.shape[0]")
        out.append(f"    WB = np.empty(n * {self.batched_width})")
        out.append(f"    WS = np.empty({self.shared_width})")
        for i, step in enumerate(program.steps):
            self.blocks_so_far(i)
            self.forward(i, step)
        out.append("    if not np.isfinite(WB.sum() + WS.sum()):")
        out.append("        raise NotFinite")
        self.blocks_so_far(len(program.steps))
        outputs = self.operand(program.output)
        out.append(f"    GO = yield {outputs}")
        self.backward()
        out.append("    return GP")
        out[1:1] = self.header
        source = "\n".join(out) + "\n"
        namespace = dict(self.names)
        exec(compile(source, "<autograd.compile program>", "exec"), namespace)
        return Generated(namespace["program"], source)

    def blocks_so_far(self, steps: int) -> None:
        """The list of blocks the planner's gather reads, where one is used."""
        if self.gathers_several:
            blocks = "".join(f", B{k}" for k in range(steps))
            self.lines.append(f"    blocks = [X, P, C{blocks}]")

    def forward(self, i: int, step: _Step) -> None:
        out = self.lines
        out.append(self.view(f"B{i}", i, self.place[i], "W"))
        names = []
        for j, operand in enumerate(step.operands):
            if isinstance(operand, _Gather):
                names.append(f"a{i}_{j}")
                out.append(f"    a{i}_{j} = {self.operand(operand)}")
            else:
                names.append(self.operand(operand))
        self.args.append(names)
        if step.kind == "matmul":
            w, bias, x = names
            out.append(f"    np.matmul({x}, {w}.T, out=B{i})")
            if not (isinstance(step.operands[1], np.ndarray) and not step.operands[1].any()):
                out.append(f"    B{i} += {bias}")
        else:
            out.append(f"    {self.value(i, step, names)}")
        bad = step.rule.bad
        if bad is not None and bad is not _not_finite:
            check = self.bind(bad, "Q")
            out.append(f"    if {check}(B{i}, {', '.join(names)}).any():")
            out.append("        raise NotFinite")

    def value(self, i: int, step: _Step, names: list[str]) -> str:
        """The statement that computes step i into B{i}: its entry's formula written out,
        or a call of its rule."""
        op = engine.OPS.get(step.kind)
        if op is not None and op.rules and "forward" not in op.numpy:
            try:
                value = op.forward_rule(self.math, *map(Sym, names))  # type: ignore[misc]
                if isinstance(value, Sym):
                    return value.into(f"B{i}")
            except NotSymbolic:
                pass
        call = f"{self.bind(step.rule.forward, 'F')}({', '.join(names)})"
        if step.kind in _MULTI_OUTPUT:
            call += f".reshape(B{i}.shape)"
        return f"B{i}[...] = {call}"

    def contribution(self, i: int, step: _Step, j: int, g: str, y: str) -> str | None:
        """g * d out / d operand j of step i as an expression (None: it is zero)."""
        names = self.args[i]
        op = engine.OPS.get(step.kind)
        own = op.numpy.get("rules", ()) if op is not None else ()
        if op is not None and op.rules and not (j < len(own) and own[j] is not None):
            try:
                factor = op.rules[j](self.math, Sym(y), *map(Sym, names))
                if not isinstance(factor, Sym):
                    number = float(factor)
                    if number == 0.0:
                        return None
                    if number == -1.0:
                        return f"(-{g})"
                    return g if number == 1.0 else f"({g} * {text_of(number)})"
                if factor.indicator is not None:
                    factor = factor.indicator
                return f"({g} * {factor.text})"
            except (NotSymbolic, TypeError):
                pass
        derivative = self.bind(step.rule.derivatives[j], "D")
        return f"{derivative}({g}, {y}, {', '.join(names)})"

    def backward(self) -> None:
        """The backward pass. A block whose gradient comes whole from one place is that
        expression itself (``G9 = G10``: no buffer, no addition); the others are views
        of a zeroed workspace that their contributions are added into."""
        program, out = self.program, self.lines
        self.sends: dict[int, list[bool]] = {}  # block -> per send, whether it is whole
        self.counting = True
        mark = len(out)
        self.send(program.output, "GO", batched_source=True)
        for i in range(len(program.steps) - 1, -1, -1):
            self.step_backward(i, program.steps[i])
        del out[mark:]
        self.counting = False
        self.aliased = {
            block
            for block, whole in self.sends.items()
            if whole == [True] and not self.gathers_several and block > CONSTANTS
        }
        self.workspace()
        self.send(program.output, "GO", batched_source=True)
        for i in range(len(program.steps) - 1, -1, -1):
            if CONSTANTS + 1 + i in self.sends:  # a step no gradient reaches is skipped
                self.step_backward(i, program.steps[i])

    def workspace(self) -> None:
        """The zeroed workspaces of the gradients that are added into (not aliased), and
        the list of every block's gradient a gather over several blocks sends into."""
        out = self.lines
        added = [
            i
            for i in range(len(self.program.steps))
            if CONSTANTS + 1 + i in self.sends and CONSTANTS + 1 + i not in self.aliased
        ]
        offsets, batched, shared = self.layout(added)
        if batched:
            out.append(f"    GWB = np.zeros(n * {batched})")
        if shared:
            out.append(f"    GWS = np.zeros({shared})")
        out.append(f"    GP = np.zeros({self.n_params})")
        out.extend(self.view(f"G{i}", i, offset, "GW") for i, offset in offsets.items())
        if self.gathers_several:  # the planner's gather sends through this list
            grads = "".join(
                f", G{i}" if i in offsets else ", None" for i in range(len(self.program.steps))
            )
            out.append(f"    grads = [None, GP, None{grads}]")

    def step_backward(self, i: int, step: _Step) -> None:
        out, names = self.lines, self.args[i]
        needed = [
            (j, o) for j, o in enumerate(step.operands) if isinstance(o, _Gather) and o.needed
        ]
        if step.kind == "matmul":
            w, _, x = names
            grad_of = {
                0: f"G{i}.T @ {x}" if step.batched else f"np.multiply.outer(G{i}, {x})",
                1: f"G{i}",
                2: f"G{i} @ {w}",
            }
            for j, operand in needed:
                self.send(operand, grad_of[j], batched_source=step.batched and j == 1)
            return
        g, y = f"G{i}", f"B{i}"
        if step.kind in _MULTI_OUTPUT and needed:
            out.append(f"    g{i} = G{i}.reshape({names[0]}.shape)")
            out.append(f"    y{i} = B{i}.reshape({names[0]}.shape)")
            g, y = f"g{i}", f"y{i}"
        for j, operand in needed:
            value = self.contribution(i, step, j, g, y)
            if value is not None:
                self.send(operand, value, batched_source=step.batched)

    def send(self, operand: _Gather, value: str, batched_source: bool) -> None:
        """Add a contribution (an expression) into the gradient of `operand`."""
        out = self.lines
        if operand.single is None:
            if self.counting:
                for block, *_ in operand.sources:
                    self.sends.setdefault(block, []).extend([False, False])
                return
            out.append(f"    {self.bind(operand, 'R')}.send(grads, {value})")
            return
        block, index = operand.single
        if block in (INPUTS, CONSTANTS):
            return
        if self.counting:
            self.sends.setdefault(block, []).append(self.is_whole(operand))
            return
        if batched_source and not operand.batched:  # a shared operand: the rows add up
            value = f"np.add.reduce({value}, 0)"
        if block in self.aliased:
            out.append(f"    {self.block(block, True)} = {value}")
            return
        target = self.operand(operand, grad=True)
        if isinstance(index, np.ndarray) and not operand._unique:
            where = self.bind(self.placed(block, index), "I")
            out.append(f"    np.add.at({self.block(block, True)}, (Ellipsis, {where}), {value})")
            return
        out.append(f"    {target} += {value}")

    def is_whole(self, operand: _Gather) -> bool:
        """Whether `operand` reads its block whole, in order, with the block's shape."""
        assert operand.single is not None
        block, index = operand.single
        if block == PARAMS or len(operand.shape) != 1:
            return False
        width = self.widths[block - CONSTANTS - 1]
        return (
            isinstance(index, slice)
            and index.start == 0
            and index.stop == width
            and operand.batched == self.is_batched_block(block)
        )


def _as_view(index: NDArray[np.intp], length: int | None, two_d: bool) -> str | None:
    """The index as basic slicing (a view) when its entries are evenly spaced: 1-D
    ``a, a+s, a+2s, ...`` is ``a:b:s``; 2-D ``a + R r + c`` (rows of a (., R) matrix
    laid out in the array, K leading columns of each) is a reshape of a run of it."""
    if index.size == 0 or length is None:
        return None
    if index.ndim == 1:
        start = int(index[0])
        if index.size == 1:
            return f"{start}:{start + 1}]"
        step = int(index[1] - index[0])
        if step == 0 or not np.array_equal(index, start + step * np.arange(index.size)):
            return None
        stop = start + step * index.size
        return f"{start}:{stop if stop >= 0 else ''}:{step}]"  # a step < 0 runs backwards
    if index.ndim != 2 or not two_d:  # 2-D: only as a reshape of a 1-D block
        return None
    rows, cols = index.shape
    start = int(index[0, 0])
    stride = int(index[1, 0] - index[0, 0]) if rows > 1 else cols
    expected = start + stride * np.arange(rows)[:, None] + np.arange(cols)[None, :]
    if abs(stride) < cols or not np.array_equal(index, expected):
        return None
    # rows met last to first (a traversal's order) are the same rows, read backwards
    low, order = (start, ":") if stride > 0 else (start + stride * (rows - 1), "::-1")
    stride = abs(stride)
    if low + rows * stride > length:
        return None
    return f"{low}:{low + rows * stride}].reshape({rows}, {stride})[{order}, :{cols}]"
