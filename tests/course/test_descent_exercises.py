"""The learning-rate exercises of notebooks 02 and 03: the edge passes, and a wrong answer
is explained by what gradient descent does at it."""

from __future__ import annotations

import pytest

from notebooks.course.descent_exercises import (
    BOWL,
    LINE,
    check_largest_lr_bowl,
    check_largest_lr_line,
)
from notebooks.course.report import CheckFailed, NotAnswered


def test_the_edges_are_two_over_the_largest_curvature() -> None:
    # f = (theta - 3)**2 + 1 has f'' = 2; the bowl's curvatures are 2 (w1) and 4 (w2).
    assert LINE.edge == 2 / 2 and BOWL.edge == 2 / 4


@pytest.mark.parametrize("answer", [1.0, 0.99, 1.01])
def test_the_edge_of_the_line_passes(answer: float, capsys: pytest.CaptureFixture[str]) -> None:
    check_largest_lr_line(answer)
    assert capsys.readouterr().out.startswith("\u2713 the edge is lr = 1 ")


def test_a_rate_past_the_edge_shows_the_distance_growing() -> None:
    with pytest.raises(CheckFailed) as caught:
        check_largest_lr_line(1.5)
    message = str(caught.value)
    # |theta - 3| = 4 * |1 - 2 * 1.5|**k = 4 * 2**k: it doubles every step.
    assert "`largest_lr` = 1.5 is past the edge" in message
    assert "|theta - 3| grew from 4 to" in message and "(about 2x per step)" in message


def test_a_converging_rate_below_the_edge_is_shown_a_larger_one_that_converges() -> None:
    with pytest.raises(CheckFailed) as caught:
        check_largest_lr_line(0.5)
    message = str(caught.value)
    # halfway to the edge, 0.75: the distance shrinks by |1 - 1.5| = 0.5 per step
    assert "`largest_lr` = 0.5 converges, but it is not the largest rate that does" in message
    assert "at lr = 0.75 gradient descent converges too" in message
    assert "shrinks about 0.5x per step" in message


def test_the_bowl_names_the_steep_weight_that_runs_away() -> None:
    # At lr = 1 (the edge for w1 alone) w1 only bounces, w2 triples: w2 is the one to name.
    with pytest.raises(CheckFailed, match=r"\|w2 - 3\| grew from 3 to .*about 3x per step"):
        check_largest_lr_bowl(1.0)
    check_largest_lr_bowl(0.5)


def test_the_bowl_at_a_quarter_is_shown_the_slow_weight_still_converging() -> None:
    with pytest.raises(CheckFailed, match=r"at lr = 0.375 gradient descent converges too"):
        check_largest_lr_bowl(0.25)


@pytest.mark.parametrize(
    ("answer", "error", "says"),
    [
        (..., NotAnswered, r"`largest_lr` has no answer yet: replace the `\.\.\.`"),
        ("1", CheckFailed, "should be a number, but it is str"),
        (-0.5, CheckFailed, "a learning rate is positive"),
    ],
)
def test_blank_or_malformed_answers_are_told_what_to_write(
    answer: object, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        check_largest_lr_line(answer)
