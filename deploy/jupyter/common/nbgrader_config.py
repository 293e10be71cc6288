"""nbgrader settings every user of the hub shares (students and instructors alike).

The hub puts this folder on each server's JUPYTER_CONFIG_PATH.  A course root's own
nbgrader_config.py (the instructor's) is read after it and may add to it.
"""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

# Which courses a user takes comes from the hub's groups: nbgrader-<course> (students)
# and formgrade-<course> (graders); a user in neither sees no course at all.
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"

# One exchange for every course on the hub, each course in a folder of its own.  The
# root must exist, writable by all with the sticky bit (install -d -m 1777 ROOT).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True

# Validate (the button) says a submission made after the notebook's due date will be late;
# the due date travels in the released notebook (course/kernel/due_date.py, student side).
from course.kernel.due_date import warn_if_late  # noqa: E402

c.Execute.on_notebook_start = warn_if_late
