"""`python -m autograd`: a worked example of the chain rule, checked numerically."""

from __future__ import annotations

from autograd import Value, gradcheck


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """tanh(x1 w1 + x2 w2 + b): the expression of micrograd's classic picture."""
    return (x1 * w1 + x2 * w2 + b).tanh()


def main() -> None:
    inputs = [
        Value(2.0, "x1"),
        Value(0.0, "x2"),
        Value(-3.0, "w1"),
        Value(1.0, "w2"),
        Value(6.8813735870195432, "b"),
    ]
    out = neuron(*inputs)
    out.label = "out"
    out.backward()
    print("out = tanh(x1*w1 + x2*w2 + b)")
    print(f"  value: {out.data:.6f}")
    for v in inputs:
        print(f"  d out / d {v.label:<2} = {v.grad:+.6f}   ({v.label} = {v.data:g})")
    gradcheck(neuron, inputs)
    print("gradcheck: analytic and central-difference gradients agree")


if __name__ == "__main__":
    main()
