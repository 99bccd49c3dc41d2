"""The ratings service under load, as deployed: ``python build.py ratings`` (uvicorn) on
loopback, many clients voting at once, and a crash (SIGKILL) in the middle of voting."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from ratings_support import write_published

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "https://xa.example.gov.vn"
CONFIG = f"""\
title = "Cổng thông tin điện tử xã Thử Nghiệm"
base_url = "{ORIGIN}/"

[body]
name = "Ủy ban nhân dân xã Thử Nghiệm"

[ratings]
endpoint = "/api/ratings/"
rate_limit = 100000
"""
ARTICLES = {f"bai-{n}": f"tin-tuc/bai-{n}/" for n in range(400)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def site_dir(tmp_path) -> Path:
    (tmp_path / "site.toml").write_text(CONFIG, encoding="utf-8")
    write_published(tmp_path / "_site", ARTICLES, ORIGIN + "/")
    return tmp_path


@contextmanager
def running_service(site_dir: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "ratings", "--site", str(site_dir),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=site_dir)
    try:
        _wait_until_listening(port, process)
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=20)
        process.stdout.close()
        process.stderr.close()


def _wait_until_listening(port: int, process: subprocess.Popen) -> None:
    for _ in range(400):
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            select.select([], [], [], 0.05)
    raise AssertionError("the ratings service did not start")


class Voter:
    """One reader's browser: a keep-alive connection and the cookie the service gave it."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def vote(self, article: str, stars: int) -> dict:
        headers = {"Origin": ORIGIN, "Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection.request("POST", "/api/ratings/votes",
                                json.dumps({"article": article, "stars": stars}), headers)
        response = self.connection.getresponse()
        body = response.read()
        assert response.status == 200, body
        cookie = response.getheader("Set-Cookie", "")
        self.cookie = self.cookie or cookie.split(";")[0]
        return json.loads(body)


def _scores(port: int, ids: list[str]) -> dict[str, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    found = {}
    for start in range(0, len(ids), 100):
        connection.request("GET", "/api/ratings/scores?ids=" + ",".join(ids[start:start + 100]))
        response = connection.getresponse()
        found.update(json.loads(response.read())["scores"])
    connection.close()
    return found


def test_many_clients_voting_at_once_lose_no_vote(site_dir):
    clients, rounds = 12, 30
    articles = [f"bai-{n}" for n in range(8)]
    final: dict[tuple[int, str], int] = {}
    errors: list[BaseException] = []
    with running_service(site_dir) as (_process, port):
        start = threading.Barrier(clients)

        def run(number: int) -> None:
            try:
                voter = Voter(port)
                start.wait()
                for turn in range(rounds):
                    article = articles[(number + turn) % len(articles)]
                    stars = 1 + (number * 7 + turn * 3) % 5  # voters change their votes
                    voter.vote(article, stars)
                    final[(number, article)] = stars
            except BaseException as exc:  # reported below, with the failing thread's error
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors[0]
        scores = _scores(port, articles)
    for article in articles:
        stars = [s for (_, a), s in final.items() if a == article]
        assert scores[article] == {"votes": len(stars),
                                   "average": round(sum(stars) / len(stars), 1)}


def test_a_killed_service_keeps_every_committed_vote(site_dir):
    acknowledged: list[tuple[str, str, int]] = []
    lock = threading.Lock()
    enough = threading.Event()
    with running_service(site_dir) as (process, port):

        def run(number: int) -> None:
            voter = Voter(port)
            try:
                for turn in range(len(ARTICLES)):
                    article = f"bai-{turn}"
                    stars = 1 + (number + turn) % 5
                    voter.vote(article, stars)
                    with lock:
                        acknowledged.append((article, voter.cookie.split("=", 1)[1], stars))
                        if len(acknowledged) >= 300:
                            enough.set()
            except (OSError, http.client.HTTPException):
                return  # the service died under this client: expected

        threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        assert enough.wait(timeout=60)
        os.kill(process.pid, signal.SIGKILL)
        for thread in threads:
            thread.join()
        assert process.wait(timeout=20) == -signal.SIGKILL

    db = sqlite3.connect(site_dir / "ratings.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {(a, v): s for a, v, s in db.execute("SELECT article, voter, stars FROM votes")}
    db.close()
    assert len(acknowledged) >= 300
    missing = [vote for vote in acknowledged if stored.get(vote[:2]) != vote[2]]
    assert missing == []

    with running_service(site_dir) as (_process, port):  # it starts again on the same data
        scores = _scores(port, ["bai-0"])
        assert scores["bai-0"]["votes"] == sum(1 for (a, _v) in stored if a == "bai-0")
