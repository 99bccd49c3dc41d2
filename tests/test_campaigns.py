"""Campaigns: lifecycle relative to the build's now (Asia/Ho_Chi_Minh), banner, pages, feeds."""

import xml.etree.ElementTree as ET

import pytest

from portal.errors import BuildError

CAMPAIGN = """
title: Chuyên đề thi đua “Đẩy mạnh cải cách hành chính” năm 2023
kind: Chuyên đề thi đua
organizer: Ủy ban nhân dân huyện Chợ Gạo
start: 01/01/2023
end: 05/12/2023
participants: [Các cơ quan chuyên môn thuộc UBND huyện, UBND các xã, thị trấn]
criteria: [Cải cách thể chế, Cải cách thủ tục hành chính]
banner: HƯỞNG ỨNG CHUYÊN ĐỀ THI ĐUA CẢI CÁCH HÀNH CHÍNH
"""


def write_campaign(site, name="cai-cach-2023.md", front=CAMPAIGN, body="Mở đầu chuyên đề.\n"):
    site.write(f"content/campaigns/{name}", "---\n" + front.strip() + "\n---\n\n" + body)


def status_at(site, now):
    site.build(now=now)
    html = site.read("chuyen-de/cai-cach-2023/index.html")
    return html.split('data-status="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(("now", "status", "countdown"), [
    ("31/12/2022 23:59", "upcoming", "Bắt đầu sau 1 ngày"),
    ("01/01/2023 00:00", "active", "Còn 338 ngày"),
    ("2023-06-15 12:00", "active", "Còn 173 ngày"),
    ("05/12/2023 00:00", "active", "Hôm nay là ngày cuối"),
    ("05/12/2023 23:30", "active", "Hôm nay là ngày cuối"),
    ("06/12/2023 00:00", "ended", ""),
    ("2024-03-01", "ended", ""),
])
def test_status_follows_the_build_moment_in_local_time(site, now, status, countdown):
    write_campaign(site)
    assert status_at(site, now) == status
    html = site.read("chuyen-de/cai-cach-2023/index.html")
    assert f">{countdown}</span>" in html
    labels = {"active": "Đang diễn ra", "upcoming": "Sắp diễn ra", "ended": "Đã kết thúc"}
    assert f">{labels[status]}</span>" in html


def test_utc_evening_of_the_last_day_is_already_over_in_viet_nam(site):
    write_campaign(site)
    # 17:30 UTC on 5 December is 00:30 on 6 December in Asia/Ho_Chi_Minh.
    assert status_at(site, "2023-12-05T17:30:00+00:00") == "ended"
    assert status_at(site, "2023-12-05T16:30:00+00:00") == "active"


@pytest.mark.parametrize(("now", "shown"), [
    ("31/12/2022 23:00", False), ("01/01/2023 00:00", True), ("05/12/2023 23:30", True),
    ("06/12/2023 00:00", False),
])
def test_banner_shows_on_every_page_only_while_active(site, now, shown):
    write_campaign(site)
    site.article("a.md", "title: Bài A\ndate: 2022-12-01\n")
    site.write("content/pages/lien-he.md", "---\ntitle: Liên hệ\n---\n\nx\n")
    site.build(now=now)
    banner = ('<p class="campaign-banner" data-campaign-end="2023-12-06T00:00:00+07:00">'
              '<a href="/chuyen-de/cai-cach-2023/">HƯỞNG ỨNG CHUYÊN ĐỀ THI ĐUA CẢI CÁCH HÀNH '
              'CHÍNH</a></p>')
    for page in ("index.html", "tin-tuc/bai-a/index.html", "lien-he/index.html", "404.html",
                 "chuyen-de/index.html"):
        assert (banner in site.read(page)) is shown, page


def test_campaign_index_groups_by_status_in_order(site):
    for slug, start, end in [("da-xong-som", "2022-01-01", "2022-06-30"),
                             ("da-xong-muon", "2022-03-01", "2023-01-31"),
                             ("dang-chay-lau", "2023-01-01", "2023-12-31"),
                             ("dang-chay-ngan", "2023-02-01", "2023-03-31"),
                             ("sap-toi", "2023-05-01", "2023-06-30")]:
        write_campaign(site, f"{slug}.md", f"title: {slug}\nstart: {start}\nend: {end}\n")
    site.build(now="2023-03-01")
    html = site.read("chuyen-de/index.html")
    order = [html.index(f">{slug}</a>") for slug in
             ("dang-chay-ngan", "dang-chay-lau", "sap-toi", "da-xong-muon", "da-xong-som")]
    assert order == sorted(order)
    assert html.index('id="group-active"') < html.index('id="group-upcoming"') < \
        html.index('id="group-ended"')


def test_campaign_page_facts_documents_cta_and_news(site):
    write_campaign(site, "cai-cach-2023/index.md", CAMPAIGN + """
cta:
  label: Xem kết quả chấm điểm
  url: https://chiso.example.gov.vn/
documents:
  - title: Kế hoạch phát động
    number: 45/KH-UBND
    issued: 06/03/2023
    file: ke-hoach.pdf
  - title: Hướng dẫn chấm điểm
""")
    (site.root / "content/campaigns/cai-cach-2023/ke-hoach.pdf").write_bytes(b"%PDF" + b"0" * 2044)
    for day in range(1, 13):
        site.article(f"bai-{day:02}.md", f"title: Bài {day}\ndate: 2023-03-{day:02}\n"
                     "campaign: cai-cach-2023\n")
    site.article("ngoai.md", "title: Bài ngoài\ndate: 2023-03-20\n")
    site.build(now="2023-06-01")
    html = site.read("chuyen-de/cai-cach-2023/index.html")
    assert ('<div><dt>Thời gian</dt> <dd data-pagefind-meta="date"><time datetime="2023-01-01">'
            '01/01/2023</time> đến <time datetime="2023-12-05">05/12/2023</time></dd></div>') \
        in html
    assert ("<div><dt>Đối tượng tham gia</dt> <dd>Các cơ quan chuyên môn thuộc UBND huyện; "
            "UBND các xã; thị trấn</dd></div>") in html
    assert "<div><dt>Cơ quan tổ chức</dt> <dd>Ủy ban nhân dân huyện Chợ Gạo</dd></div>" in html
    assert ('<ol class="campaign-criteria">\n<li>Cải cách thể chế</li>\n'
            '<li>Cải cách thủ tục hành chính</li>\n</ol>') in html
    assert ('<a href="/chuyen-de/cai-cach-2023/ke-hoach.pdf" download>Kế hoạch phát động</a> '
            '<span class="file-info">(PDF, 2 KB)</span>') in html
    assert ('Số: 45/KH-UBND · Ngày ban hành: <time datetime="2023-03-06">06/03/2023</time>'
            in html)
    assert ('<a class="button" href="https://chiso.example.gov.vn/">Xem kết quả chấm điểm '
            '<span class="external-note">(mở trang ngoài)</span></a>') in html
    news = html.split('id="campaign-news-title"', 1)[1].split("</section>", 1)[0]
    assert news.index(">Bài 12<") < news.index(">Bài 3<")
    assert "Bài ngoài" not in news
    assert "Bài 2<" not in news
    page2 = site.read("chuyen-de/cai-cach-2023/trang-2/index.html")
    assert ">Bài 2<" in page2 and ">Bài 1<" in page2
    box = site.read("tin-tuc/bai-5/index.html")
    assert ('<a href="/chuyen-de/cai-cach-2023/">Chuyên đề thi đua “Đẩy mạnh cải cách hành '
            'chính” năm 2023</a>') in box.split('class="campaign-box"', 1)[1]


def test_calendar_file_and_campaigns_feed(site):
    write_campaign(site)
    site.build(now="2023-06-01")
    ics = (site.output / "chuyen-de/cai-cach-2023/lich.ics").read_bytes().decode()
    assert "DTSTART;VALUE=DATE:20230101\r\n" in ics
    assert "DTEND;VALUE=DATE:20231206\r\n" in ics
    assert "UID:cai-cach-2023@xa.example.gov.vn\r\n" in ics
    assert "URL:https://xa.example.gov.vn/chuyen-de/cai-cach-2023/\r\n" in ics
    feed = ET.fromstring(site.read("chuyen-de/rss.xml"))
    assert feed.findtext("channel/item/title") == CAMPAIGN.split("title: ")[1].split("\n")[0]


def errors(site):
    with pytest.raises(BuildError) as info:
        site.build(now="2023-06-01")
    return [str(d) for d in info.value.diagnostics]


def test_end_before_start_and_missing_dates(site):
    write_campaign(site, "nguoc.md", "title: Ngược\nstart: 05/12/2023\nend: 01/12/2023\n")
    write_campaign(site, "thieu.md", "title: Thiếu ngày\nstart: 2023-01-01\n")
    assert errors(site) == [
        "content/campaigns/nguoc.md:4: campaign ends before it starts: expected an end on or "
        "after the start (05/12/2023), got 01/12/2023",
        "content/campaigns/thieu.md:1: missing required front-matter key 'end': expected a "
        "date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, got nothing",
    ]


def test_unknown_campaign_in_an_article(site):
    write_campaign(site)
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\ncampaign: cai-cach-2024\n")
    assert errors(site) == [
        "content/articles/a.md:4: unknown campaign: expected one of 'cai-cach-2023' (files in "
        "content/campaigns/), got 'cai-cach-2024'",
    ]


def test_one_day_campaign_is_valid(site):
    write_campaign(site, "mot-ngay.md", "title: Một ngày\nstart: 2023-06-01\nend: 2023-06-01\n")
    site.build(now="2023-06-01 20:00")
    assert 'data-status="active"' in site.read("chuyen-de/mot-ngay/index.html")
