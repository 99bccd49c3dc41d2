"""Image processing: responsive copies, orientation, privacy (no metadata), the image cache."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest
from photos import GPS_IFD, ORIENTATION, make_photo
from PIL import Image

from portal.errors import BuildError

ALBUM = "content/albums/hop-mat/index.md"


def album(site, photos: str = "  - {file: a.jpg, caption: Toàn cảnh buổi họp mặt}",
          extra: str = "") -> None:
    site.write(ALBUM, "---\ntitle: Họp mặt đầu xuân\ndate: 2023-02-01\n" + extra
               + "photos:\n" + photos + "\n---\n\nBuổi họp mặt đầu xuân.\n")


def published_images(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.suffix in (".jpg", ".png", ".webp"))


def test_copies_in_every_width_and_format_never_wider_than_the_photo(site):
    album(site)
    make_photo(site.root / "content/albums/hop-mat/a.jpg", (1500, 1000), 1)
    site.build()
    folder = site.output / "album/hop-mat"
    names = sorted(p.name for p in folder.iterdir() if p.name != "index.html")
    assert names == ["a-1280w.jpg", "a-1280w.webp", "a-320w.jpg", "a-320w.webp",
                     "a-640w.jpg", "a-640w.webp", "a.jpg"]
    for name, size, image_format in [("a-320w.webp", (320, 213), "WEBP"),
                                     ("a-1280w.jpg", (1280, 853), "JPEG"),
                                     ("a.jpg", (1500, 1000), "JPEG")]:
        with Image.open(folder / name) as image:
            assert (image.format, image.size) == (image_format, size)
    html = site.read("album/hop-mat/index.html")
    assert ('<source type="image/webp" srcset="/album/hop-mat/a-320w.webp 320w, '
            '/album/hop-mat/a-640w.webp 640w, /album/hop-mat/a-1280w.webp 1280w"') in html
    assert ('width="1500" height="1000" alt="Toàn cảnh buổi họp mặt" loading="lazy" '
            'decoding="async">') in html


def test_a_small_photo_is_published_at_its_own_size_only(site):
    album(site)
    make_photo(site.root / "content/albums/hop-mat/a.jpg", (300, 200), 1)
    site.build()
    assert sorted(p.name for p in (site.output / "album/hop-mat").iterdir()) == \
        ["a.jpg", "index.html"]
    assert '<img src="/album/hop-mat/a.jpg" width="300" height="200"' in \
        site.read("album/hop-mat/index.html")


def test_orientation_is_applied_and_no_metadata_is_published(site):
    album(site)
    # Stored 800×600 with "rotate 90° clockwise" and a GPS position: shown 600×800.
    source = make_photo(site.root / "content/albums/hop-mat/a.jpg", (800, 600), 2,
                        orientation=6, gps=True)
    with Image.open(source) as original:
        assert original.getexif()[ORIENTATION] == 6
        assert original.getexif().get_ifd(GPS_IFD)
    site.build()
    files = published_images(site.output)
    assert [p.name for p in files] == ["a-320w.jpg", "a-320w.webp", "a.jpg"]
    for path in files:
        with Image.open(path) as image:
            assert image.width < image.height, path.name
            assert not image.getexif(), path.name
            assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    assert 'width="600" height="800"' in site.read("album/hop-mat/index.html")


def test_png_with_transparency_keeps_it(site):
    album(site, "  - {file: logo.png, alt: Biểu trưng của xã}")
    image = Image.new("RGBA", (700, 400), (200, 20, 20, 0))
    image.paste((200, 20, 20, 255), (100, 100, 600, 300))
    image.save(site.root / "content/albums/hop-mat/logo.png")
    site.build()
    for name in ("logo.png", "logo-640w.png", "logo-640w.webp"):
        with Image.open(site.output / "album/hop-mat" / name) as out:
            assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0, name


def test_colour_profile_is_converted_to_srgb(site):
    from PIL import ImageCms
    album(site)
    path = site.root / "content/albums/hop-mat/a.jpg"
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (400, 300), (10, 120, 200)).save(path, icc_profile=lab, quality=95)
    site.build()
    with Image.open(site.output / "album/hop-mat/a.jpg") as out:
        assert "icc_profile" not in out.info
        assert all(abs(a - b) <= 4 for a, b in zip(out.getpixel((10, 10)), (10, 120, 200),
                                                   strict=True))


def test_article_images_are_processed_too(site):
    site.article("bai/index.md", "title: Bài có ảnh\ndate: 2023-03-02\nimage: bia.jpg\n"
                 "image_alt: Cổng trụ sở", "![Hội trường](hoi-truong.jpg)\n")
    make_photo(site.root / "content/articles/bai/bia.jpg", (800, 500), 3, gps=True)
    make_photo(site.root / "content/articles/bai/hoi-truong.jpg", (700, 500), 4, gps=True)
    site.build()
    html = site.read("tin-tuc/bai-co-anh/index.html")
    assert ('srcset="/tin-tuc/bai-co-anh/bia-320w.webp 320w, '
            '/tin-tuc/bai-co-anh/bia-640w.webp 640w"') in html
    assert ('<p class="article-lead"><picture><source type="image/webp" '
            'srcset="/tin-tuc/bai-co-anh/hoi-truong-320w.webp 320w, '
            '/tin-tuc/bai-co-anh/hoi-truong-640w.webp 640w" sizes="(min-width: 60em) 46rem, '
            '100vw"><img alt="Hội trường" src="/tin-tuc/bai-co-anh/hoi-truong.jpg" '
            'srcset="/tin-tuc/bai-co-anh/hoi-truong-320w.jpg 320w, '
            '/tin-tuc/bai-co-anh/hoi-truong-640w.jpg 640w" sizes="(min-width: 60em) 46rem, '
            '100vw" width="700" height="500" loading="lazy" decoding="async"></picture></p>'
            ) in html
    for path in published_images(site.output):
        with Image.open(path) as image:
            assert not image.getexif(), path.name


def test_second_build_reencodes_nothing_and_removed_photos_are_pruned(site):
    album(site, "  - {file: a.jpg, caption: Một}\n  - {file: b.jpg, caption: Hai}")
    for seed, name in enumerate(("a.jpg", "b.jpg")):
        make_photo(site.root / "content/albums/hop-mat" / name, (700, 500), seed)
    first = site.build()
    assert (first.images.encoded, first.images.reused) == (2, 0)
    cache = site.root / ".portal-cache/images"
    assert len(list(cache.glob("*/*"))) == 2

    second = site.build()
    assert (second.images.encoded, second.images.reused) == (2 - 2, 2)

    (site.root / "content/albums/hop-mat/b.jpg").unlink()
    album(site, "  - {file: a.jpg, caption: Một}")
    third = site.build()
    assert (third.images.encoded, third.images.reused) == (0, 1)
    assert len(list(cache.glob("*/*"))) == 1
    assert sorted(p.name for p in (site.output / "album/hop-mat").iterdir()) == \
        ["a-320w.jpg", "a-320w.webp", "a-640w.jpg", "a-640w.webp", "a.jpg", "index.html"]


def test_a_corrupt_image_is_an_error_naming_the_file_and_the_reference(site):
    album(site, "  - {file: a.jpg, caption: Một}\n  - {file: hong.jpg, caption: Hai}")
    make_photo(site.root / "content/albums/hop-mat/a.jpg", (400, 300), 1)
    (site.root / "content/albums/hop-mat/hong.jpg").write_bytes(b"\xff\xd8 not a photo")
    with pytest.raises(BuildError) as caught:
        site.build()
    assert [str(d) for d in caught.value.errors] == [
        "content/albums/hop-mat/index.md:6: unreadable image content/albums/hop-mat/hong.jpg: "
        "expected a readable JPEG, PNG or WebP image, got cannot identify image file"]
    assert not site.output.exists()


def test_a_truncated_image_is_an_error_from_the_worker(site):
    album(site)
    path = make_photo(site.root / "content/albums/hop-mat/a.jpg", (900, 600), 1)
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(BuildError) as caught:
        site.build()
    [message] = [str(d) for d in caught.value.errors]
    assert message.startswith(
        "content/albums/hop-mat/index.md:5: unreadable image content/albums/hop-mat/a.jpg: "
        "expected a readable JPEG, PNG or WebP image, got image file is truncated")


def test_a_photo_without_text_alternative_is_reported(site):
    album(site, "  - {file: a.jpg, caption: Một}")
    make_photo(site.root / "content/albums/hop-mat/a.jpg", (400, 300), 1)
    make_photo(site.root / "content/albums/hop-mat/b.jpg", (400, 300), 2)
    result = site.build()
    assert [str(w) for w in result.warnings] == [
        "content/albums/hop-mat/index.md:4: warning: photo b.jpg of album 'Họp mặt đầu xuân' "
        "has no text alternative: add 'alt' or 'caption' for it under 'photos'"]
    assert 'alt="Ảnh 2 – Họp mặt đầu xuân"' in site.read("album/hop-mat/index.html")


def test_the_sample_site_publishes_no_photo_metadata(tmp_path):
    from golden_site import REPO, build_sample

    source = REPO / "content/albums/le-ra-quan-tan-binh-2024/anh-04.jpg"
    with Image.open(source) as original:
        assert original.getexif()[ORIENTATION] == 6 and original.getexif().get_ifd(GPS_IFD)
    build_sample(tmp_path / "out")
    files = published_images(tmp_path / "out")
    assert len(files) > 20
    for path in files:
        with Image.open(path) as image:
            assert not image.getexif() and "exif" not in image.info, path
    with Image.open(tmp_path / "out/album/le-ra-quan-tan-binh-2024/anh-04.jpg") as upright:
        assert upright.size == (640, 960)


def _batched(pixels: list[int], workers: int = 2) -> list[list[int]]:
    from types import SimpleNamespace

    from portal.images.process import batches
    return [[job.pixels for job in batch]
            for batch in batches([SimpleNamespace(pixels=p) for p in pixels], workers)]


def test_photos_are_made_in_batches_bounded_by_pixels_one_per_worker_at_least():
    """A worker process per batch, not per photo: forking the build per web-sized photo cost
    more than the photo's files."""
    assert _batched([300_000] * 9) == [[300_000] * 5, [300_000] * 4]
    assert _batched([24_000_000] * 3) == [[24_000_000]] * 3
    assert _batched([6_000_000] * 10) == [[6_000_000] * 4, [6_000_000] * 4, [6_000_000] * 2]
    assert _batched([30_000_000, 1_000_000, 1_000_000]) == [[30_000_000],
                                                             [1_000_000, 1_000_000]]
    assert _batched([]) == []


def test_a_bad_photo_in_a_batch_is_named_and_the_others_are_made(site):
    album(site, "\n".join(f"  - {{file: {n}.jpg, caption: Ảnh {n}}}" for n in "abcde"))
    for seed, name in enumerate("abcde"):
        make_photo(site.root / f"content/albums/hop-mat/{name}.jpg", (500, 400), seed)
    bad = site.root / "content/albums/hop-mat/c.jpg"
    whole = bad.read_bytes()
    bad.write_bytes(whole[:3000])
    with pytest.raises(BuildError) as caught:
        site.build()
    assert [(d.path, d.line) for d in caught.value.errors] == [(ALBUM, 7)]
    assert "content/albums/hop-mat/c.jpg" in str(caught.value.errors[0])
    bad.write_bytes(whole)
    again = site.build()
    assert (again.images.encoded, again.images.reused) == (1, 4)  # the others were made


def test_photos_made_while_a_failing_build_renders_leave_no_worker_behind(site):
    """Photos are made in the background while the pages render; a page that fails to render
    stops the build, and with it the workers (nothing is written). The next build makes them."""
    album(site, "\n".join(f"  - {{file: {n}.jpg, caption: Ảnh {n}}}" for n in "abcd"))
    for seed, name in enumerate("abcd"):
        make_photo(site.root / f"content/albums/hop-mat/{name}.jpg", (900, 600), seed)
    site.write("templates/album.html", "{% extends 'base.html' %}"
                                       "{% block main %}{{ khong_co }}{% endblock %}\n")
    with pytest.raises(BuildError) as caught:
        site.build()
    assert "'khong_co' is undefined" in str(caught.value)
    assert multiprocessing.active_children() == []
    assert not site.output.exists()
    (site.root / "templates/album.html").unlink()
    again = site.build()
    assert again.images.encoded + again.images.reused == 4
    assert len(published_images(site.output / "album/hop-mat")) == 4 * 5


def test_big_photos_are_made_before_the_pages_render(site, monkeypatch):
    """Over ``BACKGROUND_PIXELS`` in all, photos are made first, alone (their workers' memory
    must not add to the rendering workers'): a build that then fails to render has made them."""
    import portal.images.process as process

    monkeypatch.setattr(process, "BACKGROUND_PIXELS", 900 * 600)
    made = process.make_job
    monkeypatch.setattr(process, "make_job", lambda job: (time.sleep(0.3), made(job)))  # slow
    album(site, "\n".join(f"  - {{file: {n}.jpg, caption: Ảnh {n}}}" for n in "abcd"))
    for seed, name in enumerate("abcd"):
        make_photo(site.root / f"content/albums/hop-mat/{name}.jpg", (900, 600), seed)
    site.write("templates/album.html", "{% extends 'base.html' %}"
                                       "{% block main %}{{ khong_co }}{% endblock %}\n")
    with pytest.raises(BuildError):
        site.build()
    (site.root / "templates/album.html").unlink()
    again = site.build()
    assert (again.images.encoded, again.images.reused) == (0, 4)


@pytest.mark.parametrize("background", [True, False])
def test_photos_of_a_worker_that_died_are_named_and_made_next_time(site, monkeypatch,
                                                                   background):
    """A worker killed while making photos (out of memory, by an operator, or by a file that
    crashes the image library) sends nothing: the build names its photos, neither hanging nor
    dying on the same photo itself; the next build makes them. Big photos too (made before
    rendering, a process per batch)."""
    import os

    import portal.images.process as process

    if not background:
        monkeypatch.setattr(process, "BACKGROUND_PIXELS", 1)
    real = process._run_group
    monkeypatch.setattr(process, "_run_group", lambda jobs, results: os._exit(9))
    album(site, "\n".join(f"  - {{file: {n}.jpg, caption: Ảnh {n}}}" for n in "abc"))
    for seed, name in enumerate("abc"):
        make_photo(site.root / f"content/albums/hop-mat/{name}.jpg", (600, 400), seed)
    with pytest.raises(BuildError) as caught:
        site.build()
    assert [str(d) for d in caught.value.errors] == [
        f"{ALBUM}:{line}: unreadable image content/albums/hop-mat/{name}.jpg: expected a "
        "readable JPEG, PNG or WebP image, got the process making it stopped (out of memory, "
        "killed, or the image crashed Pillow)" for line, name in ((5, "a"), (6, "b"), (7, "c"))]
    assert multiprocessing.active_children() == []
    monkeypatch.setattr(process, "_run_group", real)
    result = site.build()
    assert (result.images.encoded, result.images.reused) == (3, 0)
    assert len(published_images(site.output / "album/hop-mat")) == 3 * 3


def test_no_worker_is_left_when_the_second_cannot_be_started(site, monkeypatch):
    import errno
    import multiprocessing.context

    album(site, "\n".join(f"  - {{file: {n}.jpg, caption: Ảnh {n}}}" for n in "abcd"))
    for seed, name in enumerate("abcd"):
        make_photo(site.root / f"content/albums/hop-mat/{name}.jpg", (600, 400), seed)
    start = multiprocessing.context.ForkProcess.start
    started = []

    def second_fails(process):
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        started.append(process)
        start(process)

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", second_fails)
    with pytest.raises(Exception, match="Resource temporarily unavailable"):
        site.build()
    assert len(started) == 1
    assert multiprocessing.active_children() == []
