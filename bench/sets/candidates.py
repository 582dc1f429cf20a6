"""The candidate functions of a library (gold answers come only from them), and random draws.

One set of rules for every blind corpus; the manifest gives the package and the parameters
(``[candidates]`` in ``corpus.toml``). The rules, exactly:

* files: every ``*.py`` under ``site-packages/<package>/``, recursively; skip any path with a
  directory named in ``skip_dirs`` (tests, test, vendor, _vendor), files named in
  ``skip_files`` (conftest.py) and files whose name contains one of
  ``skip_names_containing`` (_compat).
* path: relative to site-packages, posix separators (``boltons/iterutils.py``).
* callables: ``def``/``async def`` that are direct children of the module body (qualname
  ``func``), or direct children of a class that is itself a direct child of the module body
  (``Class.method``). Nothing inside ``if``/``try``/``with``, no nested functions or classes.
* no dunders (``__init__`` included); single-underscore names are kept.
* no ``@overload`` / ``@typing.overload``.
* statements: ``ast.stmt`` nodes anywhere in the body (nested defs' included), minus one
  for a docstring; fewer than ``min_statements`` (3) is left out.
* a ``(path, qualname)`` defined twice (a property's getter and setter) is left out.

A draw is ``random.Random(seed).shuffle`` of the sorted list: the same seed gives the same
positions on any machine, which is what lets a writer's "positions 0..179" be checked.
"""

from __future__ import annotations

import ast
import collections
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .manifest import Corpus, Library, Rules

DATA = Path(__file__).resolve().parent.parent / ".data"
"""Where ``bench.blind`` installs the libraries too (git-ignored)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    path: str
    qualname: str
    lineno: int
    statements: int

    @property
    def gold(self) -> tuple[str, str]:
        return (self.path, self.qualname)

    def fields(self) -> list[str]:
        return [self.path, self.qualname, str(self.lineno), str(self.statements)]


def statements(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    count = sum(isinstance(node, ast.stmt) for st in fn.body for node in ast.walk(st))
    first = fn.body[0] if fn.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        count -= 1
    return count


def _is_overload(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in fn.decorator_list
    )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def walk(site: Path, rules: Rules) -> list[Candidate]:
    """Every candidate of ``rules.package`` under ``site`` (site-packages), sorted."""
    found: list[tuple[str, str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for folder, dirs, files in os.walk(site / rules.package):
        dirs[:] = sorted(d for d in dirs if d not in rules.skip_dirs and d != "__pycache__")
        for name in sorted(files):
            if (
                not name.endswith(".py")
                or name in rules.skip_files
                or any(part in name for part in rules.skip_names_containing)
            ):
                continue
            full = Path(folder) / name
            rel = full.relative_to(site).as_posix()
            tree = ast.parse(full.read_text(encoding="utf-8"), filename=rel)
            for node in tree.body:
                if isinstance(node, functions):
                    found.append((rel, node.name, node))
                elif isinstance(node, ast.ClassDef):
                    found += [
                        (rel, f"{node.name}.{sub.name}", sub)
                        for sub in node.body
                        if isinstance(sub, functions)
                    ]
    counts = collections.Counter((p, q) for p, q, _ in found)
    kept = [
        Candidate(p, q, node.lineno, statements(node))
        for p, q, node in found
        if not _is_dunder(q.split(".")[-1]) and not _is_overload(node) and counts[(p, q)] == 1
    ]
    return sorted((c for c in kept if c.statements >= rules.min_statements), key=lambda c: c.gold)


def draw(pool: Sequence[T], seed: int) -> list[T]:
    """``pool`` (already sorted) in the order ``random.Random(seed)`` shuffles it."""
    out = list(pool)
    random.Random(seed).shuffle(out)
    return out


def install(library: Library, package: str) -> Path:
    """The pinned library, hash-checked, into ``bench/.data/<name>/site``; returns that site.

    The same folder ``bench.blind`` scores from, so a library is downloaded once.
    """
    site = DATA / library.name / "site"
    if (site / package).exists():
        return site
    print(f"installing {library.name}=={library.version} into {site} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(
            f"{library.name}=={library.version} --hash=sha256:{library.sha256}\n",
            encoding="utf-8",
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--require-hashes",
                "--target",
                str(site),
                "-r",
                str(requirements),
            ],
            check=True,
        )
    return site


def site_of(corpus: Corpus, site: Path | None) -> Path:
    """``site`` when given (a venv's site-packages), else the installed pinned library."""
    _, rules = corpus.candidate_rules()
    return site if site is not None else install(corpus.library, rules.package)


def source(site: Path, candidate: Candidate) -> str:
    """The candidate's code as the writers read it (decorators not included)."""
    text = (site / candidate.path).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            node.lineno == candidate.lineno
        ):
            return ast.get_source_segment(text, node) or "?"
    return "?"
