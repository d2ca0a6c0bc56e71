"""Tests for nn/torch_ddp.py: DistributedDataParallel over two processes (gloo, CPU,
loopback, with a deadline) gives the losses and weights of one process over the same
global batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nn
from nn.torch_ddp import train_data_parallel, train_single_process


def _setup() -> tuple[torch.nn.Module, torch.optim.Optimizer, np.ndarray, np.ndarray, list]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = rng.integers(0, 3, size=60)
    model = nn.MLP(5, [6, 3], activation="relu", seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    for start in range(0, 60, 12):  # a few steps here first: the state carries over
        opt.zero_grad()
        nn.cross_entropy(model(x[start : start + 12]), y[start : start + 12].tolist()).backward()
        opt.step()
    module = nn.to_torch(model)
    batches = [rng.permutation(60)[:16] for _ in range(6)]
    return module, nn.optimizer_to_torch(opt, model, module), x, y, batches


def test_ddp_over_two_processes_matches_one_process_over_the_same_global_batches() -> None:
    module, opt, x, y, batches = _setup()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    single, single_state = train_single_process(module, opt, x, y, batches)
    parallel, parallel_state = train_data_parallel(module, opt, x, y, batches, timeout=240.0)
    np.testing.assert_allclose(parallel, single, rtol=1e-12, atol=0)
    assert any(not torch.equal(single_state[k], before[k]) for k in before)  # it trained
    for key, value in single_state.items():
        np.testing.assert_allclose(parallel_state[key], value, rtol=1e-12, atol=1e-14)
        assert torch.equal(module.state_dict()[key], before[key])  # the module is left as it was


def test_a_batch_that_does_not_split_evenly_is_refused() -> None:
    module, opt, x, y, _ = _setup()
    with pytest.raises(ValueError, match="multiple of 2"):
        train_data_parallel(module, opt, x, y, [np.arange(5)], timeout=240.0)


def test_past_the_deadline_the_processes_are_stopped_and_it_says_so() -> None:
    import multiprocessing

    module, opt, x, y, batches = _setup()
    with pytest.raises(TimeoutError, match=r"did not finish in 0\.0 s"):
        train_data_parallel(module, opt, x, y, batches, timeout=0.0)
    assert multiprocessing.active_children() == []
