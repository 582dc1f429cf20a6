#!/usr/bin/env bash
# Build the Lambda bundle and the CloudFormation template, offline, without AWS credentials:
#   1. the serverless CLI (osls, the open-source fork of serverless v3) into .tools/node;
#   2. the Python dependencies vendored by pip for the Lambda platform (arm64, CPython 3.12,
#      manylinux wheels only: no Docker, no compiler), trimmed, zipped with bot/ handlers/ rag/
#      into .build/gencode-lambda.zip (serverless.yml's package.artifact);
#   3. `serverless package` -> .serverless/cloudformation-template-update-stack.json;
#   4. cfn-lint on that template;
#   5. a smoke test: the same versions (.build/constraints.txt, pinned from step 2's
#      resolution) installed for this machine by the runtime's CPython 3.12, cold-start the
#      handler with nothing but that bundle on sys.path (SMOKE=0 skips it).
# Then deploy with:  .tools/node/node_modules/.bin/osls deploy --stage STAGE --region REGION
# Arguments are passed to `serverless package` (e.g. --stage prod --region ap-northeast-2).
# Env: ARCH=arm64|x86_64 (must match serverless.yml's provider.architecture), SMOKE=0|1,
#      LAMBDA_PYTHON_BIN=path of a CPython 3.12 (found as python3.12 on PATH or via pyenv):
#      it precompiles the bundle, which saves about 2 s of every cold start, and runs the
#      smoke test (which needs it: a 3.11 cannot load the 3.12 extension modules).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${ARCH:-arm64}
LAMBDA_PYTHON=3.12        # serverless.yml: provider.runtime python3.12 (Amazon Linux 2023)
GLIBC_MAX=34              # Amazon Linux 2023's glibc 2.34: manylinux_2_17 ... manylinux_2_34
OSLS_VERSION=4.3.1
CFN_LINT_VERSION=1.*
PYTHON=${PYTHON:-python3}
case "$ARCH" in
    arm64) WHEEL_ARCH=aarch64 ;;
    x86_64) WHEEL_ARCH=x86_64 ;;
    *) echo "ARCH must be arm64 or x86_64, not $ARCH" >&2; exit 2 ;;
esac
if ! grep -qE "^\s*architecture:\s*$ARCH\b" serverless.yml; then
    echo "serverless.yml's provider.architecture is not $ARCH: change both together" >&2
    exit 2
fi
step() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }
PIP=(--disable-pip-version-check -q)

step "tools: osls $OSLS_VERSION (npm), cfn-lint (PyPI) into .tools/"
if [ "$(.tools/node/node_modules/.bin/osls --version 2>/dev/null | sed -n 's/^osls version: //p')" != "$OSLS_VERSION" ]; then
    mkdir -p .tools/node
    npm install --prefix .tools/node --no-audit --no-fund --silent "osls@$OSLS_VERSION"
fi
if [ ! -x .tools/venv/bin/cfn-lint ]; then
    "$PYTHON" -m venv .tools/venv
    .tools/venv/bin/python -m pip install "${PIP[@]}" --upgrade pip
    .tools/venv/bin/python -m pip install "${PIP[@]}" "cfn-lint==$CFN_LINT_VERSION"
fi
TOOLPY=.tools/venv/bin/python
mapfile -t DEPS < <("$TOOLPY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')

step "vendor ${#DEPS[@]} dependencies for Lambda: $ARCH, CPython $LAMBDA_PYTHON"
PLATFORMS=(--platform "manylinux2014_$WHEEL_ARCH")
for minor in $(seq 17 "$GLIBC_MAX"); do PLATFORMS+=(--platform "manylinux_2_${minor}_$WHEEL_ARCH"); done
rm -rf .build/site && mkdir -p .build
"$TOOLPY" -m pip install "${PIP[@]}" --no-compile --target .build/site \
    "${PLATFORMS[@]}" --implementation cp --python-version "$LAMBDA_PYTHON" \
    --abi "cp${LAMBDA_PYTHON/./}" --only-binary=:all: "${DEPS[@]}"
# What was resolved, pinned: the smoke bundle is installed with exactly these versions.
"$TOOLPY" scripts/lambda_bundle.py pins --site .build/site > .build/constraints.txt

step "trim, precompile and zip"
runs() { [ -n "$1" ] && "$1" -c '' 2>/dev/null; }
if ! runs "${LAMBDA_PYTHON_BIN:-}"; then
    LAMBDA_PYTHON_BIN=$(command -v "python$LAMBDA_PYTHON" || true)
    if ! runs "$LAMBDA_PYTHON_BIN" && command -v pyenv >/dev/null; then  # a shim may not run
        LAMBDA_PYTHON_BIN="$(pyenv prefix "$LAMBDA_PYTHON" 2>/dev/null || true)/bin/python$LAMBDA_PYTHON"
    fi
    runs "$LAMBDA_PYTHON_BIN" || LAMBDA_PYTHON_BIN=
fi
if [ -z "$LAMBDA_PYTHON_BIN" ] && [ "${SMOKE:-1}" = 1 ]; then
    echo "ERROR: the smoke test runs under CPython $LAMBDA_PYTHON, the runtime's version, and" \
        "none was found: install one (pyenv install $LAMBDA_PYTHON), set LAMBDA_PYTHON_BIN," \
        "or skip the smoke test with SMOKE=0" >&2
    exit 1
fi
COMPILE=()
if [ -n "$LAMBDA_PYTHON_BIN" ]; then
    COMPILE=(--compile-with "$LAMBDA_PYTHON_BIN" --expect-python "$LAMBDA_PYTHON")
fi
"$TOOLPY" scripts/lambda_bundle.py build --site .build/site --out .build/gencode-lambda.zip "${COMPILE[@]}"

step "serverless package $*"
rm -rf .serverless
.tools/node/node_modules/.bin/osls package "$@" 2>&1 | grep -vE 'NodeVersionSupportWarning|node >=22|first week of January|continue receiving|a\.co/|trace-warnings|^$' || true
TEMPLATE=.serverless/cloudformation-template-update-stack.json
[ -f "$TEMPLATE" ] || { echo "serverless package wrote no template" >&2; exit 1; }

"$TOOLPY" - "$TEMPLATE" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
url = t["Resources"]["SlackLambdaFunction"]["Properties"]["Environment"]["Variables"]["OPENSEARCH_URL"]
creates = t["Conditions"]["CreateOpenSearchDomain"]["Fn::Equals"] == ["true", "true"]
if not creates and not url["Fn::If"][2]:
    print("WARNING: no OpenSearch: pass --param=opensearchUrl=https://... (or "
          "--param=createOpenSearchDomain=true) to deploy, or the function cannot start")
PY

step "cfn-lint $TEMPLATE"
# W3005: serverless' own HTTP API routes carry a redundant DependsOn. W8003: the conditions
# compare values serverless resolved at package time (params), so they are static by design.
.tools/venv/bin/cfn-lint --ignore-checks W3005 W8003 -- "$TEMPLATE"
echo "cfn-lint: no errors"

if [ "${SMOKE:-1}" = 1 ]; then
    step "smoke: the deployed versions for this machine ($(uname -m), CPython $LAMBDA_PYTHON), cold start from the bundle alone"
    # Installed by the 3.12 itself, so wheels and markers are resolved for 3.12 on this
    # machine; -c pins every distribution to the version vendored for the Lambda above.
    rm -rf .build/smoke-site
    "$LAMBDA_PYTHON_BIN" -m pip install "${PIP[@]}" --no-compile --target .build/smoke-site \
        --only-binary=:all: -c .build/constraints.txt "${DEPS[@]}"
    "$TOOLPY" scripts/lambda_bundle.py build --site .build/smoke-site --out .build/smoke.zip \
        --compile-with "$LAMBDA_PYTHON_BIN" --expect-python "$LAMBDA_PYTHON" | tail -1
    "$TOOLPY" scripts/lambda_bundle.py smoke --bundle .build/smoke.zip --template "$TEMPLATE" \
        --python "$LAMBDA_PYTHON_BIN" --expect-python "$LAMBDA_PYTHON" \
        --deployed .build/gencode-lambda.zip
fi
step "done: deploy with .tools/node/node_modules/.bin/osls deploy $* (infra/README.md)"
