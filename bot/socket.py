"""``gencode socket``: the same app over Socket Mode (``SLACK_APP_TOKEN``, xapp-…).

No public URL and no signing secret are needed. Socket Mode's ``retry_attempt`` reaches
the app as the usual retry headers, so the same dedupe applies.
"""

from __future__ import annotations

from slack_bolt import App

from rag import ConfigError


def check_app_token(app_token: str) -> None:
    if not app_token.startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN is not set (or is not an app-level token, xapp-…): create one "
            "with the connections:write scope under Basic Information → App-Level Tokens."
        )


def socket_mode_handler(app: App, app_token: str) -> object:
    check_app_token(app_token)
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)


def run(app: App, app_token: str) -> None:
    """Connect and block until interrupted."""
    handler = socket_mode_handler(app, app_token)
    handler.start()  # type: ignore[attr-defined]
