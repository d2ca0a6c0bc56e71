"""Optimizers, learning-rate schedulers and gradient clipping for `Value` parameters.

An optimizer reads ``p.grad`` of every parameter and writes a new ``p.data``; the
update rules, argument names and defaults are those of ``torch.optim``'s classes of
the same names, each written out in its class docstring with a link to the page it
follows.

Two promises on top of PyTorch's:

- ``step()`` is all or nothing. It checks every gradient, computes every new value
  and every new buffer, and checks those, before it writes anything: a nan or inf
  gradient (or an update that would overflow) raises ``ValueError`` naming the
  parameter, and leaves parameters, optimizer state and step counts as they were.
- ``state_dict()`` is plain JSON (floats, ints, bools, lists; parameters by index, as
  torch numbers them), and ``load_state_dict()`` checks every key, count and value
  before it changes anything.

The update loops run over plain Python floats (one list per buffer per parameter
group): for scalar parameters that is much faster than per-parameter dicts or numpy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from autograd import Value

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "clip_grad_norm",
]

_isfinite = math.isfinite
_sqrt = math.sqrt

Buffers = dict[str, list[float]]
ParamGroup = dict[str, Any]
_Check = Callable[[str, str, Any], Any]

# ---------------------------------------------------------------- argument checks


def _real(owner: str, name: str, value: Any) -> float:
    """`value` as a finite float, or a TypeError/ValueError naming `owner` and `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    x = float(value)
    if not _isfinite(x):
        raise ValueError(f"{owner}: invalid {name}={x!r}; expected a finite number")
    return x


def _nonnegative(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if x < 0.0:
        raise ValueError(f"{owner}: invalid {name}={x!r}; expected {name} >= 0")
    return x


def _unit_interval(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{owner}: invalid {name}={x!r}; expected 0 <= {name} <= 1")
    return x


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"{owner}: {name} must be True or False, got {type(value).__name__} {value!r}"
        )
    return value


def _betas(owner: str, name: str, value: Any) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{owner}: {name} must be a pair (beta1, beta2), got {value!r}")
    pair = (_real(owner, f"{name}[0]", value[0]), _real(owner, f"{name}[1]", value[1]))
    for i, beta in enumerate(pair):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"{owner}: invalid {name}[{i}]={beta!r}; expected 0 <= beta < 1")
    return pair


def _check_finite(values: Sequence[float], describe: Callable[[int], str], what: str) -> None:
    """Raise ValueError naming the first non-finite entry of `values`, if there is one.

    ``sum`` is one C-level pass and is nan or inf whenever an entry is; only then (or
    when finite entries overflow the sum) are the entries scanned one by one.
    """
    if _isfinite(sum(values)):
        return
    for i, x in enumerate(values):
        if not _isfinite(x):
            raise ValueError(f"{what} of {describe(i)} is {x!r}")


# ---------------------------------------------------------------- the base class


class Optimizer:
    """Base class: parameter groups, the all-or-nothing `step`, and (de)serialisation.

    ``params`` is an iterable of Values, or of dicts each with a ``"params"`` entry
    (the Values of that group) and optional per-group hyper-parameters that override
    ``defaults``, as in ``torch.optim``. ``param_groups`` is the list of group dicts;
    editing a group's ``"lr"`` (as a scheduler does) takes effect at the next step.

    A subclass declares its hyper-parameter checks in ``_hyper``, its per-parameter
    buffers in ``_buffer_names``, and computes one group's update in ``_update``
    without writing anything: the base class checks the result and writes it.
    """

    _hyper: ClassVar[dict[str, _Check]] = {}
    _buffer_names: ClassVar[tuple[str, ...]] = ()
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
                f"got {type(params).__name__} {params!r}"
            )
        self.defaults: dict[str, Any] = self._checked_hypers(dict(defaults), "defaults")
        self.param_groups: list[ParamGroup] = []
        self._buffers: list[Buffers] = []
        self._steps: list[int] = []
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
            raise TypeError(f"{name}: a parameter group must be a dict, got {param_group!r}")
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
            raise TypeError(f"{name}: a group's params must be a list of Values, got {params!r}")
        params = list(params)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{name}: parameter {i} of group {len(self.param_groups)} is "
                    f"{type(p).__name__} {p!r}, expected a Value"
                )
            if id(p) in seen:
                raise ValueError(
                    f"{name}: parameter {_describe(p, len(self.param_groups), i)} appears "
                    f"more than once; every parameter may be given once"
                )
            seen.add(id(p))
        hypers = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        group: ParamGroup = {"params": params, **self._checked_hypers(hypers, "param group")}
        self.param_groups.append(group)
        self._buffers.append(self._initial_buffers(group))
        self._steps.append(0)

    def _checked_hypers(self, hypers: dict[str, Any], where: str) -> dict[str, Any]:
        """Check a group's hyper-parameters (names and values); return them normalised."""
        name = type(self).__name__
        allowed = set(self._hyper) | {"initial_lr"}
        unknown = sorted(set(hypers) - allowed)
        if unknown:
            raise ValueError(
                f"{name}: unknown hyper-parameter(s) {unknown} in {where}; "
                f"valid names: {sorted(self._hyper)}"
            )
        missing = sorted(set(self._hyper) - set(hypers))
        if missing:
            raise ValueError(f"{name}: {where} lacks hyper-parameter(s) {missing}")
        out: dict[str, Any] = {
            key: check(name, key, hypers[key]) for key, check in self._hyper.items()
        }
        if "initial_lr" in hypers:  # set by learning-rate schedulers
            out["initial_lr"] = _nonnegative(name, "initial_lr", hypers["initial_lr"])
        self._check_combination(out)
        return out

    def _check_combination(self, hypers: dict[str, Any]) -> None:
        """Checks across hyper-parameters (e.g. nesterov needs momentum)."""

    def _initial_buffers(self, group: ParamGroup) -> Buffers:
        """Buffers a new group starts with; most optimizers create them at the first step."""
        return {}

    def _needed_buffers(self, group: ParamGroup) -> tuple[str, ...]:
        """The buffers a group with these hyper-parameters keeps once it has stepped."""
        return self._buffer_names

    # -------------------------------------------------------------- stepping

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0.0."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient, all or nothing.

        Every gradient is checked (nan / inf raise ``ValueError`` naming the
        parameter), every new value and buffer is computed and checked, and only then
        is anything written: a failed step leaves parameters, state and step counts
        unchanged.
        """
        name = type(self).__name__
        plans: list[tuple[list[Value], list[float], Buffers]] = []
        for gi, group in enumerate(self.param_groups):
            # Hyper-parameters may have been edited in place since the last step.
            self._checked_hypers(
                {k: v for k, v in group.items() if k != "params"}, f"param_groups[{gi}]"
            )
            params: list[Value] = group["params"]
            where = _describer(params, gi)
            grads = [p.grad for p in params]
            _check_finite(grads, where, f"{name}.step: nothing was updated: the gradient")
            datas = [p.data for p in params]
            try:
                new_datas, new_buffers = self._update(
                    group, datas, grads, self._buffers[gi], self._steps[gi] + 1
                )
            except (ZeroDivisionError, OverflowError) as error:
                raise ValueError(
                    f"{name}.step: nothing was updated: the update of param_groups[{gi}] "
                    f"failed ({error}); a zero eps with a zero gradient divides by zero"
                ) from None
            _check_finite(new_datas, where, f"{name}.step: nothing was updated: the new value")
            for key, values in new_buffers.items():
                _check_finite(
                    values, where, f"{name}.step: nothing was updated: the {key!r} buffer"
                )
            plans.append((params, new_datas, new_buffers))
        for gi, (params, new_datas, new_buffers) in enumerate(plans):
            for p, x in zip(params, new_datas):
                p.data = x
            self._buffers[gi] = new_buffers
            self._steps[gi] += 1

    def _update(
        self, group: ParamGroup, datas: list[float], grads: list[float], buffers: Buffers, t: int
    ) -> tuple[list[float], Buffers]:
        """One group's new parameter values and buffers at step `t` (1-based); writes nothing."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

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
            entry[key] = values[j]
        return entry

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain JSON-friendly data, laid out as torch's.

        ``{"state": {index: {"step": ..., buffer: ...}}, "param_groups": [{hyper-
        parameters..., "params": [indices]}]}``; parameters are numbered 0, 1, ... in
        group order. ``json.dumps`` turns the integer keys into strings;
        ``load_state_dict`` accepts either.
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
        """
        name = type(self).__name__
        fail = f"{name}.load_state_dict: nothing was loaded:"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            keys = (
                sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            )
            raise ValueError(
                f"{fail} expected a dict with keys 'state' and 'param_groups', got {keys}"
            )
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, Sequence) or len(saved_groups) != len(self.param_groups):
            count = len(saved_groups) if isinstance(saved_groups, Sequence) else saved_groups
            raise ValueError(
                f"{fail} it has {count} parameter groups, this optimizer {len(self.param_groups)}"
            )
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{fail} 'state' must be a dict, got {type(saved_state).__name__}")
        new_hypers: list[dict[str, Any]] = []
        position: dict[int, tuple[int, int]] = {}
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"{fail} param_groups[{gi}] must be a dict with a 'params' list")
            ids = saved["params"]
            if not isinstance(ids, Sequence) or len(ids) != len(group["params"]):
                count = len(ids) if isinstance(ids, Sequence) else ids
                raise ValueError(
                    f"{fail} param_groups[{gi}] has {count} parameters, this optimizer's "
                    f"group {gi} has {len(group['params'])}"
                )
            for j, i in enumerate(ids):
                if isinstance(i, bool) or not isinstance(i, int) or i in position:
                    raise ValueError(
                        f"{fail} param_groups[{gi}]['params'][{j}] = {i!r} is not a new int index"
                    )
                position[i] = (gi, j)
            hypers = {k: v for k, v in saved.items() if k != "params"}
            try:
                new_hypers.append(self._checked_hypers(hypers, f"param_groups[{gi}]"))
            except (TypeError, ValueError) as error:
                raise ValueError(f"{fail} {error}") from None
        entries: list[dict[int, Mapping[str, Any]]] = [{} for _ in self.param_groups]
        for key, entry in saved_state.items():
            i = int(key) if isinstance(key, str) and key.isdigit() else key
            if i not in position:
                raise ValueError(
                    f"{fail} state has an entry for parameter {key!r}, which no group lists"
                )
            if not isinstance(entry, Mapping):
                raise ValueError(f"{fail} state[{key!r}] must be a dict, got {entry!r}")
            gi, j = position[i]
            entries[gi][j] = entry
        new_buffers: list[Buffers] = []
        new_steps: list[int] = []
        for gi, group in enumerate(self.param_groups):
            buffers, step = self._parse_group_state(
                gi, len(group["params"]), entries[gi], new_hypers[gi], fail
            )
            new_buffers.append(buffers)
            new_steps.append(step)
        for group, hypers in zip(self.param_groups, new_hypers):
            params = group["params"]
            group.clear()
            group["params"] = params
            group.update(hypers)
        self._buffers = new_buffers
        self._steps = new_steps

    def _parse_group_state(
        self,
        gi: int,
        n: int,
        entries: dict[int, Mapping[str, Any]],
        hypers: dict[str, Any],
        fail: str,
    ) -> tuple[Buffers, int]:
        """Check one group's saved per-parameter entries; return its buffers and step."""
        if not entries:
            return {}, 0
        if len(entries) != n:
            raise ValueError(
                f"{fail} group {gi} has state for {len(entries)} of its {n} parameters; "
                f"all of a group's parameters step together, so it needs all or none"
            )
        needed = set(self._needed_buffers({**hypers, "params": []}))
        expected = needed | ({"step"} if self._counts_steps else set())
        step = 0
        buffers: Buffers = {key: [0.0] * n for key in sorted(needed)}
        steps_seen: set[float] = set()
        for j in range(n):
            entry = entries[j]
            if set(entry) != expected:
                raise ValueError(
                    f"{fail} the state of parameter {j} of group {gi} has keys {sorted(entry)}, "
                    f"expected {sorted(expected)} for these hyper-parameters"
                )
            for key in needed:
                value = entry[key]
                what = f"state {key!r} of parameter {j} of group {gi}"
                if (
                    isinstance(value, bool)
                    or not isinstance(value, numbers.Real)
                    or not _isfinite(value)
                ):
                    raise ValueError(f"{fail} {what} is {value!r}, not a finite number")
                if key in self._nonnegative_buffers and value < 0:
                    raise ValueError(f"{fail} {what} is {value!r}, expected >= 0")
                buffers[key][j] = float(value)
            if self._counts_steps:
                s = entry["step"]
                if (
                    isinstance(s, bool)
                    or not isinstance(s, numbers.Real)
                    or not _isfinite(s)
                    or s < 0
                    or not float(s).is_integer()
                ):
                    raise ValueError(
                        f"{fail} state 'step' of parameter {j} of group {gi} is {s!r}, "
                        f"expected a whole number >= 0"
                    )
                steps_seen.add(float(s))
        if len(steps_seen) > 1:
            raise ValueError(
                f"{fail} the parameters of group {gi} have different step counts "
                f"{sorted(steps_seen)}"
            )
        if steps_seen:
            step = int(steps_seen.pop())
        return buffers, step

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for gi, group in enumerate(self.param_groups):
            lines.append(f"  group {gi}: {len(group['params'])} parameters")
            for key, value in group.items():
                if key != "params":
                    lines.append(f"    {key}: {value}")
        lines.append(")")
        return "\n".join(lines)


def _describe(p: Value, gi: int, j: int) -> str:
    where = f"param_groups[{gi}]['params'][{j}]"
    return f"{p.label!r} ({where})" if p.label else where


def _describer(params: list[Value], gi: int) -> Callable[[int], str]:
    return lambda j: "parameter " + _describe(params[j], gi, j)


def _maximised(grads: list[float], group: ParamGroup) -> list[float]:
    """Gradient ascent is descent on -grad; torch negates before weight decay."""
    return [-g for g in grads] if group["maximize"] else grads


def _l2(grads: list[float], datas: list[float], weight_decay: float) -> list[float]:
    """Coupled weight decay (an L2 penalty): g <- g + lambda theta."""
    if not weight_decay:
        return grads
    return [g + weight_decay * x for g, x in zip(grads, datas)]


# ---------------------------------------------------------------- SGD


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum, as ``torch.optim.SGD``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.SGD.html. With
    learning rate gamma, momentum mu, dampening tau, weight decay lambda, at step t::

        g_t = -grad if maximize else grad      (torch negates first, then decays)
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        if mu != 0:
            b_t = g_t                          on the first step (no dampening)
            b_t = mu * b_{t-1} + (1 - tau) g_t  afterwards
            g_t = g_t + mu * b_t  if nesterov else  b_t
        theta_t = theta_{t-1} - gamma * g_t

    Note: the doc page's pseudo-code applies ``maximize`` at the end
    (theta + gamma g); torch's code (``_single_tensor_sgd``) negates the gradient
    first, which differs when weight_decay != 0. This follows the code.

    ``lr`` defaults to 1e-3 as in torch >= 2.2. Checks: lr, momentum, weight_decay
    >= 0 (as torch); dampening in [0, 1] (torch does not check it); nesterov needs
    momentum > 0 and dampening == 0 (as torch).
    """

    _hyper: ClassVar[dict[str, _Check]] = {
        "lr": _nonnegative,
        "momentum": _nonnegative,
        "dampening": _unit_interval,
        "weight_decay": _nonnegative,
        "nesterov": _flag,
        "maximize": _flag,
    }
    _buffer_names = ("momentum_buffer",)
    _counts_steps = False

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_combination(self, hypers: dict[str, Any]) -> None:
        if hypers["nesterov"] and (hypers["momentum"] <= 0 or hypers["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={hypers['momentum']!r}, dampening={hypers['dampening']!r}"
            )

    def _needed_buffers(self, group: ParamGroup) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] else ()

    def _update(
        self, group: ParamGroup, datas: list[float], grads: list[float], buffers: Buffers, t: int
    ) -> tuple[list[float], Buffers]:
        lr, mu = group["lr"], group["momentum"]
        g = _l2(_maximised(grads, group), datas, group["weight_decay"])
        new_buffers: Buffers = {}
        if mu:
            previous = buffers.get("momentum_buffer")
            if previous is None:
                buf = list(g)  # torch's first step: the buffer is the gradient, undamped
            else:
                keep = 1.0 - group["dampening"]
                buf = [mu * b + keep * gi for b, gi in zip(previous, g)]
            new_buffers["momentum_buffer"] = buf
            g = [gi + mu * b for gi, b in zip(g, buf)] if group["nesterov"] else buf
        return [x - lr * gi for x, gi in zip(datas, g)], new_buffers


# ---------------------------------------------------------------- Adam / AdamW


class Adam(Optimizer):
    r"""Adam (and AMSGrad), as ``torch.optim.Adam``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.Adam.html. With
    learning rate gamma, betas (beta1, beta2), weight decay lambda, at step t::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}      (coupled, an L2 penalty)
        m_t = beta1 m_{t-1} + (1 - beta1) g_t                   (m_0 = 0)
        v_t = beta2 v_{t-1} + (1 - beta2) g_t^2                 (v_0 = 0)
        if amsgrad:  v_t^max = max(v_{t-1}^max, v_t);  v = v_t^max  else  v = v_t
        denom   = sqrt(v) / sqrt(1 - beta2^t) + eps
        theta_t = theta_{t-1} - gamma / (1 - beta1^t) * m_t / denom

    AMSGrad keeps the running maximum of the raw second moment and bias-corrects
    it with beta2^t, as torch's current code does. Checks (as torch): lr, eps,
    weight_decay >= 0; 0 <= beta < 1.
    """

    _hyper: ClassVar[dict[str, _Check]] = {
        "lr": _nonnegative,
        "betas": _betas,
        "eps": _nonnegative,
        "weight_decay": _nonnegative,
        "amsgrad": _flag,
        "maximize": _flag,
    }
    _buffer_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _nonnegative_buffers = frozenset({"exp_avg_sq", "max_exp_avg_sq"})
    _decoupled: ClassVar[bool] = False

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _needed_buffers(self, group: ParamGroup) -> tuple[str, ...]:
        if group["amsgrad"]:
            return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        return ("exp_avg", "exp_avg_sq")

    def _update(
        self, group: ParamGroup, datas: list[float], grads: list[float], buffers: Buffers, t: int
    ) -> tuple[list[float], Buffers]:
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        n = len(datas)
        g = _maximised(grads, group)
        if self._decoupled:
            if wd:  # AdamW: shrink the parameter itself, outside the moments
                shrink = 1.0 - lr * wd
                datas = [x * shrink for x in datas]
        else:
            g = _l2(g, datas, wd)
        zeros = [0.0] * n
        c1, c2 = 1.0 - beta1, 1.0 - beta2
        m = [beta1 * mi + c1 * gi for mi, gi in zip(buffers.get("exp_avg", zeros), g)]
        v = [beta2 * vi + c2 * gi * gi for vi, gi in zip(buffers.get("exp_avg_sq", zeros), g)]
        new_buffers: Buffers = {"exp_avg": m, "exp_avg_sq": v}
        if group["amsgrad"]:
            v = [max(a, b) for a, b in zip(buffers.get("max_exp_avg_sq", zeros), v)]
            new_buffers["max_exp_avg_sq"] = v
        step_size = lr / (1.0 - beta1**t)
        root_bc2 = _sqrt(1.0 - beta2**t)
        new = [x - step_size * mi / (_sqrt(vi) / root_bc2 + eps) for x, mi, vi in zip(datas, m, v)]
        return new, new_buffers


class AdamW(Adam):
    r"""Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html. The
    same as `Adam` except for the weight decay, which shrinks the parameter directly
    instead of entering the gradient (so it is not rescaled by the moments)::

        theta_{t-1} <- theta_{t-1} (1 - gamma lambda)
        ... then Adam's update with g_t = grad (or -grad if maximize), no L2 term.

    ``weight_decay`` defaults to 1e-2, as torch.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


# ---------------------------------------------------------------- RMSprop


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum, as ``torch.optim.RMSprop``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.RMSprop.html. With
    learning rate gamma, smoothing alpha, weight decay lambda, momentum mu::

        g_t = -grad if maximize else grad
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        v_t = alpha v_{t-1} + (1 - alpha) g_t^2                  (v_0 = 0)
        if centered:
            a_t = alpha a_{t-1} + (1 - alpha) g_t                 (a_0 = 0)
            s_t = sqrt(v_t - a_t^2) + eps
        else:
            s_t = sqrt(v_t) + eps
        if mu > 0:
            b_t = mu b_{t-1} + g_t / s_t;   theta_t = theta_{t-1} - gamma b_t    (b_0 = 0)
        else:
            theta_t = theta_{t-1} - gamma g_t / s_t

    v_t - a_t^2 is a weighted variance, >= 0 in exact arithmetic; rounding can make
    it a hair negative when the gradients are constant, where torch's sqrt gives nan.
    Here it is clamped at 0, the only departure from torch. Checks: lr, eps,
    weight_decay, momentum >= 0 (as torch); alpha in [0, 1] (torch only checks >= 0,
    but alpha > 1 gives negative weights to squared gradients).
    """

    _hyper: ClassVar[dict[str, _Check]] = {
        "lr": _nonnegative,
        "alpha": _unit_interval,
        "eps": _nonnegative,
        "weight_decay": _nonnegative,
        "momentum": _nonnegative,
        "centered": _flag,
        "maximize": _flag,
    }
    _buffer_names = ("square_avg", "momentum_buffer", "grad_avg")
    _nonnegative_buffers = frozenset({"square_avg"})

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _needed_buffers(self, group: ParamGroup) -> tuple[str, ...]:
        names = ["square_avg"]
        if group["momentum"] > 0:
            names.append("momentum_buffer")
        if group["centered"]:
            names.append("grad_avg")
        return tuple(names)

    def _update(
        self, group: ParamGroup, datas: list[float], grads: list[float], buffers: Buffers, t: int
    ) -> tuple[list[float], Buffers]:
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        zeros = [0.0] * len(datas)
        g = _l2(_maximised(grads, group), datas, group["weight_decay"])
        c = 1.0 - alpha
        v = [alpha * vi + c * gi * gi for vi, gi in zip(buffers.get("square_avg", zeros), g)]
        new_buffers: Buffers = {"square_avg": v}
        if group["centered"]:
            a = [alpha * ai + c * gi for ai, gi in zip(buffers.get("grad_avg", zeros), g)]
            new_buffers["grad_avg"] = a
            s = [_sqrt(max(vi - ai * ai, 0.0)) + eps for vi, ai in zip(v, a)]
        else:
            s = [_sqrt(vi) + eps for vi in v]
        if mu > 0:
            buf = [
                mu * b + gi / si for b, gi, si in zip(buffers.get("momentum_buffer", zeros), g, s)
            ]
            new_buffers["momentum_buffer"] = buf
            return [x - lr * b for x, b in zip(datas, buf)], new_buffers
        return [x - lr * gi / si for x, gi, si in zip(datas, g, s)], new_buffers


# ---------------------------------------------------------------- Adagrad


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    Follows https://pytorch.org/docs/stable/generated/torch.optim.Adagrad.html. With
    learning rate gamma, lr decay eta, weight decay lambda, initial accumulator tau::

        g_t = -grad if maximize else grad
        gamma_t = gamma / (1 + (t - 1) eta)
        if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
        s_t = s_{t-1} + g_t^2                                     (s_0 = tau)
        theta_t = theta_{t-1} - gamma_t g_t / (sqrt(s_t) + eps)

    The doc page's pseudo-code writes s_0 = 0, but torch's code starts the sum at
    ``initial_accumulator_value``, and (unlike the other optimizers) creates this
    state when the optimizer is built, with step 0; both followed here. Checks (as
    torch): lr, lr_decay, weight_decay, initial_accumulator_value, eps >= 0.
    """

    _hyper: ClassVar[dict[str, _Check]] = {
        "lr": _nonnegative,
        "lr_decay": _nonnegative,
        "weight_decay": _nonnegative,
        "initial_accumulator_value": _nonnegative,
        "eps": _nonnegative,
        "maximize": _flag,
    }
    _buffer_names = ("sum",)
    _nonnegative_buffers = frozenset({"sum"})

    def __init__(
        self,
        params: Iterable[Value] | Iterable[Mapping[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _initial_buffers(self, group: ParamGroup) -> Buffers:
        return {"sum": [group["initial_accumulator_value"]] * len(group["params"])}

    def _parse_group_state(
        self,
        gi: int,
        n: int,
        entries: dict[int, Mapping[str, Any]],
        hypers: dict[str, Any],
        fail: str,
    ) -> tuple[Buffers, int]:
        buffers, step = super()._parse_group_state(gi, n, entries, hypers, fail)
        if not buffers:  # no saved state: start afresh, as the constructor does
            buffers = {"sum": [hypers["initial_accumulator_value"]] * n}
        return buffers, step

    def _update(
        self, group: ParamGroup, datas: list[float], grads: list[float], buffers: Buffers, t: int
    ) -> tuple[list[float], Buffers]:
        eps = group["eps"]
        clr = group["lr"] / (1.0 + (t - 1) * group["lr_decay"])
        g = _l2(_maximised(grads, group), datas, group["weight_decay"])
        # The sum exists from construction (or load) on, as in torch.
        s = [si + gi * gi for si, gi in zip(buffers["sum"], g)]
        new = [x - clr * gi / (_sqrt(si) + eps) for x, gi, si in zip(datas, g, s)]
        return new, {"sum": s}


# ---------------------------------------------------------------- schedulers


class LRScheduler:
    """Base class: sets each group's ``lr`` from a closed-form function of the epoch.

    As in torch: construction records ``initial_lr`` in every group (keeping one a
    previous scheduler set) and takes the first step, so ``last_epoch`` is 0 and the
    lr is the epoch-0 value; call ``step()`` once per epoch, after the optimizer's
    steps. ``get_last_lr()`` gives the lrs of the latest step.

    torch's schedulers update the lr recursively from its current value (a
    "chainable" form); here every lr is computed from ``initial_lr`` and the epoch
    (torch's ``_get_closed_form_lr``). The two agree (to rounding) unless something
    else edits ``lr`` between steps: then torch builds on the edited value, this
    overwrites it.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    def _lrs(self, epoch: int) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's lr for it."""
        name = type(self).__name__
        groups = self.optimizer.param_groups
        if len(groups) != len(self.base_lrs):
            raise ValueError(
                f"{name}.step: the optimizer has {len(groups)} parameter groups, the "
                f"scheduler was built for {len(self.base_lrs)}; make a new scheduler"
            )
        epoch = self.last_epoch + 1
        lrs = self._lrs(epoch)
        for gi, lr in enumerate(lrs):  # all checked before any is written
            if not _isfinite(lr) or lr < 0:
                raise ValueError(f"{name}.step: epoch {epoch} gives group {gi} the lr {lr!r}")
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self.last_epoch = epoch
        self._last_lr = lrs

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group set by the latest `step`."""
        return list(self._last_lr)

    def _hyper_state(self) -> dict[str, Any]:
        return {}

    def _load_hypers(self, saved: Mapping[str, Any], fail: str) -> dict[str, Any]:
        return {}

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch``, ``base_lrs``, ``last_lr`` and the schedule's own numbers (JSON)."""
        return {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
            **self._hyper_state(),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict` after checking it all (nothing changes on an error).

        As in torch this restores the scheduler only: the optimizer's current lrs
        come back with the optimizer's own ``load_state_dict``.
        """
        name = type(self).__name__
        fail = f"{name}.load_state_dict: nothing was loaded:"
        expected = set(self.state_dict())
        if not isinstance(state_dict, Mapping) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, Mapping) else state_dict
            raise ValueError(f"{fail} expected keys {sorted(expected)}, got {got}")
        epoch = state_dict["last_epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"{fail} last_epoch must be an int >= 0, got {epoch!r}")
        lists = {}
        for key in ("base_lrs", "last_lr"):
            values = state_dict[key]
            if not isinstance(values, Sequence) or len(values) != len(self.base_lrs):
                raise ValueError(f"{fail} {key} must list {len(self.base_lrs)} lrs, got {values!r}")
            try:
                lists[key] = [_nonnegative(name, key, v) for v in values]
            except (TypeError, ValueError) as error:
                raise ValueError(f"{fail} {error}") from None
        try:
            hypers = self._load_hypers(state_dict, fail)
        except TypeError as error:
            raise ValueError(f"{fail} {error}") from None
        self.last_epoch = epoch
        self.base_lrs = lists["base_lrs"]
        self._last_lr = lists["last_lr"]
        for key, value in hypers.items():
            setattr(self, key, value)


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: invalid {name}={value!r}; expected an int >= 1")
    return int(value)


def _positive(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if x <= 0.0:
        raise ValueError(f"{owner}: invalid {name}={x!r}; expected {name} > 0")
    return x


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs, as torch's StepLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html:
    ``lr(epoch) = initial_lr * gamma ** (epoch // step_size)``.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def _lrs(self, epoch: int) -> list[float]:
        factor = self.gamma ** (epoch // self.step_size)
        return [base * factor for base in self.base_lrs]

    def _hyper_state(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}

    def _load_hypers(self, saved: Mapping[str, Any], fail: str) -> dict[str, Any]:
        try:
            return {
                "step_size": _positive_int("StepLR", "step_size", saved["step_size"]),
                "gamma": _positive("StepLR", "gamma", saved["gamma"]),
            }
        except ValueError as error:
            raise ValueError(f"{fail} {error}") from None


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch, as torch's ExponentialLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ExponentialLR.html:
    ``lr(epoch) = initial_lr * gamma ** epoch``.
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def _lrs(self, epoch: int) -> list[float]:
        factor = self.gamma**epoch
        return [base * factor for base in self.base_lrs]

    def _hyper_state(self) -> dict[str, Any]:
        return {"gamma": self.gamma}

    def _load_hypers(self, saved: Mapping[str, Any], fail: str) -> dict[str, Any]:
        try:
            return {"gamma": _positive("ExponentialLR", "gamma", saved["gamma"])}
        except ValueError as error:
            raise ValueError(f"{fail} {error}") from None


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr along half a cosine from ``initial_lr`` to ``eta_min`` over ``T_max`` epochs.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CosineAnnealingLR.html::

        lr(epoch) = eta_min + (initial_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2

    Past ``T_max`` the curve climbs back (period 2 T_max), as torch's. torch's
    recursive form, lr_t = eta_min + (lr_{t-1} - eta_min) (1 + cos(pi t / T)) /
    (1 + cos(pi (t - 1) / T)) with the special case t - 1 = T (mod 2T), traces the
    same values: the test checks both to 1e-12.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0) -> None:
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _nonnegative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def _lrs(self, epoch: int) -> list[float]:
        weight = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return [self.eta_min + (base - self.eta_min) * weight for base in self.base_lrs]

    def _hyper_state(self) -> dict[str, Any]:
        return {"T_max": self.T_max, "eta_min": self.eta_min}

    def _load_hypers(self, saved: Mapping[str, Any], fail: str) -> dict[str, Any]:
        try:
            return {
                "T_max": _positive_int("CosineAnnealingLR", "T_max", saved["T_max"]),
                "eta_min": _nonnegative("CosineAnnealingLR", "eta_min", saved["eta_min"]),
            }
        except ValueError as error:
            raise ValueError(f"{fail} {error}") from None


class LambdaLR(LRScheduler):
    """Set the lr to ``initial_lr * lr_lambda(epoch)``, as torch's LambdaLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LambdaLR.html.
    ``lr_lambda`` is one function, or a list of one per parameter group. Functions
    cannot be saved as data: ``state_dict`` holds the epoch and lrs only, and
    ``load_state_dict`` keeps the functions this scheduler was built with.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
    ) -> None:
        n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if callable(lr_lambda):
            self.lr_lambdas: list[Callable[[int], float]] = [lr_lambda] * n
        elif isinstance(lr_lambda, Sequence) and all(callable(f) for f in lr_lambda):
            if len(lr_lambda) != n:
                raise ValueError(
                    f"LambdaLR: got {len(lr_lambda)} lr_lambdas for {n} parameter groups"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            raise TypeError(
                f"LambdaLR: lr_lambda must be a function of the epoch or a list of them, "
                f"got {lr_lambda!r}"
            )
        super().__init__(optimizer)

    def _lrs(self, epoch: int) -> list[float]:
        lrs = []
        for gi, (base, f) in enumerate(zip(self.base_lrs, self.lr_lambdas)):
            factor = _real("LambdaLR", f"lr_lambda of group {gi} at epoch {epoch}", f(epoch))
            lrs.append(base * factor)
        return lrs


# ---------------------------------------------------------------- gradient clipping


def clip_grad_norm(
    params: Iterable[Value] | Value, max_norm: float, norm_type: float = 2.0
) -> float:
    r"""Scale the gradients down so that their joint norm is at most about ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_`` with ``error_if_nonfinite=True``
    (https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html)::

        total = (sum_i |g_i|^p)^(1/p)        (max_i |g_i| for p = inf)
        c = max_norm / (total + 1e-6)
        if c < 1:  g_i <- c g_i              for every i

    Returns ``total``, the norm before clipping. The 1e-6 keeps c finite for zero
    gradients; it also means a norm exactly equal to max_norm is scaled by
    c = 1 - ~1e-6/max_norm, as in torch. A non-finite total raises ``ValueError``
    (naming a parameter whose gradient is nan or inf) and changes nothing.
    """
    items = [params] if isinstance(params, Value) else list(params)
    for i, p in enumerate(items):
        if not isinstance(p, Value):
            raise TypeError(
                f"clip_grad_norm: params[{i}] is {type(p).__name__} {p!r}, expected a Value"
            )
    limit = _nonnegative("clip_grad_norm", "max_norm", max_norm)
    p_norm = _real_or_inf("clip_grad_norm", "norm_type", norm_type)
    if not items:
        return 0.0
    grads = [p.grad for p in items]
    label = lambda i: f"parameter {items[i].label or i!r}"  # noqa: E731
    _check_finite(grads, label, "clip_grad_norm: nothing was changed: the gradient")
    magnitudes = [abs(g) for g in grads]
    biggest = max(magnitudes)
    if p_norm == math.inf:
        total = biggest
    elif p_norm == 2.0:
        total = math.hypot(*grads)  # no overflow in the squares
    elif biggest == 0.0:
        total = 0.0
    else:  # factor out the largest entry so the powers cannot overflow
        total = biggest * sum((m / biggest) ** p_norm for m in magnitudes) ** (1.0 / p_norm)
    if not _isfinite(total):
        raise ValueError(
            f"clip_grad_norm: nothing was changed: the {p_norm}-norm of the gradients "
            f"overflows ({total!r})"
        )
    coef = limit / (total + 1e-6)
    if coef < 1.0:
        for p in items:
            p.grad *= coef
    return total


def _real_or_inf(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number > 0 or math.inf, got {value!r}")
    x = float(value)
    if math.isnan(x) or x <= 0.0:
        raise ValueError(f"{owner}: invalid {name}={x!r}; expected {name} > 0 or math.inf")
    return x
