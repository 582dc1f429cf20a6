"""Chunking follows Python's parser: every callable definition, exact spans, clear refusals."""

from __future__ import annotations

import textwrap

import pytest

from rag.chunking import MODULE_QUALNAME, chunk_python, decode_source
from rag.errors import InputError, ParseError

SOURCE = textwrap.dedent(
    '''\
    """Orders module."""
    import functools
    from typing import Any

    RETRIES = 3


    def plain(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b


    @functools.lru_cache(maxsize=None)
    @staticmethod
    def decorated(x):
        return x


    async def fetch(url: str) -> bytes:
        raise ValueError(url)


    class Outer(Base, metaclass=Meta):
        """An outer class."""

        limit: int = 10

        def method(self) -> None:
            helper(self.limit)

        @property
        def value(self) -> int:
            return 1

        @value.setter
        def value(self, v: int) -> None:
            self._v = v

        async def amethod(self):
            yield 1

        class Inner:
            def deep(self, *args: Any, **kw: Any) -> None:
                def nested():
                    return 2
                return nested()


    if RETRIES:
        def in_if():
            pass
    else:
        def in_else():
            pass

    try:
        import ujson as json
    except ImportError:
        def in_except():
            pass

    with open(__file__) as fh:
        def in_with():
            pass
    '''
)


def by_name(chunks):  # type: ignore[no-untyped-def]
    out = {}
    for c in chunks:
        out.setdefault(c.qualname, []).append(c)
    return out


def test_every_definition_at_any_depth_gets_a_qualified_name() -> None:
    names = by_name(chunk_python(SOURCE, "orders.py"))
    assert set(names) == {
        MODULE_QUALNAME,
        "plain",
        "decorated",
        "fetch",
        "Outer",
        "Outer.method",
        "Outer.value",
        "Outer.amethod",
        "Outer.Inner",
        "Outer.Inner.deep",
        "Outer.Inner.deep.nested",
        "in_if",
        "in_else",
        "in_except",
        "in_with",
    }
    assert len(names["Outer.value"]) == 2  # property getter and setter are both kept


def test_kinds_distinguish_functions_methods_and_async() -> None:
    names = by_name(chunk_python(SOURCE, "orders.py"))
    assert names["plain"][0].kind == "function"
    assert names["fetch"][0].kind == "async_function"
    assert names["Outer.method"][0].kind == "method"
    assert names["Outer.amethod"][0].kind == "async_method"
    assert names["Outer"][0].kind == "class"
    assert names[MODULE_QUALNAME][0].kind == "module"


def test_spans_include_decorators_and_code_is_exact() -> None:
    lines = SOURCE.splitlines()
    decorated = by_name(chunk_python(SOURCE, "orders.py"))["decorated"][0]
    assert lines[decorated.start_line - 1] == "@functools.lru_cache(maxsize=None)"
    assert lines[decorated.end_line - 1] == "    return x"
    assert decorated.code.startswith(
        "@functools.lru_cache(maxsize=None)\n@staticmethod\ndef decorated"
    )
    assert decorated.facts.decorators == ("functools.lru_cache(maxsize=None)", "staticmethod")


def test_signature_docstring_and_facts() -> None:
    names = by_name(chunk_python(SOURCE, "orders.py"))
    plain = names["plain"][0]
    assert plain.signature == "def plain(a: int, b: int=2) -> int"
    assert plain.docstring == "Add two numbers."
    assert plain.facts.returns
    fetch = names["fetch"][0]
    assert fetch.signature == "async def fetch(url: str) -> bytes"
    assert fetch.facts.raises == ("ValueError",)
    assert names["Outer.method"][0].facts.calls == ("helper",)
    assert names["Outer.amethod"][0].facts.yields


def test_module_preamble_holds_imports_and_constants_only() -> None:
    preamble = by_name(chunk_python(SOURCE, "orders.py"))[MODULE_QUALNAME][0]
    assert "import functools" in preamble.code
    assert "RETRIES = 3" in preamble.code
    assert "def plain" not in preamble.code
    assert "functools" in preamble.facts.imports
    assert preamble.docstring == "Orders module."


def test_class_chunk_is_an_outline_without_method_bodies() -> None:
    outer = by_name(chunk_python(SOURCE, "orders.py"))["Outer"][0]
    assert outer.signature == "class Outer(Base, metaclass=Meta)"
    assert "limit: int = 10" in outer.code
    assert "def method(self) -> None: ..." in outer.code
    assert "helper(self.limit)" not in outer.code


def test_syntax_error_is_refused_with_file_line_and_message() -> None:
    with pytest.raises(ParseError) as info:
        chunk_python("def ok():\n    pass\n\ndef broken(:\n    pass\n", "bad.py")
    assert info.value.line == 4
    assert str(info.value).startswith("bad.py:4: ")
    assert "syntax" in str(info.value).lower() or "invalid" in str(info.value).lower()


def test_pep263_cookie_is_honoured() -> None:
    data = "# -*- coding: latin-1 -*-\ndef café():\n    return 'é'\n".encode("latin-1")
    text = decode_source(data, "latin.py", max_bytes=1000)
    assert "café" in text


def test_utf8_bom_is_accepted() -> None:
    text = decode_source(b"\xef\xbb\xbfdef f():\n    pass\n", "bom.py", max_bytes=1000)
    assert text.startswith("def f()")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x7fELF\x02\x01\x00\x00binary", "binary"),
        (b"def f():\n    return '\xff\xfe'\n", "not valid utf-8"),
        (b"x = 1\n" * 100, "over the 50-byte limit"),
    ],
    ids=["binary", "non-utf8", "too-big"],
)
def test_unacceptable_bytes_are_refused_clearly(data: bytes, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        decode_source(data, "thing.py", max_bytes=50)
    assert str(info.value).startswith("thing.py: ")
    assert fragment in str(info.value).lower()


def test_extractive_summaries_keep_long_signatures_short() -> None:
    from rag.summarize import extractive_summary

    params = ", ".join(f"option_{i}: Optional[str] = None" for i in range(30))
    src = f'def post(channel: str, {params}) -> Response:\n    """Send a message."""\n    return api(channel)\n'
    summary = extractive_summary(chunk_python(src, "api.py")[0])
    assert "Send a message." in summary
    assert "def post(channel: str, option_0" in summary and "…) -> Response" in summary
    assert len(summary) < 400
