"""autograd: a scalar reverse-mode automatic differentiation engine.

Every number is a `Value`; every operation on Values records a node of a computation
graph; `Value.backward()` applies the chain rule over that graph.

>>> from autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad          # dy/dx = 2x + 2
8.0
"""

import importlib
from typing import TYPE_CHECKING, Any

# First: the operations' entries set Value's methods (+, exp, tanh, ...) on import.
from autograd.ops import atan2, hypot, prod, std, var  # isort: skip
from autograd.compile import compile
from autograd.engine import (
    Value,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    topological_order,
)
from autograd.flat import FlatParameters
from autograd.functional import (
    dot,
    linear,
    log_softmax,
    logsumexp,
    matvec,
    max,
    mean,
    min,
    softmax,
    sum,
)
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad
from autograd.higher import grad, hessian, hvp, jacobian, jvp, value_and_grad, vhp, vjp
from autograd.primitive import primitive

__all__ = [
    "BackwardStep",
    "FlatParameters",
    "GradcheckError",
    "Value",
    "atan2",
    "backward_steps",
    "compile",
    "dot",
    "draw_dot",
    "enable_grad",
    "explore",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "hypot",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linear",
    "log_softmax",
    "logsumexp",
    "matvec",
    "max",
    "mean",
    "min",
    "no_grad",
    "numerical_grad",
    "primitive",
    "prod",
    "save_graph",
    "set_grad_enabled",
    "softmax",
    "std",
    "sum",
    "topological_order",
    "value_and_grad",
    "var",
    "vhp",
    "vjp",
]

# The drawing names load their module on first use (PEP 562), so `import autograd` needs
# neither graphviz nor a browser; a missing package is reported when a drawing needs it.
_LAZY = {
    "BackwardStep": "autograd.viz",
    "backward_steps": "autograd.viz",
    "draw_dot": "autograd.viz",
    "save_graph": "autograd.viz",
    "explore": "autograd.explorer",
}

if TYPE_CHECKING:
    from autograd.explorer import explore
    from autograd.viz import BackwardStep, backward_steps, draw_dot, save_graph


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
