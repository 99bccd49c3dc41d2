"""The faster block pass (``portal/markdown_blocks.py``) gives exactly Python-Markdown's output:
on every block construct, beside and inside lists and quotes, on generated documents whose
lines start with what block processors look for, and with an unknown processor registered."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.blockprocessors import BlockProcessor

from portal.markdown_blocks import is_plain, use_plain_paragraph_pass
from portal.markdown_render import MarkdownRenderer

FAST = MarkdownRenderer()
STOCK = MarkdownRenderer(fast=False)

DOCUMENTS = [
    "# Tiêu đề\n\nĐoạn thường.\n\n## Mục {: #muc }\n\nĐoạn khác.",
    "Tiêu đề kiểu setext\n===\n\nPhụ đề\n---\n\nĐoạn.",
    "Đoạn trước.\n\n---\n\n* * *\n\n_ _ _\n\nĐoạn sau.",
    "- một\n- hai\n\n    Đoạn thuộc mục hai.\n\nĐoạn ngoài danh sách.",
    "1. một\n2. hai\nDòng tiếp liền không thụt.\n\n3) ba\n\nĐoạn.",
    "+ cộng\n+ cộng nữa\n\n* sao\n\nĐoạn thường sau danh sách.",
    "- mục lỏng\n\n- mục lỏng hai\n\n  Đoạn thụt hai dấu cách.\n\nĐoạn.",
    "> Trích dẫn\ndòng lười tiếp theo\n\n> > lồng\n\nĐoạn.",
    "Cột a | Cột b\n--- | ---\nô 1 | ô 2\n\nĐoạn có dấu | giữa câu.",
    "Thuật ngữ\n:   Định nghĩa.\n\n    Đoạn thứ hai của định nghĩa.\n\nĐoạn.",
    "Câu có chú thích[^a].\n\n[^a]: Nội dung chú thích.\n    Dòng tiếp của chú thích.\n\nĐoạn.",
    "Dùng HTML hằng ngày.\n\n*[HTML]: Ngôn ngữ đánh dấu\n\nĐoạn.",
    "Xem [tài liệu][tl].\n\n[tl]: https://a.vn/ \"Tiêu đề\"\n\nĐoạn.",
    "Đoạn trước mã.\n\n    mã thụt vào\n    dòng hai\n\nĐoạn sau mã.",
    "```\nmã rào\n# không phải tiêu đề\n```\n\nĐoạn.",
    "<div class=\"hop\">\n<p>HTML khối</p>\n</div>\n\nĐoạn sau HTML.",
    "Đoạn một\ndòng hai của đoạn một\n   dòng ba thụt ít\n\nĐoạn hai.",
    "2023. Năm bắt đầu bằng số.\n\nSố 5 ở giữa câu. Và 12.5 phần trăm.",
    "   Đoạn mở đầu bằng ba dấu cách.\n\n\tĐoạn mở đầu bằng tab.",
    "Đoạn cuối có hai dấu cách  \nvà dòng sau.",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_each_block_construct_renders_as_python_markdown_does(text):
    assert FAST.convert(text) == STOCK.convert(text)


LINE_STARTS = ["", " ", "   ", "    ", "\t", "# ", "## ", "> ", "- ", "* ", "+ ", "1. ", "2) ",
               "=== ", "--- ", ": ", "[^1]: ", "*[A]: ", "[r]: /x ", "| ", "_ _ _", "```"]
WORDS = st.text(alphabet="aăâđêôơưáàảãạ xyz0|*_-", min_size=0, max_size=12)
LINES = st.builds(lambda start, words: start + words, st.sampled_from(LINE_STARTS), WORDS)
DOCS = st.lists(st.one_of(LINES, st.just("")), max_size=25).map("\n".join)


@settings(max_examples=500, deadline=None)
@given(DOCS)
def test_any_document_renders_as_python_markdown_does(text):
    assert FAST.convert(text) == STOCK.convert(text)


def test_plain_blocks_are_what_the_pass_sends_straight_to_the_paragraph():
    for block in ("Ủy ban nhân dân xã thông báo.\nDòng thứ hai, số 5.", "a\n    # b",
                  "a\n12 b", "a\n\t- b", "2023 là năm.", "a\n\nb"):
        assert is_plain(block), repr(block)
    for block in ("", " thụt", "\tthụt", "a | b", "# a", "a\n> b", "a\n   - b", "a\n1. b",
                  "a\n2) b", "a\n===", "a\n: b", "a\n[x]: /y", "*[A]: b", "a\n_ _ _",
                  "a\x02b", "a\n ١٢. b", "a\n\n+ b"):
        assert not is_plain(block), repr(block)


class _Notice(BlockProcessor):
    """An extension's block processor the fast pass does not know: ``!! text`` lines."""

    def test(self, parent, block):
        return block.startswith("!!")

    def run(self, parent, blocks):
        element = ET.SubElement(parent, "aside")
        element.text = blocks.pop(0)[2:].strip()


def _with_notice(fast: bool) -> markdown.Markdown:
    md = markdown.Markdown()
    md.parser.blockprocessors.register(_Notice(md.parser), "notice", 200)
    if fast:
        assert use_plain_paragraph_pass(md)
    return md


def test_an_unknown_block_processor_turns_the_shortcut_off():
    text = "!!Thông báo khẩn\n\nĐoạn thường."
    assert _with_notice(True).convert(text) == _with_notice(False).convert(text) == \
        "<aside>Thông báo khẩn</aside>\n<p>Đoạn thường.</p>"


def test_a_processor_registered_between_documents_is_seen():
    """The check is remembered between lists of blocks: a processor added (or one replaced
    under a known name) after a conversion must still turn the shortcut off."""
    text = "!!Thông báo khẩn\n\nĐoạn thường."
    md = markdown.Markdown()
    assert use_plain_paragraph_pass(md)
    assert md.convert(text) == "<p>!!Thông báo khẩn</p>\n<p>Đoạn thường.</p>"
    md.parser.blockprocessors.register(_Notice(md.parser), "notice", 200)
    assert md.reset().convert(text) == "<aside>Thông báo khẩn</aside>\n<p>Đoạn thường.</p>"
    md = markdown.Markdown()
    assert use_plain_paragraph_pass(md)
    md.convert(text)
    md.parser.blockprocessors.register(_Notice(md.parser), "hashheader", 70)
    assert md.reset().convert("!!Thông báo khẩn") == "<aside>Thông báo khẩn</aside>"
