"""The OpenSearch store on a real node (``scripts/opensearch.sh``: OpenSearch 2.19 with k-NN
and nori): hybrid search through k-NN, the scope filter inside ``knn``, Korean through nori,
mapping upgrades, concurrent index creation and deletes past one search page.

The tests marked ``opensearch_real`` run against ``OPENSEARCH_URL`` instead when it is set
(an Amazon OpenSearch Service domain, signed with SigV4). Only the test of a server without
k-NN runs on ``osmem-server``, which is such a server."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch, helpers

from rag import Engine, Scope, Source
from rag.chunking import chunk_python
from rag.errors import EmbedderMismatchError, StoreError
from rag.generate import ExtractiveGenerator
from rag.stores.opensearch import OpenSearchStore, index_body
from tests.aws_api import AwsAPI
from tests.conftest import CountingEmbedder, CountingSummarizer, stripped_variables

UPLOADER = b'''
import boto3


def upload_to_bucket(bucket, key, path):
    """Upload a local file to an S3 bucket with retries."""
    return boto3.client("s3").upload_file(path, bucket, key)


def delete_old_backups(days):
    """Delete backups older than some days."""
    return 0
'''
MAILER = b'''
def send_invoice_email(customer, invoice):
    """Email an invoice PDF to a customer."""
    smtp.send(customer.email, render(invoice))
'''


@pytest.fixture
def os_store(opensearch_url: str) -> Iterator[OpenSearchStore]:
    store = OpenSearchStore(OpenSearch(hosts=[opensearch_url]), index="chunks-test")
    yield store
    store.close()


@pytest.fixture
def os_engine(
    os_store: OpenSearchStore, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> Engine:
    return Engine(
        store=os_store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )


def names(scored) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.chunk.qualname for s in scored]


def test_indexing_creates_the_index_and_lexical_search_finds_code(os_engine: Engine) -> None:
    report = os_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
    assert report.ok and len(report.new) == 3
    hits = os_engine.store.lexical("upload a file to an s3 bucket", k=5, scope=Scope.of("T1"))
    assert names(hits)[0] == "upload_to_bucket"
    assert hits[0].chunk.code.startswith("def upload_to_bucket")
    assert hits[0].chunk.embedding is None  # vectors are not shipped back with search hits


def test_korean_question_matches_english_code_lexically(os_engine: Engine) -> None:
    os_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
    assert (
        names(os_engine.store.lexical("버킷에 파일 업로드", k=3, scope=Scope.of("T1")))[0]
        == "upload_to_bucket"
    )


def test_scope_is_filtered_inside_the_query(os_engine: Engine) -> None:
    os_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", scope="G-private"))
    os_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    os_engine.index_bytes(MAILER, Source("mail.py", workspace="T2"))
    store = os_engine.store
    assert "upload_to_bucket" in names(
        store.lexical("upload bucket email", k=10, scope=Scope.of("T1", "G-private"))
    )
    elsewhere = store.lexical("upload bucket email", k=1, scope=Scope.of("T1", "C-general"))
    assert names(elsewhere) == ["send_invoice_email"]
    assert {
        h.chunk.workspace for h in store.lexical("email invoice", k=10, scope=Scope.of("T2"))
    } == {"T2"}


def test_reindexing_replaces_the_file_and_reuses_summaries(
    os_engine: Engine, summarizer: CountingSummarizer, embedder: CountingEmbedder
) -> None:
    src = Source("up.py", workspace="T1")
    os_engine.index_bytes(UPLOADER, src)
    summarizer.seen.clear()
    embedder.texts.clear()
    assert os_engine.index_bytes(UPLOADER, src).unchanged
    assert summarizer.seen == [] and embedder.texts == []
    v2 = UPLOADER.replace(
        b'def delete_old_backups(days):\n    """Delete backups older than some days."""\n    return 0\n',
        b"",
    )
    report = os_engine.index_bytes(v2, src)
    assert report.removed == ("delete_old_backups",)
    assert os_engine.stats().chunks == 2
    assert summarizer.seen == []  # only a deletion: no model work at all


def test_a_different_embedding_model_is_refused(os_store: OpenSearchStore) -> None:
    os_store.ensure_embedder("model-a", 512)
    os_store.ensure_embedder("model-a", 512)
    with pytest.raises(EmbedderMismatchError, match="built with the embedding model model-a"):
        os_store.ensure_embedder("amazon.titan-embed-text-v2:0", 1024)


def test_stats_and_feedback(os_engine: Engine) -> None:
    os_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
    os_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    stats = os_engine.stats()
    assert (stats.backend, stats.chunks, stats.files, stats.embed_dim) == ("opensearch", 4, 2, 512)
    from rag import Feedback

    os_engine.record_feedback(Feedback("T1", "C1", "U1", 1, "q", "a", ("x",)))
    client = os_engine.store.client  # type: ignore[attr-defined]
    assert client.count(index="chunks-test-feedback")["count"] == 1


def test_knn_unsupported_by_the_server_is_a_clear_store_error(
    osmem_url: str, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    # A server without the k-NN plugin (osmem-server is one): the error reaches the caller
    # as a StoreError, not a traceback.
    store = OpenSearchStore(OpenSearch(hosts=[osmem_url]), index="chunks-test", nori=False)
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    try:
        engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
        with pytest.raises(StoreError, match="hybrid search"):
            engine.retrieve("upload", Scope.of("T1"))
    finally:
        engine.close()


def test_an_unreachable_cluster_is_a_clear_store_error(embedder: CountingEmbedder) -> None:
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": 9}], max_retries=0, timeout=2)
    store = OpenSearchStore(client, where="OpenSearch at http://127.0.0.1:9")
    with pytest.raises(StoreError, match="OpenSearch at http://127.0.0.1:9 is unreachable"):
        store.ensure_embedder(embedder.model_id, embedder.dim)


def test_two_processes_creating_a_fresh_index_at_once_both_start(
    opensearch_url: str, embedder: CountingEmbedder
) -> None:
    # Two Lambda containers cold-starting on a fresh domain: both read "no index", both
    # create it, and OpenSearch refuses the second with resource_already_exists_exception.
    # The first mapping read of each client waits for the other's, so both always race.
    both_read = threading.Barrier(2, timeout=10)

    def store() -> OpenSearchStore:
        client = OpenSearch(hosts=[opensearch_url])
        read = client.indices.get_mapping
        first = [True]

        def get_mapping(*args: Any, **kwargs: Any) -> Any:
            try:
                return read(*args, **kwargs)
            finally:
                if first.pop() if first else False:
                    both_read.wait()

        client.indices.get_mapping = get_mapping  # type: ignore[method-assign]
        return OpenSearchStore(client, index="chunks-race")

    stores = [store(), store()]
    with ThreadPoolExecutor(2) as pool:
        started = [pool.submit(s.ensure_embedder, embedder.model_id, embedder.dim) for s in stores]
        for future in started:
            future.result()  # neither raises StoreError
    mapping = stores[0].client.indices.get_mapping(index="chunks-race")
    assert mapping["chunks-race"]["mappings"]["_meta"]["embed_dim"] == embedder.dim
    with pytest.raises(EmbedderMismatchError):  # the loser still checks the winner's embedder
        stores[1].ensure_embedder("another-model", 8)
    for s in stores:
        s.close()


def test_two_writers_of_one_file_at_once_count_each_function_new_once(
    os_engine: Engine, opensearch_url: str
) -> None:
    # Two indexers of the same file (two `gencode index` runs, or a run and a Slack share)
    # both read "nothing indexed yet", then both write: each used to count every function
    # new. What the other wrote first now counts as already there.
    src = Source("up.py", workspace="T1")
    os_engine.index_bytes(UPLOADER, src)
    chunks = os_engine.store.chunks_of_source(src.key)  # with their embeddings
    os_engine.store.replace_source(src.key, [])
    both_read = threading.Barrier(2, timeout=30)

    def writer() -> OpenSearchStore:
        store = OpenSearchStore(OpenSearch(hosts=[opensearch_url]), index="chunks-test")
        read = store.chunks_of_source

        def chunks_of_source(key: str) -> list[Any]:
            try:
                return read(key)
            finally:
                both_read.wait()

        store.chunks_of_source = chunks_of_source  # type: ignore[method-assign]
        return store

    stores = [writer(), writer()]
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(s.replace_source, src.key, chunks) for s in stores]
        replaced = [future.result() for future in done]  # no version conflict raised
    ids = {c.id for c in chunks}
    new = [ids - {c.id for c in r.before} for r in replaced]
    assert new[0].isdisjoint(new[1]) and new[0] | new[1] == ids
    assert os_engine.stats().chunks == len(chunks)
    for s in stores:
        s.close()


def test_indices_keep_no_replica_on_a_single_node(os_store: OpenSearchStore) -> None:
    # A replica can never be placed on the node holding its primary: on a one-node domain
    # (what serverless.yml creates) the cluster would stay yellow.
    os_store.ensure_embedder("model-a", 512)
    for name in (os_store.index, os_store.claims_index, os_store.feedback_index):
        settings = os_store.client.indices.get_settings(index=name)[name]["settings"]["index"]
        assert settings["auto_expand_replicas"] == "0-1", name


def test_the_infra_index_file_matches_the_code() -> None:
    path = Path(__file__).parent.parent / "infra" / "opensearch" / "chunks-index.json"
    expected = index_body(dim=1024, embed_model="amazon.titan-embed-text-v2:0", nori=True)
    assert json.loads(path.read_text()) == expected


# -- configured as in production, on the node or on OPENSEARCH_URL ----------------------


@pytest.fixture
def real_engine(
    request: pytest.FixtureRequest, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> Iterator[Engine]:
    """An engine whose store ``bot.services`` builds from settings, as ``gencode serve``
    does: on ``OPENSEARCH_URL`` when a developer points the tests at a domain, else on the
    test node."""
    from bot.config import Settings
    from bot.services import STORES

    url = os.environ.get("OPENSEARCH_URL") or request.getfixturevalue("opensearch_url")
    name = f"gencode-test-{os.getpid()}"
    settings = Settings.from_env(
        {
            **os.environ,
            "GENCODE_STORE": "opensearch",
            "OPENSEARCH_URL": url,
            "OPENSEARCH_INDEX": name,
        }
    )
    store = STORES["opensearch"](settings)
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    yield engine
    store.client.indices.delete(index=f"{name}*", ignore=[404])  # type: ignore[attr-defined]
    store.close()


@pytest.mark.opensearch_real
def test_real_cluster_knn_respects_scope(real_engine: Engine) -> None:
    real_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", scope="G-private"))
    real_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    query = real_engine.embedder.embed_query("upload a file to s3")
    inside = names(real_engine.store.vector(query, k=5, scope=Scope.of("T1", "G-private")))
    outside = names(real_engine.store.vector(query, k=5, scope=Scope.of("T1", "C-other")))
    assert inside[0] == "upload_to_bucket"
    assert "upload_to_bucket" not in outside and "send_invoice_email" in outside


@pytest.mark.opensearch_real
def test_real_cluster_nori_matches_korean_summaries(real_engine: Engine) -> None:

    real_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    chunk = real_engine.store.chunks_of_source(Source("mail.py", workspace="T1").key)[0]
    real_engine.store.upsert([replace(chunk, summary="고객에게 청구서를 이메일로 보낸다.")])
    hits = real_engine.store.lexical("청구서를 보내는 함수", k=3, scope=Scope.of("T1"))
    assert names(hits)[0] == "send_invoice_email"


@pytest.mark.opensearch_real
def test_real_cluster_hybrid_retrieval_fuses_both_lists(real_engine: Engine) -> None:
    real_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1"))
    real_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    hit = real_engine.retrieve("S3 버킷에 업로드", Scope.of("T1"), k=1)[0]
    assert hit.chunk.qualname == "upload_to_bucket"
    assert set(hit.ranks) == {"lexical", "vector"}


def test_real_cluster_tests_keep_what_sigv4_needs_and_sign_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `OPENSEARCH_URL=https://search-….es.amazonaws.com pytest -m opensearch_real` used to
    # fail with "set AWS_REGION": every AWS_* variable was stripped, real-cluster tests too.
    aws = AwsAPI().start()
    try:
        developer = {
            "OPENSEARCH_URL": aws.url,  # stands for https://search-….es.amazonaws.com
            "OPENSEARCH_AUTH": "sigv4",  # what such a URL implies
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDDEVELOPER",
            "AWS_SECRET_ACCESS_KEY": "developer-secret",
            "SLACK_BOT_TOKEN": "xoxb-developer",
            "GENCODE_STORE": "sqlite",
        }
        assert sorted(stripped_variables(developer, real_cluster=False)) == sorted(
            set(developer) - {"OPENSEARCH_URL"}
        )
        stripped = stripped_variables(developer, real_cluster=True)
        assert sorted(stripped) == ["GENCODE_STORE", "SLACK_BOT_TOKEN"]
        no_url = {k: v for k, v in developer.items() if k != "OPENSEARCH_URL"}
        assert "AWS_REGION" in stripped_variables(no_url, real_cluster=True)

        for name, value in developer.items():
            if name not in stripped:
                monkeypatch.setenv(name, value)
        from bot.config import Settings
        from bot.services import STORES

        store = STORES["opensearch"](
            Settings.from_env({**os.environ, "GENCODE_STORE": "opensearch"})
        )
        with pytest.raises(StoreError):  # the stand-in serves no OpenSearch, but it saw:
            store.ensure_embedder("model-a", 8)
        assert aws.requests and {r.signed_for for r in aws.requests} == {("eu-west-1", "es")}
    finally:
        aws.stop()


def test_claims_are_first_come_first_served(os_store: OpenSearchStore) -> None:
    os_store.ensure_embedder("model-a", 512)  # as every Engine does first: makes the indices
    assert os_store.claim_once("T1\x1fEv1") is True
    assert os_store.claim_once("T1\x1fEv1") is False
    assert os_store.claim_once("T1\x1fEv2") is True


def test_notes_and_expired_claims(os_store: OpenSearchStore) -> None:
    os_store.ensure_embedder("model-a", 512)
    assert not os_store.remembers("thread\x1fT1\x1fC1\x1f1.0")
    os_store.remember("thread\x1fT1\x1fC1\x1f1.0", ttl=60)
    assert os_store.remembers("thread\x1fT1\x1fC1\x1f1.0")
    assert os_store.claim_once("ev", ttl=-1) is True
    assert os_store.claim_once("ev") is True  # the first claim had already expired
    assert os_store.claim_once("ev") is False


def test_expired_notes_are_dropped_at_start_up(os_store: OpenSearchStore) -> None:
    os_store.ensure_embedder("model-a", 512)
    mapping = os_store.client.indices.get_mapping(index=os_store.claims_index)
    assert mapping[os_store.claims_index]["mappings"]["properties"]["expires"] == {"type": "double"}
    os_store.remember("old", ttl=-1)
    os_store.remember("fresh", ttl=60)
    os_store.client.indices.refresh(index=os_store.claims_index)
    os_store.ensure_embedder("model-a", 512)  # as a new process or container starts
    assert os_store.client.count(index=os_store.claims_index)["count"] == 1
    assert os_store.remembers("fresh") and not os_store.remembers("old")


def test_deleting_a_shared_file_removes_its_chunks(os_engine: Engine) -> None:
    os_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", file_id="F1"))
    os_engine.index_bytes(MAILER, Source("mail.py", workspace="T1", file_id="F2"))
    assert sorted(os_engine.forget_file("T1", "F1")) == [
        "<module>",
        "delete_old_backups",
        "upload_to_bucket",
    ]
    assert os_engine.stats().chunks == 1


def test_an_index_from_before_repositories_gains_the_field_and_keeps_its_chunks(
    opensearch_url: str, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    client = OpenSearch(hosts=[opensearch_url])
    old = index_body(dim=embedder.dim, embed_model=embedder.model_id)
    del old["mappings"]["properties"]["repo"]
    client.indices.create(index="chunks-old", body=old)
    legacy = Source("up.py", workspace="T1", channel="C1")
    (real,) = [
        p for p in chunk_python(UPLOADER.decode(), "up.py") if p.qualname == "upload_to_bucket"
    ]
    doc = {
        "id": "legacy-1",
        "workspace": "T1",
        "scope": "*",
        "source_key": legacy.legacy_key,
        "source_path": "up.py",
        "qualname": "upload_to_bucket",
        "kind": "function",
        "signature": "def upload_to_bucket(bucket, key, path)",
        "start_line": 5,
        "end_line": 7,
        "code": real.code,  # the same code as the file indexed below: it is adopted
        "code_hash": real.code_hash,
        "channel": "C1",
        "language": "python",
        "indexed_at": 1.0,
        "embedding": [0.0] * (embedder.dim - 1) + [1.0],
    }
    client.index(index="chunks-old", id="legacy-1", body=doc, refresh=True)

    store = OpenSearchStore(client, index="chunks-old")
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    try:
        assert store.get(["legacy-1"])[0].qualname == "upload_to_bucket"  # nothing lost
        report = engine.index_bytes(UPLOADER, legacy)
        # the old chunk was adopted and replaced, not left beside a duplicate
        assert "upload_to_bucket" not in [c.qualname for c in report.new]
        assert store.get(["legacy-1"]) == []
        (chunk,) = [c for c in store.chunks_of_source(legacy.key) if c.name == "upload_to_bucket"]
        assert chunk.channel == "C1" and chunk.repo == ""
        other = engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", repo="tools"))
        assert other.removed == () and engine.stats().files == 2
    finally:
        store.close()


def test_a_repository_is_listed_and_replaced_file_by_file(os_engine: Engine) -> None:
    template = Source("", workspace="T1", scope="C1", channel="C1", repo="shop", indexed_by="U1")
    os_engine.index_repository([("up.py", UPLOADER), ("mail.py", MAILER)], template)
    listed = {
        (s.repo, s.path, s.functions, s.indexed_by) for s in os_engine.sources(Scope.of("T1", "C1"))
    }
    assert ("shop", "mail.py", 1, "U1") in listed and len(listed) == 2
    assert os_engine.sources(Scope.of("T1", "C2")) == []  # scoped to C1
    assert len(os_engine.sources(Scope.of("T1"), shared_by="U1")) == 2
    again = os_engine.index_repository([("up.py", UPLOADER)], template)
    assert [f.path for f in again.files if f.deleted] == ["mail.py"]
    assert {s.path for s in os_engine.sources(Scope.of("T1", "C1"))} == {"up.py"}


def test_deleting_a_shared_archive_removes_all_its_chunks_past_one_page(
    os_engine: Engine,
) -> None:
    """A repository shared as one archive is one Slack file: deleting it must remove every
    chunk, not only the first search page (OpenSearch returns at most 10,000 hits)."""
    os_engine.index_bytes(MAILER, Source("mail.py", workspace="T1", file_id="F2"))
    report = os_engine.index_bytes(UPLOADER, Source("m0.py", workspace="T1", file_id="F9"))
    (one,) = [c for c in report.new if c.qualname == "upload_to_bucket"]
    store = os_engine.store
    assert isinstance(store, OpenSearchStore)
    # An archive of 10,001 functions, each document as the store writes it but without its
    # vector: the limit under test is the search window, and HNSW-inserting 10,001 vectors
    # would cost a minute of two shared cores.
    template = {
        k: v for k, v in store._doc(one, one.embedding.shape[0]).items() if k != "embedding"
    }
    actions = [
        {
            "_index": store.index,
            "_id": f"big{i}",
            "_source": {
                **template,
                "id": f"big{i}",
                "source_key": f"k{i // 100}",
                "qualname": f"f{i}",
            },
        }
        for i in range(10_001)
    ]
    helpers.bulk(store.client, actions, refresh=True)
    total = os_engine.stats().chunks
    assert total > 10_001
    assert len(os_engine.forget_file("T1", "F9")) == total - 1
    assert os_engine.stats().chunks == 1
