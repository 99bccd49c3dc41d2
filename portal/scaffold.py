"""``python build.py new KIND "Tiêu đề"``: a new content file that already builds.

Editors are journalists and clerks: the file comes with the required keys filled in (a
Vietnamese slug for its name, today's date in the site's time zone) and every optional key
present but commented out, with a word on what it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from portal.config import SiteConfig
from portal.errors import UsageError
from portal.vietnamese import nfc, slugify

KINDS = ("article", "campaign", "page", "album")
FOLDERS = {"article": "articles", "campaign": "campaigns", "page": "pages", "album": "albums"}
BUNDLED = ("album",)
"""Kinds that are a folder (``<slug>/index.md``) with their files beside it."""


@dataclass(frozen=True)
class Created:
    path: Path
    kind: str


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _front_matter(kind: str, title: str, now: datetime) -> str:
    today = now.strftime("%Y-%m-%d")
    if kind == "article":
        lines = [
            f"title: {_quoted(title)}",
            f"date: {now:%Y-%m-%d %H:%M}",
            "# author: Họ và tên tác giả",
            "# category: Tin hoạt động",
            "# tags: [cải cách hành chính, chuyển đổi số]",
            "# summary: Một câu tóm tắt (mặc định: đoạn đầu tiên)",
            "# image: anh-bia.jpg",
            "# image_alt: Mô tả ảnh cho người không xem được ảnh",
            "# campaign: ten-chuyen-de",
            "# featured: true",
            "# draft: true",
        ]
        body = "Đoạn mở đầu (in đậm trên trang tin).\n\nNội dung bài viết.\n"
    elif kind == "campaign":
        end = (now + timedelta(days=30)).strftime("%Y-%m-%d")
        lines = [
            f"title: {_quoted(title)}",
            f"start: {today}",
            f"end: {end}",
            "# kind: Chuyên đề thi đua",
            "# organizer: Ủy ban nhân dân …",
            "# participants: [Các cơ quan, đơn vị]",
            "# criteria: [Tiêu chí 1, Tiêu chí 2]",
            "# banner: NỘI DUNG BĂNG RÔN HIỆN TRÊN MỌI TRANG KHI ĐANG DIỄN RA",
            "# cta: {label: Tham gia, url: https://…}",
            "# documents:",
            f"#   - {{title: Kế hoạch, number: 01/KH-UBND, issued: {today}, "
            "file: ke-hoach.pdf}",
        ]
        body = "Giới thiệu chuyên đề.\n"
    elif kind == "album":
        lines = [
            f"title: {_quoted(title)}",
            f"date: {today}",
            "# home: true",
            "# cover: anh-01.jpg",
            "# photos:",
            "#   - {file: anh-01.jpg, caption: Chú thích hiện dưới ảnh, alt: Mô tả ảnh}",
        ]
        body = ("Giới thiệu album. Chép ảnh (JPEG, PNG, WebP) vào thư mục này; ảnh nào cũng "
                "cần 'caption' hoặc 'alt' trong 'photos'.\n")
    else:
        lines = [
            f"title: {_quoted(title)}",
            "# menu: 50",
            "# lang: en",
            "# summary: Một câu mô tả trang",
        ]
        body = "Nội dung trang.\n"
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body


def create_content(config: SiteConfig, kind: str, title: str, now: datetime) -> Created:
    """Write the new file; refuse to overwrite anything."""
    title = nfc(title).strip()
    slug = slugify(title)
    if not slug:
        raise UsageError(f"new {kind}: the title {title!r} has no letters or digits to make a "
                         "file name from")
    folder = config.content_dir / FOLDERS[kind]
    path = folder / slug / "index.md" if kind in BUNDLED else folder / f"{slug}.md"
    for existing in (path, folder / slug / "index.md", folder / f"{slug}.md"):
        if existing.exists():
            raise UsageError(f"new {kind}: {existing.relative_to(config.site_dir)} already "
                             "exists; choose another title or edit that file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as stream:
        stream.write(_front_matter(kind, title, now))
    return Created(path, kind)
