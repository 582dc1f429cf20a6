"""BedrockEmbedder (Titan Text Embeddings V2 through InvokeModel) against the loopback bedrock_server."""

from __future__ import annotations

import json

import numpy as np
import pytest
from botocore.stub import Stubber

from rag import ConfigError, LLMError
from rag.bedrock import BedrockClients, BedrockEmbedder, BedrockOptions, explain
from tests.bedrock_server import BedrockServer

pytestmark = pytest.mark.usefixtures("aws_env")

REGIONS = ("us-east-1", "us-west-2")


def embedder(bedrock_server: BedrockServer, **kwargs: object) -> BedrockEmbedder:
    options = BedrockOptions(
        regions=REGIONS, endpoint_url=bedrock_server.url, backoff_base=0.01, backoff_cap=0.02
    )
    return BedrockEmbedder(BedrockClients(options), **kwargs)  # type: ignore[arg-type]


def test_titan_v2_vectors_are_normalized_float32_in_input_order(
    bedrock_server: BedrockServer,
) -> None:
    texts = [f"upload file number {i} to s3" for i in range(10)] + ["delete a user"]

    vectors = embedder(bedrock_server).embed_documents(texts)

    assert vectors.shape == (11, 1024) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    bodies = [r.body for r in bedrock_server.calls("invoke")]
    assert all(b["dimensions"] == 1024 and b["normalize"] is True for b in bodies)
    assert {r.model_id for r in bedrock_server.calls("invoke")} == {"amazon.titan-embed-text-v2:0"}
    # Row i is text i: similar texts are near, the odd one out is far.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[10]
    assert {r.region for r in bedrock_server.calls("invoke")} == set(REGIONS)


def test_query_embedding_uses_the_configured_dimensions(bedrock_server: BedrockServer) -> None:
    emb = embedder(bedrock_server, dim=256)

    vector = emb.embed_query("retry an upload")

    assert emb.dim == 256 and vector.shape == (256,)
    assert bedrock_server.calls("invoke")[0].body["inputText"] == "retry an upload"


def test_unsupported_dimensions_are_a_config_error(bedrock_server: BedrockServer) -> None:
    with pytest.raises(ConfigError, match="256, 512 or 1024"):
        embedder(bedrock_server, dim=768)


def test_throttled_embeddings_fail_over(bedrock_server: BedrockServer) -> None:
    bedrock_server.region("us-east-1").throttle_rate = 1.0

    vectors = embedder(bedrock_server).embed_documents(["a b", "c d", "e f", "g h"])

    assert vectors.shape == (4, 1024)


def test_embedding_that_fails_for_good_raises_with_the_reason(
    bedrock_server: BedrockServer,
) -> None:
    bedrock_server.default.malformed = True

    with pytest.raises(LLMError, match="failed for 2 of 2 texts; nothing was written"):
        embedder(bedrock_server).embed_documents(["a", "b"])


def test_explain_turns_botocore_errors_into_fixes() -> None:
    import boto3

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error(
            "invoke_model",
            service_error_code="ValidationException",
            service_message="Invocation of model ID x with on-demand throughput isn't supported.",
            http_status_code=400,
        )
        stub.add_client_error(
            "invoke_model",
            service_error_code="ValidationException",
            service_message="Input is too long for requested model.",
            http_status_code=400,
        )
        failures = []
        for _ in range(2):
            try:
                client.invoke_model(modelId="x", body=json.dumps({"inputText": "a"}))
            except Exception as exc:
                failures.append(explain(exc, model_id="x", region="us-east-1"))

    assert failures[0].kind == "region" and "inference profile" in failures[0].message
    assert failures[1].kind == "item" and "too long" in failures[1].message
