"""The engine: index files, retrieve hits, answer questions. Slack-free.

One :class:`Engine` holds the four backends chosen by configuration (store, embedder,
summarizer, generator). Everything the CLI and the Slack handlers do goes through it.

Indexing is incremental: a chunk's id is stable for (workspace, scope, file, qualified
name) and its ``code_hash`` decides whether it needs a new summary and embedding. A file
is written in one transaction, so a crash leaves either its old or its new version.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import textwrap
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from .analysis import Analyzer, has_hangul, identifier_words
from .chunking import (
    ParsedChunk,
    chunk_python,
    count_definitions,
    decode_source,
    definitions_at_most,
    too_many_definitions,
)
from .codemap import RELATED_HITS, CodeMap, ContextBudget, MapBuilder
from .discover import (
    INDEXED_SUFFIXES,
    Missing,
    Unreadable,
    Walked,
    find_python_files,
    read_bounded,
)
from .embed import Embedder, Vector, embed_queries, normalise, reads_code
from .errors import (
    GencodeError,
    InputError,
    LLMError,
    SourceForgotten,
    StoreError,
    TooManyDefinitions,
)
from .generate import Generator, TextCallback
from .lexicon import CorpusLexicon, code_words
from .models import (
    Answer,
    Chunk,
    FileReport,
    Hit,
    IndexReport,
    MapEntry,
    Scope,
    Source,
    SourceSummary,
    StoreStats,
    Turn,
    file_unit,
)
from .notebook import chunk_notebook, is_notebook
from .prompt import Prompt, build_prompt
from .retrieve import fuse, fusion_for, name_words, reciprocal_rank_fusion
from .stores.base import AnswerRecord, ChunkStore, Feedback, Replaced, ScoredChunk
from .summarize import EXTRACTIVE, Summarizer, extractive_summary, first_sentence
from .verify import Verifier, answer_checked

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 1_000_000
DEFAULT_MAX_DEFINITIONS_PER_FILE = 5_000
"""Functions, methods and classes one file may hold. The largest real modules measured here
(16,000 files of installed packages and CPython's library and tests) hold 1,757 (a
generated ANTLR parser), 1,615 (libcst's generated visitor) and 1,461 (test_typing.py); 99.9%
hold under 540. Each definition costs about 4.5 KB of store, so this caps a file at about
25 MB of index and, with e5, about 6 minutes."""
DEFAULT_MAX_DEFINITIONS_PER_SHARE = 20_000
"""Definitions one shared repository (archive, git sync) may hold: numpy (13,714), networkx
(7,812) or the bench's 1,000-file corpus (19,245) fit; sympy (37,848) and moto (22,773), the
largest libraries measured here, need it raised; the probe's 351 KB zip held 135,000. With
e5 (about 13 definitions a second here) 20,000 take about 26 minutes, inside the default
30-minute time budget, and about 100 MB of store (5 KB each)."""
MIN_DEFINITION_BYTES = 9
"""``def f():0`` or ``class A:0``: no definition takes fewer bytes of source, so a share of
fewer than ``limit * 9`` bytes cannot pass the limit and is not counted first."""
CANDIDATES = 50
"""How many hits each retriever contributes to fusion."""

ASK_K = 10
"""How many hits an answer is written from: the first ones that fit the budget are
references, all of them seed the code map (10 measured better than 6: bench/README.md)."""

EMBED_BATCH = 32
"""Chunks embedded per call while a file is indexed; progress is reported after each."""

IndexProgress = Callable[[str, int, int], None]
"""``(stage, done, total)`` while a file is indexed; stage is ``summarize`` or ``embed``."""


class NothingIndexedError(GencodeError):
    """A question arrived where no code is visible yet."""


def chunk_id(source: Source, qualname: str, occurrence: int) -> str:
    """Stable across re-uploads of the same file; ``occurrence`` separates same-named defs."""
    suffix = f"#{occurrence}" if occurrence else ""
    return hashlib.sha256(f"{source.key}\x1f{qualname}{suffix}".encode()).hexdigest()[:32]


CODE_LINES = 4
"""First lines of a body that an embedder which reads code sees (bench/README.md)."""


def embedding_text(chunk: Chunk, *, reads_code: bool = False) -> str:
    """What the vector of a chunk is made from: its name in words, then what it does.

    "What it does" is a model-written summary when there is one, else the docstring's first
    sentence. For a sentence encoder (USE, ``reads_code`` false) that is all: signatures
    and code are noise to it, and measured retrieval got worse with them (bench/README.md,
    "Embedding text": vector MRR@10 0.40 with the name alone, 0.27-0.30 with code).

    An embedder trained on query/passage pairs (e5) reads code well, and for undocumented
    code the code is all there is: it also gets the signature and the first
    :data:`CODE_LINES` lines of the body (vector MRR@10 on the English development set,
    subsample: 0.62 with the name alone, 0.75 with the code). Short, because e5's cost grows
    with every token it reads.
    """
    if chunk.kind == "module":
        words = "module " + " ".join(identifier_words(chunk.source_path.removesuffix(".py")))
    else:
        words = " ".join(identifier_words(chunk.qualname))
    if chunk.summary_by != EXTRACTIVE and chunk.summary:
        what = chunk.summary
    else:
        what = first_sentence(chunk.docstring) if chunk.docstring else ""
    head = f"{words}. {what}".strip(" .") if what else words
    if not reads_code:
        return head
    if chunk.kind in ("module", "class"):
        return "\n".join([head, *chunk.code.splitlines()[:CODE_LINES]])
    return "\n".join([f"{head}. {chunk.signature}", *first_body_lines(chunk.code, CODE_LINES)])


def first_body_lines(code: str, n: int) -> list[str]:
    """Up to ``n`` stripped lines of a function's body, without its docstring and comments."""
    source = textwrap.dedent(code)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    body = node.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if not body:
        return []
    out: list[str] = []
    for line in source.splitlines()[body[0].lineno - 1 :]:
        text = line.strip()
        if text and not text.startswith("#") and text != "...":
            out.append(text)
            if len(out) == n:
                break
    return out


def _occurrences(qualnames: Sequence[str]) -> list[int]:
    """For each name, how many definitions of the same name came before it (0 for the first):
    what tells a property's getter from its setter, in ids and when matching old chunks."""
    seen: dict[str, int] = {}
    out = []
    for name in qualnames:
        out.append(seen.get(name, 0))
        seen[name] = out[-1] + 1
    return out


def _by_occurrence(chunks: Sequence[Chunk]) -> dict[tuple[str, int], Chunk]:
    """Chunks keyed by (qualname, n): the n-th definition of that name in the file."""
    ordered = sorted(chunks, key=lambda c: c.start_line)
    numbers = _occurrences([c.qualname for c in ordered])
    return {(c.qualname, n): c for c, n in zip(ordered, numbers, strict=True)}


def _classified(
    source: Source, chunks: Sequence[Chunk], occurrences: Sequence[int], replaced: Replaced
) -> FileReport:
    """New, changed, unchanged and removed functions, counted against what the store held
    when it wrote (two indexers of the same file must not both count its functions new).
    A function of an adopted older copy (another id, same qualname) is not "new"."""
    by_id = {c.id: c for c in replaced.before}
    kept = {c.id for c in chunks}
    moved = _by_occurrence([c for c in replaced.before if c.id not in kept])
    matched: set[str] = set()
    new: list[Chunk] = []
    changed: list[Chunk] = []
    unchanged: list[Chunk] = []
    for c, occurrence in zip(chunks, occurrences, strict=True):
        prev = by_id.get(c.id)
        if prev is None:
            prev = moved.get((c.qualname, occurrence))
            if prev is not None:
                matched.add(prev.id)
        if prev is None:
            new.append(c)
        elif prev.code_hash == c.code_hash:
            unchanged.append(c)
        else:
            changed.append(c)
    return FileReport(
        path=source.path,
        repo=source.repo,
        new=tuple(new),
        changed=tuple(changed),
        unchanged=tuple(unchanged),
        removed=tuple(c.qualname for c in replaced.removed if c.id not in matched),
    )


def _read(data: bytes | Callable[[], bytes]) -> bytes:
    """A file's bytes, given as they are or as a function that reads them (a git blob)."""
    return data if isinstance(data, bytes) else data()


def _without_vectors(report: FileReport) -> FileReport:
    """A file's report as a repository's report keeps it: its chunks without their vectors,
    which nothing reads after the write, and which at 2 KB each held 100 MB of a 50,000-
    definition repository's memory until its last file was done."""

    def lean(chunks: tuple[Chunk, ...]) -> tuple[Chunk, ...]:
        return tuple(replace(c, embedding=None) for c in chunks)

    return replace(
        report,
        new=lean(report.new),
        changed=lean(report.changed),
        unchanged=lean(report.unchanged),
    )


@dataclass
class Engine:
    store: ChunkStore
    embedder: Embedder
    summarizer: Summarizer
    generator: Generator
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_definitions_per_file: int = DEFAULT_MAX_DEFINITIONS_PER_FILE
    """A file with more is refused, its previous version kept (``GENCODE_MAX_DEFINITIONS_PER_FILE``)."""
    max_definitions_per_share: int = DEFAULT_MAX_DEFINITIONS_PER_SHARE
    """A repository with more is refused before anything is written
    (``GENCODE_MAX_DEFINITIONS_PER_SHARE``); see :meth:`index_repository`."""
    map_hops: int = 2
    """How far the code map follows calls: 1, what the hits call; 2, also what that calls
    (damped; measured better, bench/README.md)."""
    map_related: int = RELATED_HITS
    """How many retrieved hits may be code map entries themselves (those past ``k`` seed
    nothing and are never references; measured, bench/README.md)."""
    context_budget: ContextBudget | None = None
    """Tokens references and the code map share in a prompt (``GENCODE_CONTEXT_TOKENS``);
    None: references fill the model's window and no code map is built."""

    def __post_init__(self) -> None:
        self.store.ensure_embedder(self.embedder.model_id, self.embedder.dim)
        self.lexicon = CorpusLexicon(self.store, self.embedder)

    # -- indexing --------------------------------------------------------------------------

    def index_bytes(
        self,
        data: bytes,
        source: Source,
        *,
        on_progress: IndexProgress | None = None,
        since: float | None = None,
    ) -> FileReport:
        """Index one file's bytes. Input problems come back as ``FileReport.error``.

        Store and model outages raise (:class:`~rag.errors.StoreError`,
        :class:`~rag.errors.LLMError`): they are not the file's fault, and nothing
        already indexed is touched. An empty file (an ``__init__.py``, say) is skipped,
        not an error; if it defined functions before, they leave the index.

        ``since`` is the :meth:`mark` the indexing started from (taken now if not given):
        if the file, or its repository, is forgotten after it, the write is refused with
        :class:`~rag.errors.SourceForgotten` and nothing of it stays.
        """
        if since is None:
            since = self.store.mark()
        try:
            text = decode_source(data, source.display, max_bytes=self.max_file_bytes)
            if not text.strip():  # nothing to index; what it defined before has gone
                report = self._index_parsed([], source, on_progress, since)
                return replace(report, skipped="empty file")
            if is_notebook(source.path):
                parsed = chunk_notebook(text, source.display)
                if len(parsed) > self.max_definitions_per_file:
                    limit = self.max_definitions_per_file
                    raise too_many_definitions(source.display, len(parsed), limit)
            else:
                parsed = chunk_python(
                    text, source.display, max_definitions=self.max_definitions_per_file
                )
        except InputError as exc:
            logger.info("refused %s: %s", source.display, exc)
            return FileReport(path=source.path, repo=source.repo, error=str(exc))
        return self._index_parsed(parsed, source, on_progress, since)

    def _previous(
        self, source: Source, parsed: Sequence[ParsedChunk]
    ) -> tuple[dict[str, Chunk], dict[tuple[str, int], Chunk]]:
        """What is indexed for ``source`` now: by chunk id, and, for chunks stored under the
        key of an index written before sources had repositories, by (qualname, occurrence).

        Such older chunks are adopted (their summaries and vectors reused, then retired)
        only when they came from the same conversation and no repository, and share some
        code with the file now indexed: an old index kept one ``util.py`` per path, and
        ``b/util.py`` indexed first must not take over (and retire) ``a/util.py``'s code.
        """
        existing = {c.id: c for c in self.store.chunks_of_source(source.key)}
        legacy: dict[tuple[str, int], Chunk] = {}
        if not existing and source.legacy_key != source.key:
            older = [
                c
                for c in self.store.chunks_of_source(source.legacy_key)
                if c.channel == source.channel and not c.repo
            ]
            hashes = {p.code_hash for p in parsed if p.kind != "module"}
            if any(c.code_hash in hashes for c in older):
                legacy = _by_occurrence(older)
        return existing, legacy

    def _index_parsed(
        self,
        parsed: list[ParsedChunk],
        source: Source,
        on_progress: IndexProgress | None,
        since: float,
    ) -> FileReport:
        existing, legacy = self._previous(source, parsed)
        occurrences = _occurrences([p.qualname for p in parsed])
        ids = [chunk_id(source, p.qualname, n) for p, n in zip(parsed, occurrences, strict=True)]
        if legacy:
            for cid, p, occurrence in zip(ids, parsed, occurrences, strict=True):
                old = legacy.get((p.qualname, occurrence))
                if old is not None:
                    existing[cid] = old

        def reusable(prev: Chunk | None, p: ParsedChunk) -> bool:
            return (
                prev is not None
                and prev.code_hash == p.code_hash
                and (
                    prev.summary_by == self.summarizer.model_id
                    or self.summarizer.model_id == EXTRACTIVE
                )
            )

        def borrowable(hit: Chunk | None, p: ParsedChunk) -> bool:
            # Same code elsewhere: a model's summary is worth reusing; an extractive one
            # names its own qualname and file, and costs nothing to write again.
            if hit is None or not reusable(hit, p):
                return False
            return hit.summary_by != EXTRACTIVE or (
                hit.qualname == p.qualname and p.kind != "module"
            )

        cached = self.store.get_by_hash(
            source.workspace,
            [
                p.code_hash
                for cid, p in zip(ids, parsed, strict=True)
                if not reusable(existing.get(cid), p)
            ],
        )
        summaries: dict[int, tuple[str, str]] = {}
        priors: dict[int, Chunk | None] = {}
        """Per chunk, the indexed one whose embedding may be reused (if its text matches)."""
        to_summarize: list[int] = []
        for i, (cid, p) in enumerate(zip(ids, parsed, strict=True)):
            prev, hit = existing.get(cid), cached.get(p.code_hash)
            priors[i] = prev if reusable(prev, p) else hit
            donor = prev if reusable(prev, p) else hit if borrowable(hit, p) else None
            if donor is not None:
                summaries[i] = (donor.summary, donor.summary_by)
            else:
                to_summarize.append(i)

        summary_errors: list[str] = []
        if to_summarize:
            results = self.summarizer.summarize(
                [parsed[i] for i in to_summarize],
                on_progress=(lambda d, t: on_progress("summarize", d, t)) if on_progress else None,
            )
            for i, result in zip(to_summarize, results, strict=True):
                if result.error:
                    summary_errors.append(f"{parsed[i].qualname}: {result.error}")
                    summaries[i] = (extractive_summary(parsed[i]), EXTRACTIVE)
                else:
                    summaries[i] = (result.text, result.model)

        now = time.time()
        with_code = reads_code(self.embedder)
        chunks: list[Chunk] = []
        to_embed: list[int] = []
        for i, (cid, p) in enumerate(zip(ids, parsed, strict=True)):
            summary, summary_by = summaries[i]
            prior, prev = priors[i], existing.get(cid)
            chunk = Chunk(
                id=cid,
                workspace=source.workspace,
                scope=source.scope,
                source_path=source.path,
                source_key=source.key,
                qualname=p.qualname,
                kind=p.kind,
                signature=p.signature,
                start_line=p.start_line,
                end_line=p.end_line,
                code=p.code,
                code_hash=p.code_hash,
                docstring=p.docstring,
                summary=summary,
                summary_by=summary_by,
                file_id=source.file_id,
                permalink=source.permalink,
                channel=source.channel,
                channel_kind=source.channel_kind,
                indexed_at=prev.indexed_at if prev and prev.code_hash == p.code_hash else now,
                indexed_by=source.indexed_by,
                repo=source.repo,
                cell=p.cell,
            )
            if (
                prior is not None
                and prior.embedding is not None
                and embedding_text(prior, reads_code=with_code)
                == embedding_text(chunk, reads_code=with_code)
            ):
                chunk = replace(chunk, embedding=prior.embedding)
            else:
                to_embed.append(i)
            chunks.append(chunk)
        texts = [embedding_text(chunks[i], reads_code=with_code) for i in to_embed]
        # In batches, each reported: a big file under e5 takes a minute or more, and the
        # CLI and Slack show how far it got. The file is still written in one transaction.
        for start in range(0, len(texts), EMBED_BATCH):
            batch = to_embed[start : start + EMBED_BATCH]
            vectors = self.embedder.embed_documents(texts[start : start + EMBED_BATCH])
            for i, vec in zip(batch, vectors, strict=True):
                chunks[i] = replace(chunks[i], embedding=vec)
            if on_progress:
                on_progress("embed", start + len(batch), len(texts))

        # Vectors of the file's identifier words first, so a word is never visible to
        # questions without one.
        self.lexicon.learn(word for chunk in chunks for word in code_words(chunk.code))
        replaced = self.store.replace_source(
            source.key, chunks, retire=[c.id for c in legacy.values()], since=since
        )
        self.lexicon.changed()
        if self._deleted_since(source, since):  # forget_file ran before or during the write
            self.store.delete_file(source.workspace, source.file_id)
            raise SourceForgotten(f"{source.display} was deleted while it was indexed")
        report = _classified(source, chunks, occurrences, replaced)
        logger.info(
            "indexed %s (workspace=%s scope=%s channel=%s): %d new, %d changed, "
            "%d unchanged, %d removed",
            source.display,
            source.workspace,
            source.scope,
            source.channel,
            len(report.new),
            len(report.changed),
            len(report.unchanged),
            len(report.removed),
        )
        return replace(report, summary_errors=tuple(summary_errors))

    def index_paths(
        self,
        paths: Sequence[Path],
        *,
        workspace: str = "local",
        scope: str = "*",
        indexed_by: str = "",
        repo: str | None = None,
        on_file: Callable[[FileReport], None] | None = None,
    ) -> IndexReport:
        """Index files and directories from disk; one bad file never stops the others."""
        reports = []
        for report in self.iter_index_paths(
            paths, workspace=workspace, scope=scope, indexed_by=indexed_by, repo=repo
        ):
            reports.append(report)
            if on_file:
                on_file(report)
        return IndexReport(tuple(reports))

    def iter_index_paths(
        self,
        paths: Sequence[Path],
        *,
        workspace: str,
        scope: str,
        indexed_by: str = "",
        repo: str | None = None,
        on_progress: Callable[[str, str, int, int], None] | None = None,
    ) -> Iterator[FileReport]:
        """Index files one by one, yielding each file's report as it is done.

        A file is identified by its repository (``repo``, or the git remote's or root
        folder's name) and its path inside it. Only regular files are read, each with a
        bounded read; anything else wrong with one file becomes that file's report line.
        ``on_progress(path, stage, done, total)`` reports work inside a file (summaries
        from a model can take a while for a big one).

        A named folder is mirrored: files indexed from it before that are no longer found
        there (deleted, renamed, now ignored) leave the index, each with a ``deleted``
        report after the others. Files that failed this time keep their previous version.
        """
        folders: dict[str, set[str]] = {}
        """Key prefix of each walked folder → keys of the files found in it."""
        unlisted: list[str] = []
        """Key prefixes of folders the walk could not list: nothing under them is pruned."""

        def key_prefix(repo: str, folder: str) -> str:
            return Source("", workspace=workspace, scope=scope, repo=repo).repo_prefix + folder

        for found in find_python_files(list(paths), repo=repo):
            if isinstance(found, Unreadable):
                unlisted.append(key_prefix(found.repo, found.folder))
                yield FileReport(
                    path=found.folder,
                    repo=found.repo,
                    error=f"{found.display}: could not be read ({found.reason}); the files "
                    "indexed from it keep their previous version. Check its permissions.",
                )
                continue
            if isinstance(found, Walked):
                folders.setdefault(key_prefix(found.repo, found.folder), set())
                continue
            if isinstance(found, Missing):
                yield FileReport(
                    path=found.display, error=f"{found.display}: no such file or directory."
                )
                continue
            source = Source(
                found.display,
                workspace=workspace,
                scope=scope,
                indexed_by=indexed_by,
                repo=found.repo,
            )
            if found.folder is not None:
                folders.setdefault(key_prefix(found.repo, found.folder), set()).add(source.key)
            if not found.path.name.endswith(INDEXED_SUFFIXES):
                yield FileReport(
                    path=source.path,
                    repo=source.repo,
                    error=f"{source.display}: not a Python file (only .py and .ipynb files "
                    "are indexed).",
                )
                continue
            progress = partial(on_progress, source.display) if on_progress else None
            try:
                data = read_bounded(found.path, max_bytes=self.max_file_bytes, shown=source.display)
                report = self.index_bytes(data, source, on_progress=progress)
            except InputError as exc:
                report = FileReport(path=source.path, repo=source.repo, error=str(exc))
            except (StoreError, LLMError, SourceForgotten):
                raise  # an outage (or a forget), not this file's fault: stop here
            except Exception as exc:  # a bug or an input nobody foresaw: this file only
                logger.exception("indexing %s failed", source.display)
                report = FileReport(
                    path=source.path,
                    repo=source.repo,
                    error=f"{source.display}: could not be indexed ({type(exc).__name__}); "
                    "the others go on; the traceback is in the log.",
                )
            yield report
        for prefix, seen in folders.items():
            yield from self._prune(Scope.of(workspace, scope), prefix, seen, unlisted)

    def _prune(
        self,
        visible: Scope,
        prefix: str,
        seen: set[str],
        unlisted: Sequence[str] = (),
        since: float | None = None,
    ) -> Iterator[FileReport]:
        """Remove the files under ``prefix`` whose keys are not in ``seen`` (nor under one
        of the ``unlisted`` prefixes: folders that could not be read)."""
        for gone in self.store.sources(visible, prefix=prefix):
            if gone.key in seen or gone.key.startswith(tuple(unlisted)):
                continue
            replaced = self.store.replace_source(gone.key, [], since=since)
            self.lexicon.changed()
            logger.info(
                "%s/%s left its folder: %d functions removed",
                gone.repo,
                gone.path,
                len(replaced.removed),
            )
            yield FileReport(
                path=gone.path,
                repo=gone.repo,
                removed=tuple(c.qualname for c in replaced.removed),
                deleted=True,
            )

    def index_repository(
        self,
        files: Sequence[tuple[str, bytes | Callable[[], bytes]]],
        template: Source,
        *,
        on_file: Callable[[int, int, FileReport], None] | None = None,
        out_of_time: Callable[[], bool] | None = None,
        since: float | None = None,
        keep: Collection[str] = (),
        permalink: Callable[[str], str] | None = None,
    ) -> IndexReport:
        """Make ``files`` (path, and bytes or a function reading them) and ``keep`` (paths
        known unchanged, left as indexed) the whole content of ``template``'s repository.

        Each file is indexed like a single one (unchanged functions cost nothing); then the
        repository's files that are in neither leave the index. ``permalink(path)``, if
        given, links each file (a git host's page of it). A repository of more than
        :attr:`max_definitions_per_share` definitions (those of ``keep`` counted as
        indexed) raises :class:`~rag.errors.TooManyDefinitions` before anything is
        written: refused whole, its previous version intact, rather than cut at an
        arbitrary file. When
        ``out_of_time()`` turns true between files, indexing stops there and nothing is
        removed: the report's ``unfinished`` says how many files were not reached, and
        indexing the same files again goes on where it stopped.

        If the repository is forgotten meanwhile (here or in another process), this stops
        with :class:`~rag.errors.SourceForgotten` and writes nothing more of it; ``since``
        is the :meth:`mark` to compare forgets with (taken now if not given).
        """
        if not template.repo:  # its prune would reach every single file of the conversation
            raise ValueError("index_repository needs a repository name")
        if since is None:
            since = self.store.mark()
        self._check_definitions(files, template, keep)
        reports: list[FileReport] = []
        keys = {replace(template, path=path).key for path in keep}
        for done, (path, data) in enumerate(files, 1):
            if self.store.forgotten_since(template.repo_prefix, since) or self._deleted_since(
                template, since
            ):
                logger.info(
                    "repository %s was forgotten after %d of %d files: stopped",
                    template.repo,
                    done - 1,
                    len(files),
                )
                raise SourceForgotten(f"{template.repo} was forgotten while it was indexed")
            if out_of_time is not None and out_of_time():
                logger.warning(
                    "stopped indexing repository %s after %d of %d files: out of time",
                    template.repo,
                    done - 1,
                    len(files),
                )
                return IndexReport(tuple(reports), unfinished=len(files) - done + 1)
            source = replace(template, path=path)
            if permalink is not None:
                source = replace(source, permalink=permalink(path))
            keys.add(source.key)
            report = self.index_bytes(_read(data), source, since=since)
            reports.append(_without_vectors(report))
            if on_file is not None:
                on_file(done, len(files), report)
        visible = Scope.of(template.workspace, template.channel, template.scope)
        reports += self._prune(visible, template.repo_prefix, keys, since=since)
        return IndexReport(tuple(reports))

    def _check_definitions(
        self,
        files: Sequence[tuple[str, bytes | Callable[[], bytes]]],
        template: Source,
        keep: Collection[str] = (),
    ) -> None:
        """Refuse a repository past :attr:`max_definitions_per_share` before anything is
        indexed. A cheap upper bound first (:func:`~rag.chunking.definitions_at_most`);
        only a repository it puts over the limit is counted exactly, with Python's parser
        (a second parse of each file would cost about a third of indexing with USE). A file
        over the per-file limit counts too: three of them make one clear refusal, not three
        file errors under a repository of nothing; files that cannot be read do not.

        The files of ``keep`` (unchanged since a git sync indexed them) count with the
        chunks indexed for them, so pushes cannot grow a repository past the limit either.
        Files given as functions (a sync's blobs) are read here and again when indexed:
        one at a time, so a repository is never held in memory whole."""
        limit = self.max_definitions_per_share
        if keep:
            kept = {replace(template, path=path).key for path in keep}
            visible = Scope.of(template.workspace, template.channel, template.scope)
            indexed = self.store.sources(visible, prefix=template.repo_prefix)
            limit -= sum(s.functions for s in indexed if s.key in kept)
        sizes = sum(len(data) for _, data in files if isinstance(data, bytes))
        if (
            all(isinstance(data, bytes) for _, data in files)
            and sizes < limit * MIN_DEFINITION_BYTES
        ):
            return  # cannot pass the limit
        if sum(self._definitions_in(path, data, exact=False) for path, data in files) <= limit:
            return
        total = 0
        for path, data in files:
            total += self._definitions_in(path, data, exact=True)
            if total > limit:
                logger.warning(
                    "refused repository %s: more than %d definitions (%d files)",
                    template.repo,
                    self.max_definitions_per_share,
                    len(files) + len(keep),
                )
                raise TooManyDefinitions(
                    f"it holds more than {limit:,} definitions (functions, methods and "
                    "classes), the limit for one repository. Share the part you need, or have "
                    "whoever runs Gencode raise GENCODE_MAX_DEFINITIONS_PER_SHARE."
                )

    def _definitions_in(self, path: str, data: bytes | Callable[[], bytes], *, exact: bool) -> int:
        """How many definitions a file holds (0 for one that cannot be read or parsed);
        not ``exact``: an upper bound, without parsing."""
        try:
            text = decode_source(_read(data), path, max_bytes=self.max_file_bytes)
            if is_notebook(path):
                return len(chunk_notebook(text, path))
            return count_definitions(ast.parse(text)) if exact else definitions_at_most(text)
        except (InputError, SyntaxError, ValueError, RecursionError, MemoryError):
            return 0

    def sources(self, scope: Scope, *, shared_by: str = "") -> list[SourceSummary]:
        """Every indexed file ``scope`` may see, for listing what Gencode knows; with
        ``shared_by``, the files that user indexed anywhere in the workspace."""
        return self.store.sources(scope, shared_by=shared_by)

    def replaced_by(self, source: Source) -> list[SourceSummary]:
        """The indexed files that indexing ``source`` would replace: that file, or for a
        repository's template (a ``repo`` and an empty ``path``) every file of it.

        Who shared them is in each summary: a caller checks it before anything is
        overwritten, so that one person's share never takes over another's code.
        """
        visible = Scope.of(source.workspace, source.channel, source.scope)
        if source.repo and not source.path:
            return self.store.sources(visible, prefix=source.repo_prefix)
        return [s for s in self.store.sources(visible, prefix=source.key) if s.key == source.key]

    def forget_sources(self, keys: Sequence[str]) -> int:
        """Remove whole files from the index (by source key); returns the functions gone."""
        return self.forget_units(keys)

    def forget_units(self, units: Sequence[str]) -> int:
        """Forget files (by key) or whole repositories (by :attr:`Source.repo_prefix`), for
        good: an indexing of them already under way, in this process or another, writes
        nothing more (it stops with :class:`~rag.errors.SourceForgotten`). Indexing them
        again later starts afresh. Returns the functions gone."""
        gone = len(self.store.forget_units(units))  # a synced repository's registration too
        self.lexicon.changed()
        logger.info("forgot %d files or repositories, %d functions", len(units), gone)
        return gone

    def _deleted_since(self, source: Source, since: float) -> bool:
        """Whether the Slack file ``source`` came from was deleted after ``since``; checked
        after each file's write, since the write and the deletion may cross."""
        unit = file_unit(source.workspace, source.file_id)
        return bool(source.file_id) and self.store.forgotten_since(unit, since)

    def mark(self) -> float:
        """The point an indexing run starts from: forgets after it cancel the run."""
        return self.store.mark()

    # -- retrieval and answers ---------------------------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        """The store's analyzer, shared so a process loads MeCab and its dictionary once."""
        return self.store.analyzer

    def query_vector(self, query: str) -> Vector:
        """The vector a question is searched with.

        A question with Korean developer terms is embedded twice, as written and as its
        English gloss, and the two are averaged. Both views vote: the Korean keeps its
        nuance, the gloss lands near English code names. Measured against concatenating
        the two into one mixed string (what the encoder never saw in training), hybrid
        MRR@10 on both Korean development sets went up by about 0.04-0.06.
        """
        gloss = self.analyzer.english_gloss(query)
        if not gloss:
            return self.embedder.embed_query(query)
        both = embed_queries(self.embedder, [query, gloss])
        voted: Vector = normalise(both.sum(axis=0))[0]
        return voted

    def lexical_query(self, query: str, scope: Scope) -> str:
        """What BM25 searches for: the question, plus English words of the code ``scope`` may
        see for the Korean words the glossaries do not know (:mod:`rag.lexicon`)."""
        if not has_hangul(query) or not self.lexicon.enabled:
            return query
        suggested = self.lexicon.suggest(self.analyzer.unglossed(query), scope)
        if not suggested:
            return query
        logger.debug("lexicon: %s", suggested)
        words = dict.fromkeys(w for english in suggested.values() for w in english)
        return f"{query}\n{' '.join(words)}"

    def retrieve(self, query: str, scope: Scope, *, k: int = 8, mode: str = "hybrid") -> list[Hit]:
        """Top-``k`` hits for ``query`` among the chunks ``scope`` may see.

        ``mode`` is ``hybrid`` (default), ``lexical`` or ``vector``; the single modes exist
        for benchmarks and debugging.
        """
        if not query.strip():
            raise InputError("The question is empty: say what code you need.")
        lists: dict[str, list[ScoredChunk]] = {}
        fusion = fusion_for(self.embedder.model_id)
        if mode == "hybrid":
            vector = self.query_vector(query)
            words = self.lexical_query(query, scope)
            lexical, nearest = self.store.hybrid(words, vector, k=CANDIDATES, scope=scope)
            lists = {"lexical": lexical, "vector": nearest}
            hits = fuse(
                lists,
                fusion,
                query,
                query_terms=self.analyzer.query_terms(words),
                phrases=self.analyzer.query_phrases(query),
                names=name_words(self.analyzer),
            )
            return hits[:k]
        if mode == "lexical":
            lists["lexical"] = self.store.lexical(
                self.lexical_query(query, scope), k=CANDIDATES, scope=scope
            )
        elif mode == "vector":
            vector = self.query_vector(query)
            lists["vector"] = self.store.vector(vector, k=CANDIDATES, scope=scope)
        else:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        return reciprocal_rank_fusion(lists, k=fusion.k, weights=fusion.weights(query, lists))[:k]

    def ask(
        self,
        question: str,
        scope: Scope,
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        on_restart: Callable[[], None] | None = None,
        k: int = ASK_K,
    ) -> Answer:
        """Retrieve for the question (rewritten standalone if it follows up) and answer it.

        A model's answer is checked (:mod:`rag.verify`) and repaired at most once; before a
        repaired answer streams into ``on_text``, ``on_restart`` is called.
        """
        if not question.strip():
            raise InputError("The question is empty: say what code you need.")
        hits, code_map = self.context(question, scope, history=history, k=k)
        answer = answer_checked(
            self.generator,
            self.verifier(scope),
            question,
            hits,
            history=history,
            on_text=on_text,
            on_restart=on_restart,
            code_map=code_map,
        )
        self._record_verdict(scope, answer)
        return answer

    def context(
        self,
        question: str,
        scope: Scope,
        *,
        history: Sequence[Turn] = (),
        k: int = ASK_K,
        budget: ContextBudget | None = None,
    ) -> tuple[list[Hit], CodeMap | None]:
        """The hits and the code map a question's answer is written from.

        A follow-up is rewritten standalone for retrieval, and its map starts from the
        thread's earlier map (the last turn's :attr:`~rag.models.Turn.code_map`). With no
        context budget (``budget`` or :attr:`context_budget`), there is no map: None.
        """
        if not question.strip():
            raise InputError("The question is empty: say what code you need.")
        query = self.generator.standalone_question(question, history) if history else question
        budget = budget or self.context_budget
        wanted = k if budget is None else max(k, self.map_related)
        retrieved = self.retrieve(query, scope, k=wanted)
        if not retrieved:
            raise NothingIndexedError(
                "No code is indexed here yet. Share a .py file in this conversation "
                "(or run `gencode index PATH`), then ask again."
            )
        hits = retrieved[:k]
        if budget is None:
            return hits, None
        earlier = next((t.code_map for t in reversed(history) if t.code_map), ())
        code_map = self.code_map(hits, scope, budget=budget, earlier=earlier, related=retrieved[k:])
        return hits, code_map

    def code_map(
        self,
        hits: Sequence[Hit],
        scope: Scope,
        *,
        budget: ContextBudget,
        earlier: Sequence[str] = (),
        related: Sequence[Hit] = (),
    ) -> CodeMap:
        """Ranked code map entries for ``hits`` (:mod:`rag.codemap`), through the same scoped
        definitions the checker uses; ``earlier`` are a thread's earlier entry keys,
        ``related`` the hits retrieved after ``hits`` (entries themselves, seeding nothing)."""
        started = time.perf_counter()
        lookup = self.verifier(scope).lookup
        builder = MapBuilder(
            lookup,
            lambda chunk: self.store.chunks_of_source(chunk.source_key),
            hops=self.map_hops,
        )
        before: list[MapEntry] = []
        if earlier:
            ids = [key.partition(":")[2] for key in earlier]
            visible = [c for c in self.store.get(ids) if scope.allows(c.workspace, c.scope)]
            before = builder.entries_for(earlier, visible)
        entries = builder.build(hits, earlier=before, related=related)
        logger.debug(
            "code map: %d entries from %d hits (%d earlier) in %.1f ms",
            len(entries),
            len(hits),
            len(before),
            (time.perf_counter() - started) * 1000,
        )
        return CodeMap(tuple(entries), budget)

    def prompt(
        self,
        question: str,
        scope: Scope,
        *,
        history: Sequence[Turn] = (),
        k: int = ASK_K,
        budget: ContextBudget | None = None,
    ) -> Prompt:
        """Exactly what the configured model would be sent for ``question`` (``gencode
        context``). Without a model (extractive answers), what Bedrock would be sent."""
        hits, code_map = self.context(question, scope, history=history, k=k, budget=budget)
        shown = getattr(self.generator, "prompt", None)
        if callable(shown):
            prompt: Prompt = shown(question, hits, history=history, code_map=code_map)
            return prompt
        return build_prompt(question, hits, history=history, code_map=code_map)

    # -- answer verification (rag/verify.py) ----------------------------------------------------

    def verifier(self, scope: Scope) -> Verifier:
        """Checks answers against the team's functions that ``scope`` may see."""
        return Verifier(
            lambda names, paths: self.store.definitions(scope=scope, qualnames=names, paths=paths)
        )

    def _record_verdict(self, scope: Scope, answer: Answer) -> None:
        v = answer.verification
        if v is None:
            return
        record = AnswerRecord(
            workspace=scope.workspace,
            conversation=",".join(sorted(scope.conversations)),
            model=answer.model,
            verdict=v.verdict,
            errors=len(v.errors),
        )
        try:
            self.store.record_answer(record)
        except StoreError as exc:  # the answer is worth more than its statistics
            logger.warning("could not record the answer's verdict: %s", exc)

    def verdict_counts(self) -> dict[str, int]:
        """Recorded answers per verdict, for ``gencode stats``."""
        return self.store.verdict_counts()

    def forget_file(self, workspace: str, file_id: str) -> list[str]:
        """Remove a shared file's code from the index (it was deleted where it was shared).

        A tombstone goes first, so an indexing of the file already under way (here or in
        another process) writes nothing after this: see :meth:`_deleted_since`. Returns
        the qualified names that went, so callers can say what was forgotten.
        """
        if not file_id:
            return []
        self.store.forget_units([file_unit(workspace, file_id)])
        gone = self.store.delete_file(workspace, file_id)
        self.lexicon.changed()
        if gone:
            logger.info("forgot file %s (workspace=%s): %d chunks", file_id, workspace, len(gone))
        return [c.qualname for c in gone]

    def record_feedback(self, feedback: Feedback) -> None:
        self.store.record_feedback(feedback)

    def claim_once(self, key: str, *, ttl: float = 86_400.0) -> bool:
        """First claim of ``key`` in the shared store wins; see ``ChunkStore.claim_once``."""
        return self.store.claim_once(key, ttl=ttl)

    def remember(self, key: str, *, ttl: float, value: str = "") -> None:
        """Note ``key`` (and ``value``) in the shared store for ``ttl`` seconds (a thread we
        answer in, a share being indexed)."""
        self.store.remember(key, ttl=ttl, value=value)

    def recall(self, prefix: str) -> dict[str, str]:
        """The unexpired notes whose keys start with ``prefix``, with their values."""
        return self.store.recall(prefix)

    def drop_note(self, key: str) -> None:
        self.store.drop_note(key)

    def remembers(self, key: str) -> bool:
        return self.store.remembers(key)

    def stats(self) -> StoreStats:
        return self.store.stats()

    def close(self) -> None:
        self.store.close()
