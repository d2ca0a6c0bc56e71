"""An operation's entry, `Op`, and the table of the built-in ones, `OPS`: which
operation made a node (`operation`), with its constants as named fields.

`autograd.engine` imports this module and re-exports its names; this module imports
nothing of the engine at runtime (the engine sets `_engine` to itself when it loads),
so the two are read apart: the engine makes and walks nodes, this says what they are.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from autograd._numbers import as_number, fmt

if TYPE_CHECKING:
    from autograd.engine import Value

__all__ = ["LEAF", "OPS", "Op", "operation"]

# The engine module, set by it as it loads: `Op.forward` makes leaves under its no_grad,
# and the rules over Values tell parents (Values) from constants.
_engine: Any = None


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
            return f"{fmt(c)} {self.symbol}" if position == 0 else f"{self.symbol} {fmt(c)}"
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
        with _engine.no_grad():
            leaves = tuple(_engine._leaf(as_number(x, f"{self.name}.forward")) for x in data)
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
            if isinstance(a, _engine.Value)
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
