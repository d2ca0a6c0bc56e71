"""`OneCycleLR`: the 1cycle policy, torch's OneCycleLR step for step.

Its own module because, unlike the closed forms of ``lr_scheduler.py``, it writes the
optimizer's momentum (or Adam's beta1) as well as its lr, and keeps its bounds in the
parameter groups (``max_lr``, ``min_lr``, ``max_momentum``, ``base_momentum``), as
torch does, so that an optimizer's state dict carries them to torch and back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any, ClassVar

from nn import _checks as checks
from nn.optim.lr_scheduler import LRScheduler
from nn.optim.optimizer import HYPER_CHECKS, Check, Optimizer, checked_hypers

__all__ = ["OneCycleLR"]

# (end step, lr at the start, lr at the end, momentum at the start, at the end): the
# lr and momentum names are keys of the parameter group.
Phase = tuple[float, str, str, str, str]


def _strategy(where: str, name: str, value: Any) -> str:
    return checks.choice(where, name, value, ("cos", "linear"))


def _momentum(where: str, name: str, value: Any) -> float:
    # Adam's beta1 takes it: 0 <= momentum < 1.
    return checks.real(where, name, value, low=0.0, high=1.0, high_open=True)


def _per_group(name: str, value: Any, n: int, check: Check) -> list[float]:
    """One number for every group, from one number or a list of one per group."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != n:
            raise ValueError(
                f"OneCycleLR: got {len(value)} values of {name} for {n} parameter groups; "
                f"pass one number, or one per group"
            )
        return [check("OneCycleLR", f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [check("OneCycleLR", name, value)] * n


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    """From `start` (pct 0) to `end` (pct 1): half a cosine or a line, as torch writes them."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The 1cycle policy, as torch's OneCycleLR (step it after every batch).

    https://pytorch.org/docs/stable/generated/torch.optim.lr_scheduler.OneCycleLR.html.
    The lr climbs from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps`` (or ``epochs * steps_per_epoch``), then anneals
    to ``initial_lr / final_div_factor``; with ``three_phase`` it first comes back
    down to ``initial_lr`` symmetrically, then anneals. ``anneal_strategy`` is
    ``"cos"`` or ``"linear"``. With ``cycle_momentum`` the optimizer's ``momentum``
    (or Adam's beta1) moves the other way, between ``max_momentum`` and
    ``base_momentum``. The values are torch's formulas evaluated in the same order, so
    they agree to the last bit, except at step ``total_steps`` (one past the last
    batch), where a linear schedule gives torch a negative lr and this 0. Stepping past
    ``total_steps`` raises ValueError, as torch does. ``max_lr`` and the momenta take
    one number or one per group.
    """

    total_steps: int
    pct_start: float
    anneal_strategy: str
    cycle_momentum: bool
    div_factor: float
    final_div_factor: float
    three_phase: bool
    hyper_checks: ClassVar[Mapping[str, Check]] = {
        "total_steps": checks.positive_int,
        "pct_start": checks.probability,
        "anneal_strategy": _strategy,
        "cycle_momentum": checks.flag,
        "div_factor": checks.positive,
        "final_div_factor": checks.positive,
        "three_phase": checks.flag,
    }

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        checks.instance("OneCycleLR", "optimizer", optimizer, Optimizer, "an nn.optim optimizer")
        hypers = checked_hypers(
            "OneCycleLR",
            list(self.hyper_checks),
            {
                "total_steps": _total_steps(total_steps, epochs, steps_per_epoch),
                "pct_start": pct_start,
                "anneal_strategy": anneal_strategy,
                "cycle_momentum": cycle_momentum,
                "div_factor": div_factor,
                "final_div_factor": final_div_factor,
                "three_phase": three_phase,
            },
            "arguments",
            table={**HYPER_CHECKS, **self.hyper_checks},
        )
        _phases(hypers["total_steps"], hypers["pct_start"], hypers["three_phase"])  # checks them
        writes = _group_writes(optimizer, max_lr, base_momentum, max_momentum, hypers)
        for group, values in zip(optimizer.param_groups, writes):  # all checked: now write
            group.update(values)
        super().__init__(optimizer, hypers)

    @property
    def _phases(self) -> list[Phase]:
        return _phases(self.total_steps, self.pct_start, self.three_phase)

    def _where(self, epoch: int) -> tuple[Phase, float]:
        """The phase `epoch` falls in, and how far through it (0 to 1), as torch finds them."""
        start = 0.0
        phases = self._phases
        for i, phase in enumerate(phases):
            if epoch <= phase[0] or i == len(phases) - 1:
                return phase, (epoch - start) / (phase[0] - start)
            start = phase[0]
        raise AssertionError("unreachable: the last phase always matches")  # pragma: no cover

    def _lrs(self, epoch: int) -> list[float]:
        (_, lr_from, lr_to, _, _), pct = self._where(epoch)
        strategy = self.anneal_strategy
        # Step total_steps lies one step past the schedule's end (it sets the lr of a batch
        # that is never run); a linear schedule reaches below 0 there: 0 is the lr.
        return [
            max(0.0, _anneal(strategy, g[lr_from], g[lr_to], pct))
            for g in self.optimizer.param_groups
        ]

    def step(self) -> None:
        """Advance one batch: set every group's lr (and momentum) for it."""
        epoch = self.last_epoch + 1
        if epoch > self.total_steps:
            raise ValueError(
                f"OneCycleLR.step: this would be step {epoch}, past total_steps="
                f"{self.total_steps}; make the cycle longer (total_steps, or epochs and "
                f"steps_per_epoch) or stop stepping"
            )
        momenta: list[float] = []
        if self.cycle_momentum:
            (_, _, _, m_from, m_to), pct = self._where(epoch)
            groups = self.optimizer.param_groups
            momenta = [_anneal(self.anneal_strategy, g[m_from], g[m_to], pct) for g in groups]
        super().step()  # checks and writes the lrs; raises before any write
        for group, momentum in zip(self.optimizer.param_groups, momenta):
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum


def _total_steps(total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        return checks.positive_int("OneCycleLR", "total_steps", total_steps)
    if epochs is None or steps_per_epoch is None:
        raise ValueError(
            "OneCycleLR: give total_steps, or both epochs and steps_per_epoch; got "
            f"total_steps=None, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}"
        )
    n = checks.positive_int("OneCycleLR", "epochs", epochs)
    return n * checks.positive_int("OneCycleLR", "steps_per_epoch", steps_per_epoch)


def _phases(total_steps: int, pct_start: float, three_phase: bool) -> list[Phase]:
    """torch's phases (their end steps computed as torch computes them), each checked
    to be longer than zero steps."""
    up = float(pct_start * total_steps) - 1
    if three_phase:
        phases: list[Phase] = [
            (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum",
             "max_momentum"),
            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]  # fmt: skip
    else:
        phases = [
            (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]
    ends = [0.0] + [phase[0] for phase in phases]
    if any(b <= a for a, b in pairwise(ends)):
        raise ValueError(
            f"OneCycleLR: total_steps={total_steps} with pct_start={pct_start} gives a phase "
            f"of no steps (phase ends {ends[1:]}); make total_steps larger or pct_start "
            f"further from 0 and 1"
        )
    return phases


def _group_writes(
    optimizer: Optimizer,
    max_lr: Any,
    base_momentum: Any,
    max_momentum: Any,
    hypers: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """What each parameter group gets at construction (torch's keys), all checked."""
    n = len(optimizer.param_groups)
    tops = _per_group("max_lr", max_lr, n, checks.positive)
    writes: list[dict[str, Any]] = []
    for top in tops:
        initial = top / hypers["div_factor"]
        writes.append(
            {"initial_lr": initial, "max_lr": top, "min_lr": initial / hypers["final_div_factor"]}
        )
    if not hypers["cycle_momentum"]:
        return writes
    defaults = optimizer.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(
            f"OneCycleLR: cycle_momentum=True needs an optimizer with momentum or betas, "
            f"got {type(optimizer).__name__}; pass cycle_momentum=False"
        )
    highs = _per_group("max_momentum", max_momentum, n, _momentum)
    lows = _per_group("base_momentum", base_momentum, n, _momentum)
    for group, write, high, low in zip(optimizer.param_groups, writes, highs, lows):
        write["max_momentum"], write["base_momentum"] = high, low
        if "betas" in defaults:
            write["betas"] = (high, *group["betas"][1:])
        else:
            write["momentum"] = high
    return writes
