"""Fenced code in a model's Markdown: found as CommonMark finds it, whatever the code holds."""

from __future__ import annotations

from rag import segments
from rag.fences import code_blocks

CODE = 'FENCE = "```"\nprint(f"{FENCE}python")\n\tx = "`y`"  # a tab, backticks'


class TestFences:
    def test_backticks_inside_the_code_do_not_end_the_block(self) -> None:
        text = f"Use this:\n```python\n{CODE}\n```\nThat is all."
        assert [(s.kind, s.text, s.language) for s in segments(text)] == [
            ("prose", "Use this:", ""),
            ("code", CODE, "python"),
            ("prose", "That is all.", ""),
        ]
        assert [b.code for b in code_blocks(text)] == [CODE + "\n"]

    def test_a_longer_fence_holds_a_line_of_three_backticks(self) -> None:
        text = "````markdown\n```python\nx = 1\n```\n````"
        assert [s.text for s in segments(text)] == ["```python\nx = 1\n```"]

    def test_a_fence_indented_in_a_list_item_loses_that_indentation(self) -> None:
        text = "1. Call it:\n   ```python\n   if ok:\n       go()\n   ```\n2. Done."
        kinds = [(s.kind, s.text) for s in segments(text)]
        assert kinds == [
            ("prose", "1. Call it:"),
            ("code", "if ok:\n    go()"),
            ("prose", "2. Done."),
        ]

    def test_an_unclosed_fence_runs_to_the_end_and_is_not_checked_code(self) -> None:
        text = "Partial:\n```python\ndef f():\n    return 1\n"
        (prose, code) = segments(text)
        assert (code.kind, code.text, code.closed) == ("code", "def f():\n    return 1", False)
        assert code_blocks(text) == ()
