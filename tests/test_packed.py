"""Compressed texts: exact round trips, and Jinja2 renders packed HTML as the HTML itself."""

import pickle

from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from portal.packed import PackedHtml, pack, unpack


@given(st.text())
def test_pack_round_trips_any_text(text):
    assert unpack(pack(text)) == text


def test_packed_html_renders_unescaped_and_compares_by_content():
    body = PackedHtml("<p>Nội dung <strong>đậm</strong> &amp; rõ.</p>")
    html = Environment(autoescape=True).from_string("{{ body }}|{{ body|safe }}").render(
        body=body)
    assert html == "<p>Nội dung <strong>đậm</strong> &amp; rõ.</p>|" \
                   "<p>Nội dung <strong>đậm</strong> &amp; rõ.</p>"
    assert body == PackedHtml(str(body)) and body != PackedHtml("<p>khác</p>")
    assert pickle.loads(pickle.dumps(body)) == body
    assert not PackedHtml("") and pickle.loads(pickle.dumps(PackedHtml(""))) == PackedHtml("")
    article = "".join(f"<p>Ủy ban nhân dân huyện triển khai kế hoạch số {n}.</p>"
                      for n in range(200))
    assert len(PackedHtml(article).data) * 4 < len(article.encode())


def test_packing_is_deterministic_across_calls_and_threads():
    """Fingerprints and the cache compare packed bytes: the same text must give the same
    bytes whatever was packed before it, in whichever thread (or forked worker)."""
    import threading

    text = "Ủy ban nhân dân huyện Mẫu công bố kế hoạch cải cách hành chính. " * 40
    first = pack(text)
    pack("Một văn bản khác hẳn, " * 100)
    other: list[bytes] = []
    worker = threading.Thread(target=lambda: other.append(pack(text)))
    worker.start()
    worker.join()
    assert pack(text) == first == other[0]
    assert unpack(first) == text
