"""Neuron, Layer and MLP: fully connected networks of scalar Values.

A neuron computes ``activation(w . x + b)``: its net input is ONE ``linear`` node
(``autograd.linear``) whose parents are the weights ``...w.0``, ``...w.1``, the bias
``...b`` and the inputs that are Values, and then one node for the activation (none
for ``linear``). So a drawing of a neuron reads like its formula, and the grad of its
``linear`` node is d loss / d net input: the BP algorithm's error term, up to its
sign. Without a bias the net input is a ``dot`` node.

Activations are given by name — ``linear``, ``tanh``, ``relu``, ``sigmoid``,
``leaky_relu`` (slope 0.01), ``softplus`` — or as any callable ``Value -> Value``
(which then cannot be saved to JSON).

Inputs: one sample is a list or tuple of floats and/or Values, or a 1-D numpy array
(turned into floats with one ``tolist()``); a batch is a 2-D array or a list of
samples, and gives a list with one output per sample. Plain-number inputs are
constants: the graph records only the weights. A batch builds exactly the nodes of
calling the model once per sample, but reads the weights once for the whole batch,
which is about twice as fast. Forward passes check the input lengths and nothing
else, to stay fast.

Randomness: weights are drawn from a ``numpy.random.Generator``. ``seed=`` of Neuron,
Layer and MLP (the name `nn.fit` and the datasets use) takes an int seed or a Generator;
the same seed builds the same model. None draws fresh entropy (a different model each
time). The old name ``rng=`` of Neuron and Layer is refused with a message naming
``seed=``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from autograd import Value, linear
from autograd.extend import is_batch
from nn import _checks as checks
from nn import init as _init
from nn.module import Module, PathLike, read_model_file

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Neuron", "load_model"]

ActivationFn = Callable[[Value], Value]
Activation = str | ActivationFn
Inputs = Sequence[Value | float] | NDArray[Any]  # one sample
Batch = Sequence[Sequence[Value | float]] | NDArray[Any]  # samples
Seed = int | np.random.Generator | None

# name -> function (None: linear, no node at all).
ACTIVATIONS: dict[str, ActivationFn | None] = {
    "linear": None,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "softplus": Value.softplus,
}
_NAME_OF = {fn: name for name, fn in ACTIVATIONS.items() if fn is not None}
# Old keyword names -> the one name nn uses now.
_RENAMED = {"rng": "seed"}


def _activation(
    activation: Activation, where: str, name: str = "activation"
) -> tuple[Activation, ActivationFn | None]:
    """(what to remember: a name, or the custom callable; the function to apply)."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            checks.fail(
                where,
                name,
                activation,
                f"one of {', '.join(ACTIVATIONS)}",
                "or pass a function Value -> Value",
            )
        return activation, ACTIVATIONS[activation]
    if callable(activation):
        known = _NAME_OF.get(activation)
        return (known, activation) if known is not None else (activation, activation)
    checks.fail(
        where,
        name,
        activation,
        f"a name ({', '.join(ACTIVATIONS)}) or a function Value -> Value",
        error=TypeError,
    )


def _activation_repr(activation: Activation) -> str:
    if isinstance(activation, str):
        return repr(activation)
    return getattr(activation, "__name__", repr(activation))


def _initializer(
    init: _init.Initializer | None, activation: Activation, where: str
) -> _init.Initializer:
    if init is None:
        return _init.default_for(activation if isinstance(activation, str) else "")
    expected = "an initialiser such as nn.init.uniform(-0.05, 0.05)"
    checks.instance(where, "init", init, _init.Initializer, expected)
    return init


def _draw(
    initializer: _init.Initializer, fan_in: int, fan_out: int, rng: np.random.Generator, bias: bool
) -> tuple[list[list[float]], list[float] | None]:
    """Weights (fan_out rows of fan_in) and biases, checked for shape and finiteness."""
    weights = np.asarray(initializer(fan_in, fan_out, rng), dtype=float)
    biases = np.asarray(initializer.biases(fan_in, fan_out, rng), dtype=float) if bias else None
    if weights.shape != (fan_out, fan_in) or (biases is not None and biases.shape != (fan_out,)):
        raise ValueError(
            f"{initializer!r} drew weights of shape {weights.shape} (and biases of shape "
            f"{None if biases is None else biases.shape}); expected ({fan_out}, {fan_in}) "
            f"and ({fan_out},)"
        )
    if not np.isfinite(weights).all() or (biases is not None and not np.isfinite(biases).all()):
        raise ValueError(f"{initializer!r} drew a number that is not finite")
    return weights.tolist(), None if biases is None else biases.tolist()


def _input_rows(x: Any, n: int, who: str) -> tuple[list[list[Any]], bool]:
    """(the samples, each a list of n inputs; whether x was a batch rather than one), by
    `autograd.functional.is_batch`, the rule `linear` follows.

    The lengths are the only per-call check of a forward pass: `autograd.linear`
    checks the numbers themselves."""
    if isinstance(x, Value):
        raise TypeError(f"{who} takes a list of {n} inputs, got a single Value; pass [x]")
    ndim = getattr(x, "ndim", None)
    if ndim is not None:  # a numpy array
        if ndim not in (1, 2):
            raise ValueError(
                f"{who} takes one sample (1-D, {n} inputs) or a batch (2-D, one row of {n} "
                f"inputs per sample); got shape {x.shape}"
            )
        batch = is_batch(x)
        rows = x.tolist() if batch else [x.tolist()]
    else:
        if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
            raise TypeError(
                f"{who} takes a list of {n} inputs or a list of such samples, got "
                f"{type(x).__name__}"
            )
        xs = x if isinstance(x, (list, tuple)) else list(x)
        batch = is_batch(xs)
        rows = [s if type(s) is list else _as_list(s) for s in (xs if batch else [xs])]
    for i, row in enumerate(rows):
        if len(row) != n:
            where = f" in sample {i}" if batch else ""
            raise ValueError(f"{who} expects {n} inputs, got {len(row)}{where}")
    return rows, batch


def _as_list(sample: Any) -> list[Any]:
    tolist = getattr(sample, "tolist", None)
    return tolist() if tolist is not None else list(sample)


def _net_inputs_then_activation(
    rows: list[list[Any]],
    weights: list[list[Value]],
    biases: Sequence[Any] | None,
    fn: ActivationFn | None,
) -> list[list[Value]]:
    """For each sample, each neuron's ``activation(linear node)``: weights read once."""
    if not rows:
        return []
    nets = linear(rows, weights, biases)
    return nets if fn is None else [list(map(fn, zs)) for zs in nets]


class Neuron(Module):
    """One neuron: ``activation(w_1 x_1 + ... + w_n x_n + b)``.

    Parameters ``w`` (a list of ``in_features`` Values) and ``b`` (a Value, or None when
    ``bias=False``). Without ``init`` the weights come from `nn.init.default_for`
    (Xavier for tanh/sigmoid/linear, He for relu-like), with fan_out = 1.
    """

    takes_batches: ClassVar[bool] = True

    w: list[Value]
    b: Value | None

    def __init__(
        self,
        in_features: int,
        activation: Activation = "tanh",
        bias: bool = True,
        init: _init.Initializer | None = None,
        seed: Seed = None,
        **renamed: Any,
    ) -> None:
        checks.no_renamed("Neuron", renamed, _RENAMED)
        n = checks.positive_int("Neuron", "in_features", in_features)
        kind, fn = _activation(activation, "Neuron")
        initializer = _initializer(init, kind, "Neuron")
        gen, bias = checks.rng("Neuron", "seed", seed), checks.flag("Neuron", "bias", bias)
        weights, biases = _draw(initializer, n, 1, gen, bias)
        b = None if biases is None else Value(biases[0])
        self._setup([Value(w) for w in weights[0]], b, kind, fn)
        self.label_parameters()

    @classmethod
    def from_weights(
        cls, weights: Sequence[float], bias: float | None = 0.0, activation: Activation = "tanh"
    ) -> Neuron:
        """A neuron with the given starting weights and bias (None: no bias).

        >>> Neuron.from_weights([0.5, -0.25], bias=0.1, activation="sigmoid")
        Neuron(in_features=2, activation='sigmoid', bias=True)
        """
        values = [Value(w) for w in weights]
        checks.positive_int("Neuron.from_weights", "len(weights)", len(values))
        kind, fn = _activation(activation, "Neuron.from_weights")
        neuron = cls.__new__(cls)
        neuron._setup(values, None if bias is None else Value(bias), kind, fn)
        neuron.label_parameters()
        return neuron

    def _setup(
        self, w: list[Value], b: Value | None, kind: Activation, fn: ActivationFn | None
    ) -> None:
        self.in_features = len(w)
        self.activation = kind
        self.w = w
        self.b = b
        self._fn = fn

    def forward(self, x: Inputs | Batch) -> Value | list[Value]:
        """``activation(w . x + b)`` for one sample x of ``in_features`` inputs; for a
        batch, a list of those."""
        rows, batch = _input_rows(x, self.in_features, "Neuron")
        biases = None if self.b is None else [self.b]
        out = [o[0] for o in _net_inputs_then_activation(rows, [self.w], biases, self._fn)]
        return out if batch else out[0]

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, activation={_activation_repr(self.activation)}, "
            f"bias={self.b is not None}"
        )

    def config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "activation": _saveable(self.activation, "activation"),
            "bias": self.b is not None,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Neuron:
        """Rebuild (with zero weights) from `config`; load the parameters afterwards."""
        c = _checked_config(config, ("in_features", "activation", "bias"))
        return cls(c["in_features"], c["activation"], c["bias"], init=_init.zeros(), seed=0)


class Layer(Module):
    """``out_features`` neurons that see the same inputs; returns a list of their outputs.

    The weights are drawn as one (out_features, in_features) matrix by the initialiser
    (fan_in = in_features, fan_out = out_features), row k for neuron k.
    """

    takes_batches: ClassVar[bool] = True
    _repr_children: ClassVar[bool] = False

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: Activation = "tanh",
        bias: bool = True,
        init: _init.Initializer | None = None,
        seed: Seed = None,
        **renamed: Any,
    ) -> None:
        checks.no_renamed("Layer", renamed, _RENAMED)
        n_in = checks.positive_int("Layer", "in_features", in_features)
        n_out = checks.positive_int("Layer", "out_features", out_features)
        kind, fn = _activation(activation, "Layer")
        initializer = _initializer(init, kind, "Layer")
        gen, bias = checks.rng("Layer", "seed", seed), checks.flag("Layer", "bias", bias)
        weights, biases = _draw(initializer, n_in, n_out, gen, bias)
        self.in_features = n_in
        self.out_features = n_out
        self.activation = kind
        self.bias = bias
        self.neurons = [
            Neuron.from_weights(row, None if biases is None else biases[k], kind)
            for k, row in enumerate(weights)
        ]
        self._fn = fn
        self.label_parameters()

    def forward(self, x: Inputs | Batch) -> list[Value] | list[list[Value]]:
        """The outputs of every neuron for one sample x (always a list); for a batch, a
        list of those."""
        rows, batch = _input_rows(x, self.in_features, "Layer")
        out = self._forward_rows(rows)
        return out if batch else out[0]

    def _forward_rows(self, rows: list[list[Any]]) -> list[list[Value]]:
        """The same nodes as calling each neuron on each sample; the weights read once."""
        neurons = self.neurons
        biases = [neuron.b for neuron in neurons] if self.bias else None
        return _net_inputs_then_activation(rows, [n.w for n in neurons], biases, self._fn)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"activation={_activation_repr(self.activation)}, bias={self.bias}"
        )

    def config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "activation": _saveable(self.activation, "activation"),
            "bias": self.bias,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Layer:
        """Rebuild (with zero weights) from `config`; load the parameters afterwards."""
        keys = ("in_features", "out_features", "activation", "bias")
        c = _checked_config(config, keys)
        return cls(
            c["in_features"],
            c["out_features"],
            c["activation"],
            c["bias"],
            init=_init.zeros(),
            seed=0,
        )


class MLP(Module):
    """A multilayer perceptron: layers of widths ``sizes`` after ``in_features`` inputs.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons using ``activation``
    and an output layer of 1 neuron using ``output_activation`` (None: linear, the
    identity, as a regression output or logits want). Calling it on one sample returns
    a list of ``sizes[-1]`` Values — or, when there is a single output, that Value
    itself, so ``loss = (model(x) - y) ** 2`` reads naturally.

    ``init`` (default: per layer, from its activation, see `nn.init.default_for`) and
    ``seed`` (an int or numpy Generator; None for fresh entropy) decide the weights.
    """

    takes_batches: ClassVar[bool] = True

    def __init__(
        self,
        in_features: int,
        sizes: Sequence[int],
        activation: Activation = "tanh",
        output_activation: Activation | None = None,
        init: _init.Initializer | None = None,
        seed: Seed = None,
        bias: bool = True,
        **renamed: Any,
    ) -> None:
        checks.no_renamed("MLP", renamed, _RENAMED)
        n_in = checks.positive_int("MLP", "in_features", in_features)
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            checks.fail(
                "MLP", "sizes", sizes, "a non-empty list of layer widths", "e.g. [16, 16, 1]"
            )
        widths = [checks.positive_int("MLP", f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        hidden, _ = _activation(activation, "MLP")
        output = (
            None
            if output_activation is None
            else _activation(output_activation, "MLP", "output_activation")[0]
        )
        if init is not None:
            _initializer(init, hidden, "MLP")
        gen = checks.rng("MLP", "seed", seed)
        bias = checks.flag("MLP", "bias", bias)
        self.in_features = n_in
        self.sizes = widths
        self.activation = hidden
        self.output_activation = output
        self.bias = bias
        fans = [n_in, *widths]
        last = len(widths) - 1
        self.layers = [
            Layer(
                fans[i],
                fans[i + 1],
                hidden if i < last else ("linear" if output is None else output),
                self.bias,
                init,
                gen,
            )
            for i in range(len(widths))
        ]
        self.label_parameters()

    def forward(self, x: Inputs | Batch) -> Any:
        """The outputs for one sample: a list, or the Value itself when there is one;
        for a batch, a list of those, one per sample."""
        rows, batch = _input_rows(x, self.in_features, "MLP")
        for layer in self.layers:
            rows = layer._forward_rows(rows)
        out = [o[0] if len(o) == 1 else o for o in rows]
        return out if batch else out[0]

    def config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "sizes": list(self.sizes),
            "activation": _saveable(self.activation, "activation"),
            "output_activation": None
            if self.output_activation is None
            else _saveable(self.output_activation, "output_activation"),
            "bias": self.bias,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MLP:
        """Rebuild (with zero weights) from `config`; load the parameters afterwards."""
        keys = ("in_features", "sizes", "activation", "output_activation", "bias")
        c = _checked_config(config, keys)
        checks.instance("from_config", "sizes", c["sizes"], list, "a list of ints")
        return cls(
            c["in_features"],
            c["sizes"],
            c["activation"],
            c["output_activation"],
            init=_init.zeros(),
            seed=0,
            bias=c["bias"],
        )


# ---------------------------------------------------------------- saving helpers


def _saveable(activation: Activation, what: str) -> str:
    if isinstance(activation, str):
        return activation
    raise TypeError(
        f"cannot save a model whose {what} is the custom function "
        f"{_activation_repr(activation)}: a function cannot be stored in JSON (and loading a "
        f"file must never run code). Use a named activation ({', '.join(ACTIVATIONS)}), "
        f"or save model.state_dict() and rebuild the model in code"
    )


def _checked_config(config: Mapping[str, Any], keys: tuple[str, ...]) -> Mapping[str, Any]:
    checks.exact_keys("from_config", "config", config, keys)
    checks.instance("from_config", "activation", config["activation"], str, "a name")
    checks.flag("from_config", "bias", config["bias"])
    return config


def _implied_parameter_count(kind: str, config: Any) -> int | None:
    """How many parameters a saved `config` describes, computed without building
    anything; None when the config is malformed (``from_config`` then says how)."""
    if not isinstance(config, Mapping):
        return None
    widths = {"Neuron": [1], "Layer": [config.get("out_features")], "MLP": config.get("sizes")}
    sizes: list[Any] = [config.get("in_features"), *(widths.get(kind) or [None])]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes):
        return None
    bias = 1 if config.get("bias") is True else 0
    return sum(int(width) * (int(fan_in) + bias) for fan_in, width in pairwise(sizes))


_LOADABLE: dict[str, type[Neuron] | type[Layer] | type[MLP]] = {
    "Neuron": Neuron,
    "Layer": Layer,
    "MLP": MLP,
}


def load_model(path: PathLike) -> Module:
    """Rebuild a model saved with ``model.save(path)``: same class, shape and weights.

    Only the built-in classes (Neuron, Layer, MLP) are rebuilt, from the constructor
    arguments stored in the file: loading never runs code from the file. Raises
    ``ValueError`` naming the file for anything truncated, edited or inconsistent.
    """
    name = str(path)
    document = read_model_file(path)
    cls = _LOADABLE.get(document["class"])
    if cls is None:
        raise ValueError(
            f"{name}: load_model rebuilds {', '.join(_LOADABLE)}; the file holds a "
            f"{document['class']!r}: build that model in code and call model.load({name!r})"
        )
    if document["config"] is None:
        raise ValueError(f'{name}: the file has no "config" to rebuild the model from')
    # Count before building: a small file must not make load_model build a huge model.
    implied = _implied_parameter_count(document["class"], document["config"])
    if implied is not None and implied != len(document["parameters"]):
        described = ", ".join(f"{k}={v!r}" for k, v in document["config"].items())
        raise ValueError(
            f'{name}: "config" describes a {document["class"]}({described}) with {implied} '
            f"parameters, but the file holds {len(document['parameters'])}; nothing was built"
        )
    try:
        model = cls.from_config(document["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f'{name}: bad model description in "config": {err}') from None
    try:
        model.load_state_dict(document["parameters"])
    except ValueError as err:
        described = ", ".join(f"{k}={v!r}" for k, v in document["config"].items())
        raise ValueError(
            f"{name}: the parameters do not fit the {document['class']}({described}) that "
            f'"config" describes: {err}'
        ) from None
    return model
