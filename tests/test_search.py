"""Search in a real browser: Vietnamese queries with and without marks, NFD, "d" for "đ",
filters, the empty state, and the fallbacks without JavaScript."""

from __future__ import annotations

import unicodedata
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from test_browser import SEED

pytestmark = pytest.mark.browser


def run_query(browser, base_url, query, extra=""):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}tim-kiem/?q={quote(query)}{extra}")
    status = page.locator("[data-search-status]")
    expect(status).not_to_have_text("")
    expect(status).not_to_have_text("Đang tìm…")
    links = page.locator(".search-results .result-title a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    text = status.inner_text()
    excerpts = page.locator(".result-excerpt").all_inner_texts()
    marks = page.locator(".result-excerpt mark").all_inner_texts()
    context.close()
    return hrefs, text, excerpts, marks


@pytest.mark.parametrize("query", [
    "cai cach hanh chinh",
    "cải cách hành chính",
    unicodedata.normalize("NFD", "cải cách hành chính"),
    "dong thi dua",
    "Chợ Gạo",
])
def test_vietnamese_queries_find_the_seed_article(browser, base_url, query):
    hrefs, status, _, marks = run_query(browser, base_url, query)
    assert "/" + SEED in hrefs, (query, hrefs)
    assert status.startswith("Tìm thấy ")
    assert status.endswith(f"kết quả cho “{query.strip()}”")
    assert marks, "the match is highlighted"


def test_d_finds_d_with_stroke_and_is_highlighted(browser, base_url):
    hrefs, _, _, marks = run_query(browser, base_url, "dong thi dua")
    assert "/" + SEED in hrefs[:3]
    assert {"động", "thi", "đua"} <= {m.strip(".,“”").lower() for m in marks}


def test_no_results_shows_the_empty_state(browser, base_url):
    hrefs, status, _, _ = run_query(browser, base_url, "xyzzyqwv")
    assert hrefs == []
    assert status == ("Không tìm thấy kết quả nào cho “xyzzyqwv”. Hãy thử từ khóa khác, bỏ bớt "
                      "từ hoặc bỏ bộ lọc.")


def test_filter_by_kind_and_category(browser, base_url):
    hrefs, _, _, _ = run_query(browser, base_url, "cai cach", "&kind=Chuy%C3%AAn%20%C4%91%E1%BB%81")
    assert hrefs and all(h.startswith("/chuyen-de/") for h in hrefs)
    hrefs, _, _, _ = run_query(browser, base_url, "huyen",
                               "&category=Th%C3%B4ng%20b%C3%A1o")
    assert hrefs and all(h.startswith("/tin-tuc/") for h in hrefs)
    assert "/" + SEED not in hrefs


def test_sidebar_box_leads_to_results_by_keyboard(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + SEED)
    page.get_by_role("searchbox", name="Tìm kiếm trên cổng thông tin").fill("thanh long")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/?q=thanh+long")
    expect(page.locator(".search-results .result-title a").first).to_be_visible()
    assert "thanh-long" in page.locator(".search-results .result-title a").first.get_attribute(
        "href")
    context.close()


def test_without_javascript_the_search_page_offers_a_way_on(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "tim-kiem/?q=cai+cach")
    fallback = page.locator(".search-fallback")
    assert fallback.is_visible()
    assert fallback.get_by_role("link", name="Sơ đồ cổng").get_attribute("href") == "/so-do-cong/"
    assert not page.locator("[data-search-filters]").is_visible()
    context.close()


@contextmanager
def searching_one_shard_first(browser, site, articles):
    """``site`` with ``articles`` (title, date), a shard for every article (or year) and a
    first search covering one: yields the search page for "thanh long" and its results."""
    from browser import serve

    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + "\n[search]\nfirst_pages = 1\nshard_articles = 1\n")
    for title, when in articles:
        site.article(f"a{when}.md", f"title: {title}\ndate: {when}\n",
                     f"Nông dân thu hoạch thanh long ({when}).\n")
    site.build()
    with serve(site.output) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "tim-kiem/?q=thanh+long")
        yield page, page.locator(".search-results .result-title a")
        context.close()


def test_a_year_larger_than_a_shard_is_searched_by_months_and_named_by_its_year(
        browser, make_site):
    """A year holding more articles than ``shard_articles`` is split by months: the button
    still names the years left to search."""
    site = make_site("months")
    articles = [(f"Thanh long ngày {when}", when)
                for when in ("2022-05-01", "2023-01-10", "2023-02-10")]
    with searching_one_shard_first(browser, site, articles) as (page, results):
        assert sorted(p.name for p in (site.output / "pagefind").iterdir()) == [
            "2022", "2023.01", "2023.02"]
        expect(results).to_have_count(1)
        assert results.first.get_attribute("href") == "/tin-tuc/thanh-long-ngay-2023-02-10/"
        page.get_by_role("button", name="Tìm thêm trong tin bài các năm 2022–2023",
                         exact=True).click()
        expect(results).to_have_count(2)
        page.get_by_role("button", name="Tìm thêm trong tin bài các năm 2022", exact=True).click()
        expect(results).to_have_count(3)


def test_older_years_are_searched_on_request(browser, make_site):
    """With one year per shard and first_pages = 1, a search covers the newest year only; a
    button adds the others."""
    articles = [(f"Thanh long vụ {year}", f"{year}-05-01") for year in (2021, 2022, 2023)]
    with searching_one_shard_first(browser, make_site("years"), articles) as (page, results):
        expect(results).to_have_count(1)
        assert results.first.get_attribute("href") == "/tin-tuc/thanh-long-vu-2023/"
        older = page.get_by_role("button", name="Tìm thêm trong tin bài các năm 2021–2022")
        older.click()
        expect(results).to_have_count(2)
        older = page.get_by_role("button", name="Tìm thêm trong tin bài các năm 2021")
        older.click()
        expect(results).to_have_count(3)
        expect(page.locator("[data-search-older]")).to_be_hidden()
