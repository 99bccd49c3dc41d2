"""What a score is, for the service (JSON) and the build (baked text) alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Score:
    """The votes of one article: how many, and the sum of their stars."""

    votes: int
    total: int

    @property
    def average(self) -> float:
        """Rounded to one decimal, as every reader sees it (0.0 without votes)."""
        return round(self.total / self.votes, 1) if self.votes else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {"average": self.average, "votes": self.votes}


NO_VOTES = Score(0, 0)
