"""Limits that keep one share from growing the index, memory and time without bound.

A 940 KB file of 47,000 one-line functions made a 213 MB database; a 351 KB zip of three
such files took 92 s and 666 MB of memory for 135,000 definitions. Now:

- a file of more than ``GENCODE_MAX_DEFINITIONS_PER_FILE`` definitions (5,000) is refused
  on its own, and its earlier version stays;
- a repository of more than ``GENCODE_MAX_DEFINITIONS_PER_SHARE`` (20,000) is refused
  whole, before anything of it is written;
- a repository that takes longer than ``GENCODE_ARCHIVE_TIME_BUDGET`` (30 minutes by
  default, on every platform) stops between files and says how far it got
  (tests/test_slack_repositories.py).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from bot.config import Settings
from rag import Engine, Scope, Source
from rag.errors import TooManyDefinitions
from tests.slack_fixtures import Bot
from tests.test_slack_index import reply_text, share, wait_done

UTIL = b"def slugify(text):\n    return text.lower().replace(' ', '-')\n"


def one_liners(n: int, start: int = 0) -> bytes:
    return "".join(f"def f{i}(): pass\n" for i in range(start, start + n)).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def indexed_names(engine: Engine) -> set[str]:
    return {s.path for s in engine.sources(Scope.of("T1", "C1"))}


class TestSlackLimits:
    def test_a_file_past_the_definitions_limit_is_refused_and_keeps_its_earlier_version(
        self, bot: Bot
    ) -> None:
        ts, _ = share(bot, "generated.py", one_liners(3))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        ts, _ = share(bot, "generated.py", one_liners(5_001))
        assert wait_done(bot.api, "C1", ts) == ["x"]
        text = reply_text(bot.api, "C1", ts)
        assert "I could not index `generated.py`: 5,001 definitions, over the limit of 5,000 " in (
            text
        )
        assert "Nothing that was already indexed has changed." in text
        assert bot.engine.stats().chunks == 3

    def test_a_repository_past_the_definitions_limit_is_refused_whole(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.zip", zipped({"shop/a.py": one_liners(2)}))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        big = {f"shop/m{i}.py": one_liners(4_100, start=i * 10_000) for i in range(5)}
        ts, _ = share(bot, "shop.zip", zipped(big))  # 20,500 definitions
        assert wait_done(bot.api, "C1", ts) == ["x"]
        text = reply_text(bot.api, "C1", ts)
        assert "I did not index `shop.zip`: it holds more than 20,000 definitions" in text
        assert "Nothing that was already indexed has changed." in text
        assert indexed_names(bot.engine) == {"a.py"} and bot.engine.stats().chunks == 2

    def test_a_file_past_the_limit_inside_a_repository_is_listed_and_the_rest_indexed(
        self, bot: Bot
    ) -> None:
        files = {"shop/generated.py": one_liners(5_001), "shop/util.py": UTIL}
        ts, _ = share(bot, "shop.zip", zipped(files))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        text = reply_text(bot.api, "C1", ts)
        assert "generated.py: 5,001 definitions, over the limit of 5,000 for one file" in text
        assert indexed_names(bot.engine) == {"util.py"}


def test_a_repository_past_the_share_limit_changes_nothing(
    make_engine: Callable[..., Engine],
) -> None:
    # The same call indexes git syncs: the limit holds there too.
    engine = make_engine(max_definitions_per_share=10)
    shop = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
    first = engine.index_repository([("a.py", one_liners(4))], shop)
    assert not first.errors and engine.stats().chunks == 4
    grown = [("a.py", one_liners(6)), ("b.py", one_liners(5, start=100))]
    with pytest.raises(TooManyDefinitions, match="more than 10 definitions"):
        engine.index_repository(grown, shop)
    assert engine.stats().chunks == 4
    strict = make_engine(max_definitions_per_share=10, max_definitions_per_file=5)
    with pytest.raises(TooManyDefinitions):  # files over their own limit count too
        strict.index_repository(grown, shop)
    assert strict.stats().chunks == 0


def test_definitions_are_counted_by_the_parser_not_by_how_lines_look(
    make_engine: Callable[..., Engine],
) -> None:
    # The quick count takes every line starting with def or class; examples in a
    # docstring look like definitions and must not refuse a repository under the limit.
    engine = make_engine(max_definitions_per_share=10)
    examples = "".join(f"    def example_{i}():\n" for i in range(40))
    code = f'"""How to write helpers:\n\n{examples}"""\n\n\n'.encode() + one_liners(3)
    shop = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
    report = engine.index_repository([("a.py", code), ("b.py", one_liners(5, start=9))], shop)
    assert not report.errors and engine.stats().chunks == 3 + 1 + 5  # + a.py's preamble


def test_every_platform_has_the_limits_by_default() -> None:
    # The time budget was 0 (none) everywhere but on Lambda.
    settings = Settings.from_env({})
    assert settings.archive_time_budget == 1800
    assert settings.max_definitions_per_file == 5_000
    assert settings.max_definitions_per_share == 20_000
    assert Settings.from_env({"GENCODE_ARCHIVE_TIME_BUDGET": "0"}).archive_time_budget == 0
    lifted = Settings.from_env({"GENCODE_MAX_DEFINITIONS_PER_SHARE": "200_000"})
    assert lifted.max_definitions_per_share == 200_000
