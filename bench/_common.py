"""What both benchmarks share: where cached data lives, how an engine is built, tables.

The engine is built exactly as the CLI builds it (``bot.services.build_engine``) so the
figures describe what users run, not a bench-only configuration.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.services import build_engine
from rag import Engine

DATA = Path(__file__).resolve().parent / ".data"
"""Cached corpora and indexes (git-ignored); ``--rebuild`` starts over."""


def engine_at(home: Path, embedder: str = "local") -> Engine:
    """The default embedded engine (SQLite, a local embedder, no LLM) over ``home``."""
    return build_engine(Settings(home=home, embedder=embedder))


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ``ru_maxrss`` in KiB)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; enough for ~100 latency samples."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output can be pasted into the README as is."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def status(message: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


def run_worker(module: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m MODULE --worker ARGS`` in a fresh process (so that its peak RSS is
    its own) and return the JSON object its last line prints."""
    out = subprocess.run(
        [sys.executable, "-m", module, "--worker", *args],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise SystemExit(f"worker {module} {args} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result
