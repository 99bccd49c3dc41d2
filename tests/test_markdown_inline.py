"""The faster inline pass (``portal/markdown_inline.py``) gives exactly Python-Markdown's
output: on every inline construct, on generated texts full of the characters patterns start
with, on the sample and hostile sites' sources, and when unknown patterns come into play."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import frontmatter
import markdown
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.inlinepatterns import InlineProcessor as InlinePattern
from markdown.preprocessors import Preprocessor

from portal.markdown_inline import (
    PlainTextInlineProcessor,
    has_trigger,
    trigger_needles,
    use_plain_text_pass,
)
from portal.markdown_render import MarkdownRenderer

FAST = MarkdownRenderer()
STOCK = MarkdownRenderer(fast=False)

CONSTRUCTS = [
    "Mã `lệnh` và ``hai `dấu` ngược``.",
    r"Dấu \*không nhấn\* và \\ gạch, \[ngoặc\].",
    "Chú thích[^1].\n\n[^1]: Nội dung chú thích.",
    "Xem [bài](bai.md \"Tiêu đề\") và [tham chiếu][r], [r][] và [r].\n\n[r]: https://a.vn/",
    "Ảnh ![mô tả](anh.jpg) và ![tham chiếu][a].\n\n[a]: anh.png",
    "Địa chỉ <https://chinhphu.vn/> và <vanphong@xa.gov.vn>.",
    "Dòng một  \nDòng hai sau ngắt dòng.",
    "HTML <span class=\"x\">nội tuyến</span> và <!-- chú thích --> <br/>.",
    "Thực thể &amp; &#169; &#x1F600; &copy; và & đơn.",
    "*Nghiêng* **đậm** ***cả hai*** _gạch_ __đậm__ a_b_c 2 * 3 và * đơn *.",
    "HTML là viết tắt.\n\n*[HTML]: Ngôn ngữ đánh dấu siêu văn bản",
    "## Tiêu đề {: #rieng .lop }\n\nĐoạn {: .doan }",
    "| Cột | Khác |\n|:--|--:|\n| *a* | `b` |",
    "Thuật ngữ\n:   Định nghĩa có **đậm**.",
    "```\n*không* [xử lý] <b>\n```",
    "Đoạn thuần tiếng Việt không có ký tự đặc biệt nào, chỉ chữ và dấu câu.",
    "- Mục một\n- Mục *hai*\n    - Lồng `ba`\n\n1. Số một\n2. Số hai",
    "> Trích dẫn với [liên kết](https://a.vn/)\n> và dòng thuần.",
]


@pytest.mark.parametrize("text", CONSTRUCTS)
def test_each_inline_construct_renders_as_python_markdown_does(text):
    assert FAST.convert(text) == STOCK.convert(text)


SPECIAL = [*"`\\[]()!<>&*_#:{}.|-~^\"'/= \n", "  \n", "\n\n", "[^1]", "*[A]: b", "&amp;"]
PIECES = st.lists(st.one_of(st.sampled_from(SPECIAL),
                            st.text(alphabet="aăâđêôơưáàảãạ xyzAĐ0", max_size=8)),
                  max_size=40)


@settings(max_examples=400, deadline=None)
@given(PIECES)
def test_any_text_renders_as_python_markdown_does(pieces):
    text = "".join(pieces)
    assert FAST.convert(text) == STOCK.convert(text)


def _bodies() -> list[tuple[str, str]]:
    found = []
    for folder in (REPO / "content", REPO / "tests/hostile/site/content"):
        for path in sorted(folder.rglob("*.md")):
            try:
                found.append((str(path.relative_to(REPO)), frontmatter.load(path).content))
            except Exception:  # a hostile file the build refuses: its text still counts
                found.append((str(path.relative_to(REPO)),
                              path.read_text(encoding="utf-8", errors="replace")))
    return found


def test_the_sample_and_hostile_sources_render_as_python_markdown_does():
    bodies = _bodies()
    assert len(bodies) > 20
    for name, text in bodies:
        assert FAST.convert(text) == STOCK.convert(text), name


def test_plain_text_is_what_the_pass_skips():
    triggers = trigger_needles(("backtick", "escape", "link", "html", "entity", "em_strong",
                                "linebreak"))
    assert triggers is not None
    assert not has_trigger("Ủy ban nhân dân xã, ngày 09/03/2023 (số 5). a \nb", triggers)
    for text in ("a`b", "a\\b", "a[b", "a<b", "a&b", "a*b", "a_b", "a  \nb"):
        assert has_trigger(text, triggers), text
    assert not has_trigger("a  \nb", trigger_needles(("link", "em_strong")))
    assert trigger_needles(("link", "mention")) is None


class _Mention(InlinePattern):
    """An extension's pattern the fast pass does not know: ``@name`` becomes a link."""

    def handleMatch(self, m, data):  # Python-Markdown's name
        element = ET.Element("a", {"href": f"/nguoi/{m.group(1)}/"})
        element.text = m.group(1)
        return element, m.start(0), m.end(0)


def _with_mention(fast: bool) -> markdown.Markdown:
    md = markdown.Markdown()
    md.inlinePatterns.register(_Mention(r"@(\w+)", md), "mention", 5)
    if fast:
        assert use_plain_text_pass(md)
    return md


def test_an_unknown_pattern_turns_the_skipping_off():
    text = "Gửi @nguyen và @tran, không có ký tự đặc biệt nào khác."
    assert _with_mention(True).convert(text) == _with_mention(False).convert(text)
    assert '<a href="/nguoi/nguyen/">nguyen</a>' in _with_mention(True).convert(text)


class _AddsPattern(Preprocessor):
    """Like Python-Markdown's abbreviations before 3.7: a document that defines something
    (here a line ``@@``) adds an inline pattern while it is converted."""

    def run(self, lines):
        if "@@" in lines:
            self.md.inlinePatterns.register(_Mention(r"@(\w+)", self.md), "mention", 5)
            lines = [line for line in lines if line != "@@"]
        return lines


def test_a_pattern_added_while_converting_turns_the_skipping_off():
    def make(fast: bool) -> markdown.Markdown:
        md = markdown.Markdown()
        md.preprocessors.register(_AddsPattern(md), "adds", 50)
        if fast:
            use_plain_text_pass(md)
        return md

    fast, stock = make(True), make(False)
    for md in (fast, stock):
        assert md.convert("Đoạn thường, chưa có gì.") == "<p>Đoạn thường, chưa có gì.</p>"
    text = "@@\n\nGửi @le hôm nay."
    assert fast.convert(text) == stock.convert(text) == '<p>Gửi <a href="/nguoi/le/">le</a> ' \
        "hôm nay.</p>"
    assert isinstance(fast.treeprocessors["inline"], PlainTextInlineProcessor)


def test_the_comparisons_compare_the_fast_pass_with_the_stock_one():
    """Otherwise every test above would compare Python-Markdown with itself."""
    assert isinstance(FAST._md.treeprocessors["inline"], PlainTextInlineProcessor)
    assert not isinstance(STOCK._md.treeprocessors["inline"], PlainTextInlineProcessor)
