"""Embeddings from Amazon Titan Text Embeddings V2 on Bedrock (``InvokeModel``).

The embedder behind :class:`rag.embed.Embedder` when ``GENCODE_EMBEDDER=bedrock``. Titan
takes one text per call, so a batch is many calls spread over the regions by
:class:`~rag.bedrock.fanout.FanOut`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..embed import Matrix, Vector, normalise
from ..errors import ConfigError, LLMError
from .client import BedrockClients, MalformedOutput
from .fanout import FanOut

DEFAULT_EMBED_MODEL = "amazon.titan-embed-text-v2:0"
DEFAULT_EMBED_DIM = 1024


class BedrockEmbedder:
    """Amazon Titan Text Embeddings V2 (``InvokeModel``), one call per text, fanned out.

    Titan V2 embeds one text per call, so a batch is many calls in flight over the
    regions. Embeddings are all-or-nothing: a text that fails for good raises
    :class:`~rag.errors.LLMError`, and the engine then writes nothing for that file.
    """

    MAX_CHARS = 20_000
    """Titan V2 takes up to 8k tokens; our embedding texts are a name, signature, summary."""

    def __init__(
        self,
        clients: BedrockClients,
        *,
        model_id: str = DEFAULT_EMBED_MODEL,
        dim: int = DEFAULT_EMBED_DIM,
    ) -> None:
        if dim not in (256, 512, 1024):
            raise ConfigError(
                f"BEDROCK_EMBED_DIM must be 256, 512 or 1024 for Titan V2, not {dim}."
            )
        self._model_id = model_id
        self._dim = dim
        self.fanout = FanOut(clients, model_id=model_id)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def _call(self, client: Any, text: str) -> list[float]:
        body = json.dumps(
            {"inputText": text[: self.MAX_CHARS] or " ", "dimensions": self._dim, "normalize": True}
        )
        response = client.invoke_model(
            modelId=self._model_id,
            body=body,
            contentType="application/json",
            accept="application/json",
        )
        try:
            payload = json.loads(response["body"].read())
            vector = payload["embedding"]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedOutput("no embedding in the response") from exc
        if not isinstance(vector, list) or len(vector) != self._dim:
            raise MalformedOutput(f"expected {self._dim} numbers, got {type(vector).__name__}")
        return [float(x) for x in vector]

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        outcomes = self.fanout.run(texts, self._call)
        failed = [o for o in outcomes if o.error]
        if failed:
            raise LLMError(
                f"Embedding with {self._model_id} failed for {len(failed)} of {len(texts)} "
                f"texts; nothing was written. First error: {failed[0].error}"
            )
        return normalise([o.value for o in outcomes if o.value is not None])

    def embed_query(self, text: str) -> Vector:
        vector: Vector = self.embed_documents([text])[0]
        return vector
