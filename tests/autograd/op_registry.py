"""The one registry of the engine's operations for the tests: how to build a node of
each kind, its reference value (a closed form or torch float64), and where its inputs
are drawn. The suites parametrise over `CASES` (operation identity and derivative
rules in test_higher, eager values and gradients against torch in test_engine,
compiled mode in test_compile), so an operation added to the library and here is
checked in every mode.

`COMPOSITES` are functions built from the operations (var, std): checked for values
and gradients, they record no kind of their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

import autograd
from autograd import Value


def _method(name: str) -> Callable[[list[Value]], Value]:
    return lambda v: getattr(v[0], name)()  # type: ignore[no-any-return]


def _torch(name: str) -> Callable[[list[float]], float]:
    """The reference: torch's function of that name, in float64."""
    function = getattr(torch, name)
    return lambda x: float(function(*[torch.tensor(t, dtype=torch.float64) for t in x]))


def _torch_clamp(lo: float | None, hi: float | None) -> Callable[[list[float]], float]:
    return lambda x: float(torch.clamp(torch.tensor(x[0], dtype=torch.float64), lo, hi))


@dataclass(frozen=True)
class Case:
    """One way to build a node of operation `kind` from n leaves (its parents, in order)."""

    id: str
    kind: str
    n: int
    build: Callable[[list[Value]], Value]
    reference: Callable[[list[float]], float]
    low: float = -2.0
    high: float = 2.0

    def build_flat(self, *vs: Value) -> Value:
        """`build` taking one Value per argument, as gradcheck, jvp and hessian call f."""
        return self.build(list(vs))


def softmax_reference(xs: list[float]) -> list[float]:
    exps = [math.exp(x) for x in xs]
    return [e / math.fsum(exps) for e in exps]


CASES = [
    Case("a + b", "add", 2, lambda v: v[0] + v[1], lambda x: x[0] + x[1]),
    Case("a + 1.7", "add", 1, lambda v: v[0] + 1.7, lambda x: x[0] + 1.7),
    Case("1.7 + a", "add", 1, lambda v: 1.7 + v[0], lambda x: 1.7 + x[0]),
    Case("a - b", "sub", 2, lambda v: v[0] - v[1], lambda x: x[0] - x[1]),
    Case("a - 1.7", "sub", 1, lambda v: v[0] - 1.7, lambda x: x[0] - 1.7),
    Case("1.7 - a", "sub", 1, lambda v: 1.7 - v[0], lambda x: 1.7 - x[0]),
    Case("a * b", "mul", 2, lambda v: v[0] * v[1], lambda x: x[0] * x[1]),
    Case("a * a", "mul", 1, lambda v: v[0] * v[0], lambda x: x[0] * x[0]),
    Case("a * -1.7", "mul", 1, lambda v: v[0] * -1.7, lambda x: x[0] * -1.7),
    Case("-1.7 * a", "mul", 1, lambda v: -1.7 * v[0], lambda x: -1.7 * x[0]),
    Case("a / b", "div", 2, lambda v: v[0] / v[1], lambda x: x[0] / x[1], 0.4, 2.0),
    Case("a / 1.7", "div", 1, lambda v: v[0] / 1.7, lambda x: x[0] / 1.7),
    Case("1.7 / a", "div", 1, lambda v: 1.7 / v[0], lambda x: 1.7 / x[0], 0.4, 2.0),
    Case("a ** b", "pow", 2, lambda v: v[0] ** v[1], lambda x: x[0] ** x[1], 0.4, 2.0),
    Case("a ** 2.5", "pow", 1, lambda v: v[0] ** 2.5, lambda x: x[0] ** 2.5, 0.4, 2.0),
    Case("a ** 3", "pow", 1, lambda v: v[0] ** 3, lambda x: x[0] ** 3),
    Case("a ** -2", "pow", 1, lambda v: v[0] ** -2, lambda x: x[0] ** -2, 0.4, 2.0),
    Case("1.7 ** a", "pow", 1, lambda v: 1.7 ** v[0], lambda x: 1.7 ** x[0]),
    Case("-a", "neg", 1, lambda v: -v[0], lambda x: -x[0]),
    Case("exp", "exp", 1, lambda v: v[0].exp(), lambda x: math.exp(x[0])),
    Case("log", "log", 1, lambda v: v[0].log(), lambda x: math.log(x[0]), 0.3, 3.0),
    Case("sqrt", "sqrt", 1, lambda v: v[0].sqrt(), lambda x: math.sqrt(x[0]), 0.3, 3.0),
    Case("tanh", "tanh", 1, lambda v: v[0].tanh(), lambda x: math.tanh(x[0])),
    Case("sigmoid", "sigmoid", 1, lambda v: v[0].sigmoid(), lambda x: 1 / (1 + math.exp(-x[0]))),
    Case(
        "silu",
        "silu",
        1,
        lambda v: v[0].silu(),
        lambda x: float(F.silu(torch.tensor(x[0], dtype=torch.float64))),
    ),
    Case("relu > 0", "relu", 1, lambda v: v[0].relu(), lambda x: x[0], 0.2, 2.0),
    Case("relu < 0", "relu", 1, lambda v: v[0].relu(), lambda x: 0.0, -2.0, -0.2),
    Case(
        "leaky_relu < 0",
        "leaky_relu",
        1,
        lambda v: v[0].leaky_relu(0.3),
        lambda x: 0.3 * x[0],
        -2.0,
        -0.2,
    ),
    Case("leaky_relu > 0", "leaky_relu", 1, lambda v: v[0].leaky_relu(), lambda x: x[0], 0.2),
    Case(
        "softplus", "softplus", 1, lambda v: v[0].softplus(), lambda x: math.log1p(math.exp(x[0]))
    ),
    Case("abs > 0", "abs", 1, lambda v: v[0].abs(), lambda x: abs(x[0]), 0.2, 2.0),
    Case("abs < 0", "abs", 1, lambda v: abs(v[0]), lambda x: abs(x[0]), -2.0, -0.2),
    Case("sin", "sin", 1, lambda v: v[0].sin(), lambda x: math.sin(x[0])),
    Case("cos", "cos", 1, lambda v: v[0].cos(), lambda x: math.cos(x[0])),
    Case("sum", "sum", 3, lambda v: autograd.sum(v), lambda x: x[0] + x[1] + x[2]),
    Case("mean", "mean", 3, lambda v: autograd.mean(v), lambda x: (x[0] + x[1] + x[2]) / 3),
    Case(
        "dot of Values",
        "dot",
        4,
        lambda v: autograd.dot(v[:2], v[2:]),
        lambda x: x[0] * x[2] + x[1] * x[3],
    ),
    Case(
        "dot with constants on both sides",
        "dot",
        4,
        lambda v: autograd.dot([v[0], 2.0, v[1], 0.5], [v[2], v[3], -1.5, 4.0]),
        lambda x: x[0] * x[2] + 2.0 * x[3] + x[1] * -1.5 + 2.0,
    ),
    Case("dot(x, x)", "dot", 1, lambda v: autograd.dot([v[0]], [v[0]]), lambda x: x[0] * x[0]),
    Case(
        "linear of Values",
        "linear",
        5,
        lambda v: autograd.linear(v[3:], [v[:2]], [v[2]])[0],
        lambda x: x[0] * x[3] + x[1] * x[4] + x[2],
    ),
    Case(
        "linear of constant inputs",
        "linear",
        3,
        lambda v: autograd.linear([0.5, -1.2], [v[:2]], [v[2]])[0],
        lambda x: 0.5 * x[0] - 1.2 * x[1] + x[2],
    ),
    Case(
        "linear with constants in the row and bias",
        "linear",
        2,
        lambda v: autograd.linear([v[1], 2.0], [[v[0], -0.7]], [0.3])[0],
        lambda x: x[0] * x[1] - 1.4 + 0.3,
    ),
    Case("max", "max", 3, lambda v: autograd.max(v), lambda x: max(x)),
    Case("min", "min", 3, lambda v: autograd.min(v), lambda x: min(x)),
    Case(
        "logsumexp",
        "logsumexp",
        3,
        lambda v: autograd.logsumexp(v),
        lambda x: math.log(math.fsum(math.exp(t) for t in x)),
    ),
    Case(
        "softmax[1]",
        "softmax",
        3,
        lambda v: autograd.softmax(v)[1],
        lambda x: softmax_reference(x)[1],
    ),
    Case(
        "log_softmax[2]",
        "log_softmax",
        3,
        lambda v: autograd.log_softmax(v)[2],
        lambda x: math.log(softmax_reference(x)[2]),
    ),
    # The operations added for issue 21, against torch float64.
    *[
        Case(name, name, 1, _method(name), _torch(name), low, high)
        for name, low, high in [
            ("tan", -1.2, 1.2),
            ("sinh", -2.0, 2.0),
            ("cosh", -2.0, 2.0),
            ("asin", -0.9, 0.9),
            ("acos", -0.9, 0.9),
            ("atan", -2.0, 2.0),
            ("asinh", -2.0, 2.0),
            ("acosh", 1.2, 3.0),
            ("atanh", -0.9, 0.9),
            ("log1p", -0.6, 2.0),
            ("expm1", -2.0, 2.0),
            ("exp2", -2.0, 2.0),
            ("log2", 0.3, 3.0),
            ("log10", 0.3, 3.0),
            ("erf", -2.0, 2.0),
            ("erfc", -2.0, 2.0),
        ]
    ],
    Case("sign > 0", "sign", 1, lambda v: v[0].sign(), _torch("sign"), 0.2, 2.0),
    Case("sign < 0", "sign", 1, lambda v: v[0].sign(), _torch("sign"), -2.0, -0.2),
    Case(
        "clamp inside",
        "clamp",
        1,
        lambda v: v[0].clamp(-1.0, 1.0),
        _torch_clamp(-1.0, 1.0),
        -0.8,
        0.8,
    ),
    Case(
        "clamp above", "clamp", 1, lambda v: v[0].clamp(hi=0.5), _torch_clamp(None, 0.5), 0.7, 2.0
    ),
    Case(
        "clamp below",
        "clamp",
        1,
        lambda v: v[0].clamp(lo=-0.5),
        _torch_clamp(-0.5, None),
        -2.0,
        -0.7,
    ),
    Case(
        "atan2(a, b)", "atan2", 2, lambda v: autograd.atan2(v[0], v[1]), _torch("atan2"), 0.3, 2.0
    ),
    Case(
        "atan2(a, -1.5)",
        "atan2",
        1,
        lambda v: autograd.atan2(v[0], -1.5),
        lambda x: math.atan2(x[0], -1.5),
        0.3,
        2.0,
    ),
    Case(
        "atan2(1.5, a)",
        "atan2",
        1,
        lambda v: autograd.atan2(1.5, v[0]),
        lambda x: math.atan2(1.5, x[0]),
    ),
    Case(
        "hypot(a, b)", "hypot", 2, lambda v: autograd.hypot(v[0], v[1]), _torch("hypot"), 0.3, 2.0
    ),
    Case(
        "hypot(a, 2)",
        "hypot",
        1,
        lambda v: autograd.hypot(v[0], 2.0),
        lambda x: math.hypot(x[0], 2.0),
    ),
    Case("prod", "prod", 3, lambda v: autograd.prod(v), lambda x: x[0] * x[1] * x[2]),
    Case("prod of one", "prod", 1, lambda v: autograd.prod(v), lambda x: x[0]),
]


def _var(correction: int) -> Callable[[list[float]], float]:
    return lambda x: float(torch.tensor(x, dtype=torch.float64).var(correction=correction))


def _std(correction: int) -> Callable[[list[float]], float]:
    return lambda x: float(torch.tensor(x, dtype=torch.float64).std(correction=correction))


COMPOSITES = [
    Case("var (sample)", "", 4, lambda v: autograd.var(v), _var(1)),
    Case("var (population)", "", 3, lambda v: autograd.var(v, correction=0), _var(0)),
    Case("std (sample)", "", 4, lambda v: autograd.std(v), _std(1)),
    Case("std (population)", "", 2, lambda v: autograd.std(v, correction=0), _std(0)),
    Case("var of one, population", "", 1, lambda v: autograd.var(v, correction=0), _var(0)),
]
