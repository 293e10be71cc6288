"""Graded checks the hidden tests call, one module per notebook.

- ``paper``          – notebook 1, the hand calculation (error carried forward);
- ``verification``   – notebook 2, the numpy functions against TensorFlow;
- ``gradient_flow``  – notebook 3, the deep network and its gradient norms.
"""
