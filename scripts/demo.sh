#!/usr/bin/env bash
# The embedded default, end to end, with no account: index real Python code (the Slack SDK's
# synchronous Web API client, installed as a dependency), then answer one English and one
# Korean question. The async and legacy copies of the client are left out: they repeat it,
# and with e5 (the default where it runs) they would double the demo's indexing time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh .
export GENCODE_HOME=${GENCODE_HOME:-$PWD/.demo-home}
WEB=$(.venv/bin/python -c 'import os, slack_sdk.web; print(os.path.dirname(slack_sdk.web.__file__))')
set -x
.venv/bin/gencode index "$WEB/client.py" "$WEB/base_client.py" "$WEB/internal_utils.py" \
    "$WEB/slack_response.py" "$WEB/chat_stream.py"
.venv/bin/gencode search "upload a file to a channel" -k 5
.venv/bin/gencode ask "How do I post a message to a channel and retry when rate limited?"
.venv/bin/gencode ask "채널에 파일을 업로드하는 코드를 만들어 줘"
.venv/bin/gencode stats
