"""A corpus's manifest (``bench/<corpus>/corpus.toml``) and the TSV files it names.

Why a manifest: every blind corpus used to carry its writers' own check scripts, with the
seeds, position ranges and file names written into the code. Those are facts about the data,
so they live beside it, and one tool reads them for any corpus.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "corpus.toml"
BENCH = Path(__file__).resolve().parent.parent
"""``bench/``: a corpus named on the command line is the folder ``bench/<name>``."""

LANGUAGES = ("en", "ko")
SKIP_COLUMNS = ("position", "path", "qualname", "reason")
PICK_COLUMNS = ("position", "path", "qualname")
CANDIDATE_COLUMNS = ("path", "qualname", "lineno", "statements")
TABLE_KEYS = ("file", "columns", "header", "quoted")
RULES_KEYS = ("package", "min_statements", "skip_dirs", "skip_files", "skip_names_containing")
LIBRARY_KEYS = ("name", "version", "sha256")
SET_KEYS = (
    *TABLE_KEYS,
    *("name", "label", "language", "query", "pool", "draw", "skips", "picks", "exclude"),
    *("public", "leaks", "unique_queries", "min_rows", "min_modules", "min_callees"),
)


class ManifestError(ValueError):
    """The manifest is missing or malformed; the message says which key, in which file."""


@dataclass(frozen=True)
class Table:
    """One TSV file: ``#`` comment lines, an optional header row, then one row a line."""

    file: str
    columns: tuple[str, ...]
    """The tool's names for the columns, in file order (``query``, ``path``, ``position`` ...)."""
    header: tuple[str, ...] | None = None
    """The file's own header row, when it has one (it may name the columns differently)."""
    quoted: bool = False
    """Fields quoted the way Python's ``csv`` writes them (astroid's files)."""


@dataclass(frozen=True)
class Row:
    line: int
    values: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    @property
    def gold(self) -> tuple[str, str]:
        return (self.values["path"], self.values["qualname"])


@dataclass(frozen=True)
class Draw:
    """``random.Random(seed).shuffle`` of a sorted pool; positions ``start`` to ``stop - 1``."""

    seed: int
    stop: int | None = None
    """``None``: to the end of the pool."""
    start: int = 0

    def describe(self) -> str:
        end = "end" if self.stop is None else str(self.stop - 1)
        return f"seed {self.seed}, positions {self.start}..{end}"


@dataclass(frozen=True)
class SetSpec:
    """One question set and the rules it was written under."""

    name: str
    table: Table
    language: str
    label: str | None = None
    """How ``bench.blind`` reports it; ``None`` for a set that bench does not score."""
    query: str = "query"
    """The column that holds the question."""
    pool: str | None = None
    """Golds come from this other set's golds instead of the corpus's candidates."""
    draw: Draw | None = None
    """Drawn at random: every gold lies in the draw; with skips, every position is covered."""
    skips: Table | None = None
    picks: Table | None = None
    """Hand-picked: every pick is a row or a skip."""
    exclude: tuple[Draw, ...] = ()
    """Draws of the candidates whose functions no row may use (disjoint sets)."""
    public: bool = False
    leaks: bool = True
    """Blind questions must not spell out the gold's name; docstring sentences may."""
    unique_queries: bool = True
    min_rows: int = 0
    min_modules: int = 0
    min_callees: int = 0


@dataclass(frozen=True)
class Rules:
    """The candidate rules' parameters (the rules themselves: ``bench/sets/candidates.py``)."""

    package: str
    """The folder under site-packages whose functions are candidates."""
    min_statements: int
    skip_dirs: tuple[str, ...]
    skip_files: tuple[str, ...]
    skip_names_containing: tuple[str, ...]


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    sha256: str
    """Of the wheel on PyPI: ``pip install --require-hashes`` refuses anything else."""


@dataclass(frozen=True)
class Corpus:
    """A folder of question sets on one pinned library, as its manifest describes it."""

    name: str
    folder: Path
    library: Library
    candidates: Table | None
    rules: Rules | None
    sets: tuple[SetSpec, ...]
    phrases: Mapping[str, tuple[str, ...]]
    """Per identifier, phrases a question may not use besides its own split words."""

    def spec(self, name: str) -> SetSpec:
        for s in self.sets:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sets)
        raise ManifestError(f"{self.name} has no set {name!r} (it has: {known})")

    def candidate_rules(self) -> tuple[Table, Rules]:
        """The candidate list and its rules, or a clear error for a corpus without them."""
        if self.candidates is None or self.rules is None:
            raise ManifestError(
                f"{self.name} has no candidate list ([candidates] in its {MANIFEST})"
            )
        return self.candidates, self.rules

    def tables(self) -> list[Table]:
        out = [self.candidates] if self.candidates else []
        for s in self.sets:
            out += [t for t in (s.table, s.skips, s.picks) if t]
        return out


def corpus_folder(name_or_path: str | Path) -> Path:
    """``boltons`` means ``bench/boltons``; a path is taken as it is."""
    path = Path(name_or_path)
    if not (path / MANIFEST).exists() and (BENCH / str(name_or_path) / MANIFEST).exists():
        path = BENCH / str(name_or_path)
    return path


def all_corpora() -> list[str]:
    """Every committed corpus: the folders of ``bench/`` that hold a manifest."""
    return sorted(p.parent.name for p in BENCH.glob(f"*/{MANIFEST}"))


def load(name_or_path: str | Path) -> Corpus:
    folder = corpus_folder(name_or_path)
    path = folder / MANIFEST
    if not path.exists():
        raise ManifestError(
            f"no {MANIFEST} in {folder} (corpora: {', '.join(all_corpora()) or 'none'})"
        )
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(f"{path}: {exc}") from exc
    return _Reader(path).corpus(folder, data)


class _Reader:
    """Turns the TOML into the dataclasses, naming the file and key of anything wrong
    (an unknown key too: a misspelt ``postions`` must not quietly check nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ManifestError:
        return ManifestError(f"{self.path}: [{where}] {message}")

    def mapping(self, data: Any, keys: Sequence[str], where: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(where, f"must be a table with the keys {list(keys)}")
        unknown = sorted(set(data) - set(keys))
        if unknown:
            raise self.fail(where, f"unknown keys {unknown} (known: {list(keys)})")
        return data

    def get(self, data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
        if key not in data:
            raise self.fail(where, f"needs {key!r}")
        value = data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(where, f"{key!r} must be a {kind.__name__}, not {value!r}")
        return value

    def opt(self, data: Mapping[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
        return self.get(data, key, kind, where) if key in data else default

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.get(data, key, list, where)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(where, f"{key!r} must list strings")
        return tuple(values)

    def table(self, data: Mapping[str, Any], where: str) -> Table:
        columns = self.strings(data, "columns", where)
        header = self.strings(data, "header", where) if "header" in data else None
        if header is not None and len(header) != len(columns):
            raise self.fail(where, "'header' and 'columns' differ in length")
        return Table(
            self.get(data, "file", str, where),
            columns,
            header,
            self.opt(data, "quoted", bool, False, where),
        )

    def file(
        self, data: Any, needed: Sequence[str], where: str, keys: Sequence[str] = TABLE_KEYS
    ) -> Table:
        table = self.table(self.mapping(data, keys, where), where)
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise self.fail(where, f"{table.file} needs the columns {missing}")
        return table

    def draw(self, data: Any, where: str) -> Draw:
        data = self.mapping(data, ("seed", "positions", "start"), where)
        return Draw(
            self.get(data, "seed", int, where),
            self.opt(data, "positions", int, None, where),
            self.opt(data, "start", int, 0, where),
        )

    def spec(self, data: Any, index: int) -> SetSpec:
        data = self.mapping(data, SET_KEYS, f"sets {index}")
        name = self.get(data, "name", str, f"sets {index}")
        where = f"sets {name}"
        query = self.opt(data, "query", str, "query", where)
        table = self.file(data, (query, "path", "qualname"), where, SET_KEYS)
        language = self.get(data, "language", str, where)
        if language not in LANGUAGES:
            raise self.fail(where, f"language must be one of {LANGUAGES}, not {language!r}")
        return SetSpec(
            name=name,
            table=table,
            language=language,
            label=self.opt(data, "label", str, None, where),
            query=query,
            pool=self.opt(data, "pool", str, None, where),
            draw=self.draw(data["draw"], f"{where} draw") if "draw" in data else None,
            skips=self.file(data["skips"], SKIP_COLUMNS, f"{where} skips")
            if "skips" in data
            else None,
            picks=self.file(data["picks"], PICK_COLUMNS, f"{where} picks")
            if "picks" in data
            else None,
            exclude=tuple(
                self.draw(d, f"{where} exclude") for d in self.opt(data, "exclude", list, [], where)
            ),
            public=self.opt(data, "public", bool, False, where),
            leaks=self.opt(data, "leaks", bool, True, where),
            unique_queries=self.opt(data, "unique_queries", bool, True, where),
            min_rows=self.opt(data, "min_rows", int, 0, where),
            min_modules=self.opt(data, "min_modules", int, 0, where),
            min_callees=self.opt(data, "min_callees", int, 0, where),
        )

    def rules(self, data: Mapping[str, Any]) -> Rules:
        where = "candidates"
        return Rules(
            package=self.get(data, "package", str, where),
            min_statements=self.get(data, "min_statements", int, where),
            skip_dirs=self.strings(data, "skip_dirs", where),
            skip_files=self.strings(data, "skip_files", where),
            skip_names_containing=self.strings(data, "skip_names_containing", where),
        )

    def corpus(self, folder: Path, data: Mapping[str, Any]) -> Corpus:
        data = self.mapping(data, ("library", "candidates", "leaks", "sets"), "top level")
        lib = self.mapping(self.get(data, "library", dict, "library"), LIBRARY_KEYS, "library")
        library = Library(*(self.get(lib, key, str, "library") for key in LIBRARY_KEYS))
        candidates = rules = None
        if "candidates" in data:
            c = data["candidates"]
            candidates = self.file(c, CANDIDATE_COLUMNS, "candidates", (*TABLE_KEYS, *RULES_KEYS))
            rules = self.rules(c)
        sets = tuple(self.spec(s, i) for i, s in enumerate(self.get(data, "sets", list, "sets")))
        names = [s.name for s in sets]
        for s in sets:
            where = f"sets {s.name}"
            if names.count(s.name) > 1:
                raise self.fail(where, "two sets have this name")
            if s.pool is not None and s.pool not in names:
                raise self.fail(where, f"pool {s.pool!r} is not a set")
            if candidates is None and (s.exclude or (s.draw and not s.pool)):
                raise self.fail(where, "a draw needs [candidates] or a 'pool' set")
        leaks = self.mapping(data.get("leaks", {}), ("phrases",), "leaks")
        phrases = self.opt(leaks, "phrases", dict, {}, "leaks")
        for key, value in phrases.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail("leaks.phrases", f"{key} must list strings")
        return Corpus(
            name=folder.name,
            folder=folder,
            library=library,
            candidates=candidates,
            rules=rules,
            sets=sets,
            phrases={k: tuple(v) for k, v in phrases.items()},
        )
