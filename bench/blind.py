"""Blind tests: libraries whose query sets were written by people who never saw the engine.

Run ``python -m bench.blind [--library rich|boltons|networkx] [--embedders local,e5]``.
Each library's folder (``bench/rich/``, ``bench/boltons/``, ``bench/networkx/``) holds three
query sets (English questions on functions drawn at random, Korean ones on random
functions, Korean ones on well-known API), written by helpers who never saw ``rag/``,
``bench/`` or a score; its README gives the gold-id rules and says when the sets were
scored once.

networkx 3.4.2 was the first blind corpus, boltons 26.2.0 the second and rich 15.0.0 the
third; each was scored once (its ``scored_once.md``) and has been a development set since:
issue #19's coverage of two-part questions was chosen on all three (bench/README.md). The
next retrieval choice needs new blind sets, written the same way.

The library is not a Gencode dependency: it is installed with ``pip --target`` into
``bench/.data/<library>/site``. The indexed copy is the package's library code with every
function docstring blanked, as for the development corpus: the questions were written from
the code, and a docstring would hand BM25 the words of the answer. Test modules (any
``tests`` or ``test`` folder) are left out: no gold answer is a test (the candidate rules
exclude them), and networkx's 5,400 test chunks would have tripled e5's indexing time on
this shared 2-core machine. Gold ids are ``path`` relative to site-packages and
``func`` / ``Class.method``, exactly what the chunker names them.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.services import build_engine

from . import corpus
from ._common import DATA, status, table
from .corpus import Query
from .retrieval import MODE_LABEL, MODES, Metrics, bootstrap_interval, check_golds, evaluate
from .sets import scored_sets


@dataclass(frozen=True)
class Library:
    """A pinned library whose blind query sets live in ``bench/<name>/``."""

    name: str
    version: str

    @property
    def root(self) -> Path:
        return DATA / self.name

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def corpus(self) -> Path:
        """Named ``corpus`` like the development one, so gold sources carry the same repository."""
        return self.root / "corpus"


LIBRARIES = {
    lib.name: lib
    for lib in (
        Library("rich", "15.0.0"),
        Library("boltons", "26.2.0"),
        Library("networkx", "3.4.2"),
    )
}
DEFAULT_LIBRARY = "rich"
EMBEDDERS = ("local", "e5")
CORPUS_VERSION = 2
"""2: test modules left out."""


def install(lib: Library) -> Path:
    """The library into the benchmark's own folder; returns its package directory."""
    package = lib.site / lib.name
    if not package.exists():
        status(f"installing {lib.name}=={lib.version} into {lib.site} ...")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--target",
                str(lib.site),
                f"{lib.name}=={lib.version}",
            ],
            check=True,
        )
    return package


def build_corpus(lib: Library) -> dict[str, int]:
    """The docstring-blanked copy of the installed package, rebuilt when its rules change."""
    marker = lib.root / "corpus.json"
    if marker.exists():
        built: dict[str, int] = json.loads(marker.read_text())
        if built.get("version") == CORPUS_VERSION:
            return built
    package = install(lib)
    shutil.rmtree(lib.corpus, ignore_errors=True)
    files = 0
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(lib.site).as_posix()
        if {"tests", "test"} & set(rel.split("/")[:-1]):
            continue
        source = path.read_text(encoding="utf-8")
        if not source.strip():
            continue
        blanked = corpus.blank_docstrings(source, ast.parse(source, filename=rel))
        target = lib.corpus / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(blanked, encoding="utf-8")
        files += 1
    built = {"version": CORPUS_VERSION, "files": files}
    marker.write_text(json.dumps(built))
    return built


def settings_for(lib: Library, embedder: str) -> Settings:
    return Settings(home=lib.root / f"home-{embedder}", embedder=embedder)


def index(lib: Library, embedder: str) -> dict[str, object]:
    """Index the corpus with one embedder (cached); returns chunks and seconds."""
    corpus_version = build_corpus(lib)["version"]
    settings = settings_for(lib, embedder)
    built = settings.home / "bench-index.json"
    if built.exists():
        cached: dict[str, object] = json.loads(built.read_text())
        if cached.get("corpus_version") == corpus_version:
            return cached
    status(f"indexing {lib.name} with GENCODE_EMBEDDER={embedder} ...")
    shutil.rmtree(settings.home, ignore_errors=True)
    started = time.perf_counter()
    engine = build_engine(settings)
    try:
        report = engine.index_paths([lib.corpus])
        info: dict[str, object] = {
            "corpus_version": corpus_version,
            "embedder": engine.embedder.model_id,
            "files": len(report.files),
            "errors": len(report.errors),
            "chunks": engine.stats().chunks,
            "index_seconds": round(time.perf_counter() - started, 1),
        }
    finally:
        engine.close()
    built.write_text(json.dumps(info, indent=2))
    return info


def load_sets(lib: Library) -> list[tuple[str, list[Query]]]:
    """The labelled sets of ``bench/<library>/corpus.toml`` (``python -m bench.sets``)."""
    return scored_sets(lib.name)


@dataclass(frozen=True)
class Scored:
    library: Library
    embedder: str
    info: dict[str, object]
    results: dict[str, dict[str, Metrics]]


def score(lib: Library, embedder: str) -> Scored:
    info = index(lib, embedder)
    sets = load_sets(lib)
    engine = build_engine(settings_for(lib, embedder))
    try:
        check_golds(engine, [q for _, qs in sets for q in qs])
        results = {label: {m: evaluate(engine, qs, m) for m in MODES} for label, qs in sets}
    finally:
        engine.close()
    return Scored(lib, embedder, info, results)


def _interval(metrics: Metrics, *, within: int | None) -> str:
    """``value [low - high]`` of MRR@10 (``within=None``) or recall@``within``."""

    def hit(rank: int | None) -> float:
        if within is None:
            return 1 / rank if rank else 0.0
        return 1.0 if rank and rank <= within else 0.0

    values = [hit(r) for r in metrics.ranks]
    low, high = bootstrap_interval(lambda ix: sum(values[i] for i in ix) / len(ix), len(values))
    return f"{sum(values) / len(values):.3f} [{low:.3f}-{high:.3f}]"


def report(lib: Library, scored: Sequence[Scored]) -> str:
    sets = load_sets(lib)
    rows = []
    for s in scored:
        for m in MODES:
            row: list[object] = [s.embedder, MODE_LABEL[m]]
            for label, _ in sets:
                got = s.results[label][m]
                row += [_interval(got, within=None), _interval(got, within=5)]
            rows.append(tuple(row))
    headers = ["embedder", "mode"]
    for label, qs in sets:
        headers += [f"{label} MRR@10 (n={len(qs)})", "R@5"]
    lines = [
        f"## Blind test: {lib.name} {lib.version}",
        "",
        "A development set now: scored once blind (its scored_once.md), then looked at by "
        "later choices (bench/README.md). 95% bootstrap intervals in brackets.",
        "",
    ]
    for s in scored:
        lines.append(
            f"- `GENCODE_EMBEDDER={s.embedder}` ({s.info['embedder']}): {s.info['files']} files, "
            f"{s.info['chunks']} chunks, indexed in {s.info['index_seconds']} s"
        )
    lines += ["", table(headers, rows), "", "### Targets (issue #9)", ""]
    lines.append(
        table(
            ["embedder", "target", "measured", "goal", "met"],
            [row for s in scored for row in targets(s)],
        )
    )
    return "\n".join(lines)


TARGET_RATIO = 1.4
TARGET_KOREAN = 0.55
TARGET_GAP = 0.10


def targets(s: Scored) -> list[tuple[object, ...]]:
    """Issue #9's quality targets for one embedder, on the blind sets."""
    en = s.results["EN random"]
    hybrid = [1 / r if r else 0.0 for r in en["hybrid"].ranks]
    bm25 = [1 / r if r else 0.0 for r in en["lexical"].ranks]
    ratio = sum(hybrid) / max(sum(bm25), 1e-9)
    low, high = bootstrap_interval(
        lambda ix: sum(hybrid[i] for i in ix) / max(sum(bm25[i] for i in ix), 1e-9), len(hybrid)
    )
    rows: list[tuple[object, ...]] = [
        (
            s.embedder,
            "EN hybrid / BM25 MRR@10",
            f"{ratio:.2f}x [{low:.2f}-{high:.2f}]",
            f">= {TARGET_RATIO}x",
            _yes(ratio >= TARGET_RATIO),
        )
    ]
    for label in ("KO random", "KO well-known"):
        got = s.results[label]["hybrid"].mrr
        rows.append(
            (
                s.embedder,
                f"{label} hybrid MRR@10",
                _interval(s.results[label]["hybrid"], within=None),
                f">= {TARGET_KOREAN}",
                _yes(got >= TARGET_KOREAN),
            )
        )
        gap = en["hybrid"].mrr - got
        rows.append(
            (
                s.embedder,
                f"EN - {label} hybrid MRR@10",
                f"{gap:.3f}",
                f"<= {TARGET_GAP}",
                _yes(gap <= TARGET_GAP),
            )
        )
    for label in ("EN random", "KO random", "KO well-known"):
        modes = s.results[label]
        best = max(modes["lexical"].mrr, modes["vector"].mrr)
        rows.append(
            (
                s.embedder,
                f"{label}: hybrid >= best single",
                f"{modes['hybrid'].mrr:.3f} vs {best:.3f}",
                ">=",
                _yes(modes["hybrid"].mrr >= best),
            )
        )
    return rows


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def run(lib: Library, embedders: Sequence[str] = EMBEDDERS) -> str:
    return report(lib, [score(lib, e) for e in embedders])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.blind", description=__doc__)
    parser.add_argument(
        "--library",
        choices=sorted(LIBRARIES),
        default=DEFAULT_LIBRARY,
        help=f"which corpus (default: {DEFAULT_LIBRARY}); all three were scored once blind "
        "and are development sets now",
    )
    parser.add_argument(
        "--embedders",
        default=",".join(EMBEDDERS),
        help="comma-separated GENCODE_EMBEDDER values to score (default: local,e5)",
    )
    parser.add_argument(
        "--index-only", action="store_true", help="build the indexes, score nothing"
    )
    args = parser.parse_args(argv)
    chosen = [e.strip() for e in args.embedders.split(",") if e.strip()]
    lib = LIBRARIES[args.library]
    if args.index_only:
        for e in chosen:
            status(json.dumps(index(lib, e)))
        return
    print(run(lib, chosen))


if __name__ == "__main__":
    main()
