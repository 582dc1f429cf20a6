"""Speed and memory: indexing throughput, query latency and peak RSS at 1k/10k/100k chunks.

Run ``python -m bench.speed`` (``--max-scale 10000`` for a quicker run, ``--rebuild`` to
rebuild the cached scale stores).

Each measurement runs in a fresh worker process so that its peak RSS is its own: the
bot's memory budget (a 1 GB Lambda, a small container) is per process. Scale stores are
built from the chunks of the retrieval corpus (real code, real embeddings) plus copies
under distinct ids and paths, written through ``SQLiteStore.upsert``; queries go through
``Engine.retrieve`` in hybrid mode, query embedding included.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.services import EMBEDDERS
from rag import Chunk, Scope
from rag.analysis import Analyzer
from rag.chunking import chunk_python
from rag.embed import Embedder, Matrix, reads_code
from rag.stores.sqlite import SQLiteStore

from . import corpus, retrieval
from ._common import DATA, engine_at, peak_rss_mb, percentile, run_worker, status, table

ROOT = DATA / "speed"
SCALES = (1_000, 10_000, 100_000)
INDEX_FUNCTIONS = 1_000
LATENCY_QUERIES = 100
SCOPE = Scope.of("local")
TARGET_INDEX_S = 60.0
TARGET_INDEX_BEST_S = 300.0
TARGET_P50_MS = 60.0
TARGET_RSS_MB = 600.0


# -- workers (each runs in its own process) -------------------------------------------------


class TimedEmbedder:
    """Wraps an embedder to count the seconds spent embedding during indexing."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.reads_code = reads_code(inner)

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        started = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)


def index_sample(target: Path) -> int:
    """Copy original (docstring-bearing) modules until they hold ``INDEX_FUNCTIONS`` functions.

    Whole files in a fixed order, so the sample is real code and the same on every run.
    """
    functions = 0
    for disk_path, rel in corpus.source_files():
        source = disk_path.read_text(encoding="utf-8")
        if not source.strip():
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(disk_path, dest)
        functions += sum(1 for c in chunk_python(source, rel) if c.kind in corpus.CALLABLE_KINDS)
        if functions >= INDEX_FUNCTIONS:
            break
    return functions


def worker_index(embedder: str) -> dict[str, Any]:
    """Cold indexing of ~1,000 real functions into an empty store, model load included."""
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "src"
        functions = index_sample(files)
        started = time.perf_counter()
        engine = engine_at(Path(tmp) / "home", embedder)
        inner = engine.embedder
        inner.embed_query("load the model")
        load_s = time.perf_counter() - started
        timed = TimedEmbedder(inner)
        engine.embedder = timed
        started = time.perf_counter()
        report = engine.index_paths([files])
        index_s = time.perf_counter() - started
        chunks = engine.stats().chunks
        engine.close()
    return {
        "files": len(report.files),
        "errors": len(report.errors),
        "functions": functions,
        "chunks": chunks,
        "load_s": load_s,
        "index_s": index_s,
        "embed_s": timed.seconds,
        "rss_mb": peak_rss_mb(),
    }


def latency_queries() -> list[str]:
    """All hand-written Korean queries, topped up with English ones to ``LATENCY_QUERIES``."""
    korean = [q.text for q in corpus.load_korean(retrieval.KOREAN)]
    english = [q.text for q in corpus.load_queries(retrieval.QUERIES)]
    return (korean + english)[:LATENCY_QUERIES]


def _timings(run: Any, queries: Sequence[str]) -> list[float]:
    out = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        out.append(1000 * (time.perf_counter() - started))
    return out


def worker_query(home: Path, embedder: str) -> dict[str, Any]:
    """Latency per mode, the cost of a matrix reload after a write, and peak RSS."""
    queries = latency_queries()
    started = time.perf_counter()
    engine = engine_at(home, embedder)
    engine.embedder.embed_query("load the model")
    load_s = time.perf_counter() - started
    rss_loaded = peak_rss_mb()
    started = time.perf_counter()
    engine.retrieve(queries[0], SCOPE, k=10)  # warm-up: loads the vector matrix
    first_ms = 1000 * (time.perf_counter() - started)
    result: dict[str, Any] = {"load_s": load_s, "rss_loaded_mb": rss_loaded, "first_ms": first_ms}
    for mode in ("lexical", "vector", "hybrid"):
        ms = _timings(lambda q, m=mode: engine.retrieve(q, SCOPE, k=10, mode=m), queries)
        result[mode] = {"p50": percentile(ms, 50), "p95": percentile(ms, 95)}
    embed_ms = _timings(engine.embedder.embed_query, queries)
    result["embed_p50"] = percentile(embed_ms, 50)
    # A write (here: re-upserting one chunk as it is) bumps the store generation, so the
    # next vector search reloads the whole matrix from SQLite.
    sample = engine.retrieve(queries[0], SCOPE, k=1)[0].chunk
    again = engine.store.chunks_of_source(sample.source_key)
    engine.store.upsert([c for c in again if c.id == sample.id])
    started = time.perf_counter()
    engine.retrieve(queries[1], SCOPE, k=10)
    result["after_write_ms"] = 1000 * (time.perf_counter() - started)
    result["chunks"] = engine.stats().chunks
    result["rss_mb"] = peak_rss_mb()
    result["loadavg"] = os.getloadavg()[0]
    engine.close()
    return result


# -- building the scale stores ---------------------------------------------------------------


class MemoAnalyzer(Analyzer):
    """Remembers analysed texts: synthetic copies repeat the same code thousands of times.

    The FTS rows written are exactly what the real analyzer produces; only the repeated
    Python-side analysis is skipped, so a 100k store builds in a minute or two.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[str, str] = {}

    def document(self, text: str) -> str:
        cached = self._seen.get(text)
        if cached is None:
            cached = self._seen[text] = super().document(text)
        return cached


def real_chunks(embedder: str) -> list[Chunk]:
    """Every chunk of the retrieval index, embeddings included, in a stable order."""
    chosen = retrieval.backends_for(embedder)
    retrieval.prepare(rebuild=False, chosen=chosen)
    path = chosen.home / "index.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        keys = [r[0] for r in db.execute("SELECT DISTINCT source_key FROM chunks ORDER BY 1")]
    store = SQLiteStore(path)
    try:
        return [c for key in keys for c in store.chunks_of_source(key)]
    finally:
        store.close()


def copies(chunks: Sequence[Chunk], total: int) -> Iterator[Chunk]:
    """``total`` chunks: the originals, then copies under ``copyNNN/`` with fresh ids."""
    for n in range(total):
        generation, original = divmod(n, len(chunks))
        chunk = chunks[original]
        if generation == 0:
            yield chunk
            continue
        path = f"copy{generation:03d}/{chunk.source_path}"
        yield replace(
            chunk,
            id=hashlib.sha256(f"{generation}\x1f{chunk.id}".encode()).hexdigest()[:32],
            source_path=path,
            source_key=f"{chunk.workspace}\x1f{chunk.scope}\x1f{path}",
        )


def scale_home(size: int, embedder: str) -> Path:
    return ROOT / (f"scale-{size}" if embedder == "local" else f"scale-{embedder}-{size}")


def build_scale(
    size: int, chunks: Sequence[Chunk], *, rebuild: bool, embedder: str = "local"
) -> dict[str, Any]:
    """A store of exactly ``size`` chunks under ``bench/.data/speed``, cached between runs."""
    home = scale_home(size, embedder)
    info_path = home / "build.json"
    if not rebuild and info_path.exists():
        info: dict[str, Any] = json.loads(info_path.read_text())
        if info.get("source_chunks") == len(chunks):
            return info
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    store = SQLiteStore(home / "index.sqlite3", analyzer=MemoAnalyzer())
    model = EMBEDDERS[embedder](Settings())  # only its id and dimension, no model loaded
    store.ensure_embedder(model.model_id, model.dim)
    started = time.perf_counter()
    batch: list[Chunk] = []
    for chunk in copies(chunks, size):
        batch.append(chunk)
        if len(batch) == 2_000:
            store.upsert(batch)
            batch.clear()
    store.upsert(batch)
    seconds = time.perf_counter() - started
    store.close()
    info = {"size": size, "source_chunks": len(chunks), "build_s": seconds}
    info_path.write_text(json.dumps(info))
    status(f"built {size:,}-chunk store in {seconds:.0f} s")
    return info


# -- orchestration -----------------------------------------------------------------------------


def index_table(r: dict[str, Any]) -> str:
    return table(
        [
            "files",
            "functions",
            "chunks",
            "model load s",
            "index s",
            "of which embedding s",
            "functions/s",
            "peak RSS MB",
        ],
        [
            (
                r["files"],
                r["functions"],
                r["chunks"],
                r["load_s"],
                r["index_s"],
                r["embed_s"],
                f"{r['functions'] / r['index_s']:.1f}",
                f"{r['rss_mb']:.0f}",
            )
        ],
    )


def scale_table(points: Sequence[dict[str, Any]]) -> str:
    def pair(q: dict[str, Any], mode: str) -> str:
        return f"{q[mode]['p50']:.1f} / {q[mode]['p95']:.1f}"

    return table(
        [
            "chunks",
            "hybrid p50 / p95 ms",
            "BM25 only (peer) p50 / p95",
            "vector only p50 / p95",
            "query embed p50",
            "1st query (matrix load) ms",
            "1st query after a write ms",
            "RSS models loaded MB",
            "peak RSS MB",
            "load avg",
        ],
        [
            (
                f"{q['chunks']:,}",
                pair(q, "hybrid"),
                pair(q, "lexical"),
                pair(q, "vector"),
                f"{q['embed_p50']:.1f}",
                f"{q['first_ms']:.0f}",
                f"{q['after_write_ms']:.0f}",
                f"{q['rss_loaded_mb']:.0f}",
                f"{q['rss_mb']:.0f}",
                f"{q['loadavg']:.1f}",
            )
            for q in points
        ],
    )


def index_goal(embedder: str) -> tuple[float, str]:
    """Issue #9: the fast path (USE) under 60 s, the best-quality default (e5) under 5 min."""
    if embedder == "e5":
        return TARGET_INDEX_BEST_S, "best-quality default"
    return TARGET_INDEX_S, "fast path"


def targets_table(indexed: dict[str, Any], largest: dict[str, Any], embedder: str) -> str:
    cold_s = indexed["load_s"] + indexed["index_s"]
    goal_s, path = index_goal(embedder)
    p50, rss = largest["hybrid"]["p50"], largest["rss_mb"]
    at = f"at {largest['chunks']:,} chunks"
    return table(
        ["target", "measured", "goal", "met"],
        [
            (
                f"index {indexed['functions']:,} functions, model load included ({path})",
                f"{cold_s:.1f} s",
                f"< {goal_s:.0f} s",
                _yes(cold_s < goal_s),
            ),
            (
                f"hybrid query p50 {at}",
                f"{p50:.1f} ms",
                f"< {TARGET_P50_MS:.0f} ms",
                _yes(p50 < TARGET_P50_MS),
            ),
            (
                f"peak RSS, models loaded, {at}",
                f"{rss:.0f} MB",
                f"< {TARGET_RSS_MB:.0f} MB",
                _yes(rss < TARGET_RSS_MB),
            ),
        ],
    )


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def run(*, max_scale: int = SCALES[-1], rebuild: bool = False, embedder: str = "local") -> str:
    """All speed figures as Markdown; the heavy work happens in worker processes."""
    status(f"indexing ~1,000 real functions in a fresh process (GENCODE_EMBEDDER={embedder}) ...")
    indexed = run_worker("bench.speed", "index", embedder)
    chunks = real_chunks(embedder)
    points = []
    for size in (s for s in SCALES if s <= max_scale):
        build_scale(size, chunks, rebuild=rebuild, embedder=embedder)
        status(f"measuring queries at {size:,} chunks ...")
        points.append(run_worker("bench.speed", "query", embedder, str(scale_home(size, embedder))))
    return "\n".join(
        [
            "## Speed and memory",
            f"Indexing {INDEX_FUNCTIONS:,}+ real functions offline (slack_sdk + botocore modules, "
            f"GENCODE_EMBEDDER={embedder}, extractive summaries, empty SQLite store; one fresh "
            "process):",
            "",
            index_table(indexed),
            "",
            f"Query latency over {LATENCY_QUERIES} real queries (Korean + English) after one warm-up, "
            "`Engine.retrieve(k=10)`, query embedding included; one fresh process per scale point:",
            "",
            scale_table(points),
            "",
            targets_table(indexed, points[-1], embedder),
            "",
            "Scale points above the real corpus are copies of its chunks (distinct ids and paths, "
            "same embeddings); `load avg` is the 1-minute load of this shared 2-core machine.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument("--max-scale", type=int, default=SCALES[-1], help="largest scale point")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached scale stores")
    parser.add_argument(
        "--embedder", default="local", choices=("local", "e5"), help="GENCODE_EMBEDDER to time"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, embedder, *rest = args.worker
        result = (
            worker_index(embedder) if kind == "index" else worker_query(Path(rest[0]), embedder)
        )
        print(json.dumps(result))
        return
    print(run(max_scale=args.max_scale, rebuild=args.rebuild, embedder=args.embedder))


if __name__ == "__main__":
    main()
