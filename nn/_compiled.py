"""What ``fit(..., compile=True)`` runs per batch: the compiled model and vectorised losses.

The model is traced once (`autograd.compile`) on one training row; each batch is then
one vectorised forward pass, the loss and its gradient with respect to the outputs in
numpy, and one vectorised backward pass that adds d loss / d parameter to ``.grad``.

Each loss of `nn.losses` has its batch form here: the loss's own formula (written once
in `nn.losses`, over a namespace of math) evaluated on numpy rows with `NUMPY_MATH`
(`autograd.compile`'s numpy forms of the same operations), so training follows the
eager trajectory to the last bit but where numpy's exp and log round differently from
the C library's (tests/nn/test_loss_forms.py says where); with the gradient with
respect to the outputs, as (per-row losses, d loss_row / d outputs). A loss without one
(a custom function) is computed by the engine itself, on the outputs as leaf Values:
slower, and exact.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import autograd
from autograd import Value
from autograd.compile import RULES
from nn import losses as _losses
from nn.module import _forward, _numbers

Array = NDArray[np.float64]
# (outputs (n,) or (n, k), targets) -> (per-sample losses (n,), their gradients with
# respect to the outputs, in the outputs' shape), or None when the batch form does not
# apply (a value the engine must judge: the eager loss then runs, and raises its error).
BatchLoss = Callable[[Array, NDArray[Any]], tuple[Array, Array] | None]


class CompiledTraining:
    """The model compiled for `nn.fit`: ``gradients`` for each training batch,
    ``predict`` for the validation data. Traced once, on one row of X."""

    def __init__(self, model: Any, loss: Callable[..., Value], example: Array) -> None:
        self.compiled = autograd.compile(model, example)
        self.loss = loss
        self.batch_loss, self.reduction = _batch_form(loss)

    def gradients(self, xb: Array, yb: NDArray[Any]) -> tuple[float, Array]:
        """(the batch's loss, the outputs), with every parameter's ``.grad`` increased
        by d loss / d parameter: `nn.train.GradientFn`."""
        outputs, backward = self.compiled.vjp(xb)
        value, grad_output = self._loss(outputs, yb)
        backward(grad_output)
        return value, outputs

    def predict(self, X: Array, y: NDArray[Any]) -> tuple[float, Array]:
        """(the loss on (X, y), the outputs), touching no gradient."""
        outputs = self.compiled(X)
        form = self._form(outputs, y)
        if form is None:
            with autograd.no_grad():
                return self.loss(_leaves(outputs), y.tolist()).data, outputs
        return form[0], outputs

    def _loss(self, outputs: Array, yb: NDArray[Any]) -> tuple[float, Array]:
        form = self._form(outputs, yb)
        if form is None:
            return _through_the_engine(self.loss, outputs, yb)
        value, grad_output, scale = form
        return value, grad_output * scale

    def _form(self, outputs: Array, y: NDArray[Any]) -> tuple[float, Array, float] | None:
        """(the loss, d loss_row / d outputs, the factor of each row's gradient) from the
        batch form; None where the engine must judge: a loss without a batch form, or a
        value or gradient that is not finite here (the engine then raises its own error,
        as eager training does, or computes what overflowed only in the batch form)."""
        if self.batch_loss is None:
            return None
        with np.errstate(all="ignore"):  # what overflows is handed to the engine
            form = self.batch_loss(outputs, y)
        if form is None or not (np.isfinite(form[0]).all() and np.isfinite(form[1]).all()):
            return None
        try:
            total = math.fsum(form[0].tolist())
        except OverflowError:  # fsum raises where its partial sums overflow
            return None
        if self.reduction == "sum":
            return total, form[1], 1.0
        n = outputs.size if _base(self.loss) is _losses.mse else len(outputs)
        return total / n, form[1], 1.0 / n


def _leaves(outputs: Array) -> Any:
    """The outputs as leaf Values, in the shape a loss takes them."""
    rows = outputs.tolist()
    if outputs.ndim == 1:
        return [Value(o) for o in rows]
    return [[Value(x) for x in row] for row in rows]


def _through_the_engine(
    loss: Callable[..., Value], outputs: Array, yb: NDArray[Any]
) -> tuple[float, Array]:
    """Any loss: its graph over the outputs as leaves, and their gradients."""
    leaves = _leaves(outputs)
    value = loss(leaves, yb.tolist())
    value.backward()
    if outputs.ndim == 1:
        return value.data, np.array([v.grad for v in leaves])
    return value.data, np.array([[v.grad for v in row] for row in leaves])


def _base(loss: Any) -> Any:
    return loss.func if isinstance(loss, functools.partial) else loss


def _batch_form(loss: Any) -> tuple[BatchLoss | None, str]:
    """(the batch form of `loss`, its reduction); (None, "") for a loss without one.
    A ``functools.partial`` with only ``reduction`` given keeps its batch form."""
    base, keywords = loss, {}
    if isinstance(loss, functools.partial):
        if loss.args or set(loss.keywords) - {"reduction"}:
            return None, ""
        base, keywords = loss.func, dict(loss.keywords)
    if base not in _BATCH_FORMS:
        return None, ""
    default = "sum" if base is _losses.sse else "mean"
    return _BATCH_FORMS[base], keywords.get("reduction", default)


# ------------------------------------------------------------------ the batch forms


def _rows(outputs: Array) -> Array:
    return outputs if outputs.ndim == 2 else outputs[:, None]


class _NumpyMath:
    """The namespace the loss formulas of `nn.losses` are evaluated over here: a sample
    per row, each operation in `autograd.compile`'s numpy form, the engine's numbers.

    softplus(z) is logsumexp(0, z) and sigmoid(z) is softmax(0, z)[1]: in compile's
    forms of those (the engine's: the largest term taken out, log1p of the rest) they
    are the engine's ``Value.softplus`` and ``Value.sigmoid`` to the last bit, with no
    second copy of either formula here.
    """

    negative = staticmethod(np.negative)
    log_softmax = staticmethod(RULES["log_softmax"].forward)
    softmax = staticmethod(RULES["softmax"].forward)
    dot = staticmethod(RULES["dot"].forward)

    @staticmethod
    def log(x: Array) -> Array:
        return np.log(x)

    @staticmethod
    def relu(x: Array) -> Array:
        return np.maximum(x, 0.0)

    @staticmethod
    def pick(rows: Array, index: NDArray[Any]) -> Array:
        return rows[np.arange(len(rows)), index]  # type: ignore[no-any-return]

    @staticmethod
    def softplus(z: Array) -> Array:
        return RULES["logsumexp"].forward(_with_zero(z))

    @staticmethod
    def sigmoid(z: Array) -> Array:
        return RULES["softmax"].forward(_with_zero(z))[:, 1]


def _with_zero(z: Array) -> Array:
    """Rows (0, z_i): the two logits of a binary choice."""
    return np.stack([np.zeros_like(z), z], axis=1)


NUMPY_MATH = _NumpyMath()


def _cross_entropy(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """`nn.losses.class_index_formula` (or its probabilities' form) per row. Gradient:
    softmax(x) - onehot (softmax(x) sum(p) - p for probabilities)."""
    x = _rows(outputs)
    softmax = NUMPY_MATH.softmax(x)
    if targets.ndim == 1 and np.issubdtype(targets.dtype, np.integer):
        if targets.min() < 0 or targets.max() >= x.shape[1]:
            return None
        grad = softmax.copy()
        grad[np.arange(len(x)), targets] -= 1.0
        return _losses.class_index_formula(NUMPY_MATH, x, targets), grad.reshape(outputs.shape)
    p = np.asarray(targets, dtype=float)
    if p.shape != x.shape:
        return None
    per_row = _losses.class_probabilities_formula(NUMPY_MATH, x, p)
    return per_row, (softmax * p.sum(1)[:, None] - p).reshape(outputs.shape)


def _squared(outputs: Array, targets: NDArray[Any], factor: float) -> tuple[Array, Array] | None:
    t = np.asarray(targets, dtype=float)
    if t.size != outputs.size:
        return None
    d = outputs - t.reshape(outputs.shape)
    per_row = (_rows(d) ** 2).sum(1) * factor
    return per_row, 2.0 * factor * d


def _binary_cross_entropy(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """`nn.losses.probability_formula` per row; its gradient -t / p + (1 - t) / (1 - p)
    written as the engine's backward forms it: (1/p)(-t) + (1/(1 - p))(1 - t)."""
    p, t = outputs, np.asarray(targets, dtype=float).reshape(outputs.shape)
    if outputs.ndim != 1 or not ((p > 0.0) & (p < 1.0)).all():
        return None  # the engine names the saturated probability
    grad = (1.0 / p) * -t + (1.0 / (1.0 - p)) * (1.0 - t)
    return _losses.probability_formula(NUMPY_MATH, p, t), grad


def _with_logits(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """`nn.losses.logit_formula` per row; gradient sigmoid(z) - t."""
    if outputs.ndim != 1:
        return None
    t = np.asarray(targets, dtype=float).reshape(outputs.shape)
    per_row = _losses.logit_formula(NUMPY_MATH, outputs, t)
    return per_row, NUMPY_MATH.sigmoid(outputs) - t


def _hinge(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """`nn.losses.margin_formula` per row; gradient -y where 1 - s y > 0 (0 at the kink,
    as relu)."""
    if outputs.ndim != 1:
        return None
    y = np.asarray(targets, dtype=float).reshape(outputs.shape)
    per_row = _losses.margin_formula(NUMPY_MATH, outputs, y)
    return per_row, np.where(1.0 - outputs * y > 0.0, -y, 0.0)


_BATCH_FORMS: dict[Any, BatchLoss] = {
    _losses.cross_entropy: _cross_entropy,
    _losses.sse: lambda o, t: _squared(o, t, 0.5),
    _losses.mse: lambda o, t: _squared(o, t, 1.0),
    _losses.binary_cross_entropy: _binary_cross_entropy,
    _losses.binary_cross_entropy_with_logits: _with_logits,
    _losses.hinge: _hinge,
}


class BatchOutputs:
    """The model as one vectorised call over rows, for the demo's pictures (a lattice
    of thousands of points, evaluated at every snapshot): traced once, on `example`,
    it reads the parameters' current ``.data`` on every call. A model the tracer
    refuses (one that branches on its values) is evaluated row by row instead."""

    def __init__(self, model: Any, example: Array) -> None:
        self.model = model
        try:
            self.compiled: Any = autograd.compile(model, example)
        except (TypeError, ValueError):
            self.compiled = None

    def __call__(self, X: Array) -> Array:
        """The outputs on every row of X: shape (n, k), or (n,) for one output."""
        if self.compiled is not None:
            return np.asarray(self.compiled(X), dtype=float)
        with autograd.no_grad():
            return _numbers(_forward(self.model, X.tolist()))
