"""robots.txt holds for every request, also those that waited for it to download."""

from __future__ import annotations

from conftest import Mirror, crawl, load_routes


def test_requests_waiting_for_robots_txt_all_obey_it(mirror: Mirror, tmp_path) -> None:
    # Three blocked pages of one host at once, before its robots.txt is known: all three
    # wait for the same download.  Scrapy 2.13+ alone lets all but the first through.
    blocked = [r["url"] for r in load_routes("enabbaladi-en") if r.get("robots_blocked")]
    assert len(blocked) >= 3
    args = [a for url in blocked for a in ("--url", url)]
    result = crawl(mirror, tmp_path / "data", "enabbaladi-en", *args)
    fetched = [r["url"] for r in result.requested]
    assert fetched == ["https://english.enabbaladi.net/robots.txt"], fetched
    assert result.report["outlets"]["enabbaladi-en"]["robots_forbidden"] == len(blocked)
