from __future__ import annotations

import os

import pytest

from tests.slack_fixtures import Bot, bot, embedder, make_engine, slack_api, start_bot

__all__ = ["Bot", "bot", "embedder", "make_engine", "slack_api", "start_bot"]


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No SLACK_* or GENCODE_* from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith(("SLACK_", "GENCODE_")):
            monkeypatch.delenv(key)
