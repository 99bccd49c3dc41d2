"""Albums: a folder of photos with an ``index.md``; listed photos first, in their order and with
their captions, then the others by file name.

Every photo needs a text alternative (``alt`` or ``caption``); a missing one is reported as a
warning naming the album and the file, and the page falls back to "Ảnh n – <album title>" so
the link around the thumbnail still has a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.content_schema import PHOTO_SCHEMA
from portal.errors import Diagnostic, error, warning
from portal.images.settings import is_image
from portal.model import Album, Photo
from portal.schema import Context, Location, validate

if TYPE_CHECKING:
    from portal.links import Linker
    from portal.site import Entry


def make_album(entry: Entry, body_html: str, summary: str, linker: Linker,
               diagnostics: list[Diagnostic]) -> Album | None:
    values = entry.values
    source = entry.parsed.source
    folder = source.bundle_dir
    if folder is None:
        diagnostics.append(error(entry.rel, 1, "an album is a folder",
                                 f"content/albums/{source.stem}/index.md with the photos beside "
                                 "it", entry.rel))
        return None
    listed: list[tuple[str, str | None, str | None, int]] = []
    for index, item in enumerate(values["photos"]):
        where = Location(entry.rel, entry.parsed.line_of).nested(f"photos[{index}].")
        result = validate(item, PHOTO_SCHEMA, where, Context(linker.config.timezone))
        diagnostics.extend(result.diagnostics)
        if result.diagnostics:
            continue
        file = result.values["file"]
        line = entry.parsed.line_of(f"photos[{index}].file")
        if not is_image(file):
            diagnostics.append(error(entry.rel, line, "a photo that is not an image",
                                     "a .jpg, .jpeg, .png or .webp file", repr(file)))
            continue
        listed.append((file, result.values["caption"], result.values["alt"], line))
    names = {file for file, *_ in listed}
    rest = sorted(p.name for p in folder.iterdir()
                  if p.is_file() and is_image(p.name) and not p.name.startswith((".", "_"))
                  and p.name not in names)
    photos: list[Photo] = []
    photos_line = entry.parsed.line_of("photos")
    for file, caption, alt, line in [*listed, *((name, None, None, photos_line)
                                                for name in rest)]:
        url = linker.publish_file(file, line, "photo")
        if url is None:
            continue
        if not (alt or caption):
            diagnostics.append(warning(
                entry.rel, line,
                f"photo {file} of album '{values['title']}' has no text alternative: add "
                f"'alt' or 'caption' for it under 'photos'"))
        text = alt or caption or f"Ảnh {len(photos) + 1} – {values['title']}"
        photos.append(Photo(file, url, caption, text))
    cover = photos[0] if photos else None
    if values["cover"]:
        url = linker.publish_file(values["cover"], entry.parsed.line_of("cover"), "cover")
        if url is not None:
            cover = next((p for p in photos if p.url == url),
                         Photo(values["cover"], url, None, values["title"]))
    return Album(
        source=entry.rel,
        slug=entry.slug,
        url=entry.url,
        title=values["title"],
        date=values["date"],
        summary=summary,
        description_html=body_html,
        cover=cover,
        home=values["home"],
        draft=values["draft"],
        photos=tuple(photos),
    )
