"""Settings of the ratings service, from ``[ratings]`` of site.toml and the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from portal.config import SiteConfig

PREFIX = "/api/ratings/"
"""Where the API lives on the service's own host (a reverse proxy maps the site's path here)."""
PUBLISHED_FILE = "ratings-articles.json"
"""The file, in the output folder, in which the build lists the articles readers may rate."""


@dataclass(frozen=True)
class RatingsSettings:
    database: Path
    """The SQLite database of votes (created on first start)."""
    published: Path
    """``ratings-articles.json`` of the built site: the only ids the service accepts."""
    origin: str
    """The site's origin (``https://example.gov.vn``): the only one allowed to vote, and the
    only one CORS headers are sent for."""
    host: str = "127.0.0.1"
    port: int = 8001
    rate_limit: int = 60
    """Requests a minute one client address may make (with a burst of as many)."""
    max_body: int = 512
    """Bytes of the largest request body accepted."""
    trusted_proxies: str = "127.0.0.1"
    """Addresses whose X-Forwarded-For names the real client (the reverse proxy)."""
    site_root: Path | None = None
    """When set, the service also serves the built site from this folder, with live scores
    (the preview and tests: site and API on one origin, without a reverse proxy)."""

    @property
    def secure_cookie(self) -> bool:
        """An https site gets a ``Secure; SameSite=None`` voter cookie (works cross-origin)."""
        return urlsplit(self.origin).scheme == "https"


def origin_of(url: str) -> str:
    """``https://example.gov.vn/xa/`` → ``https://example.gov.vn``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def settings_for_site(config: SiteConfig, *, host: str = "127.0.0.1", port: int = 8001,
                      database: Path | None = None, origin: str | None = None,
                      output_dir: Path | None = None, serve_site: bool = False
                      ) -> RatingsSettings:
    """The service for a site: ``[ratings]`` of its site.toml, overridden by the command line.

    ``output_dir`` is the built site whose ``ratings-articles.json`` lists what may be rated
    (default: the site's output folder); with ``serve_site`` the service serves it too.
    """
    assert config.ratings is not None
    output = (output_dir or config.output_dir).resolve()
    return RatingsSettings(
        database=(database or config.ratings.database).resolve(),
        published=output / PUBLISHED_FILE,
        origin=origin_of(origin) if origin else config.ratings.origin,
        host=host,
        port=port,
        rate_limit=config.ratings.rate_limit,
        site_root=output if serve_site else None,
    )
