"""Shares built to grow the index without bound: time, peak RSS and disk, with and without limits.

Run ``python -m bench.limits``. The two shares of issue 16 (item 6), rebuilt here:

* ``one .py``: a single 0.92 MB file of 47,000 one-line functions (``def f1(): pass``);
* ``zip``: three such files of 0.99 MB (about 150,000 definitions) in one zip;
* ``zip at the limits``: four files of 4,950 such functions (19,800 definitions), about
  the largest share the default limits let through.

Each is shared through the loopback Slack API of ``tests/`` to the real Bolt app over HTTP,
on the default embedded backends (SQLite, the local USE embedder, extractive summaries), in
a fresh worker process (so that its peak RSS is its own), and timed from the signed event to
the final reaction. The store's size is taken on disk at that moment (database and WAL).

Beside the shipped defaults, the baseline runs the same code with the limits lifted
(``GENCODE_MAX_DEFINITIONS_PER_FILE``, ``..._PER_SHARE`` and the share time budget): what
main did before the limits existed.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from ._common import peak_rss_mb, run_worker, status, table

UNLIMITED = {
    "max_definitions_per_file": 10**9,
    "max_definitions_per_share": 10**9,
    "archive_time_budget": 0.0,
}


def one_liners(size: int, start: int = 0) -> bytes:
    """A Python file of ``def fN(): pass`` lines, ``size`` bytes at most."""
    out = io.StringIO()
    n, written = start, 0
    while True:
        line = f"def f{n}(): pass\n"
        if written + len(line) > size:
            return out.getvalue().encode()
        out.write(line)
        written += len(line)
        n += 1


def cases() -> dict[str, tuple[str, bytes]]:
    """Case name -> (file name as shared, bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"bomb/m{i}.py", one_liners(990_000, start=i * 100_000))
    largest = io.BytesIO()
    with zipfile.ZipFile(largest, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(4):
            z.writestr(f"big/m{i}.py", "".join(f"def f{i}_{j}(): pass\n" for j in range(4_950)))
    return {
        "one .py": ("generated.py", one_liners(920_000)),
        "zip": ("bomb.zip", buf.getvalue()),
        "zip at the limits": ("big.zip", largest.getvalue()),
    }


def _disk_mb(home: Path) -> float:
    return sum(p.stat().st_size for p in home.glob("index.sqlite3*")) / 1e6


def worker(case: str, mode: str) -> dict[str, Any]:
    from slack_sdk.web import WebClient

    from bot.app import build_app
    from bot.config import Settings
    from bot.server import make_server
    from bot.services import build_engine
    from tests.slack_api import SlackAPI
    from tests.slack_helpers import Slack, file_share_event

    name, data = cases()[case]
    known = {f.name for f in fields(Settings)}
    overrides = {k: v for k, v in UNLIMITED.items() if k in known} if mode == "unlimited" else {}
    api = SlackAPI().start()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(
            home=home,
            embedder="local",
            slack_bot_token=api.token,
            slack_signing_secret="s",
            slack_api_url=api.api_url,
            **overrides,
        )
        engine = build_engine(settings)
        app = build_app(settings, engine, client=WebClient(token=api.token, base_url=api.api_url))
        server = make_server(app, "127.0.0.1", 0, signing_secret="s").start()
        try:
            file = api.add_file(name, data)
            ts = api.add_message("C1", "", files=[file], subtype="file_share")
            started = time.perf_counter()
            Slack(server.url, secret="s").event(file_share_event(file, channel="C1", ts=ts))
            reactions = api.wait_for(
                lambda: (
                    (r := api.reactions.get(("C1", ts), []))
                    and ("white_check_mark" in r or "x" in r)
                    and r
                ),
                timeout=3600,
            )
            seconds = time.perf_counter() - started
            disk = _disk_mb(home)
            chunks = engine.stats().chunks
            replies = [m for m in api.thread("C1", ts) if m.get("bot_id")]
        finally:
            server.close()
            engine.close()
            api.stop()
        disk_closed = _disk_mb(home)
    said = next((m["text"].splitlines()[0] for m in reversed(replies) if m["text"]), "")
    return {
        "outcome": "✅" if "white_check_mark" in reactions else "❌",
        "upload_kb": round(len(data) / 1000),
        "chunks": chunks,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "disk_mb": round(disk, 1),
        "disk_closed_mb": round(disk_closed, 1),
        "said": said[:140],
    }


def run(modes: tuple[str, ...] = ("defaults", "unlimited")) -> str:
    rows = []
    for case in cases():
        for mode in modes:
            status(f"limits: {case}, {mode}")
            r = run_worker("bench.limits", f"{case}|{mode}", timeout=7200)
            rows.append(
                [
                    case,
                    "shipped defaults" if mode == "defaults" else "baseline: no limits",
                    r["upload_kb"],
                    r["outcome"],
                    r["chunks"],
                    r["seconds"],
                    r["peak_rss_mb"],
                    r["disk_mb"],
                    r["disk_closed_mb"],
                    r["said"],
                ]
            )
    headers = [
        "share",
        "limits",
        "upload KB",
        "",
        "chunks",
        "seconds",
        "peak RSS MB",
        "store MB (db+WAL)",
        "after close",
        "first line in the thread",
    ]
    return "## Shares that grow the index without bound (USE, SQLite)\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.limits", description=__doc__)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--modes", default="defaults,unlimited")
    args = parser.parse_args()
    if args.worker:
        case, mode = args.worker.split("|")
        print(json.dumps(worker(case, mode)))
        return
    print(run(tuple(args.modes.split(","))))


if __name__ == "__main__":
    main()
