"""Notebook 3 with a real notebook's header cells, otherwise the course's own solution.

Imitates: the first cells students copy into every notebook: ``%matplotlib inline``,
``%load_ext autoreload`` and ``%autoreload 2``, a random seed, print options and a
silenced warnings filter — plus ``np.seterr`` to quieten overflow messages.  Written for
this course.
"""
# %% [new cell at top]
# %matplotlib inline
# %load_ext autoreload
# %autoreload 2
import warnings

import numpy as np

warnings.filterwarnings("ignore")
np.random.seed(42)
np.set_printoptions(precision=4, suppress=True)
np.seterr(over="ignore")

# %% [new cell after deep_backward_code]
# a quick look at my own gradients before the tests
from course.exercise.networks import init_params as make_params

my_params = make_params([3, 4, 1], seed=1)
my_zs, my_acts = deep_forward(np.ones(3), my_params)
print([dW.shape for dW, _ in deep_backward(1.0, my_zs, my_acts, my_params)])
