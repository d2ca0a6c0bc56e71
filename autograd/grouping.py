"""Boxes for large graphs: which group each Value of a graph belongs to, and which to open.

A picture of a network's loss on a batch holds thousands of Values; shown one box per
Value it is unreadable, and no layout finishes in time. So the Values are grouped, the
way TensorBoard groups a model by name scope, and a closed group is drawn as one box:

- **by sample**: when the root reduces a batch (a ``mean`` or ``sum`` whose operands
  are the per-sample losses), every Value that only one sample's loss depends on
  belongs to that sample's group, ``sample 3``;
- **by module**: a parameter's dotted name (``layers.0.neurons.3.w.1``, as
  `nn.Module.named_parameters` writes it into its label) places it in the modules
  ``layers.0`` and ``layers.0.neurons.3`` (under ``parameters``, since every sample
  shares it); an operation on parameters of one module belongs to that module, and so
  does an operation on one computed Value of it (the neuron's ``tanh``);
- **by position**: whatever is left, when there is too much of it to show (a chain of
  100,000 Values), is cut into runs of consecutive Values of the topological order
  (``values 1-1000``, then ``values 1-100`` inside it, ...).

A group's name is its path, its boxes joined by ``/``: ``sample 3/layers.0/layers.0.neurons.3``.
`initial_open` chooses which groups start open: whole levels of the tree, top first,
as long as the boxes on screen stay within a budget, so a small graph shows every Value.
Everything here is linear in the size of the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from autograd.engine import Value

__all__ = ["Grouping", "count_boxes", "group_values", "initial_open", "module_of", "visible"]

# Operations that reduce a batch of per-sample losses into one number.
_BATCH_REDUCTIONS = frozenset({"mean", "sum"})
_INDEX = re.compile(r"^\d+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Grouping:
    """The groups of one graph (``order`` is its topological order).

    ``names[j]`` is group j's path, ``titles[j]`` its last part, ``parents[j]`` the
    group it sits in (-1 at the top), ``depths[j]`` how deep it is (0 at the top);
    ``of_node[i]`` is the innermost group of ``order[i]`` (-1: none); ``sizes[j]``
    counts the Values inside group j, at any depth.
    """

    names: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    of_node: list[int] = field(default_factory=list)
    _by_name: dict[str, int] = field(default_factory=dict)

    def group(self, path: tuple[str, ...]) -> int:
        """The index of the group at `path`, made (with its enclosing groups) if new."""
        name = "/".join(path)
        found = self._by_name.get(name)
        if found is not None:
            return found
        parent = self.group(path[:-1]) if len(path) > 1 else -1
        self._by_name[name] = len(self.names)
        self.names.append(name)
        self.titles.append(path[-1])
        self.parents.append(parent)
        self.depths.append(len(path) - 1)
        self.sizes.append(0)
        return self._by_name[name]

    def index(self, name: str) -> int | None:
        return self._by_name.get(name)


def module_of(label: str) -> tuple[str, ...]:
    """The modules a parameter's dotted name places it in, outermost first:
    ``layers.0.neurons.3.w.1`` -> ``("layers.0", "layers.0.neurons.3")``; () when the
    label is not a dotted name of a parameter inside a module."""
    parts = label.split(".")
    if len(parts) < 2 or not all(_NAME.match(p) or _INDEX.match(p) for p in parts):
        return ()
    while parts and _INDEX.match(parts[-1]):
        parts.pop()  # the element of a parameter vector: w.1
    parts.pop()  # the parameter's own name: w, b
    levels, current = [], []
    for k, part in enumerate(parts):
        current.append(part)
        last = k + 1 == len(parts)
        if _INDEX.match(part) or last or not _INDEX.match(parts[k + 1]):
            levels.append(".".join(current))
    return tuple(levels)


def _modules(order: list[Value]) -> list[tuple[str, ...]]:
    """The module path of each Value (see the module docstring)."""
    paths: dict[Value, tuple[str, ...]] = {}
    for value in order:
        if not value.parents:
            paths[value] = module_of(value.label)
            continue
        # a parent left out of `order` (folded by collapse=True) has no say
        from_params = [paths.get(p, ()) for p in value.parents if not p.parents]
        from_params = [p for p in from_params if p]
        computed = {p for p in value.parents if p.parents and p in paths}
        if from_params:
            common = from_params[0]
            for other in from_params[1:]:
                k = 0
                while k < min(len(common), len(other)) and common[k] == other[k]:
                    k += 1
                common = common[:k]
            paths[value] = common
        elif len(computed) == 1:  # an operation on one computed Value: a neuron's tanh
            paths[value] = paths[next(iter(computed))]
        else:
            paths[value] = ()
    return [paths[v] for v in order]


def _samples(order: list[Value]) -> list[int]:
    """Which sample's loss alone depends on each Value (-1: none, or several)."""
    node = order[-1]
    while node.op not in _BATCH_REDUCTIONS:
        computed = [p for p in node.parents if p.parents]
        if len(computed) != 1:
            return [-1] * len(order)
        node = computed[0]
    heads: dict[Value, int] = {}
    for parent in node.parents:
        if parent.parents and parent not in heads:
            heads[parent] = len(heads)
    if len(heads) < 2:
        return [-1] * len(order)
    owner: dict[Value, int] = {}
    for value in reversed(order):
        mine = heads.get(value, owner.get(value, -1))
        owner[value] = mine
        for parent in value.parents:
            if owner.get(parent, mine) != mine:
                owner[parent] = -1
            else:
                owner.setdefault(parent, mine)
    return [owner.get(v, -1) for v in order]


def group_values(order: list[Value], fanout: int = 200) -> Grouping:
    """Group the Values of `order` (a topological order) by sample, module and position.

    `fanout` bounds what one open group (or the top level) shows directly: past it, its
    loose Values are cut into runs of 10, 100, 1000, ... consecutive Values.
    """
    grouping = Grouping()
    samples, modules = _samples(order), _modules(order)
    loose: dict[int, list[int]] = {}  # group (-1: top) -> Values directly inside it
    for i, value in enumerate(order):
        path: tuple[str, ...] = ()
        if samples[i] >= 0:
            path = (f"sample {samples[i]}",)
        elif modules[i] and not value.parents:
            path = ("parameters",)
        path += modules[i]
        group = grouping.group(path) if path else -1
        grouping.of_node.append(group)
        loose.setdefault(group, []).append(i)
    children: dict[int, int] = {}
    for parent in grouping.parents:
        children[parent] = children.get(parent, 0) + 1
    for group, members in list(loose.items()):
        if len(members) + children.get(group, 0) > fanout:
            path = tuple(grouping.names[group].split("/")) if group >= 0 else ()
            _cut_into_runs(grouping, path, members, fanout)
    for i in range(len(order)):
        group = grouping.of_node[i]
        while group >= 0:
            grouping.sizes[group] += 1
            group = grouping.parents[group]
    return grouping


def _cut_into_runs(
    grouping: Grouping, path: tuple[str, ...], members: list[int], fanout: int
) -> None:
    """Put `members` (Values directly inside the group at `path`) into runs of
    consecutive Values, 10, 100, 1000, ... long, nested until each shows few enough."""
    run = 10
    while (len(members) + run - 1) // run > fanout:
        run *= 10
    for start in range(0, len(members), run):
        chunk = members[start : start + run]
        inner = (*path, f"values {chunk[0] + 1}-{chunk[-1] + 1}")
        group = grouping.group(inner)
        for i in chunk:
            grouping.of_node[i] = group
        if len(chunk) > fanout:
            _cut_into_runs(grouping, inner, chunk, fanout)


def visible(grouping: Grouping, opened: set[int]) -> list[int]:
    """For each group, the group whose box shows it (itself or a closed enclosing
    group), or -1 when it and every enclosing group are open."""
    shown: list[int] = []
    for j, parent in enumerate(grouping.parents):  # a group comes after its parent
        above = shown[parent] if parent >= 0 else -1
        shown.append(above if above >= 0 else (-1 if j in opened else j))
    return shown


def count_boxes(grouping: Grouping, opened: set[int]) -> int:
    """How many boxes a view with the groups `opened` open shows."""
    shown = visible(grouping, opened)
    boxes = set()
    for i, group in enumerate(grouping.of_node):
        box = shown[group] if group >= 0 else -1
        boxes.add(("g", box) if box >= 0 else ("v", i))
    return len(boxes)


def initial_open(grouping: Grouping, budget: int) -> set[int]:
    """The groups open at first: whole levels, top first, while at most `budget` boxes show."""
    opened: set[int] = set()
    depth = 0
    while True:
        level = {j for j, d in enumerate(grouping.depths) if d == depth}
        if not level or count_boxes(grouping, opened | level) > budget:
            return opened
        opened |= level
        depth += 1
