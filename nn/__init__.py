"""nn: neural networks built on autograd's Values."""
