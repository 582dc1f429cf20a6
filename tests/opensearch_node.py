"""The real OpenSearch node the tests run on (``scripts/opensearch.sh``), found or started.

The store's k-NN query, the nori analyzer, the ``words`` aggregation and delete-by-query
past 10,000 hits only mean something against the real engine, so the OpenSearch tests take
the node this checkout's ``scripts/opensearch.sh start`` runs. With
``GENCODE_TEST_OPENSEARCH=1`` (what ``scripts/test.sh`` sets) the test session starts one
itself and stops it afterwards. Without a node those tests skip, and the skip says why and
how to get one: they never pass without having run.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from opensearchpy import OpenSearch

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "opensearch.sh"
START_VARIABLE = "GENCODE_TEST_OPENSEARCH"


@dataclass(frozen=True)
class Node:
    """Where the test node answers, or why there is none."""

    url: str | None
    reason: str = ""
    started_here: bool = False


def _run(command: str, *, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), command], capture_output=True, text=True, timeout=timeout, check=False
    )


def find_or_start(*, start: bool) -> Node:
    """The running node of this checkout; else, if ``start``, a new one; else none."""
    try:
        running = _run("status", timeout=30)
        if running.returncode == 0 and running.stdout.strip():
            return Node(running.stdout.strip())
        if not start:
            return Node(
                None,
                "no OpenSearch test node: run scripts/opensearch.sh start, or set "
                f"{START_VARIABLE}=1 so that the tests start one (scripts/test.sh does)",
            )
        started = _run("start", timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Node(None, f"scripts/opensearch.sh could not run: {exc}")
    if started.returncode != 0 or not started.stdout.strip():
        said = " | ".join(started.stderr.strip().splitlines()[-3:]) or f"exit {started.returncode}"
        return Node(None, f"the OpenSearch test node could not start: {said}")
    return Node(started.stdout.strip(), started_here=True)


def stop() -> None:
    _run("stop", timeout=60)


def wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether this test session should start a node when none runs."""
    value = (environ if environ is not None else os.environ).get(START_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes")


BENCH_PREFIX = "bench-"
"""Indices of ``python -m bench.opensearch``, which may run on the same node meanwhile."""


def empty(url: str) -> None:
    """Delete every index on the test node but the node's own (dot) and the benchmarks'
    (``bench-*``), so that each test starts from nothing, as on a fresh domain. Done
    before a test, not after, so that a failed test's indices stay there to look at."""
    client = OpenSearch(hosts=[url], timeout=60)
    try:
        names = [
            row["index"]
            for row in client.cat.indices(format="json", expand_wildcards="open,closed")
            if not row["index"].startswith((".", BENCH_PREFIX))
        ]
        if names:
            client.indices.delete(index=",".join(names), ignore_unavailable=True)
    finally:
        client.close()
