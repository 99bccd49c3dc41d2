"""The article page's schema.org data (JSON-LD), read back as a search engine would."""

from __future__ import annotations

import json
import re


def _ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def test_an_articles_json_ld_names_it_its_dates_author_and_publisher(site):
    site.article("a.md", """\
        title: Họp báo </script><b>quý I</b>
        date: 2023-03-02 08:30
        updated: 2023-03-04 10:00
        author: Nguyễn Văn A
        summary: Tóm tắt "có ngoặc" & dấu
        tags: [Cải cách, Hội nghị]
        """)
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")
    site.build()
    html = site.read("tin-tuc/hop-bao-script-b-quy-i-b/index.html")
    assert "</script><b>" not in html  # the title cannot close the script element
    assert _ld(html) == {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "headline": "Họp báo </script><b>quý I</b>",
        "description": 'Tóm tắt "có ngoặc" & dấu',
        "datePublished": "2023-03-02T08:30:00+07:00",
        "dateModified": "2023-03-04T10:00:00+07:00",
        "mainEntityOfPage": "https://xa.example.gov.vn/tin-tuc/hop-bao-script-b-quy-i-b/",
        "inLanguage": "vi",
        "author": {"@type": "Person", "name": "Nguyễn Văn A"},
        "publisher": {"@type": "GovernmentOrganization", "name": "Ủy ban nhân dân xã Thử Nghiệm",
                      "logo": {"@type": "ImageObject",
                               "url": "https://xa.example.gov.vn/static/img/emblem.svg"}},
        "image": [], "articleSection": "", "keywords": "Cải cách, Hội nghị"}
    other = _ld(site.read("tin-tuc/bai-b/index.html"))
    assert other["author"] == {"@type": "Organization", "name": "Ủy ban nhân dân xã Thử Nghiệm"}
    assert other["dateModified"] == other["datePublished"] == "2023-03-03T00:00:00+07:00"
    assert other["keywords"] == ""
