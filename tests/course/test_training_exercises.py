"""The checks of notebooks 08, 10 and 13 pass a correct answer and explain each typical
mistake: the message names what was checked, the expected and the received number, and
the likely cause. Each mistake is written out here the way a learner would make it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograd import primitive
from notebooks.course.report import CheckFailed, NotAnswered
from notebooks.course.training_exercises import (
    check_deal,
    check_epoch,
    check_initializer,
    check_primitive,
)

# ------------------------------------------------------------------ 08: deal


def make_deal(mistake: str = "") -> Callable[..., list[Any]]:
    def deal(n: int, batch_size: int | None, rng: np.random.Generator) -> list[Any]:
        if mistake == "blank":
            raise NotImplementedError("exercise: write this part")
        order = np.arange(n) if mistake == "no shuffle" else rng.permutation(n)
        if mistake == "same order every epoch":
            order = np.random.default_rng(0).permutation(n)
        size = n if batch_size is None else batch_size
        stop = n - n % size if mistake == "drop the remainder" else n
        return [order[k : k + size] for k in range(0, stop, size)]

    return deal


def test_check_deal_passes_a_correct_deal(capsys: pytest.CaptureFixture[str]) -> None:
    check_deal(make_deal())
    assert capsys.readouterr().out.startswith("\u2713 deal")


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        ("drop the remainder", "the last batch, of the 2 samples left over after 2 full batches"),
        ("no shuffle", "stored order"),
        ("same order every epoch", "draw the permutation from `rng`"),
    ],
)
def test_check_deal_explains_each_mistake(mistake: str, words: str) -> None:
    with pytest.raises(CheckFailed) as caught:
        check_deal(make_deal(mistake))
    assert words in str(caught.value)


def test_check_deal_names_the_expected_batch_sizes() -> None:
    def uneven(n: int, batch_size: int | None, rng: np.random.Generator) -> list[Any]:
        order = rng.permutation(n)
        return [order[:1], order[1:]]  # every sample once, but the wrong sizes

    with pytest.raises(CheckFailed) as caught:
        check_deal(uneven)
    assert "expected batches of sizes [4, 4, 2] (3 updates per epoch), received sizes [1, 9]" in (
        str(caught.value)
    )


def test_check_deal_on_a_blank_says_not_answered() -> None:
    with pytest.raises(NotAnswered, match="deal"):
        check_deal(make_deal("blank"))


# ------------------------------------------------------------------ 08: one epoch


def make_epoch(mistake: str = "") -> Callable[..., list[float]]:
    def train_one_epoch(model: Any, optimizer: Any, batches: Any, loss_fn: Any) -> list[float]:
        losses = []
        for xb, yb in batches:
            loss = loss_fn(model(xb), yb.tolist())
            if mistake != "no zero_grad":
                optimizer.zero_grad()
            loss.backward()
            if mistake not in ("no step", "one step at the end"):
                optimizer.step()
            if mistake == "loss after the step":
                losses.append(loss_fn(model(xb), yb.tolist()).data)
            else:
                losses.append(loss.data)
        if mistake == "one step at the end":
            optimizer.step()
        return losses[:-1] if mistake == "one loss short" else losses

    return train_one_epoch


def test_check_epoch_passes_a_correct_loop(capsys: pytest.CaptureFixture[str]) -> None:
    check_epoch(make_epoch())
    assert "4 updates" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mistake", "words"),
    [
        ("no zero_grad", "Call optimizer.zero_grad() before every backward()"),
        ("one step at the end", "that is full-batch descent"),
        ("no step", "left the weights as they were"),
        ("loss after the step", "the loss of batch 0: expected"),
        ("one loss short", "one loss per batch, 4 numbers"),
    ],
)
def test_check_epoch_explains_each_mistake(mistake: str, words: str) -> None:
    with pytest.raises(CheckFailed) as caught:
        check_epoch(make_epoch(mistake))
    assert words in str(caught.value)


# ------------------------------------------------------------------ 10: initialiser


def normal_init(std: Callable[[int], float]) -> Callable[..., Any]:
    def init(fan_in: int, fan_out: int, rng: np.random.Generator) -> Any:
        return rng.normal(0.0, std(fan_in), size=(fan_out, fan_in))

    return init


def test_check_initializer_passes_he_and_measures_every_layer() -> None:
    grads = check_initializer(normal_init(lambda fan_in: math.sqrt(2 / fan_in)))
    assert len(grads) == 8 and grads.max() / grads.min() < 100


@pytest.mark.parametrize(
    ("std", "words"),
    [
        (lambda fan_in: 0.03, "Too small"),
        (lambda fan_in: 1.5, "Too large"),
        (lambda fan_in: 0.3, "For a layer with 4 inputs"),  # ignores fan_in
    ],
)
def test_check_initializer_explains_a_wrong_spread(std: Callable[[int], float], words: str) -> None:
    with pytest.raises(CheckFailed) as caught:
        check_initializer(normal_init(std))
    assert words in str(caught.value) and "sqrt(2 / fan_in)" in str(caught.value)


def test_check_initializer_refuses_transposed_and_constant_weights() -> None:
    def transposed(fan_in: int, fan_out: int, rng: np.random.Generator) -> Any:
        return rng.normal(0.0, math.sqrt(2 / fan_in), size=(fan_in, fan_out))

    def constant(fan_in: int, fan_out: int, rng: np.random.Generator) -> Any:
        return np.full((fan_out, fan_in), math.sqrt(2 / fan_in))

    with pytest.raises(CheckFailed, match=r"returned shape \(4, 200\); expected"):
        check_initializer(transposed)
    with pytest.raises(CheckFailed, match="the same value"):
        check_initializer(constant)


# ------------------------------------------------------------------ 13: primitive


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@primitive
def softplus(x: float) -> tuple[float, tuple[float]]:
    return math.log1p(math.exp(x)), (sigmoid(x),)


@primitive
def softplus_sign_flipped(x: float) -> tuple[float, tuple[float]]:
    return math.log1p(math.exp(x)), (-sigmoid(x),)


def test_check_primitive_passes_and_returns_the_report_on_the_planted_bug() -> None:
    report = check_primitive(softplus, softplus_sign_flipped)
    assert "gradcheck failed" in report and "softplus_sign_flipped" in report


def test_check_primitive_names_the_wrong_derivative() -> None:
    @primitive
    def softplus_wrong(x: float) -> tuple[float, tuple[float]]:
        return math.log1p(math.exp(x)), (math.exp(x),)  # the derivative of e^x, not of log(1+e^x)

    with pytest.raises(CheckFailed) as caught:
        check_primitive(softplus_wrong, softplus_sign_flipped)
    message = str(caught.value)
    assert "at x = -3" in message and f"= {sigmoid(-3.0):.6g}" in message


def test_check_primitive_refuses_a_bug_in_the_value_or_an_invisible_one() -> None:
    @primitive
    def value_bug(x: float) -> tuple[float, tuple[float]]:
        return math.log(math.exp(x)), (sigmoid(x),)

    with pytest.raises(CheckFailed, match="Plant it in the derivative only"):
        check_primitive(softplus, value_bug)
    with pytest.raises(CheckFailed, match="gradcheck passed your planted primitive"):
        check_primitive(softplus, softplus)


def test_check_primitive_asks_for_the_decorator_and_reports_a_blank() -> None:
    def undecorated(x: Any) -> float:
        return 0.0

    with pytest.raises(CheckFailed, match="@primitive"):
        check_primitive(undecorated, softplus_sign_flipped)

    def blank(x: Any) -> Any:
        raise NotImplementedError("exercise: write this part")

    with pytest.raises(NotAnswered, match="`blank` is not written yet"):
        check_primitive(blank, softplus_sign_flipped)

    @primitive
    def blank_primitive(x: float) -> tuple[float, tuple[float]]:
        raise NotImplementedError("exercise: write this part")

    with pytest.raises(NotAnswered, match=r"`blank_primitive` is not written yet.*its body"):
        check_primitive(blank_primitive, softplus_sign_flipped)
