"""The verification line under an answer's code, through the real Bolt app and Slack API."""

from __future__ import annotations

from typing import Any

from tests.fakes import FakeGenerator
from tests.slack_fixtures import Bot
from tests.test_slack_ask import final_answer, seed

BAD = "Use [1]:\n\n```python\nupload_with_retry(client, 'a.txt', 5)\n```\n"
GOOD = "Use [1]:\n\n```python\nupload_with_retry(client, 'a.txt', attempts=5)\n```\n"


def contexts(msgs: list[dict[str, Any]]) -> list[str]:
    return [
        e["text"]
        for m in msgs
        for b in m.get("blocks", [])
        if b["type"] == "context"
        for e in b["elements"]
    ]


def ask(bot: Bot, question: str) -> list[dict[str, Any]]:
    seed(bot)
    bot.slack.command(question)
    root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
    return final_answer(bot.api, "C1", root)


class TestSlackVerificationLine:
    def test_repaired_answer_says_so_and_the_placeholder_showed_the_repair(
        self, start_bot: Any
    ) -> None:
        gen = FakeGenerator(replies=[[BAD], [GOOD]])
        bot = start_bot(gen, update_interval=0.0)
        msgs = ask(bot, "upload with retry")
        text = "\n".join(m["text"] for m in msgs)
        assert "attempts=5" in text and "'a.txt', 5)" not in text
        (line,) = [c for c in contexts(msgs) if "Repaired" in c]
        assert line == (
            "🔧 Repaired once after the checks caught: `upload_with_retry()` takes 2 positional "
            "arguments, 3 given (line 1). Now ✅ parses · names resolve · 1 call match your "
            "team's functions"
        )
        shown = [u.params["text"] for u in bot.api.calls_to("chat.update")]
        assert any("asking the model to fix it" in t for t in shown)
        assert len(gen.calls) == 2

    def test_answer_still_failing_is_flagged_in_korean_for_a_korean_question(
        self, start_bot: Any
    ) -> None:
        gen = FakeGenerator(replies=[[BAD], [BAD]])
        bot = start_bot(gen)
        msgs = ask(bot, "재시도하며 업로드하는 코드")
        (line,) = [c for c in contexts(msgs) if "⚠️" in c]
        assert line == (
            "⚠️ 한 번 고친 뒤에도 검증 실패: `upload_with_retry()`은(는) 위치 인자를 2개 받는데 "
            "3개를 넘김 (1행)"
        )

    def test_verified_answer_in_english(self, start_bot: Any) -> None:
        bot = start_bot(FakeGenerator(replies=[[GOOD]]))
        msgs = ask(bot, "upload with retry")
        assert "✅ parses · names resolve · 1 call match your team's functions" in contexts(msgs)

    def test_extractive_answer_claims_no_verification(self, bot: Bot) -> None:
        msgs = ask(bot, "upload with retry")
        lines = contexts(msgs)
        assert (
            "ℹ️ Quoted verbatim from your indexed code: not written by a model, so not checked."
            in lines
        )
        assert not any("✅" in c for c in lines)

    def test_code_nested_too_deeply_still_gets_a_check_line(self, start_bot: Any) -> None:
        # 20,000 attribute accesses deep: the check raised RecursionError, and the answer
        # went out with no line at all.
        deep = "Use [1]:\n\n```python\nx = client" + ".next" * 20_000 + "\n```\n"
        gen = FakeGenerator(replies=[[deep], [deep]])
        bot = start_bot(gen)
        msgs = ask(bot, "upload with retry")
        (line,) = [c for c in contexts(msgs) if "⚠️" in c]
        assert line == (
            "⚠️ still failing after one repair: the code is nested too deeply for Python to "
            "compile (line 1)"
        )
        assert "nested too deeply" in str(gen.calls[1]["question"])
