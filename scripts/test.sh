#!/usr/bin/env bash
# Set up .venv with the dev tools and run every check CI runs: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh '.[dev]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
