"""Answers are checked before anyone copies them: each check, scope, the single repair round."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from rag import Engine, Scope, Source, Verification
from rag.generate import ExtractiveGenerator, code_blocks
from rag.stores.opensearch import OpenSearchStore
from tests.conftest import CountingEmbedder, CountingSummarizer
from tests.fakes import FakeGenerator

ORDERS = b'''
def compute_order_total(order, tax_rate=0.0):
    """Total of an order's lines, with tax."""
    return sum(line["price"] for line in order["lines"]) * (1 + tax_rate)


def apply_discount(total, /, percent, *, cap=None, **options):
    """Take a percentage off a total, capped."""
    return total


def log_lines(*lines, level="info"):
    """Log many lines."""
    return lines


class OrderService:
    def __init__(self, db, *, cache=None):
        self.db = db

    def total(self, order_id):
        """Total of one stored order."""
        return compute_order_total(self.db[order_id])

    @classmethod
    def from_url(cls, url):
        return cls({})

    @staticmethod
    def currency(code):
        return code
'''

PRIVATE = b'''
def secret_refund(payment_id, amount):
    """Refund a payment (private channel only)."""
    return amount
'''


def py(code: str) -> str:
    return f"Here you go [1]:\n\n```python\n{code}```\n"


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> Engine:
    root = tmp_path / "repo"
    (root / "billing").mkdir(parents=True)
    (root / "billing" / "orders.py").write_bytes(ORDERS)
    report = engine.index_paths([root], workspace="T1")
    assert not report.errors
    engine.index_bytes(PRIVATE, Source("refunds.py", workspace="T1", scope="G-private"))
    return engine


def check(engine: Engine, text: str, scope: Scope | None = None) -> Verification:
    verifier = engine.verifier(scope or Scope.of("T1", "C-general"))
    return verifier.check(text, code_blocks(text))


def kinds(v: Verification) -> list[tuple[str, int]]:
    return [(f.kind, f.line) for f in v.errors]


class TestParses:
    def test_syntax_error_is_reported_with_its_line(self, indexed: Engine) -> None:
        v = check(indexed, py("x = 1\ndef f(:\n    pass\n"))
        assert v.verdict == "failing"
        assert kinds(v) == [("syntax", 2)]

    def test_fragments_are_not_flagged(self, indexed: Engine) -> None:
        for fragment in (
            "    if total > 100:\n        return total * 0.9\n",  # an indented method body
            "sorted(orders, key=lambda o: o['total'])\n",  # one expression, context names
            "await client.send(payload)\n",
            "return result\n",
            "def handler(event):\n    ...\n",
        ):
            v = check(indexed, py(fragment))
            assert v.verdict == "verified", (fragment, v.findings)

    def test_an_interactive_session_is_checked_as_the_code_typed(self, indexed: Engine) -> None:
        session = ">>> from billing.orders import compute_order_total\n>>> compute_order_total({'lines': []})\n0.0\n>>> compute_order_total()\n"
        v = check(indexed, py(session))
        assert kinds(v) == [("missing-arg", 4)]

    def test_code_nested_too_deeply_gets_a_verdict_instead_of_crashing_the_check(
        self, indexed: Engine
    ) -> None:
        # The check raised RecursionError, and the answer went out with no check line.
        for depth, said in ((1_000, "to check"), (20_000, "for Python to compile")):
            v = check(indexed, py("total = order" + ".lines" * depth + "\n"))
            assert v.verdict == "failing"
            assert [(f.kind, f.message) for f in v.errors] == [
                ("too-deep", f"the code is nested too deeply {said}")
            ]

    def test_untagged_shell_block_is_not_python(self, indexed: Engine) -> None:
        v = check(indexed, "Run:\n```\npip install requests\n```\n")
        assert v.verdict == "no_code"


class TestStaticChecks:
    def test_undefined_name_in_a_program(self, indexed: Engine) -> None:
        v = check(indexed, py("def dump(data):\n    return json.dumps(data)\n"))
        assert kinds(v) == [("undefined", 2)]
        assert v.errors[0].name == "json"

    def test_name_used_before_assignment(self, indexed: Engine) -> None:
        code = "total = 0\n\ndef add(x):\n    total += x\n    return total\n"
        assert kinds(check(indexed, py(code))) == [("before-assignment", 4)]

    def test_shadowed_import(self, indexed: Engine) -> None:
        code = "import json\n\nfor json in ['a', 'b']:\n    print(json)\n"
        v = check(indexed, py(code))
        assert kinds(v) == [("shadowed-import", 3)]
        assert "line 1" in v.errors[0].message

    def test_unused_import_is_a_warning_not_a_failure(self, indexed: Engine) -> None:
        v = check(indexed, py("import os\n\nprint('hi')\n"))
        assert v.verdict == "verified"
        assert [(f.kind, f.severity) for f in v.findings] == [("unused-import", "warning")]

    def test_blocks_see_each_others_names(self, indexed: Engine) -> None:
        text = py("import json\n\nTAX = 0.2\n") + py("print(json.dumps({'tax': TAX}))\n")
        v = check(indexed, text)
        assert v.verdict == "verified" and not v.findings

    def test_blocks_see_each_others_names_in_string_annotations_too(self, indexed: Engine) -> None:
        text = py("class Order:\n    total = 0\n") + py(
            "def pay(order: 'Order') -> 'list[Order]':\n    return [order]\n"
        )
        assert check(indexed, text).verdict == "verified"
        alone = check(indexed, py("def pay(order: 'Order') -> None:\n    return None\n"))
        assert kinds(alone) == [("undefined", 1)]

    def test_an_import_used_only_by_another_block_is_not_unused(self, indexed: Engine) -> None:
        text = py("import json\nimport os\n") + py("print(json.dumps({}))\n")
        v = check(indexed, text)
        assert [(f.kind, f.name) for f in v.findings] == [("unused-import", "os")]


class TestCallsToTeamFunctions:
    def test_matching_calls_are_counted(self, indexed: Engine) -> None:
        code = (
            "from billing.orders import OrderService, apply_discount, compute_order_total\n\n"
            "svc = OrderService({}, cache=None)\n"
            "total = compute_order_total({'lines': []}, tax_rate=0.1)\n"
            "print(apply_discount(total, 10, cap=5, rounding=True), svc.total(3))\n"
            "print(OrderService.from_url('x'), OrderService.currency('EUR'))\n"
        )
        v = check(indexed, py(code))
        assert v.verdict == "verified", v.findings
        assert v.calls_matched == 6

    def test_wrong_number_of_arguments(self, indexed: Engine) -> None:
        code = "from billing.orders import compute_order_total\n\ncompute_order_total({}, 0.1, 3)\n"
        v = check(indexed, py(code))
        assert kinds(v) == [("arg-count", 3)]
        assert v.errors[0].message == (
            "`compute_order_total()` takes 1–2 positional arguments, 3 given"
        )

    def test_misspelled_keyword_suggests_the_real_one(self, indexed: Engine) -> None:
        code = "import billing.orders as o\n\nprint(o.compute_order_total({}, taxrate=0.1))\n"
        v = check(indexed, py(code))
        assert kinds(v) == [("bad-keyword", 3)]
        assert "did you mean `tax_rate`" in v.errors[0].message

    def test_missing_required_and_keyword_only_and_positional_only(self, indexed: Engine) -> None:
        code = (
            "from billing.orders import OrderService, apply_discount\n\n"
            "apply_discount(100)\n"
            "apply_discount(total=100, percent=5)\n"
            "OrderService({}, {})\n"
        )
        v = check(indexed, py(code))
        # total is positional-only: total= goes into **options, so total is still missing
        assert kinds(v) == [("missing-arg", 3), ("missing-arg", 4), ("arg-count", 5)]

    def test_method_on_an_instance_binds_self(self, indexed: Engine) -> None:
        code = "from billing.orders import OrderService\n\nsvc = OrderService({})\nsvc.total()\n"
        v = check(indexed, py(code))
        assert kinds(v) == [("missing-arg", 4)]
        assert v.errors[0].detail == ("order_id",)

    def test_method_on_what_a_function_returned_is_not_looked_up(self, indexed: Engine) -> None:
        code = (
            "from billing.orders import compute_order_total\n\n"
            "total = compute_order_total({})\nprint(total.quantize(1))\n"
        )
        v = check(indexed, py(code))
        assert v.verdict == "verified" and v.calls_matched == 1

    def test_a_method_the_index_lacks_may_be_inherited(self, indexed: Engine) -> None:
        code = (
            "from billing.orders import OrderService\n\n"
            "svc = OrderService({})\nsvc.save()\nOrderService.from_dict({})\n"
        )
        assert check(indexed, py(code)).verdict == "verified"

    def test_star_args_are_not_miscounted(self, indexed: Engine) -> None:
        code = (
            "from billing.orders import compute_order_total, log_lines\n\n"
            "args = ({}, 0.1)\nprint(compute_order_total(*args), log_lines('a', 'b', 'c', level='x'))\n"
        )
        assert check(indexed, py(code)).verdict == "verified"

    def test_bare_call_to_a_helper_that_is_not_indexed(self, indexed: Engine) -> None:
        v = check(indexed, py("total = compute_order_totl(order)\n"))
        assert kinds(v) == [("not-found", 1)]
        assert v.errors[0].message == "`compute_order_totl` was not found in the indexed code"

    def test_name_missing_from_an_indexed_module(self, indexed: Engine) -> None:
        code = "from billing.orders import refund_order\n\nrefund_order(1)\n"
        v = check(indexed, py(code))
        assert kinds(v) == [("not-found", 3)]

    def test_import_from_the_wrong_indexed_module_says_where_it_is(self, indexed: Engine) -> None:
        (root,) = {
            c.source_path
            for c in indexed.store.definitions(  # type: ignore[attr-defined]
                scope=Scope.of("T1"), qualnames=["compute_order_total"]
            )
        }
        code = "from billing.orders import compute_order_total\n\ncompute_order_total({})\n"
        other = code.replace("billing.orders", "billing.invoices")
        indexed.index_bytes(
            b"def render(x):\n    return x\n", Source("billing/invoices.py", workspace="T1")
        )
        v = check(indexed, py(other))
        assert kinds(v) == [("wrong-module", 3)]
        assert v.errors[0].detail == ("billing.invoices", root)

    def test_an_answer_calling_more_functions_than_one_lookup_returns_is_checked_whole(
        self, indexed: Engine
    ) -> None:
        # The stores answer 500 names at a time: the 100 past them were "not found".
        helpers = "".join(f"def helper_{i}(x):\n    return x\n\n\n" for i in range(600))
        indexed.index_bytes(helpers.encode(), Source("team/helpers.py", workspace="T1"))
        calls = "".join(f"h.helper_{i}({i})\n" for i in range(600))
        v = check(indexed, py("import team.helpers as h\n\n" + calls))
        assert v.verdict == "verified", v.errors[:3]
        assert v.calls_matched == 600

    def test_a_module_imported_from_its_package_is_checked(self, indexed: Engine) -> None:
        v = check(
            indexed, py("from billing import orders\n\norders.compute_order_total({}, 0.1, 5)\n")
        )
        assert kinds(v) == [("arg-count", 3)]
        ok = check(indexed, py("from billing import orders\n\norders.compute_order_total({})\n"))
        assert ok.verdict == "verified" and ok.calls_matched == 1

    def test_a_name_a_package_re_exports_resolves_to_its_submodule(self, indexed: Engine) -> None:
        indexed.index_bytes(
            b"from billing.orders import compute_order_total\n\nVERSION = 2\n",
            Source("billing/__init__.py", workspace="T1", repo="repo"),
        )
        ok = check(
            indexed, py("from billing import compute_order_total\n\ncompute_order_total({})\n")
        )
        assert ok.verdict == "verified" and ok.calls_matched == 1
        bad = check(
            indexed, py("from billing import compute_order_total\n\ncompute_order_total()\n")
        )
        assert kinds(bad) == [("missing-arg", 3)]

    def test_call_to_an_unimported_standard_library_name_is_a_missing_import(
        self, indexed: Engine
    ) -> None:
        v = check(indexed, py("def read(raw):\n    return Path(raw).read_text()\n"))
        assert kinds(v) == [("undefined", 2)]
        assert v.errors[0].message == "undefined name `Path` (missing `from pathlib import Path`?)"

    def test_third_party_imports_are_listed_not_failed(self, indexed: Engine) -> None:
        code = (
            "import json\nimport zzz_unheard_of_pkg\nfrom yyy_other.client import Client\n\n"
            "print(json, zzz_unheard_of_pkg.run(), Client())\n"
        )
        v = check(indexed, py(code) + "\nFirst `pip install yyy-other`.\n")
        assert v.verdict == "verified"
        assert v.unknown_imports == ("zzz_unheard_of_pkg",)


class TestScope:
    CALL = "total = secret_refund('p1', 5)\n"

    def test_sqlite_private_function_resolves_only_in_its_conversation(
        self, indexed: Engine
    ) -> None:
        inside = check(indexed, py(self.CALL), Scope.of("T1", "G-private"))
        outside = check(indexed, py(self.CALL), Scope.of("T1", "C-general"))
        other_team = check(indexed, py(self.CALL), Scope.of("T2", "G-private"))
        assert inside.verdict == "verified" and inside.calls_matched == 1
        assert kinds(outside) == [("not-found", 1)]
        assert kinds(other_team) == [("not-found", 1)]

    def test_opensearch_private_function_resolves_only_in_its_conversation(
        self,
        opensearch_url: str,
        embedder: CountingEmbedder,
        summarizer: CountingSummarizer,
        request: pytest.FixtureRequest,
    ) -> None:
        index = f"verify-{request.node.name[-20:].lower().replace('_', '-')}"
        store = OpenSearchStore(OpenSearch(hosts=[opensearch_url]), index=index)
        engine = Engine(
            store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
        )
        try:
            engine.index_bytes(PRIVATE, Source("refunds.py", workspace="T1", scope="G-private"))
            engine.index_bytes(ORDERS, Source("billing/orders.py", workspace="T1"))
            inside = check(engine, py(self.CALL), Scope.of("T1", "G-private"))
            outside = check(engine, py(self.CALL), Scope.of("T1", "C-general"))
            module = check(
                engine,
                py("from billing.orders import refund_order\n\nrefund_order(1)\n"),
                Scope.of("T1", "C-general"),
            )
            matched = check(
                engine,
                py("from billing.orders import compute_order_total\n\ncompute_order_total({})\n"),
            )
        finally:
            engine.close()
        assert inside.verdict == "verified" and inside.calls_matched == 1
        assert kinds(outside) == [("not-found", 1)]
        assert kinds(module) == [("not-found", 3)]
        assert matched.calls_matched == 1


@pytest.fixture
def model_engine(
    store: object, embedder: CountingEmbedder, summarizer: CountingSummarizer, tmp_path: Path
) -> Iterator[tuple[Engine, FakeGenerator]]:
    gen = FakeGenerator()
    from rag.stores.sqlite import SQLiteStore

    engine = Engine(
        store=SQLiteStore(tmp_path / "m.sqlite3"),
        embedder=embedder,
        summarizer=summarizer,
        generator=gen,
    )
    engine.index_bytes(ORDERS, Source("billing/orders.py", workspace="T1"))
    yield engine, gen
    engine.close()


BAD = py("from billing.orders import compute_order_total\n\ncompute_order_total({}, 0.1, 3)\n")
GOOD = py("from billing.orders import compute_order_total\n\ncompute_order_total({}, 0.1)\n")


class TestRepairOnce:
    def test_failing_answer_is_repaired_once_with_the_exact_findings(
        self, model_engine: tuple[Engine, FakeGenerator]
    ) -> None:
        engine, gen = model_engine
        gen.replies = [[BAD], [GOOD]]
        streamed: list[str] = []
        restarts: list[int] = []
        answer = engine.ask(
            "total of an order",
            Scope.of("T1"),
            on_text=streamed.append,
            on_restart=lambda: restarts.append(len(streamed)),
        )
        assert answer.text == GOOD
        assert answer.verification is not None
        assert answer.verification.verdict == "repaired"
        assert [f.kind for f in answer.verification.repaired] == ["arg-count"]
        assert restarts == [1] and streamed == [BAD, GOOD]
        repair = str(gen.calls[1]["question"])
        assert "code block 1, line 3" in repair
        assert "takes 1–2 positional arguments, 3 given" in repair
        assert "compute_order_total(order, tax_rate=0.0)  (billing/orders.py)" in repair
        assert gen.calls[1]["history"][-1].answer == BAD  # type: ignore[index]
        assert engine.verdict_counts() == {"repaired": 1}

    def test_a_repair_that_is_still_wrong_is_not_repaired_again(
        self, model_engine: tuple[Engine, FakeGenerator]
    ) -> None:
        engine, gen = model_engine
        still_bad = py("from billing.orders import compute_order_total\n\ncompute_order_total()\n")
        gen.replies = [[BAD], [still_bad], [GOOD]]
        answer = engine.ask("total of an order", Scope.of("T1"))
        assert len(gen.calls) == 2
        assert answer.verification is not None
        assert answer.verification.verdict == "failing"
        assert [f.kind for f in answer.verification.errors] == ["missing-arg"]
        assert engine.verdict_counts() == {"failing": 1}

    def test_a_good_first_answer_is_not_repaired(
        self, model_engine: tuple[Engine, FakeGenerator]
    ) -> None:
        engine, gen = model_engine
        gen.replies = [[GOOD]]
        answer = engine.ask("total of an order", Scope.of("T1"))
        assert len(gen.calls) == 1
        assert answer.verification is not None
        assert answer.verification.verdict == "verified"
        assert answer.verification.calls_matched == 1
        assert engine.verdict_counts() == {"verified": 1}

    def test_extractive_answers_say_they_were_not_checked(self, indexed: Engine) -> None:
        answer = indexed.ask("compute the order total", Scope.of("T1"))
        assert answer.verification is not None
        assert answer.verification.verdict == "extractive"
        assert not answer.verification.findings
        assert indexed.verdict_counts() == {"extractive": 1}


class TestVerdictRecords:
    def _record(self, store: object) -> dict[str, int]:
        from rag import Feedback
        from rag.stores.base import AnswerRecord

        for verdict in ("verified", "verified", "repaired", "failing"):
            store.record_answer(  # type: ignore[attr-defined]
                AnswerRecord(workspace="T1", conversation="C1", model="m", verdict=verdict)
            )
        store.record_feedback(  # type: ignore[attr-defined]
            Feedback("T1", "C1", "U1", 1, "q", "a", ("r1",), verdict="repaired")
        )
        return store.verdict_counts()  # type: ignore[attr-defined,no-any-return]

    def test_sqlite_counts_verdicts_and_keeps_one_beside_a_vote(self, engine: Engine) -> None:
        assert self._record(engine.store) == {"verified": 2, "repaired": 1, "failing": 1}
        (fb,) = engine.store.feedback()  # type: ignore[attr-defined]
        assert fb.verdict == "repaired"

    def test_opensearch_counts_verdicts_and_keeps_one_beside_a_vote(
        self,
        opensearch_url: str,
        embedder: CountingEmbedder,
        summarizer: CountingSummarizer,
    ) -> None:
        client = OpenSearch(hosts=[opensearch_url])
        store = OpenSearchStore(client, index="verdicts-test")
        engine = Engine(
            store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
        )
        try:
            assert self._record(store) == {"verified": 2, "repaired": 1, "failing": 1}
            hits = client.search(index=store.feedback_index, body={"query": {"match_all": {}}})
            assert [h["_source"]["verdict"] for h in hits["hits"]["hits"]] == ["repaired"]
        finally:
            engine.close()


def test_a_store_outage_leaves_calls_unchecked_rather_than_not_found(indexed: Engine) -> None:
    indexed.store.close()
    v = check(indexed, py("total = compute_order_totl(order)\nprint(json.dumps(total))\n"))
    assert v.verdict == "verified" and v.calls_matched == 0
