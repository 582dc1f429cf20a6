"""Which signatures the answer checks trust: decorators, and constructors of classes.

A decorator that injects an argument makes the ``def`` line a wrong guide, so such a
function is left unchecked (and its ``def`` never goes to the model as "the real
signature"); decorators known to keep the signature stay checked. A call to a class binds
to the constructor Python would run: a visible ``__init__`` (its own or its base's), or
the one ``@dataclass`` and ``NamedTuple`` write from the fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import Engine, Scope, Source
from rag.embed import LocalUSEEmbedder
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer
from tests.fakes import FakeGenerator
from tests.test_verify import check, kinds, py

USERS = b'''
import functools
from contextlib import contextmanager


def with_db(fn):
    """Call fn with a fresh connection first."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(connect(), *args, **kwargs)

    return wrapper


@with_db
def load_user(db, user_id):
    """Load one user (the decorator passes db)."""
    return db[user_id]


@functools.lru_cache(maxsize=128)
def exchange_rate(currency, day):
    """Rate of a currency on a day, cached."""
    return 1.0


@contextmanager
def transaction(db, *, readonly=False):
    """A transaction around a block."""
    yield db


class Wallet:
    def __init__(self, owner, *, limit=100):
        self.owner = owner


class SavingsWallet(Wallet):
    rate = 0.02
'''

SHAPES = b'''
from dataclasses import KW_ONLY, InitVar, dataclass, field
from enum import Enum
from typing import ClassVar, NamedTuple


@dataclass
class Point:
    """A point in space."""

    x: float
    y: float
    z: float = 0.0
    scale: ClassVar[float] = 1.0


@dataclass(kw_only=True)
class Options:
    retries: int = 3
    timeout: float


@dataclass
class Span:
    start: int
    _: KW_ONLY
    end: int


class Money(NamedTuple):
    amount: float
    currency: str = "EUR"


class Color(Enum):
    RED = (255, 0, 0)

    def __init__(self, r, g, b):
        self.rgb = (r, g, b)
'''

SOLIDS = b"""
from dataclasses import InitVar, dataclass, field

from geometry.shapes import Point


@dataclass
class Point4(Point):
    w: float = 1.0
    label: str = field(default="", kw_only=True)
    cache: dict = field(default_factory=dict, init=False)
    seed: InitVar[int] = 0
"""


@pytest.fixture
def team(tmp_path: Path, local_embedder: LocalUSEEmbedder) -> Iterator[Engine]:
    engine = Engine(
        store=SQLiteStore(tmp_path / "index.sqlite3"),
        embedder=local_embedder,
        summarizer=ExtractiveSummarizer(),
        generator=ExtractiveGenerator(),
    )
    for path, code in (
        ("accounts/users.py", USERS),
        ("geometry/shapes.py", SHAPES),
        ("geometry/solids.py", SOLIDS),
    ):
        assert engine.index_bytes(code, Source(path, workspace="T1")).ok
    yield engine
    engine.close()


IMPORTS = (
    "from accounts.users import SavingsWallet, Wallet, exchange_rate, load_user, transaction\n"
    "from geometry.shapes import Color, Money, Options, Point, Span\n"
    "from geometry.solids import Point4\n\n\n"
)


def checked(engine: Engine, lines: str):  # type: ignore[no-untyped-def]
    """Check ``lines`` after :data:`IMPORTS` (so line 6 is the first of ``lines``)."""
    return check(engine, py(IMPORTS + lines), Scope.of("T1"))


class TestDecorators:
    def test_a_decorator_that_injects_an_argument_leaves_the_call_unchecked(
        self, team: Engine
    ) -> None:
        # load_user(42) was flagged "missing `user_id`": with_db passes db itself.
        v = checked(team, "user = load_user(42)\n")
        assert v.verdict == "verified", v.findings
        assert v.calls_matched == 0  # not counted as matching either: it is unknown

    def test_decorators_known_to_keep_the_signature_stay_checked(self, team: Engine) -> None:
        v = checked(
            team,
            "rate = exchange_rate('EUR')\n"
            "with transaction(db, True):\n    pass\n"
            "print(exchange_rate('EUR', '2026-01-02'))\n",
        )
        assert kinds(v) == [("missing-arg", 6), ("arg-count", 7)]
        assert v.calls_matched == 1


class TestConstructors:
    def test_a_dataclass_constructor_is_checked_against_its_fields(self, team: Engine) -> None:
        # Point(1, 2, 3, 4) was never checked.
        v = checked(team, "a = Point(1, 2, 3, 4)\nb = Point(1)\nc = Point(1, 2, z=3)\n")
        assert kinds(v) == [("arg-count", 6), ("missing-arg", 7)]
        assert v.errors[0].message == "`Point()` takes 2–3 positional arguments, 4 given"
        assert v.errors[1].detail == ("y",)
        assert v.calls_matched == 1  # ClassVar scale is no parameter

    def test_keyword_only_fields_and_the_kw_only_marker(self, team: Engine) -> None:
        v = checked(
            team,
            "a = Options(timeout=1.0)\nb = Options(3, 1.0)\nc = Options()\n"
            "d = Span(1, end=2)\ne = Span(1, 2)\n",
        )
        assert kinds(v) == [("arg-count", 7), ("missing-arg", 8), ("arg-count", 10)]
        assert v.errors[1].detail == ("timeout",)
        assert v.calls_matched == 2

    def test_inherited_fields_init_false_and_initvar_across_files(self, team: Engine) -> None:
        v = checked(
            team,
            "a = Point4(1, 2, 3, 4, 5, label='p')\n"
            "b = Point4(1, 2, cache={})\n"
            "c = Point4(1, 2, 3, 4, 5, 6)\n",
        )
        assert kinds(v) == [("bad-keyword", 7), ("arg-count", 8)]
        assert v.errors[1].message == "`Point4()` takes 2–5 positional arguments, 6 given"
        assert v.calls_matched == 1

    def test_named_tuples_and_an_inherited_init(self, team: Engine) -> None:
        v = checked(
            team,
            "m = Money(1.0)\nn = Money(1.0, 'KRW', 3)\n"
            "w = SavingsWallet('ann', limit=5)\nx = SavingsWallet()\n",
        )
        assert kinds(v) == [("arg-count", 7), ("missing-arg", 9)]
        assert v.errors[1].detail == ("owner",)
        assert v.calls_matched == 2

    def test_an_enum_is_called_to_look_a_member_up_so_it_is_not_checked(self, team: Engine) -> None:
        v = checked(team, "red = Color((255, 0, 0))\n")
        assert v.verdict == "verified" and v.calls_matched == 0


def test_the_repair_request_gives_constructors_and_never_a_decorated_def_line(
    team: Engine,
) -> None:
    first = (
        "from geometry.shapes import Point, load_user\n\np = Point(1, 2, 3, 4)\nu = load_user(7)\n"
    )
    fixed = "from accounts.users import load_user\nfrom geometry.shapes import Point\n\n"
    gen = FakeGenerator(replies=[[py(first)], [py(fixed + "p = Point(1, 2, 3)\n")]])
    team.generator = gen
    answer = team.ask("make a point", Scope.of("T1"))
    assert answer.verification is not None and answer.verification.verdict == "repaired"
    repair = str(gen.calls[1]["question"])
    assert "`Point()` takes 2–3 positional arguments, 4 given" in repair
    assert "Point(x: float, y: float, z: float=0.0)  (geometry/shapes.py)" in repair
    assert "the indexed one is in accounts/users.py" in repair
    assert "load_user(db, user_id)" not in repair  # with_db passes db: not how it is called
