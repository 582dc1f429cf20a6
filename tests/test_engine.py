"""The engine end to end on the embedded default: incremental indexing, hybrid retrieval, answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import Engine, IndexReport, InputError, NothingIndexedError, Scope, Source
from rag.engine import CANDIDATES
from rag.retrieve import fusion_for
from tests.conftest import CountingEmbedder, CountingSummarizer

V1 = b'''
import boto3


def upload_with_retry(bucket: str, key: str, path: str, attempts: int = 3) -> None:
    """Upload a file to S3, retrying on throttling."""
    for _ in range(attempts):
        boto3.client("s3").upload_file(path, bucket, key)


def send_slack_message(channel: str, text: str) -> dict:
    """Post a message to a Slack channel."""
    return client.chat_postMessage(channel=channel, text=text)


class ReportBuilder:
    def build_csv(self, rows: list) -> str:
        """Render rows as CSV text."""
        return "\\n".join(",".join(map(str, r)) for r in rows)
'''

# v2: one function changed, one removed, one added, and everything shifted down a line.
V2 = (
    V1.replace(b"import boto3\n", b"import boto3\nimport csv\n")
    .replace(b"for _ in range(attempts):", b"for attempt in range(attempts):")
    .replace(
        b'def send_slack_message(channel: str, text: str) -> dict:\n    """Post a message to a Slack channel."""\n    return client.chat_postMessage(channel=channel, text=text)\n',
        b'def delete_old_backups(days: int) -> int:\n    """Delete backups older than some days."""\n    return 0\n',
    )
)
SRC = Source("storage.py", workspace="T1")


def qualnames(chunks) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.qualname for c in chunks}


def test_first_index_summarises_and_embeds_every_chunk(
    engine: Engine, summarizer: CountingSummarizer, embedder: CountingEmbedder
) -> None:
    report = engine.index_bytes(V1, SRC)
    expected = {
        "<module>",
        "upload_with_retry",
        "send_slack_message",
        "ReportBuilder",
        "ReportBuilder.build_csv",
    }
    assert qualnames(report.new) == expected
    assert set(summarizer.seen) == expected
    assert len(embedder.texts) == len(expected)


def test_reindexing_an_unchanged_file_does_no_model_work(
    engine: Engine, summarizer: CountingSummarizer, embedder: CountingEmbedder
) -> None:
    engine.index_bytes(V1, SRC)
    summarizer.seen.clear()
    embedder.texts.clear()
    report = engine.index_bytes(V1, SRC)
    assert summarizer.seen == [] and embedder.texts == []
    assert (len(report.new), len(report.changed), len(report.removed)) == (0, 0, 0)
    assert len(report.unchanged) == 5
    assert engine.stats().chunks == 5  # no duplicates on re-upload


def test_a_new_version_resummarises_only_what_changed_and_deletes_what_went(
    engine: Engine, summarizer: CountingSummarizer
) -> None:
    engine.index_bytes(V1, SRC)
    summarizer.seen.clear()
    report = engine.index_bytes(V2, SRC)
    assert sorted(summarizer.seen) == ["<module>", "delete_old_backups", "upload_with_retry"]
    assert qualnames(report.changed) == {"<module>", "upload_with_retry"}
    assert qualnames(report.new) == {"delete_old_backups"}
    assert report.removed == ("send_slack_message",)
    assert qualnames(report.unchanged) == {"ReportBuilder", "ReportBuilder.build_csv"}
    # Unchanged functions that moved get their new line numbers without new model work.
    build_csv = next(c for c in report.chunks if c.qualname == "ReportBuilder.build_csv")
    assert V2.decode().splitlines()[build_csv.start_line - 1].strip().startswith("def build_csv")
    hits = engine.retrieve("post a message to slack", Scope.of("T1"), k=10)
    assert "send_slack_message" not in {h.chunk.qualname for h in hits}


class FakeModelSummarizer(CountingSummarizer):
    """A stand-in for a paid model: counts calls, writes a fixed summary."""

    model_id = "fake-model"

    def summarize(self, chunks, *, on_progress=None):  # type: ignore[no-untyped-def]
        from rag.summarize import Summary

        self.seen.extend(c.qualname for c in chunks)
        return [Summary(f"Does {c.qualname}.", self.model_id) for c in chunks]


def test_same_code_in_another_file_reuses_a_model_summary(engine: Engine) -> None:
    model = FakeModelSummarizer()
    engine.summarizer = model
    engine.index_bytes(V1, SRC)
    model.seen.clear()
    report = engine.index_bytes(V1, Source("copy_of_storage.py", workspace="T1"))
    assert model.seen == []
    assert {c.summary_by for c in report.new} == {"fake-model"}
    assert engine.stats().files == 2


def test_extractive_summary_of_shared_code_names_its_own_place(engine: Engine) -> None:
    method = b"    def run(self):\n        return 1\n"
    engine.index_bytes(b"class A:\n" + method, Source("a.py", workspace="T1"))
    report = engine.index_bytes(b"class B:\n" + method, Source("b.py", workspace="T1"))
    summary = next(c.summary for c in report.new if c.qualname == "B.run")
    assert "B.run" in summary and "A.run" not in summary


def test_a_file_with_a_syntax_error_keeps_its_previous_version(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    broken = V1 + b"\ndef broken(:\n    pass\n"
    report = engine.index_bytes(broken, SRC)
    assert not report.ok
    line = broken.decode().splitlines().index("def broken(:") + 1
    assert report.error == f"storage.py:{line}: invalid syntax"
    assert engine.stats().chunks == 5
    assert (
        engine.retrieve("upload to s3", Scope.of("T1"), k=1)[0].chunk.qualname
        == "upload_with_retry"
    )


@pytest.mark.parametrize(
    "data", [b"\x00\x01binary", b"\xff\xfe\xfa not utf-8", b"x = 1\n" * 300_000]
)
def test_refused_content_changes_nothing(engine: Engine, data: bytes) -> None:
    engine.index_bytes(V1, SRC)
    report = engine.index_bytes(data, SRC)
    assert report.error.startswith("storage.py: ")
    assert engine.stats().chunks == 5


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf\n"], ids=["empty", "blank", "bom"])
def test_an_empty_file_is_skipped_not_an_error(engine: Engine, data: bytes) -> None:
    report = engine.index_bytes(data, Source("__init__.py", workspace="T1"))
    assert report.ok and report.skipped == "empty file" and report.removed == ()
    assert IndexReport((report,)).line().endswith("1 skipped, 0 errors")


def test_a_file_emptied_since_it_was_indexed_takes_its_functions_with_it(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    report = engine.index_bytes(b"", SRC)
    assert report.ok and report.skipped == "empty file" and len(report.removed) == 5
    assert engine.stats().chunks == 0


def test_same_named_definitions_get_distinct_ids(engine: Engine) -> None:
    src = b"class C:\n    @property\n    def x(self):\n        return 1\n\n    @x.setter\n    def x(self, v):\n        self._x = v\n"
    report = engine.index_bytes(src, SRC)
    xs = [c for c in report.new if c.qualname == "C.x"]
    assert len(xs) == 2 and xs[0].id != xs[1].id
    assert engine.index_bytes(src, SRC).unchanged and engine.stats().chunks == 3


def test_korean_question_finds_english_code(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    hits = engine.retrieve("S3에 파일을 재시도하면서 업로드하는 함수", Scope.of("T1"), k=3)
    assert hits[0].chunk.qualname == "upload_with_retry"
    hits = engine.retrieve("슬랙 채널에 메시지 보내기", Scope.of("T1"), k=3)
    assert hits[0].chunk.qualname == "send_slack_message"


def test_korean_question_vector_also_votes_with_its_english_gloss(engine: Engine) -> None:
    question = "슬랙 채널에 메시지 보내기"
    english = engine.embedder.embed_query("send slack message")
    plain = engine.embedder.embed_query(question)
    voted = engine.query_vector(question)
    assert np.linalg.norm(voted) == pytest.approx(1.0, abs=1e-5)
    assert float(voted @ english) > float(plain @ english) + 0.05


def test_english_question_vector_is_the_plain_query_embedding(engine: Engine) -> None:
    question = "post a message to a channel"
    assert np.array_equal(engine.query_vector(question), engine.embedder.embed_query(question))


def test_hits_carry_fused_score_and_each_retrievers_rank(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    hit = engine.retrieve("render rows as csv", Scope.of("T1"), k=1)[0]
    assert hit.chunk.qualname == "ReportBuilder.build_csv"
    assert set(hit.ranks) == {"lexical", "vector"}
    fusion = fusion_for(engine.embedder.model_id)
    lexical, vector = engine.store.hybrid(
        "render rows as csv",
        engine.query_vector("render rows as csv"),
        k=CANDIDATES,
        scope=Scope.of("T1"),
    )
    weights = fusion.weights("render rows as csv", {"lexical": lexical, "vector": vector})
    assert hit.score == pytest.approx(
        sum(weights[name] / (fusion.k + r) for name, r in hit.ranks.items())
    )


def test_single_retriever_modes_for_comparison(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    assert set(engine.retrieve("csv", Scope.of("T1"), mode="lexical")[0].ranks) == {"lexical"}
    assert set(engine.retrieve("csv", Scope.of("T1"), mode="vector")[0].ranks) == {"vector"}


def test_extractive_answer_quotes_code_and_says_it_was_not_generated(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    streamed: list[str] = []
    answer = engine.ask(
        "how do I upload to s3 with retries?", Scope.of("T1"), on_text=streamed.append
    )
    assert not answer.generated
    assert "not generated" in answer.text
    assert "".join(streamed) == answer.text
    assert answer.references[0].chunk.qualname == "upload_with_retry"
    assert 1 in answer.cited
    assert any("upload_file(path, bucket, key)" in b.code for b in answer.code_blocks)


def test_empty_question_and_empty_index_are_explained(engine: Engine) -> None:
    with pytest.raises(InputError, match="empty"):
        engine.ask("   ", Scope.of("T1"))
    with pytest.raises(NothingIndexedError, match="Share a .py file"):
        engine.ask("upload a file", Scope.of("T1"))


def test_index_paths_walks_directories_like_a_developer_expects(
    engine: Engine, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "good.py").write_bytes(V1)
    (repo / "pkg" / "broken.py").write_text("def f(:\n")
    (repo / "pkg" / "notes.txt").write_text("not python")
    for skipped in (".git", "node_modules", "__pycache__", "env", "build"):
        (repo / skipped).mkdir()
        (repo / skipped / "skipme.py").write_text("def skipped(): pass\n")
    (repo / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (repo / ".gitignore").write_text("build/\n*_generated.py\n")
    (repo / "pkg" / "api_generated.py").write_text("def generated(): pass\n")
    (repo / "pkg" / "sub").mkdir()
    (repo / "pkg" / "sub" / ".gitignore").write_text("local.py\n")
    (repo / "pkg" / "sub" / "local.py").write_text("def local_only(): pass\n")
    (repo / "pkg" / "sub" / "kept.py").write_text("def kept(): pass\n")

    report = engine.index_paths([repo, tmp_path / "missing"], workspace="T1")
    assert sorted(f.path for f in report.files if f.ok) == ["pkg/good.py", "pkg/sub/kept.py"]
    assert {f.repo for f in report.files if f.ok} == {"repo"}
    errors = {f.path: f.error for f in report.errors}
    assert errors["pkg/broken.py"].startswith("repo/pkg/broken.py:1: ")
    assert "no such file or directory" in errors[str(tmp_path / "missing")]
    assert (
        report.line()
        == "indexed 2 files of repo: 6 new, 0 unchanged, 0 removed functions; 2 errors"
    )


def test_extractive_answer_to_a_korean_question_is_labelled_in_korean(engine: Engine) -> None:
    engine.index_bytes(V1, SRC)
    answer = engine.ask("S3에 재시도하면서 업로드하는 함수", Scope.of("T1"))
    assert answer.text.startswith("언어 모델이 설정되어 있지 않아 생성된 답변이 아닙니다.")
    assert answer.references[0].chunk.qualname == "upload_with_retry"


def test_indexing_reports_progress_inside_each_file(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "storage.py").write_bytes(V1)
    seen: list[tuple[str, str, int, int]] = []
    reports = list(
        engine.iter_index_paths(
            [tmp_path], workspace="T1", scope="*", repo="app", on_progress=lambda *a: seen.append(a)
        )
    )
    assert reports[0].ok
    shown = "app/storage.py"
    assert (shown, "summarize", 1, 5) in seen and (shown, "summarize", 5, 5) in seen
    assert (shown, "embed", 5, 5) in seen


def test_a_big_file_is_embedded_in_batches_each_reported(
    engine: Engine, embedder: CountingEmbedder
) -> None:
    from rag.engine import EMBED_BATCH
    from tests.samples import many_functions

    seen: list[tuple[str, int, int]] = []
    report = engine.index_bytes(
        many_functions(2 * EMBED_BATCH + 5),
        Source("big.py", workspace="T1"),
        on_progress=lambda *a: seen.append(a),
    )
    total = 2 * EMBED_BATCH + 5
    assert len(report.new) == total and len(embedder.texts) == total
    assert [s for s in seen if s[0] == "embed"] == [
        ("embed", EMBED_BATCH, total),
        ("embed", 2 * EMBED_BATCH, total),
        ("embed", total, total),
    ]
    hits = engine.retrieve("helper number 40 doubles", Scope.of("T1"), k=1)
    assert hits[0].chunk.qualname == "helper_40"
