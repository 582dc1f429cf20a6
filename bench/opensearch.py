"""The OpenSearch store beside SQLite, on the real node of ``scripts/opensearch.sh``.

Run ``python -m bench.opensearch`` (``--only parity`` or ``--only speed``,
``--max-scale 10000`` for a quicker run, ``--embedder local`` for USE; the default is the
offline default embedder here). It starts the node if none runs, and stops it afterwards.

- Quality parity: every chunk of the SQLite benchmark indexes (the development corpus of
  ``bench.retrieval`` and the blind libraries of ``bench.blind``), summaries and embeddings
  included, is copied into an OpenSearch index, and every query set is scored on both
  stores in the same run with the same query embeddings: only the store differs.
- Speed at 10k and 100k chunks: the chunk copies of ``bench.speed`` written to OpenSearch
  in 500-chunk bulks as the store writes them (refreshed, so searchable when each returns)
  and to SQLite; hybrid query latency p50/p95 of both, with and without the query's
  embedding. On 2 cores shared with other work this is a floor, not a production figure.
- Refresh delay: how long after ``Engine.index_bytes`` returns another client finds the
  new function, and, for comparison, how long a write that does not ask for a refresh
  waits for the index's own 1 s refresh.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from bot.config import Settings
from bot.services import EMBEDDERS, build_engine
from rag import Chunk, Engine, Source
from rag.generate import ExtractiveGenerator
from rag.stores.opensearch import OpenSearchStore
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer

from . import blind, corpus, retrieval, speed
from ._common import percentile, status, table
from .corpus import Query
from .retrieval import MODES, Metrics, evaluate

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "opensearch.sh"
BATCH = 500
GAP = 0.02
"""MRR@10 differences past this are explained in the README (issue 17)."""


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


@contextmanager
def node() -> Iterator[str]:
    """The URL of this checkout's test node; started here (and stopped after) if needed."""
    running = subprocess.run([SCRIPT, "status"], capture_output=True, text=True)
    if running.returncode == 0:
        yield running.stdout.strip()
        return
    started = subprocess.run([SCRIPT, "start"], capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"the OpenSearch test node did not start:\n{started.stderr}")
    status(started.stderr.strip())
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([SCRIPT, "stop"], capture_output=True)


def client_for(url: str) -> OpenSearch:
    return OpenSearch(hosts=[url], timeout=600)


def sqlite_chunks(path: Path) -> Iterator[list[Chunk]]:
    """Every chunk of a SQLite index (embeddings included), one file at a time."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        keys = [r[0] for r in db.execute("SELECT DISTINCT source_key FROM chunks ORDER BY 1")]
    store = SQLiteStore(path)
    try:
        for key in keys:
            yield store.chunks_of_source(key)
    finally:
        store.close()


def fresh_store(
    client: OpenSearch, index: str, model_id: str, dim: int, **kw: Any
) -> OpenSearchStore:
    client.indices.delete(index=f"{index}*", ignore=[404])
    store = OpenSearchStore(client, index=index, **kw)
    store.ensure_embedder(model_id, dim)
    return store


def write(store: OpenSearchStore, chunks: Iterator[Chunk] | Sequence[Chunk]) -> tuple[int, float]:
    """Chunks written in ``BATCH``-chunk bulks, as the store writes a file; (count, seconds)."""
    started = time.perf_counter()
    count = 0
    batch: list[Chunk] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == BATCH:
            store.upsert(batch)
            count += len(batch)
            batch.clear()
    store.upsert(batch)
    return count + len(batch), time.perf_counter() - started


# -- quality parity ------------------------------------------------------------------------


def twin(sqlite_engine: Engine, home: Path, client: OpenSearch, index: str) -> Engine:
    """An engine over an OpenSearch copy of ``sqlite_engine``'s index, same models."""
    embedder = sqlite_engine.embedder
    store = fresh_store(client, index, embedder.model_id, embedder.dim)
    count, seconds = write(store, (c for f in sqlite_chunks(home / "index.sqlite3") for c in f))
    status(f"copied {count:,} chunks into OpenSearch index {index} in {seconds:.0f} s")
    return Engine(
        store=store,
        embedder=embedder,
        summarizer=sqlite_engine.summarizer,
        generator=sqlite_engine.generator,
    )


def compare(
    corpus_label: str, sets: Sequence[tuple[str, list[Query]]], settings: Settings, url: str
) -> list[tuple[object, ...]]:
    sqlite_engine = build_engine(settings)
    client = client_for(url)
    os_engine = twin(
        sqlite_engine, settings.home, client, f"bench-parity-{settings.embedder}-{corpus_label}"
    )
    rows: list[tuple[object, ...]] = []
    try:
        for label, queries in sets:
            for mode in MODES:
                lite: Metrics = evaluate(sqlite_engine, queries, mode)
                os_: Metrics = evaluate(os_engine, queries, mode)
                moved = sum(a != b for a, b in zip(lite.ranks, os_.ranks, strict=True))
                gap = os_.mrr - lite.mrr
                rows.append(
                    (
                        corpus_label,
                        label,
                        len(queries),
                        mode,
                        f"{lite.mrr:.3f}",
                        f"{os_.mrr:.3f}",
                        f"{gap:+.3f}" + (" !" if abs(gap) > GAP else ""),
                        f"{lite.r1:.2f} / {os_.r1:.2f}",
                        moved,
                        f"{lite.ms_per_query:.0f} / {os_.ms_per_query:.0f}",
                    )
                )
            status(f"scored {corpus_label} {label} (load {load()})")
    finally:
        sqlite_engine.close()
        os_engine.close()
    return rows


CORPORA = ("dev", *blind.LIBRARIES)


def parity(url: str, embedder: str, corpora: Sequence[str] = CORPORA) -> str:
    rows: list[tuple[object, ...]] = []
    if "dev" in corpora:
        chosen = retrieval.backends_for(embedder)
        retrieval.prepare(rebuild=False, chosen=chosen)
        dev = [
            ("EN", corpus.load_queries(retrieval.QUERIES)),
            ("KO test", corpus.load_korean(retrieval.KOREAN_TEST)),
            ("KO random dev", corpus.load_korean(retrieval.KOREAN_RANDOM_DEV)),
            ("KO dev", corpus.load_korean(retrieval.KOREAN_HELDOUT)),
            ("KO tuned-on", corpus.load_korean(retrieval.KOREAN)),
        ]
        rows += compare("dev", dev, chosen.settings, url)
    for lib in blind.LIBRARIES.values():
        if lib.name not in corpora:
            continue
        blind.index(lib, embedder)
        rows += compare(lib.name, blind.load_sets(lib), blind.settings_for(lib, embedder), url)
    return "\n".join(
        [
            "## Quality parity: SQLite and OpenSearch on the same chunks",
            f"GENCODE_EMBEDDER={embedder}, extractive summaries; the SQLite bench indexes copied "
            "into OpenSearch 2.19.1 (k-NN lucene HNSW, nori) on the test node. MRR@10 of each "
            "store, the difference (! past 0.02), recall@1, the queries whose gold rank moved, "
            f"and ms per query. Load average at the end: {load()}.",
            "",
            table(
                [
                    "corpus",
                    "set",
                    "queries",
                    "mode",
                    "SQLite MRR@10",
                    "OpenSearch MRR@10",
                    "diff",
                    "R@1 SQLite / OS",
                    "rank moved",
                    "ms/query SQLite / OS",
                ],
                rows,
            ),
        ]
    )


# -- speed -----------------------------------------------------------------------------------


def latencies(engine: Engine, queries: Sequence[str]) -> dict[str, float]:
    vectors = [engine.embedder.embed_query(q) for q in queries]
    engine.retrieve(queries[0], speed.SCOPE, k=10)  # warm-up (SQLite loads its matrix)
    full = speed._timings(lambda q: engine.retrieve(q, speed.SCOPE, k=10), queries)
    store: list[float] = []
    for q, v in zip(queries, vectors, strict=True):
        started = time.perf_counter()
        engine.store.hybrid(q, v, k=50, scope=speed.SCOPE)
        store.append(1000 * (time.perf_counter() - started))
    return {
        "p50": percentile(full, 50),
        "p95": percentile(full, 95),
        "store_p50": percentile(store, 50),
        "store_p95": percentile(store, 95),
    }


def speed_rows(url: str, embedder: str, sizes: Sequence[int]) -> list[tuple[object, ...]]:
    chunks = speed.real_chunks(embedder)
    queries = speed.latency_queries()
    client = client_for(url)
    rows: list[tuple[object, ...]] = []
    for size in sizes:
        status(f"{size:,} chunks into SQLite (load {load()}) ...")
        built = speed.build_scale(size, chunks, rebuild=True, embedder=embedder)
        lite = speed.engine_at(speed.scale_home(size, embedder), embedder)
        try:
            lite_ms = latencies(lite, queries)
            lite_load = load()
        finally:
            lite.close()
        rows.append(
            (f"{size:,}", "SQLite", f"{size / built['build_s']:,.0f}", *fmt(lite_ms), lite_load)
        )
        status(f"{size:,} chunks into OpenSearch (load {load()}) ...")
        store = fresh_store(
            client,
            f"bench-speed-{size}",
            lite.embedder.model_id,
            lite.embedder.dim,
            analyzer=speed.MemoAnalyzer(),
        )
        count, seconds = write(store, speed.copies(chunks, size))
        os_engine = Engine(
            store=store,
            embedder=lite.embedder,
            summarizer=lite.summarizer,
            generator=lite.generator,
        )
        try:
            segments = client.cat.segments(index=store.index, format="json")
            os_ms = latencies(os_engine, queries)
            os_load = load()
        finally:
            os_engine.close()
        rows.append((f"{count:,}", "OpenSearch", f"{count / seconds:,.0f}", *fmt(os_ms), os_load))
        status(f"measured: {rows[-2]} {rows[-1]}")
        status(f"OpenSearch index {store.index}: {len(segments)} segments; {count / seconds:.0f}/s")
        client.indices.delete(index=f"{store.index}*", ignore=[404])
    return rows


def fmt(ms: dict[str, float]) -> tuple[str, str]:
    return (
        f"{ms['p50']:.0f} / {ms['p95']:.0f}",
        f"{ms['store_p50']:.0f} / {ms['store_p95']:.0f}",
    )


def refresh_rows(url: str, embedder: str, files: int = 20) -> list[tuple[object, ...]]:
    """Index → searchable by another client, through the engine and with a plain write."""
    model = EMBEDDERS[embedder](Settings())
    client, reader = client_for(url), client_for(url)
    store = fresh_store(client, "bench-refresh", model.model_id, model.dim)
    os_engine = Engine(
        store=store,
        embedder=model,
        summarizer=ExtractiveSummarizer(),
        generator=ExtractiveGenerator(),
    )

    def visible_after(name: str, since: float) -> float:
        body = {"size": 1, "query": {"term": {"qualname": name}}}
        while not reader.search(index=store.index, body=body)["hits"]["hits"]:
            time.sleep(0.005)
        return 1000 * (time.perf_counter() - since)

    indexing: list[float] = []
    after_engine: list[float] = []
    after_plain: list[float] = []
    try:
        os_engine.index_bytes(b"def warm_up():\n    return 1\n", Source("warm_up.py"))  # model load
        for n in range(files):
            name = f"refresh_probe_{n}"
            code = f'def {name}(order):\n    """Refund order {n}."""\n    return order\n'
            started = time.perf_counter()
            os_engine.index_bytes(code.encode(), Source(f"probe_{n}.py"))
            returned = time.perf_counter()
            indexing.append(1000 * (returned - started))
            after_engine.append(visible_after(name, returned))
            plain = f"plain_probe_{n}"
            sent = time.perf_counter()
            client.index(index=store.index, id=plain, body={"qualname": plain, "workspace": "x"})
            after_plain.append(visible_after(plain, sent))
    finally:
        os_engine.close()
        reader.close()
    return [
        (
            "Engine.index_bytes (store writes with refresh=true)",
            files,
            f"{percentile(indexing, 50):.0f} / {max(indexing):.0f}",
            f"{percentile(after_engine, 50):.0f} / {max(after_engine):.0f}",
            load(),
        ),
        (
            "one document written without refresh (index refresh_interval 1 s)",
            files,
            "",
            f"{percentile(after_plain, 50):.0f} / {max(after_plain):.0f}",
            load(),
        ),
    ]


def speed_report(url: str, embedder: str, max_scale: int) -> str:
    sizes = [s for s in (10_000, 100_000) if s <= max_scale]
    rows = speed_rows(url, embedder, sizes)
    refresh = refresh_rows(url, embedder)
    return "\n".join(
        [
            "## Speed at scale: SQLite and OpenSearch, same chunks, same run",
            f"GENCODE_EMBEDDER={embedder}. Writes in {BATCH}-chunk bulks (OpenSearch: refreshed "
            "each, as the store writes; SQLite: the speed bench's 2,000-chunk upserts). Hybrid "
            "retrieve p50 / p95 with the query's embedding, and the store's hybrid search "
            "alone (both top-50 lists). One node, 512 MB heap, Java 17, 2 cores shared with "
            "other work: a floor, not a production figure.",
            "",
            table(
                [
                    "chunks",
                    "store",
                    "written/s",
                    "retrieve p50 / p95 ms",
                    "store hybrid p50 / p95 ms",
                    "load average",
                ],
                rows,
            ),
            "",
            "### From indexed to searchable (another client polling every 5 ms)",
            "",
            table(
                ["write", "files", "index p50 / max ms", "searchable after p50 / max ms", "load"],
                refresh,
            ),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.opensearch", description=__doc__)
    parser.add_argument("--only", choices=("parity", "speed"), default=None)
    parser.add_argument("--max-scale", type=int, default=100_000)
    parser.add_argument("--embedder", default=retrieval.default_embedder())
    parser.add_argument(
        "--corpora",
        default=",".join(CORPORA),
        help="parity: which indexes to compare (dev = bench.retrieval's; the blind libraries)",
    )
    args = parser.parse_args(argv)
    with node() as url:
        if args.only in (None, "parity"):
            print(parity(url, args.embedder, args.corpora.split(",")), flush=True)
            print()
        if args.only in (None, "speed"):
            print(speed_report(url, args.embedder, args.max_scale), flush=True)


if __name__ == "__main__":
    main()
