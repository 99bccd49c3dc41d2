"""Responsive markup for images inside Markdown bodies.

Bodies are converted and sanitised once and cached as HTML, before any image is probed; the
sizes and copies of their images are added when a page is rendered: each ``<img>`` whose
``src`` is a processed image becomes a ``<picture>`` with WebP and fallback ``srcset``, and
gets ``width``/``height`` so the page does not shift while it loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import escape, unescape
from urllib.parse import quote

from markupsafe import Markup

from portal.model import Picture

BODY_SIZES = "(min-width: 60em) 46rem, 100vw"
_IMG = re.compile(r"<img\b([^>]*)>")
_SRC = re.compile(r'\ssrc="([^"]*)"')
_ATTRIBUTE = re.compile(r"\s([a-z-]+)=")


def picture_index(pictures: tuple[Picture, ...], base_path: str) -> dict[str, Picture]:
    """Pictures by the ``src`` a body links them with."""
    return {base_path + quote(p.url): p for p in pictures}


def make_responsive(index: Mapping[str, Picture], url: Callable[[str], str]
                    ) -> Callable[[object], Markup]:
    """A template function: body HTML in, the same HTML with responsive images out."""

    def replace(match: re.Match[str]) -> str:
        attributes = match.group(1)
        src = _SRC.search(attributes)
        picture = index.get(unescape(src.group(1))) if src else None
        if picture is None:
            return match.group(0)
        present = set(_ATTRIBUTE.findall(attributes))
        extra = [(name, value) for name, value in (
            ("width", str(picture.width)), ("height", str(picture.height)),
            ("loading", "lazy"), ("decoding", "async")) if name not in present]
        fallback = picture.srcset("fallback")
        if fallback:
            extra[:0] = [("srcset", _srcset(fallback, url)), ("sizes", BODY_SIZES)]
        img = "<img" + attributes.rstrip(" /") + "".join(
            f' {name}="{escape(value)}"' for name, value in extra) + ">"
        if not fallback:
            return img
        webp = _srcset(picture.srcset("webp"), url)
        return (f'<picture><source type="image/webp" srcset="{escape(webp)}" '
                f'sizes="{BODY_SIZES}">{img}</picture>')

    def responsive(html: object) -> Markup:
        text = html.__html__() if hasattr(html, "__html__") else str(html)
        return Markup(_IMG.sub(replace, text) if "<img" in text else text)

    return responsive


def _srcset(renditions, url: Callable[[str], str]) -> str:
    return ", ".join(f"{url(r.url)} {r.width}w" for r in renditions)
