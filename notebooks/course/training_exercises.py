"""Checks for the exercises of notebooks 08, 10 and 13: training by hand.

- 08: `check_deal` (cut a shuffled epoch into batches of any size) and `check_epoch`
  (one epoch of mini-batch updates: zero_grad, backward, step, per batch);
- 10: `check_initializer` (starting weights that keep every layer's gradient alive in a
  deep relu network);
- 13: `check_primitive` (a primitive with its derivative, and a copy with a bug planted
  in the derivative that `autograd.gradcheck` must catch).

Every expected number comes from an independent reference: the library's own training
step written out, He's initialisation and a measured gradient per layer, a closed form
and `gradcheck`'s central differences. A wrong answer raises `report.CheckFailed`
saying what was checked, what was expected and received, and the likely cause.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

import autograd
import nn

from .report import CheckFailed, NotAnswered, call, close, expect_close, number, passed

Batches = list[tuple[NDArray[np.float64], NDArray[Any]]]

# ---------------------------------------------------------------- notebook 08: batches


def _dealt(deal: Callable[..., Any], n: int, size: int | None, seed: int) -> list[list[int]]:
    """The learner's batches for one epoch, as lists of ints (checked to be index lists)."""
    where = "`deal` in the cell of the exercise"
    what = f"deal({n}, {size}, rng)"
    batches = call(deal, n, size, np.random.default_rng(seed), what=what, where=where)
    try:
        return [[int(i) for i in np.asarray(batch).ravel()] for batch in batches]
    except (TypeError, ValueError) as error:
        raise CheckFailed(
            f"{what} should return a list of index arrays (one per batch); it returned "
            f"{type(batches).__name__}, which could not be read as one ({error})."
        ) from error


def _expected_sizes(n: int, size: int | None) -> list[int]:
    if size is None or size >= n:
        return [n]
    return [size] * (n // size) + ([n % size] if n % size else [])


def _check_one_epoch(batches: list[list[int]], n: int, size: int | None) -> None:
    what = f"deal({n}, {size}, rng)"
    dealt = sorted(i for batch in batches for i in batch)
    expected = _expected_sizes(n, size)
    if [len(batch) for batch in batches] == expected[:-1]:
        raise CheckFailed(
            f"{what}: the last batch, of the {expected[-1]} samples left over after "
            f"{len(expected) - 1} full batches, is missing: an epoch uses every sample, so "
            "keep a last, smaller batch."
        )
    if dealt != list(range(n)):
        missing = sorted(set(range(n)) - set(dealt))
        twice = sorted({i for i in dealt if dealt.count(i) > 1})
        detail = f"never dealt: {missing[:5]}" if missing else f"dealt twice: {twice[:5]}"
        raise CheckFailed(
            f"{what}: an epoch uses every sample index 0..{n - 1} exactly once; {detail}. "
            "Cut one permutation of range(n) into consecutive pieces."
        )
    sizes = [len(batch) for batch in batches]
    if sizes != expected:
        raise CheckFailed(
            f"{what}: expected batches of sizes {expected} ({len(expected)} updates per "
            f"epoch), received sizes {sizes}. Batches hold `batch_size` samples each, the "
            "last one the remainder; batch_size None means the whole set in one batch."
        )


def check_deal(deal: Callable[..., Any]) -> None:
    """Exercise (08): ``deal(n, batch_size, rng)`` returns the index batches of one
    shuffled epoch: every index once, sizes batch_size then the remainder, a fresh order
    for every call with the same generator."""
    for n, size in [(10, 4), (10, 1), (10, None), (12, 3), (7, 10)]:
        _check_one_epoch(_dealt(deal, n, size, seed=0), n, size)
    rng = np.random.default_rng(5)
    first = call(deal, 10, 4, rng, what="deal(10, 4, rng)", where="`deal`")
    second = call(deal, 10, 4, rng, what="deal(10, 4, rng) again", where="`deal`")
    first_order = [int(i) for b in first for i in np.asarray(b).ravel()]
    second_order = [int(i) for b in second for i in np.asarray(b).ravel()]
    if first_order == list(range(10)):
        raise CheckFailed(
            "deal(10, 4, rng) dealt the samples in their stored order 0, 1, 2, ...: shuffle "
            "them first (rng.permutation(n)), or sorted data makes every batch one-sided."
        )
    if first_order == second_order:
        raise CheckFailed(
            "Two epochs dealt with the same generator came out in the same order "
            f"{first_order}: draw the permutation from `rng` inside deal, so each call "
            "(each epoch) gets a fresh order."
        )
    passed("deal: every sample once per epoch, the right batch sizes, a new order each epoch")


def _problem() -> tuple[Batches, Callable[[], Any]]:
    """A small fixed problem: four batches (the last one short) and a model factory."""
    X, y = nn.data.make_moons(18, noise=0.1, seed=3)
    order = np.random.default_rng(1).permutation(len(X))
    batches = [(X[order[k : k + 5]], y[order[k : k + 5]]) for k in range(0, len(X), 5)]
    return batches, lambda: nn.MLP(2, [4, 1], seed=2)


def _reference_epoch(model: Any, batches: Batches, mistake: str = "") -> list[float]:
    """One epoch as it should be written, or with one named mistake, for diagnosis."""
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.binary_cross_entropy_with_logits
    losses = []
    for xb, yb in batches:
        loss = loss_fn(model(xb), yb.tolist())
        if mistake != "no zero_grad":
            optimizer.zero_grad()
        loss.backward()
        if mistake != "one step at the end":
            optimizer.step()
        losses.append(loss.data)
    if mistake == "one step at the end":
        optimizer.step()
    return losses


def _weights(model: Any) -> NDArray[np.float64]:
    return np.array([p.data for p in model.parameters()])


_MISTAKES = {
    "no zero_grad": "they match an epoch without optimizer.zero_grad(): each batch's gradient "
    "piled onto the previous ones. Call optimizer.zero_grad() before every backward().",
    "one step at the end": "they match one update made after the whole epoch with every "
    "batch's gradient added up: that is full-batch descent. Call optimizer.step() once per batch.",
}


def check_epoch(train_one_epoch: Callable[..., Any]) -> None:
    """Exercise (08): ``train_one_epoch(model, optimizer, batches, loss_fn)`` makes one
    update per batch (zero_grad, backward, step) and returns each batch's loss, taken
    before its update. Compared with the same epoch written out here, from the same
    weights and batches."""
    batches, make_model = _problem()
    reference = make_model()
    expected = _reference_epoch(reference, batches)
    model = make_model()
    start = _weights(model)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5)
    what = "train_one_epoch(model, optimizer, batches, loss_fn)"
    losses = call(
        train_one_epoch,
        model,
        optimizer,
        batches,
        nn.binary_cross_entropy_with_logits,
        what=what,
        where="`train_one_epoch` in the cell of the exercise",
    )
    received = _weights(model)
    if np.array_equal(received, start):
        raise CheckFailed(
            f"{what} left the weights as they were: call optimizer.step() after backward() "
            "(and backward() after computing the batch's loss)."
        )
    if not np.allclose(received, _weights(reference), rtol=1e-9, atol=1e-12):
        for mistake, explanation in _MISTAKES.items():
            other = make_model()
            _reference_epoch(other, batches, mistake)
            if np.allclose(received, _weights(other), rtol=1e-9, atol=1e-12):
                raise CheckFailed(f"{what}: the weights after the epoch are wrong; {explanation}")
        worst = int(np.argmax(np.abs(received - _weights(reference))))
        expect_close(
            f"{what}: parameter {worst} after the epoch",
            float(_weights(reference)[worst]),
            float(received[worst]),
            source="one zero_grad, backward and step per batch, in the order given",
            hint="Use every batch once, in the order given, with the optimizer passed in.",
        )
    _check_losses(losses, expected, what)
    passed(
        f"train_one_epoch: {len(batches)} updates, the same weights and batch losses as the "
        "epoch written out"
    )


def _check_losses(losses: object, expected: list[float], what: str) -> None:
    if not isinstance(losses, (list, tuple)) or len(losses) != len(expected):
        size = len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__
        raise CheckFailed(
            f"{what} should return one loss per batch, {len(expected)} numbers; it returned "
            f"{size}. Append loss.data for every batch."
        )
    for k, (want, got) in enumerate(zip(expected, losses)):
        got = got.data if isinstance(got, autograd.Value) else got
        expect_close(
            f"{what}: the loss of batch {k}",
            want,
            got,
            source="the batch's loss before its update",
            hint="Record the loss computed for the batch, before optimizer.step() changes "
            "the weights.",
        )


# ----------------------------------------------------------- notebook 10: initialisation

WIDTHS = [24, 6, 40, 10, 32, 8, 16, 2]  # unequal fan-ins, so a spread that ignores them shows


class FunctionInit(nn.init.Initializer):
    """An `nn.init.Initializer` drawing weights with a plain function
    ``init(fan_in, fan_out, rng) -> array of shape (fan_out, fan_in)``; biases start at 0."""

    def __init__(self, init: Callable[..., Any]) -> None:
        self.init = init

    def __repr__(self) -> str:
        return f"FunctionInit({getattr(self.init, '__name__', self.init)!r})"

    def _draw(
        self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> NDArray[np.float64]:
        return np.asarray(self.init(fan_in, fan_out, rng), dtype=float).reshape(shape)


def layer_gradients(init: nn.init.Initializer, X: Any, y: Any) -> NDArray[np.float64]:
    """Mean |grad| of each layer's weights after one backward pass of the cross-entropy
    of a relu network 2-24-6-40-10-32-8-16-2 started with `init`, on (X, y)."""
    model = nn.MLP(2, WIDTHS, activation="relu", init=init, seed=0)
    nn.cross_entropy(model(X), y.tolist()).backward()
    return np.array(
        [np.mean([abs(w.grad) for n in layer.neurons for w in n.w]) for layer in model.layers]
    )


def _checked_draw(init: Callable[..., Any], fan_in: int, fan_out: int) -> NDArray[np.float64]:
    what = f"your initialiser for {fan_in} inputs and {fan_out} neurons"
    where = "the body of `init` in the cell of the exercise"
    raw = call(init, fan_in, fan_out, np.random.default_rng(0), what=what, where=where)
    weights = np.asarray(raw, dtype=float)
    if weights.shape != (fan_out, fan_in):
        raise CheckFailed(
            f"{what} returned shape {weights.shape}; expected (fan_out, fan_in) = "
            f"({fan_out}, {fan_in}): row k holds the incoming weights of neuron k."
        )
    if not np.isfinite(weights).all():
        raise CheckFailed(f"{what} returned a number that is not finite.")
    if np.ptp(weights) == 0:
        raise CheckFailed(
            f"{what} gave every weight the same value {number(float(weights.flat[0]))}: then "
            "every neuron of a layer computes the same thing and gets the same gradient, "
            "forever. Draw them at random."
        )
    return weights


def check_initializer(init: Callable[..., Any]) -> NDArray[np.float64]:
    """Exercise (10): ``init(fan_in, fan_out, rng)`` draws weights with which every layer
    of a deep relu network gets a gradient of about the same size (within a factor of
    100 from the first layer to the last, as He's start does). Returns the measured mean
    |grad| per layer."""
    for fan_in in (4, 100, 400):
        spread = float(np.std(_checked_draw(init, fan_in, 200)))
        ideal = math.sqrt(2 / fan_in)
        if not 0.5 * ideal <= spread <= 2 * ideal:
            raise CheckFailed(
                f"For a layer with {fan_in} inputs your weights have a standard deviation of "
                f"{number(spread)}; a relu layer keeps its signal's size when it is about "
                f"sqrt(2 / fan_in) = {number(ideal)} (a neuron adds up fan_in terms, and relu "
                f"zeroes half of them). {_size_hint(spread, ideal)}"
            )
    X, y = nn.data.make_moons(32, noise=0.1, seed=0)
    grads = layer_gradients(FunctionInit(init), X, y)
    spread_over_layers = float(grads.max() / grads.min())
    if not spread_over_layers < 100:
        he = layer_gradients(nn.init.he_uniform(), X, y)
        raise CheckFailed(
            "In the 8-layer relu network the largest mean |grad| of a layer is "
            f"{number(spread_over_layers)} times the smallest (first layer "
            f"{number(float(grads[0]))}, last {number(float(grads[-1]))}); He's start gives "
            f"{number(float(he.max() / he.min()))}. Aim for a factor below 100."
        )
    passed(
        "your initialiser: the gradient of every layer of the 8-layer relu network is within "
        f"a factor of {spread_over_layers:.1f} of every other"
    )
    return grads


def _size_hint(spread: float, ideal: float) -> str:
    if spread < ideal:
        return "Too small: each layer shrinks the signal and the gradient, and they vanish."
    return "Too large: each layer amplifies the signal and the gradient, and they explode."


# ----------------------------------------------------------- notebook 13: a primitive

POINTS = [-3.0, -0.5, 0.4, 2.5]


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # log(1 + e^x), never overflowing


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _value_of(fn: Callable[..., Any], x: float, what: str) -> float:
    name = getattr(fn, "name", getattr(fn, "__name__", what))
    try:  # a primitive re-raises its function's error from its own __call__: name the function
        fn(autograd.Value(x))
    except NotImplementedError as error:
        raise NotAnswered(
            f"`{name}` is not written yet (it raised NotImplementedError): fill in its body "
            "in the cell of the exercise."
        ) from error
    except Exception:
        pass  # reported with its message by `call` below
    out = call(fn, autograd.Value(x), what=f"{what}(Value({number(x)}))", where="the exercise")
    if not isinstance(out, autograd.Value):
        raise CheckFailed(
            f"{what}(Value({number(x)})) returned {type(out).__name__}; decorate the function "
            "with @primitive so that it takes and returns Values."
        )
    return float(out.data)


def _graph(fn: Callable[..., Any]) -> Callable[..., Any]:
    # the primitive inside a small graph, so a wrong local derivative travels through
    # the chain rule as it would in a network
    return lambda w, x: fn(w * x) * w + x


def check_primitive(softplus: Callable[..., Any], planted: Callable[..., Any]) -> str:
    """Exercise (13): `softplus` is a primitive computing log(1 + e^x) with its
    derivative, and passes `gradcheck`; `planted` computes the same values but has a bug
    in its derivative, and `gradcheck` catches it, naming its node. Returns gradcheck's
    report on the planted bug."""
    for x in POINTS:
        expect_close(
            f"softplus({number(x)})",
            _softplus(x),
            _value_of(softplus, x, "softplus"),
            source="log(1 + e^x)",
            hint="Return (value, (derivative,)): the value first.",
        )
    for x in POINTS:
        point = [autograd.Value(1.0, label="w"), autograd.Value(x, label="x")]
        try:
            autograd.gradcheck(_graph(softplus), point)
        except autograd.GradcheckError as error:
            local = error.node.local_grads[0] if error.node is not None else float("nan")
            raise CheckFailed(
                f"gradcheck fails for your softplus at x = {number(x)}: your derivative "
                f"there is {number(local)}, but d/dx log(1 + e^x) = 1 / (1 + e^-x) = "
                f"{number(_sigmoid(x))}. gradcheck's report:\n{error}"
            ) from error
    passed("softplus: the right values, and gradcheck passes at every point tried")
    return _check_planted(planted)


def _check_planted(planted: Callable[..., Any]) -> str:
    for x in POINTS:
        if not close(_softplus(x), _value_of(planted, x, "planted"), 1e-9, 1e-12):
            raise CheckFailed(
                f"planted({number(x)}) returns {number(_value_of(planted, x, 'planted'))}, not "
                f"softplus's {number(_softplus(x))}: a bug in the value is caught by any test of "
                "values. Plant it in the derivative only, which is what gradcheck is for."
            )
    for x in POINTS:
        point = [autograd.Value(1.0, label="w"), autograd.Value(x, label="x")]
        try:
            autograd.gradcheck(_graph(planted), point)
        except autograd.GradcheckError as error:
            name = getattr(planted, "name", getattr(planted, "__name__", "planted"))
            if error.node is None or error.node.op != name:
                raise CheckFailed(
                    f"gradcheck failed at x = {number(x)} but did not name your primitive's "
                    f"node (it named {error.node.op if error.node else 'no node'!r}): keep the "
                    "bug inside the primitive's returned derivative.\n" + str(error)
                ) from error
            passed(f"gradcheck caught your planted bug at x = {number(x)} and named the node")
            return str(error)
    raise CheckFailed(
        "gradcheck passed your planted primitive at every point tried "
        f"({', '.join(number(x) for x in POINTS)}): its derivative agrees with the true one "
        "there to gradcheck's tolerance, so it is not a bug these checks can see. Plant one "
        "that changes the derivative at ordinary points (a wrong sign, a missing factor)."
    )
