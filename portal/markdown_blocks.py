"""A faster block pass for Python-Markdown: a plain paragraph goes straight to the paragraph
processor instead of being tested by every block processor first.

Python-Markdown hands each block (text between blank lines) to its block processors in turn —
empty, indented code, tables, headings, rules, lists, quotes, definitions, footnotes,
abbreviations, references — until one takes it; most blocks of a news article are ordinary
paragraphs and reach the last one, the paragraph, after a dozen regular expressions. Each of
those processors needs something a plain paragraph lacks: a first character that is a space, a
``|``, or a line that starts (after up to three spaces) with one of ``# > [ * - + = : _`` or a
number followed by ``.`` or ``)``. A block with none of these is given to the paragraph
processor directly: 80% of the blocks of the benchmark corpus, whose conversion then takes
about 40% less time again (after ``markdown_inline.py``).

Only Python-Markdown's own processors are understood (by name and class); with any other one
registered, every block goes through the usual loop. The tests compare both passes.
"""

from __future__ import annotations

import re
import types
from typing import Any

import markdown

KNOWN = {
    "empty": ("EmptyBlockProcessor",), "indent": ("ListIndentProcessor",),
    "code": ("CodeBlockProcessor",), "table": ("TableProcessor",),
    "hashheader": ("HashHeaderProcessor",), "setextheader": ("SetextHeaderProcessor",),
    "hr": ("HRProcessor",), "olist": ("OListProcessor", "SaneOListProcessor"),
    "ulist": ("UListProcessor", "SaneUListProcessor"), "quote": ("BlockQuoteProcessor",),
    "footnote": ("FootnoteBlockProcessor",), "reference": ("ReferenceProcessor",),
    "paragraph": ("ParagraphProcessor",), "defindent": ("DefListIndentProcessor",),
    "deflist": ("DefListProcessor",),
    "abbr": ("AbbrBlockprocessor", "AbbrPreprocessor"),  # the older name: same ``*[`` start
}
"""Block processor name → the Python-Markdown classes that register under it."""
_MARKS = frozenset("#>[*-+=:_")
_NUMBERED = re.compile(r"\d+[.)]")


def is_plain(block: str) -> bool:
    """No block processor but the paragraph's can take ``block`` (see the module's text)."""
    if not block or block[0].isspace() or "|" in block or "\x02" in block:
        return False
    # Line by line rather than one regular expression over the block: most paragraphs are a
    # line or two, and a regular expression tries every position of them (5 times slower).
    for line in block.split("\n"):
        text = line.lstrip(" ")
        if not text or len(line) - len(text) > 3:
            continue
        if text[0] in _MARKS or (text[0].isdecimal() and _NUMBERED.match(text)):
            return False
    return True


def _understood(md: markdown.Markdown) -> bool:
    """Whether every registered block processor is one of Python-Markdown's own. Asked for
    every list of blocks (nested ones too), answered again only when the registry holds other
    processors than last time: comparing them is much cheaper than checking them."""
    registry = md.parser.blockprocessors
    current = tuple(registry._data.items())  # name → processor, compared by identity
    last = getattr(registry, "_portal_understood", None)
    if last is not None and last[0] == current:
        return last[1]
    answer = all(_known(name, processor) for name, processor in current)
    registry._portal_understood = (current, answer)
    return answer


def _known(name: str, processor: object) -> bool:
    expected = KNOWN.get(name)
    kind = type(processor)
    return expected is not None and kind.__module__.startswith("markdown.") \
        and kind.__name__ in expected


def _parse_blocks(self: Any, parent: Any, blocks: list[str]) -> None:
    """``BlockParser.parseBlocks``, a plain block going straight to the paragraph."""
    processors = self.blockprocessors
    paragraph = processors["paragraph"] if _understood(self.md) else None
    while blocks:
        if paragraph is not None and is_plain(blocks[0]) \
                and paragraph.run(parent, blocks) is not False:
            continue
        for processor in processors:
            if processor.test(parent, blocks[0]) \
                    and processor.run(parent, blocks) is not False:
                break


def use_plain_paragraph_pass(md: markdown.Markdown) -> bool:
    """Let plain paragraphs skip the other block processors' tests; say whether it could
    (not when this release of Python-Markdown parses blocks in another way)."""
    parser = getattr(md, "parser", None)
    if parser is None or not hasattr(parser, "parseBlocks") \
            or not hasattr(parser, "blockprocessors") or not hasattr(parser, "md"):
        return False
    parser.parseBlocks = types.MethodType(_parse_blocks, parser)
    return True
