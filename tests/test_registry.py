"""The outlet registry: validation with errors that name the outlet and field,
extra registry files, and the README's outlet table kept in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from crawler.registry import Registry, RegistryError, load_file, parse_outlet

GOOD = {
    "name": "Example News",
    "language": "en",
    "base_url": "https://www.example-news.com/",
    "allowed_domains": ["www.example-news.com"],
    "article_pattern": r"^https://www\.example-news\.com/news/\d+",
    "feeds": [{"url": "https://www.example-news.com/rss"}],
    "sections": [{"url": "https://www.example-news.com/tag/syria", "max_pages": 2}],
}


def test_good_entry_loads() -> None:
    outlet = parse_outlet("example", dict(GOOD))
    assert outlet.is_article("https://www.example-news.com/news/123-slug")
    assert not outlet.is_article("https://www.example-news.com/tag/syria")
    assert outlet.sections[0].max_pages == 2


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"name": None}, "name", "is required"),
    ({"language": "fr"}, "language", "must be one of"),
    ({"article_pattern": "(unclosed"}, "article_pattern", "invalid regular expression"),
    ({"base_url": "ftp://x.com/"}, "base_url", "absolute http(s) URL"),
    ({"allowed_domains": []}, "allowed_domains", "non-empty list"),
    ({"feeds": [{"url": "https://elsewhere.org/rss"}]}, "feeds[0].url", "not in allowed_domains"),
    ({"feeds": [{"url": "https://www.example-news.com/rss", "syra": True}]}, "feeds[0].syra",
     "unknown field"),
    ({"sections": [{"url": "https://www.example-news.com/s", "next": "a[[["}]},
     "sections[0].next", "invalid CSS"),
    ({"sections": [{"url": "https://www.example-news.com/s", "max_pages": 0}]},
     "sections[0].max_pages", ">= 1"),
    ({"download_delay": -1}, "download_delay", ">= 0"),
    ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
    ({"all_syira": True}, "all_syira", "unknown field"),
    ({"cadence": "daily"}, "cadence", "must be one of hourly, nightly, weekly"),
    ({"enabled": "no"}, "enabled", "must be true or false"),
    ({"feeds": [], "sections": []}, "feeds", "at least one feed, sitemap or section"),
])
def test_malformed_entry_is_rejected_naming_outlet_and_field(change, field, words) -> None:
    data = dict(GOOD)
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    with pytest.raises(RegistryError) as err:
        parse_outlet("broken-outlet", data, "outlets/broken-outlet.toml")
    message = str(err.value)
    assert "outlets/broken-outlet.toml" in message
    assert "'broken-outlet'" in message
    assert f"field {field!r}" in message
    assert words in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad-outlet.toml"
    bad.write_text('name = "unterminated\n')
    with pytest.raises(RegistryError, match="bad-outlet.toml: not valid TOML"):
        load_file(bad)


def test_archivist_adds_an_outlet_with_a_file(tmp_path: Path) -> None:
    entry = tmp_path / "example-news.toml"
    entry.write_text("\n".join([
        'name = "Example News"', 'language = "ar"',
        'base_url = "https://www.example-news.com/"',
        'allowed_domains = ["www.example-news.com"]',
        "article_pattern = '^https://www\\.example-news\\.com/news/'",
        "[[feeds]]", 'url = "https://www.example-news.com/rss"',
    ]))
    registry = Registry.load([tmp_path])
    assert registry["example-news"].language == "ar"
    assert len(registry) == len(Registry.load()) + 1


def test_missing_extra_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="OUTLETS_PATHS"):
        Registry.load([tmp_path / "nope"])


def test_unknown_outlet_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="aawsat-en"):
        Registry.load()["no-such-outlet"]


def readme_outlet_table() -> dict[str, tuple[str, str, str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- outlets:start -->")
    end = text.index("<!-- outlets:end -->")
    rows = {}
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`[a-z0-9-]+`", cells[0]):
            rows[cells[0].strip("`")] = (cells[1], cells[2], cells[3], cells[6])
    return rows


def test_readme_outlet_table_matches_registry() -> None:
    table = readme_outlet_table()
    registry = Registry.load()
    assert set(table) == set(registry.ids()), "README outlet table and registry differ"
    for outlet in registry:
        name, language, all_syria, cadence = table[outlet.id]
        assert outlet.name in name
        assert language == outlet.language
        assert all_syria == ("yes" if outlet.all_syria else "")
        assert cadence == outlet.cadence


def test_cadence_and_enabled_select_the_outlets_a_scheduled_run_crawls(tmp_path: Path) -> None:
    entry = tmp_path / "example-news.toml"
    entry.write_text("\n".join([
        'name = "Example News"', 'language = "en"', "enabled = false",
        'base_url = "https://www.example-news.com/"', 'cadence = "weekly"',
        'allowed_domains = ["www.example-news.com"]',
        "article_pattern = '^https://www\\.example-news\\.com/news/'",
        "[[feeds]]", 'url = "https://www.example-news.com/rss"',
    ]))
    registry = Registry.load([tmp_path])
    assert registry["example-news"].cadence == "weekly"
    assert "example-news" not in {o.id for o in registry.enabled()}
    assert [o.id for o in registry.enabled("hourly")] == ["sana-en"]
    assert len(registry.enabled("nightly")) == len(registry) - 2
