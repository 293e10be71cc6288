"""Graded checks the hidden tests call, one module per notebook (paper, code, gradient_flow)."""
