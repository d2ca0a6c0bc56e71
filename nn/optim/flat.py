"""What the array update rules (``sgd_arrays``, ...) share, and the checks of
`Optimizer.step_arrays`.

Each array rule is its per-float rule (``sgd``, ...) written over whole float64
vectors: the same IEEE operations in the same order, so the two agree bit for bit.
Python evaluates ``a * b * c`` as ``(a * b) * c`` and ``x - a * g / s`` as
``x - ((a * g) / s)``; the array rules keep each of those groupings (addition and
multiplication commute exactly in IEEE arithmetic, so only the grouping matters).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from nn import _checks as checks

__all__ = ["Array", "ArrayBuffers", "blend_array", "check_finite_array", "decayed_gradient_array"]

# The array rules' operands: float64 vectors, one entry a parameter.
Array = NDArray[np.float64]
ArrayBuffers = dict[str, Array]


def decayed_gradient_array(
    grads: Array, params: Array, weight_decay: float, maximize: bool
) -> Array:
    """`maximised` then `coupled_weight_decay` over arrays, the same float operations.

    The result may be `grads` itself (neither option set): callers never write into it.
    """
    g = np.negative(grads) if maximize else grads
    if weight_decay:
        g = g + weight_decay * params
    return g


def blend_array(
    decay: float, old: Array | None, weight: float, g: Array, *, squared: bool = False
) -> Array:
    """``decay * old + weight * g`` (``+ weight * g * g`` when `squared`) as a new
    array, rounded as the per-float rules round it; a missing `old` counts as zeros.

    ``weight * g * g`` is ``(weight * g) * g``, as Python evaluates it. Zeros are added
    rather than skipped because the per-float rules add them too, and
    ``0.0 + (-0.0)`` is ``+0.0``: skipping would change the sign of a zero.
    """
    term = weight * g
    if squared:
        term *= g
    out = decay * (np.zeros_like(g) if old is None else old)
    out += term
    return out


def check_finite_array(values: Array, describe: Callable[[int], str], what: str) -> None:
    """Raise ValueError naming the first non-finite entry of `values`, if there is one.

    A sum is one pass without a temporary; only when it is not finite (an entry is,
    or finite entries overflow it) are the entries looked at one by one. Call it
    under ``np.errstate(all="ignore")`` (as `Optimizer.step_arrays` does): inf - inf
    in the sum would warn.
    """
    if math.isfinite(np.add.reduce(values)):
        return
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{what} of {describe(i)} is {checks.shown(float(values[i]))}")


def checked_flat(where: str, name: str, value: object, size: int, writable: bool) -> Array:
    """`value` if it is a 1-D float64 numpy array of `size` entries (writable if asked)."""
    if not isinstance(value, np.ndarray) or value.dtype != np.float64 or value.ndim != 1:
        shown = (
            f"an array of dtype {value.dtype} and shape {value.shape}"
            if isinstance(value, np.ndarray)
            else checks.shown(value)
        )
        raise TypeError(
            f"{where}: {name} must be a 1-D float64 numpy array, got {shown}; "
            f"pass np.asarray(values, dtype=np.float64).ravel()"
        )
    if value.size != size:
        raise ValueError(
            f"{where}: {name} has {value.size} entries, but the optimizer has {size} "
            f"parameters; pass one entry per parameter, in group order"
        )
    if writable and not value.flags.writeable:
        raise ValueError(f"{where}: {name} is read-only; pass a writable array (it is updated)")
    return value
