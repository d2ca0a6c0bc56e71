"""Reading an optimizer's saved state back: the checks of
`Optimizer.load_state_dict`, apart from the optimizer's stepping.

Everything is checked before anything is written: these functions only read the
state dict and return what `load_state_dict` then installs. Every problem is a
``ValueError`` naming the place in the state dict that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nn import _checks as checks

__all__ = ["parse_group_state", "parse_groups"]

Entries = dict[int, Mapping[str, Any]]  # a group's saved entries, by position in the group


def parse_groups(
    state_dict: Mapping[str, Any],
    sizes: list[int],
    checked_hypers: Callable[[Mapping[str, Any], str], dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Entries]]:
    """Each saved group's hyper-parameters (through ``checked_hypers``, as the
    optimizer's constructor checks them), and its entries of 'state'; ``sizes`` are the
    optimizer's groups' numbers of parameters, which the saved groups must match."""
    checks.exact_keys("state dict", "the state dict", state_dict, ("state", "param_groups"))
    saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
    if not isinstance(saved_groups, Sequence) or len(saved_groups) != len(sizes):
        count = len(saved_groups) if isinstance(saved_groups, Sequence) else saved_groups
        raise ValueError(f"it has {count} parameter groups, this optimizer {len(sizes)}")
    if not isinstance(saved_state, Mapping):
        raise ValueError(f"'state' must be a dict, got {checks.shown(saved_state)}")
    new_hypers: list[dict[str, Any]] = []
    position: dict[int, tuple[int, int]] = {}
    for gi, (saved, size) in enumerate(zip(saved_groups, sizes)):
        _number_params(gi, saved, size, position)
        hypers = {k: v for k, v in saved.items() if k != "params"}
        new_hypers.append(checked_hypers(hypers, f"param_groups[{gi}]"))
    return new_hypers, _entries(saved_state, position, len(sizes))


def _number_params(gi: int, saved: object, size: int, position: dict[int, tuple[int, int]]) -> None:
    """Check saved group gi's 'params' (``size`` new int indices) and note where each
    index sits in ``position``."""
    if not isinstance(saved, Mapping) or "params" not in saved:
        raise ValueError(f"param_groups[{gi}] must be a dict with a 'params' list")
    ids = saved["params"]
    if not isinstance(ids, Sequence) or len(ids) != size:
        count = len(ids) if isinstance(ids, Sequence) else ids
        raise ValueError(
            f"param_groups[{gi}] has {count} parameters, this optimizer's group {gi} has {size}"
        )
    for j, i in enumerate(ids):
        if isinstance(i, bool) or not isinstance(i, int) or i in position:
            raise ValueError(
                f"param_groups[{gi}]['params'][{j}] = {checks.shown(i)} is not a new int index"
            )
        position[i] = (gi, j)


def _entries(
    saved_state: Mapping[Any, Any], position: dict[int, tuple[int, int]], groups: int
) -> list[Entries]:
    """The entries of 'state', by group and position: its keys are the indices the
    groups list, as ints or (after JSON) as their strings, each parameter once."""
    entries: list[Entries] = [{} for _ in range(groups)]
    for key, entry in saved_state.items():
        i = int(key) if isinstance(key, str) and key.isdigit() and len(key) < 20 else key
        if i not in position:
            raise ValueError(
                f"state has an entry for parameter {checks.shown(key)}, which no group lists"
            )
        if not isinstance(entry, Mapping):
            raise ValueError(f"state[{key!r}] must be a dict, got {checks.shown(entry)}")
        gi, j = position[i]
        if j in entries[gi]:
            raise ValueError(
                f"state has two entries for parameter {i} (keys {i!r} and {str(i)!r}); keep one"
            )
        entries[gi][j] = entry
    return entries


def parse_group_state(
    gi: int,
    n: int,
    entries: Entries,
    needed: set[str],
    counts_steps: bool,
    nonnegative: frozenset[str],
) -> tuple[dict[str, list[float]], int]:
    """Check one group's saved per-parameter entries (all ``n`` or none; the buffers
    ``needed``, those in ``nonnegative`` >= 0, and a whole 'step' where the optimizer
    ``counts_steps``); return its buffers and its step."""
    if not entries:
        return {}, 0
    if len(entries) != n:
        raise ValueError(
            f"group {gi} has state for {len(entries)} of its {n} parameters; "
            f"all of a group's parameters step together, so it needs all or none"
        )
    expected = needed | ({"step"} if counts_steps else set())
    buffers = {key: [0.0] * n for key in sorted(needed)}
    steps_seen: set[int] = set()
    for j in range(n):
        what = f"the state of parameter {j} of group {gi}"
        entry = checks.exact_keys("state dict", what, entries[j], expected)
        for key in needed:
            low = 0.0 if key in nonnegative else None
            buffers[key][j] = checks.real(what, repr(key), entry[key], low=low)
        if counts_steps:
            step = checks.real(what, "'step'", entry["step"], low=0.0)
            if not step.is_integer():
                checks.fail(what, "'step'", entry["step"], "a whole number >= 0")
            steps_seen.add(int(step))
    if len(steps_seen) > 1:
        raise ValueError(
            f"the parameters of group {gi} have different step counts {sorted(steps_seen)}"
        )
    return buffers, steps_seen.pop() if steps_seen else 0
