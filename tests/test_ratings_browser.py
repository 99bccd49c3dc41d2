"""The rating widget in a real browser, against the real service on the same origin: voting
with the mouse, with the keyboard, without JavaScript (form post and 303), and axe."""

from __future__ import annotations

import json
import socket

import pytest
from browser import CONTENT_SECURITY_POLICY, axe_violations
from golden_site import build_sample
from playwright.sync_api import expect

from portal.ratings.app import create_app
from portal.ratings.server import start_in_thread
from portal.ratings.settings import PUBLISHED_FILE, RatingsSettings

pytestmark = pytest.mark.browser


def _with_policy(app):
    """Every response carries the documented Content Security Policy, as hosts send it."""

    async def wrapped(scope, receive, send):
        async def send_with_policy(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (
                    b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]
            await send(message)

        await app(scope, receive, send_with_policy)

    return wrapped


@pytest.fixture(scope="module")
def rated_site(tmp_path_factory):
    """The sample site and the ratings API on one loopback origin; yields (url, articles)."""
    folder = tmp_path_factory.mktemp("rated")
    output = folder / "site"
    build_sample(output)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    settings = RatingsSettings(database=folder / "votes.sqlite3",
                               published=output / PUBLISHED_FILE, origin=origin, port=port,
                               rate_limit=10_000, site_root=output)
    service = start_in_thread(settings, _with_policy(create_app(settings)))
    articles = json.loads((output / PUBLISHED_FILE).read_text(encoding="utf-8"))["articles"]
    try:
        yield origin + "/", sorted(articles.values())
    finally:
        service.stop()


def _watch_policy(page):
    page.add_init_script("""
        window.__violations = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    """)


def test_vote_with_the_mouse_updates_the_score_and_is_remembered(page, rated_site):
    url, articles = rated_site
    _watch_policy(page)
    page.goto(url + articles[0])
    form = page.locator("form.rating")
    expect(form.locator(".rating-score")).to_have_text("(chưa có lượt đánh giá)")
    form.locator("label[for=rating-4]").click()
    assert page.get_by_role("radio", name="4 sao").is_checked()
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(form.get_by_role("status")).to_have_text("Cảm ơn bạn đã đánh giá 4 sao.")
    expect(form.locator(".rating-score")).to_have_text("(4,0/5 · 1 lượt)")
    assert page.evaluate("window.__violations") == []

    page.reload()
    expect(form.get_by_role("status")).to_have_text("Bạn đã đánh giá bài viết này 4 sao.")
    assert page.get_by_role("radio", name="4 sao").is_checked()
    expect(form.locator(".rating-score")).to_have_text("(4,0/5 · 1 lượt)")
    form.locator("label[for=rating-2]").click()  # a changed vote replaces the old one
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(form.locator(".rating-score")).to_have_text("(2,0/5 · 1 lượt)")


def test_vote_with_the_keyboard(page, rated_site):
    url, articles = rated_site
    page.goto(url + articles[1])
    form = page.locator("form.rating")
    page.get_by_role("radio", name="Chưa đánh giá").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    star = page.get_by_role("radio", name="3 sao")
    assert star.is_checked()
    assert page.evaluate("document.activeElement.id") == "rating-3"
    outline = page.evaluate("getComputedStyle(document.querySelector('label[for=rating-3]'))"
                            ".outlineStyle")
    assert outline == "solid"  # the focus is visible on the drawn star
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "rating-submit"
    page.keyboard.press("Space")
    expect(form.get_by_role("status")).to_have_text("Cảm ơn bạn đã đánh giá 3 sao.")
    expect(form.locator(".rating-score")).to_have_text("(3,0/5 · 1 lượt)")


def test_choosing_no_star_asks_for_one(page, rated_site):
    url, articles = rated_site
    page.goto(url + articles[2])
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("form.rating").get_by_role("status")).to_have_text(
        "Hãy chọn từ 1 đến 5 sao rồi gửi.")


def test_without_javascript_the_form_posts_and_comes_back_with_the_new_score(browser,
                                                                           rated_site):
    url, articles = rated_site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + articles[3])
    page.locator("label[for=rating-5]").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi đánh giá").click()
    assert page.url == url + articles[3] + "#danh-gia"
    expect(page.locator("form.rating .rating-score")).to_have_text("(5,0/5 · 1 lượt)")
    context.close()


@pytest.mark.parametrize("theme", ["normal", "high"])
def test_axe_finds_no_violations_with_the_widget(browser, rated_site, theme):
    url, articles = rated_site
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if theme == "high":
        page.add_init_script("localStorage.setItem('portal-contrast', 'high')")
    page.goto(url + articles[4])
    page.locator("label[for=rating-2]").click()
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("form.rating").get_by_role("status")).to_have_text(
        "Cảm ơn bạn đã đánh giá 2 sao.")
    page.get_by_role("radio", name="2 sao").focus()
    assert page.evaluate("document.documentElement.dataset.contrast || 'normal'") == theme
    violations = axe_violations(page)
    context.close()
    assert violations == []
