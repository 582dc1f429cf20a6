"""Jupyter notebooks (``.ipynb``): each code cell is chunked like a small module.

Definitions in a cell become chunks as in a ``.py`` file; a cell's other statements
become one chunk named ``cell N`` (what the notebook does there). Every chunk records its
cell, so references say "cell 3" and line numbers count from the top of that cell.
IPython magics and shell escapes (``%timeit``, ``!pip install``) are turned into comments
so that the rest of the cell parses; a cell that still does not parse is skipped.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

from .chunking import MODULE_QUALNAME, ParsedChunk, chunk_python
from .errors import InputError, ParseError

logger = logging.getLogger(__name__)

_MAGIC = re.compile(r"^(\s*)([%!])", re.MULTILINE)


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def code_cells(text: str, path: str) -> list[tuple[int, str]]:
    """``(cell number, source)`` of each code cell, numbered from 1 over all cells."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not a readable notebook (invalid JSON at line {exc.lineno})."
        ) from exc
    except RecursionError as exc:  # "[[[[…": no notebook nests that deep
        raise InputError(f"{path}: not a readable notebook (its JSON nests too deep).") from exc
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise InputError(f"{path}: not a Jupyter notebook (no cells).")
    out = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and not all(isinstance(line, str) for line in source):
            raise InputError(
                f"{path}: not a Jupyter notebook (cell {number}'s source is not text)."
            )
        text_ = "".join(source) if isinstance(source, list) else str(source)
        if text_.strip():
            out.append((number, text_))
    return out


def chunk_notebook(text: str, path: str) -> list[ParsedChunk]:
    """The chunks of every code cell that parses; a :class:`ParseError` only when none does."""
    chunks: list[ParsedChunk] = []
    cells = code_cells(text, path)
    failures: list[ParseError] = []
    for number, source in cells:
        python = _MAGIC.sub(r"\1# \2", source)
        try:
            parsed = chunk_python(python, f"{path} cell {number}")
        except ParseError as exc:
            logger.info("skipped a cell of %s: %s", path, exc)
            failures.append(exc)
            continue
        for chunk in parsed:
            named = f"cell {number}" if chunk.qualname == MODULE_QUALNAME else chunk.qualname
            chunks.append(replace(chunk, path=path, qualname=named, cell=number))
    if failures and not chunks:
        raise failures[0]
    return chunks
