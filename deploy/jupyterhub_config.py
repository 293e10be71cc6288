"""JupyterHub configuration for the Backprop by Hand course (nbgrader's multi-user setup).

Use it as the hub's configuration (``jupyterhub -f deploy/jupyterhub_config.py``), load it
from a site configuration (``load_subconfig(...)``, as ``make hub`` does), drop it into
The Littlest JupyterHub's ``/opt/tljh/config/jupyterhub_config.d/``, or paste it into Zero
to JupyterHub's ``hub.extraConfig``.  It sets only what the course needs; the
authenticator, ports, TLS and the spawner of an existing site stay the site's.

- **Groups**, which nbgrader's ``JupyterHubAuthPlugin`` reads: ``nbgrader-<course>`` holds
  everyone who takes the course (its instructors too), ``formgrade-<course>`` its graders.
  Members come from a roster, JSON ``{"instructors": [...], "students": [...], "others": [...]}``
  ("others" may log in to the hub but take no course).  An entry is a user name or an
  object with ``"id"`` (the user name) and any of nbgrader's student columns
  (``first_name``, ``last_name``, ``email``); names reach formgrader through the gradebook
  (``nbgrader db student import``, deploy/README.md), which the hub does not touch.
- **Servers** run the environment built by ``make hub-env`` (or an image with the same
  packages).  Its ``etc/backprop-by-hand/common`` folder carries nbgrader's global
  settings (JupyterHubAuthPlugin, the exchange with the course in its path); students
  also get ``student/``, which switches formgrader and the course list off, on the server
  and in JupyterLab.  Instructors start in their course root (a clone of this repository),
  whose ``nbgrader_config.py`` goes on their config path, and are the only ones given the
  gradebook URL.  Their server process (and so a new terminal) also starts there.
- **Idle servers are stopped** by jupyterhub-idle-culler, a hub service, after
  ``BPH_IDLE_TIMEOUT`` seconds without activity (deploy/README.md, capacity, says what a student's
  server holds).  Files stay; the next visit starts the server again.

Settings, from the hub's environment:

=======================  ===============================================  ================================
``BPH_COURSE_ID``        the nbgrader course id                           ``backprop-by-hand``
``BPH_ROSTER``           roster JSON (read when the hub starts)           ``/etc/backprop-by-hand/roster.json``
``BPH_USER_ENV``         environment the servers run (``make hub-env``)    this hub's own environment
``BPH_EXCHANGE``         exchange root, mode 1777, seen by every server   ``/srv/nbgrader/exchange``
``BPH_GRADEBOOK_URL``    gradebook given to instructors' servers only     unset: SQLite in the course root
``BPH_INSTRUCTOR_ROOT``  an instructor's course root (``~`` = their home)  ``~/<course id>``
``BPH_UNIX_NAME``        Unix account of hub user ``{username}``          ``{username}`` (TLJH: ``jupyter-{username}``)
``BPH_IDLE_TIMEOUT``     seconds idle before a server is stopped; ``0``:  ``3600``
                         no culler (TLJH and Zero to JupyterHub have
                         their own: set theirs instead)
``BPH_CULL_EVERY``       seconds between the culler's checks              ``min(300, timeout / 2)``
=======================  ===============================================  ================================

Per-student values for notebook 1 (off by default) are switched on with the course's own
variables, ``COURSE_PER_STUDENT_VALUES=1`` and ``COURSE_VALUES_SALT``, set in the hub's
environment: every server gets both, students' to show each their own values, the
instructors' to grade against them.  The hub sets ``JUPYTERHUB_USER``, which is the
identity the notebook shows values for.  A table pinning a student's values
(``c.PerStudentValues.overrides``) belongs in ``etc/backprop-by-hand/common/nbgrader_config.py``
of the servers' environment, which students and instructors both read; in the course
root's ``nbgrader_config.py`` it would apply to grading only.
"""

import importlib.util
import json
import os
import pwd
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file

COURSE = os.environ.get("BPH_COURSE_ID", "backprop-by-hand")
ROSTER = Path(os.environ.get("BPH_ROSTER", "/etc/backprop-by-hand/roster.json"))
USER_ENV = Path(os.environ.get("BPH_USER_ENV", sys.prefix))
EXCHANGE = os.environ.get("BPH_EXCHANGE", "/srv/nbgrader/exchange")
GRADEBOOK_URL = os.environ.get("BPH_GRADEBOOK_URL", "")
INSTRUCTOR_ROOT = os.environ.get("BPH_INSTRUCTOR_ROOT", f"~/{COURSE}")
UNIX_NAME = os.environ.get("BPH_UNIX_NAME", "{username}")
IDLE_TIMEOUT = int(os.environ.get("BPH_IDLE_TIMEOUT", "3600"))
CULL_EVERY = int(os.environ.get("BPH_CULL_EVERY", "0")) or max(1, min(300, IDLE_TIMEOUT // 2))

# The course's per-student values switch and salt (course/exercise/values.py), passed on unchanged.
PER_STUDENT_VALUES = {name: os.environ[name] for name in ("COURSE_PER_STUDENT_VALUES", "COURSE_VALUES_SALT")
                      if name in os.environ}

STUDENTS_GROUP = f"nbgrader-{COURSE}"
GRADERS_GROUP = f"formgrade-{COURSE}"
ROLE_CONFIG = USER_ENV / "etc" / "backprop-by-hand"



def user_names(entries: list) -> list[str]:
    """The user names of a roster list, whose entries are names or objects with an ``"id"``."""
    return [entry["id"] if isinstance(entry, dict) else entry for entry in entries]


roster = json.loads(ROSTER.read_text())
instructors = user_names(roster.get("instructors", []))
students = user_names(roster.get("students", []))

# --- who may log in, and who is in the course ---------------------------------------------
c.Authenticator.allowed_users = set(instructors + students + user_names(roster.get("others", [])))
c.JupyterHub.load_groups = {
    STUDENTS_GROUP: {"users": instructors + students},
    GRADERS_GROUP: {"users": instructors},
}
# nbgrader's JupyterHubAuthPlugin reads the user's groups with the server's own token.
# The hub's default `server` role is enough (every token may read its owner's name and
# groups); nbgrader's demos widen it to `inherit`, which this course does not need.

# --- each user's server ---------------------------------------------------------------------
if "spawner_class" not in c.JupyterHub:
    # A plain host: each server is a process of its user's own Unix account (setuid).
    # TLJH (SystemdSpawner) and Zero to JupyterHub (KubeSpawner) keep theirs.
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(USER_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
# Jupyter servers import a lot at start; a busy small host needs more than the default.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment.update({
    # nbgrader runs `alembic` and the kernel from PATH: the environment's bin/ first.
    "PATH": f"{USER_ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "NBGRADER_EXCHANGE": EXCHANGE,
    "NBGRADER_COURSE_ID": COURSE,
    # TensorFlow's C++ logging goes to stderr, which would zero a graded test cell
    # (the values of course/kernel/environment.py's QUIET_TENSORFLOW; a test keeps them equal).
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    # Students must see the values they are graded against: both roles get the same switch.
    **PER_STUDENT_VALUES,
})


def instructor_root(username: str) -> str | None:
    """An instructor's course root, or None when it is known not to exist (no clone yet).

    ``~`` is resolved through the hub host's account database when the account is local
    (plain hosts, TLJH); otherwise (Kubernetes) the path is taken as it is.
    """
    if not INSTRUCTOR_ROOT.startswith("~"):
        return INSTRUCTOR_ROOT
    try:
        home = pwd.getpwnam(UNIX_NAME.format(username=username)).pw_dir
    except KeyError:
        return None
    root = home + INSTRUCTOR_ROOT[1:]
    return root if Path(root).is_dir() else None


def settings_for_role(spawner) -> None:
    """Per-user settings: students lose the grading tools, instructors get the course and gradebook."""
    grader = any(group.name == GRADERS_GROUP for group in spawner.user.groups)
    config_path = [ROLE_CONFIG / "common"] if grader else [ROLE_CONFIG / "student", ROLE_CONFIG / "common"]
    environment = dict(spawner.environment)  # a copy: the configured dict is shared by all spawners
    if grader:
        root = instructor_root(spawner.user.name)
        if root:
            # The server starts in the course root, and nbgrader (formgrader included) finds the
            # course's nbgrader_config.py on the config path, whatever the working directory.
            spawner.notebook_dir = root
            config_path.insert(0, Path(root))
            # The server process itself starts there too: a terminal opens in the server's
            # working directory (the spawner's is the home), so `make report` works at once.
            spawner.cmd = ["env", f"--chdir={root}", *spawner.cmd]
        if GRADEBOOK_URL:
            environment["NBGRADER_DB_URL"] = GRADEBOOK_URL
        # `make autograde` etc. in the course root use the shared environment, not a .venv.
        environment["VENV"] = str(USER_ENV)
    environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(str(path) for path in config_path)
    spawner.environment = environment


c.Spawner.pre_spawn_hook = settings_for_role


# --- stopping idle servers -------------------------------------------------------------------
# jupyterhub-idle-culler asks the hub for each server's last activity and stops the servers
# idle for longer than the timeout (their files stay; the next visit starts them again).
if IDLE_TIMEOUT > 0:
    if importlib.util.find_spec("jupyterhub_idle_culler") is None:
        raise RuntimeError("BPH_IDLE_TIMEOUT is set but jupyterhub-idle-culler is not installed in the "
                           "hub's environment (pip install jupyterhub-idle-culler, or BPH_IDLE_TIMEOUT=0)")
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={IDLE_TIMEOUT}", f"--cull-every={CULL_EVERY}"],
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    })
