"""scripts/demo.sh's questions, asked of the demo's own index: its first answers cite the
right functions.

The index holds the files the demo indexes, read from the installed slack_sdk, built the
way ``gencode index`` builds it (SQLite, extractive summaries), with USE and, where it
runs, e5 (the demo's default there). Without a model the answer quotes its first three
references, so those are what a newcomer sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import slack_sdk

from bot.config import Settings
from bot.services import build_engine, e5_runs_here
from rag import Engine, Scope

DEMO = Path(__file__).resolve().parents[1] / "scripts" / "demo.sh"
SDK = Path(slack_sdk.__file__).parent
FILES = (
    "web/client.py",
    "web/base_client.py",
    "web/internal_utils.py",
    "web/slack_response.py",
    "web/chat_stream.py",
    "http_retry",
)
ENGLISH = "How do I post a message to a channel and retry when rate limited?"
KOREAN = "채널에 파일을 업로드하는 코드를 만들어 줘"


def test_the_demo_indexes_these_files_and_asks_these_questions() -> None:
    script = DEMO.read_text(encoding="utf-8")
    for name in FILES:
        assert f'"$SDK/{name}"' in script
    assert f'gencode ask "{ENGLISH}"' in script
    assert f'gencode ask "{KOREAN}"' in script


@pytest.fixture(scope="module", params=["local", "e5"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "e5" and not e5_runs_here():
        pytest.skip("e5 is not installed or this CPU cannot run it (scripts/setup.sh installs it)")
    home = tmp_path_factory.mktemp(f"demo-{request.param}")
    engine = build_engine(Settings(home=home, embedder=request.param))
    report = engine.index_paths([SDK / name for name in FILES])
    assert not report.errors and report.new > 400
    yield engine
    engine.close()


def shown(engine: Engine, question: str) -> list[str]:
    """The functions the demo's answer quotes: its first three references."""
    answer = engine.ask(question, Scope.of("local"))
    return [hit.chunk.qualname for _, hit in answer.cited_first()][:3]


def test_english_answer_cites_post_message_and_the_rate_limit_retry_handler(demo: Engine) -> None:
    top = shown(demo, ENGLISH)
    assert "WebClient.chat_postMessage" in top, top
    assert any(name.startswith("RateLimitErrorRetryHandler") for name in top), top


def test_korean_answer_cites_files_upload_v2(demo: Engine) -> None:
    top = shown(demo, KOREAN)
    assert "WebClient.files_upload_v2" in top, top
