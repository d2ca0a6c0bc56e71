"""`Module`: the base class of every network piece, and how a model is saved and loaded.

A Module finds its parameters by itself: it walks its instance attributes in the
order they were assigned and collects

- a `Value` -> one parameter, named after the attribute (``b``);
- a list or tuple of Values -> one parameter per element (``w.0``, ``w.1``, ...);
- a Module -> its parameters, prefixed with the attribute's name;
- a list or tuple of Modules -> each one's, prefixed with ``name.i``.

Attributes whose name starts with ``_`` are private and skipped (caches, helpers), as
are all other kinds of attribute (ints, strings, callables, lists of numbers). The
names join into dotted paths that say where a weight lives:
``layers.0.neurons.3.w.1`` is weight 1 of neuron 3 of layer 0.

Labels. `label_parameters` writes each parameter's dotted name into its ``label``, so
that a drawing of the computation graph shows where every weight lives. The
constructors of `Neuron`, `Layer` and `MLP` end by calling it; an outer module's
constructor runs last, so the names are always the full paths from the top-level
model. A custom Module calls ``self.label_parameters()`` at the end of its
``__init__``. (Done explicitly rather than by wrapping ``__init__`` behind the scenes:
nothing happens that the code does not say.)

Saving. `save` writes JSON: a format name and version, the class name, the
constructor arguments (`config`) and every parameter by name. Floats are written
with ``repr``, which reads back bit for bit. Loading parses JSON and builds only
known classes, so a model file can never run code (no pickle). The file is written to
a temporary file next to the target (``.<name>.<pid>.<random>.tmp``) and moved over it
with ``os.replace``, so a failed save never leaves a half-written or destroyed file; an
exception removes the temporary file, and a process killed outright can leave one,
which the next save of the same file removes (on POSIX, where it can tell that the
process that wrote it is gone). Saving through a symlink writes the file the link
points to. A path holding a NUL byte, or a loop of symbolic links, is refused naming
the path, for saving and reading alike.

Reading. Only a regular file is read (not a FIFO, a device or a folder), and only up
to `MAX_FILE_BYTES` (64 MiB, over two million parameters; adjustable), both checked
before a byte is read. JSON nested too deeply and integers of more than 30 digits are
refused. `nn.load_model` counts the parameters a file's config describes and
compares them with the parameters the file holds before it builds anything.

Errors. `load_state_dict` checks every name and every value before it writes any,
and raises ``ValueError`` listing every problem ("Missing key(s)", "Unexpected
key(s)", bad values); reading a file that is truncated, hand-edited or made for
another model shape raises ``ValueError`` naming the file and the problem. In every
case the model is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray

from autograd import Value, no_grad
from nn import _checks as checks
from nn.losses import classifies, decision_threshold

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "IncompatibleKeys",
    "Module",
    "read_model_file",
]

FORMAT = "backproplab-model"
FORMAT_VERSION = 1

PathLike = str | os.PathLike[str]

_MAX_LISTED = 10  # how many names an error message lists before "... and N more"


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` did not match (as PyTorch returns)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of networks and their parts: parameters, gradients, saving, repr.

    A subclass assigns its parameters (Values) and sub-modules as attributes in
    ``__init__`` and defines ``forward``; calling the module calls ``forward``.
    """

    # When False, repr shows the module on one line (its extra_repr) and not its
    # children: a Layer's neurons are an implementation detail, one line each would bury
    # the structure of a model.
    _repr_children: ClassVar[bool] = True

    # Whether ``forward`` also takes a batch (a list of samples, or a 2-D array) and
    # returns one output per sample. `fit` and `evaluate` then pass a whole batch in one
    # call; otherwise they call the module once per sample. Neuron, Layer and MLP (and
    # so their subclasses) say True; a subclass whose ``forward`` handles one sample
    # only sets it back to False.
    takes_batches: ClassVar[bool] = False

    # ---------------------------------------------------------------- forward

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def predict(self, X: Any, loss: Callable[..., Value] | None = None) -> NDArray[Any]:
        """The model's answers for the samples X (2-D: one row each) as numbers in an
        ndarray, without recording a graph.

        Without ``loss``, or with a regression loss (`nn.mse`, `nn.sse`): the outputs,
        shape (n,) for a model with one output, (n, k) for k outputs. With the
        classification loss the model is trained with (see `nn.losses.classifies`):
        each sample's class as an int, as `nn.evaluate`'s accuracy counts it: the
        argmax of several outputs (logits); for one output, 1 where it is above the
        loss's `nn.losses.decision_threshold` (0.5 for `binary_cross_entropy`'s
        probabilities, 0 for logits and `hinge`'s scores), else 0.
        """
        rows = checks.samples("predict", "X", X)
        if loss is not None and not callable(loss):
            checks.fail("predict", "loss", loss, "a loss function such as nn.cross_entropy",
                        error=TypeError)  # fmt: skip
        with no_grad():
            numbers = _numbers(_forward(self, rows.tolist()))
        if loss is None or not classifies(loss):
            return numbers
        return _predicted_classes(numbers, decision_threshold(loss))

    # -------------------------------------------------------------- the tree

    def _members(self) -> Iterator[tuple[str, Value | Module | list[Module]]]:
        """Direct members, in assignment order: (name, parameter / module / module list)."""
        for name, attr in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (Value, Module)):
                yield name, attr
            elif isinstance(attr, (list, tuple)) and attr:
                if all(isinstance(a, Value) for a in attr):
                    for i, a in enumerate(attr):
                        yield f"{name}.{i}", a
                elif all(isinstance(a, Module) for a in attr):
                    yield name, list(attr)

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in definition order, each Value once.

        >>> MLP(2, [3, 1]).named_parameters()[0][0]
        'layers.0.neurons.0.w.0'
        """
        out: list[tuple[str, Value]] = []
        seen: set[int] = set()
        self._collect(prefix, out, seen)
        return out

    def _collect(self, prefix: str, out: list[tuple[str, Value]], seen: set[int]) -> None:
        for name, member in self._members():
            if isinstance(member, Value):
                if id(member) not in seen:  # a shared (tied) weight is listed once
                    seen.add(id(member))
                    out.append((prefix + name, member))
            elif isinstance(member, Module):
                member._collect(f"{prefix}{name}.", out, seen)
            else:
                for i, module in enumerate(member):
                    module._collect(f"{prefix}{name}.{i}.", out, seen)

    def parameters(self) -> list[Value]:
        """Every parameter (a leaf Value), in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers the model learns."""
        return len(self.named_parameters())

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    def label_parameters(self, prefix: str = "") -> None:
        """Set each parameter's ``label`` to ``prefix`` + its dotted name.

        Called at the end of the built-in constructors (see the module docstring), so
        drawings of a model's graph name every weight by where it lives.
        """
        for name, p in self.named_parameters(prefix):
            p.label = name

    # ------------------------------------------------------------------ repr

    def extra_repr(self) -> str:
        """The module's own settings, shown inside its parentheses by ``repr``."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = [(n, m) for n, m in self._members() if not isinstance(m, Value)]
        if not children or not self._repr_children:
            return head + ")"
        lines = [head]
        for name, member in children:
            if isinstance(member, Module):
                lines.append(f"  ({name}): " + _indent(repr(member), "  "))
            else:
                lines.append(f"  ({name}): [")
                for i, module in enumerate(member):
                    lines.append(f"    ({i}): " + _indent(repr(module), "    "))
                lines.append("  ]")
        lines.append(")")
        return "\n".join(lines)

    # ------------------------------------------------------------ state dict

    def state_dict(self) -> OrderedDict[str, float]:
        """Every parameter's value by dotted name: ``{"layers.0.neurons.0.w.0": 0.12, ...}``."""
        return OrderedDict((name, p.data) for name, p in self.named_parameters())

    def load_state_dict(
        self, state_dict: Mapping[str, float], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values into the parameters by name, after checking all of them.

        Every value must be a finite real number (int, float or numpy scalar; not a
        bool). With ``strict=True`` (the default) the names must match exactly; with
        ``strict=False`` the matching names are loaded and the others returned as
        ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        Raises ``ValueError`` listing every missing name, unexpected name and bad value
        before any parameter is written: on error the model is unchanged.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict expects a mapping of name -> number (as state_dict() "
                f"returns), got {type(state_dict).__name__}"
            )
        strict = checks.flag("load_state_dict", "strict", strict)
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state_dict]
        unexpected = [repr(k) for k in state_dict if k not in params]
        bad: list[str] = []
        updates: list[tuple[Value, float]] = []
        for name, p in params.items():
            if name not in state_dict:
                continue
            v = state_dict[name]
            try:
                updates.append((p, checks.real("load_state_dict", repr(name), v)))
            except (TypeError, ValueError):
                bad.append(f"{name!r} is {checks.shown(v)}, expected a finite number")
        problems = []
        if strict and missing:
            problems.append("Missing key(s): " + _listing([repr(m) for m in missing]))
        if strict and unexpected:
            problems.append("Unexpected key(s): " + _listing(unexpected))
        if bad:
            problems.append("Bad value(s): " + _listing(bad, sep="; "))
        if problems:
            raise ValueError(
                f"load_state_dict: nothing was loaded into {type(self).__name__} "
                f"({len(params)} parameters):\n  " + "\n  ".join(problems)
            )
        for p, x in updates:
            p.data = x
        return IncompatibleKeys(missing, [k for k in state_dict if k not in params])

    # ---------------------------------------------------------- save / load

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this module, as JSON-ready values.

        None (the default) means the class cannot be rebuilt from a file: `save` still
        writes its parameters, and ``model.load(path)`` reads them into a model built by
        hand. `Neuron`, `Layer` and `MLP` return their arguments, so `nn.load_model`
        can rebuild them. Raises ``TypeError`` when an argument cannot be written as
        JSON (a custom activation function).
        """
        return None

    def save(self, path: PathLike) -> None:
        """Write the model to ``path`` as JSON (see the module docstring), atomically.

        Raises ``TypeError`` when the model has a custom callable activation (a function
        cannot be stored in JSON; use a named one or save ``state_dict()`` yourself), and
        ``ValueError`` when a parameter is not finite. Either way nothing is written.
        """
        state = self.state_dict()
        broken = [name for name, x in state.items() if not math.isfinite(x)]
        if broken:
            raise ValueError(
                f"save: parameter(s) {_listing(broken)} are not finite (training diverged?); "
                f"nothing was written to {os.fspath(path)}"
            )
        document = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "parameters": state,
        }
        # Serialise fully before touching the disk, so an error leaves no file behind.
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
        _write_atomically(path, text)

    def load(self, path: PathLike) -> None:
        """Read parameters saved by `save` into this model.

        The file must hold the same class with the same configuration. Raises
        ``ValueError`` naming the file and the problem otherwise, and then leaves the
        model unchanged.
        """
        document = read_model_file(path)
        mine = type(self).__name__
        held = document["class"]
        if held != mine:
            raise ValueError(f"{os.fspath(path)}: the file holds a {held}, not a {mine}")
        try:
            config = self.config()
        except TypeError:
            config = None  # a custom activation: the parameter names are still checked
        if config is not None and document["config"] != config:
            raise ValueError(
                f"{os.fspath(path)}: the file holds {mine}({_args(document['config'])}) but "
                f"this model is {mine}({_args(config)})"
            )
        try:
            self.load_state_dict(document["parameters"])
        except ValueError as err:
            raise ValueError(f"{os.fspath(path)}: {err}") from None


# ------------------------------------------------------------------- helpers


def _forward(model: Module, rows: list[list[float]]) -> list[Any]:
    """The model's outputs for a batch of rows: one call when the model takes batches
    (`Module.takes_batches`), else one call per row."""
    if model.takes_batches:
        return model(rows)  # type: ignore[no-any-return]
    return [model(row) for row in rows]


def _numbers(outputs: list[Any]) -> NDArray[np.float64]:
    """The outputs of a batch as numbers: shape (n,) for one Value per sample, (n, k)
    for k Values per sample."""
    if outputs and isinstance(outputs[0], Value):
        return np.array([o.data for o in outputs], dtype=float)
    return np.array([[v.data for v in o] for o in outputs], dtype=float)


def _predicted_classes(outputs: NDArray[np.float64], threshold: float) -> NDArray[np.int64]:
    """Class per sample: argmax of several outputs; for one output, whether it is above
    the loss's `nn.losses.decision_threshold`."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        classes: NDArray[np.int64] = np.argmax(outputs, axis=1).astype(np.int64)
        return classes
    return (outputs.reshape(len(outputs)) > threshold).astype(np.int64)


def _indent(text: str, pad: str) -> str:
    """Indent every line but the first (which follows a "(name): " prefix)."""
    return text.replace("\n", "\n" + pad)


def _listing(items: list[str], sep: str = ", ") -> str:
    shown = sep.join(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown += f"{sep}... and {len(items) - _MAX_LISTED} more"
    return shown


def _args(config: object) -> str:
    if isinstance(config, dict):
        return ", ".join(f"{k}={v!r}" for k, v in config.items())
    return repr(config)


def _write_atomically(path: PathLike, text: str) -> None:
    """Write ``text`` to a temporary file in the target's folder, then os.replace it.

    os.replace is atomic on POSIX and Windows: readers see the old file or the new one,
    never a mixture, and a crash or error midway leaves the old file intact. The
    temporary file is ``.<name>.<pid>.<random>.tmp`` beside the target; an exception
    removes it, and one that a process killed outright (SIGKILL, power loss) left
    behind is removed by the next save of the same file, once that process is gone.
    """
    given = os.fspath(path)
    _check_path(given, f"cannot save to {_shown_path(given)}")
    # Through a symlink, write the file it points to (as open(path, "w") would), not
    # a new file in the link's place; realpath also resolves links to folders.
    target = os.path.realpath(given)
    if os.path.islink(target):  # realpath stops at a link it cannot resolve: a loop
        raise ValueError(f"cannot save to {given}: {_LOOP}")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot save to {given}: the folder {folder} does not exist; create it first "
            f"(os.makedirs({folder!r}))"
        )
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot save to {given}: it is a folder; give a file name")
    base = os.path.basename(target)
    _remove_stale_temporaries(folder, base)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); keep the old file's mode, else 0644.
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_LOOP = "a loop of symbolic links (a link that leads back to itself); fix or remove the link"


def _shown_path(name: str) -> str:
    """A path as a message shows it: as written, or quoted when it holds unprintables."""
    return name if name.isprintable() else repr(name)


def _check_path(name: str, context: str) -> None:
    """Refuse a path no file can have, naming it (the OS says only "embedded null byte")."""
    if "\0" in name:
        raise ValueError(
            f"{context}: the path contains a NUL byte (\\x00), which no file name can hold; "
            f"check how the path was built"
        )


def _remove_stale_temporaries(folder: str, base: str) -> None:
    """Remove the temporaries that earlier saves of ``base`` left in ``folder`` when
    their process was killed midway (``.<base>.<pid>.<random>.tmp`` whose pid is gone).
    A save in progress elsewhere keeps its own: its process is alive."""
    if os.name != "posix":  # os.kill(pid, 0) tests a pid only on POSIX
        return
    pattern = re.compile(re.escape(f".{base}.") + r"(\d+)\.[A-Za-z0-9_]+\.tmp")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is not None and not _process_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; not a pid at all
        return True
    return True


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json object hook: a repeated key is an edit mistake, not something to guess about."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


_FIELDS = ("format", "version", "class", "config", "parameters")


# The largest model file `read_model_file` (so `load`, `nn.load_model`) reads, in bytes.
# A file states about 25 bytes per parameter: 64 MiB holds over two million. Raise it
# for a larger model: ``nn.module.MAX_FILE_BYTES = 2**30``.
MAX_FILE_BYTES = 64 * 2**20

# No number in a model file needs more digits than this; Python's int parser is
# quadratic in the digits, and a float holds 17 significant digits.
_MAX_INT_DIGITS = 30


class _HugeInt(ValueError):
    pass


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _HugeInt(f"it holds an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _read_bounded(name: str, limit: int) -> bytes:
    """The bytes of the regular file `name`, refused (ValueError) past `limit` bytes.

    Opened without blocking and checked on the open descriptor, so a FIFO, a device
    (a symlink to /dev/zero) or a folder is refused before a byte is read, and a file
    swapped between the check and the read cannot slip through.
    """
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise ValueError(f"{name}: not a model file ({kind}); give the path of a saved model")
        if info.st_size > limit:
            raise ValueError(
                f"{name}: the file has {info.st_size} bytes, over the limit of {limit} "
                f"(nn.module.MAX_FILE_BYTES); raise that limit to read a larger model"
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(raw) > limit:  # it grew after the check
        raise ValueError(f"{name}: the file grew past the limit of {limit} bytes while read")
    return raw


_FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_model_file(path: PathLike, max_bytes: int | None = None) -> dict[str, Any]:
    """Parse and check the outer structure of a file written by `Module.save`.

    Returns the document (format, version, class, config, parameters). Only a regular
    file of at most ``max_bytes`` (default `MAX_FILE_BYTES`, 64 MiB) is read; anything
    else is refused before reading. Raises ``ValueError`` naming the file when it is
    not valid JSON (truncated, edited), nested too deeply, holds an integer of more
    than 30 digits, is not a model file, is from a newer format version, or has fields
    of the wrong kind; the parameter values themselves are checked by
    `Module.load_state_dict`.
    """
    name = os.fspath(path)
    limit = (
        MAX_FILE_BYTES
        if max_bytes is None
        else checks.positive_int("read_model_file", "max_bytes", max_bytes)
    )
    _check_path(name, _shown_path(name))
    try:
        raw = _read_bounded(name, limit)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ValueError(f"{name}: {_LOOP}") from None
        raise
    try:
        document = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_int=_small_int
        )
    except UnicodeDecodeError as err:
        raise ValueError(f"{name}: not a model file (not UTF-8 text: {err})") from None
    except _HugeInt as err:
        raise ValueError(f"{name}: not a model file: {err}; no model needs one") from None
    except RecursionError:
        raise ValueError(f"{name}: not a model file: its JSON is nested too deeply") from None
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        raise ValueError(
            f"{name}: not valid JSON, the file is truncated or was edited by hand ({err})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'{name}: not a backproplab model file (no "format": {FORMAT!r})')
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f'{name}: "version" must be an int, got {version!r}')
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{name}: written in format version {version}, this library reads up to "
            f"{FORMAT_VERSION}; upgrade backproplab"
        )
    if version < 1:
        raise ValueError(f"{name}: unknown format version {version}")
    missing = [k for k in _FIELDS if k not in document]
    extra = [k for k in document if k not in _FIELDS]
    if missing or extra:
        raise ValueError(f"{name}: missing field(s) {missing}, unknown field(s) {extra}")
    if not isinstance(document["class"], str):
        raise ValueError(f'{name}: "class" must be a string, got {document["class"]!r}')
    if document["config"] is not None and not isinstance(document["config"], dict):
        raise ValueError(f'{name}: "config" must be an object or null')
    if not isinstance(document["parameters"], dict):
        raise ValueError(f'{name}: "parameters" must be an object of name -> number')
    return document
