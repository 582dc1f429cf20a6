"""Amazon Bedrock behind Gencode's three model seams: summaries, embeddings, answers.

- :class:`BedrockSummarizer`: one bilingual summary per chunk through ``Converse``, fanned
  out over ``BEDROCK_REGIONS`` by :class:`FanOut`.
- :class:`BedrockEmbedder`: Titan Text Embeddings V2 through ``InvokeModel``, same fan-out.
- :class:`BedrockGenerator`: ``ConverseStream`` through LangChain's ``ChatBedrockConverse``,
  streamed to a callback, with failover to the next region before the first token.

One module per concern, each importing only from the ones listed before it:

- :mod:`rag.bedrock.thinking`: what a request says about reasoning (:class:`Thinking`);
- :mod:`rag.bedrock.client`: options, one client per region, and :func:`explain`, which
  turns every botocore failure into a message that says what to change;
- :mod:`rag.bedrock.fanout`: :class:`FanOut`, and why it replaces botocore's retries;
- :mod:`rag.bedrock.summarize`, :mod:`rag.bedrock.embed`, :mod:`rag.bedrock.generate`:
  the three seams above.

Callers import from here (``bot/services.py`` builds the three from settings): ``__all__``
is the package's public surface, and every other name is internal to its module.
"""

from .client import (
    DEFAULT_CONCURRENCY,
    BedrockClients,
    BedrockOptions,
    credentials_problem,
    explain,
    regions_from,
)
from .embed import DEFAULT_EMBED_DIM, DEFAULT_EMBED_MODEL, BedrockEmbedder
from .fanout import FanOut, Outcome
from .generate import DEFAULT_CHAT_MODEL, BedrockGenerator
from .summarize import DEFAULT_SUMMARY_MODEL, BedrockSummarizer, summary_request
from .thinking import thinks_by_default

__all__ = [
    "DEFAULT_CHAT_MODEL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_EMBED_DIM",
    "DEFAULT_EMBED_MODEL",
    "DEFAULT_SUMMARY_MODEL",
    "BedrockClients",
    "BedrockEmbedder",
    "BedrockGenerator",
    "BedrockOptions",
    "BedrockSummarizer",
    "FanOut",
    "Outcome",
    "credentials_problem",
    "explain",
    "regions_from",
    "summary_request",
    "thinks_by_default",
]
