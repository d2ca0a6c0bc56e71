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
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from autograd._numbers import as_number, fmt

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
# Every node records WHICH operation made it, and the operation's constants, in the
# slot ``_op``: the tuple ``(Op, constant, ...)``. One `Op` object per kind of
# operation is shared by all the nodes it makes, so an operation without constants
# stores a shared tuple (nothing per node), and one with constants (``x * 2``) a small
# tuple instead of a formatted string: ``v.op`` formats it only when asked, and
# `operation` names the constants.
#
# An Op is the operation's entry: everything the library knows about it. The engine's
# own entries are made by `autograd.ops.elementwise`, `autograd.functional` makes the
# functions of lists, `autograd.primitive` the user's.

_Operands = tuple["Value", ...]
_Derivatives = tuple["Value | float", ...]
_Rule = Callable[..., Any]  # (m, out, *arguments) -> one derivative; see `Op.rules`


class Op:
    """One kind of operation of the engine, shared by every node it makes: its entry.

    - ``name``: the kind, unique among the built-in operations (``OPS[name] is op``);
    - ``symbol``: how ``Value.op`` shows it (``"*"``, ``"tanh"``);
    - ``params``: the names of the constants a node records (``("negative_slope",)``);
      `operation` returns them as named fields;
    - ``apply(operands, constants)``: the operation run again on other Values (one
      per parent, in order) with the node's constants; it records a node as usual;
    - ``derivatives(node)``: d node / d parent for each parent, written with Value
      operations (or plain floats where a derivative is a constant), so they can be
      differentiated again. They equal ``node.local_grads`` in value.

    An elementwise operation's entry (made by `autograd.ops.elementwise`) holds the
    rest of what the library knows about it, and every other part reads it from there:

    - ``method``: the fast path, a Value method computing the value and the local
      derivatives as floats (its docstring is the hover formula); ``methods``: the
      names it is set on Value under (``__sub__``, ``__rsub__``);
    - ``rules``: the derivative, written once: one function per argument,
      ``rule(m, out, *arguments)``, over the math of ``m`` (floats, Values or numpy
      arrays: `autograd.ops.FLOATS`, `autograd.ops.VALUES`, compile's numpy), so the
      same formula gives the higher derivatives and the compiled mode's;
    - ``forward_rule(m, *arguments)``: the value over ``m`` (compiled mode, references);
    - ``constant_operands``: a plain number may stand for an operand (``x * 2``): the
      node records its position and value (``operation(x * 2)`` names them);
      ``commutative``: its two operands may trade places (drawings label them if not);
    - ``domain(m, *arguments)``: where the operation is defined (True, or a mask);
      ``singular``: its derivative can be infinite where its value is finite;
    - ``kinks(*params)``: the points where it is not differentiable; ``ties``: not
      differentiable where two inputs tie (max, min); ``branch(node)``: which side of
      its kinks a node is on (its local derivatives, unless given);
    - ``test_domain`` (an interval per operand), ``test_avoid`` (points kept away from,
      besides the kinks: a divisor's 0) and ``test_params``: where the tests and
      `autograd.testing` draw its operands, and the constants they use;
    - ``numpy``: the forms compiled mode needs where the shared rule would be unstable
      or slow (``{"forward": ..., "rules": ..., "bad": ...}``), said at the entry.

    A function of a list (sum, softmax, dot: no ``rules``) holds its vectorised forms
    instead, beside its Value rule: ``numpy``, the keywords of compiled mode's
    `autograd.compile.Rule` (its forward and derivatives over arrays with the inputs on
    a last axis); ``torch``, its forward over tensors (`autograd.torch_lowering`); and
    ``test_op``, the keywords of its `autograd.testing.Op` (how a random graph calls it).
    """

    __slots__ = (
        "_named",
        "apply",
        "branch",
        "call",
        "commutative",
        "constant_operands",
        "derivatives",
        "domain",
        "forward_rule",
        "kinks",
        "method",
        "methods",
        "name",
        "numpy",
        "params",
        "rules",
        "singular",
        "symbol",
        "test_avoid",
        "test_domain",
        "test_op",
        "test_params",
        "ties",
        "torch",
    )

    name: str
    symbol: str
    apply: Callable[[_Operands, tuple[Any, ...]], Value]
    derivatives: Callable[[Value], _Derivatives]

    def __init__(
        self,
        name: str,
        symbol: str,
        apply: Callable[[_Operands, tuple[Any, ...]], Value] | None = None,
        derivatives: Callable[[Value], _Derivatives] | None = None,
        *,
        params: tuple[str, ...] = (),
        call: Callable[..., Value] | None = None,
        method: Callable[..., Value] | None = None,
        methods: dict[str, Callable[..., Value]] | None = None,
        rules: tuple[_Rule, ...] = (),
        forward_rule: Callable[..., Any] | None = None,
        constant_operands: bool = False,
        commutative: bool = False,
        domain: Callable[..., Any] | None = None,
        singular: bool = False,
        kinks: Callable[..., tuple[float, ...]] | None = None,
        ties: bool = False,
        branch: Callable[[Value], tuple[float, ...]] | None = None,
        test_domain: tuple[tuple[float, float], ...] = ((-3.0, 3.0),),
        test_avoid: tuple[float, ...] = (),
        test_params: tuple[Any, ...] = (),
        numpy: dict[str, Any] | None = None,
        torch: Callable[..., Any] | None = None,
        test_op: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.params = params
        self.call = call
        self.method = method
        self.methods = methods or {}
        self.rules = rules
        self.forward_rule = forward_rule
        self.constant_operands = constant_operands
        self.commutative = commutative
        self.domain = domain
        self.singular = singular
        self.kinks = kinks or _no_kinks
        self.ties = ties
        self.branch = branch or _local_grads
        self.test_domain = test_domain
        self.test_avoid = test_avoid
        self.test_params = test_params
        self.numpy = numpy or {}
        self.torch = torch
        self.test_op = test_op
        self.apply = apply or self._apply_call
        self.derivatives = derivatives or self._derivatives_from_rules
        self._named = namedtuple(f"{name}_constants", params) if params else None

    # An Op is shared, and identity says which kind it is (``OPS[name] is op``): a copy
    # of a graph (``copy.deepcopy(model)``) keeps the same Op objects.
    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Op:
        return self

    @property
    def has_kinks(self) -> bool:
        """Whether the operation has points where it is not differentiable."""
        return self.ties or bool(self.kinks(*self.test_params))

    def documented(self, constant_left: bool) -> Callable[..., Any] | None:
        """The function whose docstring is the operation's formula: its method, or the
        reflected one (``__rsub__``) for a constant on the left."""
        if constant_left:
            reflected = [f for name, f in self.methods.items() if name.startswith("__r")]
            return reflected[0] if reflected else self.method
        return self.method

    def text(self, constants: tuple[Any, ...]) -> str:
        """The op string of a node with these constants (``Value.op``): ``"* 2"`` for
        ``x * 2``, ``"2 -"`` for ``2 - x``."""
        if self.constant_operands and constants:
            position, c = constants
            return f"{_fmt(c)} {self.symbol}" if position == 0 else f"{self.symbol} {_fmt(c)}"
        return self.symbol

    def named(self, constants: tuple[Any, ...]) -> tuple[Any, ...]:
        """A node's constants as named fields: ``operation(x * 2)[1].constant == 2.0``."""
        if self.constant_operands and constants:
            return _Constant(*constants)
        return self._named(*constants) if self._named is not None and constants else constants

    def arguments(self, operands: tuple[Any, ...], constants: tuple[Any, ...]) -> list[Any]:
        """The arguments the operation was called with, rebuilt from a node's parents (or
        other operands in their places) and constants: a constant operand back at its
        position, then the params."""
        if self.constant_operands and constants:
            position, c = constants
            args = list(operands)
            args.insert(position, c)
            return args
        return [*operands, *constants]

    def forward(self, data: Iterable[float], constants: tuple[Any, ...] = ()) -> float:
        """The operation's value at these parent values (floats), with these constants.

        Runs `apply` on fresh leaves under ``no_grad()``, so it is exactly the engine's
        own forward computation, its checks and error messages included.
        """
        with no_grad():
            leaves = tuple(_leaf(_as_number(x, f"{self.name}.forward")) for x in data)
            return self.apply(leaves, constants).data

    def _apply_call(self, operands: _Operands, constants: tuple[Any, ...]) -> Value:
        if self.call is None:
            raise TypeError(f"{self.name} is not an operation that can be applied again")
        return self.call(*self.arguments(operands, constants))

    def _derivatives_from_rules(self, node: Value) -> _Derivatives:
        """The rules over Values, for the arguments that are Values (the parents)."""
        args = self.arguments(node.parents, node._op[1:])
        return tuple(
            rule(_values_math, node, *args)
            for rule, a in zip(self.rules, args)
            if isinstance(a, Value)
        )

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class _Constant(NamedTuple):
    """A constant operand of a binary operation: where it sits (0 left, 1 right), its value."""

    position: int
    constant: float


def _no_kinks(*params: Any) -> tuple[float, ...]:
    return ()


def _local_grads(node: Value) -> tuple[float, ...]:
    return node.local_grads


# The math of Values for the rules (`autograd.ops.VALUES`): set by autograd.ops, which
# builds it from the entries; the engine only calls it.
_values_math: Any = None


#: The built-in operations by name: the engine's and `autograd.functional`'s.
OPS: dict[str, Op] = {}


def _register(op: Op) -> Op:
    """Enter a built-in Op in `OPS`."""
    if op.name in OPS:
        raise ValueError(f"an operation named {op.name!r} is already registered")
    OPS[op.name] = op
    return op


def operation(node: Value) -> tuple[Op, Any]:
    """(the Op that made `node`, its constants as named fields); ``(OPS["leaf"], ())``
    for a leaf.

    >>> op, constants = operation(Value(3.0) * 2)
    >>> op.name, constants.position, constants.constant
    ('mul', 1, 2.0)
    """
    op = node._op
    return op[0], op[0].named(op[1:])


def _stored(node: Value) -> _Derivatives:
    """The derivative rule of an operation whose local derivatives do not depend on its
    operands (they are constants, or piecewise constant as relu's): the stored floats."""
    return node.local_grads


def _no_parents(node: Value) -> _Derivatives:
    return ()


def _leaf_again(operands: _Operands, constants: tuple[Any, ...]) -> Value:
    raise TypeError("a leaf is not an operation: there is nothing to apply")


LEAF = _register(Op("leaf", "", _leaf_again, _no_parents))
_LEAF: tuple[Any, ...] = (LEAF,)


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


def _check_operands(op: str, operands: tuple[float, ...]) -> None:
    """On an error path: a ValueError if an operand is not finite. Every Value the engine
    makes is finite, so such an operand's ``data`` was set by hand; an overflow of the
    result is then not the cause, and rescaling is not the fix."""
    for i, x in enumerate(operands):
        if not _isfinite(x):
            raise ValueError(
                f"{op}: operand {i} is {x!r}, not a finite number. The engine makes only "
                f"finite Values, so this data was set outside it (v.data = ...); set it "
                f"to a finite number"
            )


def _constant(x: object, op: str) -> float:
    if isinstance(x, float) and _isfinite(x):  # the common case, checked fast
        return x
    return _as_number(x, f"constant operand of {op!r}")


def _compare_data(other: object) -> float:
    if isinstance(other, Value):
        return other.data
    return _as_number(other, "comparison with a Value")


def _finite_locals(op: str, operands: tuple[float, ...], *local_grads: float) -> tuple[float, ...]:
    """Return the local derivatives after checking that none overflowed."""
    for g in local_grads:
        if not _isfinite(g):
            _check_operands(op, operands)
            args = ", ".join(_fmt(x) for x in operands)
            raise OverflowError(
                f"the derivative of {op} at ({args}) is not finite ({g!r}); the inputs "
                f"are too close to a singularity to differentiate"
            )
    return local_grads


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
    """
    if not root.parents:
        leaves.append(root)
        return
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
        for parent in node.parents if parents is None else parents(node):
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
