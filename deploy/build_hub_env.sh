#!/usr/bin/env bash
# Build (or reuse) the environment that JupyterHub and every user's server run: `make hub-env`.
#
# It must be readable by every account the hub spawns, so it is made from the system
# Python (not a Python under /root) in a world-readable folder.  It holds:
#   - the pinned requirements (requirements.txt + requirements.lock), jupyterhub included;
#   - the student side of the course package, installed as a copy (not editable: users cannot
#     read the checkout; no checks, oracles or grader: those stay in the instructor's course root);
#   - configurable-http-proxy from npm, in node/;
#   - the per-role Jupyter configuration from deploy/jupyter/ in etc/backprop-by-hand/.
# Each part is rebuilt only when its inputs change (a content hash per part), so CI
# builds the environment once per machine and a fresh clone reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."

HUB_ENV=${HUB_ENV:-/opt/backprop-by-hand/hub-env}
HUB_PYTHON=${HUB_PYTHON:-/usr/bin/python3}
CHP_VERSION=5.3.0
# Lock pins whose releases need a newer Python than Debian 12's 3.11.2 (soupsieve 3.0.2+
# requires 3.11.5): left to pip, within what requirements.txt's packages accept.
UNPINNED_FOR_SYSTEM_PYTHON="soupsieve"
umask 022

content_key() {  # sha256 of the listed files' names and contents
  for file in "$@"; do printf '%s\n' "$file"; cat "$file"; done | sha256sum | cut -c1-16
}
up_to_date() {  # up_to_date NAME KEY: the part NAME was built from inputs with this KEY
  [[ -f "$HUB_ENV/.built-$1" && "$(cat "$HUB_ENV/.built-$1")" == "$2" ]]
}

mkdir -p "$(dirname "$HUB_ENV")"
chmod a+rx "$(dirname "$HUB_ENV")"
exec 9>"$HUB_ENV.lock"
flock 9  # two builds at once would interleave pip runs

requirements_key=$(content_key requirements.txt requirements.lock <(echo "$CHP_VERSION $HUB_PYTHON"))
if ! up_to_date requirements "$requirements_key"; then
  echo "hub-env: installing the pinned requirements into $HUB_ENV"
  [[ -x "$HUB_ENV/bin/python" ]] || "$HUB_PYTHON" -m venv "$HUB_ENV"
  constraints=$(mktemp)
  grep -v -i -E "^($(tr ' ' '|' <<<"$UNPINNED_FOR_SYSTEM_PYTHON"))==" requirements.lock >"$constraints"
  "$HUB_ENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -c "$constraints"
  rm -f "$constraints"
  "$HUB_ENV/bin/jupyter" server extension enable --sys-prefix --py nbgrader >/dev/null 2>&1
  npm install --silent --no-audit --no-fund --prefix "$HUB_ENV/node" \
    "configurable-http-proxy@$CHP_VERSION" >/dev/null
  echo "$requirements_key" >"$HUB_ENV/.built-requirements"
fi

# Students' servers get the student side of the course package only
# (deploy/install_student_side.sh): no check, oracle, answer or grader.
mapfile -t course_files < <(bash deploy/install_student_side.sh --list; echo pyproject.toml)
course_key=$(content_key "${course_files[@]}")
if ! up_to_date course "$course_key"; then
  echo "hub-env: installing the student side of the course package into $HUB_ENV"
  bash deploy/install_student_side.sh "$HUB_ENV/bin/python"
  echo "$course_key" >"$HUB_ENV/.built-course"
fi

# The role configuration is small: copied every time.  Everyone also gets the JupyterLab
# settings `make lab` uses (etc/jupyter: no news pop-up, no update check).
rm -rf "$HUB_ENV/etc/backprop-by-hand"
mkdir -p "$HUB_ENV/etc"
cp -r deploy/jupyter "$HUB_ENV/etc/backprop-by-hand"
cp -r etc/jupyter/. "$HUB_ENV/etc/backprop-by-hand/common/"
chmod -R a+rX "$HUB_ENV/etc/backprop-by-hand"
echo "hub-env: ready in $HUB_ENV ($("$HUB_ENV/bin/jupyterhub" --version | tail -1) + configurable-http-proxy $CHP_VERSION)"
