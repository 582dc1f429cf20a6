"""HTTP server load: signed Slack events against ``gencode serve`` on loopback.

Run ``python -m bench.server_load`` (``--events N --in-flight M`` to change the load).

The server is the one ``gencode serve`` runs (``bot.server.make_server`` over
``bot.app.build_app``), with the default embedded engine and the loopback Slack Web API
of ``tests/``. Each event is a signed ``message`` in a channel, on a new connection, as
Slack sends them; every tenth mentions the bot, so answers run behind the acks. A request
counts as lost when it gets no response or any status but 200. Latency is from sending the
request to reading its whole response (the ack).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import multiprocessing
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import urlencode

from slack_sdk.web import WebClient

from bot.app import build_app
from bot.config import Settings
from bot.server import make_server
from bot.services import warm_up
from handlers.pool import AnswerPool
from rag import Source
from tests.slack_api import SlackAPI

from ._common import engine_at, percentile, status, table

SECRET = "bench-signing-secret"
EVENTS = 1_000
IN_FLIGHT = 50
ROWS = ((0, "answered"), (10, "answered"), (10, "warm_up"), (10, "cold"))
"""(mention every N events, start): acks only; every tenth event a mention, so answers run
behind the acks. Start: ``answered`` after one answer was written, ``warm_up`` right after
``gencode serve``'s start (``bot.services.warm_up``), ``cold`` without it (the first answers
load the embedding model while requests arrive)."""
TARGET_P99_MS = 1_000.0
STARTS = {
    "answered": "after a first answer",
    "warm_up": "fresh, warmed up",
    "cold": "fresh, no warm-up",
}
REPO = Path(__file__).resolve().parent.parent
CORPUS = [
    REPO / "rag" / "generate.py",
    REPO / "rag" / "chunking.py",
    REPO / "handlers" / "render.py",
]


@dataclass(frozen=True)
class Result:
    mention_every: int
    events: int
    in_flight: int
    lost: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    seconds: float


def _event(i: int, mention_every: int) -> bytes:
    mention = bool(mention_every) and i % mention_every == 0
    text = f"<@UBOT> retry an upload {i}" if mention else f"lunch at noon? {i}"
    event = {
        "type": "app_mention" if mention else "message",
        "channel": "C1",
        "channel_type": "channel",
        "user": "U1",
        "text": text,
        "ts": f"1700000000.{i:06d}",
    }
    body = {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": f"EvBENCH{i:06d}",
        "event_time": int(time.time()),
    }
    return json.dumps(body).encode()


def _command(i: int) -> bytes:
    """A signed-to-be ``/gencode`` slash command, form-encoded as Slack sends it."""
    form = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/gencode",
        "text": f"retry an upload {i}",
        "response_url": "",
        "trigger_id": f"trig{i}",
    }
    return urlencode(form).encode()


def _send(url: str, body: bytes, content_type: str = "application/json") -> float | None:
    """Seconds to the ack, or ``None`` when it was lost."""
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={sig}",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()
            ok = resp.status == 200
    except (urllib.error.URLError, OSError):
        return None
    return time.perf_counter() - started if ok else None


def _index(home: Path) -> None:
    """A few of Gencode's own files, so that a mention retrieves and answers for real."""
    engine = engine_at(home)
    try:
        for path in CORPUS:
            engine.index_bytes(path.read_bytes(), Source(path.name, workspace="T1"))
    finally:
        engine.close()


def _serve(
    home: str, api_url: str, token: str, urls: Queue[str], stop: Event, warm_up_first: bool
) -> None:
    """The bot as ``gencode serve`` runs it, in a process of its own (its own GIL, its
    models not loaded yet), with Slack's Web API elsewhere (in the parent), as in production."""
    engine = engine_at(Path(home))
    settings = Settings(
        home=Path(home),
        slack_bot_token=token,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
    )
    lazy, answers = ThreadPoolExecutor(16), AnswerPool(workers=4, max_queued=1_000)
    app = build_app(
        settings,
        engine,
        client=WebClient(token=token, base_url=api_url),
        lazy_executor=lazy,
        answers=answers,
    )
    if warm_up_first:
        warm_up(engine, settings)  # as gencode serve does
    server = make_server(app, "127.0.0.1", 0, signing_secret=SECRET).start()
    urls.put(server.url + "/slack/events")
    stop.wait()
    server.close()
    lazy.shutdown(wait=True)
    answers.shutdown(wait=True)  # the answers finish before Slack goes away
    engine.close()


def _answered(api: SlackAPI) -> int:
    """Answers finished: the placeholders that were updated with the answer's final form."""
    return len({c.params["ts"] for c in api.calls_to("chat.update") if c.params.get("blocks")})


def run(
    *,
    events: int = EVENTS,
    in_flight: int = IN_FLIGHT,
    mention_every: int = 0,
    start: str = "answered",
) -> Result:
    ctx = multiprocessing.get_context("spawn")
    urls: Queue[str] = ctx.Queue()
    stop = ctx.Event()
    warm = start == "answered"
    warm_up_first = start != "cold"
    answers_expected = int(warm) + (
        len(range(1, events + 1, mention_every)) if mention_every else 0
    )
    api = SlackAPI().start()
    home = tempfile.TemporaryDirectory()
    _index(Path(home.name))
    proc = ctx.Process(
        target=_serve,
        args=(home.name, api.api_url, api.token, urls, stop, warm_up_first),
    )
    proc.start()
    try:
        url = urls.get(timeout=120)
        bodies = [_event(i, mention_every) for i in range(events + 1)]
        if warm:  # the first answer loads the embedding model and the vectors
            _send(url, _event(0, 1))
            api.wait_calls("chat.update", timeout=120)
        started = time.perf_counter()
        with ThreadPoolExecutor(in_flight) as pool:
            latencies = list(pool.map(lambda b: _send(url, b), bodies[1:]))
        seconds = time.perf_counter() - started
        # Every answer is written too (a wait that fails here is a lost answer).
        api.wait_for(lambda: _answered(api) >= answers_expected, timeout=300)
    finally:
        stop.set()
        proc.join(timeout=120)
        api.stop()
        home.cleanup()
    acked = [s * 1000 for s in latencies if s is not None]
    return Result(
        mention_every=mention_every,
        events=len(latencies),
        in_flight=in_flight,
        lost=len(latencies) - len(acked),
        p50_ms=percentile(acked, 50) if acked else float("nan"),
        p99_ms=percentile(acked, 99) if acked else float("nan"),
        max_ms=max(acked, default=float("nan")),
        seconds=seconds,
    )


@dataclass(frozen=True)
class BusyResult:
    answers: int
    slack_delay: float
    probes: int
    acked: int
    p50_ms: float
    max_ms: float
    written: int


def busy_acks(*, answers: int = 30, probes: int = 10, slack_delay: float = 2.0) -> BusyResult:
    """Slash commands sent while ``answers`` others are in flight on a slow Slack.

    Every ``chat.postMessage`` takes ``slack_delay`` seconds (the probe of issue 8 used 4 s:
    with Bolt's shared 5-thread pool the sixth command got a 404). Once all their echo posts
    are in flight, ``probes`` more commands are sent one at a time and their acks timed;
    then every answer, the probes' included, must be written.
    """
    form = "application/x-www-form-urlencoded"
    ctx = multiprocessing.get_context("spawn")
    urls: Queue[str] = ctx.Queue()
    stop = ctx.Event()
    api = SlackAPI().start()
    home = tempfile.TemporaryDirectory()
    _index(Path(home.name))
    proc = ctx.Process(target=_serve, args=(home.name, api.api_url, api.token, urls, stop, True))
    proc.start()
    try:
        url = urls.get(timeout=120)
        api.delays["chat.postMessage"] = slack_delay
        with ThreadPoolExecutor(answers) as pool:
            list(pool.map(lambda i: _send(url, _command(i), form), range(answers)))
        api.wait_for(lambda: len(api.calls_to("chat.postMessage")) >= answers, timeout=60)
        latencies = [_send(url, _command(answers + i), form) for i in range(probes)]
        total = answers + probes
        api.wait_for(lambda: _answered(api) >= total, timeout=600)
        written = _answered(api)
    finally:
        stop.set()
        proc.join(timeout=600)
        api.stop()
        home.cleanup()
    acked = [s * 1000 for s in latencies if s is not None]
    return BusyResult(
        answers=answers,
        slack_delay=slack_delay,
        probes=probes,
        acked=len(acked),
        p50_ms=percentile(acked, 50) if acked else float("nan"),
        max_ms=max(acked, default=float("nan")),
        written=written,
    )


def busy_report() -> str:
    status("slash commands behind 30 answers in flight, Slack at 2 s per post…")
    b = busy_acks()
    return table(
        [
            "answers in flight",
            "chat.postMessage takes",
            "commands sent then",
            "acked 200",
            "ack p50 ms",
            "ack max ms",
            "answers written",
        ],
        [
            [
                b.answers,
                f"{b.slack_delay:g} s",
                b.probes,
                b.acked,
                b.p50_ms,
                b.max_ms,
                f"{b.written}/{b.answers + b.probes}",
            ]
        ],
    )


def report(*, events: int = EVENTS, in_flight: int = IN_FLIGHT) -> str:
    rows = []
    for every, start in ROWS:
        status(f"server load: {events} events, {in_flight} in flight, mentions 1/{every}, {start}")
        r = run(events=events, in_flight=in_flight, mention_every=every, start=start)
        met = r.lost == 0 and r.p99_ms < TARGET_P99_MS
        rows.append(
            [
                f"1 in {every}" if every else "none",
                STARTS[start],
                r.events,
                r.in_flight,
                r.lost,
                r.p50_ms,
                r.p99_ms,
                r.max_ms,
                r.events / r.seconds,
                "met" if met else "MISSED",
            ]
        )
    headers = [
        "mentions",
        "start",
        "events",
        "in flight",
        "lost",
        "ack p50 ms",
        "ack p99 ms",
        "max ms",
    ]
    return "\n".join(
        [
            "### HTTP server load (`python -m bench.server_load`)",
            "",
            table([*headers, "events/s", "0 lost, p99 < 1 s"], rows),
            "",
            busy_report(),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server_load", description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT)
    args = parser.parse_args()
    print(report(events=args.events, in_flight=args.in_flight))


if __name__ == "__main__":
    main()
