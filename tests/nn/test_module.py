"""Module: parameter discovery and names, labels, repr, state dicts, saving and loading."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nn
from autograd import Value
from nn.module import FORMAT, IncompatibleKeys, Module


class Pair(Module):
    """A custom module: two MLPs side by side, a free scale parameter, and private state."""

    def __init__(self) -> None:
        self.scale = Value(2.0)
        self.left = nn.MLP(2, [2, 1], seed=1)
        self.right = nn.Neuron(2, activation="relu", seed=2)
        self.offsets = (Value(0.5), Value(-0.5))
        self.heads = [nn.Neuron(1, seed=3), nn.Neuron(1, seed=4)]
        self.sizes = [1, 2, 3]  # not parameters: plain numbers
        self._cache = [Value(9.0)]  # private: skipped
        self.label_parameters()

    def forward(self, x: list[float]) -> Value:
        return self.scale * self.left(x) + self.right(x)


def test_named_parameters_walk_attributes_in_definition_order() -> None:
    names = [name for name, _ in Pair().named_parameters()]
    assert names == [
        "scale",
        *[f"left.layers.0.neurons.{k}.{p}" for k in range(2) for p in ("w.0", "w.1", "b")],
        "left.layers.1.neurons.0.w.0",
        "left.layers.1.neurons.0.w.1",
        "left.layers.1.neurons.0.b",
        "right.w.0",
        "right.w.1",
        "right.b",
        "offsets.0",
        "offsets.1",
        "heads.0.w.0",
        "heads.0.b",
        "heads.1.w.0",
        "heads.1.b",
    ]


def test_parameters_match_named_parameters_and_count() -> None:
    model = Pair()
    named = model.named_parameters()
    assert model.parameters() == [p for _, p in named]
    # 1 + MLP(2,[2,1]) = 2*3 + 3 = 9, Neuron(2) = 3, 2 offsets, 2 heads of 2
    assert model.num_parameters() == 1 + 9 + 3 + 2 + 4
    assert all(isinstance(p, Value) for p in model.parameters())


def test_mlp_names_say_where_each_weight_lives() -> None:
    model = nn.MLP(3, [4, 2], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.w.2",
        "layers.0.neurons.0.b",
    ]
    assert "layers.0.neurons.3.w.1" in names
    assert names[-1] == "layers.1.neurons.1.b"
    assert len(names) == 4 * 4 + 2 * 5
    # the name leads to the very object
    assert (
        dict(model.named_parameters())["layers.0.neurons.3.w.1"] is model.layers[0].neurons[3].w[1]
    )


def test_labels_are_full_dotted_names_from_the_top_level_model() -> None:
    model = Pair()
    for name, p in model.named_parameters():
        assert p.label == name
    # a Layer built on its own is labelled relative to itself
    layer = nn.Layer(2, 2, seed=0)
    assert layer.neurons[1].b is not None
    assert layer.neurons[1].b.label == "neurons.1.b"
    assert nn.Neuron(2, seed=0).w[0].label == "w.0"


def test_label_parameters_with_prefix() -> None:
    model = nn.MLP(1, [1], seed=0)
    model.label_parameters("net.")
    assert [p.label for p in model.parameters()] == [
        "net.layers.0.neurons.0.w.0",
        "net.layers.0.neurons.0.b",
    ]


def test_shared_parameter_is_listed_once() -> None:
    class Tied(Module):
        def __init__(self) -> None:
            self.a = nn.Neuron(2, seed=0)
            self.b = nn.Neuron(2, seed=1)
            self.b.w[0] = self.a.w[0]

    model = Tied()
    params = model.parameters()
    assert len(params) == 5
    assert len({id(p) for p in params}) == 5


def test_zero_grad_resets_every_parameter() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_calling_a_module_runs_forward_and_unknown_attributes_raise() -> None:
    model = Pair()
    x = [0.3, -0.2]
    assert model(x).data == model.forward(x).data
    with pytest.raises(AttributeError, match="nonexistent"):
        _ = model.nonexistent  # type: ignore[attr-defined]

    class NoForward(Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward must define forward"):
        NoForward()(1.0)


def test_repr_is_an_indented_tree() -> None:
    model = nn.MLP(2, [3, 1], activation="relu", output_activation="sigmoid", seed=0)
    assert repr(model) == (
        "MLP(\n"
        "  (layers): [\n"
        "    (0): Layer(in_features=2, out_features=3, activation='relu', bias=True)\n"
        "    (1): Layer(in_features=3, out_features=1, activation='sigmoid', bias=True)\n"
        "  ]\n"
        ")"
    )
    text = repr(Pair())
    assert text.startswith("Pair(\n  (left): MLP(\n    (layers): [\n      (0): Layer(")
    assert "  (right): Neuron(in_features=2, activation='relu', bias=True)\n" in text
    assert "  (heads): [\n    (0): Neuron(in_features=1, activation='tanh', bias=True)\n" in text
    assert text.endswith("  ]\n)")


# ------------------------------------------------------------------ state dict


def test_state_dict_is_ordered_names_to_floats() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == [n for n, _ in model.named_parameters()]
    assert list(state.values()) == [p.data for p in model.parameters()]


def test_load_state_dict_round_trip_between_models() -> None:
    a = nn.MLP(2, [3, 1], seed=0)
    b = nn.MLP(2, [3, 1], seed=1)
    assert a.state_dict() != b.state_dict()
    result = b.load_state_dict(a.state_dict())
    assert result == IncompatibleKeys([], [])
    assert b.state_dict() == a.state_dict()
    x = [0.7, -0.1]
    assert b(x).data == a(x).data


def test_load_state_dict_accepts_ints_and_numpy_scalars() -> None:
    model = nn.Neuron(2, seed=0)
    model.load_state_dict({"w.0": 1, "w.1": np.float32(0.5), "b": np.int64(-2)})
    assert model.state_dict() == OrderedDict([("w.0", 1.0), ("w.1", 0.5), ("b", -2.0)])
    assert all(type(x) is float for x in model.state_dict().values())


def _bad_state(kind: str, good: dict[str, float]) -> dict[str, Any]:
    bad: dict[str, Any] = dict(good)
    first = next(iter(good))
    if kind == "missing":
        del bad[first]
    elif kind == "unexpected":
        bad["layers.9.neurons.0.w.0"] = 1.0
    elif kind == "nan":
        bad[first] = math.nan
    elif kind == "inf":
        bad[first] = -math.inf
    elif kind == "bool":
        bad[first] = True
    elif kind == "str":
        bad[first] = "0.5"
    elif kind == "none":
        bad[first] = None
    return bad


@pytest.mark.parametrize("kind", ["missing", "unexpected", "nan", "inf", "bool", "str", "none"])
def test_load_state_dict_refusals_leave_the_model_unchanged(kind: str) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    # every other value is different, so a partial write would show
    good = {k: v + 1.0 for k, v in before.items()}
    with pytest.raises(ValueError, match="nothing was loaded") as info:
        model.load_state_dict(_bad_state(kind, good))
    assert model.state_dict() == before
    message = str(info.value)
    first = next(iter(before))
    expected = {
        "missing": f"Missing key(s): '{first}'",
        "unexpected": "Unexpected key(s): 'layers.9.neurons.0.w.0'",
        "nan": f"'{first}' is nan, expected a finite number",
        "inf": f"'{first}' is -inf, expected a finite number",
        "bool": f"'{first}' is True (bool), expected a finite number",
        "str": f"'{first}' is '0.5' (str), expected a finite number",
        "none": f"'{first}' is None, expected a finite number",
    }[kind]
    assert expected in message


def test_load_state_dict_lists_missing_and_unexpected_together() -> None:
    model = nn.Neuron(2, seed=0)
    with pytest.raises(ValueError) as info:
        model.load_state_dict({"w.0": 1.0, "weight.1": 2.0, "bias": 0.0})
    message = str(info.value)
    assert "Missing key(s): 'w.1', 'b'" in message
    assert "Unexpected key(s): 'weight.1', 'bias'" in message


def test_load_state_dict_non_strict_loads_the_matching_names() -> None:
    model = nn.Neuron(2, seed=0)
    result = model.load_state_dict({"w.0": 3.0, "extra": 1.0}, strict=False)
    assert result.missing_keys == ["w.1", "b"]
    assert result.unexpected_keys == ["extra"]
    assert model.w[0].data == 3.0
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'w\.1' is nan"):
        model.load_state_dict({"w.0": 4.0, "w.1": math.nan}, strict=False)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="mapping of name -> number"):
        nn.Neuron(1, seed=0).load_state_dict([("w.0", 1.0), ("b", 0.0)])  # type: ignore[arg-type]


# ------------------------------------------------------------------ save / load


def test_save_then_load_model_is_bit_identical(tmp_path: Path) -> None:
    model = nn.MLP(3, [5, 4, 2], activation="leaky_relu", output_activation="softplus", seed=7)
    # awkward floats: the shortest repr must read back exactly
    params = model.parameters()
    params[0].data = 0.1 + 0.2
    params[1].data = 1e-300
    params[2].data = -123456789.123456789
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nn.load_model(path)
    assert isinstance(loaded, nn.MLP)
    assert loaded.config() == model.config()
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]
    for (_, a), (_, b) in zip(model.named_parameters(), loaded.named_parameters()):
        assert a.data.hex() == b.data.hex()
    rng = np.random.default_rng(0)
    for row in rng.normal(size=(5, 3)):
        assert [v.data for v in loaded(row)] == [v.data for v in model(row)]
    # the labels of the rebuilt model are its parameter names
    assert all(p.label == n for n, p in loaded.named_parameters())


@pytest.mark.parametrize(
    "model",
    [
        nn.Neuron(3, activation="sigmoid", bias=False, seed=0),
        nn.Layer(2, 3, activation="relu", seed=0),
        nn.MLP(2, [1], activation="linear", output_activation="tanh", seed=0, bias=False),
    ],
    ids=["neuron", "layer", "mlp"],
)
def test_every_builtin_class_round_trips(tmp_path: Path, model: Module) -> None:
    path = tmp_path / "m.json"
    model.save(str(path))  # str paths work as well as Path
    loaded = nn.load_model(str(path))
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()


def test_file_format_is_documented_json(tmp_path: Path) -> None:
    model = nn.MLP(2, [3, 1], activation="relu", seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT
    assert document["version"] == 1
    assert document["class"] == "MLP"
    assert document["config"] == {
        "in_features": 2,
        "sizes": [3, 1],
        "activation": "relu",
        "output_activation": None,
        "bias": True,
    }
    assert document["parameters"] == dict(model.state_dict())


def test_module_load_reads_into_an_existing_model(tmp_path: Path) -> None:
    a = nn.MLP(2, [3, 1], seed=0)
    b = nn.MLP(2, [3, 1], seed=1)
    path = tmp_path / "a.json"
    a.save(path)
    b.load(path)
    assert b.state_dict() == a.state_dict()


def test_custom_activation_cannot_be_saved_and_nothing_is_written(tmp_path: Path) -> None:
    def cube(v: Value) -> Value:
        return v**3

    model = nn.MLP(2, [2, 1], activation=cube, seed=0)
    path = tmp_path / "m.json"
    path.write_text("old contents")
    with pytest.raises(
        TypeError, match="custom function cube: a function cannot be stored in JSON"
    ):
        model.save(path)
    assert path.read_text() == "old contents"
    assert os.listdir(tmp_path) == ["m.json"]  # no temporary file left behind


def test_builtin_activation_passed_as_a_function_is_saved_by_name(tmp_path: Path) -> None:
    model = nn.MLP(2, [2, 1], activation=Value.relu, seed=0)
    assert model.config()["activation"] == "relu"
    model.save(tmp_path / "m.json")
    assert nn.load_model(tmp_path / "m.json").state_dict() == model.state_dict()


def test_save_refuses_non_finite_parameters_and_keeps_the_old_file(tmp_path: Path) -> None:
    model = nn.Neuron(2, seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()
    model.w[1].data = math.inf
    with pytest.raises(ValueError, match=r"parameter\(s\) w.1 are not finite"):
        model.save(path)
    assert path.read_bytes() == old


def test_save_failure_midway_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = nn.Neuron(2, seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    old = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    model.w[0].data = 5.0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.json"]


def _saved(tmp_path: Path) -> tuple[nn.MLP, Path, dict[str, Any]]:
    model = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    return model, path, json.loads(path.read_text())


def _edit(document: dict[str, Any], kind: str) -> str:
    params = document["parameters"]
    first = next(iter(params))
    if kind == "truncated":
        return json.dumps(document)[:-40]
    if kind == "empty":
        return ""
    if kind == "not_json":
        return "this is not json"
    if kind == "not_model":
        return json.dumps({"hello": 1})
    if kind == "future_version":
        document["version"] = 99
    elif kind == "wrong_sizes":
        document["config"]["sizes"] = [4, 1]
    elif kind == "bad_size":
        document["config"]["sizes"] = [3, "x"]
    elif kind == "bad_activation":
        document["config"]["activation"] = "swish"
    elif kind == "extra_config":
        document["config"]["dropout"] = 0.5
    elif kind == "unknown_class":
        document["class"] = "os.system"
    elif kind == "missing_param":
        del params[first]
    elif kind == "renamed_param":
        params["layers.0.neurons.0.weight.0"] = params.pop(first)
    elif kind == "nan_param":
        return json.dumps(document).replace(repr(params[first]), "NaN", 1)
    elif kind == "str_param":
        params[first] = "0.1"
    elif kind == "list_param":
        params[first] = [0.1]
    elif kind == "duplicate_key":
        text = json.dumps(document)
        return text.replace('"version": 1', '"version": 1, "version": 1')
    return json.dumps(document)


EDITS = {
    "truncated": "not valid JSON",
    "empty": "not valid JSON",
    "not_json": "not valid JSON",
    "not_model": "not a backproplab model file",
    "future_version": "format version 99",
    "wrong_sizes": "sizes=[4, 1]",
    "bad_size": "sizes[1] must be an int >= 1",
    "bad_activation": "activation must be one of linear, tanh",
    "extra_config": "unknown key(s) 'dropout'",
    "unknown_class": "the file holds a 'os.system'",
    "missing_param": "with 13 parameters, but the file holds 12; nothing was built",
    "renamed_param": "Unexpected key(s): 'layers.0.neurons.0.weight.0'",
    "nan_param": "'layers.0.neurons.0.w.0' is nan",
    "str_param": "'layers.0.neurons.0.w.0' is '0.1' (str)",
    "list_param": "'layers.0.neurons.0.w.0' is [0.1] (list)",
    "duplicate_key": "the key 'version' appears twice",
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_damaged_files_give_a_clear_error_naming_the_file(tmp_path: Path, kind: str) -> None:
    _, path, document = _saved(tmp_path)
    path.write_text(_edit(document, kind))
    with pytest.raises(ValueError) as info:
        nn.load_model(path)
    assert str(path) in str(info.value)
    assert EDITS[kind] in str(info.value)


@pytest.mark.parametrize("kind", [k for k in EDITS if k != "unknown_class"])
def test_damaged_files_leave_an_existing_model_unchanged(tmp_path: Path, kind: str) -> None:
    model, path, document = _saved(tmp_path)
    for p in model.parameters():  # differ from the file, so any write would show
        p.data += 1.0
    before = model.state_dict()
    path.write_text(_edit(document, kind))
    with pytest.raises(ValueError) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert model.state_dict() == before


def test_load_into_a_different_shape_or_class_is_refused(tmp_path: Path) -> None:
    _, path, _ = _saved(tmp_path)
    other = nn.MLP(2, [4, 1], seed=0)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"holds MLP\(in_features=2, sizes=\[3, 1\]"):
        other.load(path)
    assert other.state_dict() == before
    with pytest.raises(ValueError, match="holds a MLP, not a Layer"):
        nn.Layer(2, 3, seed=0).load(path)


def test_a_custom_module_saves_its_parameters_and_loads_them_by_hand(tmp_path: Path) -> None:
    model = Pair()
    path = tmp_path / "pair.json"
    model.save(path)
    fresh = Pair()
    for p in fresh.parameters():
        p.data = 0.0
    fresh.load(path)
    assert fresh.state_dict() == model.state_dict()
    with pytest.raises(
        ValueError, match="load_model rebuilds Neuron, Layer, MLP; the file holds a 'Pair'"
    ):
        nn.load_model(path)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        nn.load_model(tmp_path / "nope.json")


# ------------------------------------------- issue 12: what a file may make the loader do


def _model_file(tmp_path: Path, config: dict[str, Any], n_params: int) -> Path:
    """A small, well-formed file whose config may claim more than it holds."""
    document = {
        "format": FORMAT,
        "version": 1,
        "class": "MLP",
        "config": {
            "in_features": 2,
            "activation": "tanh",
            "output_activation": None,
            "bias": True,
            **config,
        },
        "parameters": {f"p.{i}": 0.0 for i in range(n_params)},
    }
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("sizes", "implied"),
    [([2000, 2], 2000 * 3 + 2 * 2001), ([1_000_000_000], 3_000_000_000), ([3, 1], 13)],
)
def test_load_model_counts_the_parameters_a_config_implies_before_building(
    tmp_path: Path, sizes: list[int], implied: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _model_file(tmp_path, {"sizes": sizes}, n_params=12)
    built = []
    monkeypatch.setattr(nn.MLP, "from_config", classmethod(lambda cls, c: built.append(c)))
    with pytest.raises(ValueError) as info:
        nn.load_model(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert f"with {implied} parameters, but the file holds 12; nothing was built" in message
    assert built == []  # refused before anything was built


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO"),
        (lambda p: os.symlink("/dev/zero", p), "a character device"),
        (lambda p: os.mkdir(p), "a folder"),
    ],
)
def test_only_regular_files_are_read(tmp_path: Path, make: Any, kind: str) -> None:
    path = tmp_path / "model.json"
    make(path)
    with pytest.raises(ValueError, match=f"not a model file \\({kind}\\)") as info:
        nn.load_model(path)  # a FIFO would block forever, /dev/zero never end
    assert str(path) in str(info.value)


def test_files_over_the_size_limit_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, path, _ = _saved(tmp_path)
    size = path.stat().st_size
    monkeypatch.setattr(nn.module, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=f"has {size} bytes, over the limit of {size - 1}"):
        nn.load_model(path)
    with pytest.raises(ValueError, match="MAX_FILE_BYTES"):
        model.load(path)
    monkeypatch.setattr(nn.module, "MAX_FILE_BYTES", size)  # adjustable: now it fits
    assert nn.load_model(path).state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="over the limit of 10"):
        nn.module.read_model_file(path, max_bytes=10)


def test_a_sparse_gigabyte_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(2**30)  # 1 GiB, sparse: nothing is written or read
    with pytest.raises(ValueError, match=f"has {2**30} bytes, over the limit"):
        nn.load_model(path)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "backproplab-model", "version": 1' + "0" * 400 + "}", "integer of 401 digits"),
    ],
    ids=["deep", "400-digits"],
)
def test_deep_json_and_huge_ints_are_value_errors_naming_the_file(
    tmp_path: Path, text: str, pattern: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=pattern) as info:
        nn.load_model(path)
    assert str(info.value).startswith(str(path))


def test_a_huge_int_parameter_is_a_bad_value_not_an_overflow() -> None:
    model = nn.Neuron(1, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'w\.0' is an int of about 401 digits"):
        model.load_state_dict({"w.0": 10**400, "b": 0.0})
    assert model.state_dict() == before


def test_saving_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    target = tmp_path / "models" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)  # the link stays
    assert nn.load_model(target).state_dict() == model.state_dict()
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.json"]  # no temp left


def test_saving_into_a_missing_folder_names_the_target_and_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "m.json"
    with pytest.raises(FileNotFoundError) as info:
        nn.Neuron(1, seed=0).save(path)
    message = str(info.value)
    assert f"cannot save to {path}: the folder {path.parent} does not exist" in message
    assert ".tmp" not in message


def test_the_temporary_file_pattern_is_documented() -> None:
    assert ".<name>.<pid>.<random>.tmp" in (nn.module._write_atomically.__doc__ or "")
    assert "killed" in (nn.module._write_atomically.__doc__ or "")


def test_load_state_dict_strict_must_be_a_bool() -> None:
    model = nn.Neuron(1, seed=0)
    with pytest.raises(TypeError, match="load_state_dict: strict must be True or False"):
        model.load_state_dict(model.state_dict(), strict="no")  # type: ignore[arg-type]


def _numpy_mlp(model: nn.MLP, X: np.ndarray) -> np.ndarray:
    """The MLP's outputs by hand: tanh hidden layers, a linear output layer."""
    out = X
    for k, layer in enumerate(model.layers):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons if n.b is not None])
        out = out @ W.T + b
        out = np.tanh(out) if k < len(model.layers) - 1 else out
    return out


def test_predict_gives_the_outputs_as_an_ndarray_recording_no_graph() -> None:
    X, _ = nn.data.make_moons(n_samples=12, noise=0.1, seed=0)
    model = nn.MLP(2, [5, 3], seed=0)
    outputs = model.predict(X)
    assert isinstance(outputs, np.ndarray) and outputs.dtype == np.float64
    assert outputs.shape == (12, 3)
    np.testing.assert_allclose(outputs, _numpy_mlp(model, X), rtol=1e-12, atol=1e-12)
    # a regression loss changes nothing: outputs are the answer
    assert np.array_equal(model.predict(X, loss=nn.mse), outputs)
    one = nn.MLP(2, [5, 1], seed=0)
    assert one.predict(X.tolist()).shape == (12,)  # a list of rows too; one output: (n,)
    assert all(p.grad == 0.0 for p in model.parameters())


def test_predict_with_a_classification_loss_gives_classes_as_evaluate_counts_them() -> None:
    X, y = nn.data.make_moons(n_samples=40, noise=0.1, seed=0)
    model = nn.MLP(2, [5, 2], seed=1)
    classes = model.predict(X, loss=nn.cross_entropy)
    assert classes.dtype == np.int64
    assert np.array_equal(classes, np.argmax(_numpy_mlp(model, X), axis=1))
    accuracy = nn.evaluate(model, X, y, loss=nn.cross_entropy)["accuracy"]
    assert np.mean(classes == y) == pytest.approx(accuracy)


@pytest.mark.parametrize(
    ("loss", "output_activation", "threshold"),
    [
        (nn.binary_cross_entropy, "sigmoid", 0.5),  # a probability
        (nn.binary_cross_entropy_with_logits, None, 0.0),  # a logit
        (nn.hinge, None, 0.0),  # a score
    ],
)
def test_predict_of_a_one_output_classifier_splits_at_the_losss_threshold(
    loss: Any, output_activation: str | None, threshold: float
) -> None:
    X, y = nn.data.make_moons(n_samples=40, noise=0.1, seed=0)
    model = nn.MLP(2, [5, 1], output_activation=output_activation, seed=2)
    raw = _numpy_mlp(model, X)[:, 0]
    raw = 1.0 / (1.0 + np.exp(-raw)) if output_activation == "sigmoid" else raw
    assert np.array_equal(model.predict(X, loss=loss), (raw > threshold).astype(np.int64))
    labels = 2 * y - 1 if loss is nn.hinge else y
    accuracy = nn.evaluate(model, X, labels, loss=loss, metrics=["accuracy"])["accuracy"]
    assert np.mean(model.predict(X, loss=loss) == y) == pytest.approx(accuracy)


def test_predict_works_for_a_module_that_takes_one_sample_at_a_time() -> None:
    class Doubler(Module):
        def __init__(self) -> None:
            self.w = Value(2.0)

        def forward(self, x: Any) -> Value:
            return self.w * x[0]

    assert Doubler().predict([[1.0], [-3.0]]).tolist() == [2.0, -6.0]


def test_predict_refuses_a_single_row_naming_the_fix() -> None:
    with pytest.raises(ValueError, match=r"predict: X must be 2-D.*one row per sample"):
        nn.MLP(2, [1], seed=0).predict(np.array([0.5, 0.5]))


def test_a_symlink_loop_is_refused_naming_the_file_for_loading_and_saving(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.symlink_to(b)
    b.symlink_to(a)
    model = nn.MLP(2, [1], seed=0)
    loop = r"a loop of symbolic links"
    with pytest.raises(ValueError, match=rf"^{re.escape(str(a))}: {loop}"):
        nn.load_model(a)
    with pytest.raises(ValueError, match=rf"^{re.escape(str(a))}: {loop}"):
        model.load(a)
    with pytest.raises(ValueError, match=rf"^cannot save to {re.escape(str(a))}: {loop}"):
        model.save(a)
    assert os.readlink(a) == str(b) and os.readlink(b) == str(a)  # the links are untouched
    assert sorted(os.listdir(tmp_path)) == ["a.json", "b.json"]


def test_a_path_with_a_nul_byte_is_refused_naming_it(tmp_path: Path) -> None:
    bad = str(tmp_path / "mo\0del.json")
    model = nn.MLP(2, [1], seed=0)
    nul = r"the path contains a NUL byte"
    with pytest.raises(ValueError, match=rf"^{re.escape(repr(bad))}: {nul}"):
        nn.load_model(bad)
    with pytest.raises(ValueError, match=rf"^cannot save to {re.escape(repr(bad))}: {nul}"):
        model.save(bad)
    assert os.listdir(tmp_path) == []


_KILLED_MIDWAY = """
import os, sys, time
import nn, nn.module
def stall(fd):  # the temporary file is written; the process dies before it is moved
    open(sys.argv[2], "w").close()
    time.sleep(60)
nn.module.os.fsync = stall
nn.MLP(2, [3, 1], seed=0).save(sys.argv[1])
"""


def test_a_save_removes_the_temporary_a_killed_save_of_the_same_file_left(
    tmp_path: Path,
) -> None:
    path, ready = tmp_path / "m.json", tmp_path / "ready"
    script = tmp_path / "killed.py"
    script.write_text(_KILLED_MIDWAY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(ready)], env=env)
    try:
        for _ in range(600):  # up to 60 s for the child to reach the stall
            if ready.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), "the child never reached the write"
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup runs
        proc.wait(timeout=60)
    (left,) = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert left.startswith(f".m.json.{proc.pid}.") and not path.exists()
    # a temporary of a save still running (this process) and another file's stay
    mine = tmp_path / f".m.json.{os.getpid()}.abc123.tmp"
    other = tmp_path / f".other.json.{proc.pid}.abc123.tmp"
    mine.write_text("in progress")
    other.write_text("not ours")
    model = nn.MLP(2, [3, 1], seed=1)
    model.save(path)
    assert nn.load_model(path).state_dict() == model.state_dict()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == sorted(
        [mine.name, other.name]
    )
