"""``python build.py new``: files that build as they are, with Vietnamese slugs, never
overwriting."""

import io

from portal.cli import main


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_new_article_has_a_vietnamese_slug_and_today_in_the_site_zone(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-15 05:13 in Viet Nam
    code, out, err = run("new", "article", "Đồng loạt ra quân đảm bảo trật tự đô thị",
                         "--site", str(site.root))
    assert (code, err) == (0, "")
    assert out == ("Created content/articles/dong-loat-ra-quan-dam-bao-trat-tu-do-thi.md: fill "
                   "in the front matter (lines starting with # are optional keys), then "
                   "build.\n")
    text = (site.root / "content/articles/dong-loat-ra-quan-dam-bao-trat-tu-do-thi.md"
            ).read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Đồng loạt ra quân đảm bảo trật tự đô thị"\n'
                           "date: 2023-11-15 05:13\n# author: ")
    result = site.build(now="2023-11-15 06:00")
    assert result.warnings == ()
    assert (site.output / "tin-tuc/dong-loat-ra-quan-dam-bao-trat-tu-do-thi/index.html").is_file()


def test_new_refuses_to_overwrite(site):
    assert run("new", "page", "Liên hệ", "--site", str(site.root))[0] == 0
    code, out, err = run("new", "page", "Liên hệ", "--site", str(site.root))
    assert (code, out) == (2, "")
    assert err.startswith("error: new page: content/pages/lien-he.md already exists; choose "
                          "another title or edit that file\n")


def test_new_campaign_builds(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run("new", "campaign", "Chuyên đề “Dân vận khéo” năm 2024", "--site",
               str(site.root))[0] == 0
    site.build(now="2023-11-16")
    html = site.read("chuyen-de/chuyen-de-dan-van-kheo-nam-2024/index.html")
    assert 'data-status="active"' in html


def test_new_with_a_title_without_letters(site):
    code, _, err = run("new", "article", "“…” !!!", "--site", str(site.root))
    assert code == 2
    assert err.startswith("error: new article: the title '“…” !!!' has no letters or digits "
                          "to make a file name from\n")
