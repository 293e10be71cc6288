"""The checks: one result type, visible checks against the grader's judges, the kernel side, pristine builtins."""
