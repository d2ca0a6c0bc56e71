"""nn: neural networks built on autograd's Values.

Modules (`Module`, `Neuron`, `Layer`, `MLP`), weight initialisers (`nn.init`), losses
(`nn.losses`, re-exported here), model files (`Module.save`, `load_model`), optimizers
and learning-rate schedules (`nn.optim`), datasets and batching (`nn.data`), and the
training loop (`fit`, `evaluate`, `History`).
"""

from nn import data, init, losses, optim
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
from nn.train import History, early_stopping, evaluate, fit, max_error_below

__all__ = [
    "MLP",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "data",
    "early_stopping",
    "evaluate",
    "fit",
    "hinge",
    "init",
    "l2",
    "load_model",
    "losses",
    "max_error_below",
    "mse",
    "optim",
    "sse",
]
