"""Skipping Python-Markdown's whole-text passes (``portal/markdown_skips.py``) gives exactly
its output: on texts with and without each pass's characters, on generated texts made of
them, and with another processor under a name. (The sample and hostile sites' sources are
compared in ``test_markdown_inline.py``, with every fast pass on.)"""

from __future__ import annotations

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.preprocessors import Preprocessor

from portal.markdown_render import MarkdownRenderer
from portal.markdown_skips import use_skips

FAST = MarkdownRenderer()
STOCK = MarkdownRenderer(fast=False)

TEXTS = [
    "Đoạn thuần tiếng Việt, không có ký tự nào các bước kia tìm.\n\n## Mục hai\n\nĐoạn.",
    # whitespace: CR, CRLF, tabs, lines of spaces, the reserved STX and ETX
    "Dòng một\r\nDòng hai\rDòng ba\n\n\tmã thụt bằng tab\n   \nĐoạn \x02lạ\x03.",
    "- mục\n  \n    \n- mục hai\t có tab\n \n\nĐoạn.",
    # raw HTML and character references, with and without a semicolon
    "<div class=\"hop\">\n<p>HTML khối</p>\n</div>\n\nĐoạn sau.",
    "Tài nguyên & Môi trường, &amp; &#169 &#x41 &copy &nbsp; &#123;.",
    "Chữ <b>đậm</b> giữa dòng và <!-- ghi chú -->.\n\n<https://chinhphu.vn/>",
    # fences: backticks and tildes, unclosed, with attributes, and lookalikes
    "```python\nin(1)\n```\n\n~~~ {.js #ma}\nx = 1\n~~~\n\nĐoạn ``hai`` dấu.",
    "```\nrào không đóng\n\nĐoạn sau. ~~ hai dấu ngã ~~",
    # attribute lists
    "## Mục {: #rieng .lop }\n\nĐoạn {: .doan }\n\n- mục {: .m }",
    "Ngoặc nhọn {không phải} thuộc tính, và {: #x} cuối dòng\n{: .khoi }",
    # backslash escapes, in text, links and code
    r"Dấu \*không nhấn\*, \\ gạch, \[ngoặc\], [liên \* kết](/a\_b) và `\*mã\*`.",
    "# Tiêu đề có \\# và \\{\n\nĐoạn \\\\ cuối.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_each_text_renders_as_python_markdown_does(text):
    assert FAST.convert(text) == STOCK.convert(text)


PIECES = st.lists(st.sampled_from(
    ["chữ", "Việt", " ", "  ", "\n", "\n\n", "\t", "\r", "\r\n", "<", ">", "&", ";", "#",
     "{", "}", ":", ".", "\\", "`", "```", "~~~", "*", "_", "[", "]", "(", ")", "-", "1.",
     "<b>", "</b>", "<div>", "</div>", "&amp;", "&#169", "{: #a }", "\x02", "\x03", "|"]),
    max_size=40)


@settings(max_examples=600, deadline=None)
@given(PIECES)
def test_any_text_renders_as_python_markdown_does(pieces):
    text = "".join(pieces)
    assert FAST.convert(text) == STOCK.convert(text)


def test_the_passes_run_when_their_characters_are_there(monkeypatch):
    """Otherwise the comparisons would hold whatever the skips did with such texts."""
    md = markdown.Markdown(extensions=["attr_list", "fenced_code"])
    skips = use_skips(md)
    assert skips.replaced == ("attr_list", "fenced_code_block", "html_block",
                              "normalize_whitespace", "unescape")
    ran: list[str] = []
    for name in ("html_block", "fenced_code_block", "attr_list", "unescape"):
        stock = skips._stock[name]
        monkeypatch.setitem(skips._stock, name,
                            lambda arg, name=name, stock=stock: ran.append(name) or stock(arg))
    for text, expected in (("Đoạn thuần.", []), ("a < b", ["html_block"]),
                           ("a & b", ["html_block"]), ("```\nx\n```", ["fenced_code_block"]),
                           ("~~~\nx\n~~~", ["fenced_code_block"]), ("a {: .b }", ["attr_list"]),
                           ("a \\* b", ["unescape"])):
        ran.clear()
        md.reset()
        skips.prepare(text)
        md.convert(text)
        assert ran == expected, text


class _Shout(Preprocessor):
    """An extension's preprocessor registered under a name the skips know."""

    def run(self, lines):
        return [line.upper() for line in lines]


def test_another_processor_under_a_known_name_runs_as_it_comes():
    md = markdown.Markdown()
    md.preprocessors.register(_Shout(md), "html_block", 20)
    skips = use_skips(md)
    assert "html_block" not in skips.replaced
    skips.prepare("chữ thường")
    assert md.convert("chữ thường") == "<p>CHỮ THƯỜNG</p>"


def test_the_comparisons_compare_the_skips_with_the_stock_passes():
    assert FAST._skips is not None and len(FAST._skips.replaced) == 5
    assert STOCK._skips is None
