"""The built site served with live scores: the preview and tests run the site and the API on
one origin, and a reader without JavaScript sees the new score after the form post redirects
back to the article.

Article pages carry their widget's wording in data attributes (the same the script uses), so
the current score is written into the page exactly as the build would bake it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from portal.ratings.published import PublishedWatcher
from portal.ratings.scores import Score
from portal.ratings.store import VoteStore

_FORM = re.compile(rb'data-rating-article="([^"]+)"[^>]*?data-rating-label="([^"]*)"'
                   rb'[^>]*?data-rating-none="([^"]*)"[^>]*?data-rating-decimal="([^"]*)"')
_SCORE = re.compile(rb'(<span class="rating-score" data-rating-live>)[^<]*(</span>)')


def score_text(label: str, none: str, decimal: str, score: Score) -> str:
    """The score as the widget words it: "(4,2/5 · 13 lượt)" or "(chưa có lượt đánh giá)"."""
    if not score.votes:
        return none
    average = f"{score.average:.1f}".replace(".", decimal)
    return label.replace("{score}", average).replace("{votes}", str(score.votes))


def with_live_score(html: bytes, store: VoteStore) -> bytes:
    form = _FORM.search(html)
    if form is None:
        return html
    article = form.group(1).decode()
    score = store.scores([article])[article]
    text = score_text(*(form.group(n).decode() for n in (2, 3, 4)), score).encode()
    return _SCORE.sub(lambda m: m.group(1) + text + m.group(2), html, count=1)


class LiveSite(StaticFiles):
    def __init__(self, root: Path, store: VoteStore, published: PublishedWatcher):
        super().__init__(directory=root, html=True, check_dir=False)
        self.store = store
        self.published = published

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Any, status_code: int = 200) -> Response:
        if not str(full_path).endswith(".html"):
            return super().file_response(full_path, stat_result, scope, status_code)
        html = Path(full_path).read_bytes()
        return HTMLResponse(with_live_score(html, self.store), status_code=status_code,
                            headers={"Cache-Control": "no-cache"})
