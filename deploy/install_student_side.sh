#!/usr/bin/env bash
# Install the student side of the course package into a Python environment:
#   bash deploy/install_student_side.sh /path/to/env/bin/python
#   bash deploy/install_student_side.sh --list      (the files it installs)
#
# Students' servers (a hub's shared environment, TLJH's user environment, a Kubernetes
# image) import only what a student's notebook needs: the parts the grading sandbox shows
# a kernel, course/sandbox/bubblewrap.py's STUDENT_SIDE.  The checks, oracles, grader and
# instructor tools are not installed there; instructors grade from their course root,
# whose full package nbgrader_config.py puts first on the path.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t parts < <(python3 - <<'PY'
import ast
tree = ast.parse(open("course/sandbox/bubblewrap.py").read())
names = next(ast.literal_eval(node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "STUDENT_SIDE")
print("\n".join(f"course/{name}" for name in names))
PY
)
if [[ "${1:-}" == "--list" ]]; then
  find "${parts[@]}" -type f -not -path '*/__pycache__/*' | sort
  exit 0
fi
python=${1:?usage: install_student_side.sh PYTHON | --list}
build=$(mktemp -d)   # a copy, so the checkout gets no build/ or egg-info folders
trap 'rm -rf "$build"' EXIT

cp pyproject.toml "$build/"
for part in "${parts[@]}"; do cp -r --parents "$part" "$build/"; done
find "$build/course" -name __pycache__ -prune -exec rm -rf {} +
"$python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  --force-reinstall "$build"
