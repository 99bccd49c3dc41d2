import unicodedata

from portal.vietnamese import collation_key, format_decimal, format_size, is_safe_slug, slugify

SEED_TITLE = ("Chợ Gạo phát động chuyên đề thi đua “Đẩy mạnh cải cách hành chính” năm 2023 "
              "trên địa bàn huyện Chợ Gạo")


def test_seed_title_slug():
    assert slugify(SEED_TITLE) == ("cho-gao-phat-dong-chuyen-de-thi-dua-day-manh-cai-cach-hanh-"
                                   "chinh-nam-2023-tren-dia-ban-huyen-cho-gao")


def test_design_example_slug():
    title = "Chợ Gạo phát động chuyên đề thi đua “Đẩy mạnh cải cách hành chính” năm 2023"
    assert slugify(title) == ("cho-gao-phat-dong-chuyen-de-thi-dua-day-manh-cai-cach-hanh-"
                              "chinh-nam-2023")


def test_d_with_stroke_maps_to_d_not_dropped():
    assert slugify("ổn định") == "on-dinh"
    assert slugify("ĐƯỜNG Đồng Khởi") == "duong-dong-khoi"


def test_nfd_input_gives_the_same_slug_as_nfc():
    nfd = unicodedata.normalize("NFD", "Ủy ban nhân dân huyện")
    assert nfd != unicodedata.normalize("NFC", nfd)
    assert slugify(nfd) == slugify("Ủy ban nhân dân huyện") == "uy-ban-nhan-dan-huyen"


def test_slug_is_capped_at_a_word_boundary():
    slug = slugify("cải cách " * 40, max_length=30)
    assert len(slug) <= 30
    assert not slug.endswith("-")
    assert slug == "cai-cach-cai-cach-cai-cach-cai"
    assert slugify("chuyen-de-thi-dua", max_length=12) == "chuyen-de"


def test_slug_of_punctuation_only_is_empty():
    assert slugify("“…” – !!!") == ""


def test_safe_slug_check():
    assert is_safe_slug("lien-he-2")
    for bad in ("Lien-he", "lien he", "../etc", "-x", "x-", "a--b", "", "liên-hệ"):
        assert not is_safe_slug(bad), bad


def test_vietnamese_alphabetical_order():
    words = ["đường", "dân", "ăn", "an", "ân", "az", "bò", "Ủy", "ô", "ơ", "o", "ba"]
    assert sorted(words, key=collation_key) == [
        "an", "az", "ăn", "ân", "ba", "bò", "dân", "đường", "o", "ô", "ơ", "Ủy"]


def test_decimal_comma_and_sizes():
    assert format_decimal(4.2) == "4,2"
    assert format_decimal(5.0) == "5"
    assert format_size(240 * 1024) == "240 KB"
    assert format_size(int(1.2 * 1024 * 1024)) == "1,2 MB"
    assert format_size(512) == "512 B"
