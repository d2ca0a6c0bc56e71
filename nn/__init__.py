"""nn: neural networks built on autograd's Values.

Modules (`Module`, `Neuron`, `Layer`, `MLP`), weight initialisers (`nn.init`), losses
(`nn.losses`, re-exported here), model files (`Module.save`, `load_model`), optimizers
and learning-rate schedules (`nn.optim`), datasets and batching (`nn.data`), the
training loop (`fit`, `evaluate`, `History`) and its callbacks (`nn.callbacks`:
`Callback`, the hooks a run calls, which you can write too); the same model and optimizer in PyTorch
(`to_torch`, `from_torch`, `optimizer_to_torch`, ...: torch is imported only when one
of them runs).
"""

from nn import callbacks, data, init, losses, optim
from nn.callbacks import Callback, Run
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
from nn.torch_bridge import from_torch, parameter_map, to_torch
from nn.torch_optim import (
    optimizer_from_torch,
    optimizer_to_torch,
    scheduler_from_torch,
    scheduler_to_torch,
)
from nn.train import History, early_stopping, evaluate, fit, max_error_below

__all__ = [
    "MLP",
    "Callback",
    "History",
    "Layer",
    "Module",
    "Neuron",
    "Run",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "callbacks",
    "cross_entropy",
    "data",
    "early_stopping",
    "evaluate",
    "fit",
    "from_torch",
    "hinge",
    "init",
    "l2",
    "load_model",
    "losses",
    "max_error_below",
    "mse",
    "optim",
    "optimizer_from_torch",
    "optimizer_to_torch",
    "parameter_map",
    "scheduler_from_torch",
    "scheduler_to_torch",
    "sse",
    "to_torch",
]
