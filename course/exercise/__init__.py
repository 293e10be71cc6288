"""The exercise: its constants (``constants``), its given values, per student when the
course turns that on (``values``), their tables in notebook 1 (``display``), and the
deep network notebook 3 starts from (``networks``)."""
