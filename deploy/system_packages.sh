#!/usr/bin/env bash
# The Debian packages a target needs besides Python and make: `bash deploy/system_packages.sh test|hub`.
#
#   test  `make test`: Chromium (browser tests), bubblewrap (the grading sandbox), PostgreSQL's
#         server binaries (each run starts its own cluster), venv; as root also what the
#         JupyterHub test needs (it runs only as root): nodejs/npm, passwd (newusers, userdel).
#   hub   `make hub-env` / `make hub`: nodejs/npm (configurable-http-proxy), passwd, bubblewrap, venv.
#
# Run as root, it installs whatever is missing with apt-get; otherwise it names the missing
# packages, says how to install them, and fails.
set -euo pipefail

target=${1:?usage: system_packages.sh test|hub}
missing=()
need() {  # need PACKAGE... unless the check that follows succeeds
  local packages=()
  while [[ $1 != -- ]]; do packages+=("$1"); shift; done
  shift
  "$@" >/dev/null 2>&1 || missing+=("${packages[@]}")
}
has_initdb() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

need python3-venv -- python3 -c "import ensurepip, venv"
need bubblewrap -- command -v bwrap
if [[ $target == test ]]; then
  need chromium fonts-dejavu-core -- command -v chromium
  need postgresql -- has_initdb
fi
if [[ $target == hub || $EUID -eq 0 ]]; then
  need nodejs npm -- command -v npm
  need passwd -- command -v newusers
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian packages for \`make $target\`: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
{  # builtins only: this runs on a machine that may lack more than these packages
  echo "\`make $target\` needs these Debian packages, which are missing: ${missing[*]}"
  echo "Install them, then run it again:"
  echo
  echo "    sudo apt-get install ${missing[*]}"
  echo
  echo "(run as root, \`make $target\` installs them itself)"
} >&2
exit 1
