"""Several processes on one OpenSearch index, as a team runs Gencode: two ``gencode index``
runs of the same repository and a ``gencode serve`` taking a shared file and a question at
the same time. OpenSearch has no transactions, so this is where duplicates, counts that
add up twice and ``version_conflict`` errors would show."""

from __future__ import annotations

import re
from pathlib import Path

from opensearchpy import OpenSearch

from tests.gencode_process import gencode_index, gencode_serve
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_scope import ask

FILES = 12
FUNCTIONS = 5


def write_repository(root: Path) -> None:
    for f in range(FILES):
        functions = "\n\n".join(
            f'def handle_order_event_{f}_{i}(event):\n    """Handle order event {i} of queue {f}."""\n'
            f"    return event.get({i!r})\n"
            for i in range(FUNCTIONS)
        )
        (root / f"events_{f}.py").write_text(f"import json\n\n\n{functions}\n")


def counts(line: str) -> tuple[int, int]:
    found = re.search(r"(\d+) new, (\d+) unchanged", line)
    assert found, line
    return int(found[1]), int(found[2])


def test_two_indexers_and_a_server_on_one_index_count_each_function_once(
    opensearch_url: str, slack_api: SlackAPI, tmp_path: Path
) -> None:
    repo = tmp_path / "events"
    repo.mkdir()
    write_repository(repo)
    settings = {
        "GENCODE_STORE": "opensearch",
        "OPENSEARCH_URL": opensearch_url,
        "OPENSEARCH_INDEX": "shared-index",
    }
    with gencode_serve(slack_api, tmp_path / "serve", settings) as bot:
        indexers = [
            gencode_index([repo], tmp_path / f"cli{n}", settings, "--workspace", "T1")
            for n in range(2)
        ]
        ts, _ = share(bot, "orders.py", ORDERS_PY)  # while both indexers write
        wait_done(bot.api, "C1", ts)
        answer = ask(bot, "upload a file with retries", channel="C1")
        still_indexing = [p.poll() is None for p in indexers]
        outputs = [p.communicate(timeout=300) for p in indexers]
        shared_report = reply_text(bot.api, "C1", ts)
        served_log = "".join(bot.log)

    assert any(still_indexing)  # the server's work overlapped the indexers'
    for process, (out, err) in zip(indexers, outputs, strict=True):
        assert process.returncode == 0, err
        assert "version_conflict" not in out + err and "error:" not in err
    assert "version_conflict" not in served_log and "Traceback" not in served_log
    assert "4 new · 0 unchanged · 0 removed · 0 errors" in shared_report
    assert "upload_with_retry" in answer

    per_file = FUNCTIONS + 1  # and the module preamble's chunk
    reports = [counts(out) for out, _ in outputs]
    # Honest counts: each run saw every chunk once, and each chunk was new for one run only.
    assert [new + unchanged for new, unchanged in reports] == [FILES * per_file] * 2
    assert sum(new for new, _ in reports) == FILES * per_file

    client = OpenSearch(hosts=[opensearch_url])
    client.indices.refresh(index="shared-index")
    hits = client.search(
        index="shared-index",
        body={"size": 1000, "_source": ["source_key", "qualname"], "query": {"match_all": {}}},
    )["hits"]["hits"]
    keys = [(h["_source"]["source_key"], h["_source"]["qualname"]) for h in hits]
    assert len(keys) == len(set(keys)) == FILES * per_file + 4  # no duplicates; orders.py's 4
    client.close()
