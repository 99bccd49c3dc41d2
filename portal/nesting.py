"""How deeply a Markdown body nests, checked before Python-Markdown sees it.

Python-Markdown walks its element tree recursively and matches brackets by scanning ahead, so a
body of thousands of nested list levels, quote markers, emphasis marks or open brackets would
exhaust Python's recursion limit or take minutes. No real article nests a hundred levels: such a
body is refused with the line where it goes too deep, before any conversion starts.
"""

from __future__ import annotations

import re

MAX_NESTING = 100
"""Levels of lists, quotes, brackets or emphasis marks a body may nest (Python-Markdown's own
limit lies above 200)."""
_PREFIX = re.compile(r"[ \t>]*")
_MARK_RUN = re.compile(r"\*+|_+")
_MARKER = re.compile(r"> ?")
_BRACKET = re.compile(r"\\.|[\[\]]")


def deepest_nesting(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """The first (line index, depth) where ``text`` nests deeper than ``limit``, else None.

    A line's depth is its quote markers plus its indentation in steps of four columns (the
    indent of one nested list level), or its longest run of ``*``/``_`` marks, or how many
    ``[`` are open in its paragraph.
    """
    return None if surely_shallow(text, limit) else scan_nesting(text, limit)


def scan_nesting(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """:func:`deepest_nesting` line by line."""
    open_brackets = 0
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            open_brackets = 0
            continue
        prefix = _PREFIX.match(line).group(0)
        columns = len(_MARKER.sub("", prefix).expandtabs(4))
        depth = prefix.count(">") + columns // 4
        runs = [len(run) for run in _MARK_RUN.findall(line)]
        if runs and line.strip(" \t*_-") != "":  # a line of marks alone is a rule, not emphasis
            depth = max(depth, max(runs))
        if "[" in line or "]" in line:
            for bracket in _BRACKET.finditer(line):
                if bracket.group(0) == "[":
                    open_brackets += 1
                    depth = max(depth, open_brackets)
                elif bracket.group(0) == "]":
                    open_brackets = max(0, open_brackets - 1)
        else:
            depth = max(depth, open_brackets)
        if depth > limit:
            return index, depth
    return None


def surely_shallow(text: str, limit: int) -> bool:
    """No line can nest deeper than ``limit``: few brackets in all, no run of marks and no line
    prefix longer than it (a prefix character adds at most one level). Most bodies are shown
    safe by these scans of the whole text at once, without going line by line."""
    if text.count("[") > limit or "*" * (limit + 1) in text or "_" * (limit + 1) in text:
        return False
    # Line by line: one regular expression over the text tried every position (4× slower).
    for line in text.split("\n"):
        if len(line) > limit and not line[:limit + 1].strip(" \t>"):
            return False
    return True
