"""Fixtures for the Bedrock tests: dummy AWS credentials only, and the loopback server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bedrock_server import AWS_TEST_ENV, AWS_VARIABLES, BedrockServer


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy keys (SigV4 still signs for real) and no way to find the developer's own."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def bedrock_server() -> Iterator[BedrockServer]:
    with BedrockServer() as s:
        yield s
