"""An index made by the released mapping, taken over by this code, on the real node.

A deployed domain keeps its index across releases: the new code must index, search and
re-index in it without losing a chunk. ``opensearch_release_mapping.json`` is
``infra/opensearch/chunks-index.json`` as released (commit 36fe556); replace it at each
release, after this test has passed with it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from opensearchpy import OpenSearch

from rag import Engine, Scope, Source
from rag.generate import ExtractiveGenerator
from rag.stores.opensearch import OpenSearchStore, index_body
from tests.conftest import CountingEmbedder, CountingSummarizer
from tests.test_store_opensearch import MAILER, UPLOADER, names

RELEASE = Path(__file__).parent / "opensearch_release_mapping.json"


def release_body(embedder: CountingEmbedder) -> dict:  # type: ignore[type-arg]
    body = json.loads(RELEASE.read_text())
    body["mappings"]["_meta"].update(embed_model=embedder.model_id, embed_dim=embedder.dim)
    body["mappings"]["properties"]["embedding"]["dimension"] = embedder.dim
    return body  # type: ignore[no-any-return]


def test_fields_change_only_by_being_added() -> None:
    # Only new fields reach an existing index (put_mapping, see ensure_embedder); a changed
    # field or analyzer would silently stay as released there and needs a reindex plan.
    released = json.loads(RELEASE.read_text())
    current = index_body(dim=1024, embed_model="amazon.titan-embed-text-v2:0")
    for name, kind in released["mappings"]["properties"].items():
        assert current["mappings"]["properties"][name] == kind, name
    assert current["settings"]["analysis"] == released["settings"]["analysis"]


def test_an_index_made_by_the_release_is_indexed_searched_and_reindexed_without_loss(
    opensearch_url: str, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    client = OpenSearch(hosts=[opensearch_url])
    client.indices.create(index="chunks-release", body=release_body(embedder))
    store = OpenSearchStore(client, index="chunks-release")
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    try:
        up, mail = Source("up.py", workspace="T1"), Source("mail.py", workspace="T1")
        first = engine.index_bytes(UPLOADER, up)
        engine.index_bytes(MAILER, mail)
        written = {
            c.id: c for c in store.chunks_of_source(up.key) + store.chunks_of_source(mail.key)
        }
        assert len(written) == 4 and len(first.new) == 3

        # Searched through every part of the mapping: BM25 terms, k-NN, nori.
        hit = engine.retrieve("S3 버킷에 업로드", Scope.of("T1"), k=1)[0]
        assert hit.chunk.qualname == "upload_to_bucket" and set(hit.ranks) == {"lexical", "vector"}
        (chunk,) = [c for c in written.values() if c.qualname == "send_invoice_email"]
        store.upsert([replace(chunk, summary="고객에게 청구서를 이메일로 보낸다.")])
        assert names(store.lexical("청구서를 보내는 함수", k=1, scope=Scope.of("T1"))) == [
            "send_invoice_email"
        ]

        # Re-indexed: one function gone, the rest unchanged, the other file untouched.
        v2 = UPLOADER.replace(b"def delete_old_backups(days):", b"def _unused(days):")
        again = engine.index_bytes(v2, up)
        assert again.removed == ("delete_old_backups",) and [c.qualname for c in again.new] == [
            "_unused"
        ]
        assert len(again.unchanged) == 2
        kept = {c.id: c for c in store.chunks_of_source(mail.key)}
        assert kept.keys() == {c.id for c in written.values() if c.source_key == mail.key}
        for c in kept.values():
            expected = written[c.id]
            if c.qualname == "send_invoice_email":
                expected = replace(expected, summary="고객에게 청구서를 이메일로 보낸다.")
            assert c == expected and c.embedding is not None
        assert engine.stats().chunks == 4
    finally:
        engine.close()
