"""👍/👎 clicks are recorded with question, answer and references, quietly."""

from __future__ import annotations

import json

from tests.slack_fixtures import Bot
from tests.test_slack_ask import final_answer, seed


class TestSlackFeedback:
    def test_click_is_recorded_in_the_store_and_acknowledged_ephemerally(self, bot: Bot) -> None:
        seed(bot)
        bot.slack.command("upload with retry")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        msgs = final_answer(bot.api, "C1", root)
        last = msgs[-1]
        actions = next(b for b in last["blocks"] if b["type"] == "actions")
        down = actions["elements"][1]
        payload = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "test"},
            "user": {"id": "U2", "name": "bob"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t1",
            "channel": {"id": "C1", "name": "general"},
            "container": {
                "type": "message",
                "message_ts": last["ts"],
                "channel_id": "C1",
                "is_ephemeral": False,
            },
            "message": last,
            "response_url": bot.api.url + "/response/2",
            "actions": [
                {
                    "type": "button",
                    "action_id": down["action_id"],
                    "block_id": actions["block_id"],
                    "value": down["value"],
                    "action_ts": "1.2",
                }
            ],
        }
        reply = bot.slack.action(payload)
        assert reply.status == 200 and reply.body == ""
        (eph,) = bot.api.wait_calls("chat.postEphemeral")
        assert eph.params["user"] == "U2" and "feedback was recorded" in eph.params["text"]
        assert eph.params["thread_ts"] == root
        (fb,) = bot.engine.store.feedback()  # type: ignore[attr-defined]
        assert (
            fb.vote == -1 and fb.user == "U2" and fb.workspace == "T1" and fb.conversation == "C1"
        )
        assert fb.question == "upload with retry"
        assert "def upload_with_retry" in fb.answer
        value = json.loads(down["value"])
        assert list(fb.reference_ids) == value["r"] and len(fb.reference_ids) >= 1
        assert fb.verdict == "extractive"  # the answer's verdict, beside the vote
        # nothing visible was posted for the click
        assert len(bot.api.calls_to("chat.postMessage")) == 2
