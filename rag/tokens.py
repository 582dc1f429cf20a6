"""How Gencode counts tokens: one rule, used both to pack a prompt and to report it.

Why a rule and not a tokenizer: the product's models are Claude on Bedrock, and no
tokenizer for them ships offline. The only Claude tokenizer published in a package (the
Claude 2 BPE inside ``anthropic`` 0.34's wheel) is not the one Claude 3 and later use, and
would add a native dependency to a Lambda bundle already near its size limit. So a count
here is ``ceil(UTF-8 bytes / 3)``: three bytes a token, one Hangul syllable a token.

It errs high on purpose: measured against that Claude 2 BPE, English prose and Python
count about 1.2-1.4x more here, Korean about the same (``python -m bench.context``,
bench/README.md), so a prompt packed to N tokens by this rule stays inside N real tokens.
Operators with a Bedrock account can compare it with what Bedrock bills: every answer logs
``counted`` beside the usage Bedrock returned (:mod:`rag.bedrock.generate`).

"Exact accounting" means: each part of a prompt (system, history, references, code map,
question, framing) is counted on its exact text, the parts partition the prompt, and the
total reported is their sum; the packer spends the same counts it reports.
"""

from __future__ import annotations

BYTES_PER_TOKEN = 3


def count_tokens(text: str) -> int:
    """Tokens in ``text`` by Gencode's rule: ``ceil(UTF-8 bytes / 3)`` (0 for "")."""
    return -(-len(text.encode("utf-8")) // BYTES_PER_TOKEN)


def chars_within(text: str, tokens: int) -> str:
    """The longest prefix of ``text`` that counts at most ``tokens`` (never splitting a
    character): what fits when a part must be shortened to its room."""
    if tokens <= 0:
        return ""
    data = text.encode("utf-8")[: tokens * BYTES_PER_TOKEN]
    return data.decode("utf-8", "ignore")
