"""Reading one source file: bytes → NFC text → front matter (with key lines) + Markdown body.

python-frontmatter finds the ``---`` block; the YAML inside is composed node by node so every
key keeps its line number for error messages. YAML's implicit timestamps are switched off:
dates stay text and are parsed by :mod:`portal.dates` in the site's time zone, the same way
whichever of the three accepted forms the editor used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import frontmatter
import yaml

from portal.discover import SourceFile
from portal.errors import Diagnostic, error
from portal.nesting import MAX_NESTING, deepest_nesting
from portal.packed import pack, unpack
from portal.vietnamese import nfc

MAX_SOURCE_BYTES = 5 * 1024 * 1024
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10× faster


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader without implicit timestamps: "2023-03-09" stays text until we parse it."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_HANDLER = frontmatter.YAMLHandler()


@dataclass(frozen=True)
class ParsedSource:
    source: SourceFile
    meta: dict[str, Any]
    key_lines: dict[str, int]
    packed_body: bytes
    """The Markdown body, compressed (see ``packed.py``); read it through ``body``."""
    body_line: int
    body_digest: str = ""
    """SHA-256 of the body: what the cache of converted bodies is keyed by, so a rebuild
    need not unpack a text to find its conversion."""

    @property
    def body(self) -> str:
        return unpack(self.packed_body)

    def line_of(self, key: str) -> int:
        """Line of a (dotted) key, falling back to its parent key, then the file's first line."""
        while key:
            if key in self.key_lines:
                return self.key_lines[key]
            key = key.rsplit(".", 1)[0] if "." in key else key.split("[")[0] if "[" in key \
                else ""
        return 1

    def line_of_text(self, needle: str) -> int:
        """The first body line containing ``needle``, for errors found after Markdown ran."""
        lines = self.body.splitlines()
        # Markdown unescapes "\\" to "\": a needle found after conversion may be written
        # with its backslashes doubled.
        for candidate in (needle, needle.replace("\\", "\\\\")):
            for offset, line in enumerate(lines):
                if candidate in line:
                    return self.body_line + offset
        return self.body_line


def read_source(source: SourceFile) -> tuple[ParsedSource | None, list[Diagnostic]]:
    """Parse one file; on failure return ``None`` and the reasons, never raise."""
    rel = source.rel
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        return None, [error(rel, 0, "unreadable file", "a readable file", exc.strerror or "")]
    if len(raw) > MAX_SOURCE_BYTES:
        return None, [error(rel, 1, "file too large", f"at most {MAX_SOURCE_BYTES // 2**20} MB",
                            f"{len(raw) / 2**20:.1f} MB")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [error(rel, line, "invalid text encoding", "UTF-8 text",
                            f"byte 0x{raw[exc.start]:02x} that is not UTF-8")]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [error(rel, line, "invalid character", "text without NUL characters",
                            "a NUL character")]
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    return parse_text(source, text)


def parse_text(source: SourceFile, text: str) -> tuple[ParsedSource | None, list[Diagnostic]]:
    rel = source.rel
    if not _HANDLER.detect(text):
        return None, [error(rel, 1, "missing front matter",
                            "a YAML block between '---' lines at the top of the file",
                            "no such block")]
    try:
        fm_text, body = _HANDLER.split(text)
    except ValueError:
        return None, [error(rel, 1, "unclosed front matter", "a closing '---' line",
                            "the end of the file")]
    fm_line = text[: text.find(fm_text, 3)].count("\n") + 1 if fm_text else 2
    body_line = text[: len(text) - len(body)].count("\n") + 1
    loader = _Loader(fm_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except RecursionError:
        return None, [_too_deep_front_matter(rel, fm_text, fm_line)]
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in (exc.problem or ""):  # newer PyYAML stops before recursing
            return None, [_too_deep_front_matter(rel, fm_text, fm_line)]
        mark = exc.problem_mark or exc.context_mark
        line = fm_line + (mark.line if mark else 0)
        problem = exc.problem or exc.context or "unreadable YAML"
        return None, [error(rel, line, "invalid front matter", "valid YAML 'key: value' lines",
                            f"a YAML syntax error ({problem})")]
    except yaml.YAMLError as exc:
        return None, [error(rel, fm_line, "invalid front matter", "valid YAML", str(exc))]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        return None, [error(rel, fm_line, "invalid front matter", "'key: value' lines",
                            "a YAML value that is not a set of keys")]
    key_lines: dict[str, int] = {}
    diagnostics: list[Diagnostic] = []
    try:
        _index_lines(node, "", fm_line, key_lines, diagnostics, rel)
    except RecursionError:
        return None, [_too_deep_front_matter(rel, fm_text, fm_line)]
    too_deep = deepest_nesting(body)
    if too_deep is not None:
        return None, [error(rel, body_line + too_deep[0], "content nested too deeply",
                            f"at most {MAX_NESTING} levels of lists, quotes, brackets or "
                            "emphasis marks", f"{too_deep[1]} levels")]
    key_lines[""] = 1
    meta = {str(k): v for k, v in data.items()}
    return ParsedSource(source, meta, key_lines, pack(body), body_line,
                        hashlib.sha256(body.encode()).hexdigest()), diagnostics


def _too_deep_front_matter(rel: str, fm_text: str, fm_line: int) -> Diagnostic:
    """YAML nested beyond Python's recursion limit: name the line that opens the most."""
    lines = fm_text.split("\n")
    deepest = max(range(len(lines)), key=lambda i: lines[i].count("[") + lines[i].count("{"))
    return error(rel, fm_line + deepest, "invalid front matter",
                 "values nested at most a few hundred levels deep", "deeper nesting")


def _index_lines(node: yaml.Node, prefix: str, offset: int, lines: dict[str, int],
                 diagnostics: list[Diagnostic], rel: str) -> None:
    """Record the line of every key (``attachments[0].file``) and flag duplicated keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = f"{prefix}{key_node.value}"
            line = offset + key_node.start_mark.line
            if name in seen:
                diagnostics.append(error(rel, line, f"duplicate front-matter key '{name}'",
                                         "each key once", "a second 'key:' line"))
            seen.add(name)
            lines.setdefault(name, line)
            _index_lines(value_node, f"{name}.", offset, lines, diagnostics, rel)
    elif isinstance(node, yaml.SequenceNode):
        base = prefix.rstrip(".")
        for index, item in enumerate(node.value):
            lines.setdefault(f"{base}[{index}]", offset + item.start_mark.line)
            _index_lines(item, f"{base}[{index}].", offset, lines, diagnostics, rel)
