"""The gencode command line, as a person (or a script) would use it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.progress import LineProgress
from tests.bedrock_server import BedrockServer

CODE = '''
def parse_query_string(qs: str) -> dict:
    """Parse a URL query string into a dict."""
    return dict(p.split("=", 1) for p in qs.split("&") if p)


class RetryingUploader:
    async def upload(self, bucket: str, key: str, data: bytes) -> None:
        """Upload bytes to an S3 bucket, retrying on throttling."""
        await self.client.put_object(Bucket=bucket, Key=key, Body=data)
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "web.py").write_text(CODE)
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_index_prints_the_closing_line_and_progress_on_stderr(project: Path) -> None:
    code, out, err = run("index", str(project))
    assert code == 0
    assert (
        out.strip()
        == "indexed 1 file of project: 3 new, 0 unchanged, 0 removed functions; 0 errors"
    )
    assert "indexing" in err
    code, out, _ = run("index", str(project))
    assert (
        out.strip()
        == "indexed 1 file of project: 0 new, 3 unchanged, 0 removed functions; 0 errors"
    )


def test_index_lists_bad_files_and_goes_on(project: Path) -> None:
    (project / "lib" / "bad.py").write_text("def f(:\n")
    (project / "blob.py").write_bytes(b"\x00\x01\x02")
    code, out, err = run("index", str(project), str(project / "nope.py"))
    assert code == 0
    assert (
        out.strip()
        == "indexed 1 file of project: 3 new, 0 unchanged, 0 removed functions; 3 errors"
    )
    assert "error: project/lib/bad.py:1: " in err
    assert "error: project/blob.py: this looks like a binary file" in err
    assert "nope.py: no such file or directory" in err


def test_index_refuses_a_file_over_the_size_limit_without_reading_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENCODE_MAX_FILE_BYTES", "2000")
    (project / "big.py").write_text("x = 1\n" * 500)
    code, out, err = run("index", str(project))
    assert code == 0
    assert (
        out.strip() == "indexed 1 file of project: 3 new, 0 unchanged, 0 removed functions; 1 error"
    )
    assert "big.py: the file is 3,000 bytes, over the 2,000-byte limit" in err


def test_index_of_only_bad_input_fails(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# hi")
    code, _, err = run("index", str(notes))
    assert code == 1
    assert "notes.md: not a Python file" in err


def test_search_json_is_exactly_one_array_of_hits(project: Path) -> None:
    run("index", str(project))
    code, out, _ = run("search", "parse a query string", "-k", "3", "--json")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 3
    assert set(hits[0]) == {
        "repo",
        "path",
        "qualname",
        "kind",
        "start_line",
        "end_line",
        "score",
        "summary",
    }
    assert hits[0]["path"] == "lib/web.py"
    assert hits[0]["repo"] == "project"
    assert hits[0]["qualname"] == "parse_query_string"
    assert hits[0]["kind"] == "function"
    assert (hits[0]["start_line"], hits[0]["end_line"]) == (2, 4)


def test_search_queries_file_prints_one_array_per_line_in_order(
    project: Path, tmp_path: Path
) -> None:
    run("index", str(project))
    queries = tmp_path / "q.txt"
    queries.write_text("upload bytes to s3\n쿼리 문자열 파싱\n", encoding="utf-8")
    code, out, _ = run("search", "--queries", str(queries), "-k", "2")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 2
    assert json.loads(lines[0])[0]["qualname"] == "RetryingUploader.upload"
    assert json.loads(lines[1])[0]["qualname"] == "parse_query_string"


def test_search_for_nothing_is_a_usage_error(project: Path) -> None:
    code, _, err = run("search", "   ")
    assert code == 2
    assert "what code are you looking for" in err


def test_ask_prints_the_answer_and_numbered_references(project: Path) -> None:
    run("index", str(project))
    code, out, _ = run("ask", "how", "do", "I", "upload", "to", "s3?")
    assert code == 0
    assert "not generated" in out
    assert "References:" in out
    assert "[1] project/lib/web.py · RetryingUploader.upload (L8–10)" in out


def test_ask_with_nothing_indexed_says_how_to_index() -> None:
    code, _, err = run("ask", "make an uploader")
    assert code == 1
    assert "No code is indexed for workspace 'local' yet: run `gencode index PATH`" in err
    assert "Share a .py file" not in err  # that is for Slack users
    assert "Traceback" not in err


def test_help_starts_a_newcomer_off() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "gencode index ./src" in out and 'gencode ask "' in out
    assert "...\n" not in out.split("Commands:")[1]  # no command's summary is cut short


def test_stats_reports_the_index(project: Path) -> None:
    run("index", str(project))
    code, out, _ = run("stats")
    assert code == 0
    assert "chunks:    3" in out and "files:     1" in out and "(512 dims)" in out


def test_home_option_overrides_the_environment(project: Path, tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    run("--home", str(home), "index", str(project))
    assert (home / "index.sqlite3").exists()
    _, out, _ = run("stats")
    assert "chunks:    0" in out


def test_bad_configuration_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENCODE_STORE", "mysql")
    code, _, err = run("stats")
    assert code == 1
    assert "GENCODE_STORE must be one of sqlite, opensearch, not 'mysql'" in err


TEAM = {
    "shop/money.py": '''
def round_cents(amount: float, *, mode: str = "half-up") -> int:
    """Round an amount to whole cents."""
    return int(amount * 100 + 0.5)
''',
    "shop/charges.py": '''
from shop.money import round_cents


def charge_card(payment_id: str, amount: float) -> int:
    """Charge a card for an amount."""
    return round_cents(amount)
''',
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop-repo"
    for name, code in TEAM.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(code)
    code, _, _ = run("index", str(root), "--repo", "shop")
    assert code == 0
    return root


def test_context_json_lists_references_and_map_entries_with_their_tokens(shop: Path) -> None:
    code, out, _ = run("context", "charge a card for an amount", "--budget", "400", "--json")
    assert code == 0
    shown = json.loads(out)
    entries = {e["qualname"]: e for e in shown["entries"]}
    assert entries["charge_card"]["kind"] == "reference"
    assert entries["charge_card"]["n"] == 1
    helper = entries["round_cents"]
    assert (helper["kind"], helper["repo"], helper["path"]) == ("map", "shop", "shop/money.py")
    assert (
        f"[{helper['n']}] def round_cents(amount: float, *, mode: str='half-up') -> int"
        in (shown["user"])
    )
    tokens = shown["tokens"]
    assert tokens["total"] == sum(v for k, v in tokens.items() if k != "total")
    assert 0 < tokens["references"] + tokens["map"] <= shown["context_budget"] == 400


def test_context_prints_exactly_what_the_model_is_sent(
    shop: Path, bedrock_server: BedrockServer, aws_env: None
) -> None:
    bedrock_server.reply = lambda r: "Use [1]:\n```python\ncharge_card('p1', 2.5)\n```\n"
    env = {"GENCODE_LLM": "bedrock", "BEDROCK_REGIONS": "us-east-1",
           "BEDROCK_ENDPOINT_URL": bedrock_server.url}  # fmt: skip
    runner = CliRunner()
    question = "charge a card for an amount"
    shown = runner.invoke(cli, ["context", question, "--json"], env=env, catch_exceptions=False)
    text = runner.invoke(cli, ["context", question], env=env, catch_exceptions=False)
    runner.invoke(cli, ["ask", question], env=env, catch_exceptions=False)

    (sent,) = bedrock_server.calls("converse-stream")
    context = json.loads(shown.stdout)
    key = re.search(r'key="([0-9a-f]{12})"', context["system"]).group(1)  # type: ignore[union-attr]
    sent_key = re.search(r'key="([0-9a-f]{12})"', sent.system_text).group(1)  # type: ignore[union-attr]
    assert context["system"].replace(key, sent_key) == sent.system_text
    assert context["user"].replace(key, sent_key) == sent.last_user_text
    # the plain form prints the same two messages and one line per part
    assert f"=== system ({context['tokens']['system']:,} tokens) ===" in text.stdout
    for part in ("history", "references", "map", "question", "framing", "total"):
        assert re.search(rf"^{part} +[\d,]+$", text.stdout, re.M), part


def test_index_without_a_terminal_prints_a_few_progress_lines_and_the_summary(
    tmp_path: Path,
) -> None:
    """CI logs and pipes get pip-style progress (a line per tenth), not one per function."""
    root = tmp_path / "big"
    root.mkdir()
    for f in range(12):
        (root / f"mod{f}.py").write_text(
            "".join(f"def handler_{f}_{n}(x):\n    return x + {n}\n\n\n" for n in range(25))
        )
    code, out, err = run("index", str(root))
    assert code == 0
    assert (
        out.strip()
        == "indexed 12 files of big: 300 new, 0 unchanged, 0 removed functions; 0 errors"
    )
    lines = err.splitlines()
    assert 2 <= len(lines) <= 24, lines
    assert lines[0] == "indexing 12 files"
    assert lines[-1].startswith("indexing: 12/12 files (100%)")


def test_progress_lines_come_each_tenth_or_after_the_interval() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = LineProgress(100, out=out, interval=5.0, clock=lambda: now[0])
    for _ in range(9):  # 9% of the files at once: no line yet
        progress.file_done("a.py")
    for done in range(1, 21):  # then a big file's summaries, one a second
        now[0] += 1.0
        progress.inside_file("big.py", "summarize", done, 200)
    progress.file_done("big.py")  # the tenth file: a line, though only a second passed
    assert out.getvalue().splitlines() == [
        "indexing 100 files",
        "indexing: 9/100 files (9%), summarize 5/200 in big.py, 5 s",
        "indexing: 9/100 files (9%), summarize 10/200 in big.py, 10 s",
        "indexing: 9/100 files (9%), summarize 15/200 in big.py, 15 s",
        "indexing: 9/100 files (9%), summarize 20/200 in big.py, 20 s",
        "indexing: 10/100 files (10%), 20 s",
    ]
