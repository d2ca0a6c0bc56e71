"""The references the benchmarks time are the same computation as the engine: the
demo's careful numpy step and its torch step follow the eager engine's trajectory
(and the plain numpy reference's) to rounding, from the same weights; the torch epoch
of the 64-32-10 classifier follows the numpy epoch."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from benchmarks.compiled import _classifier, _numpy_epoch, _torch_epoch
from benchmarks.training import (
    ALPHA,
    _CarefulNumpy,
    _demo_data,
    _initial_weights,
    _Numpy,
    _Ours,
    _Torch,
    load_torch,
    torch_mlp,
)

STEPS = 4


def _engine_loss(run: _Ours) -> float:
    """The demo's loss on the eager model as it stands: max-margin plus 1e-4 L2."""
    loss = nn.hinge(run.model(run.X), run.y) + ALPHA * nn.l2(run.params)
    return loss.data


def _side_by_side(
    make: type,
) -> tuple[list[list[float]], list[list[float]], list[float], list[float]]:
    """(parameters after each step, of `make`'s run and of the eager engine; the loss
    each computed at each step)."""
    X, y = _demo_data()
    weights = _initial_weights([2, 16, 16, 1])
    ours = _Ours(weights, X, y)
    other = make(load_torch(), weights, X, y) if make is _Torch else make(weights, X, y)
    theirs_after, ours_after, their_losses, our_losses = [], [], [], []
    for k in range(STEPS):
        our_losses.append(_engine_loss(ours))
        their_losses.append(other.step(k))
        ours.step(k)
        theirs_after.append(other.parameters())
        ours_after.append(ours.parameters())
    return theirs_after, ours_after, their_losses, our_losses


@pytest.mark.parametrize("make", [_CarefulNumpy, _Torch], ids=["careful numpy", "torch"])
def test_the_reference_step_follows_the_eager_engine_to_rounding(make: type) -> None:
    theirs, ours, their_losses, our_losses = _side_by_side(make)
    assert len(theirs[0]) == 337  # every parameter of MLP(2, [16, 16, 1]), in its order
    for after_theirs, after_ours in zip(theirs, ours):
        np.testing.assert_allclose(after_theirs, after_ours, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(their_losses, our_losses, rtol=1e-12)
    # and the parameters move: the steps are not no-ops that match trivially
    assert np.abs(np.subtract(ours[-1], ours[0])).max() > 1e-3


def test_the_careful_numpy_step_follows_the_plain_numpy_reference() -> None:
    X, y = _demo_data()
    weights = _initial_weights([2, 16, 16, 1])
    careful, plain = _CarefulNumpy(weights, X, y), _Numpy(weights, X, y)
    for k in range(STEPS):
        careful.step(k)
        plain.step(k)
        np.testing.assert_allclose(careful.parameters(), plain.parameters(), rtol=1e-12, atol=1e-14)
    assert careful.accuracy() == plain.accuracy()


def test_the_torch_epoch_follows_the_numpy_epoch_of_the_classifier() -> None:
    torch = load_torch()
    X, y, weights = _classifier()
    model = torch_mlp(torch, weights)
    params = [(W.copy(), b.copy()) for W, b in weights]
    _torch_epoch(torch, X, y, model)
    _numpy_epoch(X, y, params)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for linear, (W, b), (W0, _) in zip(linears, params, weights):
        np.testing.assert_allclose(linear.weight.detach().numpy(), W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(linear.bias.detach().numpy(), b, rtol=1e-9, atol=1e-12)
        assert np.abs(W - W0).max() > 1e-3  # the epoch trained: not equal by standing still
