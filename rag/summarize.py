"""Summaries: one short text per chunk, written by a model or assembled from the code.

A :class:`Summarizer` returns one :class:`Summary` per chunk, in order. A chunk whose
summary failed carries ``error``; the engine then keeps an extractive summary and
reports the failure, so no summary ever goes silently missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .analysis import identifier_words
from .chunking import ParsedChunk

ProgressCallback = Callable[[int, int], None]
"""Called as ``(done, total)`` while a batch is summarised."""

EXTRACTIVE = "extractive"
EXTRACTIVE_NOTE = "(extractive summary, not written by a model)"


@dataclass(frozen=True)
class Summary:
    text: str
    model: str
    error: str = ""


class Summarizer(Protocol):
    @property
    def model_id(self) -> str: ...

    def summarize(
        self, chunks: Sequence[ParsedChunk], *, on_progress: ProgressCallback | None = None
    ) -> list[Summary]: ...


def first_sentence(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    for end in (". ", ".\n", "? ", "! "):
        i = text.find(end)
        if 0 < i < limit:
            return text[: i + 1]
    return text[:limit] + ("…" if len(text) > limit else "")


def short_signature(signature: str, limit: int = 160) -> str:
    """A signature that fits a summary line: long parameter lists are cut, the name stays."""
    if len(signature) <= limit:
        return signature
    returns = signature.rsplit(") -> ", 1)[1] if ") -> " in signature else ""
    depth, cut = 0, signature.find("(") + 1
    for i, char in enumerate(signature[:limit]):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 1:  # between two parameters, not inside a type
            cut = i
    head = signature[:cut] + ("…)" if signature[cut - 1] == "(" else ", …)")
    return head + (f" -> {returns}" if returns and len(returns) < 60 else "")


def extractive_summary(chunk: ParsedChunk) -> str:
    """Describe a chunk from what the code itself says: docstring, names, calls, raises, returns."""
    words = " ".join(identifier_words(chunk.qualname.replace(".", " ")))
    if chunk.kind == "module":
        parts = [f"Module preamble of {chunk.path}: imports and module-level definitions."]
        if chunk.facts.imports:
            parts.append("Imports: " + ", ".join(chunk.facts.imports[:12]) + ".")
    else:
        label = {"class": "Class"}.get(chunk.kind, "Function")
        parts = [f"{label} {chunk.qualname} ({words})."]
        if chunk.docstring:
            parts.append(first_sentence(chunk.docstring))
        parts.append(f"Signature: {short_signature(chunk.signature)}.")
    facts = chunk.facts
    if facts.decorators:
        parts.append("Decorated with " + ", ".join(facts.decorators[:5]) + ".")
    if facts.calls:
        parts.append("Calls " + ", ".join(facts.calls[:10]) + ".")
    if facts.raises:
        parts.append("Raises " + ", ".join(facts.raises[:5]) + ".")
    if facts.returns:
        parts.append("Returns a value.")
    if facts.yields:
        parts.append("Yields values (generator).")
    parts.append(EXTRACTIVE_NOTE)
    return " ".join(parts)


class ExtractiveSummarizer:
    """The summarizer with no model: free, instant, and labelled as such."""

    model_id = EXTRACTIVE

    def summarize(
        self, chunks: Sequence[ParsedChunk], *, on_progress: ProgressCallback | None = None
    ) -> list[Summary]:
        out = []
        for i, chunk in enumerate(chunks, 1):
            out.append(Summary(extractive_summary(chunk), EXTRACTIVE))
            if on_progress:
                on_progress(i, len(chunks))
        return out
