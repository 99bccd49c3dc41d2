"""Front-matter validation: each mistake an editor can make, with its exact message."""

import pytest

from portal.errors import BuildError
from portal.parallel import PARALLEL_MINIMUM


def build_errors(site) -> list[str]:
    with pytest.raises(BuildError) as info:
        site.build()
    return [str(d) for d in info.value.diagnostics]


def test_all_errors_of_a_build_are_reported_together(site):
    site.article("a.md", """
        title: Bài một
        date: 31/02/2023
        tittle: x
    """)
    site.article("b.md", """
        date: 2023-03-09
        tags: 5
        featured: "có"
    """)
    assert build_errors(site) == [
        "content/articles/a.md:3: wrong value for 'date': expected a date like 2023-03-09, "
        "2023-03-09 08:30 or 09/03/2023, got '31/02/2023' (no such day or time)",
        "content/articles/a.md:4: unknown front-matter key 'tittle': expected one of "
        "album, attachments, author, campaign, category, date, draft, featured, image, image_alt, "
        "slug, summary, tags, title, updated, got 'tittle' (did you mean 'title'?)",
        "content/articles/b.md:1: missing required front-matter key 'title': expected a "
        "non-empty text, got nothing",
        "content/articles/b.md:3: wrong value for 'tags': expected a list of texts, "
        "got a number (5)",
        "content/articles/b.md:4: wrong value for 'featured': expected true or false, "
        "got a text ('có')",
    ]


def test_a_large_site_parsed_over_all_cores_reports_errors_in_file_order(site):
    """Enough files to be parsed in worker processes: the messages are the same, in the order
    of the files, and once they are fixed every article is published."""
    for i in range(PARALLEL_MINIMUM + 20):
        site.article(f"bai-{i:03d}.md", f"title: Bài số {i}\ndate: 2023-03-09\n")
    site.write("content/articles/bai-007.md", "title: Bài bảy\ndate: 2023-03-09\n")
    site.write("content/articles/bai-150.md", "---\ntitle: [\n---\n")
    site.write("content/articles/bai-042.md", "---\ntitle: Bài 42\n")
    assert build_errors(site) == [
        "content/articles/bai-007.md:1: missing front matter: expected a YAML block between "
        "'---' lines at the top of the file, got no such block",
        "content/articles/bai-042.md:1: unclosed front matter: expected a closing '---' line, "
        "got the end of the file",
        "content/articles/bai-150.md:3: invalid front matter: expected valid YAML 'key: value' "
        "lines, got a YAML syntax error (did not find expected node content)",
    ]
    for name in ("bai-007.md", "bai-042.md", "bai-150.md"):
        site.article(name, "title: Đã sửa " + name + "\ndate: 2023-03-09\n")
    site.build()
    articles = [p for p in (site.output / "tin-tuc").glob("*/index.html")
                if not p.parent.name.startswith("trang-")]
    assert len(articles) == PARALLEL_MINIMUM + 20


def test_missing_date_and_bad_slug(site):
    site.article("a.md", """
        title: Bài một
        slug: Bài Một
    """)
    assert build_errors(site) == [
        "content/articles/a.md:1: missing required front-matter key 'date': expected a date "
        "like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, got nothing",
        "content/articles/a.md:3: wrong value for 'slug': expected a lowercase URL segment of "
        "a-z, 0-9 and '-' (like 'lien-he'), got 'Bài Một'",
    ]


def test_list_item_of_wrong_type(site):
    site.article("a.md", """
        title: Bài một
        date: 2023-03-09
        tags:
          - nông thôn mới
          - [lồng, nhau]
    """)
    assert build_errors(site) == [
        "content/articles/a.md:4: wrong value for 'tags': expected a list of texts, "
        "got an item that is a list",
    ]


def test_yaml_syntax_error(site):
    site.article("a.md", """
        title: "Bài một
        date: 2023-03-09
    """)
    assert build_errors(site) == [
        "content/articles/a.md:4: invalid front matter: expected valid YAML 'key: value' lines, "
        "got a YAML syntax error (found unexpected end of stream)",
    ]


def test_duplicate_key(site):
    site.article("a.md", """
        title: Bài một
        date: 2023-03-09
        title: Bài hai
    """)
    assert build_errors(site) == [
        "content/articles/a.md:4: duplicate front-matter key 'title': expected each key once, "
        "got a second 'key:' line",
    ]


def test_missing_and_unclosed_front_matter(site):
    site.write("content/articles/a.md", "Chỉ có nội dung.\n")
    site.write("content/pages/b.md", "---\ntitle: Trang\n\nNội dung\n")
    assert build_errors(site) == [
        "content/articles/a.md:1: missing front matter: expected a YAML block between '---' "
        "lines at the top of the file, got no such block",
        "content/pages/b.md:1: unclosed front matter: expected a closing '---' line, "
        "got the end of the file",
    ]


def test_invalid_utf8_and_nul(site):
    (site.root / "content/articles").mkdir(parents=True)
    (site.root / "content/articles/a.md").write_bytes(
        b"---\ntitle: B\xe0i\ndate: 2023-03-09\n---\n")
    (site.root / "content/articles/b.md").write_bytes(
        b"---\ntitle: x\ndate: 2023-03-09\n---\n\nA\x00B\n")
    assert build_errors(site) == [
        "content/articles/a.md:2: invalid text encoding: expected UTF-8 text, "
        "got byte 0xe0 that is not UTF-8",
        "content/articles/b.md:6: invalid character: expected text without NUL characters, "
        "got a NUL character",
    ]


def test_page_schema(site):
    site.write("content/pages/a.md", "---\ntitle: Trang\nmenu: đầu\nlang: fr\ndate: 2023-01-01\n"
                                     "---\n\nNội dung\n")
    assert build_errors(site) == [
        "content/pages/a.md:3: wrong value for 'menu': expected a whole number, "
        "got a text ('đầu')",
        "content/pages/a.md:4: wrong value for 'lang': expected one of vi, en, got 'fr'",
        "content/pages/a.md:5: unknown front-matter key 'date': expected one of draft, lang, "
        "menu, slug, summary, title, got 'date'",
    ]


def test_unknown_category_when_categories_are_configured(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + '\n[[categories]]\nname = "Tin hoạt động"\n\n[[categories]]\nname = "Thông báo"\n')
    site.article("a.md", "title: A\ndate: 2023-03-09\ncategory: Tin hoat dong\n")
    site.article("b.md", "title: B\ndate: 2023-03-09\ncategory: Thông bao\n")
    # Same letters without marks is still the same category (it slugs alike); a typo is not.
    site.article("c.md", "title: C\ndate: 2023-03-09\ncategory: Thông báo mới\n")
    assert build_errors(site) == [
        "content/articles/c.md:4: unknown category: expected one of 'Tin hoạt động', "
        "'Thông báo' (the [[categories]] of site.toml), got 'Thông báo mới'",
    ]


def test_attachment_errors(site):
    site.article("bai/index.md", """
        title: Bài có tệp
        date: 2023-03-09
        attachments:
          - file: ke-hoach.pdf
            title: Kế hoạch
          - title: Không có tệp
          - file: /etc/passwd
          - file: ../../../../site.toml
    """)
    assert build_errors(site) == [
        "content/articles/bai/index.md:5: missing attachment: expected a file at "
        "content/articles/bai/ke-hoach.pdf, got no such file",
        "content/articles/bai/index.md:7: missing required front-matter key "
        "'attachments[1].file': expected a relative path to a file beside the Markdown file, "
        "like anh-bia.jpg, got nothing",
        "content/articles/bai/index.md:8: wrong value for 'attachments[2].file': expected a "
        "relative path to a file beside the Markdown file, like anh-bia.jpg, got '/etc/passwd'",
        "content/articles/bai/index.md:9: attachment outside the content folder: expected a "
        "path inside content/, got '../../../../site.toml'",
    ]
