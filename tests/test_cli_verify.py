"""`gencode ask` prints the verification line; `gencode stats` reports the verdict shares."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.bedrock_server import BedrockServer, Recorded

pytestmark = pytest.mark.usefixtures("aws_env")

CODE = "def upload_with_retry(path, attempts=3):\n    '''Upload to S3.'''\n    return path\n"
BAD = "Call [1]:\n\n```python\nupload_with_retry('report.csv', 3, True)\n```\n"
GOOD = "Call [1]:\n\n```python\nupload_with_retry('report.csv', attempts=3)\n```\n"


def test_ask_prints_the_verification_line_and_stats_report_shares(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    def reply(r: Recorded) -> str:
        if "summar" in r.system_text.lower():
            return "Uploads a file with retries.\n재시도하며 파일을 올립니다."
        if "checked automatically" in r.last_user_text:
            return GOOD  # the repair request
        return GOOD if "good" in r.last_user_text else BAD

    bedrock_server.reply = reply
    code = tmp_path / "repo" / "storage.py"
    code.parent.mkdir()
    code.write_text(CODE)
    env = {
        "GENCODE_LLM": "bedrock",
        "BEDROCK_REGIONS": "us-east-1",
        "BEDROCK_ENDPOINT_URL": bedrock_server.url,
        "GENCODE_HOME": str(tmp_path / "home"),
    }
    runner = CliRunner()
    runner.invoke(cli, ["index", str(code.parent)], env=env, catch_exceptions=False)

    repaired = runner.invoke(cli, ["ask", "upload a report"], env=env, catch_exceptions=False)
    first_try = runner.invoke(cli, ["ask", "good upload"], env=env, catch_exceptions=False)
    stats = runner.invoke(cli, ["stats"], env=env, catch_exceptions=False)

    assert "🔧 The first draft failed its checks" in repaired.stderr
    assert (
        "🔧 Repaired once after the checks caught: `upload_with_retry()` takes 1–2 positional "
        "arguments, 3 given (line 1). Now ✅ parses · names resolve · 1 call match your team's "
        "functions"
    ) in repaired.stdout
    assert "✅ parses · names resolve · 1 call match your team's functions" in first_try.stdout
    assert len(bedrock_server.calls("converse-stream")) == 3
    assert "answers:   2 (2 with checked code, 0 not checked)" in stats.stdout
    assert "verified first try: 1 (50%)" in stats.stdout
    assert "repaired:           1 (50%)" in stats.stdout
    assert "still failing:      0 (0%)" in stats.stdout


def test_extractive_ask_says_nothing_was_checked(tmp_path: Path) -> None:
    code = tmp_path / "repo" / "storage.py"
    code.parent.mkdir()
    code.write_text(CODE)
    env = {"GENCODE_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    runner.invoke(cli, ["index", str(code.parent)], env=env, catch_exceptions=False)
    asked = runner.invoke(cli, ["ask", "S3에 업로드"], env=env, catch_exceptions=False)
    stats = runner.invoke(cli, ["stats"], env=env, catch_exceptions=False)
    assert "모델이 쓴 코드가 아니므로 검사하지 않았습니다" in asked.stdout
    assert "answers:   1 (1 not checked: extractive or no code)" in stats.stdout
