"""The album pages in a real browser: the lightbox by keyboard, the pages without JavaScript,
and axe-core at WCAG 2.2 A/AA in both themes."""

from __future__ import annotations

import pytest
from browser import axe_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ALBUM = "album/le-ra-quan-tan-binh-2024/"
PAGES = {"albums": "album/", "album": ALBUM}


def test_lightbox_by_keyboard(page, base_url):
    page.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)
    page.goto(base_url + ALBUM)
    thumbs = page.locator(".album-grid a")
    expect(thumbs).to_have_count(4)
    thumbs.nth(1).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Xem ảnh")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Đóng")).to_be_focused()
    expect(dialog.locator("figcaption")).to_have_text("Lãnh đạo huyện tặng hoa động viên tân binh.")
    expect(dialog.locator(".lightbox-status")).to_have_text("2 / 4")
    page.keyboard.press("ArrowRight")
    expect(dialog.locator(".lightbox-status")).to_have_text("3 / 4")
    expect(dialog.locator("img")).to_have_attribute(
        "src", "/album/le-ra-quan-tan-binh-2024/anh-02.jpg")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(dialog.locator(".lightbox-status")).to_have_text("1 / 4")
    page.keyboard.press("ArrowLeft")
    expect(dialog.locator(".lightbox-status")).to_have_text("4 / 4")
    expect(dialog.locator("img")).to_have_attribute("alt", "Cờ đỏ sao vàng tung bay trên sân lễ.")
    page.get_by_role("button", name="Ảnh trước").click()
    expect(dialog.locator(".lightbox-status")).to_have_text("3 / 4")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(thumbs.nth(2)).to_be_focused()
    assert page.evaluate("window.__violations") == []


def test_thumbnails_link_to_the_full_images_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + ALBUM)
    first = page.locator(".album-grid a").first
    assert first.get_attribute("href") == "/album/le-ra-quan-tan-binh-2024/anh-01.jpg"
    with page.expect_navigation():
        first.click()
    assert page.url.endswith("/album/le-ra-quan-tan-binh-2024/anh-01.jpg")
    context.close()


@pytest.mark.parametrize("theme", ["normal", "high"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_wcag_violations_on_album_pages(browser, base_url, name, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if theme == "high":
        page.add_init_script("localStorage.setItem('portal-contrast', 'high')")
    page.goto(base_url + PAGES[name])
    assert page.evaluate("document.documentElement.dataset.contrast || 'normal'") == theme
    if name == "album":  # the open lightbox too
        page.locator(".album-grid a").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
    violations = axe_violations(page)
    context.close()
    assert violations == []
