"""Fenced code blocks in a model's Markdown, found the way CommonMark finds them.

A fence opens on a line of its own (three or more backticks or tildes, then an optional
language) and closes only on a line holding nothing but a fence of the same character at
least as long. So code may carry backticks anywhere else, even a ```` "```" ```` inside a
string, and the code found is exactly what the model wrote between the fence lines: the
verifier checks that code, and Slack shows it for copying (``handlers/render.py``).

A regular expression that closes at the next three backticks anywhere cuts such code in
two, and the second half then reads as prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import CodeBlock

_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)[^`\n]*$")
"""An opening fence line: indentation, the fence, an optional language (first word)."""
_CLOSE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*$")


@dataclass(frozen=True)
class Segment:
    """A run of prose, or one fenced code block (its lines, without the fence lines)."""

    kind: str  # "prose" or "code"
    text: str
    language: str = ""
    closed: bool = True
    """False for a code block still open at the end of the text (a stream cut short)."""


def segments(text: str) -> list[Segment]:
    """Split Markdown into prose and fenced code, in order.

    Prose keeps its lines without the blank lines around it. Code is the lines between
    the fences, joined by ``\\n``, with the opening fence's indentation taken off each line
    (a fence inside a list item is indented); a fence left open runs to the end.
    """
    out: list[Segment] = []
    prose: list[str] = []

    def flush() -> None:
        joined = "\n".join(prose).strip("\n")
        if joined.strip():
            out.append(Segment("prose", joined))
        prose.clear()

    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opened = _OPEN.match(lines[i])
        if opened is None:
            prose.append(lines[i])
            i += 1
            continue
        flush()
        indent, fence, language = opened.groups()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            closing = _CLOSE.match(lines[i])
            i += 1
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                closed = True
                break
            line = lines[i - 1]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t"))
        code = "\n".join(body)
        out.append(Segment("code", code if closed else code.rstrip("\n"), language, closed))
    flush()
    return out


def code_blocks(text: str) -> tuple[CodeBlock, ...]:
    """The closed fenced code blocks of ``text``, each line ending in ``\\n``."""
    return tuple(
        CodeBlock(s.language, s.text + "\n" if s.text else "")
        for s in segments(text)
        if s.kind == "code" and s.closed
    )
