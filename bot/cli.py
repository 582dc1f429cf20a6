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
from typing import TYPE_CHECKING, Any, TypeVar

import click

from rag import Engine, GencodeError, Hit, NothingIndexedError, Repository, Scope, is_korean
from rag.engine import ASK_K
from rag.prompt import Prompt

from .config import Settings
from .progress import index_progress
from .services import build_engine

if TYPE_CHECKING:
    from rag.git import GitSync, SyncOutcome

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

    def git(self) -> GitSync:
        """Repositories kept in sync, over this command's engine."""
        from .services import build_git_sync

        with _errors():
            return build_git_sync(self.settings(), self.engine())

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
@click.option("-k", "k", default=ASK_K, show_default=True, help="How many functions to draw on.")
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
        mark = " (code map)" if "map" in hit.ranks else "" if n in answer.cited else " (not cited)"
        click.echo(f"  [{n}] {c.display_path} · {c.qualname} ({c.lines}) · {hit.score:.4f}{mark}")
    if answer.model and answer.generated:
        click.echo(
            f"\n(model: {answer.model}; {answer.usage.input_tokens} in / "
            f"{answer.usage.output_tokens} out tokens)",
            err=True,
        )


def _context_json(prompt: Prompt) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for n, hit in enumerate(prompt.references, 1):
        c = hit.chunk
        entries.append(
            {"n": n, "kind": "reference", "repo": c.repo, "path": c.source_path,
             "qualname": c.qualname, "line": c.start_line}
        )  # fmt: skip
    for n, entry in enumerate(prompt.code_map, len(prompt.references) + 1):
        c = entry.chunk
        entries.append(
            {"n": n, "kind": "map", "map_kind": entry.kind, "repo": c.repo,
             "path": c.source_path, "qualname": c.qualname, "line": c.start_line}
        )  # fmt: skip
    return {
        "entries": entries,
        "tokens": {**dict(prompt.parts), "total": prompt.tokens()},
        "context_budget": prompt.context_budget,
        "system": prompt.system,
        "user": prompt.user,
    }


@cli.command(short_help="Exactly what the model would receive for QUESTION, and its tokens.")
@click.argument("question", nargs=-1, required=True)
@click.option(
    "--budget",
    type=click.IntRange(min=200),
    default=None,
    help="Tokens references and code map share (default: GENCODE_CONTEXT_TOKENS).",
)
@click.option("-k", "k", default=None, type=int, help="How many functions to retrieve.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: entries, tokens.")
@scope_options
@click.option("--conversation", default="", help="Also see code scoped to this conversation.")
@pass_context
def context(
    ctx: Context,
    question: tuple[str, ...],
    budget: int | None,
    k: int | None,
    as_json: bool,
    workspace: str,
    conversation: str,
) -> None:
    """Print exactly what the model would receive for QUESTION, and each part's tokens.

    References, then the code map (signatures of what they use), then the question;
    counted by Gencode's rule (rag/tokens.py). Without a model configured, what Bedrock
    would receive.
    """
    from rag.codemap import ContextBudget

    engine = ctx.engine()
    settings = ctx.settings()
    chosen = ContextBudget(budget) if budget else settings.context_budget
    with _errors():
        prompt = engine.prompt(
            " ".join(question),
            Scope.of(workspace, conversation),
            budget=chosen,
            k=k or ASK_K,
        )
    if as_json:
        click.echo(json.dumps(_context_json(prompt), ensure_ascii=False, indent=2))
        return
    click.echo(f"=== system ({prompt.part('system'):,} tokens) ===")
    click.echo(prompt.system)
    user = prompt.tokens() - prompt.part("system")
    click.echo(f"=== user ({user:,} tokens) ===")
    click.echo(prompt.user)
    click.echo("=== tokens ===")
    for name, n in prompt.parts:
        click.echo(f"{name:<11}{n:>7,}")
    click.echo(f"{'total':<11}{prompt.tokens():>7,}")
    used = prompt.part("references") + prompt.part("map")
    click.echo(
        f"context budget {prompt.context_budget:,}: references and map use {used:,}; "
        f"{len(prompt.references)} references, {len(prompt.code_map)} map entries"
    )
    for note in prompt.notes:
        click.echo(f"note: {note}", err=True)


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


# -- repositories kept in sync from git -------------------------------------------------------


@cli.group()
def repo() -> None:
    """Repositories kept in sync from git: add by URL, list, remove."""


@repo.command(name="add")
@click.argument("url")
@click.option("--branch", default="", help="Branch to follow (default: the remote's default).")
@scope_options
@click.option(
    "--scope",
    default="*",
    show_default=True,
    help="Conversation id that alone may see this code; '*' for the whole workspace.",
)
@pass_context
def repo_add(ctx: Context, url: str, branch: str, workspace: str, scope: str) -> None:
    """Register the repository at URL (https clone URL) and index it.

    Private repositories need GENCODE_GIT_TOKEN (or a per-host token in GENCODE_GIT_TOKENS);
    hosts other than GitHub, GitLab and Bitbucket need GENCODE_GIT_HOSTS.
    """
    git = ctx.git()
    with _errors():
        added = git.add(url, branch=branch, workspace=workspace, scope=scope)
    click.echo(f"registered {added.name} from {added.display} ({added.branch})", err=True)
    outcome = _sync_with_bar(git, added)
    if outcome is None:
        click.echo(f"{added.name}: already syncing in another process; it will finish there.")
        return
    click.echo(_outcome_line(outcome))
    if outcome.status == "failed":
        sys.exit(1)


@repo.command(name="list")
@click.option("--workspace", default=None, help="Only this workspace's repositories.")
@pass_context
def repo_list(ctx: Context, workspace: str | None) -> None:
    """What is registered: name, host and path, branch, commit, last sync, last error."""
    with _errors():
        repos = ctx.git().repositories(workspace=workspace)
    if not repos:
        click.echo("No repository is registered yet: `gencode repo add URL`.", err=True)
        return
    for r in repos:
        click.echo(_repo_line(r))


@repo.command(name="remove")
@click.argument("name")
@click.option("--workspace", envvar="GENCODE_WORKSPACE", default="local", show_default=True)
@click.option("--scope", default="*", show_default=True)
@pass_context
def repo_remove(ctx: Context, name: str, workspace: str, scope: str) -> None:
    """Stop syncing the repository NAME and forget its code (registered from the CLI)."""
    from rag.git import repository_id

    git = ctx.git()
    repo_id = repository_id(workspace=workspace, scope=scope, channel="", name=name)
    with _errors():
        if git.repository(repo_id) is None:
            raise click.ClickException(
                f"no repository {name} is registered from the CLI in {workspace} "
                f"(scope {scope}); `gencode repo list` shows them."
            )
        gone = ctx.engine().forget_units([repo_id])
    click.echo(f"removed {name}: {gone} functions left the index; it is no longer synced")


@cli.command(short_help="Bring registered git repositories up to their branch's head.")
@click.argument("name", required=False)
@click.option("--workspace", default=None, help="Only this workspace's repositories.")
@pass_context
def sync(ctx: Context, name: str | None, workspace: str | None) -> None:
    """Bring every registered repository (or those named NAME) to its branch's latest
    commit. Cron, or a schedule, runs this; a repository already syncing elsewhere is
    left to that process, which picks this request up."""
    git = ctx.git()
    with _errors():
        repos = [r for r in git.repositories(workspace=workspace) if name in (None, r.name)]
    if not repos:
        what = f"named {name} " if name else ""
        click.echo(f"No repository {what}is registered: `gencode repo list`.", err=True)
        sys.exit(1 if name else 0)
    failed = 0
    for r in repos:
        with _errors():
            outcome = git.sync(r.id)
        if outcome is None:
            click.echo(f"{r.name}: syncing elsewhere; that run will pick this request up")
            continue
        click.echo(_outcome_line(outcome))
        failed += outcome.status == "failed"
    if failed:
        sys.exit(1)


def _sync_with_bar(git: GitSync, repo: Repository) -> SyncOutcome | None:
    bar: Any
    with click.progressbar(length=0, label="indexing", file=sys.stderr, show_pos=True) as bar:

        def on_file(done: int, total: int, report: Any) -> None:
            bar.length = total
            bar.update(1)

        with _errors():
            return git.sync(repo.id, on_file=on_file)


def _when(ts: float) -> str:
    import time as _time

    return _time.strftime("%Y-%m-%d %H:%M", _time.localtime(ts)) if ts else "never"


def _repo_line(r: Repository) -> str:
    where = r.workspace if r.scope == "*" else f"{r.workspace}/{r.scope}"
    commit = r.commit[:7] if r.commit else "-"
    line = f"{r.name}\t{r.display}\t{r.branch}\t{commit}\tsynced {_when(r.synced_at)}\t{where}"
    if r.error:
        from rag.git import describe

        line += f"\terror: {describe(r.error, r.error_detail)}"
    return line


def _outcome_line(o: SyncOutcome) -> str:
    r = o.repository
    head = f"{r.name} ({r.display}, {r.branch})"
    if o.status == "failed" and o.error is not None:
        return f"{head}: failed: {o.error}"
    if o.status == "forgotten":
        return f"{head}: forgotten during the sync; nothing of it is kept"
    if o.status == "up_to_date":
        return f"{head}: up to date at {o.commit[:7]}"
    assert o.report is not None
    line = f"{head} at {o.commit[:7]}: {o.report.line()}"
    if o.status == "unfinished":
        line += f"; time ran out with {o.report.unfinished} files to go: `gencode sync` goes on"
    return line


@cli.command(short_help="Run the Slack bot over HTTP (events, health, git webhooks).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port (0 picks one).")
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Run the Slack bot over HTTP: POST /slack/events, GET /healthz, POST /git/webhook.

    Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (SLACK_API_URL overrides the Web API URL).
    Pushes need GENCODE_GIT_WEBHOOK_SECRET; GENCODE_GIT_SYNC_MINUTES > 0 also syncs every
    registered repository that often.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .app import build_app, git_hooks, indexing_pool, tell_outcomes
    from .logs import redact_tokens
    from .server import EVENTS_PATH, make_server
    from .services import build_git_sync, warm_up

    redact_tokens()
    settings = ctx.settings()
    lazy = ThreadPoolExecutor(settings.listener_workers, thread_name_prefix="gencode-lazy")
    indexing = indexing_pool(settings)
    with _errors():
        hooks = git_hooks(settings, build_git_sync(settings, ctx.engine()), indexing)
        app = build_app(
            settings,
            ctx.engine(),
            lazy_executor=lazy,
            indexing=indexing,
            git=hooks.git,
            git_later=hooks.submit,
        )
        tell_outcomes(hooks, app.client)
        warm_up(ctx.engine(), settings)
    server = make_server(
        app,
        host,
        port,
        signing_secret=settings.slack_signing_secret,
        request_timeout=settings.http_timeout,
        git_hooks=hooks,
    )
    hooks.start_schedule(settings.git_sync_minutes)
    click.echo(f"gencode listening on {server.url}{EVENTS_PATH}", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        hooks.stop()
        server.close()
        lazy.shutdown(wait=False, cancel_futures=True)
        indexing.shutdown(wait=False)


@cli.command(short_help="Run the Slack bot over Socket Mode (no public URL).")
@pass_context
def socket(ctx: Context) -> None:
    """Run the Slack bot over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN).

    With no public URL there are no push webhooks: set GENCODE_GIT_SYNC_MINUTES to keep
    registered repositories current on a schedule.
    """
    from .app import build_app, git_hooks, tell_outcomes
    from .logs import redact_tokens
    from .services import build_git_sync, warm_up
    from .socket import check_app_token, run

    redact_tokens()
    settings = ctx.settings()
    with _errors():
        check_app_token(settings.slack_app_token)
        hooks = git_hooks(settings, build_git_sync(settings, ctx.engine()))
        app = build_app(settings, ctx.engine(), socket_mode=True, git=hooks.git)
        tell_outcomes(hooks, app.client)
        hooks.start_schedule(settings.git_sync_minutes)
        warm_up(ctx.engine(), settings)
        click.echo("gencode connecting over Socket Mode", err=True)
        try:
            run(app, settings.slack_app_token)
        finally:
            hooks.stop()


def main() -> None:
    cli(prog_name="gencode")
