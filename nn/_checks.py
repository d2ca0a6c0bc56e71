"""The one validation layer of `nn`: every public argument is checked here.

Each check takes ``(where, name, value, ...)`` and returns the value normalised (a
float, an int, a bool, a numpy Generator ...), or raises with one message form::

    {where}: {name} must be {what was expected}; got {name}={what was given}[: {how to fix it}]

for example ``SGD: lr must be a finite number >= 0; got lr=-0.1`` or ``make_moons:
seed must be None, an int >= 0 or a numpy Generator; got seed='x' (str)``. The wrong
kind of value (a str, a bool for a number, a float for an int) raises ``TypeError``;
the right kind with a wrong value (out of range, nan, an int too large for a float)
raises ``ValueError``. ``where`` names the function or class the user called
(``"SGD"``, ``"fit"``, ``"make_moons"``), ``name`` the argument as the user spelled it
(``"lr"``, ``"betas[0]"``).

The argument order ``(where, name, value)`` lets a class keep a table of checks,
``{"lr": nonnegative, "momentum": nonnegative, ...}``, and run it over any mapping of
arguments, as `nn.optim` does for hyper-parameters.

The engine keeps its own ``autograd.engine._as_number``: ``autograd`` knows nothing of
``nn`` and imports only the standard library in its core, its messages follow the
engine's form ("Value(data): expected a real number ..."), and it sits on the hot path
of every operation, so it stays a single private function there. `real` here is the
same rule (bool, str, complex, nan, inf refused; ints too large for a float refused as
ValueError) in nn's message form.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "bad_array",
    "choice",
    "data",
    "exact_keys",
    "fail",
    "flag",
    "fraction",
    "instance",
    "integer",
    "no_renamed",
    "nonnegative",
    "positive",
    "positive_int",
    "probability",
    "real",
    "rng",
    "samples",
    "shown",
]

_isfinite = math.isfinite
_MAX_SHOWN = 80  # characters of a repr shown in a message before it is cut


# ---------------------------------------------------------------- the message form


def shown(value: object) -> str:
    """`value` as a message shows it: its repr, cut to a readable length, with its type
    where the repr does not make the type plain (``'0.5' (str)``, ``True (bool)``).

    Huge ints are described by their number of digits (their repr could be thousands
    of characters, and past 4,300 digits Python refuses to write it at all), data
    nested too deeply to print by its type.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"an int of about {digits} digits"
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply to show"
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    if isinstance(value, (bool, str, bytes)) or value is None:
        return f"{text} ({type(value).__name__})" if value is not None else text
    if type(value) in (int, float):
        return text
    return f"{text} ({type(value).__name__})"


def fail(
    where: str,
    name: str,
    value: object,
    expected: str,
    fix: str = "",
    error: type[Exception] = ValueError,
) -> NoReturn:
    """Raise `error` with the one message form (see the module docstring)."""
    message = f"{where}: {name} must be {expected}; got {name}={shown(value)}"
    raise error(f"{message}: {fix}" if fix else message)


def _type_fix(value: object, wanted: str) -> str:
    """How to turn a value of the wrong kind into the kind wanted, where it is clear."""
    if isinstance(value, bool):
        return f"pass {wanted}, not True or False"
    if isinstance(value, str):
        convert = "int" if wanted.startswith("an int") else "float"
        return f"convert the text first, e.g. {convert}({value!r})"
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return "use .item() to take the number out of the array"
    if isinstance(value, numbers.Complex):
        return "complex numbers are not supported; pass the real part"
    return ""


# ---------------------------------------------------------------- numbers


def real(
    where: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """`value` as a finite float within the given bounds (closed unless ``*_open``).

    A real number is an int, float, fraction or numpy scalar; not a bool, a str or a
    complex. An int too large for a float is a ValueError, as nan and inf are.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        fix = _type_fix(value, "a number")
        fail(where, name, value, _range(name, low, high, low_open, high_open), fix, TypeError)
    try:
        x = float(value)
    except OverflowError:
        fix = "it is too large for a float (above 1.8e308)"
        fail(where, name, value, _range(name, low, high, low_open, high_open), fix)
    if (
        not _isfinite(x)
        or (low is not None and (x < low or (low_open and x == low)))
        or (high is not None and (x > high or (high_open and x == high)))
    ):  # fmt: skip
        fail(where, name, value, _range(name, low, high, low_open, high_open))
    return x


def _range(
    name: str, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> str:
    """What `real` expected, in words (built only when a check fails)."""
    kind = "a finite number"
    lo = "<" if low_open else "<="
    hi = "<" if high_open else "<="
    if low is not None and high is not None:
        return f"{kind} with {low:g} {lo} {name} {hi} {high:g}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return kind


def nonnegative(where: str, name: str, value: Any) -> float:
    """A finite number >= 0 (a learning rate, a weight decay, a noise level)."""
    return real(where, name, value, low=0.0)


def positive(where: str, name: str, value: Any) -> float:
    """A finite number > 0 (a tolerance, a standard deviation, a decay factor)."""
    return real(where, name, value, low=0.0, low_open=True)


def probability(where: str, name: str, value: Any) -> float:
    """A number with 0 <= value <= 1 (a dampening, a smoothing constant)."""
    return real(where, name, value, low=0.0, high=1.0)


def fraction(where: str, name: str, value: Any) -> float:
    """A number with 0 < value < 1 (a share of the samples: test_size, validation_split)."""
    return real(where, name, value, low=0.0, high=1.0, low_open=True, high_open=True)


def integer(
    where: str, name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """`value` as an int within ``[minimum, maximum]``; numpy ints count, bools and floats
    do not (``2.0`` is a TypeError that says to pass ``2``)."""
    if minimum is not None and maximum is not None:
        expected = f"an int with {minimum} <= {name} <= {maximum}"
    elif minimum is not None:
        expected = f"an int >= {minimum}"
    elif maximum is not None:
        expected = f"an int <= {maximum}"
    else:
        expected = "an int"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fix = _type_fix(value, "an int")
        if isinstance(value, float) and value.is_integer():
            fix = f"pass {int(value)}"
        fail(where, name, value, expected, fix, TypeError)
    n = int(value)
    if (minimum is not None and n < minimum) or (maximum is not None and n > maximum):
        fail(where, name, value, expected)
    return n


def positive_int(where: str, name: str, value: Any) -> int:
    """An int >= 1 (a count of samples, epochs, neurons)."""
    return integer(where, name, value, minimum=1)


# ---------------------------------------------------------------- other kinds


def flag(where: str, name: str, value: Any) -> bool:
    """True or False exactly (not 1, not "yes": a typo there should not pass silently)."""
    if not isinstance(value, (bool, np.bool_)):
        fail(where, name, value, "True or False", error=TypeError)
    return bool(value)


def rng(where: str, name: str, value: Any) -> np.random.Generator:
    """A numpy Generator from None (fresh entropy), an int seed >= 0, or a Generator
    (used as is, so a caller can share one stream across calls)."""
    if isinstance(value, np.random.Generator):
        return value
    if value is None:
        return np.random.default_rng()
    expected = "None, an int >= 0 or a numpy Generator"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        fail(where, name, value, expected, _type_fix(value, "an int"), TypeError)
    if value < 0:
        fail(where, name, value, expected, "seeds are non-negative; pass e.g. 0")
    return np.random.default_rng(int(value))


def samples(where: str, name: str, X: Any) -> NDArray[np.float64]:
    """X as a 2-D float array (samples, features) of finite numbers, at least one row."""
    try:
        array = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as err:
        fail(where, name, X, "a 2-D array of numbers (samples, features)", str(err), TypeError)
    if array.ndim != 2:
        bad_array(where, name, array, "2-D (samples, features)", "one row per sample")
    if len(array) == 0:
        bad_array(where, name, array, "at least one sample", "pass some data")
    if not np.all(np.isfinite(array)):
        row = int(np.argwhere(~np.isfinite(array))[0][0])
        bad_array(where, name, array, "finite numbers", f"row {row} holds NaN or inf")
    return array


def no_renamed(where: str, given: Mapping[str, Any], renamed: Mapping[str, str]) -> None:
    """Refuse keyword arguments left over in ``**given``: an old name (a key of
    `renamed`) with a message naming the new one, anything else as Python would."""
    for old, value in given.items():
        if old in renamed:
            new = renamed[old]
            raise TypeError(
                f"{where}: {old}= is now called {new}= (one name across nn: MLP, fit and the "
                f"datasets take {new}=); pass {new}={shown(value)}"
            )
        raise TypeError(f"{where}() got an unexpected keyword argument {old!r}")


def choice(where: str, name: str, value: Any, allowed: Sequence[str]) -> str:
    """One of the names in `allowed` (a reduction, an activation, a metric)."""
    listed = ", ".join(repr(a) for a in allowed)
    if not isinstance(value, str):
        fail(where, name, value, f"one of {listed}", error=TypeError)
    if value not in allowed:
        close = [a for a in allowed if a.lower() == value.lower()]
        fix = f"did you mean {close[0]!r}?" if close else ""
        fail(where, name, value, f"one of {listed}", fix)
    return value


def instance(
    where: str, name: str, value: Any, kind: type | tuple[type, ...], expected: str
) -> Any:
    """`value` itself when it is an instance of `kind`, else a TypeError saying `expected`."""
    if not isinstance(value, kind):
        fail(where, name, value, expected, error=TypeError)
    return value


def exact_keys(
    where: str,
    name: str,
    value: Any,
    required: Collection[str],
    optional: Collection[str] = (),
    *,
    kind: str = "key",
) -> Mapping[str, Any]:
    """`value` when it is a mapping with every key of `required` and no key outside
    `required` and `optional`; the error lists every unknown and every missing key.

    ``kind`` names what the keys are in the message ("hyper-parameter", "field").
    A non-mapping is a TypeError.
    """
    if not isinstance(value, Mapping):
        fail(where, name, value, f"a dict with the {kind}s {sorted(required)}", error=TypeError)
    keys = value.keys()
    if keys == set(required) or (optional and set(required) <= keys <= {*required, *optional}):
        return value
    allowed = set(required) | set(optional)
    unknown = sorted((repr(k) for k in value if k not in allowed), key=str)
    missing = sorted(k for k in required if k not in value)
    if unknown or missing:
        expected = sorted(required)
        parts = []
        if unknown:
            parts.append(f"unknown {kind}(s) {', '.join(unknown)}")
        if missing:
            parts.append(f"missing {kind}(s) {', '.join(repr(m) for m in missing)}")
        extra = f" (and optionally {sorted(optional)})" if optional else ""
        raise ValueError(
            f"{where}: {name} must have exactly the {kind}s {expected}{extra}; got "
            f"{' and '.join(parts)}: check the spelling"
        )
    return value


def data(where: str, X: Any, y: Any) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """X as a 2-D float array of finite numbers and y as an array with a row per sample
    (training data, for `nn.fit`, `nn.evaluate` and the training explorer; X by
    `samples`, the rule `Module.predict` uses too); an array is shown by its shape."""
    X = samples(where, "X", X)
    y = np.asarray(y)
    if y.ndim == 0 or len(X) != len(y):
        bad_array(where, "y", y, f"one target per sample of X ({len(X)} samples)", "")
    return X, y


def bad_array(where: str, name: str, array: NDArray[Any], expected: str, fix: str) -> NoReturn:
    """Raise ValueError: ``array`` (shown by its shape) is not what ``name`` must be."""
    message = f"{where}: {name} must be {expected}; got {name} of shape {array.shape}"
    raise ValueError(f"{message}: {fix}" if fix else message)
