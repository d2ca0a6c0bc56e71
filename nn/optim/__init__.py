"""Optimizers, learning-rate schedulers and gradient clipping for `Value` parameters.

Laid out as ``torch.optim``: the `Optimizer` base class (``optimizer.py``: parameter
groups, the all-or-nothing ``step``, ``state_dict``), one module per optimizer, each
a class beside its plain update function over lists of floats and the same rule,
bit for bit, over numpy arrays (``sgd.py``: `SGD`, ``sgd``, ``sgd_arrays``;
``adam.py``: `Adam`, `AdamW`, ``adam``, ``adam_arrays``; ``rmsprop.py``;
``adagrad.py``), ``lr_scheduler.py`` (with ``one_cycle.py`` and ``plateau.py``) and
``clip_grad.py``.
The update rules, argument names and defaults are torch's, each written out in its
class docstring with a link to the page it follows.
"""

from nn.optim.adagrad import Adagrad, adagrad, adagrad_arrays
from nn.optim.adam import Adam, AdamW, adam, adam_arrays
from nn.optim.clip_grad import clip_grad_norm, clip_grad_norm_arrays
from nn.optim.lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
)
from nn.optim.one_cycle import OneCycleLR
from nn.optim.optimizer import Optimizer
from nn.optim.plateau import ReduceLROnPlateau
from nn.optim.rmsprop import RMSprop, rmsprop, rmsprop_arrays
from nn.optim.sgd import SGD, sgd, sgd_arrays

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
    "adagrad",
    "adagrad_arrays",
    "adam",
    "adam_arrays",
    "clip_grad_norm",
    "clip_grad_norm_arrays",
    "rmsprop",
    "rmsprop_arrays",
    "sgd",
    "sgd_arrays",
]
