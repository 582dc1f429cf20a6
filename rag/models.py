"""Domain objects shared by every part of Gencode.

They are frozen dataclasses: values passed between packages, never raw dicts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

ChunkKind = Literal["function", "async_function", "method", "async_method", "class", "module"]


_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Controls, format characters (right-to-left overrides and isolates, zero-width spaces and
joiners, the byte-order mark, tag characters) and line separators: they change how the
text around them is shown, or are not shown at all."""
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
"""Hangul fillers: letters that draw nothing, so ``[U+3164].py`` looks like ``.py``."""


def _hidden(char: str) -> bool:
    return char in _FILLERS or unicodedata.category(char) in _HIDDEN_CATEGORIES


def counted(n: int, noun: str, plural: str = "") -> str:
    """``1 file``, ``2 files``: a count with its noun in the number English needs."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def printable(text: str) -> str:
    """A file or folder name as it is stored and shown: nothing in it hidden or disguised.

    * A name that is not UTF-8 reaches Python with its bytes smuggled in as surrogates
      (``bad_\\udce9.py``); those bytes are shown escaped (``bad_\\xe9.py``), so two such
      names stay distinct. Other lone surrogates (from JSON ``\\ud800``) are escaped too:
      no store can encode them.
    * Characters that change how a name looks without being seen (a right-to-left
      override before "pohs" makes it display as "shop"; zero-width spaces and joiners,
      bidi marks and isolates, controls, Hangul fillers) are shown by their code point,
      ``[U+202E]``: the name still works, and everyone sees what it really is. Not with a
      backslash, which archives from Windows use as a path separator.

    Applied where names enter (:class:`Source`, archive members, the CLI's walk, a file
    shared in Slack), so what is indexed, listed, forgotten and reported is the same.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if not any(map(_hidden, text)):
        return text
    return "".join(f"[U+{ord(c):04X}]" if _hidden(c) else c for c in text)


def repo_path(repo: str, path: str) -> str:
    """How a file is shown: ``repo/path`` for code from a repository, the bare path else."""
    return f"{repo}/{path}" if repo else path


#: ``Chunk.scope`` value for code that any conversation of its workspace may see
#: (shared in a public channel, or indexed from the CLI without a narrower scope).
WORKSPACE_WIDE = "*"


@dataclass(frozen=True)
class Source:
    """Where a file came from: a path on disk or a file shared in Slack."""

    path: str
    """Relative to the repository's root, or the Slack file name."""
    workspace: str = "local"
    scope: str = WORKSPACE_WIDE
    """``*`` for workspace-wide, otherwise the one conversation id that may see it."""
    file_id: str = ""
    permalink: str = ""
    channel: str = ""
    """The conversation the file was shared in (empty for the CLI)."""
    channel_kind: str = ""
    """``public channel``, ``private channel``, ``DM``, ``group DM``, or empty for the CLI."""
    indexed_by: str = ""
    repo: str = ""
    """The repository the file belongs to (``gencode index --repo``, an archive's name);
    empty for a single file shared in Slack, where the conversation tells files apart."""

    def __post_init__(self) -> None:
        for name in ("path", "repo"):
            object.__setattr__(self, name, printable(getattr(self, name)))

    @property
    def key(self) -> str:
        """What identifies "the same file" across re-indexing: workspace, scope, the
        conversation it was shared in, repository and path.

        Only the same source replaces a file's code: ``util.py`` of two repositories, or
        ``x.py`` shared in two channels, are two sources that live side by side.
        """
        return "\x1f".join((self.workspace, self.scope, self.channel, self.repo, self.path))

    @property
    def repo_prefix(self) -> str:
        """The start of the key of every file of this source's repository."""
        return self.key.removesuffix(self.path)

    @property
    def unit(self) -> str:
        """What a forget names: a repository's whole key prefix, or a single file's key."""
        return self.repo_prefix if self.repo else self.key

    @property
    def legacy_key(self) -> str:
        """The key indexes written before repositories existed used (workspace, scope,
        path): read once to adopt such a file's chunks when its source is next indexed."""
        return f"{self.workspace}\x1f{self.scope}\x1f{self.path}"

    @property
    def display(self) -> str:
        return repo_path(self.repo, self.path)


@dataclass(frozen=True)
class Chunk:
    """One callable unit of code (or a module preamble) with everything retrieval needs."""

    id: str
    workspace: str
    scope: str
    source_path: str
    source_key: str
    qualname: str
    kind: ChunkKind
    signature: str
    start_line: int
    end_line: int
    code: str
    code_hash: str
    docstring: str = ""
    summary: str = ""
    summary_by: str = ""
    """Who wrote the summary: a model id, or ``extractive`` when no model was used."""
    file_id: str = ""
    permalink: str = ""
    channel: str = ""
    channel_kind: str = ""
    language: str = "python"
    indexed_at: float = 0.0
    indexed_by: str = ""
    repo: str = ""
    """The repository the file belongs to; empty for single files shared in Slack."""
    cell: int = 0
    """The notebook cell it came from (lines count from that cell's top); 0 for .py files."""
    embedding: npt.NDArray[np.float32] | None = field(default=None, repr=False, compare=False)
    """Present when a store hands back a chunk for reuse; search results leave it out."""

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def lines(self) -> str:
        """``L12–20``, or ``cell 3, L2–5`` for notebook code (lines count from the cell)."""
        span = f"L{self.start_line}–{self.end_line}"
        return f"cell {self.cell}, {span}" if self.cell else span

    @property
    def display_path(self) -> str:
        """``repo/path`` for code from a repository, the bare path otherwise."""
        return repo_path(self.repo, self.source_path)


@dataclass(frozen=True)
class Scope:
    """Which chunks a question may see: one workspace, workspace-wide code plus its own conversations.

    Code shared in a private channel or a DM carries that conversation id as its scope and is
    visible only to questions asked there. Stores apply this filter inside each query, over
    :attr:`visible_scopes`.

    A conversation shared with people outside the workspace (Slack Connect) must not show
    them the team's workspace-wide code: its questions use :meth:`only`, which leaves
    workspace-wide code out.
    """

    workspace: str = "local"
    conversations: frozenset[str] = frozenset()
    workspace_wide: bool = True
    """False: only code scoped to :attr:`conversations`, never workspace-wide code."""

    @classmethod
    def of(cls, workspace: str, *conversations: str) -> Scope:
        return cls(workspace=workspace, conversations=frozenset(c for c in conversations if c))

    @classmethod
    def only(cls, workspace: str, conversation: str) -> Scope:
        """This conversation's own code and nothing else (Slack Connect, unknown channels)."""
        return cls(
            workspace=workspace,
            conversations=frozenset({conversation} if conversation else ()),
            workspace_wide=False,
        )

    @property
    def visible_scopes(self) -> tuple[str, ...]:
        """The ``Chunk.scope`` values this question may see, sorted (stores filter on them)."""
        own = tuple(sorted(self.conversations))
        return (WORKSPACE_WIDE, *own) if self.workspace_wide else own

    def allows(self, chunk_workspace: str, chunk_scope: str) -> bool:
        return chunk_workspace == self.workspace and chunk_scope in self.visible_scopes


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk, its fused score, and the rank each retriever gave it (1-based)."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)


MapKind = Literal["callee", "class", "exception", "imports", "retrieved"]
"""What a code map entry is: a function or method the references call, a class they
construct or whose method they are, an exception of the team's they raise, the import
lines of a reference's module, or a function retrieved for the question that is no
reference (ranked below them, or left out for room)."""


@dataclass(frozen=True)
class MapEntry:
    """One entry of an answer's code map (:mod:`rag.codemap`): a definition the retrieved
    functions depend on, shown compactly (signature, summary, ``repo/path:line``)."""

    chunk: Chunk
    """The definition: a function, method or class chunk; a module chunk for ``imports``."""
    kind: MapKind
    score: float
    """How much the retrieved functions use it: the sum of ``1/rank`` over those that do."""
    lines: tuple[str, ...]
    """The entry's text, one item a line: signature line(s), summary, location (the
    summary is always the line before the location). Data written by whoever indexed the
    code: the prompt escapes and fences it."""

    @property
    def brief_lines(self) -> tuple[str, ...]:
        """The entry without its summary line: what the prompt shows when the map's room
        is tight, so that more signatures fit (an imports entry has no summary)."""
        if self.kind == "imports" or len(self.lines) < 3:
            return self.lines
        return (*self.lines[:-2], self.lines[-1])

    @property
    def key(self) -> str:
        """``kind:chunk id``, what a thread remembers of its earlier map."""
        return f"{self.kind}:{self.chunk.id}"


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


Verdict = Literal["verified", "repaired", "failing", "extractive", "no_code"]
"""What checking an answer's code concluded (see :mod:`rag.verify`):

* ``verified``: every check passed on the model's first answer;
* ``repaired``: the first answer failed, the one repair round fixed it;
* ``failing``: still failing after the repair round;
* ``extractive``: no model wrote it (``GENCODE_LLM=none``), so nothing was checked;
* ``no_code``: a model answer without a Python code block.
"""


@dataclass(frozen=True)
class Finding:
    """One problem found in an answer's code, precise enough to send back to the model.

    ``detail`` holds the parts the message is made of (a name, counts, a suggestion), so
    the Slack layer can say it in the asker's language; :attr:`message` is the English.
    """

    kind: str
    """``syntax``, ``undefined``, ``before-assignment``, ``shadowed-import``,
    ``unused-import``, ``arg-count``, ``missing-arg``, ``bad-keyword``, ``duplicate-arg``,
    ``not-found``, ``wrong-module`` or ``too-deep`` (nested past what Python's parser or
    the checks can follow)."""
    line: int
    """1-based line within its code block."""
    block: int
    """1-based number of the code block among the answer's Python blocks."""
    name: str = ""
    detail: tuple[str, ...] = ()
    severity: Literal["error", "warning"] = "error"

    @property
    def message(self) -> str:
        d = self.detail
        n = self.name
        if self.kind == "syntax":
            return f"syntax error: {d[0] if d else 'invalid syntax'}"
        if self.kind == "undefined":
            hint = f" (missing `from {d[0]} import {n}`?)" if d else ""
            return f"undefined name `{n}`{hint}"
        if self.kind == "before-assignment":
            return f"`{n}` is used before it is assigned"
        if self.kind == "shadowed-import":
            return f"the import of `{n}` (line {d[0]}) is shadowed before it is used"
        if self.kind == "unused-import":
            return f"`{n}` is imported but unused"
        if self.kind == "arg-count":
            plural = "" if d[0] == "1" else "s"
            return f"`{n}()` takes {d[0]} positional argument{plural}, {d[1]} given"
        if self.kind == "missing-arg":
            return f"`{n}()` is missing required argument(s) {', '.join(f'`{a}`' for a in d)}"
        if self.kind == "bad-keyword":
            hint = f" (did you mean `{d[1]}`?)" if len(d) > 1 and d[1] else ""
            return f"`{n}()` has no keyword argument `{d[0]}`{hint}"
        if self.kind == "duplicate-arg":
            return f"`{n}()` got multiple values for `{d[0]}`"
        if self.kind == "not-found":
            where = f" in `{d[0]}`" if d and d[0] else ""
            return f"`{n}` was not found{where} in the indexed code"
        if self.kind == "wrong-module":
            return f"`{n}` is not in `{d[0]}`; the indexed one is in {d[1]}"
        if self.kind == "too-deep":
            if d and d[0] == "compile":
                return "the code is nested too deeply for Python to compile"
            return "the code is nested too deeply to check"
        return f"{self.kind}: {n}"

    def where(self, *, blocks: int) -> str:
        return f"block {self.block}, line {self.line}" if blocks > 1 else f"line {self.line}"


@dataclass(frozen=True)
class Verification:
    """The checks run on an answer's Python code blocks, and what they concluded."""

    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    """Problems in the final answer (errors fail it; warnings do not)."""
    blocks: int = 0
    """Python code blocks checked."""
    calls_matched: int = 0
    """Calls to the team's indexed functions whose arguments match their signatures."""
    unknown_imports: tuple[str, ...] = ()
    """Modules neither standard library, installed, nor indexed: maybe real packages, unchecked."""
    repaired: tuple[Finding, ...] = ()
    """What the first answer had wrong, when a repair round ran."""
    seconds: float = 0.0
    """Time the checks took (both rounds), excluding the model."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")


@dataclass(frozen=True)
class Answer:
    """What a question gets back: prose with code blocks, and the hits it cites."""

    text: str
    code_blocks: tuple[CodeBlock, ...]
    references: tuple[Hit, ...]
    """The hits the model saw, in prompt order: ``[n]`` in the text is ``references[n-1]``."""
    cited: frozenset[int] = frozenset()
    """1-based reference numbers the text cites."""

    def cited_first(self) -> list[tuple[int, Hit]]:
        """``(number, hit)`` pairs: cited references first, then the code map entries the
        text cites, then the uncited references; numbers kept."""
        numbered = list(enumerate(self.references, 1))
        first = len(self.references) + 1
        mapped = [
            (n, Hit(e.chunk, e.score, {"map": n - len(self.references)}))
            for n, e in enumerate(self.code_map, first)
            if n in self.cited
        ]
        return (
            [p for p in numbered if p[0] in self.cited]
            + mapped
            + [p for p in numbered if p[0] not in self.cited]
        )

    model: str = "extractive"
    generated: bool = False
    """False for extractive answers: the text quotes indexed code, no model wrote it."""
    usage: Usage = Usage()
    notes: tuple[str, ...] = ()
    """Things the asker should know: context trimmed, stream cut, tiny local model…"""
    verification: Verification | None = None
    """Set by the engine once the answer's code was checked (:mod:`rag.verify`)."""
    code_map: tuple[MapEntry, ...] = ()
    """The code map entries the model saw, numbered after the references: ``[n]`` for
    ``n > len(references)`` is ``code_map[n - len(references) - 1]``. Only the cited ones
    are shown with the references (:meth:`cited_first`)."""


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a thread, for follow-ups."""

    question: str
    answer: str
    code_map: tuple[str, ...] = ()
    """The keys (:attr:`MapEntry.key`) of the code map that answer's model saw: a
    follow-up's map starts from them."""


@dataclass(frozen=True)
class FileReport:
    """What indexing one file did."""

    path: str
    new: tuple[Chunk, ...] = ()
    changed: tuple[Chunk, ...] = ()
    unchanged: tuple[Chunk, ...] = ()
    removed: tuple[str, ...] = ()
    """Qualified names deleted because the file no longer defines them."""
    error: str = ""
    """Why the file was refused; nothing indexed for it changed."""
    skipped: str = ""
    """Why a file holds nothing to index (it is empty); not an error."""
    deleted: bool = False
    """The file left its repository, so its code left the index (``removed``)."""
    repo: str = ""
    summary_errors: tuple[str, ...] = ()
    """Chunks whose model summary failed for good; they keep an extractive one for now."""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def display(self) -> str:
        return repo_path(self.repo, self.path)

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return tuple(sorted(self.new + self.changed + self.unchanged, key=lambda c: c.start_line))


@dataclass(frozen=True)
class IndexReport:
    """Totals over many files, as the CLI and Slack print them."""

    files: tuple[FileReport, ...]
    unfinished: int = 0
    """Files not reached (time ran out); nothing was removed for a repository then."""

    @property
    def new(self) -> int:
        return sum(len(f.new) + len(f.changed) for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(len(f.unchanged) for f in self.files)

    @property
    def removed(self) -> int:
        return sum(len(f.removed) for f in self.files)

    @property
    def errors(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if not f.ok)

    @property
    def skipped(self) -> tuple[FileReport, ...]:
        return tuple(f for f in self.files if f.ok and f.skipped)

    @property
    def indexed(self) -> tuple[FileReport, ...]:
        """Files read and indexed now (not refused, skipped, or gone from the folder)."""
        return tuple(f for f in self.files if f.ok and not f.skipped and not f.deleted)

    @property
    def repos(self) -> tuple[str, ...]:
        return tuple(sorted({f.repo for f in self.files if f.repo}))

    def line(self) -> str:
        where = f" of {', '.join(self.repos)}" if self.repos else ""
        skipped = f"{len(self.skipped)} skipped, " if self.skipped else ""
        return (
            f"indexed {counted(len(self.indexed), 'file')}{where}: {self.new} new, "
            f"{self.unchanged} unchanged, {self.removed} removed functions; "
            f"{skipped}{counted(len(self.errors), 'error')}"
        )


@dataclass(frozen=True)
class SourceSummary:
    """One indexed file, as ``/gencode list`` shows it."""

    key: str
    workspace: str
    scope: str
    channel: str
    repo: str
    path: str
    functions: int
    indexed_at: float
    indexed_by: str

    @property
    def display(self) -> str:
        return repo_path(self.repo, self.path)

    @property
    def repo_prefix(self) -> str:
        """The key prefix of every file of its repository (see :attr:`Source.repo_prefix`)."""
        return self.key[: len(self.key) - len(self.path)]


@dataclass(frozen=True)
class Repository:
    """A git repository kept in sync: where it comes from, where its code answers, and how
    its syncing stands. Kept in the store (both backends), so every process and Lambda
    container sees the same registrations, claims and errors."""

    id: str
    """Its files' key prefix (:attr:`Source.repo_prefix`): forgetting that unit forgets it."""
    url: str
    """The clone URL, credential-free (``https://github.com/acme/shop.git``)."""
    branch: str
    name: str
    workspace: str
    scope: str = WORKSPACE_WIDE
    channel: str = ""
    """The conversation it was added in (empty from the CLI)."""
    channel_kind: str = ""
    added_by: str = ""
    added_at: float = 0.0
    thread_ts: str = ""
    """The Slack thread it was added in: where a background failure is told, once."""
    korean: bool = False
    """It was added in Korean: errors told in its thread are too."""
    commit: str = ""
    """The commit whose files are all indexed (empty until the first index completes)."""
    synced_at: float = 0.0
    """When a sync last ended without an error."""
    error: str = ""
    """The last sync's failure (a ``rag.git.GitError`` code), or empty."""
    error_detail: str = ""
    error_at: float = 0.0
    error_told: str = ""
    """The failure already told in the thread (``code:detail``): told once, not per retry."""
    requested: int = 0
    """Sync requests so far (pushes, schedule, CLI): a sync that ends sees if more came."""
    lease: str = ""
    """Who is syncing it now (process and run), until :attr:`lease_until`."""
    lease_until: float = 0.0

    @property
    def display(self) -> str:
        """Host and path, as lists show it (``github.com/acme/shop``): never credentials,
        which a registered URL cannot hold."""
        return self.url.split("://", 1)[-1].removesuffix(".git")

    @property
    def template(self) -> Source:
        """The source every file of it is indexed as (``path`` filled per file)."""
        return Source(
            "",
            workspace=self.workspace,
            scope=self.scope,
            channel=self.channel,
            channel_kind=self.channel_kind,
            indexed_by=self.added_by,
            repo=self.name,
        )


def file_unit(workspace: str, file_id: str) -> str:
    """The unit a Slack file's deletion forgets: its code, whatever names it was indexed
    under (a file, or every file of an archive). Starting with two separators, it is the
    prefix of no source key (those start with a workspace and a scope)."""
    return "\x1f".join(("", "", "file", workspace, file_id))


def forget_units(key: str) -> tuple[str, ...]:
    """The units whose forget reaches the file with ``key``: the file itself and, for a
    file of a repository, the repository (``Source.key`` is workspace, scope, conversation,
    repository and path, joined by ``\x1f``)."""
    parts = key.split("\x1f", 4)
    if len(parts) == 5 and parts[3]:
        return (key, "\x1f".join(parts[:4]) + "\x1f")
    return (key,)


@dataclass(frozen=True)
class StoreStats:
    chunks: int
    files: int
    embed_model: str
    embed_dim: int
    size_bytes: int
    backend: str
