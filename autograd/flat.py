"""Parameters in flat arrays: `FlatParameters`, the storage compiled training runs on.

Moving thousands of parameters through Python floats costs more than the arithmetic of
a compiled step (reading ``p.data`` into an array, writing ``p.grad`` back, an optimizer
looping over Values). ``FlatParameters(params)`` moves the numbers of a list of leaf
Values into two float64 arrays, ``data`` and ``grad``, for as long as it is open:

>>> import numpy as np
>>> from autograd import Value
>>> w, b = Value(2.0), Value(-1.0)
>>> with FlatParameters([w, b]) as flat:
...     flat.data *= 10.0          # one numpy call updates every parameter
...     w.data, b.data             # the Values read the arrays: always current
(20.0, -10.0)
>>> w.data                         # released: the numbers are the Values' own again
20.0

While open, each Value's ``data`` and ``grad`` *are* its entries of the arrays: reading
or writing either attribute goes to the array, so nothing is ever out of date and no
copy is made back and forth. Whoever holds the arrays (a compiled program, an
optimizer's ``step_arrays``) works on all parameters in a few numpy calls, and a user
who looks at ``p.data`` or ``p.grad`` at any moment (in a callback, after Ctrl-C, after
an error) sees the current numbers. `autograd.compile`'s programs and `nn.optim`'s
optimizers notice on their own when their parameters are one open `FlatParameters`, in
order, and then work on its arrays directly; `nn.fit(compile=True)` opens one for the
run.

Values outside any `FlatParameters` are untouched, so eager code on them runs as fast
as ever; a bound Value used in eager code works too, a little slower (its ``data`` is
read from the array). ``release()`` (or leaving the ``with`` block) writes the final
numbers back into the Values.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from autograd.engine import Value

__all__ = ["FlatParameters"]

Array = NDArray[np.float64]

_DATA: Any = Value.__dict__["data"]  # the slots' own descriptors, under the properties
_GRAD: Any = Value.__dict__["grad"]

# id(value) -> (its FlatParameters, its index), for every Value bound right now. The
# store holds its Values, so an id here cannot be reused while it is listed.
_PLACES: dict[int, tuple[FlatParameters, int]] = {}


class _Bound(Value):
    """A Value whose ``data`` and ``grad`` live in a `FlatParameters`' arrays."""

    __slots__ = ()

    @property
    def data(self) -> float:
        store, i = _PLACES[id(self)]
        return float(store._data[i])

    @data.setter
    def data(self, value: float) -> None:
        store, i = _PLACES[id(self)]
        store._data[i] = value

    @property
    def grad(self) -> float:
        store, i = _PLACES[id(self)]
        return float(store._grad[i])

    @grad.setter
    def grad(self, value: float) -> None:
        store, i = _PLACES[id(self)]
        store._grad[i] = value

    def __reduce_ex__(self, protocol: Any) -> Any:
        # copy, deepcopy and pickle make a plain Value with the current numbers: a copy
        # is not bound to the arrays.
        return _plain, (self.data, self.grad, self.label)


def _plain(data: float, grad: float, label: str) -> Value:
    v = Value(data, label)
    v.grad = grad
    return v


_data_of = attrgetter("data")
_grad_of = attrgetter("grad")


class FlatParameters:
    """The ``data`` and ``grad`` of leaf Values held in two float64 arrays while open.

    ``FlatParameters(params)`` binds them (in the order given); ``release()``, or the end
    of a ``with`` block, writes the numbers back into the Values and unbinds them.
    ``data`` and ``grad`` are the arrays (written in place, never replaced);
    ``parameters`` the Values; ``index(v)`` a Value's entry.
    """

    def __init__(self, params: Iterable[Value]) -> None:
        values = _checked_parameters(params)
        self.parameters: list[Value] = values
        self._data: Array = np.fromiter(map(_data_of, values), float, len(values))
        self._grad: Array = np.fromiter(map(_grad_of, values), float, len(values))
        self._open = True
        for i, v in enumerate(values):
            _PLACES[id(v)] = (self, i)
            v.__class__ = _Bound

    @property
    def data(self) -> Array:
        """The parameters' values, one entry each, in the order given."""
        return self._data

    @data.setter
    def data(self, values: Any) -> None:
        self._assign(self._data, values, "data")

    @property
    def grad(self) -> Array:
        """The parameters' gradients, one entry each, in the order given."""
        return self._grad

    @grad.setter
    def grad(self, values: Any) -> None:
        self._assign(self._grad, values, "grad")

    def _assign(self, array: Array, values: Any, name: str) -> None:
        """``flat.data = x`` (and ``flat.data *= 2``) writes into the array, which the
        Values read: it is never replaced."""
        if values is array:
            return
        new = np.asarray(values, dtype=float)
        if new.shape not in (array.shape, ()):
            raise ValueError(
                f"FlatParameters.{name}: got shape {new.shape}, expected {array.shape} (one "
                f"entry per parameter) or a single number"
            )
        if not np.isfinite(new).all():
            raise ValueError(
                f"FlatParameters.{name}: got a value that is not finite; parameters and "
                f"gradients stay finite numbers"
            )
        array[...] = new

    @property
    def open(self) -> bool:
        """Whether the Values are bound to the arrays (until `release`)."""
        return self._open

    def __len__(self) -> int:
        return len(self.parameters)

    def __repr__(self) -> str:
        state = "open" if self._open else "released"
        return f"FlatParameters({len(self.parameters)} parameters, {state})"

    def index(self, v: Value) -> int:
        """Where ``v``'s numbers are in ``data`` and ``grad``; ValueError if not here."""
        place = _PLACES.get(id(v)) if self._open else None
        if place is None or place[0] is not self:
            raise ValueError(f"FlatParameters.index: {v!r} is not one of these parameters")
        return place[1]

    def release(self) -> None:
        """Write the numbers back into the Values and unbind them; a second call does
        nothing."""
        if not self._open:
            return
        data, grad = self._data.tolist(), self._grad.tolist()
        for v, x, g in zip(self.parameters, data, grad):
            v.__class__ = Value
            _DATA.__set__(v, x)
            _GRAD.__set__(v, g)
            del _PLACES[id(v)]
        self._open = False

    def __enter__(self) -> FlatParameters:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @staticmethod
    def of(params: list[Value]) -> tuple[FlatParameters, slice] | None:
        """(the open `FlatParameters`, the run of its entries) when ``params`` are one run
        of one store's parameters, in order (its arrays' run is then theirs entry for
        entry), or None."""
        if not params:
            return None
        place = _PLACES.get(id(params[0]))
        if place is None:
            return None
        store, start = place
        stop = start + len(params)
        if stop > len(store.parameters):
            return None
        run = store.parameters[start:stop]
        if store.parameters is params or all(map(_same, run, params)):
            return store, slice(start, stop)
        return None

    @staticmethod
    def holding(v: Value) -> FlatParameters | None:
        """The open `FlatParameters` that holds ``v``, or None."""
        place = _PLACES.get(id(v))
        return None if place is None else place[0]


def _same(a: Value, b: Value) -> bool:
    return a is b


def _checked_parameters(params: Iterable[Value]) -> list[Value]:
    if isinstance(params, Value):
        raise TypeError(
            "FlatParameters takes a list of Values, got one Value; wrap it: FlatParameters([v])"
        )
    try:
        values = list(params)
    except TypeError:
        raise TypeError(
            f"FlatParameters takes a list of Values (e.g. model.parameters()), got "
            f"{type(params).__name__}"
        ) from None
    seen: set[int] = set()
    for k, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(
                f"FlatParameters: parameter {k} is {type(v).__name__} {v!r:.60}, not a Value"
            )
        if type(v) is not Value:
            why = "already in an open FlatParameters" if id(v) in _PLACES else "being traced"
            raise ValueError(
                f"FlatParameters: parameter {k} ({v!r}) is {why}; a Value can be held by "
                f"one FlatParameters at a time: release the other first"
            )
        if v.parents:
            raise ValueError(
                f"FlatParameters: parameter {k} ({v!r}) was computed by {v.op!r}, not a "
                f"leaf; only leaves (a model's parameters) can be held"
            )
        if id(v) in seen:
            raise ValueError(
                f"FlatParameters: parameter {k} ({v!r}) is given twice; give each once"
            )
        seen.add(id(v))
    return values
