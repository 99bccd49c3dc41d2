"""Property-based tests: slugs, dates, sanitising, front matter and site.toml hold for any
input, not just examples."""

from html.parser import HTMLParser
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.config import load_config
from portal.dates import DateFormatError, parse_date
from portal.discover import SourceFile
from portal.errors import BuildError
from portal.markdown_render import MarkdownRenderer, sanitise
from portal.nesting import scan_nesting, surely_shallow
from portal.parse import read_source
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


# ---- Front matter and configuration: any bytes give a parse or house-style errors, never
# another exception ----

FRONT_MATTER_PIECES = st.sampled_from([
    "---\n", "---", "title: ", "date: 2023-03-09\n", "tags: [", "]", "{", "}", "- ", "  ",
    "\n", "&a ", "*a", "!!python/object/apply:os.system ", "!!binary ", "'", '"', ":", "#",
    "\t", "? ", "|\n", ">\n", "\ufeff", "\r\n", "\x00", "%YAML 1.1\n", "...\n", "[" * 300,
    "Tiếng Việt", "<script>", "{{ 7*7 }}",
])


def _diagnostics_are_house_style(diagnostics, rel):
    for diagnostic in diagnostics:
        assert diagnostic.path == rel
        assert diagnostic.line >= 0
        assert ": expected " in diagnostic.message and ", got " in diagnostic.message


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.lists(FRONT_MATTER_PIECES, max_size=20).map(lambda p: "".join(p).encode()),
                 st.text(max_size=200).map(lambda t: ("---\n" + t + "\n---\nx\n").encode())))
def test_front_matter_parser_fails_only_with_diagnostics(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fm")
    path = folder / "a.md"
    path.write_bytes(data)
    source = SourceFile("article", path, "content/articles/a.md", None)
    parsed, diagnostics = read_source(source)
    _diagnostics_are_house_style(diagnostics, source.rel)
    if parsed is None:
        assert any(d.is_error for d in diagnostics)
    else:
        assert isinstance(parsed.meta, dict)
        assert all(line >= 1 for line in parsed.key_lines.values())
        assert "\r" not in parsed.body


CONFIG_PIECES = st.sampled_from([
    'title = "T"\n', 'base_url = "https://x.example.gov.vn/"\n', "[body]\n", 'name = "B"\n',
    "[contact]\n", 'email = "<script>"\n', "[[menu]]\n", 'label = "L"\n',
    'url = "javascript:alert(1)"\n', 'url = "/tin-tuc/"\n', "weight = 1e400\n", "page_size = -1\n",
    'timezone = "../../etc/passwd"\n', 'output_dir = "/etc"\n', 'output_dir = "../.."\n',
    'cache_dir = "content"\n', "[analytics]\n", 'script = "http://x"\n', "[labels.vi]\n",
    'x = 1\n', "= \n", "[", '"\\u0000"\n', "\ufeff", "\x00", "[search]\n", "first_pages = 0\n",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(CONFIG_PIECES, max_size=14).map(lambda p: "".join(p).encode())
       | st.binary(max_size=200))
def test_config_loading_fails_only_with_build_errors(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("cfg")
    (folder / "site.toml").write_bytes(data)
    try:
        config = load_config(folder.resolve())
    except BuildError as exc:
        assert exc.errors
        _diagnostics_are_house_style(exc.diagnostics, "site.toml")
    else:
        assert config.output_dir.resolve().is_relative_to(folder.resolve())


NESTING = st.lists(st.sampled_from(["[", "]", "\\[", "*", "__", ">", "> ", "    ", "\t", "-",
                                    "a", " ", "\n", "\n\n"]), max_size=60).map("".join)


@settings(max_examples=500)
@given(NESTING, st.integers(min_value=0, max_value=6))
def test_a_body_judged_shallow_at_a_glance_is_shallow_line_by_line(text, limit):
    if surely_shallow(text, limit):
        assert scan_nesting(text, limit) is None


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["Ấp", "ấp", "Đường", "duong", "Bài", "bai", "Z"]),
                          st.integers(0, 3), st.integers(0, 2)), min_size=2, max_size=12))
def test_listed_before_is_the_order_the_build_lists_articles_in(items):
    """The quick path for card edits checks an edited title against its neighbours with
    ``listed_before``: it must be the order ``build_site`` sorts articles in."""
    from datetime import datetime

    from portal.dates import Timestamp
    from portal.model import Article
    from portal.packed import PackedHtml
    from portal.site import listed_before
    from portal.vietnamese import collation_key

    def article(index: int, title: str, hour: int) -> Article:
        return Article(source=f"content/articles/a{index}.md", slug=f"a{index}", url="",
                       title=title, date=Timestamp(datetime(2023, 3, 1, hour, tzinfo=ZONE)),
                       updated=None, author=None, category=None, tags=(), campaign=None,
                       summary="", lead_html="", body_html=PackedHtml(""), image=None,
                       image_alt=None, featured=False, draft=False, attachments=())

    articles = [article(i, f"{word} {n}", hour) for i, (word, n, hour) in enumerate(items)]
    articles.sort(key=lambda a: (collation_key(a.title), a.source))  # as build_site does
    articles.sort(key=lambda a: a.date.moment, reverse=True)
    assert all(listed_before(a, b) for a, b in pairwise(articles))
    assert not any(listed_before(b, a) for a, b in pairwise(articles))
