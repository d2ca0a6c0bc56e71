"""Tests for nn.explorer: fit(record=k), History.explore, and the page in Chromium."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import nn
from nn.data import make_moons, train_test_split
from nn.explorer import GRID, TrainingPage


def moons() -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    X, y = make_moons(80, noise=0.15, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    return X_train, X_test, y_train, y_test


def train(epochs: int, record: int | None) -> tuple[nn.MLP, nn.History]:
    X_train, _, y_train, _ = moons()
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(
        model,
        X_train,
        y_train,
        loss=nn.binary_cross_entropy_with_logits,
        optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
        epochs=epochs,
        batch_size=16,
        seed=1,
        record=record,
        progress=False,
    )
    return model, history


def numpy_mlp(model: nn.MLP, parameters: list[float], rows: NDArray[Any]) -> NDArray[Any]:
    """The 2-4-1 tanh network's output for each row, written with numpy from the flat
    parameters (named layers.L.neurons.j.w.i and layers.L.neurons.j.b)."""
    named = dict(zip((name for name, _ in model.named_parameters()), parameters))
    out = rows
    for layer in range(2):
        width = 4 if layer == 0 else 1
        inputs = out.shape[1]
        w = np.array(
            [
                [named[f"layers.{layer}.neurons.{j}.w.{i}"] for i in range(inputs)]
                for j in range(width)
            ]
        )
        b = np.array([named[f"layers.{layer}.neurons.{j}.b"] for j in range(width)])
        out = out @ w.T + b
        if layer == 0:
            out = np.tanh(out)
    return out[:, 0]


def page_data(page: TrainingPage) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" class="bpl-data">(.*?)</script>', page.html)
    assert match
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# ------------------------------------------------------------------ fit(record=k)


@pytest.mark.parametrize(("epochs", "every", "taken"), [(6, 2, [0, 2, 4, 6]), (7, 3, [0, 3, 6, 7])])
def test_record_keeps_the_parameters_every_k_epochs_and_at_the_end(
    epochs: int, every: int, taken: list[int]
) -> None:
    model, history = train(epochs, every)
    snapshots = history.snapshots
    assert snapshots is not None
    assert snapshots.epochs == taken
    assert snapshots.parameters[-1] == [p.data for p in model.parameters()]
    # epoch 0 holds the initial weights; epoch e the weights of a run stopped after e
    fresh = nn.MLP(2, [4, 1], seed=0)
    assert snapshots.parameters[0] == [p.data for p in fresh.parameters()]
    for epoch, values in zip(snapshots.epochs, snapshots.parameters):
        if epoch:
            shorter, _ = train(epoch, None)
            assert values == [p.data for p in shorter.parameters()]
    assert snapshots.threshold == 0.0  # logits: class 1 above 0


def test_without_record_there_are_no_snapshots_and_explore_says_how_to_get_them() -> None:
    model, history = train(2, None)
    assert history.snapshots is None
    X_train, _, y_train, _ = moons()
    with pytest.raises(ValueError, match=r"fit\(\.\.\., record=k\)"):
        history.explore(model, X_train, y_train)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_record_is_refused_before_training(bad: object) -> None:
    X_train, _, y_train, _ = moons()
    model = nn.MLP(2, [4, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises((TypeError, ValueError), match="record"):
        nn.fit(
            model,
            X_train,
            y_train,
            loss=nn.binary_cross_entropy_with_logits,
            optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
            epochs=2,
            record=bad,  # type: ignore[arg-type]
            progress=False,
        )
    assert [p.data for p in model.parameters()] == before


# ------------------------------------------------------------------ the page's content


def test_each_frame_is_the_model_at_that_epoch() -> None:
    model, history = train(6, 2)
    X_train, X_test, y_train, y_test = moons()
    final = [p.data for p in model.parameters()]
    page = history.explore(model, X_train, y_train, X_test, y_test, title="moons")
    assert [p.data for p in model.parameters()] == final  # put back after drawing
    data = page_data(page)
    x0, x1, y0, y1 = data["box"]
    both = np.vstack([X_train, X_test])
    span = both.max(axis=0) - both.min(axis=0)
    assert np.allclose([x0, y0], both.min(axis=0) - 0.1 * span)
    assert np.allclose([x1, y1], both.max(axis=0) + 0.1 * span)
    lattice = np.array(
        [[x, y] for y in np.linspace(y1, y0, GRID) for x in np.linspace(x0, x1, GRID)]
    )
    assert history.snapshots is not None
    assert [f["epoch"] for f in data["frames"]] == history.snapshots.epochs == [0, 2, 4, 6]
    for frame, values in zip(data["frames"], history.snapshots.parameters):
        scores = numpy_mlp(model, values, lattice)
        decided = np.abs(scores) > 1e-9  # away from the boundary itself
        assert np.array_equal(np.array(frame["grid"])[decided], (scores > 0)[decided].astype(int))
        for name, (X, y) in {"train": (X_train, y_train), "test": (X_test, y_test)}.items():
            expected = np.mean((numpy_mlp(model, values, X) > 0).astype(int) == y)
            assert frame[f"{name}_accuracy"] == pytest.approx(expected)
        named = dict(zip((n for n, _ in model.named_parameters()), values))
        assert frame["weights"] == [
            [named[f"layers.0.neurons.{j}.w.{i}"] for i in range(2)] for j in range(4)
        ]
    assert data["curves"]["loss"] == history.loss
    assert data["curves"]["accuracy"] == history.metrics["accuracy"]
    assert data["points"]["test"]["y"] == y_test.tolist()


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda h, m, X, y: h.explore(m, np.hstack([X, X[:, :1]]), y), ValueError, "3 features"),
        (lambda h, m, X, y: h.explore(m, X, y, X_test=X), ValueError, "both X_test and y_test"),
        (lambda h, m, X, y: h.explore(nn.MLP(2, [3, 1]), X, y), ValueError, "pass the model"),
        (lambda h, m, X, y: h.explore("model", X, y), TypeError, "model"),
        (lambda h, m, X, y: h.explore(m, X, y + 0.5), ValueError, "integer class labels"),
        (lambda h, m, X, y: h.explore(m, X, y, title=1), TypeError, "title must be a str"),
    ],
)
def test_bad_arguments_are_refused(call: Callable[..., object], error: type, says: str) -> None:
    model, history = train(2, 1)
    X_train, _, y_train, _ = moons()
    with pytest.raises(error, match=re.escape(says)):
        call(history, model, X_train, y_train)


# ------------------------------------------------------------------ in the browser


def test_the_page_in_the_browser(browser: Any, tmp_path: Path) -> None:
    model, history = train(6, 2)
    X_train, X_test, y_train, y_test = moons()
    page = history.explore(model, X_train, y_train, X_test, y_test, title="<b>moons</b>")
    path = page.save(tmp_path / "training.html")
    browser.open(path)
    assert browser.console_errors() == []
    assert browser.requested_urls() == [path.resolve().as_uri()]
    api = "window.backproplabTraining"
    assert browser.run(f"return {api}.epochs") == [0, 2, 4, 6]
    frames = page_data(page)["frames"]
    markers = []
    for i in (0, 2, 3):
        assert browser.run(f"return {api}.show(arguments[0])", i) == i
        shown = browser.run(f"return {api}.state()")
        assert shown["epoch"] == frames[i]["epoch"]
        assert shown["grid"] == frames[i]["grid"]
        assert shown["weights"] == frames[i]["weights"]
        markers.append(shown["marker"])
    assert markers[0] < markers[1] < markers[2]  # the marker moves along the epochs
    slider = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-slider")
    slider.send_keys(Keys.ARROW_LEFT)
    assert browser.run(f"return {api}.state()")["index"] == 2
    with pytest.raises(Exception, match=r"show\(i\) needs an integer i from 0 to 3"):
        browser.run(f"{api}.show(4)")
    # the title is text; the picture has the two classes' colours and is not blank
    assert browser.run("return document.querySelectorAll('b').length") == 0
    element = browser.driver.find_element(By.CSS_SELECTOR, ".bpl-page")
    picture = np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("RGB"))
    blue = ((picture[..., 0] < 60) & (picture[..., 2] > 150)).sum()
    red = ((picture[..., 0] > 190) & (picture[..., 1] < 70)).sum()
    assert blue > 200 and red > 200
    assert 0.05 < (picture < 240).any(axis=2).mean() < 0.9
    assert browser.console_errors() == []
