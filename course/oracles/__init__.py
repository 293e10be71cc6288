"""Independent reference gradients the hidden tests compare student code against.

``two_layer`` — the 1-1-1 sigmoid network of notebooks 1 and 2;
``deep``      — the deep network of notebook 3.
Each offers a ``tf.GradientTape`` oracle (float64, the exact BCE formula) and, where
precision matters, a float64 central difference.  None of it is a manual backward pass.
"""
