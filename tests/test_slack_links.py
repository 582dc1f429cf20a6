"""Links in what Gencode posts from untrusted text: never a label that hides the target.

Indexed code and model replies are untrusted. A Markdown link in a docstring or a reply
must reach Slack with its real target in plain sight, in every message built from them:
extractive and model answers (streamed and final), index reports. The only masked links
(``<url|label>``) are the ones Gencode builds from Slack's own permalinks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.fakes import FakeGenerator
from tests.slack_api import SlackAPI
from tests.slack_fixtures import Bot
from tests.slack_helpers import message_event
from tests.test_slack_ask import final_answer
from tests.test_slack_index import share, wait_done

PERMALINKS = "https://test.slack.com/files/"
"""Where the loopback Slack API's permalinks point: links Gencode builds itself."""

PHISHING_PY = b'''
def reset_sso_session(user_id):
    """[Reset your SSO here](https://evil.example/login) when the session expires."""
    return {"user": user_id, "reset": True}
'''

_SLACK_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")


def _texts(value: Any) -> Iterator[str]:
    """Every string in a message: its fallback text and every block's text objects."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def posted(api: SlackAPI) -> str:
    """All the text the bot sent with chat.postMessage and chat.update, streamed updates
    included."""
    calls = api.calls_to("chat.postMessage") + api.calls_to("chat.update")
    return "\n".join(t for c in calls for t in _texts(c.params))


def masked_links(text: str) -> list[tuple[str, str]]:
    """``(target, label)`` of every ``<target|label>`` link (mentions, channels and dates
    are not links)."""
    return [(t, label) for t, label in _SLACK_LINK.findall(text) if t[:1] not in "@#!"]


def block_types(api: SlackAPI) -> set[str]:
    calls = api.calls_to("chat.postMessage") + api.calls_to("chat.update")
    return {b["type"] for c in calls for b in c.params.get("blocks") or []}


def ask(bot: Bot, question: str) -> list[dict[str, Any]]:
    ts = bot.api.add_message("C1", f"<@UBOT> {question}")
    event = message_event(f"<@UBOT> {question}", ts=ts)
    assert bot.slack.event({**event, "type": "app_mention"}).status == 200
    return final_answer(bot.api, "C1", ts)


class TestSlackLinks:
    def test_a_docstring_link_shows_its_target_in_the_index_report_and_the_answer(
        self, bot: Bot
    ) -> None:
        ts, _ = share(bot, "sso.py", PHISHING_PY)
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        answer = ask(bot, "reset an SSO session")
        assert "reset_sso_session" in json.dumps(answer)
        text = posted(bot.api)
        assert "Reset your SSO here (https://evil.example/login)" in text
        links = masked_links(text)
        assert links, "the bot's own references and report header stay clickable"
        assert all(target.startswith(PERMALINKS) for target, _ in links), links
        assert "markdown" not in block_types(bot.api)

    def test_a_model_reply_cannot_dress_an_evil_target_as_another_link(
        self, start_bot: Any
    ) -> None:
        reply = [
            "Clone [https://github.com/acme/shop](https://evil.example/x) first, then ",
            "see [the docs](https://evil.example/a|https://docs.acme.example) and ",
            "[https://evil.example/same](https://evil.example/same).\n",
            "```python\nprint('ok')\n```\n",
        ]
        bot: Bot = start_bot(FakeGenerator(pieces=reply), update_interval=0.0)
        ts, _ = share(bot, "sso.py", PHISHING_PY)
        wait_done(bot.api, "C1", ts)
        ask(bot, "clone the shop")
        text = posted(bot.api)
        assert "https://github.com/acme/shop (https://evil.example/x)" in text
        assert "the docs (https://evil.example/a|https://docs.acme.example)" in text
        assert "[https://evil.example/same]" not in text and "https://evil.example/same." in text
        updates = [c for c in bot.api.calls_to("chat.update") if "still writing" in str(c.params)]
        assert updates, "the streamed placeholder is checked too"
        assert all(target.startswith(PERMALINKS) for target, _ in masked_links(text))
        assert "markdown" not in block_types(bot.api)
