"""Property-based tests: slugs, dates and sanitising hold for any input, not just examples."""

from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.dates import DateFormatError, parse_date
from portal.markdown_render import MarkdownRenderer, sanitise
from portal.vietnamese import is_safe_slug, slugify

VIETNAMESE = st.text(alphabet=st.sampled_from(
    list("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợ"
         "úùủũụứừửữựýỳỷỹỵĐẤỦ -–“”.,!?0123456789/\\<>\"'&")), max_size=200)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@given(st.one_of(VIETNAMESE, st.text(max_size=200)))
def test_slug_is_always_a_safe_url_segment(text):
    slug = slugify(text)
    assert slug == "" or is_safe_slug(slug)
    assert len(slug) <= 120
    assert slugify(slug) == slug


@given(st.text(max_size=40))
def test_date_parsing_fails_only_with_its_documented_error(text):
    try:
        stamp = parse_date(text, ZONE)
    except DateFormatError as exc:
        assert str(exc).startswith("expected a date like 2023-03-09, 2023-03-09 08:30 or "
                                   "09/03/2023, got ")
    else:
        assert stamp.moment.tzinfo is ZONE


ATTACKS = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "<a href='JAVASCRIPT:alert(1)'>x</a>", "<svg onload=alert(1)>", "<iframe src=//e.vn>",
    "<style>*{}</style>", "![x](data:text/html,<script>)", "<a href=\"vbscript:x\">x</a>",
    "<div style=\"background:url(javascript:x)\">x</div>", "<object data=x>", "<form><input>",
])


@settings(max_examples=150)
@given(st.lists(st.one_of(ATTACKS, VIETNAMESE), max_size=6))
def test_sanitised_markdown_never_contains_active_content(parts):
    html = MarkdownRenderer().render("\n\n".join(parts), lambda attribute, value: value)
    collector = _Elements()
    collector.feed(html)
    for tag, attributes in collector.elements:
        assert tag not in ("script", "iframe", "svg", "style", "object", "form", "input"), html
        for name, value in attributes:
            assert not name.startswith("on") and name != "style", html
            if name in ("href", "src"):
                assert not (value or "").strip().lower().startswith(
                    ("javascript:", "vbscript:", "data:")), html
    assert sanitise(html) == sanitise(sanitise(html))


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML (text is inert)."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
