"""Tests for autograd.grouping: which box each Value of a large graph belongs to."""

from __future__ import annotations

import pytest

import autograd
from autograd import Value, topological_order
from autograd.grouping import count_boxes, group_values, initial_open, module_of, visible


def labelled_mlp_batch(samples: int) -> Value:
    """The mean squared error of a 2-3-1 tanh network over a batch, its parameters
    labelled as nn.Module.named_parameters names them."""
    w1 = [
        [Value(0.1 * (i - j), label=f"layers.0.neurons.{i}.w.{j}") for j in range(2)]
        for i in range(3)
    ]
    b1 = [Value(0.05 * i, label=f"layers.0.neurons.{i}.b") for i in range(3)]
    w2 = [[Value(0.2 * k - 0.1, label=f"layers.1.neurons.0.w.{k}") for k in range(3)]]
    b2 = [Value(0.1, label="layers.1.neurons.0.b")]
    errors = []
    for s in range(samples):
        hidden = [h.tanh() for h in autograd.linear([0.5 * s, -0.25 * s], w1, b1)]
        (out,) = autograd.linear(hidden, w2, b2)
        errors.append((out - 1.0) ** 2)
    return autograd.mean(errors)


def ancestors(value: Value) -> set[Value]:
    seen, stack = {value}, [value]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


@pytest.mark.parametrize(
    ("label", "modules"),
    [
        ("layers.0.neurons.3.w.1", ("layers.0", "layers.0.neurons.3")),
        ("layers.2.neurons.0.b", ("layers.2", "layers.2.neurons.0")),
        ("encoder.fc.w", ("encoder", "encoder.fc")),
        ("w", ()),
        ("x1", ()),
        ("a.b c.d", ()),  # not a dotted name
        ("", ()),
    ],
)
def test_a_parameters_dotted_name_places_it_in_its_modules(
    label: str, modules: tuple[str, ...]
) -> None:
    assert module_of(label) == modules


def test_a_batch_is_grouped_by_the_sample_each_value_serves_and_by_module() -> None:
    root = labelled_mlp_batch(3)
    order = topological_order(root)
    grouping = group_values(order)
    name = {i: grouping.names[g] if g >= 0 else "" for i, g in enumerate(grouping.of_node)}
    # the reference: the samples whose loss depends on a Value, by brute force
    losses = [p for p in root.parents]
    for i, value in enumerate(order):
        serves = [s for s, loss in enumerate(losses) if value in ancestors(loss)]
        if value.label.startswith("layers."):
            assert name[i].startswith("parameters/")
            neuron = value.label.rsplit(".", 2 if value.label.split(".")[-1].isdigit() else 1)[0]
            assert name[i].endswith("/" + neuron)
        elif len(serves) == 1:
            assert name[i].startswith(f"sample {serves[0]}")
        else:
            assert value is root and name[i] == ""
    # an operation on one neuron's parameters belongs to that neuron, and its tanh too
    first_linear = next(i for i, v in enumerate(order) if v.op == "linear")
    assert name[first_linear].startswith("sample ")
    assert "/layers." in name[first_linear] and ".neurons." in name[first_linear]
    sizes = {n: s for n, s in zip(grouping.names, grouping.sizes)}
    assert sizes["parameters"] == 13  # 3 x (2 + 1) + 3 + 1
    assert sum(sizes[f"sample {s}"] for s in range(3)) + 13 + 1 == len(order)


def test_long_runs_of_ungrouped_values_are_cut_into_nested_runs() -> None:
    x = Value(0.5, label="x")
    y = x
    for _ in range(2_500):
        y = y * 0.999 + 0.001
    order = topological_order(y)
    grouping = group_values(order, fanout=20)
    for j in range(len(grouping.names)):  # each group is a run of consecutive Values
        members = [i for i in range(len(order)) if _inside(grouping, i, j)]
        assert members == list(range(members[0], members[-1] + 1))
        assert grouping.sizes[j] == len(members)
        assert grouping.titles[j] == f"values {members[0] + 1}-{members[-1] + 1}"
    # no open group (nor the top) shows more than the fanout directly
    direct: dict[int, int] = {}
    for g in grouping.of_node:
        direct[g] = direct.get(g, 0) + 1
    for g in grouping.parents:
        direct[g] = direct.get(g, 0) + 1
    assert max(direct.values()) <= 20


def _inside(grouping: object, i: int, j: int) -> bool:
    g = grouping.of_node[i]  # type: ignore[attr-defined]
    while g >= 0:
        if g == j:
            return True
        g = grouping.parents[g]  # type: ignore[attr-defined]
    return False


def test_whole_levels_open_while_the_boxes_fit() -> None:
    order = topological_order(labelled_mlp_batch(4))
    grouping = group_values(order)
    everything = set(range(len(grouping.names)))
    assert count_boxes(grouping, everything) == len(order)  # all open: one box per Value
    assert initial_open(grouping, len(order)) == everything
    for budget in (5, 12, 30, 60):
        opened = initial_open(grouping, budget)
        assert count_boxes(grouping, opened) <= budget or not opened
        depths = {grouping.depths[j] for j in opened}
        assert depths == set(range(len(depths)))  # whole levels, from the top
        assert all(
            grouping.depths[j] in depths for j in everything if grouping.depths[j] < len(depths)
        )
    shown = visible(grouping, set())
    assert all((shown[j] == j) == (grouping.parents[j] < 0) for j in everything)
