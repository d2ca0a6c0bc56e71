"""Neuron, Layer, MLP: forward values, graph shape, activations, inputs, errors, seeds."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import nn
from autograd import Value, gradcheck, numerical_grad, topological_order
from nn import init

ACTIVATION_FORMULAS: dict[str, Callable[[float], float]] = {
    "linear": lambda s: s,
    "tanh": math.tanh,
    "relu": lambda s: max(s, 0.0),
    "sigmoid": lambda s: 1.0 / (1.0 + math.exp(-s)),
    "leaky_relu": lambda s: s if s > 0 else 0.01 * s,
    "softplus": lambda s: math.log1p(math.exp(s)),
}


@pytest.mark.parametrize("name", list(ACTIVATION_FORMULAS))
def test_neuron_computes_activation_of_weighted_sum(name: str) -> None:
    neuron = nn.Neuron(3, activation=name, init=init.uniform(-1.0, 1.0), seed=0)
    assert neuron.b is not None
    for x in ([0.5, -1.5, 2.0], [-0.3, 0.1, -0.7]):
        s = sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data
        assert neuron(x).data == pytest.approx(ACTIVATION_FORMULAS[name](s), rel=1e-12, abs=1e-15)


def test_neuron_graph_is_one_linear_node_then_activation() -> None:
    neuron = nn.Neuron(4, activation="tanh", seed=0)
    out = neuron([1.0, 2.0, 3.0, 4.0])
    assert out.op == "tanh"
    (net,) = out.parents
    assert net.op == "linear"
    # float inputs are constants: only the weights and the bias are recorded
    assert net.parents == (*neuron.w, neuron.b)
    assert neuron.b is not None and neuron.b.label == "b"
    assert net.local_grads == (1.0, 2.0, 3.0, 4.0, 1.0)
    nodes = topological_order(out)
    assert len(nodes) == 4 + 1 + 2  # 4 weights, the bias, linear, tanh


def _shape(v: Value) -> list[tuple[str, float, list[object], tuple[float, ...]]]:
    """Each node's op, data, parents (a leaf itself, an interior node by its position)
    and local derivatives, in topological order."""
    order = topological_order(v)
    where = {node: k for k, node in enumerate(order)}
    return [
        (n.op, n.data, [p if not p.parents else where[p] for p in n.parents], n.local_grads)
        for n in order
    ]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x", [[0.5, -1.0, 2.0], [Value(0.5), Value(-1.0), Value(2.0)]])
def test_layer_builds_the_same_graph_as_calling_each_neuron(
    x: list[Value | float], bias: bool
) -> None:
    layer = nn.Layer(3, 4, activation="relu", bias=bias, seed=0)
    by_layer = layer(x)
    by_neuron = [neuron(x) for neuron in layer.neurons]
    assert [_shape(v) for v in by_layer] == [_shape(v) for v in by_neuron]


def _flat(outputs: object) -> list[Value]:
    """The Values of a model's outputs, nested lists flattened, in order."""
    if isinstance(outputs, Value):
        return [outputs]
    assert isinstance(outputs, list)
    return [v for o in outputs for v in _flat(o)]


@pytest.mark.parametrize(
    "model",
    [
        nn.Neuron(3, activation="sigmoid", seed=0),
        nn.Layer(3, 4, activation="relu", seed=0),
        nn.MLP(3, [4, 4, 2], activation="tanh", seed=0),
        nn.MLP(3, [4, 1], activation="relu", seed=0),
        nn.MLP(3, [2], bias=False, seed=0),
    ],
)
def test_a_batch_builds_the_nodes_of_one_call_per_sample(model: nn.Module) -> None:
    X = [[0.5, -1.0, 2.0], [0.0, 0.25, -0.5], [1.5, 1.0, 0.75]]
    by_sample = [model(x) for x in X]
    for batch in (X, np.array(X), [np.array(x) for x in X], [tuple(x) for x in X]):
        out = model(batch)
        assert isinstance(out, list) and len(out) == len(X)
        for got, want in zip(out, by_sample):
            assert type(got) is type(want)
            assert [_shape(v) for v in _flat(got)] == [_shape(v) for v in _flat(want)]
    assert model(np.zeros((0, 3))) == []


def test_a_batch_of_value_inputs_sends_gradients_to_every_sample() -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    X = [[Value(0.5), Value(-1.0)], [Value(2.0), Value(0.25)]]
    outputs = model(X)
    for out in outputs:
        out.backward()
    for row in X:
        estimate = numerical_grad(lambda *x: model(list(x)), row)
        assert [v.grad for v in row] == pytest.approx(estimate, abs=1e-8)


def test_linear_neuron_without_bias_is_a_single_dot_node() -> None:
    neuron = nn.Neuron(2, activation="linear", bias=False, seed=0)
    out = neuron([1.0, 2.0])
    assert out.op == "dot"
    assert neuron.b is None
    assert [n for n, _ in neuron.named_parameters()] == ["w.0", "w.1"]


def test_gradients_flow_to_value_inputs_and_weights() -> None:
    neuron = nn.Neuron(3, activation="sigmoid", init=init.uniform(-1.0, 1.0), seed=1)
    xs = [Value(0.2), Value(-0.4), Value(1.1)]
    params = neuron.parameters()
    gradcheck(lambda *v: neuron(list(v[:3])), [*xs])
    gradcheck(lambda *_: neuron(xs), params)


def test_custom_callable_activation() -> None:
    def square(v: Value) -> Value:
        return v * v

    neuron = nn.Neuron(2, activation=square, init=init.uniform(-1.0, 1.0), seed=0)
    assert neuron.b is not None
    s = neuron.w[0].data * 3.0 + neuron.w[1].data * -1.0 + neuron.b.data
    assert neuron([3.0, -1.0]).data == pytest.approx(s * s)
    assert "activation=square" in repr(neuron)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: nn.Neuron(2, activation="gelu"),
            ValueError,
            "Neuron: activation must be one of linear, tanh, relu, sigmoid, leaky_relu, "
            "softplus; got activation='gelu'",
        ),
        (lambda: nn.Layer(2, 2, activation=3), TypeError, "Layer: activation must be a name"),
        (
            lambda: nn.MLP(2, [2], output_activation="Tanh"),
            ValueError,
            "MLP: output_activation must be one of linear, tanh",
        ),
    ],
)
def test_unknown_activation_lists_the_known_ones(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


def test_inputs_floats_tuple_numpy_and_values_agree() -> None:
    model = nn.MLP(3, [4, 2], seed=0)
    row = np.array([0.1, -0.2, 0.3])
    expected = [v.data for v in model([0.1, -0.2, 0.3])]
    assert [v.data for v in model(row)] == expected
    assert [v.data for v in model((0.1, -0.2, 0.3))] == expected
    assert [v.data for v in model(x for x in [0.1, -0.2, 0.3])] == expected  # any iterable
    assert [v.data for v in model([Value(0.1), Value(-0.2), Value(0.3)])] == expected
    layer = model.layers[0]
    assert [v.data for v in layer(row)] == [v.data for v in layer([0.1, -0.2, 0.3])]
    assert model.layers[1].neurons[0](np.array([1.0, 2.0, 3.0, 4.0])).data == pytest.approx(
        model.layers[1].neurons[0]([1.0, 2.0, 3.0, 4.0]).data
    )


def test_numpy_input_becomes_plain_float_constants() -> None:
    neuron = nn.Neuron(2, seed=0)
    out = neuron(np.array([1.5, -2.5]))
    net = out.parents[0]
    assert net.local_grads == (1.5, -2.5, 1.0)
    assert all(type(g) is float for g in net.local_grads)


@pytest.mark.parametrize(
    ("module", "name", "n"),
    [
        (nn.Neuron(3, seed=0), "Neuron", 3),
        (nn.Layer(3, 2, seed=0), "Layer", 3),
        (nn.MLP(3, [2, 1], seed=0), "MLP", 3),
    ],
)
def test_wrong_input_length_names_expected_and_given(module: nn.Module, name: str, n: int) -> None:
    with pytest.raises(ValueError, match=f"{name} expects {n} inputs, got 2"):
        module([1.0, 2.0])
    with pytest.raises(ValueError, match=f"{name} expects {n} inputs, got 4"):
        module(np.ones(4))
    with pytest.raises(ValueError, match=f"{name} expects {n} inputs, got 2 in sample 1"):
        module([[1.0] * n, [1.0, 2.0]])
    with pytest.raises(ValueError, match=r"one sample \(1-D.*or a batch \(2-D.*shape \(2, 2, 3\)"):
        module(np.ones((2, 2, 3)))
    with pytest.raises(TypeError, match=f"takes a list of {n} inputs or a list of such samples"):
        module(3.0)
    with pytest.raises(TypeError, match="got a single Value; pass"):
        module(Value(1.0))


def test_layer_returns_a_list_and_mlp_unwraps_a_single_output() -> None:
    layer = nn.Layer(2, 1, seed=0)
    out = layer([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1
    single = nn.MLP(2, [3, 1], seed=0)([1.0, 2.0])
    assert isinstance(single, Value)
    several = nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(several, list) and len(several) == 2


def test_mlp_equals_its_layers_composed_by_hand() -> None:
    model = nn.MLP(2, [3, 2], activation="relu", output_activation="sigmoid", seed=3)
    x = [0.4, -0.9]
    h = []
    for neuron in model.layers[0].neurons:
        assert neuron.b is not None
        h.append(max(0.0, sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data))
    out = []
    for neuron in model.layers[1].neurons:
        assert neuron.b is not None
        s = sum(w.data * hi for w, hi in zip(neuron.w, h)) + neuron.b.data
        out.append(1.0 / (1.0 + math.exp(-s)))
    got = model(x)
    assert isinstance(got, list)
    assert [v.data for v in got] == pytest.approx(out, rel=1e-12)


def test_mlp_layer_activations_and_structure() -> None:
    model = nn.MLP(2, [4, 3, 1], activation="relu", seed=0)
    assert [(layer.in_features, layer.out_features) for layer in model.layers] == [
        (2, 4),
        (4, 3),
        (3, 1),
    ]
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert model.output_activation is None
    assert model.num_parameters() == 4 * 3 + 3 * 5 + 1 * 4


def test_mlp_without_bias() -> None:
    model = nn.MLP(2, [3, 1], seed=0, bias=False)
    assert model.num_parameters() == 2 * 3 + 3
    assert all(n.rsplit(".", 2)[-2] == "w" for n, _ in model.named_parameters())


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: nn.Neuron(0), ValueError, "Neuron: in_features must be an int >= 1; got .*=0"),
        (lambda: nn.Neuron(True), TypeError, "Neuron: in_features must be an int >= 1; .*True"),
        (lambda: nn.Layer(2, -1), ValueError, "Layer: out_features must be an int >= 1; .*-1"),
        (lambda: nn.Layer(2.0, 1), TypeError, "Layer: in_features .*=2.0: pass 2"),
        (lambda: nn.MLP(2, []), ValueError, "MLP: sizes must be a non-empty list"),
        (lambda: nn.MLP(2, 3), ValueError, "MLP: sizes must be a non-empty list"),
        (lambda: nn.MLP(2, [3, 0]), ValueError, r"MLP: sizes\[1\] must be an int >= 1"),
        (lambda: nn.MLP(0, [3]), ValueError, "MLP: in_features must be an int >= 1"),
        (lambda: nn.MLP(2, [1], bias=1), TypeError, "MLP: bias must be True or False"),
        (lambda: nn.Neuron(2, bias="no"), TypeError, "Neuron: bias must be True or False"),
    ],
)
def test_bad_sizes_and_flags_name_the_argument(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: nn.Neuron(2, init=lambda fi, fo, rng: np.zeros((fo, fi))),
            TypeError,
            r"Neuron: init must be an initialiser such as nn\.init\.uniform",
        ),
        (
            lambda: nn.MLP(2, [1], init="xavier"),
            TypeError,
            r"MLP: init must be an initialiser",
        ),
        (
            lambda: nn.MLP(2, [1], seed="zero"),
            TypeError,
            "MLP: seed must be None, an int >= 0 or a numpy Generator",
        ),
        (
            lambda: nn.MLP(2, [1], seed=-1),
            ValueError,
            "MLP: seed must be None, an int >= 0 or a numpy Generator; got seed=-1",
        ),
        (lambda: nn.Layer(2, 1, seed=1.5), TypeError, "Layer: seed must be None, an int >= 0"),
    ],
)
def test_bad_init_and_seed(
    build: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


def test_a_broken_initialiser_is_caught_at_build_time() -> None:
    class WrongShape(init.Initializer):
        def _draw(
            self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
        ) -> np.ndarray:  # type: ignore[type-arg]
            return np.zeros(fan_in)

    class NotFinite(init.Initializer):
        def _draw(
            self, shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator
        ) -> np.ndarray:  # type: ignore[type-arg]
            return np.full(shape, np.nan)

    with pytest.raises(ValueError, match=r"expected \(3, 2\)"):
        nn.Layer(2, 3, init=WrongShape())
    with pytest.raises(ValueError, match="not finite"):
        nn.Layer(2, 3, init=NotFinite())


def test_same_seed_same_model_different_seed_different_model() -> None:
    a = nn.MLP(3, [8, 8, 2], seed=42)
    b = nn.MLP(3, [8, 8, 2], seed=42)
    c = nn.MLP(3, [8, 8, 2], seed=43)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()
    ga = nn.MLP(3, [8, 2], seed=np.random.default_rng(5))
    gb = nn.MLP(3, [8, 2], seed=np.random.default_rng(5))
    assert ga.state_dict() == gb.state_dict()
    assert nn.Layer(2, 3, seed=1).state_dict() == nn.Layer(2, 3, seed=1).state_dict()
    assert nn.Neuron(2, seed=1).state_dict() == nn.Neuron(2, seed=1).state_dict()


def test_default_init_is_xavier_for_tanh_and_he_for_relu() -> None:
    # biases start at 0; weights lie within the limit and actually reach near it
    for activation, limit in (("tanh", math.sqrt(6 / (50 + 40))), ("relu", math.sqrt(6 / 50))):
        layer = nn.Layer(50, 40, activation=activation, seed=0)
        w = np.array([[v.data for v in n.w] for n in layer.neurons])
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.95 * limit
        assert all(n.b is not None and n.b.data == 0.0 for n in layer.neurons)


def test_explicit_uniform_init_applies_to_biases_too() -> None:
    model = nn.MLP(2, [3, 2], init=init.uniform(-0.05, 0.05), seed=0)
    values = [p.data for p in model.parameters()]
    biases = [p.data for n, p in model.named_parameters() if n.endswith(".b")]
    assert all(-0.05 <= v < 0.05 for v in values)
    assert all(b != 0.0 for b in biases)
    model = nn.MLP(2, [3, 2], init=init.uniform(-0.05, 0.05, biases=False), seed=0)
    assert all(p.data == 0.0 for n, p in model.named_parameters() if n.endswith(".b"))


def test_from_weights_builds_a_given_neuron() -> None:
    neuron = nn.Neuron.from_weights([0.5, -0.25], bias=0.1, activation="sigmoid")
    assert [p.data for p in neuron.parameters()] == [0.5, -0.25, 0.1]
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "b"]
    s = 0.5 * 2.0 - 0.25 * 4.0 + 0.1
    assert neuron([2.0, 4.0]).data == pytest.approx(1 / (1 + math.exp(-s)))
    assert nn.Neuron.from_weights([1.0], bias=None).b is None
    with pytest.raises(ValueError, match="finite"):
        nn.Neuron.from_weights([math.nan])
    with pytest.raises(ValueError, match=r"len\(weights\) must be an int >= 1; got .*=0"):
        nn.Neuron.from_weights([])


def test_layer_repr_and_neuron_count() -> None:
    layer = nn.Layer(3, 5, activation="leaky_relu", bias=False, seed=0)
    assert (
        repr(layer) == "Layer(in_features=3, out_features=5, activation='leaky_relu', bias=False)"
    )
    assert len(layer.neurons) == 5
    assert layer.num_parameters() == 15


SAMPLE_OR_BATCH = [
    # (an input of two features, whether it is a batch)
    ([0.5, -1.0], False),
    ((0.5, -1.0), False),
    (np.array([0.5, -1.0]), False),
    ([Value(0.5), -1.0], False),
    ([[0.5, -1.0], [2.0, 0.0]], True),
    (((0.5, -1.0),), True),
    (np.array([[0.5, -1.0], [2.0, 0.0]]), True),
    ([np.array([0.5, -1.0]), np.array([2.0, 0.0])], True),
]


@pytest.mark.parametrize(("x", "batch"), SAMPLE_OR_BATCH)
def test_layers_and_losses_tell_a_batch_from_a_sample_by_one_rule(x: object, batch: bool) -> None:
    from autograd.functional import is_batch

    assert is_batch(x) is batch
    model = nn.MLP(2, [3, 2], seed=0)
    out = model(x)
    # a batch gives one list of outputs per sample; one sample gives its list of Values
    assert isinstance(out, list) and isinstance(out[0], list) is batch
    # the loss reads the model's outputs the same way: a batch of two, or one sample
    targets = [[0.0, 1.0]] * len(out) if batch else [0.0, 1.0]
    per_sample = [out] if not batch else out
    by_hand = sum(0.5 * ((v.data - t) ** 2) for o in per_sample for v, t in zip(o, [0.0, 1.0]))
    assert nn.sse(out, targets).data == pytest.approx(by_hand)


@pytest.mark.parametrize(
    "build",
    [
        lambda **kw: nn.Neuron(2, **kw),
        lambda **kw: nn.Layer(2, 3, **kw),
        lambda **kw: nn.MLP(2, [3, 1], **kw),
    ],
    ids=["Neuron", "Layer", "MLP"],
)
def test_neuron_layer_and_mlp_take_seed_and_refuse_rng_naming_seed(
    build: Callable[..., nn.Module],
) -> None:
    # one name for the weights' seed, as fit and the datasets have it
    assert build(seed=7).state_dict() == build(seed=7).state_dict()
    assert build(seed=7).state_dict() != build(seed=8).state_dict()
    with pytest.raises(TypeError, match=r"rng= is now called seed=.*pass seed=0"):
        build(rng=0)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'sede'"):
        build(sede=0)
