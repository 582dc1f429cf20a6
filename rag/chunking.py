"""Split Python source into callable units with Python's own parser.

Why ``ast`` and not string splitting: methods, decorated and nested definitions and
definitions inside ``if``/``try``/``with`` blocks all keep their exact line spans and a
qualified name (``Outer.Inner.method``), and a file that does not parse is refused with
the interpreter's own line and message instead of being indexed half-way.
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import InputError, ParseError, TooManyDefinitions
from .models import ChunkKind

MODULE_QUALNAME = "<module>"

_Def = ast.FunctionDef | ast.AsyncFunctionDef
_Scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Facts:
    """What the code visibly does, for summaries written without a model."""

    calls: tuple[str, ...] = ()
    raises: tuple[str, ...] = ()
    returns: bool = False
    yields: bool = False
    decorators: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedChunk:
    """One chunk as the parser sees it, before summaries, embeddings and ids."""

    path: str
    qualname: str
    kind: ChunkKind
    signature: str
    start_line: int
    end_line: int
    code: str
    docstring: str = ""
    facts: Facts = field(default_factory=Facts)
    cell: int = 0
    """The notebook cell it came from (lines count from that cell's top); 0 for .py files."""

    @property
    def code_hash(self) -> str:
        return code_hash(self.code)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def refuse_oversize(path: str, size: int, *, max_bytes: int) -> None:
    """Raise :class:`InputError` for a file over the size limit (checked before reading it,
    where the size is known first)."""
    if size > max_bytes:
        raise InputError(
            f"{path}: the file is {size:,} bytes, over the {max_bytes:,}-byte limit "
            "(set GENCODE_MAX_FILE_BYTES to raise it)."
        )


def decode_source(data: bytes, path: str, *, max_bytes: int) -> str:
    """Bytes of a shared or local file to text, refusing what is not Python source.

    Honours a PEP 263 encoding cookie and a UTF-8 BOM; anything else must be UTF-8.
    """
    refuse_oversize(path, len(data), max_bytes=max_bytes)
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: this looks like a binary file, not Python source.")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise InputError(f"{path}: {exc.msg if hasattr(exc, 'msg') else exc}") from exc
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(
            f"{path}: the file is not valid {encoding} text; save it as UTF-8 "
            "or declare its encoding with a '# -*- coding: ... -*-' line."
        ) from exc
    return text.removeprefix("\ufeff")


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def count_definitions(tree: ast.AST) -> int:
    """Functions, methods and classes at any depth: the chunks a file makes (besides its
    preamble), counted without making them."""
    return sum(1 for node in ast.walk(tree) if isinstance(node, _DEFS))


_DEF_LINE = re.compile(r"^[ \t\f]*(?:async[ \t\f]+)?(?:def|class)[ \t\f\\]", re.M)


def definitions_at_most(source: str) -> int:
    """An upper bound of :func:`count_definitions`, a hundred times cheaper than parsing:
    every ``def`` and ``class`` starts a line of its own (Python refuses one after ``;`` or
    ``:`` on the same line), and lines of strings that look like one only add to it."""
    return len(_DEF_LINE.findall(source))


def too_many_definitions(path: str, count: int, limit: int) -> TooManyDefinitions:
    return TooManyDefinitions(
        f"{path}: {count:,} definitions, over the limit of {limit:,} for one file. Split "
        "the file, or have whoever runs Gencode raise GENCODE_MAX_DEFINITIONS_PER_FILE."
    )


def chunk_python(
    source: str, path: str, *, max_definitions: int | None = None
) -> list[ParsedChunk]:
    """Every definition a user could call, plus one module-preamble chunk.

    Raises :class:`ParseError` (``path:line: message``) when the source does not parse,
    or nests too deeply for the parser (``a.b.b.b…`` thousands deep overflows its stack),
    and :class:`TooManyDefinitions` past ``max_definitions`` (counted before any chunk is
    made: 47,000 one-line functions in a 940 KB file made a 213 MB database).
    """
    try:
        return _chunks(source, path, max_definitions)
    except SyntaxError as exc:
        raise ParseError(path, exc.lineno, exc.msg or "invalid syntax") from exc
    except ValueError as exc:  # e.g. source containing NUL characters
        raise ParseError(path, None, str(exc)) from exc
    except (RecursionError, MemoryError) as exc:
        raise ParseError(
            path,
            None,
            "an expression is nested too deeply for Python's parser "
            f"({type(exc).__name__}); split it up to index this file",
        ) from exc


def _chunks(source: str, path: str, max_definitions: int | None) -> list[ParsedChunk]:
    tree = ast.parse(source, filename=path)
    if max_definitions is not None:
        count = count_definitions(tree)
        if count > max_definitions:
            raise too_many_definitions(path, count, max_definitions)
    lines = source.splitlines(keepends=True)
    chunks: list[ParsedChunk] = []
    preamble = _preamble(tree, lines, path)
    if preamble is not None:
        chunks.append(preamble)
    for node, qualname, parent in _definitions(tree.body, prefix="", parent=tree):
        chunks.append(_chunk(node, qualname, parent, lines, path))
    chunks.sort(key=lambda c: (c.start_line, c.qualname))
    return chunks


def _definitions(
    body: list[ast.stmt], *, prefix: str, parent: _Scope
) -> Iterator[tuple[_Def | ast.ClassDef, str, _Scope]]:
    """Walk statements depth-first, descending through compound statements."""
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qualname = f"{prefix}{stmt.name}"
            yield stmt, qualname, parent
            yield from _definitions(stmt.body, prefix=qualname + ".", parent=stmt)
        else:
            for child in _child_bodies(stmt):
                yield from _definitions(child, prefix=prefix, parent=parent)


def _child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(stmt, "handlers", []) or []:
        yield handler.body
    for case in getattr(stmt, "cases", []) or []:
        yield case.body


def _span(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno, *(d.lineno for d in decorators)])
    return start, node.end_lineno or node.lineno


def _text(lines: list[str], start: int, end: int) -> str:
    return "".join(lines[start - 1 : end]).rstrip() + "\n"


def _signature(node: _Def | ast.ClassDef) -> str:
    if isinstance(node, ast.ClassDef):
        bases = [ast.unparse(b) for b in node.bases] + [ast.unparse(k) for k in node.keywords]
        return f"class {node.name}({', '.join(bases)})" if bases else f"class {node.name}"
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){returns}"


def _kind(node: _Def | ast.ClassDef, parent: _Scope) -> ChunkKind:
    if isinstance(node, ast.ClassDef):
        return "class"
    is_async = isinstance(node, ast.AsyncFunctionDef)
    if isinstance(parent, ast.ClassDef):
        return "async_method" if is_async else "method"
    return "async_function" if is_async else "function"


def _chunk(
    node: _Def | ast.ClassDef, qualname: str, parent: _Scope, lines: list[str], path: str
) -> ParsedChunk:
    start, end = _span(node)
    if isinstance(node, ast.ClassDef):
        code = _class_outline(node, lines, start)
    else:
        code = _text(lines, start, end)
    return ParsedChunk(
        path=path,
        qualname=qualname,
        kind=_kind(node, parent),
        signature=_signature(node),
        start_line=start,
        end_line=end,
        code=code,
        docstring=ast.get_docstring(node) or "",
        facts=_facts(node),
    )


def _class_outline(node: ast.ClassDef, lines: list[str], start: int) -> str:
    """A class with its attributes in full and its methods reduced to signatures.

    Methods are chunks of their own; the outline shows fields and the shape of the class
    without indexing every method body twice.
    """
    out: list[str] = []
    cursor = start
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            s, e = _span(stmt)
            out.append(_text(lines, cursor, s - 1) if s > cursor else "")
            indent = lines[stmt.lineno - 1][
                : len(lines[stmt.lineno - 1]) - len(lines[stmt.lineno - 1].lstrip())
            ]
            out.append(f"{indent}{_signature(stmt)}: ...\n")
            cursor = e + 1
    end = node.end_lineno or node.lineno
    if cursor <= end:
        out.append(_text(lines, cursor, end))
    return "".join(p for p in out if p.strip())


def _preamble(tree: ast.Module, lines: list[str], path: str) -> ParsedChunk | None:
    """Imports, constants and other top-level statements: what functions depend on."""
    parts: list[str] = []
    imports: list[str] = []
    first = last = 0
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        s, e = _span(stmt)
        first = first or s
        last = e
        parts.append(_text(lines, s, e))
        if isinstance(stmt, ast.Import):
            imports.extend(a.name for a in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            imports.extend(f"{stmt.module or '.'}.{a.name}" for a in stmt.names)
    if not parts:
        return None
    return ParsedChunk(
        path=path,
        qualname=MODULE_QUALNAME,
        kind="module",
        signature=f"module {path}",
        start_line=first,
        end_line=last,
        code="".join(parts),
        docstring=ast.get_docstring(tree) or "",
        facts=Facts(imports=tuple(imports)),
    )


def _facts(node: _Def | ast.ClassDef) -> Facts:
    calls: dict[str, None] = {}
    raises: dict[str, None] = {}
    returns = yields = False
    for sub in _own_nodes(node):
        if isinstance(sub, ast.Call):
            name = _dotted(sub.func)
            if name:
                calls[name] = None
        elif isinstance(sub, ast.Raise) and sub.exc is not None:
            target = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            name = _dotted(target)
            if name:
                raises[name] = None
        elif isinstance(sub, ast.Return) and sub.value is not None:
            returns = True
        elif isinstance(sub, ast.Yield | ast.YieldFrom):
            yields = True
    return Facts(
        calls=tuple(calls),
        raises=tuple(raises),
        returns=returns,
        yields=yields,
        decorators=tuple(ast.unparse(d) for d in node.decorator_list),
    )


def _own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a definition's body, not descending into nested definitions."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        yield sub
        stack.extend(ast.iter_child_nodes(sub))


def _dotted(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr}" if base else expr.attr
    return ""
