"""The shared voice of the exercise checks: blanks, wrong numbers, learner errors."""

from __future__ import annotations

import math

import pytest

from notebooks.course.report import (
    CheckFailed,
    NotAnswered,
    answer,
    call,
    expect_close,
    passed,
    real_number,
)


def test_a_blank_answer_names_the_variable_and_the_cell() -> None:
    with pytest.raises(
        NotAnswered, match=r"`largest_lr` has no answer yet: replace the `\.\.\.` in the cell above"
    ):
        answer(..., "largest_lr", "the cell above")
    assert answer(0.5, "largest_lr", "the cell above") == 0.5


@pytest.mark.parametrize(
    ("value", "says"),
    [("0.1", "should be a number, but it is str '0.1'"), (True, "bool True"), (math.nan, "finite")],
)
def test_an_answer_that_is_not_a_finite_number_says_what_it_is(value: object, says: str) -> None:
    with pytest.raises(CheckFailed, match=says):
        real_number(value, "lr", "the cell")


def test_a_wrong_number_shows_expected_source_received_and_hint() -> None:
    with pytest.raises(CheckFailed) as caught:
        expect_close("d L / d w", -30000.0, -300.0, source="autograd", hint="Multiply by x.")
    assert (
        str(caught.value) == "d L / d w: expected -30000 (autograd), received -300. Multiply by x."
    )
    expect_close("d L / d w", -30000.0, -30000.0 * (1 + 1e-9), source="autograd")


def test_the_message_replaces_the_traceback_in_jupyter() -> None:
    error = CheckFailed("the slope: expected 1, received 2.")
    assert error._render_traceback_() == ["CheckFailed: the slope: expected 1, received 2."]


def test_a_blank_body_names_the_function_that_is_still_blank() -> None:
    def tanh(x: float) -> float:
        raise NotImplementedError("exercise: write this part")

    with pytest.raises(NotAnswered, match=r"tanh\(0\.5\) is not written yet \(`tanh` raised"):
        call(tanh, 0.5, what="tanh(0.5)", where="exercise 2")


def test_any_other_error_of_the_learner_is_quoted() -> None:
    with pytest.raises(CheckFailed, match="f\\(0\\) raised ZeroDivisionError: division by zero"):
        call(lambda x: 1 / x, 0, what="f(0)", where="exercise 1")


def test_a_passing_check_prints_one_ticked_line(capsys: pytest.CaptureFixture[str]) -> None:
    passed("all good")
    assert capsys.readouterr().out == "\u2713 all good\n"
