"""The embedded store: one SQLite file with FTS5 for BM25 and vectors searched with NumPy.

Why not a vector extension: this machine's Python cannot load SQLite extensions, and an
exact dot product over an in-memory float32 matrix takes milliseconds up to ~100k chunks.
The matrix is loaded on the first vector search and reloaded when the store's
``generation`` counter moves (any writer, in this process or another, bumps it).

Text reaches FTS5 already analysed (split identifiers, Korean morphemes, see
:mod:`rag.analysis`), so FTS5's plain ``unicode61`` tokenizer only splits on spaces.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from ..analysis import Analyzer
from ..embed import Matrix, Vector
from ..errors import EmbedderMismatchError, SourceForgotten, StoreError, StoreLockedError
from ..lexicon import code_words
from ..models import WORKSPACE_WIDE, Chunk, Repository, Scope, SourceSummary, StoreStats
from .base import (
    AnswerRecord,
    Feedback,
    Replaced,
    RepositoryChange,
    ScoredChunk,
    pack_manifest,
    repository_from_json,
    repository_json,
    unpack_manifest,
)

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 11

# Each entry upgrades the schema from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE chunks (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        workspace TEXT NOT NULL,
        scope TEXT NOT NULL,
        source_key TEXT NOT NULL,
        source_path TEXT NOT NULL,
        file_id TEXT NOT NULL DEFAULT '',
        permalink TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL,
        qualname TEXT NOT NULL,
        kind TEXT NOT NULL,
        signature TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        code TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        docstring TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        summary_by TEXT NOT NULL DEFAULT '',
        indexed_at REAL NOT NULL,
        indexed_by TEXT NOT NULL DEFAULT '',
        embedding BLOB NOT NULL
    );
    CREATE INDEX chunks_by_source ON chunks (source_key);
    CREATE INDEX chunks_by_hash ON chunks (workspace, code_hash);
    CREATE VIRTUAL TABLE chunks_fts USING fts5 (
        name, summary, docstring, code, access,
        tokenize = 'unicode61 remove_diacritics 0'
    );
    """,
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        workspace TEXT NOT NULL,
        conversation TEXT NOT NULL,
        user TEXT NOT NULL,
        vote INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        reference_ids TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE chunks ADD COLUMN channel TEXT NOT NULL DEFAULT '';
    ALTER TABLE chunks ADD COLUMN channel_kind TEXT NOT NULL DEFAULT '';
    CREATE TABLE claims (key TEXT PRIMARY KEY, at REAL NOT NULL, expires REAL NOT NULL);
    CREATE INDEX claims_by_expiry ON claims (expires);
    """,
    # Which write generation last touched a chunk, and which chunks went away when: lets
    # the in-memory vector matrix catch up on changes instead of reloading every row.
    """
    ALTER TABLE chunks ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX chunks_by_gen ON chunks (gen);
    CREATE TABLE vector_deletions (rowid INTEGER NOT NULL, gen INTEGER NOT NULL);
    CREATE INDEX vector_deletions_by_gen ON vector_deletions (gen);
    """,
    # Sources are (conversation, repository, path): older chunks keep their keys and are
    # adopted by their source the next time it is indexed (see Engine).
    """
    ALTER TABLE chunks ADD COLUMN repo TEXT NOT NULL DEFAULT '';
    """,
    """
    ALTER TABLE chunks ADD COLUMN cell INTEGER NOT NULL DEFAULT 0;
    """,
    # Answer verification (rag/verify.py): each answer's verdict, the verdict beside a
    # vote, and finding the team's functions by name to check calls against them.
    """
    ALTER TABLE feedback ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
    CREATE TABLE answers (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        workspace TEXT NOT NULL,
        conversation TEXT NOT NULL,
        model TEXT NOT NULL,
        verdict TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX chunks_by_qualname ON chunks (workspace, qualname);
    """,
    # The corpus lexicon (rag/lexicon.py): how many chunks of each (workspace, scope) use
    # each identifier word, kept inside every chunk write; and each word's vector. Chunks
    # written before are counted by the migration itself (``_count_all_words``).
    """
    CREATE TABLE lexicon (
        workspace TEXT NOT NULL,
        scope TEXT NOT NULL,
        word TEXT NOT NULL,
        refs INTEGER NOT NULL,
        PRIMARY KEY (workspace, scope, word)
    ) WITHOUT ROWID;
    CREATE TABLE word_vectors (word TEXT PRIMARY KEY, embedding BLOB NOT NULL) WITHOUT ROWID;
    """,
    # Notes with a value (``remember(..., value=)``): the shares being indexed, so that a
    # restarted process can tell which ones a killed one left unfinished.
    """
    ALTER TABLE claims ADD COLUMN value TEXT NOT NULL DEFAULT '';
    """,
    # Tombstones of forgotten files and repositories: an indexer that started before one
    # (``seq`` above its mark) writes nothing more of it (issue 16, item 4).
    """
    CREATE TABLE IF NOT EXISTS forgotten (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        unit TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # Repositories kept in sync from git (rag.git): the registration as JSON (new fields
    # need no migration), and the blob id of every file indexed (zlib-compressed JSON).
    """
    CREATE TABLE IF NOT EXISTS repositories (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        record TEXT NOT NULL,
        manifest BLOB
    );
    CREATE INDEX IF NOT EXISTS repositories_by_workspace ON repositories (workspace);
    """,
)
LEXICON_SCHEMA = 8

#: Tombstones older than this are dropped: no indexing run lasts that long.
TOMBSTONE_SECONDS = 30 * 86_400.0

#: Deletions older than this many generations are forgotten; a cache that far behind
#: reloads in full.
DELETION_LOG_GENERATIONS = 10_000
assert len(MIGRATIONS) == SCHEMA_VERSION

#: A query term found in more than this share of chunks (and in at least
#: ``COMMON_TERM_MIN_DOCS``) is left out of the BM25 query: it barely changes the ranking
#: (bench: MRR@10 0.512 against 0.513) but makes FTS5 score tens of thousands of rows.
COMMON_TERM_SHARE = 0.2
COMMON_TERM_MIN_DOCS = 500

# BM25 column weights: name (qualname + signature), summary, docstring, code, access.
BM25_WEIGHTS = (4.0, 2.0, 2.0, 1.0, 0.0)


def access_token(workspace: str, scope: str) -> str:
    """One FTS5 term per (workspace, scope), so the scope filter runs on posting lists.

    ``MATCH '(terms) AND access : (token OR token)'`` lets FTS5 intersect the scope inside
    the full-text query itself; a join on ``chunks`` doubled the time of a search at 100k.
    """
    return "a" + hashlib.sha256(f"{workspace}\x1f{scope}".encode()).hexdigest()[:20]


#: Chunk fields stored as columns of ``chunks`` (the ``embedding`` blob is handled apart).
CHUNK_FIELDS = tuple(f.name for f in fields(Chunk) if f.name != "embedding")
_COLUMNS = ", ".join(CHUNK_FIELDS)


def _visible(scope: Scope) -> tuple[str, list[str]]:
    """The ``WHERE`` condition (and its parameters) for the chunks ``scope`` may see."""
    scopes = scope.visible_scopes
    marks = ",".join("?" * len(scopes))
    return f"workspace = ? AND scope IN ({marks})", [scope.workspace, *scopes]


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


@dataclass
class _VectorIndex:
    """The vectors in memory: row ``j`` of ``matrix`` is the chunk with ``rowids[j]``.

    The arrays are views of larger buffers, so chunks written later are appended in place
    (no second copy of a 200 MB matrix); a search holds the views it started with.
    """

    generation: int
    buffers: tuple[np.ndarray, Matrix, np.ndarray, np.ndarray]
    """rowids, matrix, workspace codes, scope codes; ``size`` rows used, the rest spare."""
    size: int
    workspace_codes: dict[str, int]
    scope_codes: dict[str, int]
    positions: dict[int, int]
    """rowid → row; rows of deleted chunks stay, masked by workspace code -1."""
    dead: int = 0

    @property
    def rowids(self) -> np.ndarray:
        return self.buffers[0][: self.size]

    @property
    def matrix(self) -> Matrix:
        return self.buffers[1][: self.size]

    @property
    def workspaces(self) -> np.ndarray:
        return self.buffers[2][: self.size]

    @property
    def scopes(self) -> np.ndarray:
        return self.buffers[3][: self.size]


class SQLiteStore:
    """A :class:`~rag.stores.base.ChunkStore` in one SQLite file (WAL mode).

    Safe to share between threads: one connection guarded by a lock. Several processes
    may open the same file; writers queue on SQLite's lock for ``busy_timeout`` seconds
    and then fail with :class:`StoreLockedError`.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: Path | str,
        *,
        analyzer: Analyzer | None = None,
        busy_timeout: float = 10.0,
        common_term_min_docs: int = COMMON_TERM_MIN_DOCS,
    ) -> None:
        self.path = Path(path)
        self.analyzer = analyzer or Analyzer()
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._vectors: _VectorIndex | None = None
        self._doc_freq: dict[str, int] = {}
        self._doc_freq_generation = -1
        self._doc_count = 0
        self.common_term_min_docs = common_term_min_docs
        self._blas = ThreadpoolController()
        self._pool: ThreadPoolExecutor | None = None
        self._writing = 0
        """The generation the current write transaction will commit as."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self._db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab "
                "USING fts5vocab(main, 'chunks_fts', 'row')"
            )
        except sqlite3.Error as exc:
            raise self._wrap(exc, "open") from exc

    # -- plumbing ------------------------------------------------------------------------

    def _wrap(self, exc: sqlite3.Error, action: str) -> StoreError:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StoreLockedError(
                f"The index at {self.path} is locked by another writer; waited "
                f"{self.busy_timeout:g} s. Try again once the other indexing run finishes."
            )
        return StoreError(f"Could not {action} the index at {self.path}: {exc}")

    @contextmanager
    def _write(self, action: str, *, chunks: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; when it touches chunks, bumps ``generation`` so vector
        caches (in this process and others) reload."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._wrap(exc, action) from exc
            try:
                # Only writes that touch chunks get a generation (claims are on the hot path).
                self._writing = int(self._meta("generation") or 0) + 1 if chunks else 0
                yield self._db
                if chunks:
                    self._set_meta(self._db, "generation", str(self._writing))
                    if self._writing % 100 == 0:
                        self._db.execute(
                            "DELETE FROM vector_deletions WHERE gen < ?",
                            (self._writing - DELETION_LOG_GENERATIONS,),
                        )
                self._db.execute("COMMIT")
            except BaseException as exc:
                self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._wrap(exc, action) from exc
                raise

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            version = int(self._meta("schema_version") or 0)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The index at {self.path} was written by a newer Gencode (schema {version}, "
                    f"this one knows {SCHEMA_VERSION}); upgrade gencode."
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                with self._write("migrate") as db:
                    # executescript would commit our transaction; run statements one by one.
                    for statement in MIGRATIONS[target - 1].split(";"):
                        if statement.strip() and "CREATE TABLE IF NOT EXISTS meta" not in statement:
                            db.execute(statement)
                    if target == LEXICON_SCHEMA:
                        self._count_all_words(db)
                    self._set_meta(db, "schema_version", str(target))
                logger.info("migrated store %s to schema %d", self.path, target)

    def _count_all_words(self, db: sqlite3.Connection) -> None:
        for workspace, scope, code in db.execute("SELECT workspace, scope, code FROM chunks"):
            self._count_words(db, workspace, scope, code, +1)

    @staticmethod
    def _count_words(
        db: sqlite3.Connection, workspace: str, scope: str, code: str, by: int
    ) -> None:
        """Add ``by`` (+1 or -1) to the reference count of each word of ``code``."""
        words = [(workspace, scope, w) for w in code_words(code)]
        if by > 0:
            db.executemany(
                "INSERT INTO lexicon (workspace, scope, word, refs) VALUES (?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET refs = refs + 1",
                words,
            )
            return
        db.executemany(
            "UPDATE lexicon SET refs = refs - 1 WHERE workspace = ? AND scope = ? AND word = ?",
            words,
        )
        db.executemany(
            "DELETE FROM lexicon WHERE workspace = ? AND scope = ? AND word = ? AND refs <= 0",
            words,
        )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
            (key, value, value),
        )

    # -- embedder bookkeeping ---------------------------------------------------------------

    def ensure_embedder(self, model_id: str, dim: int) -> None:
        with self._lock:
            known, known_dim = self._meta("embed_model"), self._meta("embed_dim")
            if known is None:
                with self._write("record the embedding model in") as db:
                    self._set_meta(db, "embed_model", model_id)
                    self._set_meta(db, "embed_dim", str(dim))
                return
            if known != model_id or int(known_dim or 0) != dim:
                raise EmbedderMismatchError(
                    f"The index at {self.path} was built with the embedding model {known} "
                    f"({known_dim} dimensions), but the configured embedder is {model_id} "
                    f"({dim} dimensions). Vectors of different models cannot be compared: "
                    "use another GENCODE_HOME for this embedder, or delete the index and "
                    "re-index."
                )

    def recorded_embedder(self) -> str | None:
        with self._lock:
            return self._meta("embed_model")

    def _dim(self) -> int:
        return int(self._meta("embed_dim") or 0)

    # -- writes --------------------------------------------------------------------------

    def _fts_row(self, chunk: Chunk) -> tuple[str, str, str, str, str]:
        a = self.analyzer
        return (
            a.document(f"{chunk.qualname} {chunk.signature}"),
            a.document(chunk.summary),
            a.document(chunk.docstring),
            a.document(chunk.code),
            access_token(chunk.workspace, chunk.scope),
        )

    def _embedding_blob(self, chunk: Chunk, dim: int) -> bytes:
        if chunk.embedding is None:
            raise StoreError(f"chunk {chunk.qualname} has no embedding; refusing a partial write")
        vec = np.asarray(chunk.embedding, dtype=np.float32)
        if vec.shape != (dim,):
            raise StoreError(
                f"chunk {chunk.qualname} has a {vec.shape} embedding, the index holds {dim}-dim vectors"
            )
        return vec.tobytes()

    def _upsert(self, db: sqlite3.Connection, chunks: Sequence[Chunk]) -> None:
        dim = self._dim()
        for chunk in chunks:
            fts = self._fts_row(chunk)
            values = [getattr(chunk, f) for f in CHUNK_FIELDS]
            values[CHUNK_FIELDS.index("indexed_at")] = chunk.indexed_at or time.time()
            blob = self._embedding_blob(chunk, dim)
            row = db.execute(
                "SELECT rowid, workspace, scope, code FROM chunks WHERE id = ?", (chunk.id,)
            ).fetchone()
            if row is None or tuple(row[1:]) != (chunk.workspace, chunk.scope, chunk.code):
                if row is not None:
                    self._count_words(db, row[1], row[2], row[3], -1)
                self._count_words(db, chunk.workspace, chunk.scope, chunk.code, +1)
            if row is None:
                marks = ", ".join("?" * (len(CHUNK_FIELDS) + 2))
                cur = db.execute(
                    f"INSERT INTO chunks ({_COLUMNS}, embedding, gen) VALUES ({marks})",
                    (*values, blob, self._writing),
                )
                rowid = cur.lastrowid
            else:
                rowid = row[0]
                assignments = ", ".join(f"{f} = ?" for f in CHUNK_FIELDS[1:])
                db.execute(
                    f"UPDATE chunks SET {assignments}, embedding = ?, gen = ? WHERE rowid = ?",
                    (*values[1:], blob, self._writing, rowid),
                )
                db.execute("DELETE FROM chunks_fts WHERE rowid = ?", (rowid,))
            db.execute(
                "INSERT INTO chunks_fts (rowid, name, summary, docstring, code, access) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, *fts),
            )

    def _delete(self, db: sqlite3.Connection, ids: Sequence[str]) -> None:
        for chunk_id in ids:
            row = db.execute(
                "SELECT rowid, workspace, scope, code FROM chunks WHERE id = ?", (chunk_id,)
            ).fetchone()
            if row is not None:
                self._count_words(db, row[1], row[2], row[3], -1)
                db.execute("DELETE FROM chunks_fts WHERE rowid = ?", (row[0],))
                db.execute("DELETE FROM chunks WHERE rowid = ?", (row[0],))
                db.execute(
                    "INSERT INTO vector_deletions (rowid, gen) VALUES (?, ?)",
                    (row[0], self._writing),
                )

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        with self._write("write to") as db:
            self._upsert(db, chunks)

    def delete(self, ids: Sequence[str]) -> None:
        with self._write("delete from") as db:
            self._delete(db, ids)

    def replace_source(
        self,
        source_key: str,
        chunks: Sequence[Chunk],
        *,
        retire: Sequence[str] = (),
        since: float | None = None,
    ) -> Replaced:
        keep = {c.id for c in chunks}
        with self._write("write to") as db:
            if since is not None and self._forgotten(db, source_key, since):
                raise SourceForgotten(f"{source_key!r} was forgotten while it was indexed")
            before = self._select(db, "source_key = ?", (source_key,), embeddings=False)
            known = {c.id for c in before}
            if retire:
                marks = ",".join("?" * len(retire))
                before += [
                    c
                    for c in self._select(db, f"id IN ({marks})", list(retire), embeddings=False)
                    if c.id not in known
                ]
            stale = [c for c in before if c.id not in keep]
            self._delete(db, [c.id for c in stale])
            self._upsert(db, chunks)
        return Replaced(before=tuple(before), removed=tuple(stale))

    @staticmethod
    def _forgotten(db: sqlite3.Connection, source_key: str, since: float) -> bool:
        row = db.execute(
            "SELECT 1 FROM forgotten WHERE seq > ? AND substr(?, 1, length(unit)) = unit LIMIT 1",
            (int(since), source_key),
        ).fetchone()
        return row is not None

    def mark(self) -> float:
        with self._lock:
            try:
                row = self._db.execute("SELECT coalesce(max(seq), 0) FROM forgotten").fetchone()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return float(row[0])

    def forgotten_since(self, source_key: str, since: float) -> bool:
        with self._lock:
            try:
                return self._forgotten(self._db, source_key, since)
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc

    def forget_units(self, units: Sequence[str]) -> list[Chunk]:
        now = time.time()
        gone: list[Chunk] = []
        with self._write("forget in") as db:
            db.execute("DELETE FROM forgotten WHERE at < ?", (now - TOMBSTONE_SECONDS,))
            for unit in dict.fromkeys(units):
                if not unit:
                    continue  # an empty unit would reach every file of the index
                db.execute("DELETE FROM repositories WHERE id = ?", (unit,))
                db.execute("INSERT INTO forgotten (unit, at) VALUES (?, ?)", (unit, now))
                found = self._select(
                    db,
                    "substr(source_key, 1, ?) = ?",
                    (len(unit), unit),
                    embeddings=False,
                )
                self._delete(db, [c.id for c in found])
                gone += found
        return gone

    # -- repositories kept in sync from git ---------------------------------------------------

    def add_repository(self, repo: Repository) -> bool:
        with self._write("register a repository in", chunks=False) as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO repositories (id, workspace, record) VALUES (?, ?, ?)",
                (repo.id, repo.workspace, repository_json(repo)),
            )
            return cur.rowcount == 1

    def repository(self, repo_id: str) -> Repository | None:
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT record FROM repositories WHERE id = ?", (repo_id,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return None if row is None else repository_from_json(row[0])

    def repositories(self, workspace: str | None = None) -> list[Repository]:
        sql = "SELECT record FROM repositories"
        params: tuple[str, ...] = ()
        if workspace is not None:
            sql, params = sql + " WHERE workspace = ?", (workspace,)
        with self._lock:
            try:
                rows = self._db.execute(sql + " ORDER BY id", params).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return [repository_from_json(r[0]) for r in rows]

    def update_repository(
        self,
        repo_id: str,
        change: RepositoryChange,
        *,
        manifest: Mapping[str, str] | None = None,
    ) -> Repository | None:
        with self._write("update a repository in", chunks=False) as db:
            row = db.execute("SELECT record FROM repositories WHERE id = ?", (repo_id,)).fetchone()
            if row is None:
                return None
            current = repository_from_json(row[0])
            changed = change(current)
            if changed is None:
                return current
            if changed.id != repo_id:
                raise ValueError("a repository's id never changes")
            db.execute(
                "UPDATE repositories SET record = ? WHERE id = ?",
                (repository_json(changed), repo_id),
            )
            if manifest is not None:
                db.execute(
                    "UPDATE repositories SET manifest = ? WHERE id = ?",
                    (pack_manifest(manifest), repo_id),
                )
            return changed

    def repository_manifest(self, repo_id: str) -> dict[str, str]:
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT manifest FROM repositories WHERE id = ?", (repo_id,)
                ).fetchone()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return unpack_manifest(row[0] if row else None)

    def delete_repositories(self, repo_ids: Sequence[str]) -> None:
        if not repo_ids:
            return
        with self._write("forget a repository in", chunks=False) as db:
            db.executemany("DELETE FROM repositories WHERE id = ?", [(i,) for i in repo_ids])

    def delete_file(self, workspace: str, file_id: str) -> list[Chunk]:
        if not file_id:
            return []
        with self._write("delete from") as db:
            gone = self._select(
                db, "workspace = ? AND file_id = ?", (workspace, file_id), embeddings=False
            )
            self._delete(db, [c.id for c in gone])
        return gone

    def record_feedback(self, feedback: Feedback) -> None:
        with self._write("record feedback in", chunks=False) as db:
            db.execute(
                "INSERT INTO feedback (at, workspace, conversation, user, vote, question, answer, "
                "reference_ids, verdict) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    feedback.workspace,
                    feedback.conversation,
                    feedback.user,
                    feedback.vote,
                    feedback.question,
                    feedback.answer,
                    " ".join(feedback.reference_ids),
                    feedback.verdict,
                ),
            )

    def record_answer(self, record: AnswerRecord) -> None:
        with self._write("record an answer in", chunks=False) as db:
            db.execute(
                "INSERT INTO answers (at, workspace, conversation, model, verdict, errors) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    record.workspace,
                    record.conversation,
                    record.model,
                    record.verdict,
                    record.errors,
                ),
            )

    def verdict_counts(self) -> dict[str, int]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT verdict, count(*) FROM answers GROUP BY verdict"
                ).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return {str(v): int(n) for v, n in rows}

    def claim_once(self, key: str, *, ttl: float = 86_400.0) -> bool:
        now = time.time()
        with self._write("record an event in", chunks=False) as db:
            db.execute("DELETE FROM claims WHERE expires < ?", (now,))
            cur = db.execute(
                "INSERT OR IGNORE INTO claims (key, at, expires) VALUES (?, ?, ?)",
                (key, now, now + ttl),
            )
            return cur.rowcount == 1

    def remember(self, key: str, *, ttl: float, value: str = "") -> None:
        now = time.time()
        with self._write("record a note in", chunks=False) as db:
            db.execute(
                "INSERT INTO claims (key, at, expires, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET expires = excluded.expires, value = excluded.value",
                (key, now, now + ttl, value),
            )

    def recall(self, prefix: str) -> dict[str, str]:
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT key, value FROM claims WHERE substr(key, 1, ?) = ? AND expires >= ?",
                    (len(prefix), prefix, time.time()),
                ).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return {str(k): str(v) for k, v in rows}

    def drop_note(self, key: str) -> None:
        with self._write("drop a note from", chunks=False) as db:
            db.execute("DELETE FROM claims WHERE key = ?", (key,))

    def remembers(self, key: str) -> bool:
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT 1 FROM claims WHERE key = ? AND expires >= ?", (key, time.time())
                ).fetchone()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return row is not None

    def feedback(self) -> list[Feedback]:
        with self._lock:
            rows = self._db.execute(
                "SELECT workspace, conversation, user, vote, question, answer, reference_ids, "
                "verdict FROM feedback ORDER BY id"
            ).fetchall()
        return [
            Feedback(
                workspace=r[0],
                conversation=r[1],
                user=r[2],
                vote=int(r[3]),
                question=r[4],
                answer=r[5],
                reference_ids=tuple(str(r[6]).split()),
                verdict=str(r[7]),
            )
            for r in rows
        ]

    # -- reads ---------------------------------------------------------------------------

    def _select(
        self,
        db: sqlite3.Connection,
        where: str,
        params: Sequence[object],
        *,
        embeddings: bool = True,
    ) -> list[Chunk]:
        extra = ", embedding" if embeddings else ""
        rows = db.execute(f"SELECT {_COLUMNS}{extra} FROM chunks WHERE {where}", params).fetchall()
        return [self._chunk(r, embeddings) for r in rows]

    @staticmethod
    def _chunk(row: Sequence[Any], with_embedding: bool) -> Chunk:
        chunk = Chunk(**dict(zip(CHUNK_FIELDS, row, strict=False)))
        if with_embedding:
            blob = row[len(CHUNK_FIELDS)]
            assert isinstance(blob, bytes)
            chunk = replace(chunk, embedding=np.frombuffer(blob, dtype=np.float32).copy())
        return chunk

    def _read(self, where: str, params: Sequence[object], *, embeddings: bool) -> list[Chunk]:
        with self._lock:
            try:
                return self._select(self._db, where, params, embeddings=embeddings)
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc

    def sources(
        self, scope: Scope, *, prefix: str = "", shared_by: str = ""
    ) -> list[SourceSummary]:
        if shared_by:
            where, params = "workspace = ? AND indexed_by = ?", [scope.workspace, shared_by]
        elif scope.visible_scopes:
            where, params = _visible(scope)
        else:
            return []
        # SQLite fills the bare columns from the row holding max(indexed_at).
        sql = (
            "SELECT source_key, scope, channel, repo, source_path, count(*), max(indexed_at), "
            f"indexed_by FROM chunks WHERE {where} "
            "AND substr(source_key, 1, ?) = ? GROUP BY source_key ORDER BY source_key"
        )
        with self._lock:
            try:
                rows = self._db.execute(sql, [*params, len(prefix), prefix]).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return [
            SourceSummary(
                key=r[0],
                workspace=scope.workspace,
                scope=r[1],
                channel=r[2],
                repo=r[3],
                path=r[4],
                functions=int(r[5]),
                indexed_at=float(r[6]),
                indexed_by=r[7],
            )
            for r in rows
        ]

    def vocabulary(self, scope: Scope) -> set[str]:
        if not scope.visible_scopes:
            return set()
        where, params = _visible(scope)
        with self._lock:
            try:
                rows = self._db.execute(
                    f"SELECT DISTINCT word FROM lexicon WHERE {where}", params
                ).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return {r[0] for r in rows}

    def word_vectors(self, words: Sequence[str]) -> dict[str, Vector]:
        out: dict[str, Vector] = {}
        with self._lock:
            try:
                for start in range(0, len(words), 500):
                    part = list(words[start : start + 500])
                    marks = ",".join("?" * len(part))
                    for word, blob in self._db.execute(
                        f"SELECT word, embedding FROM word_vectors WHERE word IN ({marks})", part
                    ):
                        out[word] = np.frombuffer(blob, dtype=np.float32).copy()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "read") from exc
        return out

    def put_word_vectors(self, vectors: Mapping[str, Vector]) -> None:
        if not vectors:
            return
        rows = [(w, np.asarray(v, dtype=np.float32).tobytes()) for w, v in vectors.items()]
        with self._write("write word vectors to", chunks=False) as db:
            db.executemany(
                "INSERT OR REPLACE INTO word_vectors (word, embedding) VALUES (?, ?)", rows
            )

    def chunks_of_source(self, source_key: str) -> list[Chunk]:
        return self._read("source_key = ? ORDER BY start_line", (source_key,), embeddings=True)

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {c.id: c for c in self._read(f"id IN ({marks})", list(ids), embeddings=False)}
        return [found[i] for i in ids if i in found]

    def get_by_hash(self, workspace: str, code_hashes: Sequence[str]) -> dict[str, Chunk]:
        out: dict[str, Chunk] = {}
        hashes = list(dict.fromkeys(code_hashes))
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            marks = ",".join("?" * len(part))
            for chunk in self._read(
                f"workspace = ? AND code_hash IN ({marks})", [workspace, *part], embeddings=True
            ):
                out.setdefault(chunk.code_hash, chunk)
        return out

    def definitions(
        self, *, scope: Scope, qualnames: Sequence[str], paths: Sequence[str] = ()
    ) -> list[Chunk]:
        names = sorted(set(qualnames))[:500]
        files = sorted(set(paths))[:500]
        if not scope.visible_scopes:
            return []
        visible, scoped = _visible(scope)
        out: list[Chunk] = []
        if names:
            out += self._read(
                f"{visible} AND qualname IN ({','.join('?' * len(names))}) LIMIT 500",
                [*scoped, *names],
                embeddings=False,
            )
        if files:  # one chunk per file: enough to tell an indexed module from an unknown one
            out += self._read(
                f"{visible} AND source_path IN ({','.join('?' * len(files))}) GROUP BY source_path",
                [*scoped, *files],
                embeddings=False,
            )
        return out

    def _by_rowids(self, rowids: Sequence[int]) -> dict[int, Chunk]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT rowid, {_COLUMNS} FROM chunks WHERE rowid IN ({marks})", list(rowids)
            ).fetchall()
        return {int(r[0]): self._chunk(r[1:], False) for r in rows}

    def _selective(self, terms: list[str]) -> list[str]:
        """``terms`` without the very common ones (always keeping the rarest one)."""
        generation = int(self._meta("generation") or 0)
        if generation != self._doc_freq_generation:
            self._doc_freq = {}
            self._doc_freq_generation = generation
            self._doc_count = int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        for term in terms:
            if term not in self._doc_freq:
                row = self._db.execute(
                    "SELECT doc FROM temp.chunks_vocab WHERE term = ?", (term,)
                ).fetchone()
                self._doc_freq[term] = int(row[0]) if row else 0
        limit = max(COMMON_TERM_SHARE * self._doc_count, self.common_term_min_docs)
        kept = [t for t in terms if self._doc_freq[t] <= limit]
        return kept or [min(terms, key=self._doc_freq.__getitem__)]

    def lexical(self, query: str, *, k: int, scope: Scope) -> list[ScoredChunk]:
        terms = self.analyzer.query_terms(query)
        if not terms:
            return []
        with self._lock:
            try:
                terms = self._selective(terms)
            except sqlite3.Error as exc:
                raise self._wrap(exc, "search") from exc
        match = " OR ".join(_quoted(t) for t in terms)
        if not scope.visible_scopes:
            return []
        tokens = " OR ".join(
            _quoted(access_token(scope.workspace, s)) for s in scope.visible_scopes
        )
        sql = (
            f"SELECT rowid, bm25(chunks_fts, {', '.join(map(str, BM25_WEIGHTS))}) AS s "
            "FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?"
        )
        with self._lock:
            try:
                rows = self._db.execute(sql, [f"({match}) AND access : ({tokens})", k]).fetchall()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "search") from exc
            chunks = self._by_rowids([r[0] for r in rows])
        return [ScoredChunk(chunks[r[0]], -float(r[1])) for r in rows if r[0] in chunks]

    def _vector_index(self) -> _VectorIndex:
        generation = int(self._meta("generation") or 0)
        cached = self._vectors
        if cached is not None and cached.generation == generation:
            return cached
        if cached is not None and 0 <= generation - cached.generation < DELETION_LOG_GENERATIONS:
            refreshed = self._caught_up(cached, generation)
            if refreshed is not None:
                self._vectors = refreshed
                return refreshed
        self._vectors = None  # drop the old matrix before building the new one
        self._vectors = self._loaded(generation)
        return self._vectors

    def _loaded(self, generation: int) -> _VectorIndex:
        """Every vector, read once (about a second at 100k chunks), with room to grow."""
        started = time.perf_counter()
        n = int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        capacity = n + max(1_024, n // 8)
        rowids = np.zeros(capacity, dtype=np.int64)
        matrix = np.zeros((capacity, self._dim()), dtype=np.float32)
        workspaces = np.full(capacity, -1, dtype=np.int32)
        scopes = np.zeros(capacity, dtype=np.int32)
        wcodes: dict[str, int] = {}
        scodes: dict[str, int] = {WORKSPACE_WIDE: 0}
        i = 0
        for rowid, ws, sc, blob in self._db.execute(
            "SELECT rowid, workspace, scope, embedding FROM chunks"
        ):
            if i >= n:
                break
            rowids[i] = rowid
            matrix[i] = np.frombuffer(blob, dtype=np.float32)
            workspaces[i] = wcodes.setdefault(ws, len(wcodes))
            scopes[i] = scodes.setdefault(sc, len(scodes))
            i += 1
        positions = {int(r): j for j, r in enumerate(rowids[:i])}
        logger.debug("loaded %d vectors in %.3f s", i, time.perf_counter() - started)
        return _VectorIndex(
            generation, (rowids, matrix, workspaces, scopes), i, wcodes, scodes, positions
        )

    def _caught_up(self, cached: _VectorIndex, generation: int) -> _VectorIndex | None:
        """``cached`` updated in place with the chunks written or deleted since it was built,
        or None when a full reload is the better deal (far behind, out of spare rows, or
        too many masked rows). Runs under the store lock; a search already running on
        another thread may see a row change under it, never a row that is not a chunk."""
        since = cached.generation
        deleted = {
            r
            for (r,) in self._db.execute(
                "SELECT rowid FROM vector_deletions WHERE gen > ?", (since,)
            )
        }
        changed = self._db.execute(
            "SELECT rowid, workspace, scope, embedding FROM chunks WHERE gen > ?", (since,)
        ).fetchall()
        rowids, matrix, workspaces, scopes = cached.buffers
        fresh = [row for row in changed if row[0] not in cached.positions or row[0] in deleted]
        if len(deleted) + len(changed) > max(1_000, cached.size // 4) or (
            cached.size + len(fresh) > len(rowids)
        ):
            return None
        positions, wcodes, scodes = cached.positions, cached.workspace_codes, cached.scope_codes
        dead = cached.dead
        for rowid in deleted:  # deletions first: SQLite may hand a freed rowid out again
            j = positions.pop(rowid, None)
            if j is not None:
                workspaces[j] = -1
                dead += 1
        size = cached.size
        for rowid, ws, sc, blob in changed:
            j = positions.get(rowid)
            if j is None:
                j = positions[rowid] = size
                rowids[j] = rowid
                size += 1
            matrix[j] = np.frombuffer(blob, dtype=np.float32)
            workspaces[j] = wcodes.setdefault(ws, len(wcodes))
            scopes[j] = scodes.setdefault(sc, len(scodes))
        if dead > max(1_000, size // 4):
            return None  # compact: too many masked rows
        logger.debug(
            "vectors caught up to generation %d: %d changed, %d deleted",
            generation,
            len(changed),
            len(deleted),
        )
        return _VectorIndex(generation, cached.buffers, size, wcodes, scodes, positions, dead)

    def _snapshot(self) -> _VectorIndex:
        with self._lock:
            try:
                return self._vector_index()
            except sqlite3.Error as exc:
                raise self._wrap(exc, "search") from exc

    def _nearest(
        self, index: _VectorIndex, embedding: Vector, k: int, scope: Scope
    ) -> list[tuple[int, float]]:
        """Top-k ``(rowid, cosine)`` among the chunks ``scope`` may see. NumPy only: no lock,
        so it can run beside a lexical query (numpy and sqlite both release the GIL)."""
        ws = index.workspace_codes.get(scope.workspace)
        if ws is None or len(index.rowids) == 0:
            return []
        allowed = [index.scope_codes[s] for s in scope.visible_scopes if s in index.scope_codes]
        mask = (index.workspaces == ws) & np.isin(index.scopes, allowed)
        if not mask.any():
            return []
        # One full mat-vec (milliseconds at 100k) beats copying the allowed rows out.
        with self._blas.limit(limits=1, user_api="blas"):
            scores = index.matrix @ np.asarray(embedding, dtype=np.float32)
        scores[~mask] = -np.inf
        top = min(k, int(mask.sum()))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best])]
        return [(int(index.rowids[j]), float(scores[j])) for j in best]

    def _scored(self, picked: list[tuple[int, float]]) -> list[ScoredChunk]:
        chunks = self._by_rowids([r for r, _ in picked])
        return [ScoredChunk(chunks[r], s) for r, s in picked if r in chunks]

    def vector(self, embedding: Vector, *, k: int, scope: Scope) -> list[ScoredChunk]:
        return self._scored(self._nearest(self._snapshot(), embedding, k, scope))

    def hybrid(
        self, query: str, embedding: Vector, *, k: int, scope: Scope
    ) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
        """The vector scan runs on a worker thread while FTS5 answers the lexical query."""
        index = self._snapshot()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gencode-vector")
        nearest = self._pool.submit(self._nearest, index, embedding, k, scope)
        lexical = self.lexical(query, k=k, scope=scope)
        return lexical, self._scored(nearest.result())

    def stats(self) -> StoreStats:
        with self._lock:
            chunks, files = self._db.execute(
                "SELECT count(*), count(DISTINCT source_key) FROM chunks"
            ).fetchone()
            model = self._meta("embed_model") or ""
            dim = self._dim()
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return StoreStats(
            chunks=int(chunks),
            files=int(files),
            embed_model=model,
            embed_dim=dim,
            size_bytes=size,
            backend=self.backend,
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._lock:
            self._vectors = None
            self._db.close()
