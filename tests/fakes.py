"""A fake *model* (allowed): a Generator that streams scripted text and records its calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag import Answer, Hit, LLMError, Turn
from rag.codemap import CodeMap
from rag.generate import TextCallback, cited_numbers, code_blocks
from rag.prompt import build_prompt


@dataclass
class FakeGenerator:
    pieces: list[str] = field(
        default_factory=lambda: ["Here you go [1]:\n", "```python\nprint('hi')\n```\n"]
    )
    delay: float = 0.0
    gate: threading.Event | None = None
    """When set, every answer waits for it: a model that is still writing."""
    fail: bool = False
    model_id: str = "fake-model"
    calls: list[dict[str, object]] = field(default_factory=list)
    rewrites: list[tuple[str, tuple[Turn, ...]]] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)
    """Scripted replies, one per call (a first draft, then its repair); then ``pieces``."""

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        code_map: CodeMap | None = None,
    ) -> Answer:
        self.calls.append(
            {
                "question": question,
                "history": tuple(history),
                "hits": list(hits),
                "code_map": code_map,
            }
        )
        if self.gate is not None and not self.gate.wait(timeout=30):
            raise LLMError("the test never opened the gate")
        if self.fail:
            raise LLMError("the model is down (token xoxb-secret-should-not-leak)")
        text = ""
        for piece in self.replies.pop(0) if self.replies else self.pieces:
            if self.delay:
                time.sleep(self.delay)
            text += piece
            if on_text:
                on_text(piece)
        # What a model would have been shown: the real prompt's references and code map.
        shown = build_prompt(question, hits, history=history, code_map=code_map)
        references = shown.references if code_map is not None else tuple(hits)
        return Answer(
            text=text,
            code_blocks=code_blocks(text),
            references=references,
            cited=frozenset(cited_numbers(text, len(references) + len(shown.code_map))),
            model=self.model_id,
            generated=True,
            code_map=shown.code_map,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        self.rewrites.append((question, tuple(history)))
        return f"{history[-1].question} {question}" if history else question
