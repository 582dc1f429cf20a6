"""BedrockSummarizer and its region fan-out against the loopback bedrock-runtime, and the
engine around it: failover, bounded concurrency, per-chunk errors, and the code_hash cache."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rag import Engine, LLMError, Source
from rag.bedrock import BedrockClients, BedrockEmbedder, BedrockOptions, BedrockSummarizer
from rag.chunking import ParsedChunk, chunk_python
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import EXTRACTIVE
from tests.bedrock_server import BedrockServer

pytestmark = pytest.mark.usefixtures("aws_env")

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


def clients(
    bedrock_server: BedrockServer, regions: tuple[str, ...] = REGIONS, **kwargs: object
) -> BedrockClients:
    options = BedrockOptions(
        regions=regions,
        endpoint_url=bedrock_server.url,
        backoff_base=0.01,
        backoff_cap=0.05,
        **kwargs,  # type: ignore[arg-type]
    )
    return BedrockClients(options)


def source_code(n: int, *, changed: int | None = None) -> str:
    parts = ["import os\n"]
    for i in range(n):
        body = "return x + 2" if i == changed else "return x + 1"
        parts.append(f"def func_{i}(x):\n    '''Add one to x.'''\n    {body}\n")
    return "\n\n".join(parts)


def chunks(n: int) -> list[ParsedChunk]:
    return [c for c in chunk_python(source_code(n), "mod.py") if c.kind != "module"]


def test_every_chunk_gets_a_bilingual_summary_spread_round_robin(
    bedrock_server: BedrockServer,
) -> None:
    items = chunks(12)

    summaries = BedrockSummarizer(clients(bedrock_server)).summarize(items)

    assert [s.error for s in summaries] == [""] * 12
    assert summaries[3].text == "Does what func_3 does. func_3의 기능을 수행합니다."
    assert all(s.model == "global.anthropic.claude-haiku-5-5" for s in summaries)
    assert [len(bedrock_server.calls("converse", region=r)) for r in REGIONS] == [4, 4, 4]
    request = bedrock_server.calls("converse")[0]
    assert "English sentence" in request.system_text and "Korean" in request.system_text


def test_throttling_in_one_region_fails_over_and_every_chunk_is_summarized(
    bedrock_server: BedrockServer,
) -> None:
    bedrock_server.region("us-east-1").throttle_rate = 1.0
    items = chunks(15)

    summaries = BedrockSummarizer(clients(bedrock_server)).summarize(items)

    assert all(s.text and not s.error for s in summaries)
    throttled = bedrock_server.calls(region="us-east-1")
    assert throttled and all(r.status == 429 for r in throttled)
    ok = [r for r in bedrock_server.calls("converse") if r.status == 200]
    assert len(ok) == 15
    assert {r.region for r in ok} == {"us-west-2", "eu-west-1"}


def test_random_throttling_everywhere_still_summarizes_every_chunk(
    bedrock_server: BedrockServer,
) -> None:
    for region in REGIONS:
        bedrock_server.region(region).throttle_rate = 0.3

    summaries = BedrockSummarizer(clients(bedrock_server, max_attempts=12)).summarize(chunks(30))

    assert all(s.text and not s.error for s in summaries)
    assert any(r.status == 429 for r in bedrock_server.calls())


def test_concurrency_per_region_is_bounded(bedrock_server: BedrockServer) -> None:
    bedrock_server.default.delay = 0.05

    BedrockSummarizer(clients(bedrock_server, ("us-east-1", "us-west-2"), concurrency=3)).summarize(
        chunks(20)
    )

    assert bedrock_server.max_in_flight == {"us-east-1": 3, "us-west-2": 3}


def test_a_persistent_failure_is_reported_per_chunk(bedrock_server: BedrockServer) -> None:
    bedrock_server.default.error = "ServiceUnavailableException"
    items = chunks(5)

    summaries = BedrockSummarizer(clients(bedrock_server, max_attempts=3)).summarize(items)

    assert len(summaries) == 5
    for s in summaries:
        assert s.text == ""
        assert s.error.startswith("failed after 3 attempt(s) in ")
        assert "ServiceUnavailableException" in s.error
    assert len(bedrock_server.calls()) == 15


def test_malformed_output_is_retried_in_another_region(bedrock_server: BedrockServer) -> None:
    bedrock_server.region("us-east-1").malformed = True

    summaries = BedrockSummarizer(clients(bedrock_server)).summarize(chunks(9))

    assert all(s.text and not s.error for s in summaries)


def test_access_denied_in_one_region_moves_its_chunks_elsewhere(
    bedrock_server: BedrockServer,
) -> None:
    bedrock_server.region("us-west-2").error = "AccessDeniedException"

    summaries = BedrockSummarizer(clients(bedrock_server)).summarize(chunks(12))

    assert all(s.text and not s.error for s in summaries)
    assert len(bedrock_server.calls(region="us-west-2")) <= 4  # dropped after its first refusals


def test_access_denied_everywhere_fails_every_chunk_with_the_reason(
    bedrock_server: BedrockServer,
) -> None:
    bedrock_server.default.error = "AccessDeniedException"

    summaries = BedrockSummarizer(clients(bedrock_server, concurrency=2)).summarize(chunks(40))

    assert len(summaries) == 40
    assert all("denied access" in s.error for s in summaries)
    # Each region is dropped at its first refusal: only the calls already in flight count.
    assert len(bedrock_server.calls()) <= 2 * len(REGIONS)


def test_progress_is_reported_per_chunk_on_the_callers_thread(
    bedrock_server: BedrockServer,
) -> None:
    seen: list[tuple[int, int]] = []
    threads: set[int] = set()

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        threads.add(threading.get_ident())

    BedrockSummarizer(clients(bedrock_server)).summarize(chunks(7), on_progress=progress)

    assert seen == [(i, 7) for i in range(1, 8)]
    assert threads == {threading.get_ident()}


def engine(bedrock_server: BedrockServer, tmp_path: Path) -> Engine:
    shared = clients(bedrock_server)
    return Engine(
        store=SQLiteStore(tmp_path / "index.sqlite3"),
        embedder=BedrockEmbedder(shared, dim=256),
        summarizer=BedrockSummarizer(shared),
        generator=ExtractiveGenerator(),
    )


def test_reindexing_unchanged_code_makes_zero_calls(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    eng = engine(bedrock_server, tmp_path)
    source = Source("mod.py", workspace="T1")
    first = eng.index_bytes(source_code(6).encode(), source)
    calls_after_first = len(bedrock_server.calls())

    again = eng.index_bytes(source_code(6).encode(), source)
    calls_after_again = len(bedrock_server.calls())
    changed = eng.index_bytes(source_code(6, changed=2).encode(), source)

    assert len(first.new) == 7  # six functions and the module preamble
    assert calls_after_first == 14  # one summary and one embedding each
    assert calls_after_again == calls_after_first
    assert len(again.unchanged) == 7
    assert [c.qualname for c in changed.changed] == ["func_2"]
    new_calls = bedrock_server.calls()[calls_after_again:]
    assert sorted(r.op for r in new_calls) == ["converse", "invoke"]
    assert all(c.summary_by == "global.anthropic.claude-haiku-5-5" for c in changed.chunks)


def test_failed_summaries_stay_extractive_and_are_reported_by_the_engine(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    eng = engine(bedrock_server, tmp_path)
    for region in REGIONS:
        bedrock_server.region(region).malformed = True
    bedrock_server.region("us-east-1").malformed = False  # embeddings still work there…
    bedrock_server.known_models = {"amazon.titan-embed-text-v2:0"}  # …but no summary model does

    report = eng.index_bytes(source_code(3).encode(), Source("mod.py", workspace="T1"))

    assert report.ok and len(report.new) == 4
    assert len(report.summary_errors) == 4
    assert all("not usable" in e or "malformed" in e for e in report.summary_errors)
    assert all(c.summary_by == EXTRACTIVE for c in report.new)


def test_an_embedding_outage_indexes_nothing_and_keeps_the_old_version(
    bedrock_server: BedrockServer, tmp_path: Path
) -> None:
    eng = engine(bedrock_server, tmp_path)
    source = Source("mod.py", workspace="T1")
    eng.index_bytes(source_code(2).encode(), source)
    bedrock_server.default.error = "ServiceUnavailableException"
    for region in REGIONS:
        bedrock_server.region(region).error = "ServiceUnavailableException"

    with pytest.raises(LLMError):
        eng.index_bytes(source_code(2, changed=0).encode(), source)

    kept = eng.store.chunks_of_source(source.key)
    assert sorted(c.qualname for c in kept) == ["<module>", "func_0", "func_1"]
    assert len(kept) == 3
    assert all("x + 1" in c.code for c in kept if c.kind != "module")
