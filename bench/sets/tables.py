"""Reading and writing a corpus's TSV files exactly as they are laid out.

Why not ``csv`` for all: the query sets are plain tab-separated lines whose text is never
quoted (a question may contain ``"``), and ``#`` comment lines at the top are the writers'
notes, which a rebuild keeps byte for byte. Files that ``csv`` wrote (astroid's, whose
``callees`` column is quoted JSON) say ``quoted = true`` in the manifest.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .manifest import Row, Table


@dataclass(frozen=True)
class Problem:
    """Something wrong in a file: ``where`` is ``file:line`` or ``file``."""

    where: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'WARN ' if self.warning else 'ERROR'} {self.where}: {self.message}"


@dataclass(frozen=True)
class Contents:
    comments: tuple[str, ...]
    """The ``#`` lines before the first row, newline included: a rebuild keeps them."""
    rows: tuple[Row, ...]
    problems: tuple[Problem, ...]


def read(folder: Path, table: Table) -> Contents:
    """Every well-formed row, by column name; malformed lines become problems, not rows."""
    path = folder / table.file
    if not path.exists():
        return Contents((), (), (Problem(table.file, "missing"),))
    comments: list[str] = []
    rows: list[Row] = []
    problems: list[Problem] = []
    header_seen = table.header is None
    try:
        with path.open(encoding="utf-8", newline="") as f:
            lines = list(f)
    except UnicodeDecodeError as exc:
        return Contents((), (), (Problem(table.file, f"not UTF-8: {exc}"),))
    for number, line in enumerate(lines, 1):
        if line.startswith("#"):
            if not rows and (not header_seen or table.header is None):
                comments.append(line)  # the notes above the header row, or the first row
            continue
        if not line.strip():
            continue
        where = f"{table.file}:{number}"
        if not line.endswith("\n") or line.endswith("\r\n"):
            problems.append(Problem(where, "a line must end with a single \\n"))
        text = line.rstrip("\r\n")
        fields = next(csv.reader([text], delimiter="\t")) if table.quoted else text.split("\t")
        if not header_seen:
            header_seen = True
            if tuple(fields) != table.header:
                problems.append(
                    Problem(where, f"header row {fields} is not {list(table.header or ())}")
                )
            continue
        if len(fields) != len(table.columns):
            problems.append(
                Problem(
                    where,
                    f"expected {len(table.columns)} columns ({', '.join(table.columns)}), "
                    f"got {len(fields)}",
                )
            )
            continue
        rows.append(Row(number, dict(zip(table.columns, fields, strict=True))))
    if not header_seen:
        problems.append(Problem(table.file, "no header row"))
    return Contents(tuple(comments), tuple(rows), tuple(problems))


def render(comments: tuple[str, ...] | list[str], table: Table, rows: list[list[str]]) -> str:
    """The file's text: comment lines, the header row if any, then the rows."""
    lines = list(comments)
    if table.header:
        lines.append("\t".join(table.header) + "\n")
    lines += ["\t".join(r) + "\n" for r in rows]
    return "".join(lines)
