"""What a person gets when they copy a code block out of a message in Slack's client.

Each block type is read the way the client renders it, so a test can compare what the user
pastes with the code the model wrote:

* ``rich_text`` / ``rich_text_preformatted``: the concatenated ``text`` of its elements
  (a link element shows its text, else its URL), exactly as sent: nothing is parsed;
* ``markdown`` blocks: Slack translates the Markdown itself; a code block runs from a line
  opening with three backticks to the next three backticks (Slack's fences are not
  CommonMark's: a run of three inside a string ends the block);
* ``section`` mrkdwn: the text between three backticks and the next three, with the
  ``&amp;``, ``&lt;`` and ``&gt;`` Slack requires decoded back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_MRKDWN_CODE = re.compile(r"```\n?(.*?)\n?```", re.S)
_MARKDOWN_CODE = re.compile(r"^```[^\n`]*\n(.*?)\n?```", re.S | re.M)


def _decode_mrkdwn(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _preformatted_text(element: Mapping[str, Any]) -> str:
    out = []
    for e in element.get("elements", []):
        if e.get("type") == "link":
            out.append(str(e.get("text") or e.get("url", "")))
        else:
            out.append(str(e.get("text", "")))
    return "".join(out)


def copied_code(blocks: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every code block of a message, in order, as the user would copy it."""
    found: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "rich_text":
            found += [
                _preformatted_text(e)
                for e in block.get("elements", [])
                if e.get("type") == "rich_text_preformatted"
            ]
        elif kind == "markdown":
            found += _MARKDOWN_CODE.findall(str(block.get("text", "")))
        elif kind == "section" and (block.get("text") or {}).get("type") == "mrkdwn":
            found += [_decode_mrkdwn(c) for c in _MRKDWN_CODE.findall(block["text"]["text"])]
    return found
