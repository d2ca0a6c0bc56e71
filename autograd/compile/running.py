"""Running: `Compiled`, a traced function called over whole batches: outputs,
parameter gradients, the checks of its arguments, the engine's own error for a bad row."""

from __future__ import annotations

import functools
import math
from collections import deque
from collections.abc import Callable
from itertools import repeat
from operator import attrgetter
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from autograd.compile.generation import Generated, NotFinite, generate
from autograd.compile.planning import _Program, _RowFailed, _Tape
from autograd.engine import Value, _as_number
from autograd.flat import FlatParameters
from autograd.functional import _mean_of, _sum_of

Array = NDArray[np.float64]
_data = attrgetter("data")
_grad = attrgetter("grad")
# (outputs (batch, k), backward): backward(grad_output (batch, k)) -> the parameters'
# gradient for this batch, in the program's parameter order.
Run = tuple[Array, Callable[[Array], Array]]


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
        # the FlatParameters last seen, and the program for its layout (None: it does
        # not hold every parameter, and the Values are read one by one)
        self._bound: tuple[FlatParameters, _Parameters | None] | None = None

    @property
    def source(self) -> str | None:
        """The generated program's text: what runs (None for a graph with a custom
        primitive, which the interpreter runs)."""
        generated = self._own_program
        return None if generated is None else generated.source

    @functools.cached_property
    def _own_program(self) -> Generated | None:
        """The program for the Values' own order, generated on first use: a function
        trained in FlatParameters (as fit trains) runs only the one for their layout."""
        return generate(self._program)

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
        out = self._run(arrays, inputs, self._parameters())[0]
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
        params = self._parameters()
        out, finish = self._run(arrays, inputs, params)
        outputs = out[:, 0].copy() if self._single else np.array(out)

        def backward(grad_output: Any) -> None:
            checked = self._grad_output(grad_output, outputs.shape)
            self._backward(arrays, inputs, params, finish, checked)

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
        params = self._parameters()
        out, finish = self._run(arrays, inputs, params)
        values = out[:, 0].tolist()
        batch = len(values)
        # The engine's own mean and sum (finite where the rows' sum is not), and checked
        # before any gradient is written: an error leaves every .grad as it was.
        loss = _mean_of(values) if reduction == "mean" else _sum_of(values)
        if not math.isfinite(loss):
            raise OverflowError(
                f"value_and_grad: the sum of the {batch} rows' values is {loss!r}, not a "
                f"finite number; rescale the loss, or use reduction='mean'"
            )
        grad_output = np.full((batch, 1), 1.0 / batch if reduction == "mean" else 1.0)
        self._backward(arrays, inputs, params, finish, grad_output)
        return loss

    # ------------------------------------------------------------ helpers

    def _parameters(self) -> _Parameters:
        """Where the parameters' numbers are for this call: the open FlatParameters that
        holds them all (the program generated for its layout reads its array whole), or
        the Values themselves."""
        store = FlatParameters.holding(self.parameters[0]) if self.parameters else None
        if store is not None:
            if self._bound is None or self._bound[0] is not store:
                self._bound = (store, _Parameters.of_store(self._program, store))
            if self._bound[1] is not None and store.open:
                return self._bound[1]
        values = np.fromiter(map(_data, self.parameters), float, len(self.parameters))
        return _Parameters(self._own_program, values, self.parameters)

    def _run(self, arrays: list[Array], inputs: Array, params: _Parameters) -> Run:
        """The outputs, and the backward pass to run later: the generated program, or
        the checked interpreter (a graph with a custom primitive, or a batch the
        program's checks refuse: it names the row, or finds the alarm false)."""
        if params.generated is not None:
            program = params.generated.function(inputs, params.vector, self._program.constants)
            try:
                with np.errstate(all="ignore"):  # what is not finite is caught, and rerun
                    out = next(program)
            except NotFinite:  # the interpreter names the row, or finds it was no error
                return self._interpreted(arrays, inputs, params)
            if out.ndim == 1:
                out = np.broadcast_to(out, (len(inputs), len(out)))
            return out, lambda grad_output: _finish(program, grad_output)
        return self._interpreted(arrays, inputs, params)

    def _interpreted(self, arrays: list[Array], inputs: Array, params: _Parameters) -> Run:
        try:
            tape = self._program.forward(inputs, params.in_program_order())
        except _RowFailed as failed:
            self._raise_eager_error(arrays, failed.row, failed.kind)
            raise  # not reached: the line above raises
        return self._program.outputs(tape), _Backward(self._program, tape, params)

    def _backward(
        self,
        arrays: list[Array],
        inputs: Array,
        params: _Parameters,
        finish: Callable[[Array], Array],
        grad_output: Array,
    ) -> None:
        """Add this batch's parameter gradients into ``.grad``, or raise before any is
        written."""
        if params.store is not None and not params.store.open:
            raise RuntimeError(
                "backward: the FlatParameters holding the parameters was released after "
                "this forward pass; call vjp again (inside the with block, or after it)"
            )
        grad_output = grad_output.reshape(len(grad_output), -1)
        with np.errstate(all="ignore"):  # what is not finite is caught below
            grads = finish(grad_output)
            totals = params.grads() + grads
        if not math.isfinite(grads.sum()):
            if not isinstance(finish, _Backward):  # the checked run names the row
                finish = self._interpreted(arrays, inputs, params)[1]
                finish(grad_output)
            assert isinstance(finish, _Backward)
            self._not_finite(params.in_program_order(grads), finish.tape, len(grad_output))
        if not math.isfinite(totals.sum()):  # finite alone, but not with what .grad held
            bad = self.parameters[int(np.argmax(~np.isfinite(params.in_program_order(totals))))]
            raise OverflowError(
                f"backward: the gradient accumulated in {bad!r} would not be finite "
                f"({bad.grad!r} plus this call's); zero the gradients (zero_grad()) first"
            )
        params.set_grads(totals)

    def _not_finite(self, grads: Array, tape: _Tape, batch: int) -> None:
        bad = self.parameters[int(np.argmax(~np.isfinite(grads)))]
        row = self._program.overflowed_row(tape)
        if row is None:
            raise OverflowError(
                f"backward: the gradient of {bad!r} is finite for each row of the batch "
                f"but not summed over its {batch} rows; scale the loss down or use "
                f"smaller batches"
            )
        raise OverflowError(
            f"row {row} of the batch: backward: the gradient of {bad!r} is not finite: a "
            f"gradient overflowed on its way back from the output; scale the loss down "
            f"or clip the gradients"
        )

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


class _Parameters:
    """The parameters' numbers as one call of a program reads and writes them.

    Unbound Values: ``vector`` holds their ``data`` in program order, read for this call,
    and their gradients are written back into ``.grad``. Held by a `FlatParameters`:
    ``vector`` is its whole ``data`` array, read by a program generated for its layout
    (``places``: each parameter's entry), which returns gradients in the same layout,
    added to its ``grad`` array in one call.
    """

    def __init__(
        self,
        generated: Generated | None,
        vector: Array,
        parameters: list[Value],
        store: FlatParameters | None = None,
        places: NDArray[np.intp] | None = None,
    ) -> None:
        self.generated, self.vector, self.store, self.places = generated, vector, store, places
        self.parameters = parameters

    @staticmethod
    def of_store(program: _Program, store: FlatParameters) -> _Parameters | None:
        try:
            places = np.array([store.index(p) for p in program.parameters], dtype=np.intp)
        except ValueError:  # spread over several stores, or partly unbound
            return None
        generated = generate(program, places, len(store), store.data) if len(places) else None
        return _Parameters(generated, store.data, program.parameters, store, places)

    def in_program_order(self, vector: Array | None = None) -> Array:
        """`vector` (default: the values) from this call's layout to program order."""
        vector = self.vector if vector is None else vector
        return vector if self.places is None else vector[self.places]

    def spread(self, grads: Array) -> Array:
        """Gradients in program order (the interpreter's) in this call's layout."""
        if self.places is None:
            return grads
        spread = np.zeros(len(self.vector))
        spread[self.places] = grads
        return spread

    def grads(self) -> Array:
        if self.store is not None:
            return self.store.grad
        return np.fromiter(map(_grad, self.parameters), float, len(self.vector))

    def set_grads(self, totals: Array) -> None:
        if self.store is not None:
            self.store.grad[...] = totals
        else:  # written by map in C: no Python loop over the parameters
            deque(map(setattr, self.parameters, repeat("grad"), totals.tolist()), maxlen=0)


class _Backward:
    """The interpreter's backward pass over one forward pass's tape: gradients in the
    call's layout."""

    def __init__(self, program: _Program, tape: _Tape, params: _Parameters) -> None:
        self.program, self.tape, self.params = program, tape, params

    def __call__(self, grad_output: Array) -> Array:
        return self.params.spread(self.program.backward(self.tape, grad_output))


def _finish(program: Any, grad_output: Array) -> Array:
    """Send the outputs' gradient into a generated program; its parameters' gradient."""
    try:
        program.send(grad_output)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise RuntimeError("a generated program yielded twice")


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
