"""The ``gencode`` command line: index, search, ask, stats (and the Slack servers).

Expected failures are :class:`~rag.GencodeError`; they become one clear line on stderr
and exit status 1, never a traceback. Progress goes to stderr so stdout stays parseable.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from rag import Engine, GencodeError, Hit, NothingIndexedError, Scope, is_korean

from .config import Settings
from .progress import index_progress
from .services import build_engine

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except GencodeError as exc:
        raise click.ClickException(str(exc)) from exc


class Context:
    """What every command needs: settings, and an engine built on first use."""

    def __init__(self, home: Path | None) -> None:
        self.home = home
        self._engine: Engine | None = None

    def settings(self) -> Settings:
        with _errors():
            return Settings.from_env().with_home(self.home)

    def engine(self) -> Engine:
        if self._engine is None:
            with _errors():
                self._engine = build_engine(self.settings())
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()


pass_context = click.make_pass_decorator(Context)


def scope_options(func: F) -> F:
    func = click.option(
        "--workspace",
        envvar="GENCODE_WORKSPACE",
        default="local",
        show_default=True,
        help="Workspace the code belongs to (Slack team id for code shared in Slack).",
    )(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the embedded index lives (default: $GENCODE_HOME or ~/.gencode).",
)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug) to stderr.")
@click.version_option(package_name="gencode")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, verbose: int) -> None:
    """Gencode: write code for a team out of the team's own code.

    Index Python files, then search them or ask for new code built from them.

    \b
    Start here:
      gencode index ./src                  # .py and .ipynb files, recursively
      gencode search "retry an upload"     # the indexed functions that match
      gencode ask "make a retrying S3 uploader"
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = Context(home)
    ctx.call_on_close(ctx.obj.close)


@cli.command(short_help="Index Python files and folders (honouring .gitignore).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@scope_options
@click.option(
    "--scope",
    default="*",
    show_default=True,
    help="Conversation id that alone may see this code; '*' for the whole workspace.",
)
@click.option(
    "--repo",
    default=None,
    help="Repository name for these files (default: the git remote's name, else the "
    "folder's). Files are told apart by repository and path: re-indexing a repository "
    "replaces its files, other repositories' same-named files stay.",
)
@pass_context
def index(
    ctx: Context, paths: tuple[Path, ...], workspace: str, scope: str, repo: str | None
) -> None:
    """Index Python files and directories (recursively, honouring .gitignore)."""
    engine = ctx.engine()
    from rag.discover import Walked, find_python_files

    found = find_python_files(list(paths), repo=repo)
    total = sum(1 for f in found if not isinstance(f, Walked))
    reports = []
    with _errors(), index_progress(total, out=sys.stderr) as progress:
        for report in engine.iter_index_paths(
            list(paths),
            workspace=workspace,
            scope=scope,
            repo=repo,
            on_progress=progress.inside_file,
        ):
            reports.append(report)
            if not report.deleted:  # files that left the folder come after the walk
                progress.file_done(report.display)
    from rag import IndexReport

    result = IndexReport(tuple(reports))
    for failed in result.errors:
        click.echo(f"error: {failed.error}", err=True)
    for report in reports:
        if report.skipped:
            click.echo(f"skipped: {report.display}: {report.skipped}", err=True)
        if report.deleted:
            click.echo(
                f"gone: {report.display}: no longer there, its code left the index", err=True
            )
        for problem in report.summary_errors:
            click.echo(
                f"warning: {report.display}: summary failed, kept an extractive one: {problem}",
                err=True,
            )
    click.echo(result.line())
    if result.errors and len(result.errors) == len(reports):
        sys.exit(1)


def _hit_json(hit: Hit) -> dict[str, Any]:
    c = hit.chunk
    return {
        "repo": c.repo,
        "path": c.source_path,
        "qualname": c.qualname,
        "kind": c.kind,
        "start_line": c.start_line,
        "end_line": c.end_line,
        "score": round(hit.score, 6),
        "summary": c.summary,
    }


@cli.command()
@click.argument("query", required=False)
@click.option("-k", "k", default=10, show_default=True, help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of hits.")
@click.option(
    "--queries",
    type=click.File("r", encoding="utf-8"),
    help="Read one query a line; print one JSON array per line, in order.",
)
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "lexical", "vector"]),
    default="hybrid",
    show_default=True,
    help="Retrievers to use (single ones are for comparison).",
)
@scope_options
@click.option("--conversation", default="", help="Also see code scoped to this conversation.")
@pass_context
def search(
    ctx: Context,
    query: str | None,
    k: int,
    as_json: bool,
    queries: Any,
    mode: str,
    workspace: str,
    conversation: str,
) -> None:
    """Find indexed functions matching QUERY (English or Korean)."""
    scope = Scope.of(workspace, conversation)
    if queries is not None:
        engine = ctx.engine()
        with _errors():
            for line in queries:
                line = line.strip()
                hits = engine.retrieve(line, scope, k=k, mode=mode) if line else []
                click.echo(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False))
        return
    if not query or not query.strip():
        raise click.UsageError("Give a QUERY (or --queries FILE): what code are you looking for?")
    with _errors():
        hits = ctx.engine().retrieve(query, scope, k=k, mode=mode)
    if as_json:
        click.echo(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No indexed code yet: run `gencode index PATH` first.", err=True)
        return
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        found_by = ", ".join(f"{r}#{rank}" for r, rank in sorted(hit.ranks.items()))
        click.echo(
            f"{n:>2}. {click.style(c.qualname, bold=True)}  {c.display_path}:{c.start_line}-{c.end_line}"
            f"  score {hit.score:.4f} ({found_by})"
        )
        if c.summary:
            click.echo(f"    {c.summary}")


@cli.command(short_help="Ask for code built from (and citing) the indexed functions.")
@click.argument("question", nargs=-1, required=True)
@click.option("-k", "k", default=6, show_default=True, help="How many functions to draw on.")
@scope_options
@click.option("--conversation", default="", help="Also see code scoped to this conversation.")
@pass_context
def ask(ctx: Context, question: tuple[str, ...], k: int, workspace: str, conversation: str) -> None:
    """Ask for code; the answer draws on (and cites) the indexed functions."""
    text = " ".join(question)
    engine = ctx.engine()

    def echo(piece: str) -> None:
        click.echo(piece, nl=False)

    # handlers/ holds every sentence Gencode says; imported here, not at start-up (Bolt).
    from handlers.messages import REPAIRING, REPAIRING_KO, verification_line

    korean = is_korean(text)

    def restart() -> None:
        click.echo()
        click.echo(f"\n{REPAIRING_KO if korean else REPAIRING}\n", err=True)

    with _errors():
        try:
            answer = engine.ask(
                text, Scope.of(workspace, conversation), k=k, on_text=echo, on_restart=restart
            )
        except NothingIndexedError as exc:  # its message speaks to Slack users
            raise click.ClickException(
                f"No code is indexed for workspace {workspace!r} yet: run `gencode index PATH` "
                "(a folder of .py files will do), then ask again."
            ) from exc
    if not answer.text.endswith("\n"):
        click.echo()
    if answer.verification is not None:
        line = verification_line(answer.verification, korean=korean)
        if line:
            click.echo(f"\n{line}")
    for note in answer.notes:
        click.echo(f"note: {note}", err=True)
    click.echo("\nReferences:")
    for n, hit in answer.cited_first():
        c = hit.chunk
        mark = "" if n in answer.cited else " (not cited)"
        click.echo(f"  [{n}] {c.display_path} · {c.qualname} ({c.lines}) · {hit.score:.4f}{mark}")
    if answer.model and answer.generated:
        click.echo(
            f"\n(model: {answer.model}; {answer.usage.input_tokens} in / "
            f"{answer.usage.output_tokens} out tokens)",
            err=True,
        )


@cli.command(short_help="What the index holds, and how answers fared in their checks.")
@pass_context
def stats(ctx: Context) -> None:
    """What the index holds: chunks, files, embedding model, size on disk."""
    with _errors():
        s = ctx.engine().stats()
    click.echo(f"backend:   {s.backend}")
    click.echo(f"chunks:    {s.chunks}")
    click.echo(f"files:     {s.files}")
    click.echo(f"model:     {s.embed_model} ({s.embed_dim} dims)")
    click.echo(f"size:      {s.size_bytes / 1e6:.1f} MB")
    with _errors():
        counts = ctx.engine().verdict_counts()
    for line in verdict_lines(counts):
        click.echo(line)


def verdict_lines(counts: dict[str, int]) -> list[str]:
    """Shares of checked answers: verified first try, repaired, still failing."""
    checked = sum(counts.get(v, 0) for v in ("verified", "repaired", "failing"))
    other = sum(counts.values()) - checked
    if not checked:
        return [f"answers:   {sum(counts.values())} ({other} not checked: extractive or no code)"]

    def share(v: str) -> str:
        return f"{counts.get(v, 0)} ({100 * counts.get(v, 0) / checked:.0f}%)"

    return [
        f"answers:   {checked + other} ({checked} with checked code, {other} not checked)",
        f"  verified first try: {share('verified')}",
        f"  repaired:           {share('repaired')}",
        f"  still failing:      {share('failing')}",
    ]


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port (0 picks one).")
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Run the Slack bot over HTTP: POST /slack/events, GET /healthz.

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (SLACK_API_URL overrides the Web API URL).
    """
    from .app import build_app
    from .logs import redact_tokens
    from .server import EVENTS_PATH, make_server
    from .services import warm_up

    redact_tokens()
    settings = ctx.settings()
    with _errors():
        app = build_app(settings, ctx.engine())
        warm_up(ctx.engine(), settings)
    server = make_server(
        app,
        host,
        port,
        signing_secret=settings.slack_signing_secret,
        request_timeout=settings.http_timeout,
    )
    click.echo(f"gencode listening on {server.url}{EVENTS_PATH}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@cli.command(short_help="Run the Slack bot over Socket Mode (no public URL).")
@pass_context
def socket(ctx: Context) -> None:
    """Run the Slack bot over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."""
    from .app import build_app
    from .logs import redact_tokens
    from .services import warm_up
    from .socket import check_app_token, run

    redact_tokens()
    settings = ctx.settings()
    with _errors():
        check_app_token(settings.slack_app_token)
        app = build_app(settings, ctx.engine(), socket_mode=True)
        warm_up(ctx.engine(), settings)
        click.echo("gencode connecting over Socket Mode", err=True)
        run(app, settings.slack_app_token)


def main() -> None:
    cli(prog_name="gencode")
