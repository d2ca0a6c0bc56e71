"""Data-parallel training in torch: the path from one process to many machines.

`train_data_parallel` trains a torch module (one `nn.to_torch` made) with
``torch.nn.parallel.DistributedDataParallel`` over ``world_size`` processes on this
machine, on the gloo backend (CPU) over the loopback interface: each process takes its
share of every global batch, DDP averages the gradients across processes, and every
process takes the same optimizer step. `train_single_process` runs the same loop in one
process over the same global batches; the two give the same losses (to rounding: the
average over processes adds in another order). On many machines the same code runs
with ``init_method`` pointing at one of them and ``world_size`` counting them all.

Both take the optimizer as a torch optimizer whose state carries over (e.g. one
`nn.optimizer_to_torch` made), and return the loss of every global batch and the
trained weights. The processes are spawned (never forked) and given a deadline:
`train_data_parallel` raises TimeoutError and stops them when it passes.
"""

from __future__ import annotations

import copy
import os
import socket
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from nn import _checks as checks
from nn.torch_bridge import import_torch

if TYPE_CHECKING:
    import torch

__all__ = ["train_data_parallel", "train_single_process"]

Batches = list[NDArray[np.intp]]


def _loop(
    module: Any, optimizer: Any, x: Any, y: Any, batches: Batches, rank: int, world: int
) -> list[float]:
    """The training loop every process runs; ``world`` > 1 averages across processes."""
    th = import_torch("nn.torch_ddp")
    losses = []
    for indices in batches:
        mine = th.as_tensor(indices[rank::world])
        optimizer.zero_grad()
        loss = th.nn.functional.cross_entropy(module(x[mine]), y[mine])
        loss.backward()  # under DDP: gradients averaged over the processes here
        optimizer.step()
        total = loss.detach().clone()
        if world > 1:
            th.distributed.all_reduce(total)
        losses.append(total.item() / world)
    return losses


def _check_batches(batches: Batches, world: int) -> None:
    for i, indices in enumerate(batches):
        if len(indices) == 0 or len(indices) % world:
            raise ValueError(
                f"batch {i} has {len(indices)} samples, which does not split evenly over "
                f"{world} processes; make every batch's size a multiple of {world}"
            )


def _fresh(module: Any, optimizer: Any) -> tuple[Any, Any]:
    """A copy of the module, and an optimizer of the same class and state over it."""
    own = copy.deepcopy(module)
    position = {id(p): i for i, p in enumerate(module.parameters())}
    params = list(own.parameters())
    groups = [
        {"params": [params[position[id(p)]] for p in group["params"]]}
        for group in optimizer.param_groups
    ]
    opt = type(optimizer)(groups, **optimizer.defaults)
    opt.load_state_dict(copy.deepcopy(optimizer.state_dict()))  # hyper-parameters and state
    return own, opt


def train_single_process(
    module: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: NDArray[Any],
    y: NDArray[Any],
    batches: Batches,
) -> tuple[list[float], dict[str, Any]]:
    """(loss of each global batch, final state dict): cross-entropy training of a copy
    of ``module`` on ``x[batch]``, ``y[batch]`` for each batch of sample indices."""
    th = import_torch("nn.train_single_process")
    _check_batches(batches, 1)
    own, opt = _fresh(module, optimizer)
    losses = _loop(own, opt, th.as_tensor(x), th.as_tensor(y), batches, 0, 1)
    return losses, own.state_dict()


def _worker(
    rank: int,
    world: int,
    port: int,
    timeout: float,
    job: tuple[Any, Any, NDArray[Any], NDArray[Any], Batches],
    results: Any,
) -> None:
    """One process of the group: join it, train under DDP, rank 0 sends back the result."""
    th = import_torch("nn.train_data_parallel")
    loopback = [name for _, name in socket.if_nameindex() if name.startswith("lo")]
    if loopback:  # loopback only ("lo" on Linux, "lo0" on macOS): nothing leaves the machine
        os.environ["GLOO_SOCKET_IFNAME"] = loopback[0]
    th.set_num_threads(1)  # one core each: the processes share the machine
    th.distributed.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=timedelta(seconds=timeout),
    )
    try:
        module, optimizer, x, y, batches = job
        own, opt = _fresh(module, optimizer)
        ddp = th.nn.parallel.DistributedDataParallel(own)
        losses = _loop(ddp, opt, th.as_tensor(x), th.as_tensor(y), batches, rank, world)
        if rank == 0:  # as numpy: a tensor sent through a queue needs its sender alive
            results.put((losses, {k: v.numpy() for k, v in own.state_dict().items()}))
    finally:
        th.distributed.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def train_data_parallel(
    module: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    x: NDArray[Any],
    y: NDArray[Any],
    batches: Batches,
    world_size: int = 2,
    timeout: float = 120.0,
) -> tuple[list[float], dict[str, Any]]:
    """As `train_single_process`, with DDP over ``world_size`` processes (gloo, CPU,
    loopback): process r trains on samples ``batch[r::world_size]`` of every batch.

    Raises TimeoutError (after stopping the processes) when they have not finished
    within ``timeout`` seconds, and RuntimeError when one of them fails.
    """
    th = import_torch("nn.train_data_parallel")
    world_size = checks.positive_int("train_data_parallel", "world_size", world_size)
    timeout = checks.nonnegative("train_data_parallel", "timeout", timeout)
    _check_batches(batches, world_size)
    context = th.multiprocessing.get_context("spawn")
    results = context.Queue()
    job = (module, optimizer, x, y, batches)
    port = _free_port()
    processes = [
        context.Process(target=_worker, args=(rank, world_size, port, timeout, job, results))
        for rank in range(world_size)
    ]
    for p in processes:
        p.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if any(p.exitcode not in (None, 0) for p in processes):
                codes = [p.exitcode for p in processes]
                raise RuntimeError(f"train_data_parallel: a process failed (exit codes {codes})")
            if not results.empty():
                losses, arrays = results.get()
                return losses, {k: th.from_numpy(a) for k, a in arrays.items()}
            time.sleep(0.05)
        raise TimeoutError(
            f"train_data_parallel: the {world_size} processes did not finish in {timeout} s; "
            f"they were stopped"
        )
    finally:
        for p in processes:
            p.join(timeout=max(0.0, min(5.0, deadline - time.monotonic())))
            if p.is_alive():
                p.terminate()
                p.join(timeout=5.0)
