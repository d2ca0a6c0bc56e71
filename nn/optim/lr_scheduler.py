"""Learning-rate schedulers: set each group's ``lr`` from a closed form of the epoch."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from nn import _checks as checks
from nn.optim.optimizer import HYPER_CHECKS, Check, Optimizer, checked_hypers

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "StepLR",
]


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

    A subclass passes its constructor's ``locals()`` as ``hypers``: its numbers
    (``gamma``, ``step_size``, ...) are checked by the optimizers' table
    (`nn.optim.optimizer.HYPER_CHECKS`), become attributes, and are saved and loaded
    by `state_dict` / `load_state_dict`. A number whose rule is the scheduler's own
    (``factor`` means different things to `ConstantLR` and `ReduceLROnPlateau`) has
    its check in the class's ``hyper_checks`` table.
    """

    hyper_checks: ClassVar[Mapping[str, Check]] = {}

    def __init__(self, optimizer: Optimizer, hypers: Mapping[str, Any] | None = None) -> None:
        name = type(self).__name__
        checks.instance(name, "optimizer", optimizer, Optimizer, "an nn.optim optimizer")
        given = {
            k: v for k, v in (hypers or {}).items() if k not in ("self", "optimizer", "__class__")
        }
        self._hyper_names: tuple[str, ...] = tuple(given)
        self._hyper_table = {**HYPER_CHECKS, **self.hyper_checks}
        unchecked = [key for key in given if key not in self._hyper_table]
        if unchecked:
            raise TypeError(
                f"{name}: no check for {unchecked} in nn.optim.optimizer.HYPER_CHECKS or the "
                f"class's hyper_checks"
            )
        for key, value in self._checked(given, "arguments").items():
            setattr(self, key, value)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    def _lrs(self, epoch: int) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} does not implement _lrs")

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
            if not math.isfinite(lr) or lr < 0:
                raise ValueError(f"{name}.step: epoch {epoch} gives group {gi} the lr {lr!r}")
        for group, lr in zip(groups, lrs):
            group["lr"] = lr
        self.last_epoch = epoch
        self._last_lr = lrs

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group set by the latest `step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch``, ``base_lrs``, ``last_lr`` and the schedule's own numbers (JSON)."""
        return {
            "last_epoch": self.last_epoch,
            "base_lrs": list(self.base_lrs),
            "last_lr": list(self._last_lr),
            **{key: getattr(self, key) for key in self._hyper_names},
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict` after checking it all (nothing changes on an error).

        As in torch this restores the scheduler only: the optimizer's current lrs
        come back with the optimizer's own ``load_state_dict``.
        """
        name = type(self).__name__
        try:
            hypers, epoch, lists = self._parsed(state_dict)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}.load_state_dict: nothing was loaded: {error}") from None
        except RecursionError:
            raise ValueError(
                f"{name}.load_state_dict: nothing was loaded: the state dict is nested too deeply"
            ) from None
        self.last_epoch = epoch
        self.base_lrs = lists["base_lrs"]
        self._last_lr = lists["last_lr"]
        for key, value in hypers.items():
            setattr(self, key, value)

    def _parsed(
        self, state_dict: Mapping[str, Any]
    ) -> tuple[dict[str, Any], int, dict[str, list[float]]]:
        name = type(self).__name__
        checks.exact_keys(name, "the state dict", state_dict, list(self.state_dict()))
        epoch = checks.integer(name, "last_epoch", state_dict["last_epoch"], minimum=0)
        lists = {}
        for key in ("base_lrs", "last_lr"):
            values = state_dict[key]
            if not isinstance(values, Sequence) or len(values) != len(self.base_lrs):
                checks.fail(name, key, values, f"a list of {len(self.base_lrs)} lrs")
            lists[key] = [checks.nonnegative(name, f"{key}[{i}]", v) for i, v in enumerate(values)]
        hypers = {key: state_dict[key] for key in self._hyper_names}
        return self._checked(hypers, "the state dict"), epoch, lists

    def _checked(self, hypers: Mapping[str, Any], context: str) -> dict[str, Any]:
        name = type(self).__name__
        return checked_hypers(name, self._hyper_names, hypers, context, table=self._hyper_table)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs, as torch's StepLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.StepLR.html:
    ``lr(epoch) = initial_lr * gamma ** (epoch // step_size)``.
    """

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        factor = self.gamma ** (epoch // self.step_size)
        return [base * factor for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch, as torch's ExponentialLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ExponentialLR.html:
    ``lr(epoch) = initial_lr * gamma ** epoch``.
    """

    gamma: float

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        factor = self.gamma**epoch
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr along half a cosine from ``initial_lr`` to ``eta_min`` over ``T_max`` epochs.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.CosineAnnealingLR.html::

        lr(epoch) = eta_min + (initial_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2

    Past ``T_max`` the curve climbs back (period 2 T_max), as torch's. torch's
    recursive form, lr_t = eta_min + (lr_{t-1} - eta_min) (1 + cos(pi t / T)) /
    (1 + cos(pi (t - 1) / T)) with the special case t - 1 = T (mod 2T), traces the
    same values: the test checks both to 1e-12.
    """

    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        weight = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return [self.eta_min + (base - self.eta_min) * weight for base in self.base_lrs]


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
                    f"LambdaLR: got {len(lr_lambda)} lr_lambdas for {n} parameter groups; "
                    f"pass one function, or one per group"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            checks.fail(
                "LambdaLR",
                "lr_lambda",
                lr_lambda,
                "a function of the epoch or a list of them",
                error=TypeError,
            )
        super().__init__(optimizer)

    def _lrs(self, epoch: int) -> list[float]:
        return [
            base * checks.real(f"LambdaLR, group {gi}", f"lr_lambda({epoch})", f(epoch))
            for gi, (base, f) in enumerate(zip(self.base_lrs, self.lr_lambdas))
        ]


def _milestones(where: str, name: str, value: Any) -> list[int]:
    """Epochs (ints >= 0), sorted; a repeated epoch counts as many times as it is given."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, set)):
        checks.fail(where, name, value, "a list of epochs (ints >= 0)", error=TypeError)
    return sorted(checks.integer(where, f"{name}[{i}]", m, minimum=0) for i, m in enumerate(value))


def _start_factor(where: str, name: str, value: Any) -> float:
    """0 < start_factor <= 1 (torch's bound: a zero start could never grow)."""
    return checks.real(where, name, value, low=0.0, high=1.0, low_open=True)


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones``, as torch's MultiStepLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.MultiStepLR.html:
    ``lr(epoch) = initial_lr * gamma ** (number of milestones <= epoch)``; a milestone
    given twice counts twice, as in torch (which keeps them in a Counter).
    """

    milestones: list[int]
    gamma: float
    hyper_checks: ClassVar[Mapping[str, Check]] = {"milestones": _milestones}

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        factor = self.gamma ** bisect_right(self.milestones, epoch)
        return [base * factor for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the lr by ``factor`` until epoch ``total_iters``, as torch's ConstantLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ConstantLR.html:
    ``lr(epoch) = initial_lr * factor`` for ``epoch < total_iters``, then ``initial_lr``
    (0 <= factor <= 1). torch divides by ``factor`` at ``total_iters``, so its
    ``factor=0`` fails there; this closed form does not need the division.
    """

    factor: float
    total_iters: int
    hyper_checks: ClassVar[Mapping[str, Check]] = {"factor": checks.probability}

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        factor = 1.0 if epoch >= self.total_iters else self.factor
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Move the lr's factor linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, as torch's LinearLR.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.LinearLR.html::

        lr(epoch) = initial_lr (start + (end - start) min(epoch, total_iters) / total_iters)

    with 0 < start_factor <= 1 and 0 <= end_factor <= 1. torch's recursive form
    multiplies the previous lr by ``1 + (end - start) / (total_iters start + (epoch - 1)
    (end - start))``; the test checks both to 1e-12.
    """

    start_factor: float
    end_factor: float
    total_iters: int
    hyper_checks: ClassVar[Mapping[str, Check]] = {
        "start_factor": _start_factor,
        "end_factor": checks.probability,
    }

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        super().__init__(optimizer, locals())

    def _lrs(self, epoch: int) -> list[float]:
        done = min(epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        return [base * factor for base in self.base_lrs]
