"""Front-matter schemas of each content kind (DESIGN §3), in one place for docs and tests."""

from __future__ import annotations

from typing import Any

from portal import schema
from portal.schema import Context, Field, FieldValueError, expects


@expects("a relative path to a file beside the Markdown file, like anh-bia.jpg")
def relative_file(value: Any, ctx: Context) -> str:
    result = schema.text(value, ctx)
    if result.startswith(("/", "\\")) or ":" in result.split("/")[0]:
        raise FieldValueError(relative_file.expected, repr(result))
    return result


ARTICLE_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "date": Field(schema.timestamp, required=True),
    "author": Field(schema.text),
    "category": Field(schema.text),
    "tags": Field(schema.text_list, default=()),
    "campaign": Field(schema.slug),
    "summary": Field(schema.text),
    "image": Field(relative_file),
    "image_alt": Field(schema.text),
    "slug": Field(schema.slug),
    "draft": Field(schema.boolean, default=False),
    "featured": Field(schema.boolean, default=False),
    "updated": Field(schema.timestamp),
    "attachments": Field(schema.table_list("a list of attachment tables (each with 'file' and "
                                     "optional 'title')"), default=[]),
    "album": Field(schema.slug),
}

ATTACHMENT_SCHEMA: dict[str, Field] = {
    "file": Field(relative_file, required=True),
    "title": Field(schema.text),
}

PAGE_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "slug": Field(schema.slug),
    "menu": Field(schema.integer),
    "lang": Field(schema.one_of(("vi", "en"))),
    "summary": Field(schema.text),
    "draft": Field(schema.boolean, default=False),
}

CAMPAIGN_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "kind": Field(schema.text),
    "organizer": Field(schema.text),
    "start": Field(schema.timestamp, required=True),
    "end": Field(schema.timestamp, required=True),
    "participants": Field(schema.text_list, default=()),
    "criteria": Field(schema.text_list, default=()),
    "banner": Field(schema.text),
    "cta": Field(schema.table("a table with 'label' and 'url'")),
    "documents": Field(schema.table_list(
        "a list of document tables (each with 'title' and optional 'number', 'issued', "
        "'file')"), default=[]),
    "image": Field(relative_file),
    "image_alt": Field(schema.text),
    "summary": Field(schema.text),
    "slug": Field(schema.slug),
    "draft": Field(schema.boolean, default=False),
}

DOCUMENT_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "number": Field(schema.text),
    "issued": Field(schema.timestamp),
    "file": Field(relative_file),
}

CTA_SCHEMA: dict[str, Field] = {
    "label": Field(schema.text, required=True),
    "url": Field(schema.text, required=True),
}

ALBUM_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "date": Field(schema.timestamp, required=True),
    "cover": Field(relative_file),
    "home": Field(schema.boolean, default=False),
    "photos": Field(schema.table_list(
        "a list of photo tables (each with 'file' and optional 'caption', 'alt')"), default=[]),
    "summary": Field(schema.text),
    "slug": Field(schema.slug),
    "draft": Field(schema.boolean, default=False),
}

PHOTO_SCHEMA: dict[str, Field] = {
    "file": Field(relative_file, required=True),
    "caption": Field(schema.text),
    "alt": Field(schema.text),
}

SCHEMAS = {"article": ARTICLE_SCHEMA, "page": PAGE_SCHEMA, "campaign": CAMPAIGN_SCHEMA,
           "album": ALBUM_SCHEMA}
