"""A repository kept in sync from git: its first index, then one function changed by a push.

Run ``python -m bench.gitsync [--package slack_bolt] [--embedder local]``. The bench turns an
installed package (its ``.py`` files, at the installed version, printed) into a git
repository, served by the tests' loopback git server (``git http-backend`` behind basic
auth) to the real Bolt app over HTTP, with the loopback Slack API:

1. ``/gencode repo add URL`` (a signed slash command): seconds to the thread's report,
   bytes fetched (shallow), chunks, and model calls;
2. one module-level function's body changed, committed and pushed, then a signed GitHub
   push webhook: seconds from the webhook's POST to the changed code being answerable (a
   lexical search for the words the change added returns it), bytes fetched, and model
   calls, which must equal the number of changed functions (1).

Model calls are counted by a fake summarizer (the extractive one, counting the chunks it
is asked to summarise: one Bedrock call each in production). The baselines beside them are
what an operator does without sync: ``gencode index`` of the same tree from disk into a
fresh index, and again after the change (every file read and parsed again). Each runs in a
fresh worker process, so its peak RSS is its own. This machine is shared: the load average
is printed with the figures.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import hmac
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._common import peak_rss_mb, run_worker, status, table

MARKER = "quokka zephyr"
"""Words nothing in the corpus uses: the pushed change adds them as a comment."""
HOOK_SECRET = "bench-hook-secret"


def version_of(package: str) -> str:
    names = importlib.metadata.packages_distributions().get(package, [package])
    return importlib.metadata.version(names[0])


def make_tree(package: str, root: Path) -> list[str]:
    """The package's ``.py`` files under ``root/<package>``; returns their paths."""
    source = Path(__import__(package).__file__ or "").parent
    paths = []
    for path in sorted(source.rglob("*.py")):
        rel = f"{package}/{path.relative_to(source).as_posix()}"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / rel)
        paths.append(rel)
    return paths


def change_one_function(root: Path, paths: Sequence[str]) -> tuple[str, str]:
    """Add a comment line to the body of the first module-level function with a body of
    more than one line: ``(path, function name)``."""
    for rel in paths:
        text = (root / rel).read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and len(node.body) > 1:
                lines = text.splitlines(keepends=True)
                first = node.body[0]
                if (
                    isinstance(first, ast.Expr)
                    and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)
                ):
                    first = node.body[1]
                indent = " " * first.col_offset
                lines.insert(first.lineno - 1, f"{indent}# {MARKER}: changed by the bench\n")
                (root / rel).write_text("".join(lines), encoding="utf-8")
                return rel, node.name
    raise SystemExit("no module-level function to change")


def worker_sync(package: str, embedder: str) -> dict[str, Any]:
    """The whole flow through Slack and the webhook, in this process."""
    from concurrent.futures import ThreadPoolExecutor

    from slack_sdk.web import WebClient

    from bot.app import build_app, git_hooks, indexing_pool, tell_outcomes
    from bot.config import Settings
    from bot.server import make_server
    from bot.services import build_engine
    from rag import Scope
    from rag.git import GitPolicy, GitSync
    from tests.conftest import CountingSummarizer
    from tests.git_server import TOKEN, GitServer, git
    from tests.slack_api import SlackAPI
    from tests.slack_helpers import SECRET, Slack

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server_git = GitServer(base / "srv").start()
        name = package.replace("_", "-")
        repo = server_git.repo(name, {"README.md": f"# {package}\n"})
        paths = make_tree(package, repo.work)
        repo.commit(f"{package} {version_of(package)}")
        repo.push()
        api = SlackAPI().start()
        settings = Settings(
            home=base / "home",
            embedder=embedder,
            slack_bot_token=api.token,
            slack_signing_secret=SECRET,
            slack_api_url=api.api_url,
            git_webhook_secret=HOOK_SECRET,
        )
        engine = build_engine(settings)
        counting = CountingSummarizer()
        engine.summarizer = counting
        sync = GitSync(
            engine,
            GitPolicy.with_hosts([server_git.base], token=TOKEN),
            cache=base / "home" / "git",
        )
        lazy = ThreadPoolExecutor(8)
        indexing = indexing_pool(settings)
        hooks = git_hooks(settings, sync, indexing)
        client = WebClient(token=api.token, base_url=api.api_url)
        app = build_app(settings, engine, client=client, lazy_executor=lazy, indexing=indexing,
                        git=sync, git_later=hooks.submit)  # fmt: skip
        tell_outcomes(hooks, client)
        http = make_server(app, "127.0.0.1", 0, signing_secret=SECRET, git_hooks=hooks).start()
        slack = Slack(http.url)
        try:
            status(f"first index of {package} {version_of(package)} ({len(paths)} files)…")
            started = time.perf_counter()
            slack.command(f"repo add {server_git.url(name)}", response_url=api.url + "/response/x")
            api.wait_for(
                lambda: any(
                    "Indexed the repository" in c.params.get("text", "")
                    for c in api.calls_to("chat.update")
                ),
                timeout=3600,
            )
            first_seconds = time.perf_counter() - started
            first_bytes = sum(r.sent for r in server_git.fetches())
            first_calls = len(counting.seen)
            chunks = engine.stats().chunks

            changed_path, function = change_one_function(repo.work, paths)
            head = repo.commit("one function changed")
            repo.push()
            before = len(server_git.fetches())
            counting.seen.clear()
            body = json.dumps(
                {
                    "ref": "refs/heads/main",
                    "after": head,
                    "repository": {"clone_url": server_git.url(name)},
                }
            ).encode()
            digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
            request = urllib.request.Request(
                http.url + "/git/webhook",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": f"sha256={digest}",
                },
                method="POST",
            )
            status(f"push: {function} in {changed_path}…")
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as resp:
                answered = time.perf_counter() - started
                accepted = resp.status

            def answerable() -> bool:
                hits = engine.retrieve(MARKER, Scope.of("T1"), k=3, mode="lexical")
                return any(h.chunk.qualname == function for h in hits)

            api.wait_for(answerable, timeout=600)
            sync_seconds = time.perf_counter() - started
            api.wait_for(lambda: not sync.repository(sync.repositories()[0].id).lease)  # type: ignore[union-attr]
            sync_bytes = sum(r.sent for r in server_git.fetches()[before:])
            sync_calls = list(counting.seen)
            head_now = git(repo.work, "rev-parse", "HEAD")
            assert sync.repositories()[0].commit == head_now
        finally:
            hooks.stop()
            http.close()
            lazy.shutdown(wait=True)
            indexing.shutdown(wait=True)
            engine.close()
            api.stop()
            server_git.stop()
    return {
        "package": f"{package} {version_of(package)}",
        "files": len(paths),
        "chunks": chunks,
        "first_seconds": round(first_seconds, 1),
        "first_bytes": first_bytes,
        "first_calls": first_calls,
        "webhook_answered_ms": round(answered * 1000, 1),
        "webhook_status": accepted,
        "sync_seconds": round(sync_seconds, 2),
        "sync_bytes": sync_bytes,
        "sync_calls": len(sync_calls),
        "sync_called_for": sync_calls,
        "changed": f"{changed_path}: {function}",
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }


def worker_disk(package: str, embedder: str) -> dict[str, Any]:
    """The baseline: ``gencode index`` of the same tree from disk, then again after the change."""
    from bot.config import Settings
    from bot.services import build_engine
    from tests.conftest import CountingSummarizer

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / package.replace("_", "-")
        paths = make_tree(package, root)
        engine = build_engine(Settings(home=Path(tmp) / "home", embedder=embedder))
        counting = CountingSummarizer()
        engine.summarizer = counting
        started = time.perf_counter()
        engine.index_paths([root], workspace="T1")
        first_seconds = time.perf_counter() - started
        first_calls = len(counting.seen)
        chunks = engine.stats().chunks
        change_one_function(root, paths)
        counting.seen.clear()
        started = time.perf_counter()
        engine.index_paths([root], workspace="T1")
        again_seconds = time.perf_counter() - started
        engine.close()
    return {
        "files": len(paths),
        "chunks": chunks,
        "first_seconds": round(first_seconds, 1),
        "first_calls": first_calls,
        "again_seconds": round(again_seconds, 2),
        "again_calls": len(counting.seen),
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }


def run(package: str = "slack_bolt", embedder: str = "local") -> str:
    load = os.getloadavg()
    synced = run_worker("bench.gitsync", "sync", package, embedder)
    disk = run_worker("bench.gitsync", "disk", package, embedder)
    headers = ["step", "files", "chunks", "seconds", "model calls", "bytes fetched", "peak RSS MB"]
    rows = [
        [
            "first index: /gencode repo add → report",
            synced["files"],
            synced["chunks"],
            synced["first_seconds"],
            synced["first_calls"],
            f"{synced['first_bytes']:,}",
            synced["peak_rss_mb"],
        ],
        [
            "baseline: gencode index from disk",
            disk["files"],
            disk["chunks"],
            disk["first_seconds"],
            disk["first_calls"],
            "-",
            disk["peak_rss_mb"],
        ],
        [
            "one-function push: webhook → answerable",
            1,
            "",
            synced["sync_seconds"],
            synced["sync_calls"],
            f"{synced['sync_bytes']:,}",
            "",
        ],
        [
            "baseline: gencode index again from disk",
            disk["files"],
            "",
            disk["again_seconds"],
            disk["again_calls"],
            "-",
            "",
        ],
    ]
    notes = (
        f"\n\n{synced['package']}, embedder `{embedder}`, extractive summaries counted as model "
        f"calls; changed {synced['changed']}; the webhook answered {synced['webhook_status']} in "
        f"{synced['webhook_answered_ms']} ms; model calls for the push: "
        f"{synced['sync_called_for']}. Load average when started: "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}."
    )
    return "## A repository kept in sync from git\n\n" + table(headers, rows) + notes


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gitsync", description=__doc__)
    parser.add_argument("--package", default="slack_bolt", help="installed package to use")
    parser.add_argument("--embedder", default="local", choices=("local", "e5"))
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, package, embedder = args.worker
        result = (worker_sync if kind == "sync" else worker_disk)(package, embedder)
        print(json.dumps(result))
        return
    print(run(args.package, args.embedder))


if __name__ == "__main__":
    main()
