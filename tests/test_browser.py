"""The theme in a real browser: keyboard paths, the contrast and text-size tools, the phone
menu, and axe-core at WCAG 2.2 A/AA in both themes."""

from __future__ import annotations

import pytest
from browser import axe_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SEED = ("tin-tuc/cho-gao-phat-dong-chuyen-de-thi-dua-day-manh-cai-cach-hanh-chinh-nam-2023-"
        "tren-dia-ban-huyen-cho-gao/")
PAGES = {"home": "", "article": SEED, "listing": "tin-tuc/", "not-found": "404.html",
         "campaign": "chuyen-de/day-manh-cai-cach-hanh-chinh-2023/",
         "campaigns": "chuyen-de/", "search": "tim-kiem/?q=cai+cach+hanh+chinh"}

# Records the contrast attribute at the moment <body> is inserted, i.e. before any paint.
FIRST_PAINT_PROBE = """
window.__contrastAtBody = 'unset';
new MutationObserver((records, observer) => {
  if (document.body) {
    window.__contrastAtBody = document.documentElement.getAttribute('data-contrast');
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def test_skip_link_is_first_and_moves_focus_to_main(page, base_url):
    page.goto(base_url + SEED)
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className,"
                            " document.activeElement.textContent]")
    assert focused == ["skip-link", "Truy cập nội dung luôn"]
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_contrast_toggle_persists_across_pages_and_reloads(page, base_url):
    page.add_init_script(FIRST_PAINT_PROBE)
    page.goto(base_url)
    button = page.get_by_role("button", name="Tương phản")
    assert button.get_attribute("aria-pressed") == "false"
    normal_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text() == "Tương phản"
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    high_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert high_background != normal_background

    page.goto(base_url + SEED)
    assert page.evaluate("window.__contrastAtBody") == "high"
    assert page.get_by_role("button", name="Tương phản").get_attribute("aria-pressed") == "true"
    page.reload()
    assert page.evaluate("window.__contrastAtBody") == "high"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == high_background

    page.get_by_role("button", name="Tương phản").click()
    page.reload()
    assert page.evaluate("window.__contrastAtBody") is None
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == normal_background


def test_os_contrast_preference_applies_without_a_click(browser, base_url):
    context = browser.new_context(contrast="more")
    page = context.new_page()
    page.goto(base_url)
    forced = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url)
    normal = page.evaluate("getComputedStyle(document.body).backgroundColor")
    context.close()
    assert forced != normal


def test_text_size_control_persists(page, base_url):
    page.goto(base_url + SEED)
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    default = page.evaluate(size)
    page.get_by_role("button", name="Tăng cỡ chữ").click()
    page.get_by_role("button", name="Tăng cỡ chữ").click()
    larger = page.evaluate(size)
    assert larger > default * 1.15
    page.goto(base_url)
    assert page.evaluate(size) == larger
    page.get_by_role("button", name="Cỡ chữ mặc định").click()
    page.reload()
    assert page.evaluate(size) == default


def test_tools_are_hidden_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + SEED)
    assert not page.locator("[data-action=contrast]").is_visible()
    assert not page.locator("[data-action=print]").is_visible()
    # The menu still works: every entry is visible and is a real link.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.locator("#main-menu a").first.is_visible()
    assert page.locator("#main-menu a").count() >= 5
    context.close()


def test_phone_menu_works_by_keyboard(browser, base_url):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(base_url)
    toggle = page.locator(".menu-toggle")
    first_link = page.locator("#main-menu a").first
    assert toggle.is_visible()
    assert not first_link.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert first_link.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Trang chủ"
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.className") == "menu-toggle"
    assert not first_link.is_visible()
    context.close()


def test_no_horizontal_scroll_on_a_small_phone(browser, base_url):
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    for path in PAGES.values():
        page.goto(base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()


@pytest.mark.parametrize("theme", ["normal", "high"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_wcag_violations(browser, base_url, name, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if theme == "high":
        page.add_init_script("localStorage.setItem('portal-contrast', 'high')")
    page.goto(base_url + PAGES[name])
    if name == "search":
        expect(page.locator(".search-results .result-title").first).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.contrast || 'normal'") == theme
    violations = axe_violations(page)
    context.close()
    assert violations == []


CONTEST = "chuyen-de/cuoc-thi-tim-hieu-phap-luat-phong-chong-tham-nhung/"


def test_campaign_badge_corrects_itself_after_the_end_date(browser, base_url):
    """The sample is built on 01/01/2024, while the contest runs (until 31/01/2024); a reader
    opening the page in March sees it as ended, and the site-wide banner is gone."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    context = browser.new_context()
    page = context.new_page()
    page.clock.install(time=datetime(2024, 1, 20, 9, 0, tzinfo=zone))
    page.goto(base_url + CONTEST)
    badge = page.locator("main .campaign-status").first
    assert badge.inner_text() == "Đang diễn ra"
    assert page.locator("main .campaign-countdown").inner_text() == "Còn 11 ngày"
    assert page.locator(".campaign-banner").is_visible()
    page.clock.set_system_time(datetime(2024, 3, 1, 9, 0, tzinfo=zone))
    page.reload()
    assert badge.inner_text() == "Đã kết thúc"
    assert badge.get_attribute("data-status") == "ended"
    assert page.locator("main .campaign-countdown").inner_text() == ""
    assert not page.locator(".campaign-banner").is_visible()
    page.goto(base_url)
    assert not page.locator(".campaign-banner").is_visible()
    context.close()


def test_campaign_page_without_javascript_shows_the_build_time_status(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + CONTEST)
    assert page.locator("main .campaign-status").first.inner_text() == "Đang diễn ra"
    assert page.locator("main .campaign-countdown").inner_text() == "Còn 30 ngày"
    context.close()


def test_pages_run_under_the_documented_content_security_policy(browser, base_url):
    """No inline script or style is needed: nothing is blocked, and the tools still work."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    for path in [*PAGES.values(), "gioi-thieu/", "so-do-cong/"]:
        page.goto(base_url + path)
        assert page.evaluate("window.__violations") == [], path
    page.get_by_role("button", name="Tương phản").click()
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    context.close()
