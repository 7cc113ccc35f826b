"""The catalog: every exported article with its WARC record's place, and a search
that matches Arabic as the relevance filter does."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

from conftest import CrawlResult
from warcio.archiveiterator import ArchiveIterator

from archive.catalog import Catalog


def article(url: str, title: str, text: str, **extra: object) -> dict[str, object]:
    return {"url": url, "title": title, "text": text, "outlet": "test", "language": "ar",
            "published": "2026-11-20T10:00:00+03:00", **extra}


def test_arabic_search_is_normalised_and_whole_word(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    catalog.add(article("https://a.test/1", "قصف على ريف إدلب", "وصلت المساعدات وبدمشق ازدحام"))
    catalog.add(article("https://a.test/2", "مباراة في حلبة المصارعة", "جمهور كبير في الحلبة"))
    catalog.add(article("https://a.test/3", "أخبار حلب", "عاد السوريون إلى مدينة حَلَب"))
    catalog.add(article("https://a.test/4", "Refugees return to Aleppo", "Syrian families",
                        language="en"))

    def urls(*words: str, **kw: str) -> set[str]:
        return {h.url for h in catalog.search(list(words), **kw)}

    assert urls("دمشق") == {"https://a.test/1"}  # clitics wa- and bi- in front
    assert urls("ادلب") == urls("إدلب") == {"https://a.test/1"}  # alef forms
    assert urls("حلب") == {"https://a.test/3"}  # not the arena, حلبة
    assert urls("السوريون") == {"https://a.test/3"}
    assert urls("refugee", "aleppo") == {"https://a.test/4"}  # stemmed, all words
    assert urls("حلب", language="en") == set()
    assert urls(since="2026-11-21") == set() and len(urls(until="2026-11-20")) == 4
    catalog.add(article("https://a.test/3", "أخبار حلب", "نص جديد"))  # updated, not doubled
    assert catalog.count() == 4 and urls("السوريون") == set()
    catalog.close()


def test_catalog_holds_every_article_with_its_record(full_crawl: CrawlResult) -> None:
    catalog = Catalog.for_data(full_crawl.data, readonly=True)
    assert catalog.count() == len({i["url"] for i in full_crawl.items})
    for item in full_crawl.items[:40]:
        hit = catalog.find(item["url"])
        assert hit is not None and hit.title == item["title"]
        assert hit.duplicate_of == item.get("duplicate_of")
        warc = item["warc"]
        assert (hit.warc_file, hit.warc_offset, hit.warc_length, hit.record_id) == (
            warc["file"], warc["offset"], warc["length"], warc["record_id"])
        with (full_crawl.data / "warc" / hit.warc_file).open("rb") as fh:
            fh.seek(hit.warc_offset)
            record = next(iter(ArchiveIterator(BytesIO(fh.read(hit.warc_length)))))
        assert record.rec_headers.get_header("WARC-Record-ID") == hit.record_id
        assert record.rec_headers.get_header("WARC-Target-URI") == item["url"]
    catalog.close()


def test_catalog_search_finds_crawled_arabic_articles(full_crawl: CrawlResult) -> None:
    arabic = [i for i in full_crawl.items if i["language"] == "ar" and "دمشق" in i["text"]]
    catalog = Catalog.for_data(full_crawl.data, readonly=True)
    hits = {h.url for h in catalog.search(["دمشق"], limit=1000)}
    catalog.close()
    assert arabic and {i["url"] for i in arabic} <= hits
    assert json.dumps(sorted(hits))  # plain strings
