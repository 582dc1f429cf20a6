"""Errors Gencode shows to people.

Every expected failure is a :class:`GencodeError`; its message is written for the
person who caused it and says how to fix it. Bugs stay ordinary exceptions.

    GencodeError
    ├── ConfigError          settings missing or inconsistent
    ├── InputError           a file or a query we refuse (not Python, binary, too big, empty…)
    │   ├── ParseError       Python that does not parse (carries path, line, message)
    │   └── TooManyDefinitions  a file or a share past the definitions limits
    ├── StoreError           the index cannot be read or written
    │   ├── EmbedderMismatchError  the store was built with another embedding model
    │   └── StoreLockedError       another writer holds the store for too long
    ├── LLMError             a model call failed for good (after retries)
    └── SourceForgotten      what was being indexed was forgotten meanwhile; nothing was kept

Vendor errors (sqlite3, botocore, opensearch) are wrapped where they are raised,
``raise StoreError(...) from exc``, so callers need only know this tree.
"""

from __future__ import annotations


class GencodeError(Exception):
    """Root of every error whose message is meant for users."""


class ConfigError(GencodeError):
    """Settings are missing or contradict each other."""


class InputError(GencodeError):
    """Input we refuse: a non-Python or binary file, a file too large, an empty query."""


class ParseError(InputError):
    """A Python file that does not parse; ``str()`` reads ``path:line: message``."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class TooManyDefinitions(InputError):
    """A file or a whole share (an archive, a repository) with more definitions than the
    limits allow: refused before anything of it is written."""


class StoreError(GencodeError):
    """The index cannot be read or written."""


class EmbedderMismatchError(StoreError):
    """The store holds vectors from another embedding model; mixing them would be silent garbage."""


class StoreLockedError(StoreError):
    """Another process kept the store locked for longer than the busy timeout."""


class LLMError(GencodeError):
    """A model call failed for good, after retries and failover."""


class SourceForgotten(GencodeError):
    """A file or repository was forgotten while it was being indexed.

    Raised by the indexer, between files or from inside a file's write transaction, once
    the store holds a tombstone newer than the indexer's start: nothing more of it is
    written, and what was written before the forget went with it.
    """
