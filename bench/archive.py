"""A 1,000-file repository shared in Slack as a zip: time to index it, and peak RSS.

Run ``python -m bench.archive``. The archive is real code (the first 1,000 non-empty ``.py``
files of installed dependencies, :data:`PACKAGES` in turn, in path order), zipped in memory.
It is shared through the loopback Slack API of ``tests/`` to the real Bolt app over HTTP,
with the default embedded backends (SQLite, the local USE embedder, extractive summaries),
and timed from the signed event to the :white_check_mark: reaction; the thread's progress
updates are counted. Each run is a fresh worker process, so its peak RSS is its own.

The baseline beside it is the same 1,000 files indexed from disk by ``gencode index``'s
engine call: what an operator with shell access does today. The difference is what
downloading, reading the archive and reporting in Slack cost.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import peak_rss_mb, run_worker, table

FILES = 1_000
PACKAGES = (
    "botocore",
    "slack_sdk",
    "slack_bolt",
    "boto3",
    "opensearchpy",
    "aiohttp",
    "langchain_core",
    "langchain_aws",
    "numpy",
)


def corpus_files(n: int = FILES) -> list[tuple[str, bytes]]:
    """``(path, bytes)`` of the first ``n`` non-empty Python files of the packages."""
    out: list[tuple[str, bytes]] = []
    for package in PACKAGES:
        root = Path(__import__(package).__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            data = path.read_bytes()
            if data.strip() and len(data) < 1_000_000:
                out.append((f"{package}/{path.relative_to(root).as_posix()}", data))
            if len(out) == n:
                return out
    return out


def zipped(files: Sequence[tuple[str, bytes]], top: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(f"{top}/{path}", data)
    return buf.getvalue()


def worker_share() -> dict[str, Any]:
    """Share the archive through the loopback Slack API; time it to the final reaction."""
    from slack_sdk.web import WebClient

    from bot.app import build_app
    from bot.config import Settings
    from bot.server import make_server
    from bot.services import build_engine
    from tests.slack_api import SlackAPI
    from tests.slack_helpers import SECRET, Slack, file_share_event

    files = corpus_files()
    data = zipped(files, "corpus-1000")
    api = SlackAPI().start()
    with tempfile.TemporaryDirectory() as home:
        # USE, as when these figures were first taken: e5 (the default where it runs) spends
        # about 45 s per 1,000 chunks embedding, on top of everything this measures.
        settings = Settings(
            home=Path(home),
            embedder="local",
            slack_bot_token=api.token,
            slack_signing_secret=SECRET,
            slack_api_url=api.api_url,
        )
        engine = build_engine(settings)
        app = build_app(settings, engine, client=WebClient(token=api.token, base_url=api.api_url))
        server = make_server(app, "127.0.0.1", 0, signing_secret=SECRET).start()
        try:
            file = api.add_file("corpus-1000.zip", data)
            ts = api.add_message("C1", "", files=[file], subtype="file_share")
            started = time.perf_counter()
            Slack(server.url).event(file_share_event(file, channel="C1", ts=ts))
            reactions = api.wait_for(
                lambda: (
                    (r := api.reactions.get(("C1", ts), []))
                    and ("white_check_mark" in r or "x" in r)
                    and r
                ),
                timeout=1800,
            )
            seconds = time.perf_counter() - started
            stats = engine.stats()
        finally:
            server.close()
            engine.close()
            api.stop()
    updates = [c for c in api.calls_to("chat.update") if "files…" in c.params.get("text", "")]
    return {
        "ok": "white_check_mark" in reactions,
        "files": len(files),
        "archive_mb": round(len(data) / 1e6, 1),
        "chunks": stats.chunks,
        "seconds": round(seconds, 1),
        "progress_updates": len(updates),
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }


def worker_disk() -> dict[str, Any]:
    """The baseline: the same files from disk, through the engine as ``gencode index`` runs it."""
    from bot.config import Settings
    from bot.services import build_engine

    files = corpus_files()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus-1000"
        for path, data in files:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        engine = build_engine(Settings(home=Path(tmp) / "home", embedder="local"))
        started = time.perf_counter()
        report = engine.index_paths([root])
        seconds = time.perf_counter() - started
        chunks = engine.stats().chunks
        engine.close()
    return {
        "ok": not report.errors,
        "files": len(files),
        "archive_mb": 0.0,
        "chunks": chunks,
        "seconds": round(seconds, 1),
        "progress_updates": 0,
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }


def run() -> str:
    shared, disk = run_worker("bench.archive", "share"), run_worker("bench.archive", "disk")
    headers = [
        "path",
        "ok",
        "files",
        "zip MB",
        "chunks",
        "seconds",
        "progress updates",
        "peak RSS MB",
    ]
    rows = [
        [
            label,
            r["ok"],
            r["files"],
            r["archive_mb"],
            r["chunks"],
            r["seconds"],
            r["progress_updates"],
            r["peak_rss_mb"],
        ]
        for label, r in (
            ("shared in Slack as a zip", shared),
            ("baseline: gencode index from disk", disk),
        )
    ]
    return "## A 1,000-file repository shared as an archive\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.archive", description=__doc__)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker_share() if args.worker == "share" else worker_disk()
        print(json.dumps(result))
        return
    print(run())


if __name__ == "__main__":
    main()
