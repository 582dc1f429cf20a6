"""What a Bedrock request says about reasoning, for the summarizer and the generator alike.

The Claude 5 models think unless told otherwise, and their reasoning tokens count against
``maxTokens``; other models refuse a ``thinking`` field. Both callers therefore state
thinking explicitly, through :class:`Thinking`, instead of leaving it to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_THINKS_BY_DEFAULT = re.compile(r"claude-(?:sonnet|opus|haiku|fable)-5(?![0-9])")


def thinks_by_default(model_id: str) -> bool:
    """Whether a model reasons before it writes unless told otherwise.

    The Claude 5 families (Sonnet, Opus, Haiku and Fable 5 and 5.x) run adaptive thinking
    when a request says nothing about it, and Sonnet 5.5 refuses ``thinking: disabled``;
    langchain-aws's ``thinking_on_by_default`` lists the same families. Reasoning tokens
    count against ``maxTokens``, so such a model needs room to think before it writes.
    """
    return bool(_THINKS_BY_DEFAULT.search(model_id))


@dataclass(frozen=True)
class Thinking:
    """What a request says about reasoning, stated explicitly rather than left to defaults.

    For a model that thinks by default: thinking stays on (``adaptive``: disabling it is
    refused by some), the Converse ``outputConfig.effort`` keeps it short, and
    ``headroom`` tokens are added to ``maxTokens`` so that reasoning cannot eat the
    budget meant for the text. For other models nothing is sent: a ``thinking`` field is
    an error for models that do not know it.
    """

    enabled: bool
    effort: str = "low"
    """``low``, ``medium``, ``high``, ``xhigh`` or ``max`` (botocore's OutputConfig)."""
    headroom: int = 2_048

    @classmethod
    def for_model(
        cls,
        model_id: str,
        *,
        enabled: bool | None = None,
        effort: str = "low",
        headroom: int = 2_048,
    ) -> Thinking:
        on = thinks_by_default(model_id) if enabled is None else enabled
        return cls(enabled=on, effort=effort, headroom=headroom if on else 0)

    def max_tokens(self, text_tokens: int) -> int:
        """The ``maxTokens`` to send for ``text_tokens`` of text."""
        return text_tokens + self.headroom

    def converse_fields(self) -> dict[str, Any]:
        """Extra keyword arguments for ``converse`` / ``converse_stream``."""
        if not self.enabled:
            return {}
        return {
            "additionalModelRequestFields": {"thinking": {"type": "adaptive"}},
            "outputConfig": {"effort": self.effort},
        }


class ReasoningOnly(Exception):
    """The model spent its whole output budget reasoning and wrote no text.

    Retrying elsewhere gives the same result, so this fails the item at once with a
    message that says how to make room; it is never silently an extractive summary.
    """
