"""How a check cell talks to the learner: the shared part of every exercise checker.

A check either prints one line starting with a tick, or raises `CheckFailed` (a wrong
answer) or `NotAnswered` (the exercise is still blank) with a message in plain words:
what was checked, the number expected and where it comes from, the number received,
and a hint. In Jupyter the message is shown without a traceback (`_render_traceback_`),
since the traceback would point into this module rather than at the learner's cell.

The blanked copies (see `blank`) leave ``...`` for an answer and ``raise
NotImplementedError`` for a body: `answer` and `call` turn both into `NotAnswered`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

TICK = "\u2713"


class CheckFailed(AssertionError):
    """The learner's answer is wrong; the message says what, expected vs received, and why."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class NotAnswered(CheckFailed):
    """The exercise is still blank: an answer left as ``...`` or a body that raises
    NotImplementedError."""


def passed(message: str) -> None:
    """Print the line a passing check shows."""
    print(f"{TICK} {message}")


def number(x: float) -> str:
    """A number as the messages write it: up to 6 significant digits, no float noise."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return repr(x)
    return f"{x:.6g}"


def is_blank(value: object) -> bool:
    """True for what a blanked copy leaves in place of an answer: ``...`` (or None)."""
    return value is Ellipsis or value is None


def answer(value: object, name: str, where: str) -> Any:
    """Return `value` unless it is still blank; then raise `NotAnswered` naming `name`
    and the cell (`where`) to fill in."""
    if is_blank(value):
        raise NotAnswered(f"`{name}` has no answer yet: replace the `...` in {where}.")
    return value


def real_number(value: object, name: str, where: str) -> float:
    """`answer`, and it must be one finite real number (int or float)."""
    value = answer(value, name, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CheckFailed(
            f"`{name}` should be a number, but it is {type(value).__name__} {value!r}."
        )
    if not math.isfinite(value):
        raise CheckFailed(f"`{name}` should be a finite number, but it is {value!r}.")
    return float(value)


def call(function: Callable[..., Any], *args: Any, what: str, where: str) -> Any:
    """Call the learner's `function`, turning its failures into messages.

    NotImplementedError (a blanked body) becomes `NotAnswered` naming `what` and the
    cell; any other exception becomes `CheckFailed` quoting it, so the learner sees
    which of their functions raised on which check.
    """
    try:
        return function(*args)
    except NotImplementedError as error:
        raise NotAnswered(
            f"{what} is not written yet ({_raiser(error)} raised NotImplementedError): "
            f"fill in {where}."
        ) from error
    except CheckFailed:
        raise
    except Exception as error:
        raise CheckFailed(f"{what} raised {type(error).__name__}: {error}") from error


def _raiser(error: BaseException) -> str:
    """The name of the function that raised `error` (the innermost frame): the blank
    the learner has to fill in."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"`{tb.tb_frame.f_code.co_name}`" if tb is not None else "it"


def close(expected: float, received: float, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether `received` agrees with `expected` to `rtol` (relative) or `atol`."""
    return abs(received - expected) <= atol + rtol * abs(expected)


def expect_close(
    what: str,
    expected: float,
    received: object,
    *,
    source: str = "",
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Raise `CheckFailed` unless `received` is a number within tolerance of `expected`.

    The message reads "<what>: expected <expected> (<source>), received <received>.
    <hint>", so `what` names the operation and the input, `source` where the expected
    number comes from ("autograd", "a central difference").
    """
    if isinstance(received, bool) or not isinstance(received, (int, float)):
        raise CheckFailed(
            f"{what}: expected the number {number(expected)}, received "
            f"{type(received).__name__} {received!r}."
        )
    if not close(expected, float(received), rtol, atol):
        origin = f" ({source})" if source else ""
        tail = f" {hint}" if hint else ""
        raise CheckFailed(
            f"{what}: expected {number(expected)}{origin}, received {number(received)}.{tail}"
        )
