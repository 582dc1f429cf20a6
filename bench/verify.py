"""Answer verification (rag/verify.py): planted defects, false alarms, repairs, and its cost.

``python -m bench.verify`` (also run by ``python -m bench``). A small team codebase is
indexed into SQLite; a real :class:`~rag.bedrock.BedrockGenerator` then answers through
the loopback Bedrock server (tests/bedrock_server.py), which replies from a script:

* 42 replies with one planted defect each, 7 of every kind: a syntax error, an undefined
  name, the wrong number of arguments to an indexed function, a misspelled keyword to one,
  a call to an indexed-looking function that does not exist, a shadowed import. Each has
  a correct version the server sends when asked for a repair;
* 20 clean replies: whole programs, fragments (an indented body, one expression, a
  top-level ``await``), third-party packages, several blocks that build on each other.

Reported: detection per kind (a defect counts when the first answer fails with a finding
of the planted kind), false alarms on clean replies, the share fixed by the one repair
round when the repair reply is correct, and the time the checks take per answer
(excluding the model) for the scripted answers and for a 200-line answer.

Then how the cost grows (issue 16, item 9): answers of 500 to 4,000 code blocks, each a
small function calling a team function, and one deeply nested expression. Linear cost
shows as a flat time per block; the baseline beside it is main before the fix, measured
the same way (4,000 blocks took 36.5 s for the probe).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.services import build_engine
from rag import Engine, Scope
from rag.bedrock import BedrockClients, BedrockGenerator, BedrockOptions
from rag.generate import code_blocks
from tests.bedrock_server import AWS_TEST_ENV, BedrockServer, Recorded

from ._common import percentile, status, table

TEAM = {
    "billing/orders.py": '''
from decimal import Decimal


def compute_order_total(order, tax_rate=0.0, *, currency="EUR"):
    """Total of an order's lines, with tax."""
    return sum(Decimal(str(line["price"])) for line in order["lines"]) * (1 + Decimal(tax_rate))


def apply_discount(total, percent, /, *, cap=None):
    """Take a percentage off a total, at most ``cap``."""
    off = total * percent / 100
    return total - (min(off, cap) if cap is not None else off)


def load_order(order_id, db):
    """Fetch one order by id."""
    return db["orders"][order_id]


class OrderService:
    def __init__(self, db, *, cache=None):
        self.db = db
        self.cache = cache or {}

    def refund(self, order_id, amount, reason=""):
        """Refund part of an order."""
        return {"order": order_id, "amount": amount, "reason": reason}
''',
    "storage/upload.py": '''
import time


def upload_with_retry(client, bucket, key, path, *, attempts=3, backoff=2.0):
    """Upload a file to S3, retrying with exponential backoff."""
    for i in range(attempts):
        try:
            return client.upload_file(path, bucket, key)
        except OSError:
            time.sleep(backoff ** i)
    raise RuntimeError("upload failed")


def signed_url(client, bucket, key, expires=3600):
    """A presigned GET URL for an object."""
    return client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key})
''',
    "notify/slack.py": '''
def post_message(client, channel, text, *, thread_ts=None, blocks=None):
    """Post a message to a Slack channel or thread."""
    return client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts, blocks=blocks)


def format_money(amount, currency="EUR"):
    """Amount with its currency sign."""
    return f"{amount:.2f} {currency}"
''',
}

KINDS = {
    "syntax error": {"syntax"},
    "undefined name": {"undefined"},
    "wrong argument count": {"arg-count", "missing-arg"},
    "misspelled keyword": {"bad-keyword"},
    "nonexistent function": {"not-found", "wrong-module"},
    "shadowed import": {"shadowed-import"},
}

# (kind, defective code, its correct version)
DEFECTS: list[tuple[str, str, str]] = [
    # -- syntax errors
    ("syntax error", "def total(order:\n    return 1\n", "def total(order):\n    return 1\n"),
    (
        "syntax error",
        "for line in lines\n    print(line)\n",
        "for line in lines:\n    print(line)\n",
    ),
    ("syntax error", "x = {'a': 1, 'b': 2\nprint(x)\n", "x = {'a': 1, 'b': 2}\nprint(x)\n"),
    (
        "syntax error",
        "if total > 100:\nprint('big')\n",
        "if total > 100:\n    print('big')\n",
    ),
    ("syntax error", "print(f'{total:.2f')\n", "print(f'{total:.2f}')\n"),
    (
        "syntax error",
        "def f():\n    return [x for x in range(3)\n",
        "def f():\n    return [x for x in range(3)]\n",
    ),
    (
        "syntax error",
        "try:\n    value = int(text)\nexcept ValueError as:\n    value = 0\n",
        "try:\n    value = int(text)\nexcept ValueError:\n    value = 0\n",
    ),
    # -- undefined names (whole programs: a missing import or a typo)
    (
        "undefined name",
        "def dump(order):\n    return json.dumps(order)\n",
        "import json\n\n\ndef dump(order):\n    return json.dumps(order)\n",
    ),
    (
        "undefined name",
        "def wait():\n    time.sleep(1)\n",
        "import time\n\n\ndef wait():\n    time.sleep(1)\n",
    ),
    (
        "undefined name",
        "def total(order):\n    subtotal = 1\n    return subtotl * 2\n",
        "def total(order):\n    subtotal = 1\n    return subtotal * 2\n",
    ),
    (
        "undefined name",
        "def parse(raw):\n    return Path(raw).read_text()\n",
        "from pathlib import Path\n\n\ndef parse(raw):\n    return Path(raw).read_text()\n",
    ),
    (
        "undefined name",
        "def newest(rows):\n    return max(rows, key=itemgetter('at'))\n",
        "from operator import itemgetter\n\n\ndef newest(rows):\n"
        "    return max(rows, key=itemgetter('at'))\n",
    ),
    (
        "undefined name",
        "class Report:\n    def rows(self):\n        return [r for r in self.data if r != MISSING]\n",
        "MISSING = object()\n\n\nclass Report:\n    def rows(self):\n"
        "        return [r for r in self.data if r != MISSING]\n",
    ),
    (
        "undefined name",
        "def log_total(order):\n    logger.info('total %s', order)\n",
        "import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef log_total(order):\n"
        "    logger.info('total %s', order)\n",
    ),
    # -- wrong number of arguments to indexed functions
    (
        "wrong argument count",
        "from billing.orders import compute_order_total\n\n"
        "total = compute_order_total(order, 0.2, 'EUR')\n",
        "from billing.orders import compute_order_total\n\n"
        "total = compute_order_total(order, 0.2, currency='EUR')\n",
    ),
    (
        "wrong argument count",
        "from storage.upload import upload_with_retry\n\n"
        "upload_with_retry(s3, 'bucket', 'report.csv')\n",
        "from storage.upload import upload_with_retry\n\n"
        "upload_with_retry(s3, 'bucket', 'report.csv', 'report.csv')\n",
    ),
    (
        "wrong argument count",
        "import notify.slack as slack\n\nslack.post_message(client, '#ops')\n",
        "import notify.slack as slack\n\nslack.post_message(client, '#ops', 'done')\n",
    ),
    (
        "wrong argument count",
        "from billing.orders import load_order\n\norder = load_order(42)\n",
        "from billing.orders import load_order\n\norder = load_order(42, db)\n",
    ),
    (
        "wrong argument count",
        "from billing.orders import OrderService\n\n"
        "svc = OrderService(db)\nsvc.refund(7, 10, 'late', True)\n",
        "from billing.orders import OrderService\n\n"
        "svc = OrderService(db)\nsvc.refund(7, 10, 'late')\n",
    ),
    (
        "wrong argument count",
        "from billing.orders import apply_discount\n\nprint(apply_discount(100, 10, 5))\n",
        "from billing.orders import apply_discount\n\nprint(apply_discount(100, 10, cap=5))\n",
    ),
    (
        "wrong argument count",
        "from notify.slack import format_money\n\nprint(format_money())\n",
        "from notify.slack import format_money\n\nprint(format_money(12.5))\n",
    ),
    # -- misspelled keywords
    (
        "misspelled keyword",
        "from billing.orders import compute_order_total\n\n"
        "compute_order_total(order, taxrate=0.1)\n",
        "from billing.orders import compute_order_total\n\n"
        "compute_order_total(order, tax_rate=0.1)\n",
    ),
    (
        "misspelled keyword",
        "from storage.upload import upload_with_retry\n\n"
        "upload_with_retry(s3, 'b', 'k', 'p', retries=5)\n",
        "from storage.upload import upload_with_retry\n\n"
        "upload_with_retry(s3, 'b', 'k', 'p', attempts=5)\n",
    ),
    (
        "misspelled keyword",
        "from notify.slack import post_message\n\npost_message(client, '#ops', 'hi', thread=ts)\n",
        "from notify.slack import post_message\n\n"
        "post_message(client, '#ops', 'hi', thread_ts=ts)\n",
    ),
    (
        "misspelled keyword",
        "import storage.upload as up\n\nurl = up.signed_url(s3, 'b', 'k', expiry=60)\n",
        "import storage.upload as up\n\nurl = up.signed_url(s3, 'b', 'k', expires=60)\n",
    ),
    (
        "misspelled keyword",
        "from billing.orders import OrderService\n\nsvc = OrderService(db, cahce={})\n",
        "from billing.orders import OrderService\n\nsvc = OrderService(db, cache={})\n",
    ),
    (
        "misspelled keyword",
        "from billing.orders import apply_discount\n\napply_discount(100, 10, max_off=5)\n",
        "from billing.orders import apply_discount\n\napply_discount(100, 10, cap=5)\n",
    ),
    (
        "misspelled keyword",
        "from notify.slack import format_money\n\nformat_money(3, curency='KRW')\n",
        "from notify.slack import format_money\n\nformat_money(3, currency='KRW')\n",
    ),
    # -- calls to functions the index does not have
    (
        "nonexistent function",
        "total = compute_order_totl(order)\n",
        "total = compute_order_total(order)\n",
    ),
    (
        "nonexistent function",
        "from billing.orders import refund_order\n\nrefund_order(7, 10)\n",
        "from billing.orders import OrderService\n\nOrderService(db).refund(7, 10)\n",
    ),
    (
        "nonexistent function",
        "import storage.upload as up\n\nup.upload_file_with_retry(s3, 'b', 'k', 'p')\n",
        "import storage.upload as up\n\nup.upload_with_retry(s3, 'b', 'k', 'p')\n",
    ),
    (
        "nonexistent function",
        "from notify.slack import send_slack_message\n\nsend_slack_message('#ops', 'hi')\n",
        "from notify.slack import post_message\n\npost_message(client, '#ops', 'hi')\n",
    ),
    (
        "nonexistent function",
        "url = make_signed_url(s3, 'b', 'k')\n",
        "url = signed_url(s3, 'b', 'k')\n",
    ),
    (
        "nonexistent function",
        "from billing.orders import post_message\n\npost_message(client, '#ops', 'hi')\n",
        "from notify.slack import post_message\n\npost_message(client, '#ops', 'hi')\n",
    ),
    (
        "nonexistent function",
        "amount = format_currency(12.5, 'EUR')\n",
        "amount = format_money(12.5, 'EUR')\n",
    ),
    # -- shadowed imports
    (
        "shadowed import",
        "import json\n\nfor json in payloads:\n    print(json)\n",
        "import json\n\nfor payload in payloads:\n    print(json.dumps(payload))\n",
    ),
    (
        "shadowed import",
        "from datetime import datetime\nimport datetime\n\nprint(datetime.date.today())\n",
        "import datetime\n\nprint(datetime.date.today())\n",
    ),
    (
        "shadowed import",
        "from billing.orders import compute_order_total\n\n\n"
        "def compute_order_total(order):\n    return 0\n",
        "from billing.orders import compute_order_total\n\n\n"
        "def order_total(order):\n    return compute_order_total(order)\n",
    ),
    (
        "shadowed import",
        "import time\n\ntime = 3\nprint(time)\n",
        "import time\n\ndelay = 3\ntime.sleep(delay)\n",
    ),
    (
        "shadowed import",
        "import os\n\n\ndef os():\n    return 1\n",
        "import os\n\n\ndef cwd():\n    return os.getcwd()\n",
    ),
    (
        "shadowed import",
        "from pathlib import Path\n\nfor Path in ['a', 'b']:\n    print(Path)\n",
        "from pathlib import Path\n\nfor name in ['a', 'b']:\n    print(Path(name))\n",
    ),
    (
        "shadowed import",
        "import logging\n\n\nclass logging:\n    pass\n",
        "import logging\n\n\nclass Log:\n    level = logging.INFO\n",
    ),
]

CLEAN: list[str] = [
    "from billing.orders import compute_order_total\n\n"
    "total = compute_order_total(order, 0.1, currency='KRW')\n",
    "import notify.slack as slack\n\nslack.post_message(client, '#ops', 'done', thread_ts=ts)\n",
    "from billing.orders import OrderService\n\nsvc = OrderService(db, cache={})\n"
    "svc.refund(7, 10, reason='late')\n",
    "from storage.upload import upload_with_retry, signed_url\n\n"
    "upload_with_retry(s3, 'b', 'k', 'p', attempts=5, backoff=1.5)\nprint(signed_url(s3, 'b', 'k'))\n",
    "    if total > 100:\n        return apply_discount(total, 10, cap=20)\n    return total\n",
    "sorted(orders, key=lambda o: o['total'], reverse=True)\n",
    "await client.chat_postMessage(channel=channel, text=text)\n",
    "import requests\n\nresp = requests.get('https://example.com', timeout=5)\nresp.raise_for_status()\n",
    "import pandas as pd\n\ndf = pd.DataFrame(rows)\nprint(df.groupby('day').sum())\n",
    "import boto3\n\ns3 = boto3.client('s3')\ns3.upload_file('a.csv', 'bucket', 'a.csv')\n",
    "from tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(3))\n"
    "def fetch(url):\n    return url\n",
    "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n\n\nasyncio.run(main())\n",
    "from dataclasses import dataclass\n\n\n@dataclass\nclass Line:\n    price: float\n"
    "    qty: int = 1\n\n    def total(self) -> float:\n        return self.price * self.qty\n",
    "def handler(event, context):\n    ...\n",
    "from billing.orders import apply_discount, compute_order_total\n\n\n"
    "def checkout(order, percent):\n    total = compute_order_total(order, 0.1)\n"
    "    return apply_discount(total, percent, cap=50)\n",
    "import json\nfrom pathlib import Path\n\n\ndef save(order, path: Path) -> None:\n"
    "    path.write_text(json.dumps(order))\n",
    "from notify.slack import format_money\n\nargs = (12.5, 'EUR')\nprint(format_money(*args))\n",
    "with open('orders.csv') as f:\n    rows = [line.split(',') for line in f]\n",
    "class Cache:\n    def __init__(self):\n        self.items = {}\n\n"
    "    def get(self, key, default=None):\n        return self.items.get(key, default)\n",
    "results = [compute(x) for x in items if x]\n",
]
"""Clean replies; the last one calls ``compute``, which is not a team name but is defined
by the second block of the same answer (see :func:`_clean_reply`)."""


@dataclass
class Case:
    id: str
    kind: str  # a KINDS key, or "clean"
    reply: str
    repair: str


def _reply(code: str, *, lead: str = "Reuse the team's helpers [1]:") -> str:
    return f"{lead}\n\n```python\n{code}```\n"


def _clean_reply(i: int, code: str) -> str:
    if i == len(CLEAN) - 1:  # two blocks that build on each other
        return _reply("def compute(x):\n    return x * 2\n") + _reply(code, lead="Then:")
    return _reply(code)


def cases() -> list[Case]:
    out = [
        Case(f"case-{i:02d}", kind, _reply(bad), _reply(good))
        for i, (kind, bad, good) in enumerate(DEFECTS)
    ]
    out += [
        Case(f"clean-{i:02d}", "clean", _clean_reply(i, code), _clean_reply(i, code))
        for i, code in enumerate(CLEAN)
    ]
    return out


def long_answer(lines: int = 200) -> str:
    """A ~``lines``-line answer with imports, classes and calls to the team's functions."""
    head = (
        "import json\nimport logging\n\n"
        "from billing.orders import OrderService, apply_discount, compute_order_total\n"
        "from notify.slack import format_money, post_message\n"
        "from storage.upload import signed_url, upload_with_retry\n\n"
        "logger = logging.getLogger(__name__)\n"
    )
    body = []
    i = 0
    while (head + "".join(body)).count("\n") < lines - 2:
        body.append(
            f"\n\ndef step_{i}(client, s3, db, order):\n"
            f"    total = compute_order_total(order, 0.1, currency='EUR')\n"
            f"    total = apply_discount(total, {i % 50}, cap=10)\n"
            f"    svc = OrderService(db)\n"
            f"    svc.refund(order['id'], total, reason='step {i}')\n"
            f"    upload_with_retry(s3, 'bucket', 'k{i}', 'p{i}', attempts=2)\n"
            f"    post_message(client, '#ops', format_money(total), thread_ts=None)\n"
            f"    logger.info('step %d: %s', {i}, json.dumps(order))\n"
            f"    return signed_url(s3, 'bucket', 'k{i}')\n"
        )
        i += 1
    return _reply(head + "".join(body))


SCALING_BLOCKS = (500, 1_000, 2_000, 4_000)
BEFORE_SECONDS = {500: 0.96, 1_000: 3.15, 2_000: 14.39, 4_000: 64.87}
"""Main before the fix (commit 36fe556), the same answers, one run each at load average
5.0-6.0 on this 2-core machine: the cost quadrupled each time the blocks doubled."""


def many_blocks(n: int) -> str:
    """An answer of ``n`` Python blocks, each defining a function that calls a team one."""
    return "".join(
        f"```python\nfrom billing.orders import compute_order_total\n\n\n"
        f"def step_{i}(order):\n    total_{i} = compute_order_total(order, 0.1)\n"
        f"    return total_{i}\n```\n"
        for i in range(n)
    )


def scaling(engine: Engine, scope: Scope) -> list[str]:
    """Seconds to check answers of more and more blocks, and a 20,000-deep expression."""
    verifier = engine.verifier(scope)
    rows = []
    for n in SCALING_BLOCKS:
        text = many_blocks(n)
        started = time.perf_counter()
        verdict = verifier.check(text, code_blocks(text))
        seconds = time.perf_counter() - started
        before = BEFORE_SECONDS.get(n)
        rows.append(
            (
                n,
                f"{seconds:.2f}",
                f"{seconds / n * 1000:.2f}",
                f"{verdict.verdict}, {verdict.calls_matched} calls matched",
                f"{before:.1f}" if before else "",
            )
        )
    deep = "```python\nx = client" + ".next" * 20_000 + "\n```\n"
    started = time.perf_counter()
    verdict = verifier.check(deep, code_blocks(deep))
    said = verdict.errors[0].message if verdict.errors else verdict.verdict
    return [
        table(["blocks", "seconds", "ms per block", "verdict", "before the fix, seconds"], rows),
        "",
        f"- a 20,000-deep attribute chain: {verdict.verdict} ({said}) in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms; before the fix: RecursionError, "
        "and the answer had no check line",
        f"- load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
    ]


def _engine(home: Path, server: BedrockServer) -> Engine:
    engine = build_engine(Settings(home=home, embedder="local"))  # the checks, not retrieval
    options = BedrockOptions(regions=("us-east-1",), endpoint_url=server.url)
    engine.generator = BedrockGenerator(BedrockClients(options))
    return engine


def run() -> str:
    os.environ.update(AWS_TEST_ENV)
    script = {c.id: c for c in cases()}

    def reply(record: Recorded) -> str:
        text = record.last_user_text
        found = re.findall(r"(?:case|clean)-\d\d", text)
        case = script[found[0]]
        return case.repair if "checked automatically" in text else case.reply

    with tempfile.TemporaryDirectory() as tmp, BedrockServer(reply=reply) as server:
        root = Path(tmp) / "team"
        for path, code in TEAM.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(code)
        engine = _engine(Path(tmp) / "home", server)
        engine.index_paths([root], workspace="T1")
        scope = Scope.of("T1", "C1")
        status(f"verify: {len(script)} scripted answers through the loopback Bedrock server")
        results = []
        for case in script.values():
            answer = engine.ask(f"{case.id}: write the code for this order task", scope)
            assert answer.verification is not None
            results.append((case, answer.verification))
        verifier = engine.verifier(scope)
        big = long_answer()
        blocks = code_blocks(big)
        for _ in range(20):  # warm: module lookups are cached per process
            verifier.check(big, blocks)
        timings, cpu = [], []
        for _ in range(200):
            started, started_cpu = time.perf_counter(), time.thread_time()
            verdict = verifier.check(big, blocks)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        big_lines = blocks[0].code.count("\n")
        status("verify: how the cost grows with the number of code blocks")
        growth = scaling(engine, scope)
        engine.close()

    rows = []
    for kind, expected in KINDS.items():
        mine = [(c, v) for c, v in results if c.kind == kind]
        caught = [(c, v) for c, v in mine if v.repaired and {f.kind for f in v.repaired} & expected]
        fixed = [v for _, v in mine if v.verdict == "repaired"]
        rows.append((kind, len(mine), f"{len(caught)}/{len(mine)}", f"{len(fixed)}/{len(mine)}"))
    clean = [v for c, v in results if c.kind == "clean"]
    alarms = [v for v in clean if v.verdict != "verified"]
    defects = [v for c, v in results if c.kind != "clean"]
    fixed_all = sum(1 for v in defects if v.verdict == "repaired")
    per_answer = [v.seconds * 1000 for _, v in results]
    lines = [
        "## Answer verification (scripted replies via the loopback Bedrock server)",
        "",
        table(["planted defect", "replies", "detected", "fixed by the repair"], rows),
        "",
        f"- false alarms on {len(clean)} clean replies: {len(alarms)}",
        f"- fixed by the one repair round (correct repair reply): {fixed_all}/{len(defects)}",
        f"- checks per scripted answer (both rounds, no model): p50 "
        f"{percentile(per_answer, 50):.1f} ms, p95 {percentile(per_answer, 95):.1f} ms",
        f"- a {big_lines}-line answer ({verdict.calls_matched} calls matched): p50 "
        f"{percentile(timings, 50):.1f} ms, p95 {percentile(timings, 95):.1f} ms "
        "(goal < 100 ms p95); CPU time of the checking thread: p50 "
        f"{percentile(cpu, 50):.1f} ms, p95 {percentile(cpu, 95):.1f} ms, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
    ]
    if alarms:
        lines.append("- false alarms: " + "; ".join(f.message for v in alarms for f in v.errors))
    lines += ["", "### How the cost grows with the answer", "", *growth]
    return "\n".join(lines)


def main() -> None:
    print(run())


if __name__ == "__main__":
    main()
