"""The checks every question set gets, parameterised by its manifest.

They are what the writers' own check scripts did, made one: every gold is a candidate (or a
row of the set it is drawn from); no duplicate question or gold; a Korean set is Korean and
an English one is not; no question spells out the gold's identifier or its words; a random
set covers its drawn positions exactly (each one a row or a skip, at the right position); a
hand-picked set's picks are its rows and skips, public, and clear of the draws it must avoid.
None of them runs a search engine or looks at a score.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .candidates import draw
from .manifest import Corpus, Draw, Row, SetSpec, Table
from .tables import Contents, Problem, read

HANGUL = re.compile("[\uac00-\ud7a3]")
CALLEE_KINDS = ("function", "class")


@dataclass
class Report:
    """What ``check`` found: a summary line per file, and the problems."""

    corpus: str
    lines: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def ok(self) -> bool:
        return not self.errors


def words(name: str) -> list[str]:
    """``get_HTTPClient2`` → get, http, client, 2: the words a question must not string together."""
    out: list[str] = []
    for chunk in name.split("_"):
        out += re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", chunk) or ([chunk] if chunk else [])
    return [w.lower() for w in out]


def name_pattern(name: str) -> re.Pattern[str]:
    """The name's words in order, joined by nothing or by any spaces and punctuation
    (``chunked_iter``, ``chunked iter``, ``chunked-iter``, ``chunkediter``), as whole words.
    Hangul next to it still counts as a word boundary: ``gzip으로`` names ``gzip``."""
    joined = r"[\W_]*".join(re.escape(w) for w in words(name))
    return re.compile(r"(?<![a-z0-9])" + joined + r"(?![a-z0-9])")


def leaks(query: str, qualname: str, phrases: Mapping[str, Sequence[str]]) -> tuple[str, str]:
    """``(error, warning)``: the function's name or a phrase listed for it in the question is an
    error; its class's name only a warning, since the briefs let a question name a class
    that is a plain concept ("table", "URL", "progress bar")."""
    low = query.lower()
    *classes, func = qualname.split(".")
    error = warning = ""
    for name in (func, *classes):
        for phrase in phrases.get(name, ()):
            if phrase.lower() in low:
                error = f"question uses {phrase!r}, listed for {name} in the manifest"
    found = name_pattern(func).search(low) if words(func) else None
    if found:
        error = f"question spells out the identifier {func!r} as {found.group()!r}"
    for cls in classes:
        found = name_pattern(cls).search(low) if words(cls) else None
        if found:
            warning = f"question names the class {cls!r} as {found.group()!r}"
    return error, warning


class _Checker:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.report = Report(corpus.name)
        self._contents: dict[str, Contents] = {}

    def problem(self, where: str, message: str, *, warning: bool = False) -> None:
        self.report.problems.append(Problem(where, message, warning))

    def at(self, table: Table, row: Row) -> str:
        return f"{table.file}:{row.line}"

    def contents(self, table: Table) -> Contents:
        """Each file read once (a skips file may serve two sets), its problems reported once."""
        if table.file not in self._contents:
            got = read(self.corpus.folder, table)
            self._contents[table.file] = got
            self.report.problems += got.problems
        return self._contents[table.file]

    # -- the candidates ----------------------------------------------------------------------

    def candidates(self) -> list[tuple[str, str]] | None:
        table, rules = self.corpus.candidates, self.corpus.rules
        if table is None or rules is None:
            return None
        rows = self.contents(table).rows
        golds = [r.gold for r in rows]
        for r in rows:
            for column in ("lineno", "statements"):
                if column in r.values and not r[column].isdigit():
                    self.problem(self.at(table, r), f"{column} {r[column]!r} is not a number")
            if r.values.get("statements", "").isdigit() and int(r["statements"]) < (
                rules.min_statements
            ):
                self.problem(
                    self.at(table, r),
                    f"{r['statements']} statements, fewer than the rules' {rules.min_statements}",
                )
        for gold, n in Counter(golds).items():
            if n > 1:
                self.problem(table.file, f"{' '.join(gold)} is listed {n} times")
        if golds != sorted(golds):
            self.problem(table.file, "not sorted by (path, qualname): draws would differ")
        self.report.lines.append(f"{table.file}: {len(rows)} candidates")
        return golds

    # -- one set -----------------------------------------------------------------------------

    def pool(
        self, spec: SetSpec, candidates: list[tuple[str, str]] | None
    ) -> list[tuple[str, str]] | None:
        """Where the set's golds come from, sorted: the candidates or another set's golds."""
        if spec.pool is None:
            return candidates
        other = self.corpus.spec(spec.pool)
        return sorted({r.gold for r in self.contents(other.table).rows})

    def check_set(self, spec: SetSpec, candidates: list[tuple[str, str]] | None) -> None:
        table = spec.table
        rows = self.contents(table).rows
        pool = self.pool(spec, candidates)
        in_pool = set(pool) if pool is not None else None
        source = f"{spec.pool} set's golds" if spec.pool else "candidates"
        for r in rows:
            where = self.at(table, r)
            if in_pool is not None and r.gold not in in_pool:
                self.problem(where, f"gold {' '.join(r.gold)} is not among the {source}")
            self.question(spec, r, where)
        self.duplicates(spec, rows)
        if spec.public:
            for r in rows:
                if any(part.startswith("_") for part in r["qualname"].split(".")):
                    self.problem(self.at(table, r), f"gold {r['qualname']} is not public")
        skips = self.skips(spec, rows, in_pool)
        if spec.draw is not None:
            self.drawn(spec, spec.draw, pool or [], rows, skips)
        if spec.picks is not None:
            self.picked(spec, spec.picks, rows, skips, in_pool)
        picks = self.contents(spec.picks).rows if spec.picks else ()
        listed = [(table, r) for r in rows] + [(spec.picks, p) for p in picks if spec.picks]
        for d in spec.exclude:
            avoided = set(draw(candidates or [], d.seed)[d.start : d.stop])
            for t, r in listed:
                if r.gold in avoided:
                    self.problem(
                        self.at(t, r),
                        f"{' '.join(r.gold)} is in the draw it must avoid ({d.describe()})",
                    )
        modules = {r["path"] for r in rows}
        if len(rows) < spec.min_rows:
            self.problem(table.file, f"{len(rows)} rows, fewer than {spec.min_rows}")
        if len(modules) < spec.min_modules:
            self.problem(table.file, f"{len(modules)} modules, fewer than {spec.min_modules}")
        how = f"; {spec.draw.describe()}" if spec.draw else ""
        how += f"; {len(picks)} picks" if spec.picks else ""
        self.report.lines.append(
            f"{table.file} ({spec.name}, {spec.language}): {len(rows)} rows, "
            f"{len(skips)} skips, {len(modules)} modules{how}"
        )

    def question(self, spec: SetSpec, r: Row, where: str) -> None:
        text = r[spec.query]
        if not text.strip() or text != text.strip():
            self.problem(where, "empty question, or spaces around it")
        korean = bool(HANGUL.search(text))
        if spec.language == "ko" and not korean:
            self.problem(where, f"a Korean set's question has no Korean: {text}")
        if spec.language == "en" and korean:
            self.problem(where, f"an English set's question has Korean: {text}")
        if spec.leaks:
            error, warning = leaks(text, r["qualname"], self.corpus.phrases)
            if error:
                self.problem(where, f"{error}: {text}")
            if warning:
                self.problem(where, f"{warning}: {text}", warning=True)
        if "callees" in r.values:
            self.callees(spec, r, where)

    def callees(self, spec: SetSpec, r: Row, where: str) -> None:
        try:
            callees = json.loads(r["callees"])
        except json.JSONDecodeError as exc:
            self.problem(where, f"callees are not JSON: {exc}")
            return
        if not isinstance(callees, list) or not all(
            isinstance(c, list)
            and len(c) == 3
            and all(isinstance(x, str) for x in c)
            and c[2] in CALLEE_KINDS
            for c in callees
        ):
            self.problem(where, f"callees must be [path, qualname, {'|'.join(CALLEE_KINDS)}] lists")
        elif len(callees) < spec.min_callees:
            self.problem(where, f"{len(callees)} callees, fewer than {spec.min_callees}")

    def duplicates(self, spec: SetSpec, rows: Sequence[Row]) -> None:
        keys: list[tuple[str, Callable[[Row], str]]] = [("gold", lambda r: " ".join(r.gold))]
        if spec.unique_queries:
            keys.append(("question", lambda r: r[spec.query].strip().lower()))
        for kind, key in keys:
            first: dict[str, int] = {}
            for r in rows:
                k = key(r)
                if k in first:
                    self.problem(self.at(spec.table, r), f"duplicate {kind} (line {first[k]}): {k}")
                first.setdefault(k, r.line)

    def skips(
        self, spec: SetSpec, rows: Sequence[Row], in_pool: set[tuple[str, str]] | None
    ) -> list[Row]:
        """This set's skips (a shared file's ``set`` column picks them), each one checked alone."""
        if spec.skips is None:
            return []
        table = spec.skips
        mine = [
            s for s in self.contents(table).rows if "set" not in s.values or s["set"] == spec.name
        ]
        golds = {r.gold for r in rows}
        for s in mine:
            where = self.at(table, s)
            if not s["reason"].strip():
                self.problem(where, "a skip needs a reason")
            if in_pool is not None and s.gold not in in_pool:
                self.problem(where, f"skipped {' '.join(s.gold)} is not a candidate")
            if s.gold in golds:
                self.problem(where, f"{' '.join(s.gold)} is both a row and a skip")
        return mine

    def drawn(
        self,
        spec: SetSpec,
        d: Draw,
        pool: Sequence[tuple[str, str]],
        rows: Sequence[Row],
        skips: Sequence[Row],
    ) -> None:
        """Rows come from the draw's positions; with a skips file, each position is covered."""
        drawn = draw(pool, d.seed)
        stop = len(drawn) if d.stop is None else min(d.stop, len(drawn))
        window = set(drawn[d.start : stop])
        for r in rows:
            if r.gold not in window:
                self.problem(
                    self.at(spec.table, r),
                    f"gold {' '.join(r.gold)} was not drawn ({d.describe()})",
                )
        if spec.skips is None:
            return
        skipped: dict[int, Row] = {}
        for s in skips:
            where = self.at(spec.skips, s)
            if not s["position"].isdigit():
                self.problem(where, f"position {s['position']!r} is not a number")
                continue
            pos = int(s["position"])
            if not d.start <= pos < stop:
                self.problem(where, f"position {pos} is outside {d.describe()}")
            elif drawn[pos] != s.gold:
                self.problem(
                    where, f"position {pos} drew {' '.join(drawn[pos])}, not {' '.join(s.gold)}"
                )
            skipped[pos] = s
        golds = {r.gold for r in rows}
        for pos in range(d.start, stop):
            if pos not in skipped and drawn[pos] not in golds:
                self.problem(
                    spec.table.file,
                    f"position {pos} ({' '.join(drawn[pos])}) is neither a row nor a skip",
                )

    def picked(
        self,
        spec: SetSpec,
        table: Table,
        rows: Sequence[Row],
        skips: Sequence[Row],
        in_pool: set[tuple[str, str]] | None,
    ) -> None:
        """Every pick is a candidate, and a row or a skip (the skip under its pick's number),
        and nothing else is."""
        picks = self.contents(table).rows
        number = {p.gold: p["position"] for p in picks}
        numbers = Counter(p["position"] for p in picks)
        golds = Counter(p.gold for p in picks)
        covered = {r.gold for r in rows} | {s.gold for s in skips}
        for p in picks:
            where = self.at(table, p)
            if numbers[p["position"]] > 1:
                self.problem(
                    where, f"pick number {p['position']} is given {numbers[p['position']]} times"
                )
            if golds[p.gold] > 1:
                self.problem(where, f"{' '.join(p.gold)} is picked {golds[p.gold]} times")
            if in_pool is not None and p.gold not in in_pool:
                self.problem(where, f"picked {' '.join(p.gold)} is not a candidate")
            if p.gold not in covered:
                self.problem(
                    self.at(table, p),
                    f"pick {p['position']} ({' '.join(p.gold)}) is neither a row nor a skip",
                )
        for r in rows:
            if r.gold not in number:
                self.problem(self.at(spec.table, r), f"{' '.join(r.gold)} is not in {table.file}")
        for s in skips:
            if s.gold not in number:
                self.problem(
                    self.at(spec.skips or table, s), f"{' '.join(s.gold)} is not in {table.file}"
                )
            elif s["position"] != number[s.gold]:
                self.problem(
                    self.at(spec.skips or table, s),
                    f"position {s['position']} should be its pick number {number[s.gold]}",
                )

    # -- the corpus --------------------------------------------------------------------------

    def stray_files(self) -> None:
        named = {t.file for t in self.corpus.tables()}
        for path in sorted(self.corpus.folder.glob("*.tsv")):
            if path.name not in named:
                self.problem(path.name, "not named in corpus.toml, so nothing checks it")

    def run(self) -> Report:
        candidates = self.candidates()
        for spec in self.corpus.sets:
            self.check_set(spec, candidates)
        self.stray_files()
        return self.report


def check(corpus: Corpus) -> Report:
    """Every file of ``corpus`` checked against its manifest (nothing is installed or run)."""
    return _Checker(corpus).run()
