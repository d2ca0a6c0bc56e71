"""The engine: `Value`, the record of which operation made each node (`Op`,
`operation`), and reverse-mode differentiation.

Every operation computes its result *and its local derivatives* (d result / d parent,
as plain floats) when it runs, and stores both on the node it returns. `backward()`
is then the chain rule written once: walk the nodes from the output back to the
inputs and, for every edge, do ``parent.grad += local_grad * node.grad``. The
operations themselves, one entry each, are in `autograd.ops`.

Nodes hold no closures, so a graph has no reference cycles and is freed as soon as
its output is dropped. Walking the graph is iterative (`topological_order`, one walk
for every pass), so a chain of a million operations backpropagates under Python's
default recursion limit.

Numbers stay finite: an operation whose result (or local derivative) would be
infinite or NaN raises an error that names the operation and its operands.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from autograd import _op
from autograd._numbers import as_number, check_operands, constant, finite_locals, fmt
from autograd._op import _LEAF, OPS, Op, operation

# Re-exported, as before `autograd._op` was apart: the ops modules import them from here.
from autograd._op import LEAF as LEAF
from autograd._op import _Derivatives as _Derivatives
from autograd._op import _Operands as _Operands

__all__ = [
    "OPS",
    "Op",
    "Value",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "operation",
    "set_grad_enabled",
    "topological_order",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# The one speed alias of the engine's checks: every operation calls it, and the global
# name saves a module attribute lookup (1-2.5% per operation, measured; aliases of
# math.exp, math.log and of the walks' list methods measured no gain and are gone).
_isfinite = math.isfinite
# The number checks every module of autograd uses (imported from here by most of them).
_as_number, _fmt = as_number, fmt
_check_operands, _constant, _finite_locals = check_operands, constant, finite_locals


# Grad mode is per thread, as in PyTorch: a thread inside `no_grad` records no parents,
# and other threads are not affected. The state is a context variable (each thread has
# its own, an asyncio task its own copy): 1 while grad mode is off, 0 while it is on,
# with the modes of the enclosing blocks saved in a second one, so `enable_grad` inside
# `no_grad` (and the reverse) restores the outer mode when it ends. Reading it is a
# call, though, and every operation asks, so a module-global count of the threads whose
# mode is off answers first: while it is 0 (building a graph, the usual case) an
# operation reads one global, as it did when grad mode was one switch. A switch off
# raises the count before the state, a switch on lowers it after, so 0 proves that
# grad mode is on; otherwise the thread's own state decides.
_grad_off: ContextVar[int] = ContextVar("autograd_grad_off", default=0)
_depth = _grad_off.get  # bound once: no attribute lookup per operation (~2%)
_outer_modes: ContextVar[tuple[int, ...]] = ContextVar("autograd_outer_modes", default=())
_off_anywhere = 0
_off_anywhere_lock = threading.Lock()  # `+= 1` on a global is not atomic between threads


def is_grad_enabled() -> bool:
    """True unless this thread is inside `no_grad()` (and not in an `enable_grad()` in it)."""
    return not _off_anywhere or not _depth()


def _switch(off: int) -> None:
    """Set this thread's grad mode (1: off), keeping `_off_anywhere` counted."""
    global _off_anywhere
    change = off - _depth()
    if change > 0:
        with _off_anywhere_lock:
            _off_anywhere += 1
        _grad_off.set(off)
    elif change < 0:
        _grad_off.set(off)
        with _off_anywhere_lock:
            _off_anywhere -= 1


def _enter_mode(enabled: bool) -> None:
    """Switch this thread's grad mode, saving the current one for `_leave_mode`."""
    _outer_modes.set((*_outer_modes.get(), _depth()))
    _switch(0 if enabled else 1)


def _leave_mode() -> None:
    """Restore the mode saved by the matching `_enter_mode`."""
    saved = _outer_modes.get()
    _outer_modes.set(saved[:-1])
    _switch(saved[-1])


class _GradMode:
    """A context manager and decorator that sets grad mode for its block (`_enabled`).

    An instance holds no state, so it may be entered again while it is active (nested
    ``with`` blocks), used as a decorator for any number of calls, and shared between
    threads. As a decorator it works with or without parentheses.
    """

    _enabled = True

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        if func is not None:  # used as @no_grad, without parentheses
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        pass

    def __enter__(self) -> None:
        _enter_mode(self._enabled)

    def __exit__(self, *exc_info: object) -> None:
        _leave_mode()

    def __call__(self, func: _F) -> _F:
        enabled = self._enabled

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _enter_mode(enabled)
            try:
                return func(*args, **kwargs)
            finally:
                _leave_mode()

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Context manager and decorator: operations inside record no parents.

    Use it for work that will never be differentiated (evaluating a model, numerical
    gradients, optimizer updates): no graph is kept, so it is faster and lighter.

    >>> with no_grad():
    ...     y = Value(2.0) * 3      # y is a leaf: y.parents == ()

    As a decorator, with or without parentheses: ``@no_grad()`` or ``@no_grad``.
    Grad mode is per thread (as in PyTorch): operations in other threads keep
    recording. An instance holds no state, so it may be entered again while it is
    active (nested ``with`` blocks) and shared between threads. An `enable_grad()`
    block inside records again.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager and decorator: operations inside record their graph, also inside
    `no_grad()` (as ``torch.enable_grad``); the outer mode is back when the block ends.

    >>> with no_grad():
    ...     with enable_grad():
    ...         y = Value(2.0) * 3  # recorded: y.parents has the leaf
    ...     z = Value(2.0) * 3      # not recorded

    As a decorator, with or without parentheses; per thread, as `no_grad`.
    """

    _enabled = True


class set_grad_enabled(_GradMode):
    """Grad mode on (``True``) or off (``False``), as ``torch.set_grad_enabled(mode)``.

    In a ``with`` block or as a decorator (``@set_grad_enabled(False)``) it sets the
    mode for the block or the call and restores the previous one after. Called on its
    own, ``set_grad_enabled(False)`` switches this thread's mode until it is switched
    back, as torch's does. Per thread, as `no_grad`.
    """

    def __new__(cls, mode: bool) -> set_grad_enabled:
        if not isinstance(mode, bool):
            raise TypeError(
                f"set_grad_enabled(mode) takes True or False, got {type(mode).__name__} "
                f"{mode!r}; for a decorator without a mode use @no_grad or @enable_grad"
            )
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        # As torch's, the mode is set at once (so a bare call switches it), and
        # __exit__ (or, for a decorator, __call__) puts the previous one back.
        self._enabled = mode
        self._previous = _depth()
        _switch(0 if mode else 1)

    def __enter__(self) -> None:
        pass  # already set by __init__

    def __exit__(self, *exc_info: object) -> None:
        _switch(self._previous)

    def __call__(self, func: _F) -> _F:
        _switch(self._previous)  # undo __init__: the mode is set for each call instead
        return super().__call__(func)


# Tracing (`autograd.compile`): while a function is traced into a graph, a Python
# branch on a Value would bake the example's branch into the graph for every row, so
# comparisons, float() and bool() of a Value refuse. Per thread (a context variable, as
# grad mode); `_tracers` counts the traces open in all threads, so outside a trace a
# comparison reads one module global.
_tracing_now: ContextVar[bool] = ContextVar("autograd_tracing", default=False)
_tracers = 0
_tracers_lock = threading.Lock()


@contextmanager
def _tracing() -> Iterator[None]:
    """Inside: comparisons, float() and bool() of a Value raise, and the Values made are
    `_Traced`, whose ``data`` user code cannot read (this thread only)."""
    global _tracers, _new
    if _tracing_now.get():
        raise RuntimeError("autograd.compile: a function is already being traced in this thread")
    token = _tracing_now.set(True)
    with _tracers_lock:
        _tracers += 1
        _new = _traced_new
    try:
        yield
    finally:
        with _tracers_lock:
            _tracers -= 1
            if not _tracers:
                _new = object.__new__  # eager node creation pays nothing for tracing
        _tracing_now.reset(token)


def _refuse_data(v: Value, what: str) -> None:
    raise TypeError(
        f"autograd.compile: {what} of a traced Value ({v!r}) while tracing: it holds the "
        f"example's number, and the compiled function would use that number as a constant "
        f"for every row. Compute with the Value itself (w * z, not w * z.data); for a "
        f"branch use v.relu(), v.abs(), autograd.max / autograd.min"
    )


def _refuse_branch(what: str) -> None:
    if _tracing_now.get():
        raise TypeError(
            f"autograd.compile: {what} while tracing: the traced graph must not depend on "
            f"the data, and a Python branch on a Value would replay the example's branch "
            f"for every row. Write it with graph operations instead: v.relu(), v.abs(), "
            f"autograd.max / autograd.min (e.g. max(0, v) is v.relu())"
        )


if TYPE_CHECKING:  # pragma: no cover
    from autograd.ops.arithmetic import ArithmeticMethods
    from autograd.ops.functions import FunctionMethods
    from autograd.ops.piecewise import PiecewiseMethods

    class _OperationMethods(ArithmeticMethods, FunctionMethods, PiecewiseMethods):
        """The operations' methods, declared in each `autograd.ops` module beside the
        entries, so that ``mypy --strict`` knows ``v.tanh()`` and catches ``v.tahn()``."""

else:
    _OperationMethods = object  # at runtime each entry sets its methods on Value itself


class Value(_OperationMethods):
    """A scalar that remembers how it was computed, so it can be differentiated.

    ``Value(data, label="")`` makes a leaf: an input or a parameter. Arithmetic on
    Values makes new Values (nodes) that record:

    - ``data``: the number itself (a finite float);
    - ``grad``: d(output)/d(this value), filled in by ``backward()``, 0.0 before;
    - ``op``: a short name of the operation that made it ("" for a leaf);
    - ``parents``: the Values it was computed from, in argument order;
    - ``local_grads``: d(this)/d(parent) for each parent, computed in the forward pass;
    - ``label``: an optional name, shown by ``repr`` and in drawings.

    Plain numbers mixed into an expression are constants: they are not parents and get
    no gradient; the operation's ``op`` string shows them (``"* 2"``).

    ``<, <=, >, >=`` compare ``data`` and return a bool; ``float(v)`` and ``v.item()``
    give ``data``; ``bool(v)`` is ``v.data != 0``, as torch's. ``==`` and ``hash`` are
    by identity, so Values can live in sets and dicts as graph nodes: ``Value(0.0) ==
    0.0`` is False (compare ``v.data`` for numbers).
    """

    __slots__ = ("_op", "data", "grad", "label", "local_grads", "parents")

    data: float
    grad: float
    label: str
    _op: tuple[Any, ...]  # (the Op that made it, its constants...): see `operation`
    parents: tuple[Value, ...]
    local_grads: tuple[float, ...]

    def __new__(cls, data: float, label: str = "") -> Value:
        if isinstance(data, Value):
            raise TypeError(
                "Value(...) got a Value; use v.detach() for a leaf with the same data, "
                "or use v itself"
            )
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        out = _node(_as_number(data, "Value(data)"), _LEAF, (), (), cls)
        out.label = label
        return out

    def __getnewargs__(self) -> tuple[float]:
        return (self.data,)  # copy.copy and copy.deepcopy make the copy through __new__

    # ------------------------------------------------------------------ plumbing

    @property
    def op(self) -> str:
        """The operation's short name, with its constant if it has one: ``"*"``, ``"* 2"``,
        ``"exp"``, ``"dot"``; ``""`` for a leaf. Formatted on request (``operation(v)``
        gives the operation itself and its constants)."""
        kind = self._op
        return kind[0].text(kind[1:])  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __float__(self) -> float:
        if _tracers:
            _refuse_branch(f"float({self!r})")
        return self.data

    def item(self) -> float:
        """The number itself, ``v.data``, as torch's ``Tensor.item()``."""
        if _tracers:
            _refuse_branch(f"{self!r}.item()")
        return self.data

    def __bool__(self) -> bool:
        """``v.data != 0``, as torch's ``bool(tensor)``: ``if v:`` is skipped only at 0."""
        if _tracers:
            _refuse_branch(f"bool({self!r}) (an `if v:`)")
        return self.data != 0.0

    def __lt__(self, other: object) -> bool:
        if _tracers:
            _refuse_branch("a comparison `v < ...`")
        return self.data < _compare_data(other)

    def __le__(self, other: object) -> bool:
        if _tracers:
            _refuse_branch("a comparison `v <= ...`")
        return self.data <= _compare_data(other)

    def __gt__(self, other: object) -> bool:
        if _tracers:
            _refuse_branch("a comparison `v > ...`")
        return self.data > _compare_data(other)

    def __ge__(self, other: object) -> bool:
        if _tracers:
            _refuse_branch("a comparison `v >= ...`")
        return self.data >= _compare_data(other)

    # ``==`` and ``hash`` stay identity-based (object's): nodes are keys in sets and dicts,
    # so ``v == 0.0`` is False even where ``bool(v)`` is; compare ``v.data`` for numbers.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        if _tracers and _tracing_now.get():
            _refuse_data(self, "detach()")
        return _leaf(self.data)

    def __pos__(self) -> Value:
        return self

    # The operations are not written here. Each one's method (its fast float path: the
    # value and its local derivatives) sits in its entry in `autograd.ops`, beside its
    # derivative rule, domain, kinks and test domain, and is set on Value when autograd
    # is imported; type checkers see the methods through `_OperationMethods`.

    # --------------------------------------------------------- differentiation

    def backward(self, grad: float = 1.0) -> None:
        """Add d(self)/d(v) * grad to ``v.grad`` for every leaf v this Value depends on.

        The chain rule, over the nodes in reverse topological order: each node sends
        ``local_grad * node.grad`` to each parent. Leaves accumulate across calls (as
        in PyTorch; reset them with ``zero_grad()``); the nodes in between hold the
        gradients of the latest call. ``grad`` is the upstream gradient d(loss)/d(self).

        Only what the gradient reaches is visited: an edge whose local derivative is 0
        (a relu at x <= 0, a satisfied hinge, the inputs a max did not pick) carries
        nothing, and the nodes behind it keep the grad they had: 0.0, unless an earlier
        ``backward()`` from another output reached them.

        A gradient that overflows raises ``OverflowError`` naming a node it reached;
        the grads of that pass are then not usable: zero them before the next one.
        """
        seed = _as_number(grad, "backward(grad)")
        # Leaves only receive gradients, so the pass walks the interior nodes alone.
        interior, leaves = _backward_order(self)
        for node in interior:
            node.grad = 0.0
        self.grad += seed
        for node in reversed(interior):
            g = node.grad
            if g == 0.0:
                continue  # nothing to send: skipping is exact
            if not _isfinite(g):  # checked before it is sent: 0 * inf would be nan
                raise _gradient_overflow(node)
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g
        # Leaves send nothing on, so theirs are checked once, at the end.
        for leaf in leaves:
            if not _isfinite(leaf.grad):
                raise _gradient_overflow(leaf)


# ---------------------------------------------------------------- operation identity
# Every node records which operation made it, and the operation's constants, in the
# slot ``_op``: ``(Op, constant, ...)`` (see `autograd._op`, whose names the engine's
# modules import from here).

_register, _stored = _op._register, _op._stored
_op._engine = sys.modules[__name__]


# ---------------------------------------------------------------- node construction


def _gradient_overflow(node: Value) -> OverflowError:
    return OverflowError(
        f"backward: the gradient of {node!r} is not finite: a gradient overflowed on its "
        f"way back from the output; scale the loss down or clip the gradients"
    )


_new = object.__new__  # an alias that pays: node creation is 7-14% slower without it


class _Traced(Value):
    """A Value made while ``autograd.compile`` traces a function in this thread.

    Code outside the library that reads its ``data`` gets a ``TypeError`` naming the
    line: a number taken from it is the example's, which the compiled function would use
    as a constant for every row (``w * (w * x).data`` would be ``w * 2`` for all x). The
    library's own reads (the operations, repr) work as for any Value, and so does every
    read once the trace is over or from another thread.
    """

    __slots__ = ()

    @property
    def data(self) -> float:
        if _tracing_now.get() and not _in_library(sys._getframe(1)):
            _refuse_data(self, "reading .data")
        return _DATA.__get__(self)  # type: ignore[no-any-return]

    @data.setter
    def data(self, value: float) -> None:
        _DATA.__set__(self, value)


_DATA: Any = Value.__dict__["data"]  # the slot's own descriptor, under the property


def _in_library(frame: FrameType) -> bool:
    if frame.f_code in _OPERATION_CODE:  # an operation's method, added from outside
        return True
    return frame.f_globals.get("__name__", "").partition(".")[0] in ("autograd", "nn")


# The code of the methods of operations added through `autograd.extend.elementwise`:
# an operation reads its operands' data wherever it is written.
_OPERATION_CODE: set[Any] = set()


def _traced_new(cls: type[Value]) -> Value:
    """`_new` while a trace is open in any thread: the tracing thread makes `_Traced`s."""
    return object.__new__(_Traced if cls is Value and _tracing_now.get() else cls)


def _node(
    data: float,
    op: tuple[Any, ...],
    parents: tuple[Value, ...],
    local_grads: tuple[float, ...],
    cls: type[Value] = Value,
) -> Value:
    """Make the Value an operation returns, after checking its result is finite.

    ``op`` is the operation and its constants, ``(Op, constant, ...)``: a shared tuple
    for an operation without constants, so recording it costs nothing. Every Value is
    made here (leaves too: ``op`` is ``_LEAF``), so its slots are filled in one place.
    """
    if not _isfinite(data):
        text = op[0].text(op[1:])
        _check_operands(text, tuple(p.data for p in parents))
        operands = ", ".join(_fmt(p.data) for p in parents)
        raise OverflowError(
            f"{text} of ({operands}) is {data!r}: the result is not a finite number. "
            f"Rescale the inputs, or use a stable form (logsumexp, softmax, softplus)"
        )
    if _off_anywhere and _depth():  # `not is_grad_enabled()`, inlined: record no parents
        op, parents, local_grads = _LEAF, (), ()
    out: Value = _new(cls)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out.parents = parents
    out.local_grads = local_grads
    return out


def _leaf(data: float) -> Value:
    """A leaf holding an already-checked float (skips the public constructor's checks)."""
    return _node(data, _LEAF, (), ())


def _compare_data(other: object) -> float:
    if isinstance(other, Value):
        return other.data
    return _as_number(other, "comparison with a Value")


# ---------------------------------------------------------------- graph traversal


_DONE = None  # stack marker: the node below it has had all its parents emitted


def topological_order(
    root: Value, parents: Callable[[Value], Iterable[Value]] | None = None
) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    ``parents(node)`` gives the edges to follow (``node.parents`` by default): the
    backward pass follows only the edges that carry a gradient.
    """
    order: list[Value] = []
    _walk(root, parents, order, order)
    return order


def _walk(
    root: Value,
    parents: Callable[[Value], Iterable[Value]] | None,
    interior: list[Value],
    leaves: list[Value],
) -> None:
    """The one graph walk: append the interior nodes `root` reaches (through
    ``parents``) to `interior` and the leaves to `leaves`, each node after its parents.

    A post-order depth-first search with an explicit stack, so depth is limited by
    memory, not by the recursion limit. A node is expanded when it is popped the first
    time: it goes back on the stack under a marker, with its parents above, so it is
    emitted only after all of them. Leaves have no parents and are emitted as soon as
    they are found. (A DAG has no path from a node back to itself, so a node that is
    already visited when reached again is already emitted.)

    The two edge rules the engine itself walks by, every parent (``None``) and the
    backward pass's `_carrying`, are applied inline: a call per node made the backward
    pass 3-5% slower per node. Any other ``parents`` is called.
    """
    if not root.parents:
        leaves.append(root)
        return
    other = None if parents is _carrying else parents
    filtered = parents is not None  # False: every edge, with one test per node
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is _DONE:
            interior.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append(node)
        stack.append(_DONE)
        edges: Iterable[Value] = node.parents
        if filtered and (other is not None or 0.0 in node.local_grads):
            if other is not None:
                edges = other(node)
            else:  # `_carrying(node)`, inlined
                edges = [p for p, local in zip(edges, node.local_grads) if local]
        for parent in edges:
            if parent not in visited:
                if parent.parents:
                    stack.append(parent)
                else:
                    visited.add(parent)
                    leaves.append(parent)


def _backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """(interior, leaves): what a gradient from `root` reaches (`_carrying` edges), the
    interior nodes in topological order and the leaves apart."""
    interior: list[Value] = []
    leaves: list[Value] = []
    _walk(root, _carrying, interior, leaves)
    return interior, leaves


def _carrying(node: Value) -> Iterable[Value]:
    """The parents a gradient reaches: an edge whose local derivative is 0 carries
    nothing, so the backward pass leaves out what lies only behind such edges (behind a
    relu at x <= 0, a satisfied hinge), which is exact and in a relu network often most
    of the graph."""
    if 0.0 in node.local_grads:  # one scan in C; then drop those edges
        return [p for p, local in zip(node.parents, node.local_grads) if local]
    return node.parents
