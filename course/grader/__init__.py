"""The grader: the nbgrader process's side of grading, in pipeline order.

Nothing here is importable in a grading kernel (the sandbox does not show it) or
installed where students work.  The autograde pipeline (``nbgrader_config.py``):

- ``submissions``  – broken submissions are repaired or graded as blank, with a note;
- ``own_values``   – notebook 1 is graded with the student's own given values;
- ``gradebook``    – nbgrader's gradebook steps, each reading the gradebook once a notebook;
- ``judging``      – before the kernel runs, each test cell only reports; after, the grader
  judges every report and writes the outcome;
- ``outputs``      – short test errors, no hidden test line in any output, long outputs cut;
- ``integrity_notes`` – the integrity scan's notes for the teaching assistant;
- ``feedback_page`` – how the feedback HTML looks.

What judging uses:

- ``declarations`` – the checks a test cell declares, read from its source;
- ``hidden_inputs`` – the course's grading key and the hidden seeds drawn from it;
- ``reference``    – reference implementations a check is recorded on (never a verdict);
- ``replay``       – a check's calls: recorded on the reference, answered from the report;
- ``judges``       – which judge decides each check;
- ``integrity``    – the static scan of student code (notes only);
- ``cell_source``  – a cell's source as the kernel runs it (IPython syntax, bindings);
- ``cells``        – what role a notebook cell plays for nbgrader (its metadata).
"""
