"""Rendering rules and throttling, without Slack."""

from __future__ import annotations

import json

from handlers.ask import StreamUpdater
from handlers.render import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    escape,
    feedback_value,
    pack,
    section,
    split_text,
    streaming_text,
    to_mrkdwn,
)
from handlers.runtime import Deduper, question_text


class TestSlackRender:
    def test_escape_only_the_three_control_characters(self) -> None:
        assert escape("a & b < c > d *e*") == "a &amp; b &lt; c &gt; d *e*"

    def test_markdown_becomes_mrkdwn_and_fences_lose_their_language(self) -> None:
        text = "# Title\n- **bold** item\n```python\nx = a<b\n```"
        assert to_mrkdwn(text) == "*Title*\n• *bold* item\n```\nx = a&lt;b\n```"

    def test_split_text_respects_the_limit_and_cuts_at_lines(self) -> None:
        text = "\n".join(f"line {i} " + "x" * 50 for i in range(200))
        pieces = split_text(text)
        assert all(len(p) <= SECTION_LIMIT for p in pieces)
        assert all(p.startswith("line ") for p in pieces)
        assert all(len(p) <= 100 for p in split_text("y" * 1000, 100))

    def test_pack_keeps_block_count_and_size_and_tail_together(self) -> None:
        blocks = [section("z" * 2000) for _ in range(30)] + [section("w") for _ in range(120)]
        tail = [{"type": "divider"}, section("refs")]
        msgs = pack(blocks, tail=tail)
        assert all(len(m.blocks) <= MAX_BLOCKS for m in msgs)
        assert all(len(json.dumps(m.blocks)) <= 13_000 for m in msgs)
        assert msgs[-1].blocks[-2:] == tuple(tail)
        assert sum(len(m.blocks) for m in msgs) == 152

    def test_streaming_text_balances_fences_and_keeps_the_tail(self) -> None:
        shown = streaming_text("intro\n```python\n" + "x = 1\n" * 1000)
        assert shown.count("```") % 2 == 0
        assert shown.startswith("…") and len(shown) < SECTION_LIMIT + 100

    def test_feedback_value_fits_in_a_button(self) -> None:
        value = feedback_value("q" * 5000 + "한국어" * 500, "1.2", ["a" * 32] * 6)
        assert len(value) <= 2000
        assert json.loads(value)["r"] == ["a" * 32] * 6

    def test_question_text_strips_the_mention_and_decodes_entities(self) -> None:
        assert (
            question_text("<@UBOT> a &lt;b&gt; see <https://x.io|docs>", "UBOT")
            == "a <b> see docs (https://x.io)"
        )


class TestSlackThrottle:
    def test_updates_at_most_once_per_interval(self) -> None:
        now = [0.0]
        pushed: list[str] = []
        up = StreamUpdater(pushed.append, interval=1.0, clock=lambda: now[0], started=0.0)
        for _ in range(50):  # 50 pieces over 5 s
            now[0] += 0.1
            up.feed("tok ")
        assert 4 <= len(pushed) <= 5
        assert "tok" in pushed[-1]

    def test_single_piece_from_an_extractive_answer_is_not_pushed_early(self) -> None:
        pushed: list[str] = []
        up = StreamUpdater(pushed.append, interval=1.0, clock=lambda: 0.2, started=0.0)
        up.feed("whole answer")
        assert pushed == []  # the final render replaces the placeholder


class TestSlackDedupe:
    def test_claim_is_true_once_until_expiry(self) -> None:
        now = [0.0]
        d = Deduper(ttl=10, clock=lambda: now[0])
        assert d.claim("a") and not d.claim("a")
        now[0] = 11
        assert d.claim("a")
