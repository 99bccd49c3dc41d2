"""Votes in SQLite: one row per (article, voter); a changed vote replaces the old one.

WAL lets readers run beside the single writer. With ``synchronous=NORMAL`` a committed vote is
in the WAL file before the answer is sent, so it survives a crash of the service (tested with
SIGKILL); a power cut may lose the last moments of votes, never the database's integrity, and
no vote waits for a disk flush (the store alone: ~36,000 votes/s here instead of ~210, see
benchmarks/ratings.py). Each
thread of the server gets its own connection (sqlite3 connections must not be shared).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from portal.ratings.scores import NO_VOTES, Score

SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    article TEXT NOT NULL,
    voter TEXT NOT NULL,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    updated TEXT NOT NULL,
    PRIMARY KEY (article, voter)
) WITHOUT ROWID;
"""
BUSY_TIMEOUT_MS = 10_000


class VoteStore:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                     isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return connection

    @property
    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def cast(self, article: str, voter: str, stars: int) -> Score:
        """Record (or replace) a voter's vote and return the article's new score, atomically."""
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT INTO votes (article, voter, stars, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (article, voter) DO UPDATE SET stars = excluded.stars, "
                "updated = excluded.updated",
                (article, voter, stars, datetime.now(UTC).isoformat(timespec="seconds")))
            score = self._score(db, article)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return score

    def scores(self, articles: Iterable[str]) -> dict[str, Score]:
        wanted = sorted(set(articles))
        found = read_scores(self.connection, wanted)
        return {article: found.get(article, NO_VOTES) for article in wanted}

    def vote_of(self, article: str, voter: str) -> int | None:
        row = self.connection.execute("SELECT stars FROM votes WHERE article = ? AND voter = ?",
                                      (article, voter)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _score(db: sqlite3.Connection, article: str) -> Score:
        votes, total = db.execute("SELECT COUNT(*), COALESCE(SUM(stars), 0) FROM votes "
                                  "WHERE article = ?", (article,)).fetchone()
        return Score(votes, total)

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def read_scores(db: sqlite3.Connection, articles: list[str] | None = None) -> dict[str, Score]:
    """Scores of ``articles`` (every rated article when None)."""
    query = "SELECT article, COUNT(*), SUM(stars) FROM votes"
    params: list[str] = []
    if articles is not None:
        if not articles:
            return {}
        query += f" WHERE article IN ({','.join('?' * len(articles))})"
        params = articles
    rows = db.execute(query + " GROUP BY article", params).fetchall()
    return {article: Score(votes, total) for article, votes, total in rows}


def load_scores(path: Path) -> dict[str, Score]:
    """Every article's score, for the build to bake into pages; read-only, and empty when
    no vote was ever cast (no database yet)."""
    if not path.is_file():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return read_scores(db)
    except sqlite3.OperationalError:  # created but the table is not there yet
        return {}
    finally:
        db.close()
