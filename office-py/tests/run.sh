#!/usr/bin/env bash
# Builds the office wheel the way users install it (`pip install ./office-py`, maturin as
# the PEP 517 backend), installs it into a fresh virtual environment, checks the
# hand-written stub against the built module, and runs pytest against the installed
# package. Jobs run with OFFICE_PYTHON (the runtime with pandas; `make setup` makes it).
#
# The wheel is built with the dev profile and the workspace's target dir, so CI reuses
# what `cargo test` compiled; set OFFICE_PY_PROFILE=release for a release build.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
: "${OFFICE_PYTHON:?set OFFICE_PYTHON to the job runtime interpreter (make setup makes .venv/bin/python)}"
export OFFICE_PYTHON
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
python="${PYTHON:-python3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Made anew each run, at a fixed path: the path is the interpreter maturin hands to pyo3's
# build script, and a new path each time would rebuild pyo3 and the module from scratch.
venv="$CARGO_TARGET_DIR/office-py-test-venv"
rm -rf "$venv"

start=$(date +%s)
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest mypy
MATURIN_PEP517_ARGS="--profile ${OFFICE_PY_PROFILE:-dev}" \
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here"
echo "office-py: fresh venv with the wheel in $(( $(date +%s) - start )) s ($("$venv/bin/python" --version))"

# The stub must match the module that was built (run from elsewhere, so the source tree
# cannot shadow the installed package).
(cd "$work" && "$venv/bin/python" -m mypy.stubtest office._office)
(cd "$work" && "$venv/bin/python" -m mypy --strict --no-error-summary "$here/tests/typing_check.py")

cd "$here/tests"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
