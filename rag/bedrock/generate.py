"""Answers from a Bedrock chat model through ``ConverseStream``, streamed as they arrive.

The generator behind :class:`rag.generate.Generator` when ``GENCODE_LLM=bedrock``. It
does not use the fan-out: an answer is one call, which fails over to the next region
only until its first token (see :class:`BedrockGenerator`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..codemap import CodeMap
from ..errors import InputError, LLMError
from ..generate import TextCallback
from ..models import Answer, Hit, Turn, Usage
from ..prompt import (
    NOTE_CUT,
    Prompt,
    build_prompt,
    clean_query,
    close_open_fence,
    make_answer,
    new_key,
    standalone_prompt,
    standalone_system,
)
from .client import BedrockClients, Failure, explain
from .thinking import Thinking

logger = logging.getLogger(__name__)

DEFAULT_CHAT_MODEL = "global.anthropic.claude-sonnet-5-5"

R = TypeVar("R")


@dataclass
class _Streamed:
    parts: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str = ""

    @property
    def text(self) -> str:
        return "".join(self.parts)


class BedrockGenerator:
    """Answers through ``ConverseStream`` (LangChain ``ChatBedrockConverse``), streamed.

    Calls start in the regions in turn; a throttle or outage *before the first token*
    moves the call to the next region after a short pause. Once text has arrived, a
    failure is not retried (the asker has already seen the text): the answer keeps what
    arrived, closes an open code fence, and says in ``notes`` that it was cut.
    """

    def __init__(
        self,
        clients: BedrockClients,
        *,
        model_id: str = DEFAULT_CHAT_MODEL,
        max_tokens: int = 4_096,
        max_input_tokens: int = 100_000,
        thinking: bool | None = None,
        thinking_headroom: int = 8_192,
        effort: str = "medium",
    ) -> None:
        self.clients = clients
        self._model_id = model_id
        self.max_tokens = max_tokens
        """Tokens for the answer's text; reasoning gets ``thinking_headroom`` on top."""
        self.max_input_tokens = max_input_tokens
        self.thinking = Thinking.for_model(
            model_id, enabled=thinking, effort=effort, headroom=thinking_headroom
        )
        """``thinking=None``: on for models that think by default (:func:`thinks_by_default`)."""
        self.rewrite_thinking = Thinking.for_model(
            model_id, enabled=thinking, effort="low", headroom=min(thinking_headroom, 2_048)
        )
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._next = itertools.count()

    @property
    def model_id(self) -> str:
        return self._model_id

    def _chat(
        self, region: str, *, max_tokens: int | None = None, thinking: Thinking | None = None
    ) -> Any:
        thinking = thinking or self.thinking
        budget = thinking.max_tokens(max_tokens or self.max_tokens)
        key = f"{region}:{budget}:{thinking.enabled}:{thinking.effort}"
        with self._lock:
            model = self._models.get(key)
            if model is None:
                from langchain_aws import ChatBedrockConverse

                runtime = self.clients.get(region)
                fields = thinking.converse_fields()
                model = ChatBedrockConverse(
                    model=self._model_id,
                    client=runtime,
                    # LangChain would build a control-plane client (0.5 s of JSON loading)
                    # that only application-inference-profile ids use.
                    bedrock_client=self.clients.control(region)
                    if "application-inference-profile" in self._model_id
                    else runtime,
                    region_name=region,
                    endpoint_url=self.clients.options.endpoint_url or None,  # type: ignore[call-arg]
                    max_tokens=budget,
                    additional_model_request_fields=fields.get("additionalModelRequestFields"),
                    output_config=fields.get("outputConfig"),
                )
                self._models[key] = model
            return model

    def _window(self, region: str) -> int:
        """The prompt budget: our cap, lowered to the model's window when LangChain knows it."""
        profile = getattr(self._chat(region), "profile", None) or {}
        window = profile.get("max_input_tokens") if isinstance(profile, dict) else None
        budget = self.max_input_tokens
        if isinstance(window, int) and window > 0:
            budget = min(budget, window - self.thinking.max_tokens(self.max_tokens))
        return max(budget, 1_000)

    def _regions(self) -> list[str]:
        regions = list(self.clients.options.regions)
        start = next(self._next) % len(regions)
        return regions[start:] + regions[:start]

    @staticmethod
    def _messages(prompt: Prompt) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        # The thread's history is inside prompt.user, fenced as data (see rag.prompt).
        return [SystemMessage(prompt.system), HumanMessage(prompt.user)]

    def _failover(self, attempt: Callable[[str], R], what: str) -> R:
        """Run ``attempt(region)`` over the regions until it works; LLMError when none does.

        Throttles and outages move on to the next region after a short, growing pause; a
        region that cannot serve the model is skipped; a refused request stops at once.
        """
        opts = self.clients.options
        regions = self._regions()
        last: tuple[Failure, BaseException] | None = None
        n = 0
        while n < opts.attempts and regions:
            region = regions[n % len(regions)]
            n += 1
            try:
                return attempt(region)
            except _CutStream:
                raise
            except Exception as error:
                failure = explain(error, model_id=self._model_id, region=region)
                last = (failure, error)
                logger.warning("%s failed in %s: %s", what, region, failure.message)
                if failure.kind == "item":
                    raise LLMError(failure.message) from error
                if failure.kind == "region":
                    regions.remove(region)
                    continue
                if n < opts.attempts:
                    time.sleep(min(opts.backoff_cap, opts.backoff_base * 2 ** (n - 1)))
        if last is None:
            raise LLMError(f"{what} with {self._model_id}: no Bedrock region is configured.")
        failure, exc = last
        if failure.kind == "region":
            raise LLMError(failure.message) from exc
        raise LLMError(
            f"{what} with {self._model_id} failed after {n} attempt(s): {failure.message} "
            "Try again in a minute, or add regions to BEDROCK_REGIONS."
        ) from exc

    def prompt(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        code_map: CodeMap | None = None,
    ) -> Prompt:
        """Exactly what :meth:`answer` sends (``gencode context`` prints it)."""
        first_region = self.clients.options.regions[0]
        return build_prompt(
            question,
            hits,
            history=history,
            max_input_tokens=self._window(first_region),
            code_map=code_map,
        )

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        on_text: TextCallback | None = None,
        code_map: CodeMap | None = None,
    ) -> Answer:
        if not question.strip():
            raise InputError("The question is empty: say what code you need.")
        prompt = self.prompt(question, hits, history=history, code_map=code_map)
        messages = self._messages(prompt)
        streamed = _Streamed()

        def attempt(region: str) -> _Streamed:
            chat = self._chat(region)
            try:
                for chunk in chat.stream(messages):
                    piece = chunk.text
                    if piece:
                        streamed.parts.append(piece)
                        if on_text is not None:
                            on_text(piece)
                    usage = getattr(chunk, "usage_metadata", None)
                    if usage:
                        streamed.input_tokens = int(usage.get("input_tokens", 0))
                        streamed.output_tokens = int(usage.get("output_tokens", 0))
                    stop = (chunk.response_metadata or {}).get("stopReason")
                    if stop:
                        streamed.stop_reason = str(stop)
            except Exception as exc:
                if streamed.parts:
                    raise _CutStream(exc) from exc
                raise
            return streamed

        notes: list[str] = []
        try:
            self._failover(attempt, "Answering")
        except _CutStream as cut:
            logger.warning("answer stream cut after %d chars: %s", len(streamed.text), cut.cause)
            notes.append(NOTE_CUT)
        text = streamed.text
        if not text.strip() and streamed.stop_reason == "max_tokens":
            raise LLMError(
                f"{self._model_id} used all {self.thinking.max_tokens(self.max_tokens):,} "
                "output tokens for reasoning and wrote no answer. Set BEDROCK_THINKING=adaptive "
                "if the model reasons by default, or raise BEDROCK_MAX_TOKENS."
            )
        if not text.strip():
            raise LLMError(
                f"{self._model_id} returned an empty answer. Try asking again, or rephrase "
                "the question."
            )
        if notes:
            text = close_open_fence(text)
        if streamed.stop_reason == "max_tokens":
            limit = self.thinking.max_tokens(self.max_tokens)
            notes.append(
                f"The answer reached the {limit:,}-token output limit and may be "
                "incomplete; ask for a smaller piece."
            )
        if streamed.input_tokens:
            # Calibrates Gencode's counting rule (rag/tokens.py) against what Bedrock bills.
            logger.info(
                "prompt counted %d tokens (map %d); Bedrock billed %d input tokens",
                prompt.tokens(),
                prompt.part("map"),
                streamed.input_tokens,
            )
        return make_answer(
            text,
            prompt,
            model=self._model_id,
            usage=Usage(streamed.input_tokens, streamed.output_tokens),
            notes=notes,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        from langchain_core.messages import HumanMessage, SystemMessage

        key = new_key()
        messages = [
            SystemMessage(standalone_system(key)),
            HumanMessage(standalone_prompt(question, history, key=key)),
        ]

        def attempt(region: str) -> str:
            reply = self._chat(region, max_tokens=200, thinking=self.rewrite_thinking).invoke(
                messages
            )
            return str(reply.text)

        fallback = f"{history[-1].question} {question}"
        try:
            rewritten = self._failover(attempt, "Rewriting the follow-up")
        except LLMError as exc:
            # Retrieval still works on the joined questions; the answer call will report
            # a lasting outage itself.
            logger.warning("follow-up rewrite failed, using the joined questions: %s", exc)
            return fallback
        return clean_query(rewritten, fallback)


class _CutStream(Exception):
    """Text had arrived when the stream failed: keep it, do not retry elsewhere."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause
