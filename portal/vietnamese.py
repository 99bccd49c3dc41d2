"""Vietnamese text rules: NFC normalisation, slugs, collation and number formatting.

These rules are the reason a generic slugify or ``sorted()`` is wrong for this publisher:
``đ`` has no Unicode decomposition, so stripping marks alone turns "ổn định" into "on-inh";
and code-point order puts "Ủy" after "ư" and "đ" after "z".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

SLUG_MAX_LENGTH = 120
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
_VIETNAMESE_MARKS = re.compile("[\u0300-\u036f]")
"""Combining diacritical marks: every tone and vowel mark of Vietnamese is in this block."""


def nfc(text: str) -> str:
    """Normalise to NFC: Vietnamese typed on macOS or some keyboards arrives decomposed."""
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Remove tone and vowel marks and map đ→d, keeping case: "Đẩy mạnh" → "Day manh"."""
    stripped = _VIETNAMESE_MARKS.sub("", unicodedata.normalize("NFD", text.translate(_D_MAP)))
    if stripped.isascii():
        return stripped
    return "".join(ch for ch in stripped if not unicodedata.combining(ch))


def slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """Turn a Vietnamese title into a URL segment of ``[a-z0-9-]``, cut at a word boundary."""
    slug = _NON_ALNUM.sub("-", strip_diacritics(text).lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[: max_length + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else cut[:max_length]
        slug = slug.strip("-")
    return slug


def markdown_slugify(value: str, separator: str) -> str:
    """Heading-id slugs for Python-Markdown's ``toc`` extension, with the same rules."""
    return slugify(value).replace("-", separator) or "muc"


def is_safe_slug(value: str) -> bool:
    """True for a single, clean URL segment (what ``slug:`` in front matter must be)."""
    return bool(value) and _NON_ALNUM.sub("-", value) == value and not value.startswith("-") \
        and not value.endswith("-") and "--" not in value


@cache
def _collator() -> Any:
    # Imported here: ICU costs 10 ms of every start, and builds that sort nothing (a quick
    # rebuild, the preview's edits) never need it.
    import icu

    return icu.Collator.createInstance(icu.Locale("vi"))


def collation_key(text: str) -> bytes:
    """Sort key in Vietnamese alphabetical order (a ă â b c d đ e ê …), from ICU's CLDR rules."""
    return _collator().getSortKey(nfc(text))


def format_decimal(value: float, digits: int = 1) -> str:
    """Vietnamese decimal comma: 4.2 → "4,2"; whole numbers lose the decimals ("5")."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def format_size(size: int) -> str:
    """File sizes as editors expect them on attachments: "245 KB", "1,2 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, 0)} KB"
    return f"{format_decimal(size / (1024 * 1024), 1)} MB"
