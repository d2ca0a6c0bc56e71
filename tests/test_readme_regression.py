"""The README's regression example with ``stop_when=nn.max_error_below(0.01)`` works as written.

The snippet (README, training section) fits the water heater's flow with one linear neuron
without a bias, whose two weights are the valve openings, and stops once every sample's
error is below 0.01 L/min. The body of the test is the snippet; the asserts check it against
what the data set is built from (valves at 0.6 and 0.4), not against the library.
"""

from __future__ import annotations

import numpy as np

import nn


def test_readme_regression_example_stops_once_every_error_is_below_the_tolerance() -> None:
    # --- the README snippet
    X, y = nn.data.water_heater(n_samples=100, seed=0)  # hot and cold water in; temp., flow out
    valves = nn.Neuron(2, activation="linear", bias=False, seed=0)  # the flow; weights = openings
    history = nn.fit(
        valves, X, y[:, 1], loss=nn.mse, optimizer=nn.optim.SGD(valves.parameters(), lr=0.003),
        epochs=500, stop_when=nn.max_error_below(0.01), progress=False,
    )  # fmt: skip
    print(history.stop_reason, history.epochs, [round(w.data, 2) for w in valves.w])
    # --- what it prints: stop_when, the epoch it stopped at, [0.6, 0.4]
    assert history.stop_reason == "stop_when"
    assert history.epochs < 500
    assert history.max_error[-1] < 0.01 <= history.max_error[-2]  # it stopped at the first chance
    assert [round(w.data, 2) for w in valves.w] == [0.6, 0.4]  # the data set's valve openings
    # every sample's flow, from the learned openings by hand, is within the tolerance
    w = np.array([p.data for p in valves.w])
    assert np.abs(X @ w - y[:, 1]).max() < 0.01


def test_max_error_below_ends_a_regression_run_where_a_fixed_epoch_count_would_go_on() -> None:
    X, y = nn.data.water_heater(n_samples=100, seed=0)
    runs = {}
    for stop_when in (None, nn.max_error_below(0.01)):
        valves = nn.Neuron(2, activation="linear", bias=False, seed=0)
        runs[stop_when is None] = nn.fit(
            valves, X, y[:, 1], loss=nn.mse, optimizer=nn.optim.SGD(valves.parameters(), lr=0.003),
            epochs=200, stop_when=stop_when, progress=False, seed=0,
        )  # fmt: skip
    fixed, stopped = runs[True], runs[False]
    assert fixed.epochs == 200 and fixed.stop_reason == "epochs"
    assert stopped.epochs < 200
    # the stopped run is the fixed run's beginning: same epochs, same errors, until the rule fires
    assert stopped.max_error == fixed.max_error[: stopped.epochs]
    assert all(e >= 0.01 for e in fixed.max_error[: stopped.epochs - 1])
