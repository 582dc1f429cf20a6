"""Slack mrkdwn and Block Kit: escaping, Markdown conversion, limits and splitting.

Slack is not GitHub Markdown. Text from users, files and models is escaped (``&``, ``<``,
``>``), ``**bold**`` becomes ``*bold*``, fences lose their language tag. Such text is
untrusted (indexed code, a model's reply), so it never becomes a Slack control sequence: not
a broadcast (``<!channel>``), and not a masked link either. A Markdown link
``[label](url)`` is shown as ``label (url)``, its real target in plain sight; the only
``<url|label>`` links Gencode posts are the ones it builds itself from Slack's permalinks
(references, index reports). Only ``mrkdwn`` text objects are used, never a ``markdown``
block, which would render ``[label](url)`` as a masked link again. Slack refuses
messages past its limits instead of truncating them, so every builder here keeps under:

* a section's text: 3,000 characters (:data:`SECTION_LIMIT`);
* 50 blocks per message (:data:`MAX_BLOCKS`), and about 12k characters of blocks in
  total (``msg_blocks_too_long`` has been seen near 13k, :data:`MESSAGE_BLOCK_CHARS`);
* a message's ``text``: 40,000 characters (:data:`MAX_TEXT`).

Long answers are split across messages between blocks, so never inside a code block;
code too long for one block becomes a Python snippet (:class:`Upload`) instead.

Code goes out as a ``rich_text`` block holding one ``rich_text_preformatted`` element whose
one ``text`` element is the code itself (:func:`code_block`): Slack neither parses nor
escapes it, so what a user copies is byte for byte what the model wrote, ``&``, ``<``,
``>``, tabs, indentation and backticks included. A mrkdwn code block would need ``&``,
``<`` and ``>`` escaped and ends at the first three backticks, even inside a string; a
``markdown`` block is translated by Slack into blocks of its own, and its fences end the
same way (README, "Code you can copy").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag import Answer, Chunk, FileReport, Hit, IndexReport, segments

from . import messages

SECTION_LIMIT = 3000
CODE_LIMIT = 3000
"""Code longer than this goes up as a snippet: about 75 lines, what a thread shows well."""
MAX_BLOCKS = 50
MAX_TEXT = 40_000
MESSAGE_BLOCK_CHARS = 11_000
STREAM_CHARS = 2_900
INDEX_LINES_SHOWN = 20
BUTTON_VALUE_LIMIT = 2000

FEEDBACK_UP = "gencode_feedback_up"
FEEDBACK_DOWN = "gencode_feedback_down"

Block = dict[str, Any]

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
_BULLET = re.compile(r"^([ \t]*)[-*][ \t]+", re.M)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_INLINE_CODE = re.compile(r"(`[^`\n]+`)")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    The one escape for untrusted text: with ``<`` and ``>`` escaped, no mention, broadcast
    or masked ``<url|label>`` link can be formed from it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unmasked(m: re.Match[str]) -> str:
    """A Markdown link shown with its real target: ``label (url)``, or the url alone when
    the label is the url. Slack links a bare url by itself, showing what it opens."""
    label, url = m.group(1), m.group(2)
    return url if label.strip() == url else f"{label} ({url})"


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _prose_to_mrkdwn(text: str) -> str:
    """GitHub-flavoured prose to mrkdwn; inline code spans are left alone."""
    out = []
    for i, part in enumerate(_INLINE_CODE.split(text)):
        if i % 2:  # an inline code span
            out.append(escape(part))
            continue
        part = escape(part)
        part = _LINK.sub(_unmasked, part)  # never a masked <url|label> link
        part = _HEADING.sub(r"*\1*", part)
        part = _BOLD.sub(r"*\1*", part)
        part = _STRIKE.sub(r"~\1~", part)
        part = _BULLET.sub(r"\1• ", part)
        out.append(part)
    return "".join(out)


def to_mrkdwn(text: str) -> str:
    """Model or user Markdown to escaped Slack mrkdwn (fences kept, language tags dropped)."""
    parts = []
    for seg in segments(text):
        if seg.kind == "code":
            parts.append(f"```\n{escape(seg.text)}\n```")
        else:
            parts.append(_prose_to_mrkdwn(seg.text))
    return "\n".join(parts)


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:  # one enormous line: cut it hard
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current.strip():
        pieces.append(current)
    return [p.rstrip("\n") for p in pieces if p.strip()]


def section(text: str) -> Block:
    assert len(text) <= SECTION_LIMIT, len(text)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def sections(text: str) -> list[Block]:
    return [section(piece) for piece in split_text(text)]


def code_block(code: str) -> Block:
    """Code as Slack's own composer sends a code block: literal text, nothing to escape."""
    preformatted = {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": code}]}
    return {"type": "rich_text", "elements": [preformatted]}


def block_text(block: Block) -> str:
    """The mrkdwn a block stands for in a message's fallback ``text`` (notifications,
    clients without blocks, and the thread history a follow-up reads back)."""
    if "text" in block and isinstance(block["text"], dict):
        return str(block["text"].get("text", ""))
    if block.get("type") == "rich_text":
        code = "".join(
            str(e.get("text", ""))
            for element in block.get("elements", [])
            if element.get("type") == "rich_text_preformatted"
            for e in element.get("elements", [])
        )
        return f"```\n{escape(code)}\n```"
    if block.get("type") == "context":
        return "\n".join(str(e.get("text", "")) for e in block.get("elements", []))
    return ""


def _block_chars(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False))


@dataclass(frozen=True)
class SlackMessage:
    """One ``chat.postMessage``/``chat.update``: fallback text plus blocks, within limits."""

    text: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Upload:
    """Content posted as a file snippet in the thread (``files_upload_v2``)."""

    filename: str
    content: str
    title: str
    snippet_type: str = "python"


@dataclass
class Rendered:
    messages: list[SlackMessage] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)


def pack(blocks: Sequence[Block], *, tail: Sequence[Block] = ()) -> list[SlackMessage]:
    """Pack blocks into messages under the block-count and size limits.

    ``tail`` (references, buttons) is kept together at the end of the last message.
    Splits happen only between blocks, so a code block is never cut in two.
    """
    groups: list[list[Block]] = [[]]
    sizes = [0]
    for block in blocks:
        size = _block_chars(block)
        if groups[-1] and (
            len(groups[-1]) + 1 > MAX_BLOCKS or sizes[-1] + size > MESSAGE_BLOCK_CHARS
        ):
            groups.append([])
            sizes.append(0)
        groups[-1].append(block)
        sizes[-1] += size
    tail_size = sum(_block_chars(b) for b in tail)
    if tail:
        if groups[-1] and (
            len(groups[-1]) + len(tail) > MAX_BLOCKS or sizes[-1] + tail_size > MESSAGE_BLOCK_CHARS
        ):
            groups.append([])
        groups[-1].extend(tail)
    out = []
    for group in groups:
        if not group:
            continue
        text = "\n".join(t for t in (block_text(b) for b in group) if t)
        out.append(SlackMessage(text=text[:MAX_TEXT], blocks=tuple(group)))
    return out


# -- answers ----------------------------------------------------------------------------------


def reference_line(number: int, hit: Hit, *, cited: bool) -> str:
    """``[n] <permalink|file> · Class.method (L12–40) · score``."""
    c: Chunk = hit.chunk
    name = escape(c.display_path.replace("|", "/"))
    shown = f"<{c.permalink}|{name}>" if c.permalink else name
    line = f"[{number}] {shown} · {escape(c.qualname)} ({c.lines}) · {hit.score:.3f}"
    return line if cited else f"{line} {messages.NOT_CITED}"


def references_block(answer: Answer) -> Block | None:
    if not answer.references:
        return None
    lines = [messages.REFERENCES]
    for n, hit in answer.cited_first():
        lines.append(reference_line(n, hit, cited=n in answer.cited))
    return section(split_text("\n".join(lines))[0])


def feedback_value(
    question: str, answer_ts: str, reference_ids: Iterable[str], verdict: str = ""
) -> str:
    """The buttons' value: what a click must record, within Slack's 2,000 characters.

    ``verdict`` is how the answer's code fared in its checks, recorded beside the vote.
    """
    payload: dict[str, Any] = {"a": answer_ts, "r": list(reference_ids), "q": ""}
    if verdict:
        payload["v"] = verdict
    room = BUTTON_VALUE_LIMIT - len(json.dumps(payload, ensure_ascii=False)) - 10
    q = question
    while len(json.dumps(q, ensure_ascii=False)) > room:
        q = q[: max(0, len(q) - max(20, len(q) // 4))]
    payload["q"] = q
    return json.dumps(payload, ensure_ascii=False)


def feedback_block(value: str) -> Block:
    return {
        "type": "actions",
        "block_id": "gencode_feedback",
        "elements": [
            {
                "type": "button",
                "action_id": FEEDBACK_UP,
                "text": {"type": "plain_text", "text": "👍", "emoji": True},
                "value": value,
            },
            {
                "type": "button",
                "action_id": FEEDBACK_DOWN,
                "text": {"type": "plain_text", "text": "👎", "emoji": True},
                "value": value,
            },
        ],
    }


def render_answer(
    answer: Answer,
    *,
    feedback: str,
    notes: Sequence[str] = (),
    upload_prefix: str = "answer",
    korean: bool = False,
) -> Rendered:
    """Blocks for a finished answer: prose, code (or snippets), the verification line,
    notes, references, buttons. ``korean`` follows the asker's language."""
    rendered = Rendered()
    blocks: list[Block] = []
    for seg in segments(answer.text):
        if seg.kind == "prose":
            blocks.extend(sections(_prose_to_mrkdwn(seg.text)))
            continue
        if not seg.text.strip():
            continue
        if len(seg.text) <= CODE_LIMIT:
            blocks.append(code_block(seg.text))
            continue
        n = len(rendered.uploads) + 1
        ext = "py" if seg.language in ("", "python", "py", "python3") else "txt"
        filename = f"{upload_prefix}_{n}.{ext}" if n > 1 else f"{upload_prefix}.{ext}"
        rendered.uploads.append(
            Upload(
                filename=filename,
                content=seg.text + "\n",
                title=filename,
                snippet_type="python" if ext == "py" else "text",
            )
        )
        blocks.append(context(messages.code_uploaded(filename)))
    if not blocks:
        blocks.append(section("_(empty answer)_"))
    if answer.verification is not None:
        line = messages.verification_line(answer.verification, korean=korean)
        if line:
            blocks.append(context(escape(line)))
    all_notes = [*notes, *answer.notes]
    if all_notes:
        blocks.append(context(escape("\n".join(all_notes))))
    tail: list[Block] = []
    refs = references_block(answer)
    if refs is not None:
        tail += [{"type": "divider"}, refs]
    tail.append(feedback_block(feedback))
    rendered.messages = pack(blocks, tail=tail)
    return rendered


def streaming_text(partial: str) -> str:
    """What the placeholder shows while an answer streams: its tail, fences balanced."""
    text = to_mrkdwn(partial) if partial.strip() else ""
    if len(text) > STREAM_CHARS:
        text = "…" + text[-STREAM_CHARS:]
    if text.count("```") % 2:
        text += "\n```"
    return f"{text}\n{messages.WRITING}" if text else messages.PLACEHOLDER


def plain(text: str) -> SlackMessage:
    """One message of already-escaped mrkdwn, split into sections."""
    return SlackMessage(text=text[:MAX_TEXT], blocks=tuple(sections(text)[: MAX_BLOCKS - 1]))


# -- index reports --------------------------------------------------------------------------


def _one_line(chunk: Chunk, limit: int = 140) -> str:
    if chunk.summary_by == "extractive" and chunk.docstring.strip():
        text = chunk.docstring
    else:
        text = re.sub(r"\s*\(extractive summary[^)]*\)\s*$", "", chunk.summary)
    text = " ".join(text.split())
    for end in (". ", "。"):
        i = text.find(end)
        if 0 < i < limit:
            text = text[: i + 1]
            break
    return text if len(text) <= limit else text[: limit - 1] + "…"


def function_line(chunk: Chunk) -> str:
    name = "module preamble" if chunk.kind == "module" else chunk.qualname
    return f"• `{escape(name)}` {chunk.lines} — {escape(_one_line(chunk))}"


@dataclass(frozen=True)
class IndexRendered:
    message: SlackMessage
    upload: Upload | None


def render_index_report(
    report: FileReport,
    *,
    filename: str,
    permalink: str,
    workspace_wide: bool,
    shared_outside: bool = False,
) -> IndexRendered:
    """The thread reply for an indexed file: one line per definition and a total.

    Long files get a compact list and the full list as a text snippet.
    """
    chunks = report.chunks
    lines = [function_line(c) for c in chunks]
    upload = None
    shown = lines
    if len(lines) > INDEX_LINES_SHOWN:
        shown = lines[:INDEX_LINES_SHOWN]
        list_name = f"{filename}.functions.txt"
        upload = Upload(
            filename=list_name,
            content="\n".join(
                f"{'module preamble' if c.kind == 'module' else c.qualname}\tL{c.start_line}-"
                f"{c.end_line}\t{_one_line(c, 300)}"
                for c in chunks
            )
            + "\n",
            title=f"Functions indexed from {filename}",
            snippet_type="text",
        )
        shown = [*shown, messages.index_more_in_snippet(INDEX_LINES_SHOWN, len(lines), list_name)]
    header = messages.index_header(
        escape(filename),
        permalink,
        len(chunks),
        messages.scope_note(workspace_wide, shared_outside=shared_outside),
    )
    blocks: list[Block] = [section(header)]
    blocks += sections("\n".join(shown))
    if report.removed:
        removed = ", ".join(f"`{escape(q)}`" for q in report.removed[:30])
        more = f" and {len(report.removed) - 30} more" if len(report.removed) > 30 else ""
        blocks += sections(f"*Removed* (no longer in the file): {removed}{more}")
    notes = []
    if report.summary_errors:
        notes.append(messages.summary_failures(len(report.summary_errors)))
    if any(c.summary_by == "extractive" for c in chunks):
        notes.append(messages.extractive_summaries_note())
    totals = messages.index_totals(
        len(report.new) + len(report.changed),
        len(report.unchanged),
        len(report.removed),
        len(report.summary_errors),
    )
    blocks.append(section(totals))
    if notes:
        blocks.append(context("\n".join(notes)))
    text = "\n".join(block_text(b) for b in blocks)
    return IndexRendered(
        message=SlackMessage(text=text[:MAX_TEXT], blocks=tuple(blocks[:MAX_BLOCKS])),
        upload=upload,
    )


ARCHIVE_ERRORS_SHOWN = 10


def render_repository_report(
    report: IndexReport,
    *,
    repo: str,
    permalink: str,
    skipped: Sequence[tuple[str, str]],
    workspace_wide: bool,
    shared_outside: bool = False,
    duplicates: Sequence[tuple[str, int]] = (),
) -> IndexRendered:
    """The thread reply for a repository: totals, the files that failed, names that several
    entries shared (``duplicates``: path and copies; the last copy was read), and the full
    per-file list as a snippet (a repository's list never fits in a message)."""
    indexed = report.indexed
    functions = sum(len(f.chunks) for f in indexed)
    header = messages.archive_header(
        escape(repo),
        permalink,
        len(indexed),
        functions,
        messages.scope_note(workspace_wide, shared_outside=shared_outside),
    )
    blocks: list[Block] = [section(header)]
    failed = [(f.display, f.error) for f in report.errors]
    all_skipped = [*skipped, *((f.display, f.skipped) for f in report.skipped)]
    gone = [f for f in report.files if f.deleted]
    blocks.append(
        section(
            messages.archive_totals(
                report.new,
                report.unchanged,
                report.removed,
                len(all_skipped),
                len(failed),
                len(gone),
            )
        )
    )
    if failed:
        lines = "\n".join(f"• {escape(why)}" for _, why in failed[:ARCHIVE_ERRORS_SHOWN])
        more = max(0, len(failed) - ARCHIVE_ERRORS_SHOWN)
        blocks += sections(messages.archive_errors(lines, more))
    if duplicates:
        names = ", ".join(
            f"`{escape(path)}` ({n})" for path, n in duplicates[:ARCHIVE_ERRORS_SHOWN]
        )
        more = max(0, len(duplicates) - ARCHIVE_ERRORS_SHOWN)
        blocks += sections(messages.archive_duplicates(names, more))
    if report.unfinished:
        done = len(report.files)
        blocks.append(section(messages.archive_unfinished(done, done + report.unfinished)))
    list_name = f"{repo}.files.txt"
    rows = []
    for f in report.files:
        if f.error:
            rows.append(f"{f.path}\terror\t{f.error}")
        elif f.skipped:
            rows.append(f"{f.path}\tskipped\t{f.skipped}")
        elif f.deleted:
            rows.append(f"{f.path}\tgone\t{len(f.removed)} functions removed")
        else:
            rows.append(
                f"{f.path}\tindexed\t{len(f.new) + len(f.changed)} new, {len(f.unchanged)} "
                f"unchanged, {len(f.removed)} removed"
            )
    rows += [f"{path}\tskipped\t{why}" for path, why in skipped]
    rows += [
        f"{path}\tduplicate\t{n} entries have this name; the last one was read"
        for path, n in duplicates
    ]
    upload = Upload(
        filename=list_name,
        content="\n".join(rows) + "\n",
        title=f"Files indexed from {repo}",
        snippet_type="text",
    )
    blocks.append(context(messages.archive_list_note(escape(list_name))))
    text = "\n".join(block_text(b) for b in blocks)
    return IndexRendered(
        message=SlackMessage(text=text[:MAX_TEXT], blocks=tuple(blocks[:MAX_BLOCKS])),
        upload=upload,
    )
