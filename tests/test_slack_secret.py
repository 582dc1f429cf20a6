"""The Slack secret, read over the wire from a loopback Secrets Manager at cold start."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.slack_secret import fetch_slack_secret, region_of, with_slack_secret
from rag.errors import ConfigError
from tests.aws_api import AwsAPI

ARN = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:gencode/slack-AbCdEf"
TOKEN = "xoxb-1-secret-token-value"
SIGNING = "signing-secret-value-0123"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsAPI]:
    api = AwsAPI().start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", api.url)
    yield api
    api.stop()


def secret(**values: str) -> str:
    return json.dumps(values)


class TestSlackSecret:
    def test_secret_values_reach_the_settings_environment(self, aws: AwsAPI) -> None:
        aws.secrets[ARN] = secret(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING)
        env = with_slack_secret({"SLACK_SECRET_ARN": ARN, "GENCODE_STORE": "sqlite"})
        assert env["SLACK_BOT_TOKEN"] == TOKEN and env["SLACK_SIGNING_SECRET"] == SIGNING
        assert env["GENCODE_STORE"] == "sqlite"
        (request,) = aws.requests
        # signed for the secret's own region, not AWS_REGION
        assert request.signed_for == ("ap-northeast-2", "secretsmanager")

    def test_without_an_arn_nothing_is_fetched(self, aws: AwsAPI) -> None:
        env = {"SLACK_BOT_TOKEN": TOKEN}
        assert with_slack_secret(env) is env
        assert aws.requests == []

    def test_values_never_reach_the_log(
        self, aws: AwsAPI, caplog: pytest.LogCaptureFixture
    ) -> None:
        aws.secrets[ARN] = secret(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING)
        with caplog.at_level(logging.DEBUG):  # botocore logs response bodies at DEBUG
            fetch_slack_secret(ARN)
        assert "Sending http request" in caplog.text and "read SLACK_BOT_TOKEN" in caplog.text
        assert TOKEN not in caplog.text and SIGNING not in caplog.text
        assert logging.getLogger("botocore.parsers").level == logging.NOTSET  # restored

    @pytest.mark.parametrize(
        ("stored", "expected"),
        [
            ("not json", "is not a JSON object"),
            ('["a list"]', "is not a JSON object"),
            (secret(SLACK_BOT_TOKEN=TOKEN), "lacks SLACK_SIGNING_SECRET"),
            (secret(SLACK_SIGNING_SECRET=SIGNING, SLACK_BOT_TOKEN=""), "lacks SLACK_BOT_TOKEN"),
            (
                secret(SLACK_BOT_TOKEN="REPLACE_ME", SLACK_SIGNING_SECRET="REPLACE_ME"),
                "still holds the placeholder for SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET",
            ),
            (
                secret(SLACK_BOT_TOKEN="xapp-1-app-token", SLACK_SIGNING_SECRET=SIGNING),
                "is not a bot token",
            ),
            (b"\x00binary", "has no text value"),
        ],
    )
    def test_malformed_secret_says_what_to_fix(
        self, aws: AwsAPI, stored: str | bytes, expected: str
    ) -> None:
        aws.secrets[ARN] = stored
        with pytest.raises(ConfigError, match=expected) as info:
            fetch_slack_secret(ARN)
        assert "xapp-1-app-token" not in str(info.value) and SIGNING not in str(info.value)

    def test_missing_secret_is_a_config_error(self, aws: AwsAPI) -> None:
        with pytest.raises(ConfigError, match="has no secret .*check SLACK_SECRET_ARN"):
            fetch_slack_secret(ARN)

    def test_denied_secret_names_the_permission(self, aws: AwsAPI) -> None:
        aws.secrets[ARN] = secret(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING)
        aws.denied.add(ARN)
        with pytest.raises(ConfigError, match="secretsmanager:GetSecretValue"):
            fetch_slack_secret(ARN)

    def test_unreachable_secrets_manager_is_a_config_error(
        self, aws: AwsAPI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:9")
        with pytest.raises(ConfigError, match="Could not read the Slack secret"):
            fetch_slack_secret(ARN)

    def test_region_comes_from_the_arn(self) -> None:
        assert region_of(ARN) == "ap-northeast-2"
        assert region_of("gencode/slack") is None
