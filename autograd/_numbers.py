"""The engine's one check of the numbers it is given: `as_number` (a finite real number,
or an error naming what was given and how to fix it), and `fmt`, the short form of a
number in op strings and messages. Standard library only, as the engine."""

from __future__ import annotations

import math
import numbers

__all__ = ["as_number", "check_operands", "constant", "finite_locals", "fmt"]

_isfinite = math.isfinite


def fmt(x: float) -> str:
    """A short, readable form of a number for op strings and messages."""
    return f"{x:.6g}"


def as_number(x: object, where: str) -> float:
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


def check_operands(op: str, operands: tuple[float, ...]) -> None:
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


def constant(x: object, op: str) -> float:
    if isinstance(x, float) and _isfinite(x):  # the common case, checked fast
        return x
    return as_number(x, f"constant operand of {op!r}")


def finite_locals(op: str, operands: tuple[float, ...], *local_grads: float) -> tuple[float, ...]:
    """Return the local derivatives after checking that none overflowed."""
    for g in local_grads:
        if not _isfinite(g):
            check_operands(op, operands)
            args = ", ".join(fmt(x) for x in operands)
            raise OverflowError(
                f"the derivative of {op} at ({args}) is not finite ({g!r}); the inputs "
                f"are too close to a singularity to differentiate"
            )
    return local_grads
