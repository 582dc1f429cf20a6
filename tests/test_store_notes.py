"""Notes with values in the shared store: what every process sees of the others' work.

Both stores keep a note (``remember``) with a value until it expires, find the live ones
by key prefix (``recall``) and drop one on request; a second connection (another process)
sees the same. The shares being indexed are kept this way (handlers/inflight.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from rag.stores.opensearch import OpenSearchStore
from rag.stores.sqlite import SQLiteStore

Store = SQLiteStore | OpenSearchStore


@pytest.fixture(params=["sqlite", "opensearch"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two handles on one store, as two processes have."""
    if request.param == "sqlite":
        pair: tuple[Store, Store] = (
            SQLiteStore(tmp_path / "n.sqlite3"),
            SQLiteStore(tmp_path / "n.sqlite3"),
        )
    else:
        url = request.getfixturevalue("osmem_url")
        pair = tuple(  # type: ignore[assignment]
            OpenSearchStore(OpenSearch(hosts=[url]), index="notes-test", nori=False)
            for _ in range(2)
        )
        for store in pair:
            store.ensure_embedder("model-a", 8)
    yield pair
    for store in pair:
        store.close()


def visible(store: Store) -> None:
    """OpenSearch searches see a write once the index refreshes (about a second)."""
    if isinstance(store, OpenSearchStore):
        store.client.indices.refresh(index=store.claims_index)


def test_notes_keep_values_are_found_by_prefix_and_can_be_dropped(
    two_stores: tuple[Store, Store],
) -> None:
    a, b = two_stores
    a.remember("share\x1fT1\x1fC1\x1f1.0", ttl=60, value='{"done": 3}')
    a.remember("share\x1fT1\x1fC1\x1f2.0", ttl=-1, value="expired")
    a.remember("thread\x1fT1\x1fC1\x1f1.0", ttl=60)
    visible(b)
    assert b.recall("share\x1f") == {"share\x1fT1\x1fC1\x1f1.0": '{"done": 3}'}

    a.remember("share\x1fT1\x1fC1\x1f1.0", ttl=60, value='{"done": 7}')  # progress
    visible(b)
    assert b.recall("share\x1fT1") == {"share\x1fT1\x1fC1\x1f1.0": '{"done": 7}'}

    b.drop_note("share\x1fT1\x1fC1\x1f1.0")
    b.drop_note("never kept")
    visible(a)
    assert a.recall("share\x1f") == {}
    assert a.remembers("thread\x1fT1\x1fC1\x1f1.0")
