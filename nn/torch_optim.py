"""Optimizer and scheduler state across the PyTorch boundary, both ways.

``optimizer_to_torch(optimizer, model, module)`` builds the ``torch.optim`` optimizer of
the same name over ``module`` (made by `nn.to_torch(model)`) with the same parameter
groups, hyper-parameters, step counts and buffers, so that training continues in torch
on the trajectory it had here; ``optimizer_from_torch`` is the way back. The buffers
are per scalar here and per tensor in torch: `nn.torch_bridge.parameter_map` says
which entry of which tensor each scalar is. ``scheduler_to_torch`` /
``scheduler_from_torch`` carry a learning-rate scheduler's position the same way.

torch's implementation switches (``foreach``, ``fused``, ``capturable``,
``differentiable``) do not change the update rule and are not carried; torch's
``Adam(decoupled_weight_decay=True)`` is `nn.optim.AdamW`.
"""

from __future__ import annotations

import inspect
from collections import Counter
from typing import TYPE_CHECKING, Any

from nn import optim
from nn.module import Module
from nn.optim.lr_scheduler import LRScheduler
from nn.optim.one_cycle import OneCycleLR
from nn.optim.optimizer import Optimizer
from nn.optim.plateau import ReduceLROnPlateau
from nn.torch_bridge import import_torch, parameter_map

if TYPE_CHECKING:
    import torch

__all__ = [
    "optimizer_from_torch",
    "optimizer_to_torch",
    "scheduler_from_torch",
    "scheduler_to_torch",
]

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")
_TORCH_ONLY = ("foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay")

Place = tuple[str, tuple[int, ...]]  # (torch state-dict key, index in the tensor)


def _places(model: Module, module: Any, who: str) -> tuple[dict[int, Place], dict[str, Any]]:
    """Each parameter's place in torch (by ``id``), and ``module``'s parameters by key."""
    tensors = dict(module.named_parameters())
    places = {}
    values = dict(model.named_parameters())
    for name, key, index in parameter_map(model):
        shape = tuple(tensors[key].shape) if key in tensors else ()
        if len(shape) != len(index) or any(i >= n for i, n in zip(index, shape)):
            raise ValueError(
                f"{who}: the torch module has no entry {key}{list(index)} for {name}; pass the "
                f"module nn.to_torch(model) made"
            )
        places[id(values[name])] = (key, index)
    return places, tensors


def _torch_groups(
    optimizer: Optimizer, places: dict[int, Place], tensors: dict[str, Any], who: str
) -> list[list[str]]:
    """The torch tensors (by key) of each group: every scalar of a tensor in one group."""
    owner: dict[str, int] = {}
    counts: Counter[str] = Counter()
    for gi, group in enumerate(optimizer.param_groups):
        for p in group["params"]:
            if id(p) not in places:
                raise ValueError(f"{who}: parameter {p!r} of group {gi} is not in the model")
            key = places[id(p)][0]
            if owner.setdefault(key, gi) != gi:
                raise ValueError(
                    f"{who}: the entries of torch's {key} are in groups {owner[key]} and {gi}; "
                    f"torch groups whole tensors, so keep each layer's weights in one group"
                )
            counts[key] += 1
    for key, n in counts.items():
        if n != tensors[key].numel():
            raise ValueError(
                f"{who}: the optimizer has {n} of the {tensors[key].numel()} entries of torch's "
                f"{key}; torch steps whole tensors, so give the optimizer all or none of them"
            )
    order = list(tensors)
    return [
        sorted({key for key, gi2 in owner.items() if gi2 == gi}, key=order.index)
        for gi in range(len(optimizer.param_groups))
    ]


def _hypers(group: dict[str, Any]) -> dict[str, Any]:
    """A saved group's hyper-parameters as torch keeps them (``betas`` a tuple)."""
    return {k: (tuple(v) if k == "betas" else v) for k, v in group.items() if k != "params"}


def optimizer_to_torch(optimizer: Optimizer, model: Module, module: Any) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer of the same class over ``module``'s tensors, in the
    same state: groups, hyper-parameters (and a scheduler's keys), steps and buffers.

    ``module`` is ``nn.to_torch(model)`` (any dtype or device); each group here must hold
    whole layers' weights or biases (torch groups tensors, not scalars).
    """
    th = import_torch("nn.optimizer_to_torch")
    who = "nn.optimizer_to_torch"
    name = type(optimizer).__name__
    if name not in _OPTIMIZERS:
        raise TypeError(f"{who}: torch has no optimizer for {name}; use one of {_OPTIMIZERS}")
    places, tensors = _places(model, module, who)
    keys = _torch_groups(optimizer, places, tensors, who)
    saved = optimizer.state_dict()
    groups = [
        {"params": [tensors[key] for key in group_keys], **_hypers(group)}
        for group_keys, group in zip(keys, saved["param_groups"])
    ]
    result: torch.optim.Optimizer = getattr(th.optim, name)(groups)
    # our index of each parameter, and torch's index of each tensor (both number by group)
    ours = {id(p): i for i, p in enumerate(p for g in optimizer.param_groups for p in g["params"])}
    state: dict[int, dict[str, Any]] = {}
    for t, key in enumerate(key for group_keys in keys for key in group_keys):
        tensor = tensors[key]
        entries = {
            index: saved["state"].get(ours[id(p)])
            for p in model.parameters()
            if id(p) in places and places[id(p)][0] == key
            for index in [places[id(p)][1]]
        }
        if any(entry is None for entry in entries.values()):
            continue  # a group that has not stepped: torch has no state for it either
        first = next(iter(entries.values()))
        state[t] = {}
        for buffer in first:
            if buffer == "step":
                state[t]["step"] = th.tensor(float(first["step"]), dtype=th.float32)
                continue
            values = th.zeros(tensor.shape, dtype=th.float64)
            for index, entry in entries.items():
                values[index] = entry[buffer]
            state[t][buffer] = values.to(tensor.dtype).to(tensor.device)
    torch_groups = result.state_dict()["param_groups"]
    for torch_group, group in zip(torch_groups, saved["param_groups"]):
        torch_group.update(_hypers(group))
    result.load_state_dict({"state": state, "param_groups": torch_groups})
    return result


def _our_class(torch_optimizer: Any, who: str) -> type[Optimizer]:
    name = type(torch_optimizer).__name__
    if name == "Adam" and torch_optimizer.defaults.get("decoupled_weight_decay"):
        name = "AdamW"
    if name not in _OPTIMIZERS:
        raise TypeError(f"{who}: nn.optim has no {name}; it has {', '.join(_OPTIMIZERS)}")
    cls: type[Optimizer] = getattr(optim, name)
    return cls


def optimizer_from_torch(torch_optimizer: Any, module: Any, model: Module) -> Optimizer:
    """The `nn.optim` optimizer of the same class over ``model``'s Values, in the state
    ``torch_optimizer`` (over ``module = nn.to_torch(model)``'s tensors) is in.

    Each group's parameters come in ``model.parameters()`` order. A group whose
    tensors torch stepped unequally (some without a gradient) cannot be expressed
    here, where a group steps as one, and raises ValueError.
    """
    import_torch("nn.optimizer_from_torch")  # says what to install when it is missing
    who = "nn.optimizer_from_torch"
    cls = _our_class(torch_optimizer, who)
    places, tensors = _places(model, module, who)
    key_of = {id(t): key for key, t in tensors.items()}
    saved = torch_optimizer.state_dict()
    groups: list[list[Any]] = []  # our Values per group
    tensor_index: dict[str, int] = {}  # torch's number for each tensor
    t = 0
    for gi, group in enumerate(torch_optimizer.param_groups):
        group_keys = set()
        for tensor in group["params"]:
            if id(tensor) not in key_of:
                raise ValueError(f"{who}: group {gi} has a tensor that is not in the module")
            group_keys.add(key_of[id(tensor)])
            tensor_index[key_of[id(tensor)]] = t
            t += 1
        groups.append([p for p in model.parameters() if places[id(p)][0] in group_keys])
    hypers = [
        {k: v for k, v in g.items() if k not in _TORCH_ONLY and k != "params"}
        for g in saved["param_groups"]
    ]
    result = cls([{"params": values, **h} for values, h in zip(groups, hypers)])  # type: ignore[call-arg]
    state: dict[int, dict[str, float]] = {}
    i = 0
    for values in groups:
        for p in values:
            key, index = places[id(p)]
            entry = saved["state"].get(tensor_index[key])
            if entry:
                state[i] = {
                    buffer: float(v.item() if buffer == "step" else v.detach()[index].item())
                    for buffer, v in entry.items()
                    if v is not None
                }
            i += 1
    ours = result.state_dict()
    for our_group, h in zip(ours["param_groups"], hypers):
        our_group.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in h.items()})
    result.load_state_dict({"state": state, "param_groups": ours["param_groups"]})
    return result


# ---------------------------------------------------------------- schedulers


def _scheduler_arguments(scheduler: Any) -> dict[str, Any]:
    """What to pass a torch scheduler's constructor to rebuild ours."""
    if isinstance(scheduler, OneCycleLR):
        groups = scheduler.optimizer.param_groups
        args: dict[str, Any] = {
            "max_lr": [g["max_lr"] for g in groups],
            **{k: getattr(scheduler, k) for k in scheduler._hyper_names},
        }
        if scheduler.cycle_momentum:
            args["max_momentum"] = [g["max_momentum"] for g in groups]
            args["base_momentum"] = [g["base_momentum"] for g in groups]
        return args
    if isinstance(scheduler, optim.LambdaLR):
        return {"lr_lambda": list(scheduler.lr_lambdas)}
    return {k: getattr(scheduler, k) for k in scheduler._hyper_names}


def scheduler_to_torch(scheduler: LRScheduler | ReduceLROnPlateau, torch_optimizer: Any) -> Any:
    """torch's scheduler of the same class over ``torch_optimizer`` (made by
    `optimizer_to_torch`), at the same epoch: the next ``step()`` gives the same lrs.

    The torch optimizer's groups are left as they were (torch's constructors write the
    lr and, for OneCycleLR, the momentum: they are put back).
    """
    th = import_torch("nn.scheduler_to_torch")
    cls = getattr(th.optim.lr_scheduler, type(scheduler).__name__)
    before = torch_optimizer.state_dict()
    if isinstance(scheduler, ReduceLROnPlateau):
        settings = scheduler.state_dict()
        result = cls(
            torch_optimizer,
            **{k: settings[k] for k in ("mode", "factor", "patience", "threshold")},
            threshold_mode=settings["threshold_mode"],
            cooldown=settings["cooldown"],
            min_lr=settings["min_lrs"],
            eps=settings["eps"],
        )
        state = result.state_dict()
        state.update(
            last_epoch=settings["last_epoch"],
            num_bad_epochs=settings["num_bad_epochs"],
            cooldown_counter=settings["cooldown_counter"],
            best=state["mode_worse"] if settings["best"] is None else settings["best"],
            _last_lr=settings["last_lr"],
        )
    else:
        result = cls(torch_optimizer, **_scheduler_arguments(scheduler))
        state = result.state_dict()
        ours = scheduler.state_dict()
        state.update(
            last_epoch=ours["last_epoch"],
            _step_count=ours["last_epoch"] + 1,
            base_lrs=ours["base_lrs"],
            _last_lr=ours["last_lr"],
        )
        if "milestones" in ours:
            state["milestones"] = Counter(ours["milestones"])
    torch_optimizer.load_state_dict(before)
    result.load_state_dict(state)
    return result


def scheduler_from_torch(
    torch_scheduler: Any, optimizer: Optimizer
) -> LRScheduler | ReduceLROnPlateau:
    """Our scheduler of the same class over ``optimizer`` (made by `optimizer_from_torch`),
    at the epoch ``torch_scheduler`` is at."""
    import_torch("nn.scheduler_from_torch")
    name = type(torch_scheduler).__name__
    cls = getattr(optim, name, None)
    if not (isinstance(cls, type) and issubclass(cls, (LRScheduler, ReduceLROnPlateau))):
        raise TypeError(f"nn.scheduler_from_torch: nn.optim has no scheduler {name}")
    theirs = torch_scheduler.state_dict()
    before = optimizer.state_dict()
    if cls is ReduceLROnPlateau:
        result: Any = ReduceLROnPlateau(optimizer)
        state = {k: theirs[k] for k in result.state_dict() if k in theirs}
        best = theirs["best"]
        state.update(
            best=None if best == theirs["mode_worse"] else best, last_lr=theirs["_last_lr"]
        )
    else:
        result = cls(optimizer, **_arguments_from_torch(cls, torch_scheduler))
        state = result.state_dict()
        state.update(
            last_epoch=theirs["last_epoch"], base_lrs=theirs["base_lrs"], last_lr=theirs["_last_lr"]
        )
    optimizer.load_state_dict(before)
    result.load_state_dict(state)
    made: LRScheduler | ReduceLROnPlateau = result
    return made


def _arguments_from_torch(cls: type, torch_scheduler: Any) -> dict[str, Any]:
    """Our constructor's arguments, read from a torch scheduler of the same class."""
    if cls is optim.LambdaLR:
        return {"lr_lambda": list(torch_scheduler.lr_lambdas)}
    if cls is OneCycleLR:
        return _one_cycle_from_torch(torch_scheduler)
    names = [n for n in inspect.signature(cls).parameters if n != "optimizer"]
    args = {n: getattr(torch_scheduler, n) for n in names}
    if "milestones" in args:
        args["milestones"] = sorted(args["milestones"].elements())
    return args


def _one_cycle_from_torch(torch_scheduler: Any) -> dict[str, Any]:
    """OneCycleLR's arguments: torch keeps the phases' end steps, not pct_start."""
    phases = torch_scheduler._schedule_phases
    groups = torch_scheduler.optimizer.param_groups
    total = torch_scheduler.total_steps
    args: dict[str, Any] = {
        "max_lr": [g["max_lr"] for g in groups],
        "total_steps": total,
        "pct_start": (phases[0]["end_step"] + 1) / total,
        "anneal_strategy": torch_scheduler._anneal_func_type,
        "cycle_momentum": torch_scheduler.cycle_momentum,
        "div_factor": groups[0]["max_lr"] / groups[0]["initial_lr"],
        "final_div_factor": groups[0]["initial_lr"] / groups[0]["min_lr"],
        "three_phase": len(phases) == 3,
    }
    if torch_scheduler.cycle_momentum:
        args["max_momentum"] = [g["max_momentum"] for g in groups]
        args["base_momentum"] = [g["base_momentum"] for g in groups]
    return args
