"""`ReduceLROnPlateau`: lower the lr when a watched number stops improving, as torch's.

Not an `LRScheduler`: its lr is not a function of the epoch but of the history of a
metric (``step(val_loss)``), so it keeps that history (the best value, the bad epochs
counted, the cooldown left) and saves it in its state dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nn import _checks as checks
from nn.optim.optimizer import Optimizer

__all__ = ["ReduceLROnPlateau"]

_NAME = "ReduceLROnPlateau"


def _checked_settings(settings: Mapping[str, Any], groups: int) -> dict[str, Any]:
    """The constructor's arguments (also the saved ones), each checked."""
    min_lr = settings["min_lr"] if "min_lr" in settings else settings["min_lrs"]
    if isinstance(min_lr, Sequence) and not isinstance(min_lr, (str, bytes)):
        if len(min_lr) != groups:
            raise ValueError(
                f"{_NAME}: got {len(min_lr)} min_lrs for {groups} parameter groups; pass one "
                f"number, or one per group"
            )
        min_lrs = [checks.nonnegative(_NAME, f"min_lr[{i}]", v) for i, v in enumerate(min_lr)]
    else:
        min_lrs = [checks.nonnegative(_NAME, "min_lr", min_lr)] * groups
    return {
        "mode": checks.choice(_NAME, "mode", settings["mode"], ("min", "max")),
        "factor": checks.real(
            _NAME, "factor", settings["factor"], low=0.0, high=1.0, high_open=True
        ),
        "patience": checks.integer(_NAME, "patience", settings["patience"], minimum=0),
        "threshold": checks.nonnegative(_NAME, "threshold", settings["threshold"]),
        "threshold_mode": checks.choice(
            _NAME, "threshold_mode", settings["threshold_mode"], ("rel", "abs")
        ),
        "cooldown": checks.integer(_NAME, "cooldown", settings["cooldown"], minimum=0),
        "min_lrs": min_lrs,
        "eps": checks.nonnegative(_NAME, "eps", settings["eps"]),
    }


class ReduceLROnPlateau:
    """Multiply every group's lr by ``factor`` once the metric given to `step` has not
    improved for more than ``patience`` epochs, as torch's ReduceLROnPlateau.

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html.
    ``mode="min"`` watches a number that should fall (a loss), ``"max"`` one that
    should rise (an accuracy). A value improves on the best so far when it beats
    ``best * (1 -+ threshold)`` (``threshold_mode="rel"``) or ``best -+ threshold``
    (``"abs"``). After a reduction, ``cooldown`` epochs pass before bad epochs count
    again. No lr goes below its group's ``min_lr`` (one number or one per group), and
    a reduction smaller than ``eps`` is skipped. Unlike the other schedulers the
    constructor takes no step and changes no lr.

    Differences from torch: a nan or inf metric raises ValueError (torch counts it as
    a bad epoch, silently), and before the first step ``best`` is None (torch: +-inf)
    so that the state dict is plain JSON.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        checks.instance(_NAME, "optimizer", optimizer, Optimizer, "an nn.optim optimizer")
        settings = {k: v for k, v in locals().items() if k not in ("self", "optimizer")}
        for key, value in _checked_settings(settings, len(optimizer.param_groups)).items():
            setattr(self, key, value)
        self.optimizer = optimizer
        self.last_epoch = 0
        self.best: float | None = None
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    mode: str
    factor: float
    patience: int
    threshold: float
    threshold_mode: str
    cooldown: int
    min_lrs: list[float]
    eps: float

    def is_better(self, value: float) -> bool:
        """Whether `value` improves on the best so far by more than the threshold."""
        best = self.best
        if best is None:
            return True
        if self.threshold_mode == "rel":
            scale = 1.0 - self.threshold if self.mode == "min" else self.threshold + 1.0
            bound = best * scale
        else:
            bound = best - self.threshold if self.mode == "min" else best + self.threshold
        return value < bound if self.mode == "min" else value > bound

    def step(self, metrics: float) -> None:
        """Record one epoch's metric; lower the lrs when it has stalled (see the class)."""
        current = checks.real(f"{_NAME}.step", "metrics", metrics)
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            raise ValueError(
                f"{_NAME}.step: the optimizer has {len(groups)} parameter groups, the "
                f"scheduler was built for {len(self.min_lrs)}; make a new scheduler"
            )
        better = self.is_better(current)
        bad = 0 if better else self.num_bad_epochs + 1
        cooldown = self.cooldown_counter
        if cooldown > 0:
            cooldown -= 1
            bad = 0  # bad epochs during a cooldown do not count
        new_lrs = [float(g["lr"]) for g in groups]
        if bad > self.patience:
            for i, old in enumerate(new_lrs):
                new = max(old * self.factor, self.min_lrs[i])
                if old - new > self.eps:
                    new_lrs[i] = new
            cooldown, bad = self.cooldown, 0
        for group, lr in zip(groups, new_lrs):  # nothing above can fail half-way
            group["lr"] = lr
        if better:
            self.best = current
        self.last_epoch += 1
        self.num_bad_epochs, self.cooldown_counter = bad, cooldown
        self._last_lr = new_lrs

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the latest `step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The settings and the history (best, bad epochs, cooldown left), as JSON."""
        return {
            "mode": self.mode,
            "factor": self.factor,
            "patience": self.patience,
            "threshold": self.threshold,
            "threshold_mode": self.threshold_mode,
            "cooldown": self.cooldown,
            "min_lrs": list(self.min_lrs),
            "eps": self.eps,
            "last_epoch": self.last_epoch,
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "last_lr": list(self._last_lr),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict` after checking all of it (nothing changes on an error)."""
        where = f"{_NAME}.load_state_dict"
        try:
            checks.exact_keys(where, "the state dict", state_dict, list(self.state_dict()))
            settings = _checked_settings(state_dict, len(self.min_lrs))
            counters = {
                key: checks.integer(where, key, state_dict[key], minimum=0)
                for key in ("last_epoch", "num_bad_epochs", "cooldown_counter")
            }
            best = state_dict["best"]
            best = None if best is None else checks.real(where, "best", best)
            last = state_dict["last_lr"]
            if not isinstance(last, Sequence) or len(last) != len(self.min_lrs):
                checks.fail(where, "last_lr", last, f"a list of {len(self.min_lrs)} lrs")
            last_lr = [checks.nonnegative(where, f"last_lr[{i}]", v) for i, v in enumerate(last)]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: nothing was loaded: {error}") from None
        for key, value in {**settings, **counters}.items():
            setattr(self, key, value)
        self.best = best
        self._last_lr = last_lr
