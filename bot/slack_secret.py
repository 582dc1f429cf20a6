"""Slack credentials from AWS Secrets Manager, read once when a Lambda container starts.

Why not environment variables filled at deploy time: ``${ssm:…}`` makes ``serverless
package`` call AWS, and the values would then sit in the function's configuration, readable
by anyone allowed ``lambda:GetFunctionConfiguration``. Instead the function gets only the
secret's ARN (``SLACK_SECRET_ARN``) and reads the JSON text
``{"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"}`` at cold start.

Values are never logged nor put in an error message. A warm container keeps the values it
read: after changing the secret, recycle the containers (see ``infra/README.md``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rag.errors import ConfigError

logger = logging.getLogger(__name__)

SECRET_ARN_VAR = "SLACK_SECRET_ARN"
KEYS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
OPTIONAL_KEYS = ("GENCODE_GIT_TOKEN", "GENCODE_GIT_TOKENS", "GENCODE_GIT_WEBHOOK_SECRET")
"""Also read when present: the token for private git repositories and the webhook secret
(repositories kept in sync), so they never sit in the function's configuration either."""
PLACEHOLDER = "REPLACE_ME"
"""What ``serverless deploy`` once wrote into the secret it creates (stacks deployed before
the secret was created empty may still hold it)."""

_EXAMPLE = '{"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_SIGNING_SECRET": "…"}'


def region_of(secret_id: str) -> str | None:
    """The region inside a secret ARN (``arn:aws:secretsmanager:REGION:…``), else ``None``.

    A secret lives in one region; reading it from another fails with a misleading
    ``ResourceNotFoundException``, so the ARN's region wins over ``AWS_REGION``.
    """
    parts = secret_id.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "secretsmanager" and parts[3]:
        return parts[3]
    return None


def _client(secret_id: str) -> Any:
    """A ``secretsmanager`` client in the secret's region.

    boto3 honours ``AWS_ENDPOINT_URL_SECRETS_MANAGER``, which the tests point at a loopback
    server. Short timeouts: this runs inside Slack's 3-second window for the first request.
    """
    import boto3
    from botocore.config import Config

    return boto3.client(
        "secretsmanager",
        region_name=region_of(secret_id),
        config=Config(
            connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"}
        ),
    )


def fetch_slack_secret(secret_id: str, *, client: Any = None) -> dict[str, str]:
    """Read and check the Slack secret; :class:`ConfigError` says what to fix.

    ``client`` is a boto3 ``secretsmanager`` client; by default one is built in the
    secret's region.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        with _quiet_botocore_parsers():
            response = (client or _client(secret_id)).get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        raise ConfigError(_client_error_message(secret_id, code, error.get("Message", ""))) from exc
    except BotoCoreError as exc:
        raise ConfigError(
            f"Could not read the Slack secret {secret_id} from Secrets Manager: {exc}"
        ) from exc
    text = response.get("SecretString")
    if not isinstance(text, str):
        raise ConfigError(
            f"The Slack secret {secret_id} has no text value (SecretString): store it as "
            f"JSON text, {_EXAMPLE}."
        )
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError(
            f"The Slack secret {secret_id} is not a JSON object: its value must look like "
            f"{_EXAMPLE}."
        )
    values = {key: str(data.get(key) or "").strip() for key in KEYS}
    missing = [key for key, value in values.items() if not value]
    if missing:
        raise ConfigError(
            f"The Slack secret {secret_id} lacks {' and '.join(missing)}: its value must look "
            f"like {_EXAMPLE}."
        )
    placeholders = [key for key, value in values.items() if value == PLACEHOLDER]
    if placeholders:
        raise ConfigError(
            f"The Slack secret {secret_id} still holds the placeholder for "
            f"{' and '.join(placeholders)}: put the app's bot token (OAuth & Permissions) and "
            "signing secret (Basic Information) in it, as described in infra/README.md."
        )
    if not values["SLACK_BOT_TOKEN"].startswith("xoxb-"):
        raise ConfigError(
            f"SLACK_BOT_TOKEN in the Slack secret {secret_id} is not a bot token: use the "
            "one starting with xoxb- (OAuth & Permissions), not a user or app-level token."
        )
    optional = {key: str(data.get(key) or "").strip() for key in OPTIONAL_KEYS}
    values.update({key: value for key, value in optional.items() if value})
    logger.info("read %s from the Slack secret %s", ", ".join(sorted(values)), secret_id)
    return values


@contextmanager
def _quiet_botocore_parsers() -> Iterator[None]:
    """botocore logs every response body at DEBUG, the secret's value included: keep that
    logger at INFO or above while the secret is read (cold start is single-threaded)."""
    parsers = logging.getLogger("botocore.parsers")
    level = parsers.level
    parsers.setLevel(max(level, logging.INFO))
    try:
        yield
    finally:
        parsers.setLevel(level)


def _client_error_message(secret_id: str, code: str, message: str = "") -> str:
    if code == "ResourceNotFoundException" and "secret value" in message:
        # The secret serverless.yml creates has no value until the operator puts one: the
        # template holds none, so no stack update can overwrite the real tokens.
        return (
            f"The Slack secret {secret_id} has no value yet: put the app's bot token "
            "(OAuth & Permissions) and signing secret (Basic Information) in it, "
            f"{_EXAMPLE}, as described in infra/README.md."
        )
    if code == "ResourceNotFoundException":
        return (
            f"Secrets Manager has no secret {secret_id} (or it is scheduled for deletion): "
            f"check {SECRET_ARN_VAR}, or deploy the stack that creates it."
        )
    if code in ("AccessDeniedException", "AccessDenied"):
        return (
            f"Access to the Slack secret {secret_id} was denied: the function's role needs "
            "secretsmanager:GetSecretValue on it (and kms:Decrypt if the secret uses a "
            "customer-managed KMS key)."
        )
    if code == "DecryptionFailure":
        return (
            f"Secrets Manager could not decrypt the Slack secret {secret_id}: the function's "
            "role needs kms:Decrypt on the secret's KMS key."
        )
    return f"Could not read the Slack secret {secret_id} from Secrets Manager ({code or 'error'})."


def with_slack_secret(env: Mapping[str, str], *, client: Any = None) -> Mapping[str, str]:
    """``env`` with the secret's keys on top when ``SLACK_SECRET_ARN`` is set, else ``env``.

    The result feeds :meth:`bot.config.Settings.from_env`; ``os.environ`` is not changed.
    """
    secret_id = env.get(SECRET_ARN_VAR, "").strip()
    if not secret_id:
        return env
    return {**env, **fetch_slack_secret(secret_id, client=client)}
