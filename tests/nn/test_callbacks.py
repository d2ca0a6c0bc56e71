"""Tests for nn.callbacks: the hooks fit calls, a user's own callback, and the import
graph of nn (the training explorer and the training loop import nothing of each other)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import nn
from nn.callbacks import Run
from nn.data import make_moons

NN = Path(nn.__file__).parent


def _problem(seed: int = 0) -> tuple[nn.MLP, Any, Any, nn.optim.SGD]:
    X, y = make_moons(24, noise=0.1, seed=seed)
    model = nn.MLP(2, [4, 2], seed=seed)
    return model, X, y, nn.optim.SGD(model.parameters(), lr=0.1)


class Recorder(nn.Callback):
    """Writes down what each hook saw, as a user's callback would."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[tuple[str, int, list[float]]] = []
        self.stop_after = stop_after

    def on_train_begin(self, run: Run) -> None:
        self.calls.append(("begin", run.epoch, list(run.history.loss)))

    def on_epoch_end(self, run: Run) -> None:
        self.calls.append(("epoch", run.epoch, list(run.history.loss)))
        if self.stop_after is not None and run.epoch == self.stop_after:
            run.stop("enough")

    def on_train_end(self, run: Run) -> None:
        self.calls.append(("end", run.epoch, list(run.history.loss)))


def test_a_user_callback_sees_every_epoch_and_its_loss() -> None:
    model, X, y, opt = _problem()
    seen = Recorder()
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=4, seed=1, callbacks=[seen]
    )
    assert seen.calls[0] == ("begin", -1, [])
    assert [c[:2] for c in seen.calls[1:-1]] == [("epoch", k) for k in range(4)]
    # after epoch k the history holds exactly the losses of epochs 0..k
    for k, (_, _, losses) in enumerate(seen.calls[1:-1]):
        assert losses == history.loss[: k + 1]
    assert seen.calls[-1] == ("end", 3, history.loss)
    assert history.stop_reason == "epochs"


def test_a_user_callback_stops_training_where_a_shorter_run_ends() -> None:
    model, X, y, opt = _problem()
    history = nn.fit(
        model,
        X,
        y,
        loss=nn.cross_entropy,
        optimizer=opt,
        epochs=10,
        seed=1,
        callbacks=[Recorder(stop_after=2)],
    )
    assert history.epochs == 3
    assert history.stop_reason == "enough"
    # the independent reference: the same run asked for 3 epochs
    ref, X, y, ref_opt = _problem()
    expected = nn.fit(ref, X, y, loss=nn.cross_entropy, optimizer=ref_opt, epochs=3, seed=1)
    assert history.loss == expected.loss
    assert [p.data for p in model.parameters()] == [p.data for p in ref.parameters()]


def test_stop_in_on_train_begin_runs_no_epoch() -> None:
    class Never(nn.Callback):
        def on_train_begin(self, run: Run) -> None:
            run.stop("not today")

    model, X, y, opt = _problem()
    before = [p.data for p in model.parameters()]
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=5, callbacks=[Never()]
    )
    assert (history.epochs, history.stop_reason) == (0, "not today")
    assert [p.data for p in model.parameters()] == before


def test_the_first_stop_reason_stays_and_stop_when_defers_to_early_stopping() -> None:
    class StopWith(nn.Callback):
        def __init__(self, reason: str) -> None:
            self.reason = reason

        def on_epoch_end(self, run: Run) -> None:
            if run.epoch == 1:
                run.stop(self.reason)

    model, X, y, opt = _problem()
    # min_delta so large that no epoch after the first improves: early stopping
    # (patience 1) stops after epoch 1, where stop_when would stop too
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=10, validation_split=0.25,
        early_stopping=nn.early_stopping(patience=1, min_delta=1e9),
        stop_when=lambda h: h.epochs >= 2, callbacks=[StopWith("first"), StopWith("second")],
    )  # fmt: skip
    assert (history.stop_reason, history.epochs, history.best_epoch) == ("early_stopping", 2, 0)
    model, X, y, opt = _problem()
    history = nn.fit(
        model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=10,
        callbacks=[StopWith("first"), StopWith("second")],
    )  # fmt: skip
    assert (history.stop_reason, history.epochs) == ("first", 2)


def test_on_exception_sees_the_error_and_on_train_end_does_not_run() -> None:
    class Boom(nn.Callback):
        def on_epoch_end(self, run: Run) -> None:
            raise RuntimeError("boom")

    model, X, y, opt = _problem()
    seen = Recorder()

    class Catcher(Recorder):
        def on_exception(self, run: Run, error: BaseException) -> None:
            self.calls.append(("exception", run.epoch, [float(str(error) == "boom")]))

    catcher = Catcher()
    with pytest.raises(RuntimeError, match="boom"):
        nn.fit(
            model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=3,
            callbacks=[seen, Boom(), catcher],
        )  # fmt: skip
    assert catcher.calls[-1] == ("exception", 0, [1.0])
    assert [c[0] for c in seen.calls] == ["begin", "epoch"]


@pytest.mark.parametrize(
    ("callbacks", "error"),
    [(Recorder(), TypeError), ([lambda run: None], TypeError), ([object()], TypeError)],
)
def test_callbacks_must_be_a_list_of_callback_objects(callbacks: Any, error: type) -> None:
    model, X, y, opt = _problem()
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match="callbacks"):
        nn.fit(model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=1, callbacks=callbacks)
    assert [p.data for p in model.parameters()] == before


def test_early_stopping_in_callbacks_needs_validation_data() -> None:
    model, X, y, opt = _problem()
    with pytest.raises(ValueError, match="validation"):
        nn.fit(
            model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=1,
            callbacks=[nn.early_stopping()],
        )  # fmt: skip


def test_early_stopping_as_a_callback_matches_the_keyword() -> None:
    runs = []
    for as_callback in (False, True):
        model, X, y, _ = _problem()
        opt = nn.optim.SGD(model.parameters(), lr=3.0)
        stopper = nn.early_stopping(patience=2)
        extra: dict[str, Any] = (
            {"callbacks": [stopper]} if as_callback else {"early_stopping": stopper}
        )
        h = nn.fit(
            model, X, y, loss=nn.cross_entropy, optimizer=opt, epochs=25,
            validation_split=0.25, seed=2, **extra,
        )  # fmt: skip
        runs.append((h.loss, h.stop_reason, h.best_epoch, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]


# ----------------------------------------------------------------- the import graph


def _nn_imports(path: Path) -> set[str]:
    """Every nn module that ``path`` imports anywhere: at the top, inside a function,
    or under ``if TYPE_CHECKING`` (a cycle there is a cycle for a reader too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nn."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "nn":  # from nn import losses: the submodules named
                found.update(f"nn.{a.name}" for a in node.names)
            elif node.module.startswith("nn."):
                found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"nn.{p.stem}": p for p in NN.glob("*.py") if p.stem != "__init__"}
    return {name: _nn_imports(path) & set(modules) for name, path in modules.items()}


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    todo, seen = [start], set()
    while todo:
        here = todo.pop()
        for nxt in graph[here] - seen:
            if nxt == goal:
                return True
            seen.add(nxt)
            todo.append(nxt)
    return False


def test_the_training_explorer_and_the_training_loop_import_nothing_of_each_other() -> None:
    graph = _graph()
    assert not _reaches(graph, "nn.explorer", "nn.train")
    assert not _reaches(graph, "nn.explorer", "nn.history")
    assert _reaches(graph, "nn.train", "nn.explorer")  # the graph check sees real imports


def test_no_module_of_nn_imports_itself_through_others() -> None:
    graph = _graph()
    cycles = sorted(name for name in graph if _reaches(graph, name, name))
    assert cycles == []
