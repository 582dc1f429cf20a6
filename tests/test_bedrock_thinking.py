"""Models that think by default (the Claude 5 family, our defaults): every request states
its thinking settings and leaves room for text, replies with reasoning blocks are read
for their text only, and a budget eaten by reasoning is an error, never a silent
extractive summary. Against the loopback bedrock-runtime in its thinking mode."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from rag import ConfigError, Engine, LLMError, Source, Turn
from rag.bedrock import (
    DEFAULT_CHAT_MODEL,
    DEFAULT_SUMMARY_MODEL,
    BedrockClients,
    BedrockEmbedder,
    BedrockGenerator,
    BedrockOptions,
    BedrockSummarizer,
    explain,
    thinks_by_default,
)
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import EXTRACTIVE
from tests.bedrock_server import BedrockServer, ThinkingModel
from tests.test_bedrock_generate import HITS
from tests.test_bedrock_summarize import chunks, source_code

pytestmark = pytest.mark.usefixtures("aws_env")

REGIONS = ("us-east-1", "us-west-2")
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
"""An id that does not name its model: Gencode cannot know that it thinks."""


@pytest.fixture
def thinking_server(bedrock_server: BedrockServer) -> BedrockServer:
    bedrock_server.thinking = ThinkingModel()
    return bedrock_server


def clients(server: BedrockServer) -> BedrockClients:
    return BedrockClients(
        BedrockOptions(regions=REGIONS, endpoint_url=server.url, backoff_base=0.01)
    )


def test_the_default_models_are_known_to_think_and_older_ones_not() -> None:
    assert thinks_by_default(DEFAULT_CHAT_MODEL) and thinks_by_default(DEFAULT_SUMMARY_MODEL)
    assert thinks_by_default("us.anthropic.claude-sonnet-5") and thinks_by_default(
        "global.anthropic.claude-fable-5-1"
    )
    assert not thinks_by_default("global.anthropic.claude-haiku-4-5-20251001-v1:0")
    assert not thinks_by_default("amazon.nova-pro-v1:0")
    assert not thinks_by_default(PROFILE_ARN)


class TestSummariesWithAThinkingModel:
    def test_summaries_come_out_right_and_the_request_leaves_room_for_text(
        self, thinking_server: BedrockServer
    ) -> None:
        summaries = BedrockSummarizer(clients(thinking_server)).summarize(chunks(3))

        assert [s.error for s in summaries] == ["", "", ""]
        assert summaries[1].text == "Does what func_1 does. func_1의 기능을 수행합니다."
        assert not any("THINKING" in s.text for s in summaries)
        body = thinking_server.calls("converse")[0].body
        assert body["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
        assert body["outputConfig"] == {"effort": "low"}
        assert body["inferenceConfig"]["maxTokens"] == 300 + 2_048

    def test_a_budget_eaten_by_reasoning_is_reported_not_silently_extractive(
        self, thinking_server: BedrockServer, tmp_path: Path
    ) -> None:
        # The id hides the model, so the request goes out with the bare 300 tokens and
        # the model's default effort reasons through all of them.
        summarizer = BedrockSummarizer(clients(thinking_server), model_id=PROFILE_ARN)
        engine = Engine(
            store=SQLiteStore(tmp_path / "index.sqlite3"),
            embedder=BedrockEmbedder(clients(thinking_server), dim=256),
            summarizer=summarizer,
            generator=ExtractiveGenerator(),
        )

        report = engine.index_bytes(source_code(2).encode(), Source("mod.py", workspace="T1"))
        engine.close()

        assert report.ok and len(report.summary_errors) == 3
        assert all("reasoning and wrote no text" in e for e in report.summary_errors)
        assert all(c.summary_by == EXTRACTIVE for c in report.new)
        # no point retrying the same budget in every region: one call per chunk
        assert len(thinking_server.calls("converse")) == 3
        assert "additionalModelRequestFields" not in thinking_server.calls("converse")[0].body

    def test_the_same_profile_summarizes_when_told_the_model_thinks(
        self, thinking_server: BedrockServer
    ) -> None:
        summarizer = BedrockSummarizer(
            clients(thinking_server), model_id=PROFILE_ARN, thinking=True
        )
        (summary,) = summarizer.summarize(chunks(1))
        assert summary.error == "" and summary.text.startswith("Does what func_0 does.")

    def test_disabled_thinking_is_refused_like_the_real_service(
        self, thinking_server: BedrockServer
    ) -> None:
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=thinking_server.url
        )
        with pytest.raises(ClientError) as info:
            client.converse(
                modelId=DEFAULT_CHAT_MODEL,
                messages=[{"role": "user", "content": [{"text": "hi"}]}],
                additionalModelRequestFields={"thinking": {"type": "disabled"}},
            )
        assert info.value.response["Error"]["Code"] == "ValidationException"
        failure = explain(info.value, model_id=DEFAULT_CHAT_MODEL, region="us-east-1")
        assert failure.kind == "item" and "disabled" in failure.message
        # Gencode's own requests never ask for that
        BedrockSummarizer(clients(thinking_server)).summarize(chunks(1))
        generator = BedrockGenerator(clients(thinking_server))
        generator.answer("upload", HITS)
        assert [r.status for r in thinking_server.calls()[1:]] == [200, 200]

    def test_a_model_that_does_not_think_gets_no_thinking_fields(
        self, bedrock_server: BedrockServer
    ) -> None:
        model = "anthropic.claude-3-5-haiku-20241022-v1:0"
        BedrockSummarizer(clients(bedrock_server), model_id=model).summarize(chunks(1))
        body = bedrock_server.calls("converse")[0].body
        assert "additionalModelRequestFields" not in body and "outputConfig" not in body
        assert body["inferenceConfig"]["maxTokens"] == 300


class TestAnswersWithAThinkingModel:
    def test_streamed_answer_is_the_text_only_and_the_request_leaves_room(
        self, thinking_server: BedrockServer
    ) -> None:
        reply = "Use [1]:\n\n```python\nupload_with_retry('a.txt')\n```\n"
        thinking_server.reply = lambda r: reply
        pieces: list[str] = []

        answer = BedrockGenerator(clients(thinking_server)).answer(
            "upload with retries", HITS, on_text=pieces.append
        )

        assert "".join(pieces) == reply == answer.text
        assert "THINKING" not in answer.text
        assert answer.cited == {1} and answer.code_blocks
        body = thinking_server.calls("converse-stream")[0].body
        assert body["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
        assert body["outputConfig"] == {"effort": "medium"}
        assert body["inferenceConfig"]["maxTokens"] == 4_096 + 8_192
        assert answer.usage.output_tokens > 600  # reasoning is counted, as AWS bills it

    def test_follow_up_rewrite_reads_the_text_not_the_reasoning(
        self, thinking_server: BedrockServer
    ) -> None:
        thinking_server.reply = lambda r: "async S3 upload with retries"

        query = BedrockGenerator(clients(thinking_server)).standalone_question(
            "now make it async", [Turn("upload with retries", "```python\nup()\n```")]
        )

        assert query == "async S3 upload with retries"
        body = thinking_server.calls("converse")[0].body
        assert body["inferenceConfig"]["maxTokens"] == 200 + 2_048
        assert body["outputConfig"] == {"effort": "low"}

    def test_an_answer_that_is_all_reasoning_is_a_clear_error(
        self, thinking_server: BedrockServer
    ) -> None:
        # Told (wrongly) that the model does not think: no room is made for reasoning.
        generator = BedrockGenerator(clients(thinking_server), thinking=False, max_tokens=500)
        with pytest.raises(LLMError, match="for reasoning and wrote no answer"):
            generator.answer("upload", HITS)


def test_bedrock_thinking_setting_reaches_both_models(
    thinking_server: BedrockServer, tmp_path: Path
) -> None:
    """An application inference profile hides its model: BEDROCK_THINKING=adaptive makes
    room for reasoning all the same (summaries here: the part that used to go extractive)."""
    from bot.config import Settings
    from bot.services import build_engine

    env = {
        "GENCODE_LLM": "bedrock",
        "BEDROCK_REGIONS": "us-east-1",
        "BEDROCK_ENDPOINT_URL": thinking_server.url,
        "BEDROCK_SUMMARY_MODEL": PROFILE_ARN,
        "GENCODE_HOME": str(tmp_path),
    }
    assert Settings.from_env(env).bedrock_thinking is None
    settings = Settings.from_env({**env, "BEDROCK_THINKING": "adaptive"})
    engine = build_engine(settings)
    try:
        report = engine.index_bytes(source_code(1).encode(), Source("m.py", workspace="T1"))
        assert report.summary_errors == ()
        assert all(c.summary_by == PROFILE_ARN for c in report.new)
        assert isinstance(engine.generator, BedrockGenerator) and engine.generator.thinking.enabled
    finally:
        engine.close()
    assert Settings.from_env({**env, "BEDROCK_THINKING": "off"}).bedrock_thinking is False
    with pytest.raises(ConfigError, match="BEDROCK_THINKING must be auto, adaptive or off"):
        Settings.from_env({**env, "BEDROCK_THINKING": "maybe"})
