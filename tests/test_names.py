"""Names are shown as they are: nothing hidden, nothing silently replaced, nothing confused.

A right-to-left override before "pohs" makes it display as "shop", and zero-width characters
make two names look alike. Wherever a name enters (an archive's entries, a file shared in
Slack, a path given to the CLI) such characters are stored and shown escaped. An archive
with two entries of the same name says which copy was read. ``forget util.py`` means the
single file, never a ``util.py`` inside a repository.
"""

from __future__ import annotations

import io
import json
import tarfile
import warnings
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from click.testing import CliRunner

from bot.cli import cli
from rag import Scope, printable
from rag.archive import read_archive
from tests.slack_fixtures import Bot
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_repositories import command, ephemeral, tarball

RLO = "\u202e"
ZWSP = "\u200b"
UTIL = b"def slugify(text):\n    return text.lower().replace(' ', '-')\n"
UTIL_V2 = b"def slugify(text, sep='-'):\n    return text.lower().replace(' ', sep)\n"
MONEY = b"def parse_money(text):\n    return round(float(text.strip('$')), 2)\n"


def zipped_with_duplicates(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name": that is the point
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                z.writestr(name, data)
    return buf.getvalue()


def tarred(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class TestHiddenCharacters:
    def test_the_helper_escapes_what_disguises_a_name_and_keeps_the_rest(self) -> None:
        assert printable(f"{RLO}pohs.py") == "[U+202E]pohs.py"
        assert printable(f"util{ZWSP}.py") == "util[U+200B].py"
        assert printable("\u3164.py") == "[U+3164].py"  # a Hangul filler draws nothing
        assert printable("주문/결제.py") == "주문/결제.py"
        assert printable(printable(f"{RLO}x")) == printable(f"{RLO}x")

    def test_archive_folders_and_files_are_escaped(self) -> None:
        archive = read_archive(
            tarred([(f"{RLO}pohs/{RLO}yp.litu.py", UTIL), (f"{RLO}pohs/money{ZWSP}.py", MONEY)]),
            "x.tgz",
        )
        assert archive.repo == "[U+202E]pohs"
        assert [f.path for f in archive.files] == ["[U+202E]yp.litu.py", "money[U+200B].py"]

    def test_a_shared_file_name_is_indexed_listed_and_reported_escaped(self, bot: Bot) -> None:
        name = f"{RLO}yp.sredro.py"
        file = bot.api.add_file(
            name,
            UTIL,
            file_id="FRLO1",
            url=f"{bot.api.url}/files-pri/T1-FRLO1/download/{quote(name)}",
        )
        # Slack's own addresses are percent-encoded.
        file["permalink"] = f"https://test.slack.com/files/U1/FRLO1/{quote(name)}"
        ts = bot.api.add_message("C1", "", files=[file], subtype="file_share")
        event = {
            "type": "message",
            "subtype": "file_share",
            "channel": "C1",
            "channel_type": "channel",
            "user": "U1",
            "text": "",
            "ts": ts,
            "files": [file],
        }
        assert bot.slack.event(event).status == 200
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        thread = reply_text(bot.api, "C1", ts)
        assert "[U+202E]yp.sredro.py" in thread and RLO not in thread
        (source,) = bot.engine.sources(Scope.of("T1", "C1"))
        assert source.path == "[U+202E]yp.sredro.py"
        command(bot, "list")
        listed = json.dumps(ephemeral(bot)[0]["blocks"], ensure_ascii=False)
        assert "[U+202E]yp.sredro.py" in listed and RLO not in listed

    def test_a_repository_folder_with_an_override_is_named_escaped_in_slack(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", tarball({f"{RLO}pohs/util.py": UTIL}))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        thread = reply_text(bot.api, "C1", ts)
        assert "[U+202E]pohs" in thread and RLO not in thread
        assert {s.repo for s in bot.engine.sources(Scope.of("T1", "C1"))} == {"[U+202E]pohs"}

    def test_cli_paths_are_escaped_in_the_index_and_in_search_results(self, tmp_path: Path) -> None:
        root = tmp_path / "shop"
        root.mkdir()
        (root / f"{RLO}yp.litu.py").write_bytes(UTIL)
        runner = CliRunner()
        result = runner.invoke(cli, ["index", str(root)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        result = runner.invoke(cli, ["search", "slugify", "--json"], catch_exceptions=False)
        hits = json.loads(result.stdout)
        assert hits[0]["path"] == "[U+202E]yp.litu.py"
        assert RLO not in result.stdout


class TestDuplicateEntries:
    def test_a_zip_with_a_name_twice_reads_the_last_copy_and_says_so(self) -> None:
        archive = read_archive(
            zipped_with_duplicates(
                [("shop/util.py", UTIL), ("shop/money.py", MONEY), ("shop/util.py", UTIL_V2)]
            ),
            "shop.zip",
        )
        assert {f.path: f.data for f in archive.files}["util.py"] == UTIL_V2
        assert [(d.path, d.copies) for d in archive.duplicates] == [("util.py", 2)]

    def test_a_tar_entry_appended_again_is_reported(self) -> None:
        archive = read_archive(
            tarred([("util.py", UTIL), ("./util.py", UTIL), ("util.py", UTIL_V2)]), "r.tgz"
        )
        assert [f.data for f in archive.files] == [UTIL_V2]
        assert [(d.path, d.copies) for d in archive.duplicates] == [("util.py", 3)]

    def test_the_slack_report_names_the_duplicate_and_which_copy_was_read(self, bot: Bot) -> None:
        data = zipped_with_duplicates([("shop/util.py", UTIL), ("shop/util.py", UTIL_V2)])
        ts, _ = share(bot, "shop.zip", data)
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        thread = reply_text(bot.api, "C1", ts)
        assert "Duplicate entries:* `util.py` (2)" in thread
        assert "I read the last copy" in thread
        listing = bot.api.uploads[max(bot.api.uploads)].decode()
        assert "util.py\tduplicate\t2 entries have this name" in listing
        (chunk,) = [
            h.chunk
            for h in bot.engine.retrieve("slugify", Scope.of("T1", "C1"), k=3)
            if h.chunk.qualname == "slugify"
        ]
        assert "sep='-'" in chunk.code


class TestForgetNames:
    def _share_both(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL, "shop/money.py": MONEY}))
        wait_done(bot.api, "C1", ts)
        ts, _ = share(bot, "util.py", UTIL_V2)
        wait_done(bot.api, "C1", ts)

    def _confirm_text(self, bot: Bot, n: int) -> dict[str, Any]:
        return ephemeral(bot, n)[-1]

    def test_forget_a_bare_file_name_means_the_single_file_only(self, bot: Bot) -> None:
        self._share_both(bot)
        command(bot, "forget util.py")
        assert self._confirm_text(bot, 1)["text"].startswith("Forget `util.py` (1 file,")

    def test_a_repository_path_reaches_the_file_inside_the_repository(self, bot: Bot) -> None:
        self._share_both(bot)
        command(bot, "forget shop/util.py")
        assert self._confirm_text(bot, 1)["text"].startswith("Forget `shop/util.py` (1 file,")
        command(bot, "forget money.py")
        assert "Nothing named `money.py`" in self._confirm_text(bot, 2)["text"]
