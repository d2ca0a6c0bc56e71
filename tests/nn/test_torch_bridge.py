"""Tests for nn/torch_bridge.py: to_torch / from_torch round trips, forward passes and
gradients equal to torch's own modules and losses, the errors, and torch staying
optional (`import nn` never imports it)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nn
from autograd import Value
from nn.torch_bridge import TORCH_ACTIVATIONS

ACTIVATIONS = ["linear", *TORCH_ACTIVATIONS]


def _batch(n: int, features: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, features))


def _torch_grads(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {key: p.grad for key, p in module.named_parameters() if p.grad is not None}


def _check_grads_match(model: nn.MLP, module: torch.nn.Module) -> None:
    """Every parameter's grad here equals its entry in torch's grad, to 1e-12."""
    grads = _torch_grads(module)
    params = dict(model.named_parameters())
    ours, theirs = [], []
    for name, key, index in nn.parameter_map(model):
        ours.append(params[name].grad)
        theirs.append(float(grads[key][index]))
    assert any(g != 0.0 for g in ours)  # the comparison says something
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("output", [None, "sigmoid", "tanh"])
@pytest.mark.parametrize("bias", [True, False])
def test_every_mlp_round_trips_bit_for_bit(hidden: str, output: str | None, bias: bool) -> None:
    model = nn.MLP(3, [4, 5, 2], activation=hidden, output_activation=output, bias=bias, seed=1)
    module = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in module.parameters())
    back = nn.from_torch(module)
    assert back.config() == model.config()
    assert back.state_dict() == model.state_dict()  # bit for bit, every name
    assert nn.to_torch(back).state_dict().keys() == module.state_dict().keys()


@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_forward_and_gradients_equal_torchs_own(hidden: str) -> None:
    model = nn.MLP(3, [5, 4, 3], activation=hidden, output_activation="tanh", seed=2)
    module = nn.to_torch(model)
    x, y = _batch(6, 3), _batch(6, 3, seed=1)
    out = model(x)
    got = np.array([[o.data for o in row] for row in out])
    want = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    nn.mse(out, y).backward()
    F.mse_loss(module(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    _check_grads_match(model, module)


def _ours_and_theirs(name: str) -> tuple[Callable[..., Value], Callable[..., torch.Tensor], Any]:
    """A loss here, the same loss written with torch, and targets for 6 samples."""
    labels = [0, 2, 1, 1, 0, 2]
    binary = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    signs = [1.0, -1.0, 1.0, 1.0, -1.0, -1.0]

    def tt(values: Any, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return torch.tensor(values, dtype=dtype)

    losses: dict[str, tuple[Any, Any, Any]] = {
        "mse": (nn.mse, lambda o, t: F.mse_loss(o, tt(t)), _batch(6, 3, seed=3).tolist()),
        "sse": (nn.sse, lambda o, t: 0.5 * ((o - tt(t)) ** 2).sum(), _batch(6, 3, seed=4).tolist()),
        "cross_entropy": (
            nn.cross_entropy,
            lambda o, t: F.cross_entropy(o, tt(t, torch.int64)),
            labels,
        ),
        "binary_cross_entropy_with_logits": (
            lambda o, t: nn.binary_cross_entropy_with_logits([r[0] for r in o], t),
            lambda o, t: F.binary_cross_entropy_with_logits(o[:, 0], tt(t, dtype=o.dtype)),
            binary,
        ),
        "binary_cross_entropy": (
            lambda o, t: nn.binary_cross_entropy([r[0].sigmoid() for r in o], t),
            lambda o, t: F.binary_cross_entropy(torch.sigmoid(o[:, 0]), tt(t, dtype=o.dtype)),
            binary,
        ),
        "hinge": (
            lambda o, t: nn.hinge([r[0] for r in o], t),
            lambda o, t: torch.clamp(1 - o[:, 0] * tt(t, dtype=o.dtype), min=0).mean(),
            signs,
        ),
    }
    return losses[name]


@pytest.mark.parametrize(
    "loss",
    ["mse", "sse", "cross_entropy", "binary_cross_entropy_with_logits", "binary_cross_entropy",
     "hinge"],
)  # fmt: skip
def test_every_loss_gives_torchs_value_and_gradients(loss: str) -> None:
    ours, theirs, target = _ours_and_theirs(loss)
    model = nn.MLP(4, [6, 3], activation="tanh", seed=3)
    module = nn.to_torch(model)
    x = _batch(6, 4, seed=5)
    value = ours(model(x), target)
    tvalue = theirs(module(torch.from_numpy(x)), target)
    assert value.data == pytest.approx(tvalue.item(), rel=1e-12)
    value.backward()
    tvalue.backward()
    _check_grads_match(model, module)


def test_layer_neuron_float32_and_a_lone_linear() -> None:
    layer = nn.Layer(3, 2, activation="relu", seed=0)
    x = _batch(4, 3)
    want = np.array([[o.data for o in row] for row in layer(x)])
    np.testing.assert_allclose(nn.to_torch(layer)(torch.from_numpy(x)).detach(), want, rtol=1e-12)
    neuron = nn.Neuron(3, activation="sigmoid", seed=0)
    got = nn.to_torch(neuron)(torch.from_numpy(x)).detach().numpy()[:, 0]
    np.testing.assert_allclose(got, [o.data for o in neuron(x)], rtol=1e-12)
    module = nn.to_torch(nn.MLP(3, [2], seed=0), dtype=torch.float32)
    assert module[0].weight.dtype == torch.float32
    back = nn.from_torch(module[0])  # one Linear: an MLP of one linear layer
    assert back.sizes == [2] and back.output_activation is None
    assert back.layers[0].neurons[1].w[2].data == float(module[0].weight.detach()[1, 2])


def _custom(v: Value) -> Value:
    return v * 2


@pytest.mark.parametrize(
    ("build", "error", "pattern"),
    [
        (
            lambda: nn.to_torch(nn.MLP(2, [3, 1], activation=_custom)),
            ValueError,
            "layer 0.*_custom",
        ),
        (lambda: nn.to_torch(nn.Module()), TypeError, "nn.MLP"),
        (
            lambda: nn.from_torch(
                torch.nn.Sequential(
                    torch.nn.Linear(2, 3), torch.nn.Dropout(), torch.nn.Linear(3, 1)
                )
            ),
            ValueError,
            "module 1 is Dropout",
        ),
        (
            lambda: nn.from_torch(
                torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2))
            ),
            ValueError,
            "module 1 is LeakyReLU",
        ),
        (
            lambda: nn.from_torch(
                torch.nn.Sequential(
                    torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3), torch.nn.ReLU(),
                    torch.nn.Linear(3, 1),
                )
            ),
            ValueError,
            "different activations",
        ),
        (
            lambda: nn.from_torch(
                torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1, bias=False))
            ),
            ValueError,
            "bias",
        ),
        (lambda: nn.from_torch(torch.nn.Sequential(torch.nn.Tanh())), ValueError, "comes first"),
        (lambda: nn.from_torch(torch.nn.Conv1d(1, 1, 1)), TypeError, "Sequential"),
    ],
)  # fmt: skip
def test_what_the_other_side_cannot_express_is_a_clear_error(
    build: Callable[[], Any], error: type[Exception], pattern: str
) -> None:
    with pytest.raises(error, match=pattern):
        build()


def test_import_nn_and_autograd_never_import_torch() -> None:
    code = "import sys, nn, autograd; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False"


def test_without_torch_the_bridge_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import nn\n"
        "try:\n    nn.to_torch(nn.MLP(2, [1], seed=0))\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "pip install 'backproplab[torch]'" in out.stdout


def test_torch_is_the_optional_extra_and_dev_keeps_the_tested_pin() -> None:
    from pathlib import Path

    from packaging.requirements import Requirement
    from setuptools.config.pyprojecttoml import read_configuration

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = read_configuration(pyproject, expand=False)["project"]["optional-dependencies"]
    (extra,) = [Requirement(r) for r in extras["torch"]]
    assert extra.name == "torch" and extra.specifier.contains("2.13.0")
    dev = [Requirement(r) for r in extras["dev"]]
    assert any(r.name == "backproplab" and "torch" in r.extras for r in dev)
    assert [str(r.specifier) for r in dev if r.name == "torch"] == ["==2.13.0"]
