"""What ``fit(..., compile=True)`` runs per batch: the compiled model and vectorised losses.

The model is traced once (`autograd.compile`) on one training row; each batch is then
one vectorised forward pass, the loss and its gradient with respect to the outputs in
numpy, and one vectorised backward pass that adds d loss / d parameter to ``.grad``.

Each loss of `nn.losses` has its batch form here, the same formula as the Value graph
the loss builds (so training follows the eager trajectory to rounding), given as
(per-row losses, d loss_row / d outputs). A loss without one (a custom function) is
computed by the engine itself, on the outputs as leaf Values: slower, and exact.
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


def _lse(x: Array) -> Array:
    m = x.max(1, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(1, keepdims=True)))[:, 0]  # type: ignore[no-any-return]


def _cross_entropy(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """logsumexp(x) - x_t for class indices; logsumexp(x) sum(p) - p . x for
    probabilities. Gradient: softmax(x) - onehot (times sum(p) for probabilities)."""
    x = _rows(outputs)
    lse = _lse(x)
    softmax = np.exp(x - lse[:, None])
    if targets.ndim == 1 and np.issubdtype(targets.dtype, np.integer):
        if targets.min() < 0 or targets.max() >= x.shape[1]:
            return None
        rows = np.arange(len(x))
        grad = softmax.copy()
        grad[rows, targets] -= 1.0
        return lse - x[rows, targets], grad.reshape(outputs.shape)
    p = np.asarray(targets, dtype=float)
    if p.shape != x.shape:
        return None
    total = p.sum(1)
    return lse * total - (p * x).sum(1), (softmax * total[:, None] - p).reshape(outputs.shape)


def _squared(outputs: Array, targets: NDArray[Any], factor: float) -> tuple[Array, Array] | None:
    t = np.asarray(targets, dtype=float)
    if t.size != outputs.size:
        return None
    d = outputs - t.reshape(outputs.shape)
    per_row = (_rows(d) ** 2).sum(1) * factor
    return per_row, 2.0 * factor * d


def _binary_cross_entropy(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """-(t log p + (1 - t) log(1 - p)), with the engine's t = 0 and t = 1 forms."""
    p, t = outputs, np.asarray(targets, dtype=float).reshape(outputs.shape)
    if outputs.ndim != 1 or not ((p > 0.0) & (p < 1.0)).all():
        return None  # the engine names the saturated probability
    log_p, log_q = np.log(p), np.log(1.0 - p)
    mixed = -(log_p * t + log_q * (1.0 - t))
    per_row = np.where(t == 1.0, -log_p, np.where(t == 0.0, -log_q, mixed))
    mixed_grad = -t / p + (1.0 - t) / (1.0 - p)
    grad = np.where(t == 1.0, -1.0 / p, np.where(t == 0.0, 1.0 / (1.0 - p), mixed_grad))
    return per_row, grad


def _softplus(z: Array) -> Array:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: Array) -> Array:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _with_logits(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """softplus(z) - t z; gradient sigmoid(z) - t."""
    if outputs.ndim != 1:
        return None
    t = np.asarray(targets, dtype=float).reshape(outputs.shape)
    return _softplus(outputs) - outputs * t, _sigmoid(outputs) - t


def _hinge(outputs: Array, targets: NDArray[Any]) -> tuple[Array, Array] | None:
    """relu(1 - s y); gradient -y where 1 - s y > 0 (0 at the kink, as relu)."""
    if outputs.ndim != 1:
        return None
    y = np.asarray(targets, dtype=float).reshape(outputs.shape)
    margin = 1.0 - outputs * y
    return np.maximum(margin, 0.0), np.where(margin > 0.0, -y, 0.0)


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
