"""What runs in a student's kernel, and in the grading kernel.

Nothing here judges an answer or knows one: the grading kernel only *reports* what the
student's answers and functions give (:mod:`course.kernel.report`), and the grader
judges that report outside the kernel (:mod:`course.grader`).  The grading sandbox
shows a kernel this package and the other student-side modules only
(:data:`course.grading_sandbox.STUDENT_SIDE`).

- ``report`` – runs the grader's plan for a test cell and publishes what came back;
- ``codec``  – values in a report, as exact JSON and back.
"""
