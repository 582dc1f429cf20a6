"""Generators turn a question and retrieved hits into an :class:`~rag.models.Answer`.

The :class:`Generator` protocol is what the engine and the Slack layer call; model-backed
generators (Bedrock, a local GGUF model) and the extractive one below all implement it.
Streaming is a callback: ``on_text`` receives each new piece of text as it arrives, which
is what lets Slack update its message while a model is still writing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from .analysis import has_hangul
from .fences import code_blocks as code_blocks  # re-exported: callers import it from here
from .models import Answer, Hit, Turn

if TYPE_CHECKING:
    from .codemap import CodeMap

TextCallback = Callable[[str], None]

EXTRACTIVE_LABEL = (
    "No language model is configured, so this answer was not generated: "
    "these are the indexed functions that best match the question."
)
EXTRACTIVE_LABEL_KO = (
    "언어 모델이 설정되어 있지 않아 생성된 답변이 아닙니다. "
    "질문과 가장 잘 맞는 색인된 함수들입니다."
)

_CITATION = re.compile(r"\[(\d{1,3})\]")


class Generator(Protocol):
    @property
    def model_id(self) -> str: ...

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        code_map: CodeMap | None = None,
    ) -> Answer:
        """Answer ``question`` from ``hits`` (numbered [1]..[n] in order) and the entries of
        ``code_map`` that fit its budget (numbered after them)."""
        ...

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up ("now make it async") into a question retrieval can use alone."""
        ...


def cited_numbers(text: str, n_refs: int) -> list[int]:
    """Reference numbers cited in ``text``, in order of first citation, within 1..n_refs."""
    seen: dict[int, None] = {}
    for m in _CITATION.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= n_refs:
            seen.setdefault(n, None)
    return list(seen)


class ExtractiveGenerator:
    """Answers without a model: quotes the best-matching functions, clearly labelled."""

    model_id = "extractive"

    def __init__(self, *, max_functions: int = 3) -> None:
        self.max_functions = max_functions

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        code_map: CodeMap | None = None,
    ) -> Answer:
        # No model reads a code map here: the answer quotes the best matches only.
        used = list(hits[: self.max_functions])
        # The answer follows the asker's language, even without a model to write it.
        parts = [EXTRACTIVE_LABEL_KO if has_hangul(question) else EXTRACTIVE_LABEL, ""]
        for n, hit in enumerate(used, 1):
            c = hit.chunk
            parts.append(f"[{n}] {c.display_path} · {c.qualname} ({c.lines})")
            if c.summary:
                parts.append(c.summary)
            parts.append(f"```python\n{c.code.rstrip()}\n```")
            parts.append("")
        text = "\n".join(parts).rstrip() + "\n"
        if on_text:
            on_text(text)
        cited = list(range(1, len(used) + 1))
        return Answer(
            text=text,
            code_blocks=code_blocks(text),
            references=tuple(hits),
            cited=frozenset(cited),
            model=self.model_id,
            generated=False,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        # Without a model, the best rewrite is to keep the earlier question's words too.
        if not history:
            return question
        return f"{history[-1].question} {question}"
