#!/usr/bin/env bash
# The embedded default, end to end, with no account: index real Python code (the Slack SDK's
# synchronous Web API client and its retry handlers, installed as a dependency), then answer
# one English and one Korean question about it. The async and legacy copies of the client
# are left out: they repeat it, and with e5 (the default where it runs) they would double
# the demo's indexing time. tests/test_demo.py asks the same questions of the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh .
export GENCODE_HOME=${GENCODE_HOME:-$PWD/.demo-home}
SDK=$(.venv/bin/python -c 'import os, slack_sdk; print(os.path.dirname(slack_sdk.__file__))')
gencode() {  # show each command as you would type it, the SDK's folder shortened
    local shown="" arg
    for arg in "$@"; do
        arg=${arg//$SDK/slack_sdk}
        [[ $arg == *" "* ]] && arg="\"$arg\""
        shown+=" $arg"
    done
    printf '\n$ gencode%s\n' "$shown"
    .venv/bin/gencode "$@"
}
gencode index "$SDK/web/client.py" "$SDK/web/base_client.py" "$SDK/web/internal_utils.py" \
    "$SDK/web/slack_response.py" "$SDK/web/chat_stream.py" "$SDK/http_retry"
gencode search "upload a file to a channel" -k 5
gencode ask "How do I post a message to a channel and retry when rate limited?"
gencode ask "채널에 파일을 업로드하는 코드를 만들어 줘"
gencode stats
