"""The ratings API: every rejection with its status and message, votes, cookies, redirects,
CORS, the published list, and the build's part (the list it writes, baked scores)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from ratings_support import ORIGIN, make_settings, write_published
from starlette.testclient import TestClient

from portal.ratings.app import create_app
from portal.ratings.store import load_scores

VOTES = "/api/ratings/votes"
JSON_HEADERS = {"Origin": ORIGIN}
FORM_HEADERS = {"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(make_settings(tmp_path)), base_url="https://api.test") as client:
        yield client


def error_of(response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()["error"]


def test_a_vote_is_counted_and_a_changed_vote_replaces_the_old_one(client):
    first = client.post(VOTES, json={"article": "bai-a", "stars": 2}, headers=JSON_HEADERS)
    assert first.status_code == 200
    assert first.json() == {"article": "bai-a", "stars": 2, "average": 2.0, "votes": 1}
    cookie = first.headers["set-cookie"]
    assert "portal_voter=" in cookie and "HttpOnly" in cookie and "Path=/;" in cookie
    assert "Secure" in cookie and "SameSite=none" in cookie
    second = client.post(VOTES, json={"article": "bai-a", "stars": 5}, headers=JSON_HEADERS)
    assert second.json() == {"article": "bai-a", "stars": 5, "average": 5.0, "votes": 1}
    client.cookies.clear()  # another reader
    third = client.post(VOTES, json={"article": "bai-a", "stars": 4}, headers=JSON_HEADERS)
    assert third.json() == {"article": "bai-a", "stars": 4, "average": 4.5, "votes": 2}
    assert client.get("/api/ratings/scores/bai-a").json() == {
        "article": "bai-a", "average": 4.5, "votes": 2}
    assert client.get("/api/ratings/scores?ids=bai-a,bai-b").json() == {
        "scores": {"bai-a": {"average": 4.5, "votes": 2}, "bai-b": {"average": 0.0,
                                                                    "votes": 0}}}


def test_a_form_post_answers_303_back_to_the_article(client):
    response = client.post(VOTES, content="article=bai-b&stars=3", headers=FORM_HEADERS,
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == ORIGIN + "/tin-tuc/bai-b/#danh-gia"
    assert client.get("/api/ratings/scores/bai-b").json()["votes"] == 1


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"article": "khong-co", "stars": 3}, 404,
     "unknown article: expected the id of a published article, got 'khong-co'"),
    ({"article": "bai-a", "stars": 0}, 400,
     "invalid stars: expected a whole number from 1 to 5, got 0"),
    ({"article": "bai-a", "stars": 6}, 400,
     "invalid stars: expected a whole number from 1 to 5, got 6"),
    ({"article": "bai-a", "stars": "abc"}, 400,
     "invalid stars: expected a whole number from 1 to 5, got 'abc'"),
    ({"article": "bai-a", "stars": 4.5}, 400,
     "invalid stars: expected a whole number from 1 to 5, got 4.5"),
    ({"article": "bai-a", "stars": True}, 400,
     "invalid stars: expected a whole number from 1 to 5, got true"),
    ({"article": "bai-a"}, 400, "missing field: expected stars, got no stars"),
    ({"article": 7, "stars": 3}, 400,
     "invalid article: expected the id of a published article (text), got 7"),
    ({"article": "bai-a", "stars": 3, "x": 1}, 400,
     "unknown field: expected only article and stars, got 'x'"),
    ([1, 2], 400, 'invalid JSON: expected an object like {"article": "…", "stars": 4}, '
                  "got a JSON array"),
])
def test_json_votes_are_rejected_with_a_clear_message(client, body, status, message):
    response = client.post(VOTES, json=body, headers=JSON_HEADERS)
    assert error_of(response) == (status, message)


@pytest.mark.parametrize(("form", "message"), [
    ("article=bai-a&stars=0", "invalid stars: expected a whole number from 1 to 5, got 0"),
    ("article=bai-a&stars=6", "invalid stars: expected a whole number from 1 to 5, got 6"),
    ("article=bai-a&stars=abc", "invalid stars: expected a whole number from 1 to 5, got 'abc'"),
    ("article=bai-a&stars=", "invalid stars: expected a whole number from 1 to 5, got ''"),
    ("article=bai-a&stars=3&stars=4", "repeated field: expected stars once, got it twice"),
])
def test_form_votes_are_rejected_with_a_clear_message(client, form, message):
    response = client.post(VOTES, content=form, headers=FORM_HEADERS)
    assert error_of(response) == (400, message)


def test_unknown_ids_are_rejected_when_reading_scores(client):
    assert error_of(client.get("/api/ratings/scores/khong-co")) == (
        404, "unknown article: expected the id of a published article, got 'khong-co'")
    assert error_of(client.get("/api/ratings/scores?ids=bai-a,khong-co")) == (
        404, "unknown article: expected the id of a published article, got 'khong-co'")
    assert error_of(client.get("/api/ratings/scores")) == (
        400, "invalid ids: expected one parameter ids=a,b,c with 1 to 100 article ids, "
             "got none")


def test_an_oversized_body_is_rejected(client):
    body = json.dumps({"article": "bai-a", "stars": 3, "pad": "x" * 600})
    response = client.post(VOTES, content=body, headers={
        **JSON_HEADERS, "Content-Type": "application/json"})
    assert error_of(response) == (413, f"body too large: expected at most 512 bytes, got "
                                       f"{len(body)}")

    def chunks():  # no Content-Length: the limit holds while reading
        yield b'{"article": "bai-a", "pad": "'
        yield b"x" * 1000
        yield b'"}'

    response = client.post(VOTES, content=chunks(), headers={
        **JSON_HEADERS, "Content-Type": "application/json"})
    assert error_of(response) == (413, "body too large: expected at most 512 bytes, got more")


def test_other_content_types_and_bad_json_are_rejected(client):
    response = client.post(VOTES, content="stars=3", headers={**JSON_HEADERS,
                                                             "Content-Type": "text/plain"})
    assert error_of(response) == (415, "unsupported content type: expected application/json "
                                       "or application/x-www-form-urlencoded, got 'text/plain'")
    response = client.post(VOTES, content="{oops", headers={
        **JSON_HEADERS, "Content-Type": "application/json"})
    assert error_of(response) == (400, 'invalid JSON: expected an object like {"article": '
                                       '"…", "stars": 4}, got text that is not JSON')


def test_a_wrong_or_missing_origin_is_rejected(client):
    response = client.post(VOTES, json={"article": "bai-a", "stars": 3},
                           headers={"Origin": "https://evil.example"})
    assert error_of(response) == (403, f"forbidden origin: expected {ORIGIN}, got "
                                       "'https://evil.example'")
    assert "access-control-allow-origin" not in response.headers
    response = client.post(VOTES, json={"article": "bai-a", "stars": 3})
    assert error_of(response) == (403, f"missing Origin header: expected {ORIGIN}, got none")
    response = client.get("/api/ratings/scores/bai-a", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get("/api/ratings/scores?ids=bai-a").json()["scores"]["bai-a"]["votes"] == 0


def test_cors_headers_are_sent_only_for_the_site_origin(client):
    preflight = client.options(VOTES, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"
    response = client.get("/api/ratings/scores/bai-a", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in client.get("/api/ratings/scores/bai-a").headers


def test_too_many_requests_from_one_address_are_rejected(tmp_path):
    app = create_app(make_settings(tmp_path, rate_limit=3))
    with TestClient(app, base_url="https://api.test") as client:
        for _ in range(3):
            assert client.get("/api/ratings/scores/bai-a").status_code == 200
        response = client.get("/api/ratings/scores/bai-a")
    assert error_of(response) == (429, "too many requests: expected at most 3 a minute from "
                                       "one address, got more (retry in 20 s)")
    assert response.headers["retry-after"] == "20"


def test_unknown_paths_and_methods_are_json_errors(client):
    assert error_of(client.get("/api/ratings/nothing")) == (
        404, "no such address: expected a path of the API under /api/ratings/ (see "
             "/api/ratings/openapi.json), got '/api/ratings/nothing'")
    assert error_of(client.get(VOTES)) == (405, "method not allowed: expected POST, got GET")


def test_the_openapi_document_is_served(client):
    document = client.get("/api/ratings/openapi.json").json()
    assert set(document["paths"]) == {"/api/ratings/scores", "/api/ratings/scores/{article}",
                                      "/api/ratings/votes", "/api/ratings/openapi.json"}


def test_a_rebuilt_list_makes_new_articles_rateable_without_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings), base_url="https://api.test") as client:
        assert client.get("/api/ratings/scores/bai-moi").status_code == 404
        write_published(settings.published.parent, {"bai-moi": "tin-tuc/bai-moi/"})
        os.utime(settings.published, ns=(1, 2_000_000_000_000_000_000))
        assert client.get("/api/ratings/scores/bai-moi").status_code == 200


def test_the_database_is_sqlite_in_wal_mode(client, tmp_path):
    client.post(VOTES, json={"article": "bai-c", "stars": 1}, headers=JSON_HEADERS)
    db = sqlite3.connect(tmp_path / "votes.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT article, stars FROM votes").fetchall() == [("bai-c", 1)]
    db.close()
    assert {k: (s.votes, s.total) for k, s in load_scores(tmp_path / "votes.sqlite3").items()} \
        == {"bai-c": (1, 1)}


# ---- The build's part ----

RATINGS_CONFIG = '\n[ratings]\nendpoint = "/api/ratings/"\n'


def test_the_build_lists_the_published_articles_for_the_service(site):
    site.write("site.toml", site.root.joinpath("site.toml").read_text() + RATINGS_CONFIG)
    site.article("bai-a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.article("nhap.md", "title: Nháp\ndate: 2023-03-02\ndraft: true\n")
    site.build()
    listed = json.loads(site.read("ratings-articles.json"))
    assert listed == {"version": 1, "base_url": "https://xa.example.gov.vn/",
                      "articles": {"bai-a": "tin-tuc/bai-a/"}}
    page = site.read("tin-tuc/bai-a/index.html")
    assert 'action="/api/ratings/votes"' in page
    assert '<span class="rating-score" data-rating-live>(chưa có lượt đánh giá)</span>' in page


def test_without_a_service_there_is_no_list_and_no_form(site):
    site.article("bai-a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert "ratings-articles.json" not in site.files()
    assert "rating" not in site.read("tin-tuc/bai-a/index.html").split("<main")[1].split(
        "</main>")[0].replace("data-pagefind", "")


def _vote(database, article, stars_list):
    from portal.ratings.store import VoteStore
    store = VoteStore(database)
    for number, stars in enumerate(stars_list):
        store.cast(article, f"voter-{number:012d}", stars)
    store.close()


def test_baked_scores_show_read_only_on_articles_and_listings(site):
    site.write("site.toml", site.root.joinpath("site.toml").read_text()
               + '\n[ratings]\nbake = true\n')
    site.article("bai-a.md", "title: Bài A\ndate: 2023-03-02\n")
    _vote(site.root / "ratings.sqlite3", "bai-a", [4, 4, 5, 4, 4])
    site.build()
    page = site.read("tin-tuc/bai-a/index.html")
    assert ('<p class="rating rating-readonly" id="danh-gia" data-pagefind-ignore>Đánh giá bài '
            'viết <span class="rating-score">(4,2/5 · 5 lượt)</span></p>') in page
    assert "<form" not in page.split('id="danh-gia"')[0].rsplit("\n", 1)[-1]
    assert '<p class="card-rating">Đánh giá 4,2/5 (5 lượt)</p>' in site.read("tin-tuc/index.html")


def test_a_new_vote_rebuilds_exactly_like_a_clean_build(make_site):
    incremental, clean = make_site("incremental"), make_site("clean")
    for folder in (incremental, clean):
        folder.write("site.toml", folder.root.joinpath("site.toml").read_text()
                     + '\n[ratings]\nbake = true\n')
        folder.article("bai-a.md", "title: Bài A\ndate: 2023-03-02\n")
        folder.article("bai-b.md", "title: Bài B\ndate: 2023-03-03\n")
    _vote(incremental.root / "ratings.sqlite3", "bai-a", [3])
    incremental.build()
    _vote(incremental.root / "ratings.sqlite3", "bai-a", [5, 5])  # voter-0 changes to 5
    rebuilt = incremental.build()
    _vote(clean.root / "ratings.sqlite3", "bai-a", [5, 5])
    clean.build(clean=True)
    assert rebuilt.pages_rendered > 0
    assert incremental.files() == clean.files()
    assert "(5,0/5 · 2 lượt)" in incremental.read("tin-tuc/bai-a/index.html")


def test_ratings_settings_are_validated_with_their_line(site):
    from portal.config import load_config
    from portal.errors import BuildError
    site.write("site.toml", site.root.joinpath("site.toml").read_text()
               + '\n[ratings]\norigin = "https://x.gov.vn/path"\nrate_limit = 0\nbake = "yes"\n')
    with pytest.raises(BuildError) as caught:
        load_config(site.root)
    assert [str(d) for d in caught.value.diagnostics] == [
        "site.toml:8: wrong value for 'ratings.origin': expected an origin like "
        "https://example.gov.vn (scheme and host, no path), got 'https://x.gov.vn/path'",
        "site.toml:9: wrong value for 'ratings.rate_limit': expected a whole number from 1 to "
        "100000, got 0",
        "site.toml:10: wrong value for 'ratings.bake': expected true or false, got a text "
        "('yes')",
    ]


def test_the_ratings_command_explains_a_site_that_was_not_built(site, monkeypatch):
    import io

    from portal.cli import main
    monkeypatch.chdir(site.root)
    out, err = io.StringIO(), io.StringIO()
    assert main(["ratings", "--port", "0"], out, err) == 1
    assert err.getvalue() == (
        "error: _site/ratings-articles.json: missing list of published articles: expected the "
        "file the build writes into the output folder, got no such file (build the site with "
        "[ratings] endpoint first)\n")
    err = io.StringIO()
    assert main(["ratings", "--origin", "https://x.gov.vn/duong-dan/"], out, err) == 2
    assert err.getvalue().splitlines()[0] == (
        "error: --origin: expected an origin like https://example.gov.vn (scheme and host, no "
        "path), got 'https://x.gov.vn/duong-dan/'")


def test_the_rate_limit_refills_evenly_and_is_per_address():
    from portal.ratings.limits import RateLimiter

    now = [1000.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert [limiter.take("10.0.0.1") for _ in range(60)] == [0.0] * 60
    assert limiter.take("10.0.0.1") == pytest.approx(1.0)
    assert limiter.take("10.0.0.2") == 0.0
    now[0] += 1.0
    assert limiter.take("10.0.0.1") == 0.0
    assert limiter.take("10.0.0.1") == pytest.approx(1.0)
    now[0] += 120.0  # full buckets are forgotten
    limiter.take("10.0.0.3")
    assert set(limiter._buckets) == {"10.0.0.3"}
