"""`Optimizer`: parameter groups, the all-or-nothing `step`, and (de)serialisation.

An optimizer reads ``p.grad`` of every parameter and writes a new ``p.data``. A
subclass is a class that gathers state and a plain update function beside it
(``sgd``, ``adam``, ...: lists of floats in, new lists out, nothing written), as
torch.optim keeps ``_single_tensor_sgd`` apart from ``SGD``. Adding one:

1. write ``def rule(params, grads, <buffers>, *, <hyper-parameters>)`` returning the
   new values and the new buffers;
2. write the class: its ``__init__`` signature names each hyper-parameter and its
   default once and passes ``locals()`` on (``super().__init__(params, locals())``);
   ``_update`` calls the rule; ``_needed_buffers`` says which buffers a group keeps;
3. a hyper-parameter name `HYPER_CHECKS` does not know gets its check in the class's
   ``hyper_checks`` table (the shared table keeps one rule per name: ``lr`` is a
   number >= 0 wherever it appears).

Two promises on top of PyTorch's:

- ``step()`` is all or nothing. It checks every gradient, computes every new value
  and every new buffer, and checks those, before it writes anything: a nan, inf or
  missing (None) gradient, or an update that would overflow, raises naming the
  parameter, and leaves parameters, optimizer state and step counts as they were.
  The writes themselves run with Ctrl-C held back (see `_hold_sigint`), so a
  KeyboardInterrupt arrives before a step or after it, never inside it.
- ``state_dict()`` is plain JSON (floats, ints, bools, lists; parameters by index, as
  torch numbers them), and ``load_state_dict()`` checks every key, count and value
  before it changes anything.

The update loops run over plain Python floats (one list per buffer per parameter
group): for scalar parameters that is much faster than per-parameter dicts or numpy.
Each rule also has a twin over float64 arrays (``sgd_arrays``, ...; see
``nn/optim/flat.py``), bit for bit the same, which `Optimizer.step_arrays` runs over
flat parameter and gradient buffers (a subclass gives it ``_update_arrays``).
"""

from __future__ import annotations

import math
import numbers
import signal
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import FrameType
from typing import Any, ClassVar

import numpy as np

from autograd import FlatParameters, Value
from nn import _checks as checks
from nn.optim._state import parse_group_state, parse_groups
from nn.optim.flat import Array, ArrayBuffers, check_finite_array, checked_flat

__all__ = ["HYPER_CHECKS", "SCHEDULER_KEYS", "Optimizer"]

_isfinite = math.isfinite

Buffers = dict[str, list[float]]
# What a group keeps: lists after `step`, float64 arrays after `step_arrays`.
StoredBuffers = Mapping[str, "list[float] | Array"]
ParamGroup = dict[str, Any]
Check = Callable[[str, str, Any], Any]


def betas(where: str, name: str, value: Any) -> tuple[float, float]:
    """A pair (beta1, beta2) of numbers with 0 <= beta < 1 (Adam's decay rates)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        checks.fail(where, name, value, "a pair (beta1, beta2)", error=TypeError)
    return (
        checks.real(where, f"{name}[0]", value[0], low=0.0, high=1.0, high_open=True),
        checks.real(where, f"{name}[1]", value[1], low=0.0, high=1.0, high_open=True),
    )


# One check per hyper-parameter name, shared by every optimizer and scheduler.
HYPER_CHECKS: dict[str, Check] = {
    # optimizers
    "lr": checks.nonnegative,
    "momentum": checks.nonnegative,
    "dampening": checks.probability,
    "weight_decay": checks.nonnegative,
    "nesterov": checks.flag,
    "maximize": checks.flag,
    "betas": betas,
    "eps": checks.nonnegative,
    "amsgrad": checks.flag,
    "alpha": checks.probability,
    "centered": checks.flag,
    "lr_decay": checks.nonnegative,
    "initial_accumulator_value": checks.nonnegative,
    # set in a group by learning-rate schedulers (SCHEDULER_KEYS)
    "initial_lr": checks.nonnegative,
    "max_lr": checks.nonnegative,
    "min_lr": checks.nonnegative,
    "max_momentum": checks.nonnegative,
    "base_momentum": checks.nonnegative,
    # learning-rate schedulers
    "step_size": checks.positive_int,
    "gamma": checks.positive,
    "T_max": checks.positive_int,
    "eta_min": checks.nonnegative,
    "total_iters": checks.positive_int,
}


# Keys a scheduler may add to a parameter group, as torch's do (OneCycleLR keeps its
# bounds there): an optimizer keeps, saves and loads them beside its hyper-parameters.
SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")


def checked_hypers(
    where: str,
    names: Sequence[str],
    hypers: Mapping[str, Any],
    context: str,
    optional: Sequence[str] = (),
    table: Mapping[str, Check] = HYPER_CHECKS,
) -> dict[str, Any]:
    """`hypers` with exactly `names` (and any of `optional`), each through its check
    in `table`."""
    wanted = [*names, *(key for key in optional if key in hypers)]
    checks.exact_keys(where, context, hypers, names, optional, kind="hyper-parameter")
    return {key: table[key](where, key, hypers[key]) for key in wanted}


def _table(cls: type, names: Sequence[str], extra: Mapping[str, Check]) -> dict[str, Check]:
    """The checks for `names`: the shared table, then the class's own `hyper_checks`."""
    table = {**HYPER_CHECKS, **extra}
    unchecked = [name for name in names if name not in table]
    if unchecked:
        raise TypeError(
            f"{cls.__name__}: no check for the hyper-parameter(s) {unchecked}; give the "
            f"class a hyper_checks table, e.g. hyper_checks = "
            f"{{{unchecked[0]!r}: nn._checks.nonnegative}}"
        )
    return table


def _hypers_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A constructor's ``locals()`` without ``self``, ``params`` and ``__class__``."""
    return {k: v for k, v in arguments.items() if k not in ("self", "params", "__class__")}


def check_finite(values: Sequence[float], describe: Callable[[int], str], what: str) -> None:
    """Raise ValueError naming the first non-finite entry of `values`, if there is one.

    ``sum`` is one C-level pass and is nan or inf whenever an entry is; only then (or
    when finite entries overflow the sum) are the entries scanned one by one. An entry
    that is not a number at all (``p.grad = None``) makes ``sum`` raise TypeError and
    is named the same way.
    """
    try:
        if _isfinite(sum(values)):
            return
    except (TypeError, OverflowError):
        pass
    for i, x in enumerate(values):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"{what} of {describe(i)} is {checks.shown(x)}, expected a number: these "
                f"optimizers need a gradient for every parameter (torch skips a None grad; "
                f"here zero_grad() sets 0.0); call backward() first, or leave the "
                f"parameter out of the optimizer"
            )
        try:
            finite = _isfinite(x)
        except OverflowError:
            finite = False
        if not finite:
            raise ValueError(f"{what} of {describe(i)} is {checks.shown(x)}")


# The C functions under `signal`'s: `signal.signal` wraps every handler it returns in an
# enum, which costs ~20 us a call; these take 1 us, and step() makes three calls.
try:
    import _signal as _raw_signal  # type: ignore[import-not-found]  # CPython's C half
except ImportError:  # another Python: the public functions do the same, slower
    _raw_signal = signal
_getsignal: Callable[[int], Any] = _raw_signal.getsignal
_setsignal: Callable[[int, Any], Any] = _raw_signal.signal
_SIGINT = int(signal.SIGINT)
_main_thread = threading.main_thread()


def _hold_sigint(received: list[FrameType | None]) -> Any:
    """Hold back Ctrl-C (SIGINT): until `_release_sigint`, a signal is only recorded.

    Python runs a signal handler between any two bytecodes, so a KeyboardInterrupt
    could land after some parameters of a step are written and before the others.
    Here a handler that only records the signal stands in while the writes run;
    `_release_sigint` puts the previous handler back and hands it the signal, so the
    KeyboardInterrupt is raised after the step, with the model whole. Returns the
    previous handler, or None when nothing was held: only the main thread receives
    signals (and may set handlers), and a handler installed outside Python could not
    be put back.
    """
    if threading.current_thread() is not _main_thread:
        return None
    previous = _getsignal(_SIGINT)
    if previous is not None:
        _setsignal(_SIGINT, lambda signum, frame: received.append(frame))
    return previous


def _release_sigint(previous: Any, received: list[FrameType | None]) -> None:
    """Put back the handler `_hold_sigint` replaced, and give it any signal held back."""
    _setsignal(_SIGINT, previous)
    if received and callable(previous):
        for frame in received:  # each Ctrl-C, in order (a second may mean "stop now")
            previous(_SIGINT, frame)
    elif received and previous == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)


class Optimizer:
    """Base class: parameter groups, the all-or-nothing `step`, and (de)serialisation.

    ``params`` is an iterable of Values, or of dicts each with a ``"params"`` entry
    (the Values of that group) and optional per-group hyper-parameters that override
    ``defaults``, as in ``torch.optim``. ``param_groups`` is the list of group dicts;
    editing a group's ``"lr"`` (as a scheduler does) takes effect at the next step.

    ``defaults`` names the hyper-parameters (each checked by `HYPER_CHECKS`); a
    subclass passes its constructor's ``locals()``. It computes one group's update in
    ``_update`` without writing anything: the base class checks the result and
    writes it.
    """

    # Checks for hyper-parameters that `HYPER_CHECKS` does not know (a new optimizer's).
    hyper_checks: ClassVar[Mapping[str, Check]] = {}
    _nonnegative_buffers: ClassVar[frozenset[str]] = frozenset()
    # torch keeps a per-parameter 'step' in the state of every optimizer but SGD.
    _counts_steps: ClassVar[bool] = True

    def __init__(
        self, params: Iterable[Value] | Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]
    ) -> None:
        name = type(self).__name__
        if isinstance(params, Value):
            raise TypeError(
                f"{name}: params must be an iterable of Values (or of dicts of parameter "
                f"groups), got a single Value; pass [value]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{name}: params must have a fixed order (its position numbers the state), "
                f"got a {type(params).__name__}; pass a list"
            )
        if isinstance(params, Mapping) or not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: params must be an iterable of Values or of dicts, "
                f"got {checks.shown(params)}"
            )
        hypers = _hypers_of(defaults)
        self._hyper_names: tuple[str, ...] = tuple(hypers)
        self._hyper_table = _table(type(self), self._hyper_names, self.hyper_checks)
        self.defaults: dict[str, Any] = self._checked_hypers(hypers, "defaults")
        self.param_groups: list[ParamGroup] = []
        self._buffers: list[StoredBuffers] = []
        self._steps: list[int] = []
        self._flat_key: tuple[tuple[Any, ...], slice] | None = None
        self._hyper_cache: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        items = list(params)
        if not items:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters()")
        if all(isinstance(item, Mapping) for item in items):
            for item in items:
                self.add_param_group(item)  # type: ignore[arg-type]
        elif any(isinstance(item, Mapping) for item in items):
            raise TypeError(f"{name}: params mixes Values and dicts; pass one kind or the other")
        else:
            self.add_param_group({"params": items})

    # -------------------------------------------------------------- groups

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters, with hyper-parameters defaulting to ``defaults``."""
        name = type(self).__name__
        if not isinstance(param_group, Mapping):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {checks.shown(param_group)}"
            )
        if "params" not in param_group:
            raise ValueError(
                f"{name}: a parameter group needs a 'params' entry, got {param_group!r}"
            )
        params = param_group["params"]
        if isinstance(params, Value):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be a list (ordered), got a set")
        elif not isinstance(params, Iterable):
            raise TypeError(
                f"{name}: a group's params must be a list of Values, got {checks.shown(params)}"
            )
        params = list(params)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{name}: parameter {i} of group {len(self.param_groups)} is "
                    f"{checks.shown(p)}, expected a Value"
                )
            if id(p) in seen:
                raise ValueError(
                    f"{name}: parameter {_parameter_name(p, len(self.param_groups), i)} appears "
                    f"more than once; every parameter may be given once"
                )
            seen.add(id(p))
        hypers = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group: ParamGroup = {"params": params, **self._checked_hypers(hypers, "param group")}
        self.param_groups.append(group)
        self._buffers.append(self._initial_buffers(group))
        self._steps.append(0)

    def _checked_hypers(self, hypers: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Check a group's hyper-parameters (names and values); return them normalised."""
        out = checked_hypers(
            type(self).__name__,
            self._hyper_names,
            hypers,
            where,
            optional=SCHEDULER_KEYS,
            table=self._hyper_table,
        )
        self._check_combination(out)
        return out

    def _check_combination(self, hypers: dict[str, Any]) -> None:
        """Checks across hyper-parameters (e.g. nesterov needs momentum)."""

    def _initial_buffers(self, group: ParamGroup) -> Buffers:
        """Buffers a new group starts with; most optimizers create them at the first step."""
        return {}

    def _needed_buffers(self, hypers: Mapping[str, Any]) -> tuple[str, ...]:
        """The buffers a group with these hyper-parameters keeps once it has stepped."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _needed_buffers")

    # -------------------------------------------------------------- stepping

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0.0."""
        flat = self._flat()
        if flat is not None:
            flat[1].fill(0.0)
            return
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def _flat(self) -> tuple[Array, Array] | None:
        """The arrays of the open `autograd.FlatParameters` that holds this optimizer's
        parameters as one run, in group order, or None. `step` and `zero_grad` then work
        on them (the same rule over arrays, bit for bit): a few numpy calls instead of a
        loop over Values."""
        groups = self.param_groups
        first = groups[0]["params"]
        store = FlatParameters.holding(first[0]) if first else None
        if store is None:
            return None  # the eager case: one dict lookup
        key = (store, *(id(g["params"]) for g in groups), *(len(g["params"]) for g in groups))
        if self._flat_key is None or self._flat_key[0] != key:
            found = FlatParameters.of([p for group in groups for p in group["params"]])
            if found is None or found[0] is not store:
                return None
            self._flat_key = (key, found[1])
        if not store.open:
            return None
        run = self._flat_key[1]
        return store.data[run], store.grad[run]

    def step(self) -> None:
        """Update every parameter from its gradient, all or nothing.

        Every gradient is checked (nan / inf raise ``ValueError``, a missing one
        ``TypeError``, naming the parameter), every new value and buffer is computed
        and checked, and only then is anything written, with Ctrl-C held back until
        the last write: a failed or interrupted step leaves parameters, state and step
        counts either as they were or fully updated.
        """
        flat = self._flat()
        if flat is not None:
            self._step_arrays(*flat, "step")
            return
        plans = [self._plan(gi, group) for gi, group in enumerate(self.param_groups)]
        received: list[FrameType | None] = []
        previous = _hold_sigint(received)
        try:
            for gi, (params, new_datas, new_buffers) in enumerate(plans):
                for p, x in zip(params, new_datas):
                    p.data = x
                self._buffers[gi] = new_buffers
                self._steps[gi] += 1
        finally:
            if previous is not None:
                _release_sigint(previous, received)

    def _plan(self, gi: int, group: ParamGroup) -> tuple[list[Value], list[float], Buffers]:
        """One group's parameters, new values and new buffers, all checked; writes nothing."""
        name = type(self).__name__
        hypers = self._group_hypers(gi, group)  # the update rule's arguments
        params: list[Value] = group["params"]
        where = _parameter_namer(params, gi)
        grads = [p.grad for p in params]
        check_finite(grads, where, f"{name}.step: nothing was updated: the gradient")
        datas = [p.data for p in params]
        try:
            new_datas, new_buffers = self._update(
                hypers, datas, grads, _as_lists(self._buffers[gi]), self._steps[gi] + 1
            )
        except (ZeroDivisionError, OverflowError) as error:
            raise ValueError(
                f"{name}.step: nothing was updated: the update of param_groups[{gi}] "
                f"failed ({error}); a zero eps with a zero gradient divides by zero"
            ) from None
        check_finite(new_datas, where, f"{name}.step: nothing was updated: the new value")
        for key, values in new_buffers.items():
            check_finite(values, where, f"{name}.step: nothing was updated: the {key!r} buffer")
        return params, new_datas, new_buffers

    def _group_hypers(self, gi: int, group: ParamGroup) -> dict[str, Any]:
        """A group's hyper-parameters, checked: they may have been edited in place since
        the last step (a scheduler sets ``lr``). The check is kept for as long as the
        group holds the same values (of the same types), so a step that finds nothing
        edited does not check again."""
        given = tuple((k, type(v), v) for k, v in group.items() if k != "params")
        cached = self._hyper_cache.get(gi)
        if cached is not None and cached[0] == given:
            return cached[1]
        checked = self._checked_hypers(dict((k, v) for k, _, v in given), f"param_groups[{gi}]")
        hypers = {key: checked[key] for key in self._hyper_names}
        try:
            hash(given)  # a list or dict could be edited in place: never kept
        except TypeError:
            return hypers
        self._hyper_cache[gi] = (given, hypers)
        return hypers

    def _update(
        self,
        hypers: Mapping[str, Any],
        datas: list[float],
        grads: list[float],
        buffers: Buffers,
        t: int,
    ) -> tuple[list[float], Buffers]:
        """One group's new parameter values and buffers at step `t` (1-based); writes nothing."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def step_arrays(self, params: Array, grads: Array) -> None:
        """`step` over flat float64 buffers instead of the Values: same rule, same bits.

        For callers that keep the parameters in one array (compiled training):
        ``params`` holds the current values of every parameter of this optimizer and
        ``grads`` their gradients, both 1-D float64 numpy arrays numbered as
        ``state_dict`` numbers the parameters (group 0's in order, then group 1's, ...).
        ``params`` is updated in place; the Values are neither read nor written (the
        caller copies ``params`` back into them when a user may look). Everything else
        is `step`'s: hyper-parameters edited by a scheduler apply, the state and step
        counts advance (``state_dict`` reads the same), the result is bit for bit what
        `step` writes, and it is all or nothing: a non-finite gradient (or update) raises
        ValueError naming the parameter before anything is written.
        """
        self._step_arrays(params, grads, "step_arrays")

    def _step_arrays(self, params: Array, grads: Array, who: str) -> None:
        name = f"{type(self).__name__}.{who}"
        size = sum(len(group["params"]) for group in self.param_groups)
        params = checked_flat(name, "params", params, size, writable=True)
        grads = checked_flat(name, "grads", grads, size, writable=False)
        plans = []
        start = 0
        with np.errstate(all="ignore"):  # a 0/0 or an overflow is caught by the checks
            for gi, group in enumerate(self.param_groups):
                stop = start + len(group["params"])
                planned = self._plan_arrays(gi, group, params, grads, start, name)
                plans.append((start, stop, *planned))
                start = stop
        received: list[FrameType | None] = []
        previous = _hold_sigint(received)
        try:
            for gi, (start, stop, new_datas, new_buffers) in enumerate(plans):
                params[start:stop] = new_datas
                self._buffers[gi] = new_buffers
                self._steps[gi] += 1
        finally:
            if previous is not None:
                _release_sigint(previous, received)

    def _plan_arrays(
        self, gi: int, group: ParamGroup, params: Array, grads: Array, start: int, name: str
    ) -> tuple[Array, ArrayBuffers]:
        """`_plan` over the group's slice of the flat buffers; writes nothing."""
        hypers = self._group_hypers(gi, group)
        where = _parameter_namer(group["params"], gi)
        stop = start + len(group["params"])
        fail = f"{name}: nothing was updated:"
        check_finite_array(grads[start:stop], where, f"{fail} the gradient")
        buffers = {k: np.asarray(v, dtype=np.float64) for k, v in self._buffers[gi].items()}
        new_datas, new_buffers = self._update_arrays(
            hypers, params[start:stop], grads[start:stop], buffers, self._steps[gi] + 1
        )
        check_finite_array(new_datas, where, f"{fail} the new value")
        for key, values in new_buffers.items():
            check_finite_array(values, where, f"{fail} the {key!r} buffer")
        return new_datas, new_buffers

    def _update_arrays(
        self, hypers: Mapping[str, Any], datas: Array, grads: Array, buffers: ArrayBuffers, t: int
    ) -> tuple[Array, ArrayBuffers]:
        """`_update` over arrays (the rule's ``*_arrays`` twin); writes nothing."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update_arrays")

    # -------------------------------------------------------------- state

    @property
    def state(self) -> dict[Value, dict[str, float]]:
        """Per-parameter state, keyed by the parameter (a read-only snapshot, as torch's)."""
        out: dict[Value, dict[str, float]] = {}
        for gi, group in enumerate(self.param_groups):
            for j, p in enumerate(group["params"]):
                entry = self._entry(gi, j)
                if entry:
                    out[p] = entry
        return out

    def _entry(self, gi: int, j: int) -> dict[str, float]:
        buffers = self._buffers[gi]
        entry: dict[str, float] = {}
        if self._counts_steps and (buffers or self._steps[gi]):
            entry["step"] = float(self._steps[gi])
        for key, values in buffers.items():
            entry[key] = float(values[j])
        return entry

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain JSON-friendly data, laid out as torch's.

        ``{"state": {index: {"step": ..., buffer: ...}}, "param_groups": [{hyper-
        parameters..., "params": [indices]}]}``; parameters are numbered 0, 1, ... in
        group order. ``json.dumps`` turns the integer keys into strings;
        ``load_state_dict`` accepts either (but not both for one parameter).
        """
        state: dict[int, dict[str, float]] = {}
        groups: list[dict[str, Any]] = []
        index = 0
        for gi, group in enumerate(self.param_groups):
            indices = list(range(index, index + len(group["params"])))
            for j, i in enumerate(indices):
                entry = self._entry(gi, j)
                if entry:
                    state[i] = entry
            saved = {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in group.items()
                if k != "params"
            }
            saved["params"] = indices
            groups.append(saved)
            index += len(indices)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict`, after checking all of it; on an error nothing changes.

        Groups are matched by position and parameters by position within their group
        (as torch does); hyper-parameters are checked as the constructor checks them.
        Every problem is a ``ValueError`` (the data is what is wrong, whatever its
        type), including numbers too large for a float and data nested too deeply.
        """
        fail = f"{type(self).__name__}.load_state_dict: nothing was loaded:"
        try:
            sizes = [len(group["params"]) for group in self.param_groups]
            new_hypers, entries = parse_groups(state_dict, sizes, self._checked_hypers)
            parsed = [
                self._parse_group_state(gi, n, entries[gi], new_hypers[gi])
                for gi, n in enumerate(sizes)
            ]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{fail} {error}") from None
        except RecursionError:
            raise ValueError(f"{fail} the state dict is nested too deeply") from None
        for group, hypers in zip(self.param_groups, new_hypers):
            params = group["params"]
            group.clear()
            group["params"] = params
            group.update(hypers)
        self._buffers = [buffers for buffers, _ in parsed]
        self._steps = [step for _, step in parsed]

    def _parse_group_state(
        self, gi: int, n: int, entries: dict[int, Mapping[str, Any]], hypers: dict[str, Any]
    ) -> tuple[Buffers, int]:
        """Check one group's saved per-parameter entries; return its buffers and step (a
        subclass may fill in what an empty state leaves out, as Adagrad's sums)."""
        needed = set(self._needed_buffers(hypers))
        return parse_group_state(
            gi, n, entries, needed, self._counts_steps, self._nonnegative_buffers
        )

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for gi, group in enumerate(self.param_groups):
            lines.append(f"  group {gi}: {len(group['params'])} parameters")
            for key, value in group.items():
                if key != "params":
                    lines.append(f"    {key}: {value}")
        lines.append(")")
        return "\n".join(lines)


def _parameter_name(p: Value, gi: int, j: int) -> str:
    where = f"param_groups[{gi}]['params'][{j}]"
    return f"{p.label!r} ({where})" if p.label else where


def _parameter_namer(params: list[Value], gi: int) -> Callable[[int], str]:
    return lambda j: "parameter " + _parameter_name(params[j], gi, j)


def _as_lists(buffers: StoredBuffers) -> Buffers:
    """A group's buffers as lists of floats (`step_arrays` leaves arrays)."""
    return {k: v if isinstance(v, list) else v.tolist() for k, v in buffers.items()}


def maximised(grads: list[float], maximize: bool) -> list[float]:
    """Gradient ascent is descent on -grad; torch negates before weight decay."""
    return [-g for g in grads] if maximize else grads


def coupled_weight_decay(
    grads: list[float], params: list[float], weight_decay: float
) -> list[float]:
    """Weight decay as an L2 penalty added to the gradient: g <- g + lambda theta."""
    if not weight_decay:
        return grads
    return [g + weight_decay * x for g, x in zip(grads, params)]
