"""The course's grading key, and the hidden inputs drawn from it.

Hidden tests draw their inputs from a seed.  A seed written in the notebooks or in the
course's code could be read by students in advance; here each seed is

    HMAC-SHA256(key = the course's grading key,
                message = course, assignment, notebook, student, stream)

where the *stream* names the check and the seed the instructor wrote (cells that share a
declared seed share the drawn inputs).  The grading key is 32 random bytes kept beside
the gradebook, readable by the grader only: ``<course root>/.grading-key`` (mode 0600,
made on first use), or the file ``COURSE_GRADING_KEY_FILE`` names.  The same key gives
a regrade the same inputs, so the same submission gets the same score.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

__all__ = ["KEY_FILE_NAME", "key_path", "grading_key", "hidden_seed"]

KEY_FILE_NAME = ".grading-key"


def key_path(course_root: str | os.PathLike) -> Path:
    """Where the course's grading key lives (``COURSE_GRADING_KEY_FILE`` overrides)."""
    configured = os.environ.get("COURSE_GRADING_KEY_FILE")
    return Path(configured) if configured else Path(course_root) / KEY_FILE_NAME


def grading_key(path: str | os.PathLike) -> bytes:
    """The key in ``path``, made (atomically, mode 0600) when there is none yet.

    Two graders starting at once (``make autograde JOBS=n``) agree: the key is written to a
    temporary file and linked into place, and whoever loses the race reads the winner's.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"{path}: the grading key is too short; delete it to make a new one "
                         "(scores of hidden tests may then change on a regrade)")
    return text.encode()


def hidden_seed(key: bytes, *, course: str, assignment: str, notebook: str, student: str, stream: str) -> int:
    """A seed in [0, 2**31) for one stream of hidden inputs of one student's notebook."""
    message = "\x1f".join((course, assignment, notebook, student, stream)).encode("utf-8")
    return int.from_bytes(hmac.new(key, message, hashlib.sha256).digest()[:8], "big") % (2 ** 31)
