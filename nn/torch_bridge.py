"""The same network in PyTorch: `to_torch`, `from_torch` and the one name mapping they share.

``nn.to_torch(model)`` gives a ``torch.nn.Sequential`` of ``Linear`` layers and
activation modules holding the same numbers (float64 unless ``dtype=`` says
otherwise); ``nn.from_torch(module)`` gives the `MLP` back. Both go through
`parameter_map`, which pairs every scalar parameter here with one entry of a torch
tensor: ``layers.0.neurons.3.w.1`` is ``0.weight[3, 1]``, ``layers.0.neurons.3.b`` is
``0.bias[3]``; layer i is the i-th ``Linear`` of the Sequential (its position counts
the activation modules before it). The optimizer and scheduler bridges
(`nn.torch_optim`) use the same mapping.

The file is not called ``torch.py``: inside the package that name would read as the
library itself in tracebacks and to tools run from this folder.

PyTorch is an optional dependency (``pip install 'backproplab[torch]'``): this module
imports it only when one of its functions runs, so ``import nn`` never loads it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from nn import _checks as checks
from nn import init as _init
from nn.layers import MLP, Layer, Neuron
from nn.module import Module

if TYPE_CHECKING:
    import torch

__all__ = ["from_torch", "import_torch", "parameter_map", "to_torch"]

# activation name -> (torch.nn module class name, the arguments that make it the same
# function). torch's Softplus returns x itself above x = 20, where log(1 + e^x) differs
# from x by less than 2.1e-9; the engine computes log(1 + e^x) everywhere.
TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, float]]] = {
    "tanh": ("Tanh", {}),
    "relu": ("ReLU", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    "softplus": ("Softplus", {"beta": 1.0}),
}


def import_torch(who: str) -> ModuleType:
    """PyTorch, or an ImportError that says how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(
            f"{who} needs PyTorch, which is not installed: pip install 'backproplab[torch]' "
            f"(or pip install torch)"
        ) from None


@dataclass(frozen=True)
class Dense:
    """One fully connected layer as both sides see it."""

    prefix: str  # the parameter names' start here, e.g. "layers.1.neurons."
    position: int  # the index of its Linear in the torch Sequential
    neurons: list[Neuron]
    activation: str


def _dense_layers(model: Module, who: str) -> list[Dense]:
    """The model's layers with their torch positions; an error names what torch lacks."""
    if isinstance(model, MLP):
        layers: list[tuple[str, Layer | Neuron]] = [
            (f"layers.{i}.neurons.", layer) for i, layer in enumerate(model.layers)
        ]
    elif isinstance(model, Layer):
        layers = [("neurons.", model)]
    elif isinstance(model, Neuron):
        layers = [("", model)]
    else:
        checks.fail(who, "model", model, "an nn.MLP, nn.Layer or nn.Neuron", error=TypeError)
    out: list[Dense] = []
    position = 0
    for i, (prefix, layer) in enumerate(layers):
        activation = layer.activation
        if not isinstance(activation, str):
            name = getattr(activation, "__name__", repr(activation))
            raise ValueError(
                f"{who}: layer {i} ({prefix or 'the neuron'}) has the custom activation "
                f"{name}, which torch has no module for; use one of "
                f"{', '.join(['linear', *TORCH_ACTIVATIONS])}"
            )
        neurons = layer.neurons if isinstance(layer, Layer) else [layer]
        if isinstance(layer, Neuron):
            prefix = ""
        out.append(Dense(prefix, position, neurons, activation))
        position += 1 if activation == "linear" else 2
    return out


def parameter_map(model: Module) -> list[tuple[str, str, tuple[int, ...]]]:
    """``(name here, torch state-dict key, index in that tensor)`` for every parameter,
    in ``model.named_parameters()`` order: the one mapping both directions use.

    >>> parameter_map(MLP(2, [1], seed=0))
    [('layers.0.neurons.0.w.0', '0.weight', (0, 0)), ('layers.0.neurons.0.w.1', '0.weight', (0, 1)), ('layers.0.neurons.0.b', '0.bias', (0,))]
    """  # noqa: E501
    out: list[tuple[str, str, tuple[int, ...]]] = []
    for dense in _dense_layers(model, "parameter_map"):
        for k, neuron in enumerate(dense.neurons):
            start = f"{dense.prefix}{k}." if dense.prefix else ""
            for j in range(len(neuron.w)):
                out.append((f"{start}w.{j}", f"{dense.position}.weight", (k, j)))
            if neuron.b is not None:
                out.append((f"{start}b", f"{dense.position}.bias", (k,)))
    return out


def to_torch(
    model: Module, dtype: torch.dtype | None = None, device: str | torch.device | None = None
) -> torch.nn.Sequential:
    """The model as a ``torch.nn.Sequential`` with the same weights (float64 by default).

    One ``Linear`` per layer, followed by its activation's module (``Tanh``, ``ReLU``,
    ``Sigmoid``, ``LeakyReLU(0.01)``, ``Softplus``; none for a linear layer). It
    returns a tensor of shape (batch, outputs) where the model returns a list (or, for
    one output, one Value per sample). A custom activation function raises ValueError
    naming the layer. ``device`` places the parameters (``"cuda"`` where there is one).
    """
    th = import_torch("nn.to_torch")
    layers = _dense_layers(model, "nn.to_torch")
    dtype = th.float64 if dtype is None else dtype
    modules: list[Any] = []
    for dense in layers:
        fan_in, fan_out = dense.neurons[0].in_features, len(dense.neurons)
        bias = dense.neurons[0].b is not None
        modules.append(th.nn.Linear(fan_in, fan_out, bias=bias, dtype=dtype, device=device))
        if dense.activation != "linear":
            name, kwargs = TORCH_ACTIVATIONS[dense.activation]
            modules.append(getattr(th.nn, name)(**kwargs))
    module = th.nn.Sequential(*modules)
    arrays = {key: np.zeros(tuple(t.shape)) for key, t in module.state_dict().items()}
    values = model.state_dict()
    for name, key, index in parameter_map(model):
        arrays[key][index] = values[name]
    module.load_state_dict({key: th.from_numpy(a) for key, a in arrays.items()})
    sequential: torch.nn.Sequential = module
    return sequential


def _activation_name(child: Any, th: ModuleType, where: str) -> str:
    """The activation name of a torch module that computes the same function, or an error."""
    for name, (cls, kwargs) in TORCH_ACTIVATIONS.items():
        if type(child) is getattr(th.nn, cls) and all(
            getattr(child, key) == value for key, value in kwargs.items()
        ):
            return name
    known = ", ".join(f"{cls}({kwargs or ''})" for cls, kwargs in TORCH_ACTIVATIONS.values())
    raise ValueError(
        f"nn.from_torch: {where} is {child!r}, which nn has no activation for; nn.MLP takes "
        f"Linear layers each followed by at most one of {known}"
    )


def _torch_layers(module: Any, th: ModuleType) -> list[tuple[Any, str]]:
    """(Linear, activation name) pairs of a Sequential (or a lone Linear)."""
    if not isinstance(module, th.nn.Sequential):
        checks.fail(
            "nn.from_torch",
            "module",
            module,
            "a torch.nn.Sequential of Linear and activation modules (or one Linear)",
            error=TypeError,
        )
    pairs: list[tuple[Any, str]] = []
    for i, child in enumerate(module):
        if isinstance(child, th.nn.Linear):
            pairs.append((child, "linear"))
        elif not pairs or pairs[-1][1] != "linear":
            what = "comes first" if not pairs else "follows another activation"
            raise ValueError(
                f"nn.from_torch: module {i} ({type(child).__name__}) {what}; nn.MLP has each "
                f"activation right after a Linear"
            )
        else:
            pairs[-1] = (pairs[-1][0], _activation_name(child, th, f"module {i}"))
    if not pairs:
        raise ValueError("nn.from_torch: the Sequential is empty; give it Linear layers")
    return pairs


def from_torch(module: torch.nn.Module) -> MLP:
    """The `MLP` that ``module`` (a Sequential as `to_torch` makes) computes, same weights.

    The hidden layers must share one activation and one bias setting, as an MLP's do;
    the last layer's activation becomes ``output_activation`` (None when linear).
    Weights of any dtype or device are read as float64. Anything nn cannot express
    raises ValueError naming the module at fault.
    """
    th = import_torch("nn.from_torch")
    if isinstance(module, th.nn.Linear):
        module = th.nn.Sequential(module)  # its keys then read "0.weight", as mapped
    pairs = _torch_layers(module, th)
    hidden = {act for _, act in pairs[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            f"nn.from_torch: the hidden layers use different activations {sorted(hidden)}; "
            f"an nn.MLP has one activation for all of them"
        )
    biases = {linear.bias is not None for linear, _ in pairs}
    if len(biases) > 1:
        raise ValueError(
            "nn.from_torch: some Linear layers have a bias and some not; an nn.MLP has bias "
            "in every layer or none"
        )
    for i, ((a, _), (b, _)) in enumerate(pairwise(pairs)):
        if a.out_features != b.in_features:
            raise ValueError(
                f"nn.from_torch: Linear {i} gives {a.out_features} outputs, Linear {i + 1} "
                f"takes {b.in_features}"
            )
    output = pairs[-1][1]
    model = MLP(
        pairs[0][0].in_features,
        [linear.out_features for linear, _ in pairs],
        activation=hidden.pop() if hidden else output,
        output_activation=None if output == "linear" else output,
        init=_init.zeros(),
        seed=0,
        bias=biases.pop(),
    )
    tensors = {
        key: t.detach().to("cpu", th.float64).numpy() for key, t in module.state_dict().items()
    }
    model.load_state_dict(
        {name: float(tensors[key][index]) for name, key, index in parameter_map(model)}
    )
    return model
