"""Loss functions: how far a model's outputs are from the targets, as one Value.

One sample or a batch. Every loss takes the prediction(s) first and the target(s)
second, and tells a batch from one sample by the shape of the prediction:

- vector losses (`sse`, `mse`, `cross_entropy`): one sample's prediction is a flat
  list of Values (for `sse`/`mse` a lone Value too: one output); a batch is a list of
  such lists, ``[[o_11, o_12], [o_21, o_22], ...]``. So a flat list is ONE sample with
  several outputs. The targets mirror the predictions: a list of numbers per sample,
  for `cross_entropy` a class index (int) or a list of class probabilities per sample.
- scalar losses (`binary_cross_entropy`, `binary_cross_entropy_with_logits`,
  `hinge`): one sample's prediction is a single Value; a batch is a flat list of
  Values, with a number or a list of numbers as target.

Targets may be numbers, lists or numpy arrays; predictions must be Values. Shapes that
do not match (lengths, ragged batches, an empty batch) raise ``ValueError``; a wrong
kind of object raises ``TypeError``.

``reduction`` combines the per-sample losses of a batch: ``"mean"`` averages them,
``"sum"`` adds them (for one sample both give that sample's loss). `mse` reduces over
every element, as PyTorch does (all outputs of all samples). Every loss but `sse`
defaults to ``"mean"``, as PyTorch; `sse` defaults to ``"sum"``, its name: the classic
E = 1/2 sum over samples and outputs of (t - o)^2.

The graphs are small: a dot product, log-sum-exp or softplus is one node.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, TypeVar

from numpy.typing import NDArray

import autograd
from autograd import Value
from autograd.extend import is_batch
from nn import _checks as checks

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "classifies",
    "cross_entropy",
    "decision_threshold",
    "hinge",
    "l2",
    "mse",
    "sse",
]

Reduction = Literal["mean", "sum"]
VectorPrediction = Value | Sequence[Value] | Sequence[Sequence[Value]]
VectorTarget = float | Sequence[float] | Sequence[Sequence[float]] | NDArray[Any]
ScalarPrediction = Value | Sequence[Value]
ScalarTarget = float | Sequence[float] | NDArray[Any]
ClassTarget = int | Sequence[int] | Sequence[float] | Sequence[Sequence[float]] | NDArray[Any]

_Loss = TypeVar("_Loss", bound=Callable[..., Value])


# ------------------------------------------------------------- decision threshold


def decision_threshold(loss: Callable[..., Value]) -> float:
    """Where a one-output model trained with ``loss`` splits class 0 from class 1: an
    output above the threshold is class 1 (what `nn.evaluate`'s accuracy counts).

    0.5 for `binary_cross_entropy`, whose prediction is a probability; 0 for every other
    loss (scores and logits: `binary_cross_entropy_with_logits`, `hinge`, a regression
    output). A loss of your own declares another with an attribute
    ``decision_threshold``. Wrappers made with ``functools.partial`` or
    ``functools.wraps`` keep the threshold of the loss they wrap, so
    ``partial(binary_cross_entropy, reduction="sum")`` still decides at 0.5.
    """
    threshold = _declared_threshold(loss)
    return 0.0 if threshold is None else threshold


def classifies(loss: Callable[..., Value]) -> bool:
    """Whether ``loss`` trains a classifier: its targets are classes and it declares a
    `decision_threshold` (`cross_entropy`, `binary_cross_entropy`,
    `binary_cross_entropy_with_logits`, `hinge`, wrappers of them, and a loss of your own
    with that attribute), unlike the regression losses `mse` and `sse`."""
    return _declared_threshold(loss) is not None


def _declared_threshold(loss: Callable[..., Value]) -> float | None:
    """The ``decision_threshold`` of ``loss`` or of the loss it wraps, if one says it."""
    for _ in range(100):  # a chain of wrappers, never a cycle
        threshold = getattr(loss, "decision_threshold", None)
        if threshold is not None:
            return float(threshold)
        inner = loss.func if isinstance(loss, functools.partial) else None
        inner = getattr(loss, "__wrapped__", None) if inner is None else inner
        if not callable(inner):
            return None
        loss = inner
    return None


def _decides_at(threshold: float) -> Callable[[_Loss], _Loss]:
    """Give a loss its `decision_threshold`."""

    def mark(loss: _Loss) -> _Loss:
        vars(loss)["decision_threshold"] = threshold
        return loss

    return mark


# ------------------------------------------------------------------ shape handling


def _check_reduction(reduction: str, loss: str) -> None:
    checks.choice(loss, "reduction", reduction, ("mean", "sum"))


def _plain(x: Any) -> Any:
    """numpy arrays and scalars as Python lists and numbers."""
    tolist = getattr(x, "tolist", None)
    return tolist() if tolist is not None and not isinstance(x, Value) else x


def _is_seq(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _label(form: str, i: int, n: int) -> str:
    """How a message names entry i of n (``form`` with the index): not at all when n is 1.
    A lone sample's or output's index says nothing, and in `nn.fit`'s check of each row
    of y (one sample at a time) a "sample 0" would read as a second, wrong row number."""
    return form.format(i) if n > 1 else ""


def _named(what: str, where: str) -> str:
    """The name of an entry ("target 1 of sample 3"); ``where`` may be empty or start spaced."""
    return " ".join(f"{what} {where}".split())


def _number(t: object, loss: str, where: str) -> float:
    if isinstance(t, Value):
        checks.fail(
            loss,
            _named("target", where),
            t,
            "a number",
            "the prediction comes first, the target second",
            TypeError,
        )
    return checks.real(loss, _named("target", where), t)


def _value(v: object, loss: str, where: str) -> Value:
    if not isinstance(v, Value):
        raise TypeError(
            f"{loss}: {_named('prediction', where)} must be a Value (a model output), got "
            f"{type(v).__name__} {v!r}; the prediction comes first, the target second"
        )
    return v


def _vector(pred: Any, loss: str, where: str) -> list[Value]:
    """One sample's outputs: a non-empty flat list of Values (or a lone Value)."""
    if isinstance(pred, Value):
        return [pred]
    if not _is_seq(pred) or not pred:
        raise ValueError(
            f"{loss}: prediction {where} must be a non-empty list of Values, got {pred!r}"
        )
    return [_value(v, loss, f"{where} output {k}".strip()) for k, v in enumerate(pred)]


def _prediction_rows(pred: Any, loss: str) -> tuple[list[list[Value]], bool]:
    """The prediction as a list of samples' outputs, and whether it was a batch (by
    `autograd.functional.is_batch`, the rule `linear` and the layers follow)."""
    if is_batch(pred):
        samples = [_vector(p, loss, f"sample {i}") for i, p in enumerate(pred)]
        width = len(samples[0])
        for i, s in enumerate(samples):
            if len(s) != width:
                raise ValueError(
                    f"{loss}: ragged batch: sample 0 has {width} outputs, sample {i} has {len(s)}"
                )
        return samples, True
    if _is_seq(pred) and not pred:
        raise ValueError(f"{loss}: empty prediction; pass at least one sample")
    return [_vector(pred, loss, "")], False


def _is_column(target: Any, n: int) -> bool:
    """Whether target is n rows of one number each: shape (n, 1)."""
    return _is_seq(target) and len(target) == n and all(_is_seq(t) and len(t) == 1 for t in target)


def _vector_pairs(
    prediction: Any, target: Any, loss: str
) -> tuple[list[list[Value]], list[list[float]]]:
    """(each sample's outputs, each sample's targets) of a vector loss, checked.

    A flat list of n Values with targets of shape (n, 1) is n one-output samples (what
    a one-output model gives for a batch, beside PyTorch-style column targets)."""
    samples, batch = _prediction_rows(prediction, loss)
    target = _plain(target)
    if not batch and _is_column(target, len(samples[0])):
        samples, batch = [[v] for v in samples[0]], True
    rows = target if batch else [target]
    if batch and (not _is_seq(target) or len(target) != len(samples)):
        got = f"{len(target)} targets" if _is_seq(target) else repr(target)
        raise ValueError(
            f"{loss}: a batch of {len(samples)} samples needs as many targets, got {got}"
        )
    if not batch and _is_seq(target) and any(_is_seq(t) for t in target):
        raise ValueError(
            f"{loss}: the prediction is one sample (a flat list of {len(samples[0])} Values) but "
            f"the target is a list of {len(target)} lists; pass one target per output, or "
            f"for a batch of one-output samples one target row [t] per prediction"
        )
    out = []
    for i, (row, sample) in enumerate(zip(rows, samples)):
        where = _label(" of sample {}", i, len(samples))
        ts = row if _is_seq(row) else [row]
        if len(ts) != len(sample):
            raise ValueError(
                f"{loss}: the prediction{where} has {len(sample)} outputs but the target has "
                f"{len(ts)}"
            )
        out.append([_number(t, loss, _label("{}", k, len(ts)) + where) for k, t in enumerate(ts)])
    return samples, out


def _scalars(pred: Any, target: Any, loss: str) -> tuple[list[Value], list[float], list[str]]:
    """(predictions, targets, how messages name each sample) of a scalar loss: one Value,
    or a flat batch of Values."""
    target = _plain(target)
    if isinstance(pred, Value):
        if _is_seq(target):
            raise ValueError(
                f"{loss}: one prediction (a Value) needs one target number, got {target!r}"
            )
        return [pred], [_number(target, loss, "")], [""]
    if not _is_seq(pred) or not pred:
        raise ValueError(
            f"{loss}: expected a Value or a non-empty list of Values (one per sample), got {pred!r}"
        )
    if is_batch(pred):
        raise ValueError(
            f"{loss}: one prediction per sample, a Value: got a list of lists; for a model "
            f"with one output use its Value, e.g. [model(x) for x in xs]"
        )
    if _is_column(target, len(pred)):  # targets of shape (n, 1)
        target = [t[0] for t in target]
    if not _is_seq(target) or len(target) != len(pred):
        got = f"{len(target)} targets" if _is_seq(target) else repr(target)
        raise ValueError(f"{loss}: {len(pred)} predictions need {len(pred)} targets, got {got}")
    labels = [_label("[{}]", i, len(pred)) for i in range(len(pred))]
    preds = [_value(p, loss, at) for p, at in zip(pred, labels)]
    return preds, [_number(t, loss, at) for t, at in zip(target, labels)], labels


def _reduce(losses: list[Value], reduction: str) -> Value:
    if len(losses) == 1:
        return losses[0]
    return autograd.sum(losses) if reduction == "sum" else autograd.mean(losses)


# ------------------------------------------------------------ formulas written once
# The per-sample formulas of the losses below, written over a namespace of math ``m``:
# `VALUE_MATH` here (Value operations: the graph the eager loss builds), or in
# `nn._compiled` the numpy forms `autograd.compile` runs for the same operations (one
# row per sample), so that ``fit(compile=True)`` computes each loss as the same
# expression, in the same order, as eager training.


class _ValueMath:
    """The namespace of the eager losses: each name the Value operation of that name."""

    @staticmethod
    def log(x: Value) -> Value:
        return x.log()

    @staticmethod
    def relu(x: Value) -> Value:
        return x.relu()

    @staticmethod
    def softplus(x: Value) -> Value:
        return x.softplus()

    @staticmethod
    def log_softmax(x: list[Value]) -> list[Value]:
        return autograd.log_softmax(x)

    @staticmethod
    def pick(row: list[Value], index: int) -> Value:
        return row[index]

    @staticmethod
    def dot(a: list[Value], b: list[float]) -> Value:
        return autograd.dot(a, b)

    @staticmethod
    def negative(numbers: list[float]) -> list[float]:
        return [-x for x in numbers]


VALUE_MATH = _ValueMath()


def class_index_formula(m: Any, logits: Any, t: Any) -> Any:
    """cross_entropy for a class index t: -log_softmax(x)[t] (not logsumexp(x) - x_t,
    which cancels for a confident right class: 0.53 relative error for logits [33, 0])."""
    return -m.pick(m.log_softmax(logits), t)


def class_probabilities_formula(m: Any, logits: Any, probs: Any) -> Any:
    """cross_entropy for probabilities p: log_softmax(x) . (-p); every term >= 0."""
    return m.dot(m.log_softmax(logits), m.negative(probs))


def probability_formula(m: Any, p: Any, t: Any) -> Any:
    """binary_cross_entropy: -(log(p) t + log(1 - p) (1 - t)). At t = 1 and t = 0 the
    eager loss builds only the term that remains, the same number to the last bit (the
    other term is a signed zero)."""
    return -(m.log(p) * t + m.log(1.0 - p) * (1.0 - t))


def logit_formula(m: Any, z: Any, t: Any) -> Any:
    """binary_cross_entropy_with_logits: softplus(z) - z t."""
    return m.softplus(z) - z * t


def margin_formula(m: Any, s: Any, y: Any) -> Any:
    """hinge: relu(1 - s y)."""
    return m.relu(1.0 - s * y)


# --------------------------------------------------------------------- the losses


def sse(prediction: VectorPrediction, target: VectorTarget, reduction: Reduction = "sum") -> Value:
    """Sum of squared errors with the factor 1/2: E = 1/2 sum_k (t_k - o_k)^2 per sample.

    The 1/2 makes dE/do_k = -(t_k - o_k), so with a sigmoid output the classic BP error
    term comes out exactly: delta_k = -dE/dnet_k = o_k (1 - o_k)(t_k - o_k).
    ``reduction="sum"`` (default) adds the samples' E (the classic E over a training
    set), ``"mean"`` averages them. Built as 1/2 dot(d, d) over the differences d.
    """
    _check_reduction(reduction, "sse")
    samples, targets = _vector_pairs(prediction, target, "sse")
    diffs = [o - t for sample, ts in zip(samples, targets) for o, t in zip(sample, ts)]
    scale = 0.5 if reduction == "sum" else 0.5 / len(samples)
    return autograd.dot(diffs, diffs) * scale


def mse(prediction: VectorPrediction, target: VectorTarget, reduction: Reduction = "mean") -> Value:
    """Mean squared error, as PyTorch's ``mse_loss``: (1/n) sum (o - t)^2, no 1/2.

    The mean (or with ``reduction="sum"`` the sum) runs over every element: all outputs
    of all samples, n of them. Gradient: dL/do = 2 (o - t) / n.
    """
    _check_reduction(reduction, "mse")
    samples, targets = _vector_pairs(prediction, target, "mse")
    diffs = [o - t for sample, ts in zip(samples, targets) for o, t in zip(sample, ts)]
    total = autograd.dot(diffs, diffs)
    return total if reduction == "sum" else total / len(diffs)


def _class_loss(logits: list[Value], target: Any, loss: str, where: str) -> Value:
    """-log softmax(logits)[target], or -sum_i p_i log softmax(logits)_i for probabilities."""
    n = len(logits)
    if n == 1:  # softmax of one logit is 1 whatever it is: a loss of 0 that trains nothing
        raise ValueError(
            f"{loss}: the prediction{where} has 1 output, but {loss} needs one output (logit) "
            f"per class, at least 2. For two classes with one output use "
            f"binary_cross_entropy_with_logits (targets 0 and 1), or give the model 2 outputs"
        )
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        t = int(target)
        if not 0 <= t < n:
            raise ValueError(
                f"{loss}: class index {t}{where} is out of range for {n} classes (0..{n - 1})"
            )
        # the entries that are not used are not in the loss's graph: backward never
        # visits them
        picked: Value = class_index_formula(VALUE_MATH, logits, t)
        return picked
    if not _is_seq(target):
        raise TypeError(
            f"{loss}: target{where} must be a class index (int) or a list of {n} class "
            f"probabilities, got {type(target).__name__} {target!r}"
        )
    if len(target) != n:
        raise ValueError(f"{loss}: {n} logits{where} but {len(target)} target probabilities")
    probs = [_number(p, loss, f"probability {i}{where}") for i, p in enumerate(target)]
    if any(p < 0.0 or p > 1.0 for p in probs) or abs(math.fsum(probs) - 1.0) > 1e-6:
        raise ValueError(
            f"{loss}: target probabilities{where} must lie in [0, 1] and sum to 1, got {probs}"
        )
    weighted: Value = class_probabilities_formula(VALUE_MATH, logits, probs)
    return weighted


@_decides_at(0.0)
def cross_entropy(
    logits: VectorPrediction, target: ClassTarget, reduction: Reduction = "mean"
) -> Value:
    """Softmax cross-entropy from raw scores (logits), as PyTorch's ``cross_entropy``.

    For a class index c: L = -log softmax(x)_c = logsumexp(x) - x_c. For a probability
    vector p: L = -sum_i p_i log softmax(x)_i. Computed through `autograd.log_softmax`
    (max-shifted, no cancellation), so logits of +-1000 give a finite loss and gradient
    softmax(x) - p, and a confident right answer keeps its tiny loss to the last digits.

    One sample: ``logits`` a list of Values, ``target`` an int or a list of
    probabilities. A batch: a list of such lists, and a list of ints or of probability
    lists (one per sample).
    """
    _check_reduction(reduction, "cross_entropy")
    targets: Any = _plain(target)
    samples, batch = _prediction_rows(logits, "cross_entropy")
    if not batch:
        return _class_loss(samples[0], targets, "cross_entropy", "")
    if not _is_seq(targets) or len(targets) != len(samples):
        got = f"{len(targets)} targets" if _is_seq(targets) else repr(targets)
        raise ValueError(
            f"cross_entropy: a batch of {len(samples)} samples needs as many targets, got {got}"
        )
    losses = [
        _class_loss(x, t, "cross_entropy", _label(" (sample {})", i, len(samples)))
        for i, (x, t) in enumerate(zip(samples, targets))
    ]
    return _reduce(losses, reduction)


@_decides_at(0.5)
def binary_cross_entropy(
    probability: ScalarPrediction, target: ScalarTarget, reduction: Reduction = "mean"
) -> Value:
    """L = -(t log p + (1 - t) log(1 - p)) for a probability p in (0, 1), t in [0, 1].

    p of exactly 0 or 1 (a saturated sigmoid) raises ``ValueError``: the log is infinite
    there, and the sigmoid's gradient p (1 - p) is 0. Use
    `binary_cross_entropy_with_logits` on the sigmoid's input instead.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    preds, targets, labels = _scalars(probability, target, "binary_cross_entropy")
    losses = []
    for p, t, at in zip(preds, targets, labels):
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: {_named('target', at)} must be in [0, 1], got {t!r}"
            )
        if not 0.0 < p.data < 1.0:
            raise ValueError(
                f"binary_cross_entropy: {_named('probability', at)} is {p.data!r}; it must lie "
                f"strictly "
                f"between 0 and 1 (log(p) and log(1 - p) must be finite). A sigmoid that "
                f"saturated gives exactly 0 or 1: pass its input, the logit, to "
                f"binary_cross_entropy_with_logits(logit, target), which is exact for any logit"
            )
        if t == 1.0:
            losses.append(-p.log())
        elif t == 0.0:
            losses.append(-(1.0 - p).log())
        else:
            losses.append(probability_formula(VALUE_MATH, p, t))
    return _reduce(losses, reduction)


@_decides_at(0.0)
def binary_cross_entropy_with_logits(
    logit: ScalarPrediction, target: ScalarTarget, reduction: Reduction = "mean"
) -> Value:
    """Binary cross-entropy of p = sigmoid(z), computed from the logit z.

    -(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))) = softplus(z) - t z, and softplus
    never overflows, so any finite z gives a finite loss. Gradient: sigmoid(z) - t.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    preds, targets, labels = _scalars(logit, target, "binary_cross_entropy_with_logits")
    losses = []
    for z, t, at in zip(preds, targets, labels):
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits: {_named('target', at)} must be in [0, 1], "
                f"got {t!r}"
            )
        losses.append(logit_formula(VALUE_MATH, z, t) if t != 0.0 else z.softplus())
    return _reduce(losses, reduction)


@_decides_at(0.0)
def hinge(score: ScalarPrediction, target: ScalarTarget, reduction: Reduction = "mean") -> Value:
    """Max-margin loss L = max(0, 1 - y s) for a score s and a label y of +1 or -1.

    Zero once the score is on the right side with margin 1. Gradient -y where
    y s < 1, else 0 (0 at the kink y s = 1, as relu at 0).
    """
    _check_reduction(reduction, "hinge")
    preds, targets, labels = _scalars(score, target, "hinge")
    for y, at in zip(targets, labels):
        if y not in (1.0, -1.0):
            where = f" at {at}" if at else ""
            raise ValueError(
                f"hinge: labels must be +1 or -1, got {y!r}{where}; turn 0/1 labels t into "
                f"y = 2 * t - 1"
            )
    return _reduce([margin_formula(VALUE_MATH, s, y) for s, y in zip(preds, targets)], reduction)


class _HasParameters(Protocol):
    def parameters(self) -> list[Value]: ...


def l2(params: Iterable[Value] | _HasParameters) -> Value:
    """Sum of squares of the parameters: sum_i w_i^2 (no 1/2). Pass a model or Values.

    Add ``alpha * l2(model)`` to a loss to penalise large weights; its gradient is
    2 alpha w. (PyTorch's ``weight_decay=lambda`` adds lambda w to the gradient, which is
    the same as ``(lambda / 2) * l2``.)
    """
    # a Module, recognised by its parameters(): this module does not import nn.module,
    # which imports it (Module.predict reads the decision thresholds)
    parameters = getattr(params, "parameters", None)
    values = parameters() if callable(parameters) else list(params)  # type: ignore[arg-type]
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"l2: params[{i}] is {type(v).__name__}, expected a Value")
    if not values:
        return Value(0.0)
    return autograd.dot(values, values)
