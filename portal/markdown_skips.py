"""Python-Markdown's whole-text passes, skipped for a text that cannot give them work.

Before and after parsing, Python-Markdown runs passes over the whole text or the whole tree,
each looking for something a typical news body does not have: raw HTML and character
references (``<``, ``&``), fenced code (`````` ``` `````` or ``~~~``), attribute lists
(``{``) and backslash escapes (``\\``). On the benchmark corpus those passes were a quarter of
the conversion time (about 75 µs of 300 per body), almost all of it finding nothing. Here each
one runs only when its character is in the text; the text's whitespace is normalised with
the same steps, each one only when it has something to change.

- ``normalize_whitespace``: strips the STX and ETX characters Python-Markdown reserves,
  turns CR and CRLF into LF, appends two newlines, expands tabs and empties lines of spaces.
- ``html_block``: its HTML parser only acts at ``<`` (a tag, a comment…) and ``&`` (a
  character reference, which it writes back with a semicolon added where one was missing);
  every other character goes through as it is.
- ``fenced_code_block``: a fence is a line starting with three backticks or tildes.
- ``attr_list``: every attribute list starts with ``{``, and only the text of the source
  puts one in the tree (placeholders are made of other characters).
- ``unescape``: turns back the placeholders the backslash-escape pattern makes (STX, a
  number, ETX), never made without a backslash in the text (the text's own STX and ETX are
  gone by then).

Only Python-Markdown's own processors are replaced (by class); another one under those names
runs as it comes. The tests compare the result with stock Python-Markdown's.
"""

from __future__ import annotations

import re
from typing import Any

import markdown
from markdown.util import ETX, STX

_BLANK_LINE = re.compile(r"(?<=\n) +\n")
"""Python-Markdown's own expression for lines of spaces (``NormalizeWhitespace``)."""

_PREPROCESSORS = {
    "normalize_whitespace": "NormalizeWhitespace",
    "html_block": "HtmlBlockPreprocessor",
    "fenced_code_block": "FencedBlockPreprocessor",
}
_TREEPROCESSORS = {"attr_list": "AttrListTreeprocessor", "unescape": "UnescapeTreeprocessor"}


class Skips:
    """The passes replaced in one Markdown instance; :meth:`prepare` tells them about the
    next text (the tree passes decide from it)."""

    def __init__(self, md: markdown.Markdown, replaced: dict[str, Any]):
        self._md = md
        self.replaced = tuple(sorted(replaced))
        self._braces = self._backslashes = True
        stock = {name: processor.run for name, processor in replaced.items()}
        for name, processor in replaced.items():
            processor.run = getattr(self, "_" + name)
        self._stock = stock

    def prepare(self, text: str) -> None:
        self._braces = "{" in text
        self._backslashes = "\\" in text

    def _normalize_whitespace(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        if STX in source or ETX in source:
            source = source.replace(STX, "").replace(ETX, "")
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        source += "\n\n"
        if "\t" in source:
            source = source.expandtabs(self._md.tab_length)
        if " \n" in source:
            source = _BLANK_LINE.sub("\n", source)
        return source.split("\n")

    def _html_block(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        if "<" in source or "&" in source:
            return self._stock["html_block"](lines)
        return source.split("\n")

    def _fenced_code_block(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines)
        if "```" in source or "~~~" in source:
            return self._stock["fenced_code_block"](lines)
        return source.split("\n")

    def _attr_list(self, root: Any) -> Any:
        return self._stock["attr_list"](root) if self._braces else None

    def _unescape(self, root: Any) -> Any:
        return self._stock["unescape"](root) if self._backslashes else None


def use_skips(md: markdown.Markdown) -> Skips:
    """Replace the passes of ``md`` this module understands (see the module's text)."""
    replaced = {}
    for registry, known in ((md.preprocessors, _PREPROCESSORS),
                            (md.treeprocessors, _TREEPROCESSORS)):
        for name, kind in known.items():
            if name in registry:  # a Registry: no get()
                processor = registry[name]
                cls = type(processor)
                if cls.__name__ == kind and cls.__module__.startswith("markdown."):
                    replaced[name] = processor
    return Skips(md, replaced)
