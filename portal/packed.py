"""Text kept compressed in memory: Markdown sources and article bodies.

At 100,000 articles the texts are most of a build's memory (Vietnamese needs two bytes per
character in a Python string). They are read whole only a few times per build (hashing,
converting, rendering one page), so they live as compressed UTF-8, about a fifth of the size,
and are unpacked for the moment they are used.

Zstandard at its fastest level packs as tightly as zlib's fastest (3.8 times smaller on the
benchmark corpus's bodies) in a third of the time, and unpacks in half: with two texts packed
per article, zlib cost a 10,000-article build a second of CPU.
"""

from __future__ import annotations

import hashlib
import threading

import zstandard

LEVEL = 1
"""Fast compression: unpacking and packing must cost far less than the work around them."""
_CODECS = threading.local()
"""A compressor and a decompressor per thread (they keep state between calls)."""


def pack(text: str) -> bytes:
    if not text:
        return b""
    codec = getattr(_CODECS, "pack", None)
    if codec is None:
        codec = _CODECS.pack = zstandard.ZstdCompressor(level=LEVEL)
    return codec.compress(text.encode("utf-8"))


def unpack(data: bytes) -> str:
    if not data:
        return ""
    codec = getattr(_CODECS, "unpack", None)
    if codec is None:
        codec = _CODECS.unpack = zstandard.ZstdDecompressor()
    return codec.decompress(data).decode("utf-8")


class PackedHtml:
    """Safe HTML, compressed. Jinja2 renders it through ``__html__`` (it is already safe);
    ``str()`` gives the text; equal HTML gives equal objects (compression is deterministic)."""

    __slots__ = ("data",)

    def __init__(self, html: str = "", *, data: bytes | None = None):
        self.data = pack(html) if data is None else data

    def __html__(self) -> str:
        return unpack(self.data)

    __str__ = __html__

    def __bool__(self) -> bool:
        return bool(self.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackedHtml) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"PackedHtml({len(self.data)} bytes)"

    def __reduce__(self):
        return (PackedHtml, ("",), None, None, None) if not self.data else \
            (_from_data, (self.data,))

    @property
    def digest(self) -> bytes:
        """What fingerprints hash: cheaper than the text, and as exact."""
        return hashlib.blake2b(self.data, digest_size=16).digest()


def _from_data(data: bytes) -> PackedHtml:
    return PackedHtml(data=data)
