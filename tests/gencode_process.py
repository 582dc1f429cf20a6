"""``gencode`` run as its own process, the way a team runs it: ``gencode serve`` against the
loopback Slack API, and ``gencode index`` beside it, configured only by the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Slack

ROOT = Path(__file__).resolve().parent.parent
GENCODE = str(Path(sys.executable).parent / "gencode")
_STRIPPED = ("SLACK_", "GENCODE_", "OPENSEARCH_", "AWS_", "BEDROCK_")


def environment(home: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """The process's environment: none of the developer's settings, only ``settings``,
    a fresh ``GENCODE_HOME`` and the local embedder (loaded in about a second)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED)}
    env.update(GENCODE_HOME=str(home), GENCODE_EMBEDDER="local", **settings)
    return env


@dataclass
class ServedBot:
    """A ``gencode serve`` process; ``api`` and ``slack`` as the in-process ``Bot`` has them,
    so the Slack test helpers (share, ask, command...) drive it the same way."""

    api: SlackAPI
    slack: Slack
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


@contextmanager
def gencode_serve(
    slack_api: SlackAPI, home: Path, settings: Mapping[str, str]
) -> Iterator[ServedBot]:
    env = environment(
        home,
        {
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api.api_url,
            **settings,
        },
    )
    process = subprocess.Popen(
        [GENCODE, "serve", "--port", "0"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    log: list[str] = []
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    url = ""
    while not url:
        line = process.stderr.readline()
        if not line and (process.poll() is not None or time.monotonic() > deadline):
            process.kill()
            raise AssertionError("gencode serve did not start:\n" + "".join(log))
        log.append(line)
        if "listening on " in line:
            url = line.split("listening on ")[1].strip().removesuffix("/slack/events")
    # Keep reading its log, or the process would block on a full pipe.
    drain = threading.Thread(target=lambda: log.extend(process.stderr or ()), daemon=True)
    drain.start()
    try:
        yield ServedBot(api=slack_api, slack=Slack(url), process=process, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        drain.join(timeout=5)


def gencode_index(
    paths: list[Path], home: Path, settings: Mapping[str, str], *extra: str
) -> subprocess.Popen[str]:
    """Start ``gencode index PATHS``; the caller collects it with ``communicate()``."""
    return subprocess.Popen(
        [GENCODE, "index", *map(str, paths), *extra],
        cwd=ROOT,
        env=environment(home, settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
