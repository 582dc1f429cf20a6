#!/usr/bin/env bash
# Create .venv (if needed) and install gencode into it. Extra pip arguments select extras,
# e.g. scripts/setup.sh '.[dev]'. Needs Python 3.11+ and access to PyPI, nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"gencode needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}. Set PYTHON=python3.11.")
PY
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e "${1:-.}"
