"""A CodeSearchNet-style evaluation set built from code nobody on the project wrote.

Why this shape: the installed ``slack_sdk`` and ``botocore`` are real, well-documented
Python that Gencode's users call every day, and their docstrings are a free source of
natural-language queries. The docstrings are blanked out of the copy that gets indexed
(otherwise BM25 would just match the query against its own text), and the first
sentence of each original docstring becomes a query whose gold answer is the function
it documented, as ``(path, qualname)``.
"""

from __future__ import annotations

import ast
import json
import random
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from rag.chunking import chunk_python

PACKAGES = ("slack_sdk", "botocore")
SEED = 20261126
SAMPLE = 300
CALLABLE_KINDS = ("function", "method", "async_function", "async_method")
CORPUS_VERSION = 2
"""Bump when the corpus rules or source keys change, so cached indexes are rebuilt
(2: sources gained a repository)."""

# Near-identical clones (async_client.py repeats client.py with the same docstrings) would
# make most queries ambiguous; vendored code (requests, six) is not botocore's own.
_EXCLUDED = re.compile(r"(^|/)(vendored/|[^/]*async[^/]*$|legacy_[^/]*$)")
_GENERIC = re.compile(
    r"^(constructor|initiali[sz]e|init\b|create a new instance|deprecated|todo|note\b|"
    r"see\b|alias|override|overrides|helper|internal|private|implementation|this is|"
    r"this method|this function|this used to|not intended|returns? (the )?(value|result)\b|do not|"
    r"not used|for )",
    re.I,
)
_MIN_WORDS = 4
_MIN_CHARS = 20


@dataclass(frozen=True)
class Query:
    """One natural-language query and the function that answers it."""

    text: str
    path: str
    qualname: str


@dataclass(frozen=True)
class Definition:
    """A function or method found in the original source, docstring included."""

    path: str
    qualname: str
    docstring: str


def package_versions() -> dict[str, str]:
    return {p: metadata.version(p.replace("_", "-")) for p in PACKAGES}


def source_files() -> Iterator[tuple[Path, str]]:
    """``(file on disk, path relative to site-packages)`` for every kept module."""
    for package in PACKAGES:
        module = __import__(package)
        root = Path(module.__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            rel = f"{package}/{path.relative_to(root).as_posix()}"
            if not _EXCLUDED.search(rel):
                yield path, rel


def blank_docstrings(source: str, tree: ast.Module) -> str:
    """The source with every function/method docstring replaced by ``...``.

    Line numbers stay the same (the docstring's extra lines become blank lines), so gold
    spans in the original and the indexed copy agree. Works on UTF-8 byte columns, which
    is what ``ast`` offsets are.
    """
    lines = source.splitlines(keepends=True)
    spans = [
        node.body[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and ast.get_docstring(node, clean=False) is not None
        and isinstance(node.body[0], ast.Expr)
    ]
    for expr in sorted(spans, key=lambda e: (e.lineno, e.col_offset), reverse=True):
        start, end = expr.lineno - 1, (expr.end_lineno or expr.lineno) - 1
        head = lines[start].encode()[: expr.col_offset]
        tail = lines[end].encode()[expr.end_col_offset or 0 :]
        replaced = (head + b"..." + tail).decode()
        if not replaced.endswith("\n"):
            replaced += "\n"
        lines[start : end + 1] = [replaced] + ["\n"] * (end - start)
    return "".join(lines)


def first_sentence(docstring: str) -> str:
    """The docstring's opening sentence, whitespace-normalised, as a user might type it."""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.split())
    match = re.search(r"(?<=[a-z0-9)\]`'\"])[.!?](\s|$)", text)
    return (text[: match.start() + 1] if match else text).strip()


def is_useful_query(text: str, qualname: str) -> bool:
    """Drop what a CodeSearchNet-style set drops: too short, generic, markup, dunders."""
    name = qualname.rsplit(".", 1)[-1]
    return not (
        name.startswith("__")
        or len(text) < _MIN_CHARS
        or len(text.split()) < _MIN_WORDS
        or _GENERIC.match(text)
        or text.startswith((":", "..", ">>>", "@", "#"))
        or ":param" in text
        or "deprecated" in text.lower()
    )


def build(corpus: Path) -> tuple[list[Query], list[Definition]]:
    """Copy the kept modules into ``corpus`` with docstrings blanked; return the queries.

    Queries whose first sentence is shared by several functions (overloads, clones) or
    whose ``(path, qualname)`` is not unique are left out: they have no single answer.
    """
    if corpus.exists():
        shutil.rmtree(corpus)
    found: list[Definition] = []
    for disk_path, rel in source_files():
        source = disk_path.read_text(encoding="utf-8")
        if not source.strip():
            continue  # Gencode refuses empty files, and they hold nothing to find
        tree = ast.parse(source, filename=rel)
        target = corpus / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        blanked = blank_docstrings(source, tree)
        ast.parse(blanked, filename=rel)  # the copy must still be valid Python
        target.write_text(blanked, encoding="utf-8")
        # Gold answers use the engine's own chunker, so qualnames match what it indexes.
        found.extend(
            Definition(rel, c.qualname, c.docstring)
            for c in chunk_python(source, rel)
            if c.kind in CALLABLE_KINDS
        )
    return sample_queries(found), found


def sample_queries(found: list[Definition]) -> list[Query]:
    names = Counter((d.path, d.qualname) for d in found)
    candidates = [
        Query(first_sentence(d.docstring), d.path, d.qualname)
        for d in found
        if d.docstring and names[(d.path, d.qualname)] == 1
    ]
    texts = Counter(q.text.lower() for q in candidates)
    kept = [
        q for q in candidates if texts[q.text.lower()] == 1 and is_useful_query(q.text, q.qualname)
    ]
    rng = random.Random(SEED)
    return sorted(rng.sample(kept, min(SAMPLE, len(kept))), key=lambda q: (q.path, q.qualname))


def save_queries(path: Path, queries: list[Query]) -> None:
    path.write_text(
        "\n".join(json.dumps(asdict(q), ensure_ascii=False) for q in queries) + "\n",
        encoding="utf-8",
    )


def load_queries(path: Path) -> list[Query]:
    return [Query(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def load_korean(path: Path) -> list[Query]:
    """Hand-written Korean queries: ``query<TAB>path<TAB>qualname``, ``#`` for comments."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, rel, qualname = line.split("\t")
            out.append(Query(text.strip(), rel.strip(), qualname.strip()))
    return out


# -- the peer baseline ------------------------------------------------------------------------

_PEER_SPLIT = "\ndef "


def peer_function_count(source: str) -> int:
    """Functions the sample implementation finds: it split files on ``"\\ndef "``.

    Only top-level, undecorated ``def`` survive that split (methods are indented, and a
    decorated function's piece starts with the decorator line of the previous piece).
    """
    pieces = ("\n" + source).split(_PEER_SPLIT)
    return len(pieces) - 1
