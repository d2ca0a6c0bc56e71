"""Losses: values against closed forms (numpy, math), gradcheck, batch rules, errors."""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import Value, gradcheck

floats = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)


def vals(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def grads(xs: list[Value]) -> list[float]:
    return [x.grad for x in xs]


# ------------------------------------------------------------------------- sse / mse


def test_sse_single_sample_closed_form_and_gradient() -> None:
    o, t = [0.2, 0.9, -0.4], [0.0, 1.0, 0.5]
    out = vals(o)
    loss = nn.sse(out, t)
    assert loss.data == pytest.approx(0.5 * float(np.sum((np.array(t) - np.array(o)) ** 2)))
    loss.backward()
    # the 1/2 convention: dE/do = -(t - o)
    assert grads(out) == pytest.approx([-(ti - oi) for oi, ti in zip(o, t)])


def test_sse_batch_sum_and_mean() -> None:
    o = [[0.1, 0.2], [0.3, 0.4], [0.5, -0.6]]
    t = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    per_sample = 0.5 * ((np.array(t) - np.array(o)) ** 2).sum(axis=1)
    pred = [vals(row) for row in o]
    assert nn.sse(pred, t).data == pytest.approx(per_sample.sum())  # default: sum
    assert nn.sse(pred, t, reduction="sum").data == pytest.approx(per_sample.sum())
    assert nn.sse(pred, t, reduction="mean").data == pytest.approx(per_sample.mean())
    assert nn.sse(pred, np.array(t), reduction="mean").data == pytest.approx(per_sample.mean())


def test_sse_lone_value_is_one_output() -> None:
    o = Value(0.3)
    loss = nn.sse(o, 1.0)
    assert loss.data == pytest.approx(0.5 * 0.7**2)
    loss.backward()
    assert o.grad == pytest.approx(-0.7)
    assert nn.sse(Value(0.3), [1.0]).data == loss.data


def test_mse_is_mean_over_all_elements_without_half() -> None:
    o = [[0.1, 0.2], [0.3, 0.4], [0.5, -0.6]]
    t = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    sq = (np.array(t) - np.array(o)) ** 2
    pred = [vals(row) for row in o]
    assert nn.mse(pred, t).data == pytest.approx(sq.mean())
    assert nn.mse(pred, t, reduction="sum").data == pytest.approx(sq.sum())
    # a flat list is one sample; for mse the element-wise mean is the same either way
    flat = vals([0.1, 0.2, 0.3])
    loss = nn.mse(flat, [0.0, 0.0, 1.0])
    assert loss.data == pytest.approx(np.mean((np.array([0.1, 0.2, 0.3]) - [0.0, 0.0, 1.0]) ** 2))
    loss.backward()
    assert grads(flat) == pytest.approx([2 * 0.1 / 3, 2 * 0.2 / 3, 2 * (0.3 - 1.0) / 3])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(floats, floats), min_size=1, max_size=4), st.sampled_from(["mean", "sum"])
)
def test_sse_and_mse_gradcheck(pairs: list[tuple[float, float]], reduction: str) -> None:
    outs = vals([o for o, _ in pairs])
    targets = [t for _, t in pairs]
    batch = [[t] for t in targets]
    for loss in (nn.sse, nn.mse):
        # one sample with several outputs, and a batch of one-output samples
        gradcheck(lambda *o, f=loss: f(list(o), targets, reduction=reduction), outs)  # type: ignore[misc]
        gradcheck(lambda *o, f=loss: f([[v] for v in o], batch, reduction=reduction), outs)  # type: ignore[misc]


# --------------------------------------------------------------------- cross-entropy


def _log_softmax(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """Independent reference: log softmax via numpy, max-shifted."""
    z = x - x.max()
    return z - np.log(np.exp(z).sum())  # type: ignore[no-any-return]


def test_cross_entropy_class_index_closed_form_and_gradient() -> None:
    x = [2.0, -1.0, 0.5]
    logits = vals(x)
    loss = nn.cross_entropy(logits, 0)
    assert loss.data == pytest.approx(-_log_softmax(np.array(x))[0])
    loss.backward()
    p = np.exp(_log_softmax(np.array(x)))
    assert grads(logits) == pytest.approx((p - np.array([1.0, 0.0, 0.0])).tolist())
    assert nn.cross_entropy(vals(x), np.int64(2)).data == pytest.approx(
        -_log_softmax(np.array(x))[2]
    )


def test_cross_entropy_probability_target() -> None:
    x = np.array([0.3, 1.2, -0.7, 0.0])
    q = np.array([0.1, 0.6, 0.3, 0.0])
    logits = vals(x.tolist())
    loss = nn.cross_entropy(logits, q.tolist())
    assert loss.data == pytest.approx(-(q * _log_softmax(x)).sum())
    loss.backward()
    assert grads(logits) == pytest.approx((np.exp(_log_softmax(x)) - q).tolist())
    # a one-hot vector equals the class index
    assert nn.cross_entropy(vals([1.0, 2.0, 3.0]), [0.0, 1.0, 0.0]).data == pytest.approx(
        nn.cross_entropy(vals([1.0, 2.0, 3.0]), 1).data
    )


def test_cross_entropy_batch_mixed_targets_and_reductions() -> None:
    xs = [[1.0, 0.0, -1.0], [0.2, 0.2, 3.0]]
    targets: list[object] = [2, [0.5, 0.5, 0.0]]
    per = [
        -_log_softmax(np.array(xs[0]))[2],
        -(np.array([0.5, 0.5, 0.0]) * _log_softmax(np.array(xs[1]))).sum(),
    ]
    batch = [vals(x) for x in xs]
    assert nn.cross_entropy(batch, targets).data == pytest.approx(np.mean(per))  # type: ignore[arg-type]
    assert nn.cross_entropy(batch, targets, reduction="sum").data == pytest.approx(np.sum(per))  # type: ignore[arg-type]
    assert nn.cross_entropy(batch, np.array([2, 0])).data == pytest.approx(
        np.mean([-_log_softmax(np.array(xs[0]))[2], -_log_softmax(np.array(xs[1]))[0]])
    )


def _exact_nll(a: float) -> float:
    """-log softmax([a, 0])_0 = log(1 + exp(-a)), in 400-digit decimal arithmetic."""
    with decimal.localcontext() as ctx:
        ctx.prec = 400
        return float((1 + (-decimal.Decimal(a)).exp()).ln())


@pytest.mark.parametrize("a", [1.0, 20.0, 33.0, 50.0, 200.0, 700.0])
def test_cross_entropy_of_a_confident_right_answer_keeps_full_relative_precision(
    a: float,
) -> None:
    want = _exact_nll(a)  # 4.66e-15 for a = 33; logsumexp - x_0 gave 7.1e-15
    assert nn.cross_entropy(vals([a, 0.0]), 0).data == pytest.approx(want, rel=1e-13, abs=0.0)
    by_probability = nn.cross_entropy(vals([a, 0.0]), [1.0, 0.0]).data
    assert by_probability == pytest.approx(want, rel=1e-13, abs=0.0)


def test_cross_entropy_extreme_logits_are_finite() -> None:
    logits = vals([1000.0, -1000.0, 0.0])
    loss = nn.cross_entropy(logits, 1)
    assert loss.data == pytest.approx(2000.0)
    loss.backward()
    assert grads(logits) == pytest.approx([1.0, -1.0, 0.0])
    right = vals([1000.0, -1000.0])
    assert nn.cross_entropy(right, 0).data == 0.0
    assert math.isfinite(nn.cross_entropy(vals([-1000.0, 1000.0]), [0.5, 0.5]).data)


@settings(max_examples=40, deadline=None)
@given(st.lists(floats, min_size=2, max_size=5), st.data())
def test_cross_entropy_gradcheck(x: list[float], data: st.DataObject) -> None:
    n = len(x)
    c = data.draw(st.integers(0, n - 1))
    raw = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    q = [r / sum(raw) for r in raw] if sum(raw) > 0.1 else [1.0 / n] * n
    logits = vals(x)
    gradcheck(lambda *v: nn.cross_entropy(list(v), c), logits)
    gradcheck(lambda *v: nn.cross_entropy(list(v), q), logits)
    gradcheck(
        lambda *v: nn.cross_entropy([list(v), list(v)[::-1]], [c, q], reduction="sum"), logits
    )


# ------------------------------------------------------------------- binary losses


def _bce(p: float, t: float) -> float:
    return -(t * math.log(p) + (1 - t) * math.log(1 - p))


@pytest.mark.parametrize(("p_", "t"), [(0.8, 1.0), (0.8, 0.0), (0.3, 0.25)])
def test_binary_cross_entropy_closed_form_and_gradient(p_: float, t: float) -> None:
    p = Value(p_)
    loss = nn.binary_cross_entropy(p, t)
    assert loss.data == pytest.approx(_bce(p_, t))
    loss.backward()
    assert p.grad == pytest.approx((p_ - t) / (p_ * (1 - p_)))


def test_binary_cross_entropy_of_a_batch_is_the_mean_or_sum_of_the_samples() -> None:
    ps, ts = [0.1, 0.5, 0.9], [0, 1, 1]
    expected = [_bce(p_, t) for p_, t in zip(ps, ts)]
    assert nn.binary_cross_entropy(vals(ps), ts).data == pytest.approx(np.mean(expected))
    assert nn.binary_cross_entropy(vals(ps), ts, reduction="sum").data == pytest.approx(
        np.sum(expected)
    )


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_binary_cross_entropy_at_zero_or_one_points_to_the_logits_version(p: float) -> None:
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        nn.binary_cross_entropy(Value(p), 1.0)
    saturated = Value(40.0).sigmoid()
    assert saturated.data == 1.0
    with pytest.raises(ValueError, match=r"probability is 1.0"):
        nn.binary_cross_entropy(saturated, 0.0)


@pytest.mark.parametrize(("z_", "t"), [(2.0, 1.0), (-1.5, 0.0), (0.3, 0.7)])
def test_binary_cross_entropy_with_logits_equals_bce_of_sigmoid(z_: float, t: float) -> None:
    s = 1 / (1 + math.exp(-z_))
    z = Value(z_)
    loss = nn.binary_cross_entropy_with_logits(z, t)
    assert loss.data == pytest.approx(_bce(s, t))
    loss.backward()
    assert z.grad == pytest.approx(s - t)


def test_binary_cross_entropy_with_logits_extreme_logits() -> None:
    z = Value(1000.0)
    loss = nn.binary_cross_entropy_with_logits(z, 0.0)
    assert loss.data == pytest.approx(1000.0)
    loss.backward()
    assert z.grad == pytest.approx(1.0)
    assert nn.binary_cross_entropy_with_logits(Value(1000.0), 1.0).data == 0.0
    assert nn.binary_cross_entropy_with_logits(Value(-1000.0), 1.0).data == pytest.approx(1000.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.02, 0.98), st.floats(0.0, 1.0)), min_size=1, max_size=4))
def test_binary_losses_gradcheck(pairs: list[tuple[float, float]]) -> None:
    ps = vals([p for p, _ in pairs])
    ts = [t for _, t in pairs]
    gradcheck(lambda *p: nn.binary_cross_entropy(list(p), ts), ps, eps=1e-7)
    zs = vals([math.log(p / (1 - p)) * 3 for p, _ in pairs])
    gradcheck(lambda *z: nn.binary_cross_entropy_with_logits(list(z), ts, reduction="sum"), zs)


# ------------------------------------------------------------------------- hinge


def test_hinge_closed_form_and_gradient() -> None:
    scores, labels = [2.0, 0.5, -0.3, -2.0], [1, 1, 1, -1]
    expected = [max(0.0, 1 - y * s) for s, y in zip(scores, labels)]  # 0, 0.5, 1.3, 0
    out = vals(scores)
    loss = nn.hinge(out, labels)
    assert loss.data == pytest.approx(np.mean(expected))
    loss.backward()
    assert grads(out) == pytest.approx([0.0, -0.25, -0.25, 0.0])
    assert nn.hinge(vals(scores), labels, reduction="sum").data == pytest.approx(sum(expected))
    assert nn.hinge(Value(-0.5), -1.0).data == pytest.approx(0.5)


def test_hinge_at_the_margin_has_zero_gradient() -> None:
    s = Value(1.0)
    loss = nn.hinge(s, 1)
    assert loss.data == 0.0
    loss.backward()
    assert s.grad == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(floats, st.sampled_from([1.0, -1.0])), min_size=1, max_size=4))
def test_hinge_gradcheck_away_from_the_kink(pairs: list[tuple[float, float]]) -> None:
    pairs = [(s if abs(1 - y * s) > 1e-3 else s + 0.01, y) for s, y in pairs]
    scores = vals([s for s, _ in pairs])
    labels = [y for _, y in pairs]
    gradcheck(lambda *s: nn.hinge(list(s), labels), scores)


@pytest.mark.parametrize("bad", [0, 0.5, 2, -0.0])
def test_hinge_refuses_labels_other_than_plus_minus_one(bad: float) -> None:
    with pytest.raises(ValueError, match=r"labels must be \+1 or -1.*y = 2 \* t - 1"):
        nn.hinge([Value(0.1), Value(0.2)], [1, bad])


# ---------------------------------------------------------------------------- l2


def test_l2_is_sum_of_squares_of_parameters() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    params = model.parameters()
    loss = nn.l2(model)
    assert loss.data == pytest.approx(sum(p.data**2 for p in params))
    loss.backward()
    assert grads(params) == pytest.approx([2 * p.data for p in params])
    assert nn.l2(params).data == loss.data
    assert nn.l2([]).data == 0.0
    gradcheck(lambda *p: nn.l2(p), vals([0.5, -1.0, 2.0]))
    with pytest.raises(TypeError, match=r"params\[1\] is float"):
        nn.l2([Value(1.0), 2.0])  # type: ignore[list-item]


# ---------------------------------------------------------------- shape errors


ERRORS: list[tuple[Callable[[], object], type[Exception], str]] = [
    (
        lambda: nn.sse(vals([1.0, 2.0]), [1.0]),
        ValueError,
        "the prediction has 2 outputs but the target has 1",
    ),
    (
        lambda: nn.mse([vals([1.0]), vals([2.0])], [[1.0]]),
        ValueError,
        "a batch of 2 samples needs as many targets, got 1 targets",
    ),
    (
        lambda: nn.mse([vals([1.0]), vals([2.0, 3.0])], [[1.0], [2.0, 3.0]]),
        ValueError,
        "ragged batch: sample 0 has 1 outputs, sample 1 has 2",
    ),
    (
        lambda: nn.sse([[Value(1.0)], [Value(2.0)]], [[1.0], [2.0, 3.0]]),
        ValueError,
        "prediction of sample 1 has 1 outputs but the target has 2",
    ),
    (lambda: nn.sse([], []), ValueError, "empty prediction"),
    (
        lambda: nn.sse(vals([1.0, 2.0]), [[1.0], [2.0, 3.0]]),
        ValueError,
        "one sample .* but the target is a list of 2 lists.*one target row \\[t\\] per prediction",
    ),
    (lambda: nn.sse([1.0, 2.0], [1.0, 2.0]), TypeError, "prediction output 0 must be a Value"),
    (lambda: nn.sse(vals([1.0]), ["1"]), TypeError, "sse: target must be a finite number; .*str"),
    (lambda: nn.sse(vals([1.0]), [math.nan]), ValueError, "must be a finite number; .*nan"),
    (lambda: nn.sse(vals([1.0]), [True]), TypeError, "must be a finite number; .*True \\(bool\\)"),
    (
        lambda: nn.mse(vals([1.0]), [1.0], reduction="none"),
        ValueError,
        "mse: reduction must be one of 'mean', 'sum'; got reduction='none'",
    ),  # type: ignore[arg-type]
    (
        lambda: nn.cross_entropy(vals([1.0, 2.0]), 2),
        ValueError,
        r"class index 2 is out of range for 2 classes \(0..1\)",
    ),
    (
        lambda: nn.cross_entropy(vals([1.0, 2.0]), 1.0),
        TypeError,
        "must be a class index \\(int\\) or a list of 2 class probabilities",
    ),
    (
        lambda: nn.cross_entropy(vals([1.0, 2.0]), [0.5, 0.6]),
        ValueError,
        "must lie in \\[0, 1\\] and sum to 1",
    ),
    (
        lambda: nn.cross_entropy(vals([1.0, 2.0]), [1.0, 0.0, 0.0]),
        ValueError,
        "2 logits but 3 target probabilities",
    ),
    (
        lambda: nn.cross_entropy([vals([1.0, 2.0])] * 2, [0]),
        ValueError,
        "a batch of 2 samples needs as many targets",
    ),
    (
        lambda: nn.cross_entropy([vals([1.0, 2.0])] * 2, [0, 5]),
        ValueError,
        r"class index 5 \(sample 1\) is out of range",
    ),
    (
        lambda: nn.cross_entropy(vals([1.0, 2.0]), 0, reduction="avg"),
        ValueError,
        "reduction must be",
    ),  # type: ignore[arg-type]
    (
        lambda: nn.binary_cross_entropy(vals([0.5, 0.5]), [0.0, 1.5]),
        ValueError,
        r"target \[1\] must be in \[0, 1\]",
    ),
    (lambda: nn.binary_cross_entropy(Value(1.5), 1.0), ValueError, "strictly between 0 and 1"),
    (
        lambda: nn.binary_cross_entropy(vals([0.5, 0.5]), [1.0]),
        ValueError,
        "2 predictions need 2 targets, got 1 targets",
    ),
    (
        lambda: nn.binary_cross_entropy(Value(0.5), [1.0]),
        ValueError,
        "one prediction \\(a Value\\) needs one target number",
    ),
    (
        lambda: nn.binary_cross_entropy_with_logits([vals([0.5])], [1.0]),
        ValueError,
        "one prediction per sample, a Value",
    ),
    (
        lambda: nn.binary_cross_entropy_with_logits(0.5, 1.0),
        ValueError,
        "expected a Value or a non-empty list",
    ),  # type: ignore[arg-type]
    (
        lambda: nn.binary_cross_entropy_with_logits(Value(0.5), -1.0),
        ValueError,
        "must be in \\[0, 1\\]",
    ),
    (lambda: nn.hinge([Value(0.5), 0.5], [1, 1]), TypeError, r"prediction \[1\] must be a Value"),
    (
        lambda: nn.hinge(Value(0.5), Value(1.0)),
        TypeError,
        "the prediction comes first, the target second",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS, ids=[m for _, _, m in ERRORS])
def test_bad_shapes_and_values_raise_clear_errors(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


ONE_OUTPUT_LOSSES = [
    (nn.sse, [0.2, -0.4, 0.9], [0.0, 1.0, 0.5]),
    (nn.mse, [0.2, -0.4, 0.9], [0.0, 1.0, 0.5]),
    (nn.binary_cross_entropy, [0.2, 0.6, 0.9], [0.0, 1.0, 1.0]),
    (nn.binary_cross_entropy_with_logits, [0.2, -0.4, 0.9], [0.0, 1.0, 0.25]),
    (nn.hinge, [0.2, -0.4, 0.9], [1.0, -1.0, -1.0]),
]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss", "outputs", "targets"), ONE_OUTPUT_LOSSES)
def test_column_targets_of_a_one_output_model_mean_one_target_per_sample(
    loss: Callable[..., Value], outputs: list[float], targets: list[float], reduction: str
) -> None:
    # what a one-output MLP gives for a batch (one Value per sample), with targets of
    # shape (n, 1) as a PyTorch user passes them, against each sample's loss on its own
    predictions = vals(outputs)
    column = np.array(targets).reshape(-1, 1)
    total = loss(predictions, column, reduction=reduction)
    per_sample = [loss(Value(o), t).data for o, t in zip(outputs, targets)]
    expected = math.fsum(per_sample) / (len(per_sample) if reduction == "mean" else 1)
    # (for mse the mean over every element is the mean over samples: one output each)
    assert total.data == pytest.approx(expected, rel=1e-12)
    assert loss(predictions, column.tolist(), reduction=reduction).data == total.data


def test_decision_threshold_belongs_to_the_loss_and_survives_wrappers() -> None:
    import functools

    assert nn.losses.decision_threshold(nn.binary_cross_entropy) == 0.5
    summed = functools.partial(nn.binary_cross_entropy, reduction="sum")
    assert nn.losses.decision_threshold(summed) == 0.5
    assert nn.losses.decision_threshold(functools.partial(summed)) == 0.5

    @functools.wraps(nn.binary_cross_entropy)
    def logged(p: Value, t: float) -> Value:
        return nn.binary_cross_entropy(p, t)

    assert nn.losses.decision_threshold(logged) == 0.5
    for scores in (nn.binary_cross_entropy_with_logits, nn.hinge, nn.mse, lambda o, t: o):
        assert nn.losses.decision_threshold(scores) == 0.0

    def own(o: Value, t: float) -> Value:
        return o

    own.decision_threshold = 0.25  # type: ignore[attr-defined]
    assert nn.losses.decision_threshold(own) == 0.25


def test_losses_build_small_graphs() -> None:
    out = vals([0.1, 0.2, 0.3])
    loss = nn.sse(out, [0.0, 1.0, 0.0])
    # three differences, one dot, one scale
    assert loss.op == "* 0.5" and loss.parents[0].op == "dot"
    ce = nn.cross_entropy(out, 1)
    assert ce.op == "neg" and ce.parents[0].op == "log_softmax"


ONE_LOGIT = [
    # (logits with one output per sample, targets): one sample and a batch of two
    (lambda: [Value(0.3)], 0),
    (lambda: Value(0.3), [1.0]),
    (lambda: [[Value(0.3)], [Value(-2.0)]], [0, 0]),
]


@pytest.mark.parametrize(("logits", "target"), ONE_LOGIT)
def test_cross_entropy_of_one_logit_is_refused_not_a_loss_of_zero(
    logits: Callable[[], object], target: object
) -> None:
    # softmax of a single logit is 1 whatever the logit: the loss would be 0 and train nothing
    with pytest.raises(ValueError, match=r"1 output.*one output \(logit\) per class.*with_logits"):
        nn.cross_entropy(logits(), target)  # type: ignore[arg-type]
