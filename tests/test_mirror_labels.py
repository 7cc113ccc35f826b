"""The mirror crawl's articles against the hand labels of the saved pages (see
``tests/mirror_labels.py``, which prints the same table for a crawl of its own), and the
extractor against the same labels on every labelled page, fetched by the crawl or not (AMP
and print variants that robots.txt keeps the crawler away from)."""

from __future__ import annotations

import pytest
from conftest import MIRROR_PAGES, CrawlResult, load_routes
from mirror_labels import FIELDS, _text, agreement, key, same_date

from crawler.extract.article import article_from_page
from crawler.mirror.server import load_routes as served_routes
from crawler.registry import Registry

SERVED = served_routes(MIRROR_PAGES)
LABELLED = [(o, r) for o in Registry.load().ids() for r in load_routes(o)
            if r.get("article") and "authors" in r]


def test_crawl_agrees_with_the_hand_labels(full_crawl: CrawlResult) -> None:
    found = agreement(full_crawl.items, {key(r["url"]) for r in full_crawl.requested})
    print("\n" + found.table())
    assert all(found.total[name] for name in FIELDS), found.total
    assert found.total["title"] >= 100 and found.total["not an article"] >= 6
    assert not found.missing and not found.misses, found.table()


@pytest.mark.parametrize("outlet, route", LABELLED,
                         ids=[f"{o}/{r['url'].rsplit('/', 2)[-2][:40]}" for o, r in LABELLED])
def test_every_labelled_page(outlet: str, route: dict) -> None:
    served = SERVED[key(route["url"])]  # the bytes and headers the mirror sends
    article = article_from_page(served.body(), route["url"], outlet=outlet,
                                content_type=served.headers()["Content-Type"])
    assert _text(article["title"]) == _text(route["title"])
    assert same_date(article["published"], route["published"],
                     route.get("date_precision", "minute")), article["published"]
    assert sorted(a.casefold() for a in article.get("authors") or []) == sorted(
        a.casefold() for a in route["authors"])
