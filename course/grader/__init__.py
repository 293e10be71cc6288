"""The grader: judges what the grading kernel reported, in the nbgrader process.

Nothing here is importable in a grading kernel (the sandbox does not show it) or
installed where students work.

- ``declarations`` – the checks a test cell declares, read from its source;
- ``hidden_inputs`` – the course's grading key and the hidden seeds drawn from it;
- ``reference``    – reference implementations a check is recorded on (never a verdict);
- ``replay``       – a check's calls: recorded on the reference, answered from the report;
- ``judges``       – which judge decides each check;
- ``judging``      – the nbgrader preprocessors: a test cell reports, the grader judges.
"""
