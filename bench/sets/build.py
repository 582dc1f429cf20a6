"""A set's files from a writer's draft: the one way sets are made, for any corpus.

A draft is what a writer keeps while working, one line per function considered:

* a random set: ``POSITION<TAB>question`` or ``POSITION<TAB>SKIP<TAB>reason``, where
  POSITION is the function's place in the set's draw (its seed, from the manifest);
* a hand-picked set: ``PATH<TAB>QUALNAME<TAB>question`` or ``PATH<TAB>QUALNAME<TAB>SKIP<TAB>reason``,
  in the order picked (the picks file numbers them ``pick000``, ``pick001``, ...).

``#`` lines at the top become the set file's comment header (without any, the file keeps
its own). The skips and picks files keep their comment header, or get a one-line one.
Rows and skips are written in draft order; a skips file shared by several sets (a ``set``
column) keeps the other sets' lines where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .candidates import draw
from .manifest import Corpus, SetSpec, Table
from .tables import read, render

SKIP = "SKIP"


class BuildError(ValueError):
    """The draft cannot be turned into a set; the message names the line."""


@dataclass(frozen=True)
class Entry:
    line: int
    position: str
    path: str
    qualname: str
    query: str | None
    reason: str | None


def _split(fields: list[str], keys: int, where: str) -> tuple[list[str], str | None, str | None]:
    rest = fields[keys:]
    if len(rest) == 1 and rest[0] != SKIP:
        return fields[:keys], rest[0], None
    if len(rest) == 2 and rest[0] == SKIP:
        return fields[:keys], None, rest[1]
    raise BuildError(f"{where}: expected {keys} key columns, then a question or SKIP<TAB>reason")


def read_draft(corpus: Corpus, spec: SetSpec, draft: Path) -> tuple[list[str], list[Entry]]:
    """The draft's comment lines and entries, each resolved to its function."""
    picked = spec.draw is None
    drawn = _drawn(corpus, spec) if not picked else []
    comments: list[str] = []
    entries: list[Entry] = []
    try:
        lines = draft.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot read the draft {draft}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\r")
        if line.startswith("#"):
            if not entries:
                comments.append(line + "\n")
            continue
        if not line.strip():
            continue
        where = f"{draft.name}:{number}"
        keys, query, reason = _split(line.split("\t"), 2 if picked else 1, where)
        if picked:
            position = f"pick{len(entries):03d}"
            path, qualname = keys
        else:
            if not keys[0].isdigit() or int(keys[0]) >= len(drawn):
                raise BuildError(f"{where}: {keys[0]!r} is not a position of the draw")
            position = keys[0]
            path, qualname = drawn[int(keys[0])]
        entries.append(Entry(number, position, path, qualname, query, reason))
    return comments, entries


def _drawn(corpus: Corpus, spec: SetSpec) -> list[tuple[str, str]]:
    if corpus.candidates is None or spec.pool is not None or spec.draw is None:
        raise BuildError(f"{spec.name} is not drawn from {corpus.name}'s candidates")
    got = read(corpus.folder, corpus.candidates)
    if got.problems:
        raise BuildError(f"{corpus.candidates.file}: {got.problems[0].message}")
    return draw(sorted(r.gold for r in got.rows), spec.draw.seed)


def _fields(table: Table, values: dict[str, str]) -> list[str]:
    missing = [c for c in table.columns if c not in values]
    if missing:
        raise BuildError(f"{table.file}: the draft has nothing for the columns {missing}")
    return [values[c] for c in table.columns]


def _existing(folder: Path, table: Table, default: str) -> tuple[list[str], list[list[str]]]:
    """The file's comment lines (``default`` for a new file) and its rows as fields."""
    if not (folder / table.file).exists():
        return [default], []
    got = read(folder, table)
    if got.problems:  # a rebuild would drop the malformed lines: fix them first
        raise BuildError(str(got.problems[0]))
    return list(got.comments), [[r[c] for c in table.columns] for r in got.rows]


def _merge(table: Table, old: list[list[str]], new: list[list[str]], name: str) -> list[list[str]]:
    """In a shared file (``set`` column), the new rows take the old ones' place."""
    if "set" not in table.columns:
        return new
    column = table.columns.index("set")
    mine = [i for i, r in enumerate(old) if r[column] == name]
    at = mine[0] if mine else len(old)
    kept = [r for r in old if r[column] != name]
    before = sum(1 for r in old[:at] if r[column] != name)
    return kept[:before] + new + kept[before:]


def build(corpus: Corpus, set_name: str, draft: Path) -> dict[Path, str]:
    """The texts of the set's files (set, skips, picks) made from ``draft``; nothing is written."""
    spec = corpus.spec(set_name)
    comments, entries = read_draft(corpus, spec, draft)
    rows = [
        _fields(spec.table, {spec.query: e.query, "path": e.path, "qualname": e.qualname})
        for e in entries
        if e.query is not None
    ]
    folder = corpus.folder
    if not comments and (folder / spec.table.file).exists():
        comments = list(read(folder, spec.table).comments)
    out = {folder / spec.table.file: render(comments, spec.table, rows)}
    skipped = [e for e in entries if e.reason is not None]
    if spec.skips is not None:
        position = "position(pick#)" if spec.draw is None else "position"
        head, old = _existing(
            folder,
            spec.skips,
            f"# skips for {spec.table.file}: {position}<TAB>path<TAB>qualname<TAB>reason\n",
        )
        new = [
            _fields(
                spec.skips,
                {
                    "set": spec.name,
                    "position": e.position,
                    "path": e.path,
                    "qualname": e.qualname,
                    "reason": e.reason or "",
                },
            )
            for e in skipped
        ]
        out[folder / spec.skips.file] = render(
            head, spec.skips, _merge(spec.skips, old, new, spec.name)
        )
    elif skipped:
        raise BuildError(f"{draft.name}:{skipped[0].line}: {spec.name} has no skips file")
    if spec.picks is not None:
        head, _ = _existing(
            folder,
            spec.picks,
            f"# hand-picked functions considered for {spec.table.file}: "
            "pick#<TAB>path<TAB>qualname\n",
        )
        picks = [
            _fields(spec.picks, {"position": e.position, "path": e.path, "qualname": e.qualname})
            for e in entries
        ]
        out[folder / spec.picks.file] = render(head, spec.picks, picks)
    return out


def write(texts: dict[Path, str]) -> None:
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8", newline="")
