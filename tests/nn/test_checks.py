"""Tests for nn._checks: the one validation layer and its one message form."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from nn import _checks as checks


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (-2.5, -2.5),
        (np.float32(0.5), 0.5),
        (np.int64(7), 7.0),
        (Fraction(1, 4), 0.25),
    ],
)
def test_real_accepts_every_kind_of_real_number(value: Any, expected: float) -> None:
    x = checks.real("f", "x", value)
    assert x == expected and type(x) is float


@pytest.mark.parametrize(
    ("value", "error", "fix"),
    [
        ("0.5", TypeError, r"convert the text first, e\.g\. float\('0\.5'\)"),
        (True, TypeError, "not True or False"),
        (None, TypeError, ""),
        (1 + 2j, TypeError, "complex"),
        (np.array(2.0), TypeError, r"\.item\(\)"),
        ([1.0], TypeError, ""),
        (math.nan, ValueError, ""),
        (-math.inf, ValueError, ""),
        (10**400, ValueError, "too large for a float"),
    ],
)
def test_real_refuses_what_is_not_a_finite_real_number(
    value: Any, error: type[Exception], fix: str
) -> None:
    with pytest.raises(error, match=r"^f: x must be a finite number; got x=") as info:
        checks.real("f", "x", value)
    assert re.search(fix, str(info.value))


def test_a_huge_int_is_shown_by_its_number_of_digits_not_written_out() -> None:
    with pytest.raises(ValueError) as info:
        checks.real("SGD", "lr", 10**400)
    assert "about 401 digits" in str(info.value)
    assert len(str(info.value)) < 200
    # past Python's 4,300-digit limit on int -> str, too
    with pytest.raises(ValueError, match="about 5001 digits"):
        checks.real("SGD", "lr", 10**5000)


@pytest.mark.parametrize(
    ("check", "good", "bad", "expected"),
    [
        (checks.nonnegative, [0, 0.1, 1e300], [-1e-300, -1], "a finite number >= 0"),
        (checks.positive, [1e-300, 2], [0, -1], "a finite number > 0"),
        (checks.probability, [0, 0.5, 1], [-0.1, 1.5], "a finite number with 0 <= p <= 1"),
        (checks.fraction, [0.01, 0.99], [0, 1, 1.5], "a finite number with 0 < p < 1"),
    ],
)
def test_number_ranges_include_and_exclude_their_ends(
    check: Callable[[str, str, Any], float], good: list[float], bad: list[float], expected: str
) -> None:
    for value in good:
        assert check("f", "p", value) == value
    for value in bad:
        with pytest.raises(
            ValueError, match=re.escape(f"f: p must be {expected}; got p={value!r}")
        ):
            check("f", "p", value)


def test_real_takes_open_and_closed_bounds_on_either_side() -> None:
    assert checks.real("f", "x", 2.0, low=1.0, high=2.0) == 2.0
    with pytest.raises(ValueError, match=re.escape("x must be a finite number with 1 <= x < 2")):
        checks.real("f", "x", 2.0, low=1.0, high=2.0, high_open=True)
    with pytest.raises(ValueError, match="x must be a finite number <= 2"):
        checks.real("f", "x", 3, high=2.0)


@pytest.mark.parametrize(
    ("kwargs", "value", "error", "message"),
    [
        ({}, 2.0, TypeError, "n must be an int; got n=2.0: pass 2"),
        ({}, 2.5, TypeError, "n must be an int; got n=2.5"),
        (
            {},
            True,
            TypeError,
            "n must be an int; got n=True (bool): pass an int, not True or False",
        ),
        ({}, "3", TypeError, "got n='3' (str): convert the text first, e.g. int('3')"),
        ({"minimum": 1}, 0, ValueError, "n must be an int >= 1; got n=0"),
        ({"maximum": 5}, 6, ValueError, "n must be an int <= 5; got n=6"),
        ({"minimum": 0, "maximum": 5}, -1, ValueError, "n must be an int with 0 <= n <= 5"),
    ],
)
def test_integer_refuses_other_kinds_and_values_out_of_range(
    kwargs: dict[str, int], value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        checks.integer("f", "n", value, **kwargs)


def test_integer_accepts_numpy_ints_and_returns_a_python_int() -> None:
    n = checks.positive_int("f", "n", np.int32(4))
    assert n == 4 and type(n) is int


def test_flag_accepts_only_true_or_false() -> None:
    assert checks.flag("f", "b", True) is True
    assert checks.flag("f", "b", np.bool_(False)) is False
    for value in (1, 0, "yes", None):
        with pytest.raises(TypeError, match="f: b must be True or False; got b="):
            checks.flag("f", "b", value)


def test_rng_makes_a_generator_from_a_seed_or_passes_one_through() -> None:
    a = checks.rng("f", "seed", 3).random(4)
    b = np.random.default_rng(3).random(4)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(0)
    assert checks.rng("f", "seed", g) is g
    assert isinstance(checks.rng("f", "seed", None), np.random.Generator)


@pytest.mark.parametrize(
    ("value", "error"),
    [(-1, ValueError), ("x", TypeError), (1.5, TypeError), (True, TypeError)],
)
def test_rng_refuses_negative_seeds_and_other_kinds(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="seed must be None, an int >= 0 or a numpy Generator"):
        checks.rng("f", "seed", value)


def test_choice_names_the_allowed_values_and_a_near_miss() -> None:
    assert checks.choice("f", "reduction", "sum", ("mean", "sum")) == "sum"
    with pytest.raises(
        ValueError,
        match=r"one of 'mean', 'sum'; got reduction='Sum' \(str\): "
        r"did you mean 'sum'\?",
    ):
        checks.choice("f", "reduction", "Sum", ("mean", "sum"))
    with pytest.raises(TypeError, match="reduction must be one of"):
        checks.choice("f", "reduction", None, ("mean", "sum"))


def test_instance_returns_the_value_or_says_what_was_expected() -> None:
    assert checks.instance("fit", "optimizer", 3, int, "an nn.optim optimizer") == 3
    with pytest.raises(TypeError, match=r"fit: optimizer must be an nn\.optim optimizer; got"):
        checks.instance("fit", "optimizer", "adam", int, "an nn.optim optimizer")


def test_exact_keys_lists_every_unknown_and_every_missing_key() -> None:
    good = {"a": 1, "b": 2}
    assert checks.exact_keys("f", "config", good, ("a", "b")) is good
    assert checks.exact_keys("f", "config", {"a": 1, "b": 2, "c": 3}, ("a", "b"), ("c",))
    with pytest.raises(ValueError) as info:
        checks.exact_keys("f", "config", {"a": 1, "x": 0, 0: 1}, ("a", "b"), kind="field")
    message = str(info.value)
    assert message.startswith("f: config must have exactly the fields ['a', 'b']; got ")
    assert "unknown field(s) 'x', 0" in message or "unknown field(s) 0, 'x'" in message
    assert "missing field(s) 'b'" in message
    with pytest.raises(
        TypeError,
        match=r"config must be a dict with the keys \['a'\]; got "
        r"config=\[1\] \(list\)",
    ):
        checks.exact_keys("f", "config", [1], ("a",))


def test_shown_cuts_long_reprs() -> None:
    text = checks.shown("x" * 500)
    assert len(text) < 100 and text.endswith("... (str)")


def test_shown_describes_data_nested_too_deeply_to_print() -> None:
    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    assert checks.shown(nested) == "a list nested too deeply to show"
    with pytest.raises(TypeError, match="got x=a list nested too deeply to show"):
        checks.real("f", "x", nested)
