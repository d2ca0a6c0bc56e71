"""The engine: `Value`, its primitive operations, and reverse-mode differentiation.

Every primitive computes its result *and its local derivatives* (d result / d parent,
as plain floats) when it runs, and stores both on the node it returns. `backward()`
is then the chain rule written once: walk the nodes from the output back to the
inputs and, for every edge, do ``parent.grad += local_grad * node.grad``.

Nodes hold no closures, so a graph has no reference cycles and is freed as soon as
its output is dropped. Walking the graph is iterative, so a chain of a million
operations backpropagates under Python's default recursion limit.

Numbers stay finite: an operation whose result (or local derivative) would be
infinite or NaN raises an error that names the operation and its operands.
"""

from __future__ import annotations

import math
import numbers
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from types import FrameType
from typing import Any, TypeVar

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
_EXP_MAX = math.log(1.7976931348623157e308)  # 709.78...: exp(x) overflows above this


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


def _fmt(x: float) -> str:
    """A short, readable form of a number for op strings and messages."""
    return f"{x:.6g}"


def _as_number(x: object, where: str) -> float:
    """Check that `x` is a finite real number and return it as a float."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise _not_a_number(x, where)
    try:
        value = float(x)
    except OverflowError:  # an int or Fraction past the float range
        raise _too_large(x, where) from None
    if not _isfinite(value):
        if value == value and x != value:  # finite in its own type (a longdouble)
            raise _too_large(x, where)
        raise ValueError(f"{where}: expected a finite number, got {value!r}")
    return value


def _not_a_number(x: object, where: str) -> TypeError:
    if isinstance(x, numbers.Complex) and not isinstance(x, bool):
        return TypeError(f"{where}: complex numbers are not supported, got {x!r}")
    hint = ""
    if isinstance(x, str):
        hint = f"; convert it first, e.g. Value(float({x!r}))"
    elif isinstance(x, bool):
        hint = "; a bool is not a number here: pass 1.0 or 0.0"
    elif hasattr(x, "item") and getattr(x, "ndim", None) == 0:  # a numpy scalar or 0-d array
        hint = (
            "; a bool is not a number here: pass 1.0 or 0.0"  # .item() would give a bool
            if isinstance(x.item(), bool)
            else "; use .item() to get the number out of the array"
        )
    elif isinstance(x, (list, tuple)) or hasattr(x, "__len__"):
        hint = "; a Value holds one number: make one Value per element"
    return TypeError(
        f"{where}: expected a real number (int, float or numpy scalar), "
        f"got {type(x).__name__} {x!r}{hint}"
    )


def _too_large(x: object, where: str) -> ValueError:
    if isinstance(x, int):  # its repr may be thousands of digits
        shown = f"an int of about {int(x.bit_length() * 0.30103) + 1} digits"
    else:
        shown = f"{type(x).__name__} {x!r}"
        if len(shown) > 80:  # a Fraction of huge ints
            shown = shown[:60] + "..."
    return ValueError(
        f"{where}: expected a finite number, got {shown}, too large for a float (whose "
        f"magnitude is at most 1.8e308); scale it down first"
    )


class Value:
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

    # ------------------------------------------------------------- arithmetic
    # Each binary operator has a Value-Value form and a Value-constant form. The local
    # derivatives are written next to the forward value they belong to.

    def __add__(self, other: Value | float) -> Value:
        """Forward: a + b. Local derivatives: 1, 1."""
        if isinstance(other, Value):
            return _node(self.data + other.data, _ADD, (self, other), (1.0, 1.0))
        c = _constant(other, "+")
        return _node(self.data + c, (ADD_CONST, c), (self,), (1.0,))

    def __radd__(self, other: float) -> Value:
        c = _constant(other, "+")
        return _node(c + self.data, (ADD_CONST, c), (self,), (1.0,))

    def __sub__(self, other: Value | float) -> Value:
        """Forward: a - b. Local derivatives: 1, -1."""
        if isinstance(other, Value):
            return _node(self.data - other.data, _SUB, (self, other), (1.0, -1.0))
        c = _constant(other, "-")
        return _node(self.data - c, (SUB_CONST, c), (self,), (1.0,))

    def __rsub__(self, other: float) -> Value:
        c = _constant(other, "-")
        return _node(c - self.data, (RSUB_CONST, c), (self,), (-1.0,))

    def __mul__(self, other: Value | float) -> Value:
        """Forward: a * b. Local derivatives: b, a."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            return _node(a * b, _MUL, (self, other), (b, a))
        c = _constant(other, "*")
        return _node(self.data * c, (MUL_CONST, c), (self,), (c,))

    def __rmul__(self, other: float) -> Value:
        c = _constant(other, "*")
        return _node(c * self.data, (MUL_CONST, c), (self,), (c,))

    def __truediv__(self, other: Value | float) -> Value:
        """Forward: q = a / b. Local derivatives: 1 / b, -q / b."""
        if isinstance(other, Value):
            a, b = self.data, other.data
            if b == 0.0:
                raise ZeroDivisionError(f"division by zero: {_fmt(a)} / {_fmt(b)} (Value / Value)")
            q = a / b
            return _node(q, _DIV, (self, other), _finite_locals("/", (a, b), 1.0 / b, -q / b))
        c = _constant(other, "/")
        if c == 0.0:
            raise ZeroDivisionError(f"division by zero: Value({_fmt(self.data)}) / 0")
        q = self.data / c
        return _node(q, (DIV_CONST, c), (self,), _finite_locals("/", (self.data, c), 1.0 / c))

    def __rtruediv__(self, other: float) -> Value:
        """Forward: q = c / b. Local derivative: -q / b."""
        c = _constant(other, "/")
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero: {_fmt(c)} / Value({_fmt(b)})")
        q = c / b
        return _node(q, (RDIV_CONST, c), (self,), _finite_locals("/", (c, b), -q / b))

    def __pow__(self, other: Value | float) -> Value:
        """Forward: y = x ** p.

        A number exponent p: local derivative p * x ** (p - 1); x may be negative when
        p is a whole number. A Value exponent: local derivatives p * x ** (p - 1) and
        y * log(x), which needs x > 0, or x = 0 with p >= 0: there, as in torch, the
        derivative in the exponent is 0 (y = 0 ** p is 0 for every p > 0).
        """
        x = self.data
        if isinstance(other, Value):
            p = other.data
            if x < 0.0:
                raise ValueError(
                    f"Value ** Value needs a positive base or 0 (the derivative in the "
                    f"exponent is y * log(base)), got {_fmt(x)} ** {_fmt(p)}; for a fixed "
                    f"power use a plain number exponent, e.g. x ** 2"
                )
            y = _power(x, p)
            slope = y * math.log(x) if x else 0.0
            return _node(
                y,
                _POW,
                (self, other),
                _finite_locals("**", (x, p), _power_derivative(x, p, y), slope),
            )
        p = _constant(other, "**")
        y = _power(x, p)
        return _node(y, (POW_CONST, p), (self,), (_power_derivative(x, p, y),))

    def __rpow__(self, other: float) -> Value:
        """Forward: y = c ** x for a constant c > 0. Local derivative: y * log(c).

        c = 0 (as in torch): y is 0 for x > 0 and 1 for x = 0, with derivative 0.
        """
        c = _constant(other, "**")
        x = self.data
        if c < 0.0:
            raise ValueError(
                f"number ** Value needs a positive base or 0 (the derivative is "
                f"y * log(base)), got {_fmt(c)} ** Value({_fmt(x)})"
            )
        y = _power(c, x)
        slope = y * math.log(c) if c else 0.0
        return _node(y, (RPOW_CONST, c), (self,), _finite_locals("**", (c, x), slope))

    def __neg__(self) -> Value:
        """Forward: -x. Local derivative: -1."""
        return _node(-self.data, _NEG, (self,), (-1.0,))

    def __pos__(self) -> Value:
        return self

    # ---------------------------------------------------------- functions

    def exp(self) -> Value:
        """Forward: y = exp(x). Local derivative: y."""
        x = self.data
        if x > _EXP_MAX:
            _check_operands("exp", (x,))
            raise OverflowError(
                f"exp({_fmt(x)}) overflows: exp needs x <= {_EXP_MAX:.2f}. For "
                f"log(sum(exp(x))) use autograd.logsumexp, for probabilities "
                f"autograd.softmax, for log(1 + exp(x)) Value.softplus"
            )
        y = math.exp(x)
        return _node(y, _EXP, (self,), (y,))

    def log(self) -> Value:
        """Forward: log(x), natural logarithm, x > 0. Local derivative: 1 / x."""
        x = self.data
        if x <= 0.0:
            raise ValueError(
                f"log({_fmt(x)}) is undefined: log needs a positive input. For the log of a "
                f"probability use autograd.log_softmax(logits) or "
                f"nn.binary_cross_entropy_with_logits; for log(1 + exp(x)) use Value.softplus"
            )
        return _node(math.log(x), _LOG, (self,), _finite_locals("log", (x,), 1.0 / x))

    def sqrt(self) -> Value:
        """Forward: y = sqrt(x), x >= 0. Local derivative: 1 / (2 y), so x > 0 when recorded."""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt({_fmt(x)}) is undefined: sqrt needs x >= 0")
        y = math.sqrt(x)
        if y == 0.0 and is_grad_enabled():
            raise ValueError(
                f"sqrt({_fmt(x)}) has an infinite derivative 1 / (2 sqrt(x)); differentiate "
                f"sqrt(x + eps) with a small eps instead, or compute it under no_grad()"
            )
        return _node(y, _SQRT, (self,), _finite_locals("sqrt", (x,), 0.5 / y) if y else ())

    def tanh(self) -> Value:
        """Forward: t = tanh(x). Local derivative: 1 - t**2."""
        t = math.tanh(self.data)
        return _node(t, _TANH, (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """Forward: s = 1 / (1 + exp(-x)), never overflowing. Local derivative: s (1 - s)."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, _SIGMOID, (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """Forward: max(x, 0). Local derivative: 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
        x = self.data
        if x > 0.0:
            return _node(x, _RELU, (self,), (1.0,))
        return _node(0.0, _RELU, (self,), (0.0,))

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """Forward: x for x > 0, else negative_slope * x.

        Local derivative: 1 for x > 0, else negative_slope (negative_slope at x = 0, as
        PyTorch).
        """
        slope = _constant(negative_slope, "leaky_relu(negative_slope)")
        x = self.data
        if x > 0.0:
            return _node(x, (LEAKY_RELU, slope), (self,), (1.0,))
        return _node(slope * x, (LEAKY_RELU, slope), (self,), (slope,))

    def softplus(self) -> Value:
        """Forward: log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it never
        overflows. Local derivative: sigmoid(x)."""
        x = self.data
        e = math.exp(-abs(x))  # in (0, 1]
        y = max(x, 0.0) + math.log1p(e)
        s = 1.0 / (1.0 + e) if x >= 0.0 else e / (1.0 + e)
        return _node(y, _SOFTPLUS, (self,), (s,))

    def abs(self) -> Value:
        """Forward: |x|. Local derivative: sign(x), 0 at x = 0 (as PyTorch)."""
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
        return _node(abs(x), _ABS, (self,), (sign,))

    __abs__ = abs

    def sin(self) -> Value:
        """Forward: sin(x). Local derivative: cos(x)."""
        x = self.data
        return _node(math.sin(x), _SIN, (self,), (math.cos(x),))

    def cos(self) -> Value:
        """Forward: cos(x). Local derivative: -sin(x)."""
        x = self.data
        return _node(math.cos(x), _COS, (self,), (-math.sin(x),))

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
# tuple instead of a formatted string: ``v.op`` formats it only when asked.
#
# An Op knows three things about its kind: its name (``"mul_const"``, ``"exp"``), how to
# apply it again to other operands, and its derivative rule written with Value
# operations, which `autograd.grad(..., create_graph=True)` uses to differentiate again.
# The float local derivatives stored on each node stay the fast path of ``backward()``.

_Operands = tuple["Value", ...]
_Derivatives = tuple["Value | float", ...]


class Op:
    """One kind of operation of the engine, shared by every node it makes.

    - ``name``: the kind, unique among the built-in operations (``OPS[name] is op``);
    - ``symbol``: how ``Value.op`` shows it; ``"{0}"`` in it stands for the first
      constant (``"* {0}"`` shows as ``"* 2"``);
    - ``apply(operands, constants)``: the operation run again on other Values (one
      per parent, in order) with the node's constants; it records a node as usual;
    - ``derivatives(node)``: d node / d parent for each parent, written with Value
      operations (or plain floats where a derivative is a constant), so they can be
      differentiated again. They equal ``node.local_grads`` in value.
    """

    __slots__ = ("_shows_constant", "apply", "derivatives", "name", "symbol")

    name: str
    symbol: str
    apply: Callable[[_Operands, tuple[Any, ...]], Value]
    derivatives: Callable[[Value], _Derivatives]

    def __init__(
        self,
        name: str,
        symbol: str,
        apply: Callable[[_Operands, tuple[Any, ...]], Value],
        derivatives: Callable[[Value], _Derivatives],
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.apply = apply
        self.derivatives = derivatives
        self._shows_constant = "{0}" in symbol

    # An Op is shared, and identity says which kind it is (``OPS[name] is op``): a copy
    # of a graph (``copy.deepcopy(model)``) keeps the same Op objects.
    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Op:
        return self

    def text(self, constants: tuple[Any, ...]) -> str:
        """The op string of a node with these constants (``Value.op``)."""
        return self.symbol.format(_fmt(constants[0])) if self._shows_constant else self.symbol

    def forward(self, data: Iterable[float], constants: tuple[Any, ...] = ()) -> float:
        """The operation's value at these parent values (floats), with these constants.

        Runs `apply` on fresh leaves under ``no_grad()``, so it is exactly the engine's
        own forward computation, its checks and error messages included.
        """
        with no_grad():
            leaves = tuple(_leaf(_as_number(x, f"{self.name}.forward")) for x in data)
            return self.apply(leaves, constants).data

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


#: The built-in operations by name: the engine's and `autograd.functional`'s.
OPS: dict[str, Op] = {}


def _register(
    name: str,
    symbol: str,
    apply: Callable[[_Operands, tuple[Any, ...]], Value],
    derivatives: Callable[[Value], _Derivatives],
) -> Op:
    """Make a built-in Op and enter it in `OPS`."""
    if name in OPS:
        raise ValueError(f"an operation named {name!r} is already registered")
    op = OPS[name] = Op(name, symbol, apply, derivatives)
    return op


def operation(node: Value) -> tuple[Op, tuple[Any, ...]]:
    """(the Op that made `node`, its constants); ``(OPS["leaf"], ())`` for a leaf.

    >>> op, constants = operation(Value(3.0) * 2)
    >>> op.name, constants
    ('mul_const', (2.0,))
    """
    op = node._op
    return op[0], op[1:]


def _stored(node: Value) -> _Derivatives:
    """The derivative rule of an operation whose local derivatives do not depend on its
    operands (they are constants, or piecewise constant as relu's): the stored floats."""
    return node.local_grads


def _no_parents(node: Value) -> _Derivatives:
    return ()


def _leaf_again(operands: _Operands, constants: tuple[Any, ...]) -> Value:
    raise TypeError("a leaf is not an operation: there is nothing to apply")


LEAF = _register("leaf", "", _leaf_again, _no_parents)
_LEAF: tuple[Any, ...] = (LEAF,)

# The engine's operations, in the order of Value's methods: name, symbol, the
# operation applied again, and d result / d parent as Value operations (``n`` is the
# node, so ``n`` itself is the result: d exp(x) = exp(x) reads ``(n,)``).
ADD = _register("add", "+", lambda p, c: p[0] + p[1], _stored)
ADD_CONST = _register("add_const", "+ {0}", lambda p, c: p[0] + c[0], _stored)
SUB = _register("sub", "-", lambda p, c: p[0] - p[1], _stored)
SUB_CONST = _register("sub_const", "- {0}", lambda p, c: p[0] - c[0], _stored)
RSUB_CONST = _register("rsub_const", "{0} -", lambda p, c: c[0] - p[0], _stored)
MUL = _register("mul", "*", lambda p, c: p[0] * p[1], lambda n: (n.parents[1], n.parents[0]))
MUL_CONST = _register("mul_const", "* {0}", lambda p, c: p[0] * c[0], _stored)
DIV = _register(
    "div", "/", lambda p, c: p[0] / p[1], lambda n: (1.0 / n.parents[1], -n / n.parents[1])
)
DIV_CONST = _register("div_const", "/ {0}", lambda p, c: p[0] / c[0], _stored)
RDIV_CONST = _register(
    "rdiv_const", "{0} /", lambda p, c: c[0] / p[0], lambda n: (-n / n.parents[0],)
)
POW = _register(
    "pow",
    "**",
    lambda p, c: p[0] ** p[1],
    lambda n: _pow_derivatives(n),
)
POW_CONST = _register(
    "pow_const", "** {0}", lambda p, c: p[0] ** c[0], lambda n: _pow_const_derivative(n)
)
RPOW_CONST = _register(
    "rpow_const",
    "{0} **",
    lambda p, c: c[0] ** p[0],
    lambda n: (n * math.log(n._op[1]) if n._op[1] else 0.0,),  # 0 ** x: see __rpow__
)
NEG = _register("neg", "neg", lambda p, c: -p[0], _stored)
EXP = _register("exp", "exp", lambda p, c: p[0].exp(), lambda n: (n,))
LOG = _register("log", "log", lambda p, c: p[0].log(), lambda n: (1.0 / n.parents[0],))
SQRT = _register("sqrt", "sqrt", lambda p, c: p[0].sqrt(), lambda n: (0.5 / n,))
TANH = _register("tanh", "tanh", lambda p, c: p[0].tanh(), lambda n: (1.0 - n * n,))
SIGMOID = _register("sigmoid", "sigmoid", lambda p, c: p[0].sigmoid(), lambda n: (n * (1.0 - n),))
RELU = _register("relu", "relu", lambda p, c: p[0].relu(), _stored)
LEAKY_RELU = _register("leaky_relu", "leaky_relu", lambda p, c: p[0].leaky_relu(c[0]), _stored)
SOFTPLUS = _register(
    "softplus", "softplus", lambda p, c: p[0].softplus(), lambda n: (n.parents[0].sigmoid(),)
)
ABS = _register("abs", "abs", lambda p, c: p[0].abs(), _stored)
SIN = _register("sin", "sin", lambda p, c: p[0].sin(), lambda n: (n.parents[0].cos(),))
COS = _register("cos", "cos", lambda p, c: p[0].cos(), lambda n: (-n.parents[0].sin(),))

# The shared `_op` tuples of the operations without constants.
_ADD, _SUB, _MUL, _DIV, _POW = (ADD,), (SUB,), (MUL,), (DIV,), (POW,)
_NEG, _EXP, _LOG, _SQRT, _TANH = (NEG,), (EXP,), (LOG,), (SQRT,), (TANH,)
_SIGMOID, _RELU, _SOFTPLUS, _ABS = (SIGMOID,), (RELU,), (SOFTPLUS,), (ABS,)
_SIN, _COS = (SIN,), (COS,)


def _pow_derivatives(n: Value) -> _Derivatives:
    """d x**p / dx = p * x ** (p - 1) and d x**p / dp = x**p log(x), as Value operations.
    At x = 0 the second is 0, as in torch (see `Value.__pow__`), and the first is p * x **
    (p - 1), or the constant 0 for p = 0, where x ** -1 would be undefined."""
    x, p = n.parents
    if x.data == 0.0:
        return (0.0 if p.data == 0.0 else p * x ** (p - 1.0), 0.0)
    return (p * (n / x), n * x.log())


def _pow_const_derivative(n: Value) -> _Derivatives:
    """d x**p / dx = p * x ** (p - 1), as Value operations (a constant for p = 0 or 1)."""
    p = n._op[1]
    if p == 0.0 or p == 1.0:
        return n.local_grads
    x = n.parents[0]
    if p - (p - 1.0) != 1.0:
        # |p| > 2**53: p is even and p - 1 is not a float; it rounds to an even number,
        # which would drop the sign of x ** (p - 1) for x < 0. p - 2 is even as a float
        # and exactly, so x ** (p - 2) * x keeps it.
        return (p * (x ** (p - 2.0) * x),)
    return (p * x ** (p - 1.0),)


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
    return frame.f_globals.get("__name__", "").partition(".")[0] in ("autograd", "nn")


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


def _power(x: float, p: float) -> float:
    """x ** p as a finite float, or an error that names the operands."""
    if x < 0.0 and not p.is_integer():
        raise ValueError(
            f"{_fmt(x)} ** {_fmt(p)} is not a real number: a negative base needs a whole "
            f"number exponent"
        )
    if x == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"0 ** {_fmt(p)} is infinite: zero to a negative power")
    try:
        y: float = x**p
    except OverflowError:
        raise OverflowError(f"{_fmt(x)} ** {_fmt(p)} overflows") from None
    return y


_TINY = 2.2250738585072014e-308  # the smallest normal float: below it, digits are lost


def _power_derivative(x: float, p: float, y: float) -> float:
    """d(x ** p)/dx = p * x ** (p - 1), finite or an error.

    From y = x ** p as p * (y / x), which costs no second power and never overflows
    where the derivative is finite (p * y would, near the float maximum). Where y has
    underflowed (0 or subnormal, with fewer digits) y / x has lost what x ** (p - 1)
    still holds, so that is computed instead: d(x**2)/dx at 1e-200 is 2e-200, not 0.
    """
    if p == 0.0:
        return 0.0
    if x != 0.0:
        if -_TINY < y < _TINY:
            try:
                d = p * x ** (p - 1.0)
            except OverflowError:
                d = math.inf  # reported just below
        else:
            d = p * (y / x)
        return _finite_locals("**", (x, p), d)[0]
    if p >= 1.0:
        return 1.0 if p == 1.0 else 0.0
    if not is_grad_enabled():
        return 0.0  # not recorded
    raise ValueError(
        f"0 ** {_fmt(p)} has an infinite derivative; differentiate (x + eps) ** {_fmt(p)} "
        f"with a small eps instead, or compute it under no_grad()"
    )


# ---------------------------------------------------------------- graph traversal


_DONE = None  # stack marker: the node below it has had all its parents emitted


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last.

    A post-order depth-first search with an explicit stack, so depth is limited by
    memory, not by the recursion limit. A node is expanded when it is popped the first
    time: it goes back on the stack under a marker, with its parents above, so it is
    emitted only after all of them. Leaves have no parents and are emitted as soon as
    they are found. (A DAG has no path from a node back to itself, so a node that is
    already visited when reached again is already emitted.)
    """
    if not root.parents:
        return [root]
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is _DONE:
            order.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append(node)
        stack.append(_DONE)
        for parent in node.parents:
            if parent not in visited:
                if parent.parents:
                    stack.append(parent)
                else:
                    visited.add(parent)
                    order.append(parent)
    return order


def _backward_order(root: Value) -> tuple[list[Value], list[Value]]:
    """(interior, leaves): what a gradient from `root` reaches, the interior nodes in
    topological order (`topological_order`'s walk) and the leaves apart.

    An edge whose local derivative is 0 carries nothing, so it is not followed: a node
    reached only through such edges (behind a relu at x <= 0, a hinge that is
    satisfied) is left out, which is exact and in a relu network often most of the
    graph.
    """
    interior: list[Value] = []
    leaves: list[Value] = []
    if not root.parents:
        return interior, [root]
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
        parents = node.parents
        if 0.0 in node.local_grads:  # one scan in C; then drop those edges
            parents = tuple([p for p, local in zip(parents, node.local_grads) if local])
        for parent in parents:
            if parent not in visited:
                if parent.parents:
                    stack.append(parent)
                else:
                    visited.add(parent)
                    leaves.append(parent)
    return interior, leaves
