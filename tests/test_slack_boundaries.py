"""Package boundaries, entry points and secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bot.cli import cli
from bot.logs import RedactTokens, redact
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Slack

ROOT = Path(__file__).resolve().parent.parent


class TestSlackBoundaries:
    def test_rag_never_imports_slack(self) -> None:
        code = (
            "import pkgutil, importlib, sys, rag\n"
            "for m in pkgutil.walk_packages(rag.__path__, 'rag.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('slack_bolt', 'slack_sdk', 'handlers', 'bot'))]\n"
            "print(bad)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]"
        for path in (ROOT / "rag").rglob("*.py"):
            text = path.read_text()
            assert "slack_bolt" not in text and "slack_sdk" not in text, path

    def test_handlers_use_only_rags_public_api(self) -> None:
        for path in (ROOT / "handlers").glob("*.py"):
            for line in path.read_text().splitlines():
                if line.startswith(("from rag", "import rag")):
                    assert line.startswith("from rag import"), (path, line)

    def test_tokens_are_redacted_from_logs(self) -> None:
        assert (
            redact("token xoxb-123-abc and xapp-1-X") == "token xoxb-(redacted) and xapp-(redacted)"
        )
        record = logging.LogRecord("x", logging.INFO, "f", 1, "sent %s", ("xoxb-1-2",), None)
        RedactTokens().filter(record)
        assert "xoxb-1-2" not in record.getMessage()

    def test_a_full_flow_never_logs_the_token(self, caplog: Any, start_bot: Any) -> None:
        from tests.test_slack_index import share, wait_done

        caplog.set_level(logging.DEBUG)
        bot = start_bot()
        from tests.samples import ORDERS_PY

        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        bot.slack.command("upload with retry")
        bot.api.wait_calls("chat.update", 2)
        assert bot.api.token not in caplog.text

    def test_serve_and_socket_explain_missing_configuration(self, tmp_path: Path) -> None:
        runner = CliRunner()
        env = {"GENCODE_HOME": str(tmp_path)}
        result = runner.invoke(
            cli, ["serve", "--port", "0"], env={**env, "SLACK_BOT_TOKEN": "xoxb-1"}
        )
        assert result.exit_code == 1 and "SLACK_SIGNING_SECRET is not set" in result.output
        result = runner.invoke(cli, ["serve"], env=env)
        assert result.exit_code == 1 and "SLACK_BOT_TOKEN is not set" in result.output
        result = runner.invoke(cli, ["socket"], env={**env, "SLACK_BOT_TOKEN": "xoxb-1"})
        assert result.exit_code == 1 and "SLACK_APP_TOKEN" in result.output

    def test_gencode_serve_runs_a_real_server(self, tmp_path: Path, slack_api: SlackAPI) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GENCODE_"))},
            "GENCODE_HOME": str(tmp_path),
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api.api_url,
        }
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gencode"), "serve", "--port", "0"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            deadline = time.monotonic() + 30
            while "listening on" not in line and time.monotonic() < deadline:
                line = proc.stderr.readline()
            url = line.split("listening on ")[1].strip().removesuffix("/slack/events")
            with urllib.request.urlopen(url + "/healthz", timeout=5) as resp:
                assert json.loads(resp.read()) == {"ok": True}
            reply = Slack(url).command("help")
            assert reply.status == 200 and reply.json()["response_type"] == "ephemeral"
            assert Slack(url, secret="nope").command("help").status == 401
        finally:
            proc.terminate()
            proc.wait(timeout=10)
