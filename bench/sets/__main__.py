"""``python -m bench.sets``: check, draw, view and build any corpus's question sets.

    python -m bench.sets check [CORPUS ...] [--warnings]   # every corpus when none is named
    python -m bench.sets candidates CORPUS [--site DIR] [--write]
    python -m bench.sets draw CORPUS SEED N
    python -m bench.sets view CORPUS SEED START END [--site DIR]
    python -m bench.sets build CORPUS SET DRAFT [--dry-run]

CORPUS is a folder of ``bench/`` holding a ``corpus.toml`` (``boltons``), or a path to one.
``check`` and ``draw`` read only the committed files; ``candidates`` and ``view`` read the
library's source, installed hash-checked into ``bench/.data/<library>/site`` unless ``--site``
names a site-packages folder that has it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .build import BuildError, build, write
from .candidates import Candidate, draw, site_of, source, walk
from .checks import check
from .manifest import Corpus, ManifestError, all_corpora, load
from .tables import read, render


def _candidates(corpus: Corpus) -> list[Candidate]:
    """The committed candidate list (what ``draw`` and ``view`` number)."""
    table, _ = corpus.candidate_rules()
    got = read(corpus.folder, table)
    if got.problems:
        raise ManifestError(f"{table.file}: {got.problems[0].message}")
    return sorted(
        (
            Candidate(r["path"], r["qualname"], int(r["lineno"]), int(r["statements"]))
            for r in got.rows
        ),
        key=lambda c: c.gold,
    )


def cmd_check(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.corpus or all_corpora():
        report = check(load(name))
        print(f"{report.corpus}:")
        for line in report.lines:
            print(f"  {line}")
        for problem in report.errors + (report.warnings if args.warnings else []):
            print(f"  {problem}")
        verdict = "OK" if report.ok else f"{len(report.errors)} errors"
        print(f"  {verdict}, {len(report.warnings)} warnings")
        failed += not report.ok
    return 1 if failed else 0


def cmd_candidates(args: argparse.Namespace) -> int:
    corpus = load(args.corpus)
    table, rules = corpus.candidate_rules()
    site = site_of(corpus, args.site)
    found = walk(site, rules)
    text = render([], table, [c.fields() for c in found])
    path = corpus.folder / table.file
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if args.write:
        path.write_text(text, encoding="utf-8", newline="")
        print(f"{len(found)} candidates written to {path}")
        return 0
    if text == old:
        print(f"{len(found)} candidates: {path.name} matches {site}")
        return 0
    print(f"{len(found)} candidates in {site}: {path.name} differs (--write rewrites it)")
    return 1


def cmd_draw(args: argparse.Namespace) -> int:
    for i, c in enumerate(draw(_candidates(load(args.corpus)), args.seed)[: args.n]):
        print(f"{i}\t" + "\t".join(c.fields()))
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    corpus = load(args.corpus)
    drawn = draw(_candidates(corpus), args.seed)
    site = site_of(corpus, args.site)
    for i in range(args.start, min(args.end, len(drawn))):
        c = drawn[i]
        print(
            f"===== position {i}: {c.path}  {c.qualname}  (line {c.lineno}, {c.statements} stmts)"
        )
        print(source(site, c))
        print()
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    corpus = load(args.corpus)
    texts = build(corpus, args.set, args.draft)
    if args.dry_run:
        for path, text in texts.items():
            print(f"{path.name}: {text.count(chr(10))} lines")
        return 0
    write(texts)
    for path in texts:
        print(f"wrote {path}")
    return cmd_check(argparse.Namespace(corpus=[args.corpus], warnings=False))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.sets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check sets against their manifest and candidates")
    c.add_argument("corpus", nargs="*", help="default: every corpus in bench/")
    c.add_argument("--warnings", action="store_true", help="list warnings too")
    c.set_defaults(run=cmd_check)
    c = sub.add_parser("candidates", help="walk the library; compare with candidates.tsv")
    c.add_argument("corpus")
    c.add_argument("--site", type=Path, help="a site-packages folder holding the library")
    c.add_argument("--write", action="store_true", help="rewrite candidates.tsv")
    c.set_defaults(run=cmd_candidates)
    c = sub.add_parser("draw", help="the first N candidates of a seed's draw")
    c.add_argument("corpus")
    c.add_argument("seed", type=int)
    c.add_argument("n", type=int)
    c.set_defaults(run=cmd_draw)
    c = sub.add_parser("view", help="drawn candidates with their source, as writers read them")
    c.add_argument("corpus")
    c.add_argument("seed", type=int)
    c.add_argument("start", type=int)
    c.add_argument("end", type=int)
    c.add_argument("--site", type=Path, help="a site-packages folder holding the library")
    c.set_defaults(run=cmd_view)
    c = sub.add_parser("build", help="write a set's files from a writer's draft, then check")
    c.add_argument("corpus")
    c.add_argument("set")
    c.add_argument("draft", type=Path)
    c.add_argument("--dry-run", action="store_true", help="say what would be written")
    c.set_defaults(run=cmd_build)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (ManifestError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
