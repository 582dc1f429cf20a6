"""Choosing Bedrock by configuration: settings, start-up checks, and the CLI end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings
from bot.services import build_engine
from rag import ConfigError
from rag.bedrock import BedrockEmbedder, BedrockGenerator, BedrockSummarizer
from tests.bedrock_server import BedrockServer, Recorded

pytestmark = pytest.mark.usefixtures("aws_env")


def test_without_configuration_no_remote_model_is_used() -> None:
    settings = Settings.from_env({})

    assert settings.llm == "none" and settings.embedder == "auto"
    assert not settings.uses_bedrock


def test_bedrock_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "GENCODE_LLM": "bedrock",
            "BEDROCK_REGIONS": "us-east-1, us-west-2,us-east-1",
            "BEDROCK_ENDPOINT_URL": "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com",
            "BEDROCK_CHAT_MODEL": "us.anthropic.claude-sonnet-4-6",
            "BEDROCK_CONCURRENCY": "4",
        }
    )

    assert settings.bedrock_regions == ("us-east-1", "us-west-2")
    assert settings.bedrock_endpoint_url.startswith("https://vpce-1.")
    assert settings.bedrock_chat_model == "us.anthropic.claude-sonnet-4-6"
    assert settings.bedrock_summary_model == "global.anthropic.claude-haiku-5-5"
    assert settings.bedrock_embed_model == "amazon.titan-embed-text-v2:0"
    assert settings.bedrock_concurrency == 4


def test_aws_region_is_the_fallback_region() -> None:
    settings = Settings.from_env({"GENCODE_EMBEDDER": "bedrock", "AWS_REGION": "eu-central-1"})

    assert settings.bedrock_regions == ("eu-central-1",)


def test_bedrock_without_a_region_is_one_clear_startup_error() -> None:
    with pytest.raises(
        ConfigError, match="GENCODE_LLM=bedrock needs a region: set BEDROCK_REGIONS"
    ):
        Settings.from_env({"GENCODE_LLM": "bedrock"})


def test_bedrock_without_credentials_is_one_clear_startup_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    with pytest.raises(ConfigError, match="No AWS credentials found") as info:
        Settings.from_env({"GENCODE_EMBEDDER": "bedrock", "BEDROCK_REGIONS": "us-east-1"})

    assert "GENCODE_EMBEDDER=bedrock" in str(info.value)
    assert "AWS_PROFILE" in str(info.value)


def test_the_cli_reports_missing_credentials_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    env = {"GENCODE_LLM": "bedrock", "BEDROCK_REGIONS": "us-east-1"}

    result = CliRunner().invoke(cli, ["ask", "make an uploader"], env=env)

    assert result.exit_code == 1
    assert "Error: GENCODE_LLM=bedrock: No AWS credentials found" in result.output
    assert "Traceback" not in result.output


def test_build_engine_picks_the_bedrock_backends(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {
            "GENCODE_LLM": "bedrock",
            "GENCODE_EMBEDDER": "bedrock",
            "BEDROCK_REGIONS": "us-east-1",
            "BEDROCK_ENDPOINT_URL": bedrock_server.url,
            "GENCODE_HOME": str(tmp_path),
        }
    )
    engine = build_engine(settings)
    try:
        assert isinstance(engine.generator, BedrockGenerator)
        assert isinstance(engine.summarizer, BedrockSummarizer)
        assert isinstance(engine.embedder, BedrockEmbedder)
        assert engine.stats().embed_dim == 1024
    finally:
        engine.close()


def test_cli_indexes_and_streams_an_answer_from_bedrock(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    def reply(r: Recorded) -> str:
        if "summar" in r.system_text.lower():
            return "Uploads a file with retries.\n재시도하며 파일을 올립니다."
        return "Call [1]:\n\n```python\nupload_with_retry('report.csv')\n```\n"

    bedrock_server.reply = reply
    code = tmp_path / "repo" / "storage.py"
    code.parent.mkdir()
    code.write_text("def upload_with_retry(path):\n    '''Upload to S3.'''\n    return path\n")
    env = {
        "GENCODE_LLM": "bedrock",
        "GENCODE_EMBEDDER": "bedrock",
        "BEDROCK_REGIONS": "us-east-1,us-west-2",
        "BEDROCK_ENDPOINT_URL": bedrock_server.url,
        "GENCODE_HOME": str(tmp_path / "home"),
    }
    runner = CliRunner()

    indexed = runner.invoke(cli, ["index", str(code.parent)], env=env, catch_exceptions=False)
    asked = runner.invoke(cli, ["ask", "upload a report"], env=env, catch_exceptions=False)
    searched = runner.invoke(cli, ["search", "upload", "--json"], env=env)

    assert "1 new" in indexed.output
    assert "재시도하며 파일을 올립니다" in searched.output
    assert asked.output.startswith("Call [1]:\n\n```python\nupload_with_retry('report.csv')\n```")
    assert "[1] repo/storage.py · upload_with_retry (L1–3)" in asked.output
    assert len(bedrock_server.calls("converse-stream")) == 1
