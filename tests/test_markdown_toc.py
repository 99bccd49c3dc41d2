"""Tables of contents built only for bodies that ask for one (``portal/markdown_toc.py``):
every output equals Python-Markdown's as it comes."""

from __future__ import annotations

import markdown
import pytest

from portal.markdown_render import MarkdownRenderer
from portal.markdown_toc import use_toc_on_request

HEADINGS = "## Mở đầu\n\nĐoạn một.\n\n### Chi tiết\n\nĐoạn hai.\n\n## Mở đầu\n\nLặp tên.\n"
TEXTS = [
    HEADINGS,
    "[TOC]\n\n" + HEADINGS,
    "  [TOC]  \n\n" + HEADINGS,
    "Đoạn trước.\n\n[TOC]\n\n" + HEADINGS + "\n[TOC]\n",
    "- [TOC]\n- mục\n\n" + HEADINGS,
    "> [TOC]\n\n" + HEADINGS,
    "Chữ [TOC] giữa câu.\n\n" + HEADINGS,
    "`[TOC]`\n\n" + HEADINGS,
    "\\[TOC\\]\n\n" + HEADINGS,
    "&#91;TOC&#93;\n\n" + HEADINGS,
    "[TOC]: https://example.gov.vn/\n\n[TOC]\n\n" + HEADINGS,
    "[toc]\n\n" + HEADINGS,
    "    [TOC]\n\n" + HEADINGS,
    "## Tiêu đề {: #rieng }\n\n[TOC]\n\n## Tiêu đề\n",
    "## Có *nhấn* và `mã` và chú thích[^1]\n\n[TOC]\n\n[^1]: Chú thích.\n",
    "## <span>HTML</span> & ký tự\n\n[TOC]\n",
    "[TOC]\n",
    "",
    "## Một\n\n[TO\x03C]\n",  # Python-Markdown deletes STX and ETX before parsing
    "## Một\n\n[\x02TOC]\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_each_text_converts_as_python_markdown_converts_it(text):
    assert MarkdownRenderer().convert(text) == MarkdownRenderer(fast=False).convert(text)


def test_one_renderer_switches_the_table_on_and_off_text_by_text():
    fast, stock = MarkdownRenderer(), MarkdownRenderer(fast=False)
    for text in TEXTS + TEXTS[::-1]:
        assert fast.convert(text) == stock.convert(text)


def test_a_body_that_asks_for_a_table_gets_it():
    html = MarkdownRenderer().convert("[TOC]\n\n" + HEADINGS)
    assert html.startswith('<div class="toc">\n<ul>\n<li><a href="#mo-dau">Mở đầu</a>')
    assert '<a href="#mo-dau_1">Mở đầu</a>' in html
    assert '<h2 id="mo-dau">Mở đầu</h2>' in html and '<h2 id="mo-dau_1">' in html


def test_without_the_extension_nothing_is_changed():
    assert use_toc_on_request(markdown.Markdown()) is None
    assert use_toc_on_request(markdown.Markdown(extensions=["toc"],
                                                extension_configs={"toc": {"marker": ""}})) is None
