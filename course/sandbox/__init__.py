"""The grading sandbox: what a grading kernel may see (``bubblewrap``), the kernels nbgrader
grades with (``kernels``: sandboxed, and taken from ``pool`` when warm), the fork server
that keeps them warm (``zygote``), the launcher that starts one inside the sandbox
(``launcher``) and the grader's watch on what a kernel writes to the disk (``disk_watch``)."""
