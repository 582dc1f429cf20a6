"""Summarization fan-out benchmark against the loopback bedrock-runtime.

Every call takes ``--latency`` seconds (1 s, like a short summary from a real model).
The fan-out spreads ``--chunks`` summaries over ``--regions`` × ``--concurrency`` calls in
flight, so its physical limit is ``chunks × latency / (regions × concurrency)``: 31.25 s
for the defaults. The target is ≤ 40 s, and every chunk summarized with 10% of calls
throttled. The sequential baseline (one region, one call at a time) is measured on a
sample and extrapolated, since running it in full would take 1,000 s.

    python -m bench.summarize_fanout                 # the table below, about 2 minutes
    python -m bench.summarize_fanout --chunks 200    # quicker
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

from rag.bedrock import BedrockClients, BedrockOptions, BedrockSummarizer
from rag.chunking import ParsedChunk
from tests.bedrock_server import AWS_TEST_ENV, BedrockServer

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-2", "eu-central-1", "ap-south-1")


@dataclass
class Row:
    name: str
    layout: str
    chunks: int
    wall: float
    calls: int
    throttled: int
    summarized: int
    failed: int
    note: str = ""


def make_chunks(n: int) -> list[ParsedChunk]:
    return [
        ParsedChunk(
            path=f"pkg/module_{i // 20}.py",
            qualname=f"handler_{i}",
            kind="function",
            signature=f"def handler_{i}(event, context)",
            start_line=1,
            end_line=4,
            code=f"def handler_{i}(event, context):\n    return process(event, {i})\n",
        )
        for i in range(n)
    ]


def run(
    server: BedrockServer,
    name: str,
    chunks: list[ParsedChunk],
    regions: tuple[str, ...],
    concurrency: int,
    throttle: float,
    latency: float,
) -> Row:
    server.reset()
    server.default.delay = latency
    server.default.throttle_rate = throttle
    options = BedrockOptions(regions=regions, endpoint_url=server.url, concurrency=concurrency)
    summarizer = BedrockSummarizer(BedrockClients(options))
    for region in regions:  # build clients before the clock starts, as a server would
        summarizer.fanout.clients.get(region)
    started = time.perf_counter()
    summaries = summarizer.summarize(chunks)
    wall = time.perf_counter() - started
    calls = server.calls()
    return Row(
        name=name,
        layout=f"{len(regions)} × {concurrency}",
        chunks=len(chunks),
        wall=wall,
        calls=len(calls),
        throttled=sum(1 for c in calls if c.status == 429),
        summarized=sum(1 for s in summaries if s.text and not s.error),
        failed=sum(1 for s in summaries if s.error),
    )


def report(
    *,
    chunks: int = 1000,
    regions: int = 4,
    concurrency: int = 8,
    latency: float = 1.0,
    throttle: float = 0.10,
    sequential_sample: int = 10,
) -> str:
    """Run the baseline and both fan-out runs; return the table as text."""
    os.environ.update(AWS_TEST_ENV)
    names = REGIONS[:regions]
    work = make_chunks(chunks)
    limit = chunks * latency / (len(names) * concurrency)
    rows = []
    with BedrockServer() as server:
        sample = min(sequential_sample, chunks)
        seq = run(server, "sequential", work[:sample], names[:1], 1, 0.0, latency)
        scale = chunks / sample
        rows.append(
            Row(
                "sequential baseline",
                "1 × 1",
                chunks,
                seq.wall * scale,
                round(seq.calls * scale),
                0,
                round(seq.summarized * scale),
                0,
                f"extrapolated from {sample} chunks ({seq.wall:.1f} s)",
            )
        )
        rows.append(run(server, "fan-out", work, names, concurrency, 0.0, latency))
        rows.append(
            run(
                server,
                f"fan-out, {throttle:.0%} throttled",
                work,
                names,
                concurrency,
                throttle,
                latency,
            )
        )
    header = (
        f"{'run':<24} {'regions×conc':>12} {'wall s':>8} {'calls':>6} {'429s':>5} "
        f"{'summaries':>11} {'failed':>6}"
    )
    lines = [
        f"## Summarization fan-out: {chunks} chunks, {latency:g} s per call, "
        f"physical limit {limit:.1f} s for {len(names)} regions × {concurrency}",
        "",
        header,
        "-" * len(header),
    ]
    for r in rows:
        lines.append(
            f"{r.name:<24} {r.layout:>12} {r.wall:>8.1f} {r.calls:>6} {r.throttled:>5} "
            f"{f'{r.summarized}/{r.chunks}':>11} {r.failed:>6}"
            + (f"   ({r.note})" if r.note else "")
        )
    lines.append(f"\nspeed-up of the fan-out over the baseline: {rows[0].wall / rows[1].wall:.0f}×")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call")
    parser.add_argument("--throttle", type=float, default=0.10, help="share of calls throttled")
    parser.add_argument("--sequential-sample", type=int, default=10)
    args = parser.parse_args()
    print(
        report(
            chunks=args.chunks,
            regions=args.regions,
            concurrency=args.concurrency,
            latency=args.latency,
            throttle=args.throttle,
            sequential_sample=args.sequential_sample,
        )
    )


if __name__ == "__main__":
    main()
