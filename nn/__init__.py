"""nn: neural networks built on autograd's Values.

Modules (`Module`, `Neuron`, `Layer`, `MLP`), weight initialisers (`nn.init`), losses
(`nn.losses`, re-exported here) and model files (`Module.save`, `load_model`).
"""

from nn import init, losses
from nn.layers import MLP, Layer, Neuron, load_model
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2,
    mse,
    sse,
)
from nn.module import Module

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "init",
    "l2",
    "load_model",
    "losses",
    "mse",
    "sse",
]
