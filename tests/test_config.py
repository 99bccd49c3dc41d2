"""site.toml validation: every problem reported at once, with file, line, key, expected, found."""

import pytest

from portal.config import load_config
from portal.errors import BuildError


def errors_of(tmp_path, text: str) -> list[str]:
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    return [str(d) for d in info.value.diagnostics]


def test_unknown_key_suggests_the_right_one(tmp_path):
    text = 'title = "X"\nbase_url = "https://x.vn/"\ntittle = "y"\n[body]\nname = "B"\n'
    assert errors_of(tmp_path, text) == [
        "site.toml:3: unknown setting 'tittle': expected one of analytics, base_url, body, "
        "budget, cache_dir, categories, contact, description, feed_size, labels, language, "
        "links, menu, output_dir, page_size, ratings, search, timezone, title, urls, got "
        "'tittle' "
        "(did you mean 'title'?)"
    ]


def test_missing_required_values(tmp_path):
    assert errors_of(tmp_path, 'base_url = "https://x.vn/"\n') == [
        "site.toml:1: missing required setting 'body': expected a [body] table, got nothing",
        "site.toml:1: missing required setting 'title': expected a non-empty text, got nothing",
    ]


def test_all_wrong_values_are_reported_together_with_their_lines(tmp_path):
    text = (
        'title = "X"\n'
        'base_url = "ftp://x.vn"\n'
        'page_size = "ten"\n'
        'timezone = "Mars/Olympus"\n'
        '[body]\n'
        'name = "B"\n'
        '[contact]\n'
        'emial = "a@b"\n'
        '\n'
        '[[menu]]\n'
        'label = "A"\n'
        'url = "tin-tuc"\n'
        '\n'
        '[[menu]]\n'
        'label = "B"\n'
    )
    assert errors_of(tmp_path, text) == [
        "site.toml:2: wrong value for 'base_url': expected an absolute http(s) URL like "
        "https://example.gov.vn/, got 'ftp://x.vn'",
        "site.toml:3: wrong value for 'page_size': expected a whole number, got a text ('ten')",
        "site.toml:4: wrong value for 'timezone': expected an IANA time zone name like "
        "Asia/Ho_Chi_Minh, got 'Mars/Olympus'",
        "site.toml:8: unknown setting 'contact.emial': expected one of address, "
        "editor_in_chief, email, fax, licence, phone, republication, got 'emial' "
        "(did you mean 'email'?)",
        "site.toml:12: wrong value for 'menu[0].url': expected a URL (https://…), a site path "
        "(/lien-he/) or mailto:/tel:, got 'tin-tuc'",
        "site.toml:14: missing required setting 'menu[1].url': expected a URL (https://…), "
        "a site path (/lien-he/) or mailto:/tel:, got nothing",
    ]


def test_toml_syntax_error_points_at_its_line(tmp_path):
    assert errors_of(tmp_path, 'title = "X"\nbase_url = "https://x.vn/\n') == [
        "site.toml:2: invalid TOML: expected valid TOML syntax, got illegal character '\\n'"
    ]


def test_wrong_table_type_and_unknown_label_language(tmp_path):
    text = ('title = "X"\nbase_url = "https://x.vn/"\ncontact = "0273"\n[body]\nname = "B"\n'
            '[labels.fr]\nhome = "Accueil"\n')
    assert errors_of(tmp_path, text) == [
        "site.toml:3: wrong value for 'contact': expected a [contact] table, got a text ('0273')",
        "site.toml:6: unknown setting 'labels.fr': expected one of en, vi, got 'fr'",
    ]


def test_output_folder_may_not_hold_sources(tmp_path):
    text = 'title = "X"\nbase_url = "https://x.vn/"\noutput_dir = "content"\n[body]\nname = "B"\n'
    assert errors_of(tmp_path, text) == [
        "site.toml:3: unsafe output folder: expected a folder of its own that holds no sources "
        "(like _site), got 'content'"
    ]
    text = text.replace('"content"', '"."')
    assert errors_of(tmp_path, text)[0].endswith("got '.'")


def test_missing_config_file(tmp_path):
    with pytest.raises(BuildError) as info:
        load_config(tmp_path)
    assert str(info.value) == (f"site.toml: missing configuration file: expected site.toml in "
                               f"the site folder {tmp_path}, got no such file")


def test_valid_config_with_defaults_and_sub_path(tmp_path):
    (tmp_path / "site.toml").write_text(
        'title = "Cổng"\nbase_url = "https://example.gov.vn/xa-cho-gao"\n[body]\nname = "UBND"\n'
        '[labels.vi]\nskip_link = "Bỏ qua"\n[[menu]]\nlabel = "Tin"\nurl = "/tin-tuc/"\n',
        encoding="utf-8")
    config = load_config(tmp_path)
    assert config.base_url == "https://example.gov.vn/xa-cho-gao/"
    assert config.base_path == "/xa-cho-gao/"
    assert config.page_size == 10
    assert config.timezone.key == "Asia/Ho_Chi_Minh"
    assert config.urls.news == "tin-tuc"
    assert config.labels["vi"] == {"skip_link": "Bỏ qua"}
    assert config.menu[0].weight == 10
    assert config.output_dir == (tmp_path / "_site").resolve()
