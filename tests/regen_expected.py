"""Regenerate the regression golden files: one expected article per saved article page.

    .venv/bin/python tests/regen_expected.py [OUTLET...]

Writes ``tests/expected/<outlet>/<page>.json``: the article exactly as
``syria-archive extract`` prints it for the page, under the URL of its route in
``crawler/mirror/pages/<outlet>/routes.toml``.  Review the diff before committing it:
a golden file states what the extractor *should* give, not merely what it gives.  Being
written by our extractor, they are regression checks, never accuracy figures
(``tests/expected/README.md``).
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "crawler" / "mirror" / "pages"
EXPECTED = ROOT / "tests" / "expected"
sys.path.insert(0, str(ROOT))


def article_pages(outlet_id: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """(outlet, file, route) for each saved article page, one route per file."""
    out = []
    for routes_file in sorted(MIRROR.glob("*/routes.toml")):
        outlet = routes_file.parent.name
        if outlet_id and outlet != outlet_id:
            continue
        routes = tomllib.loads(routes_file.read_text(encoding="utf-8"))["route"]
        by_file: dict[str, dict[str, Any]] = {}
        for r in routes:
            if not r.get("article") or "file" not in r:
                continue
            best = by_file.get(r["file"])
            plain = not r.get("same_as") and not r.get("robots_blocked")
            if best is None or (plain and (best.get("same_as") or best.get("robots_blocked"))):
                by_file[r["file"]] = r
        out += [(outlet, f, r) for f, r in sorted(by_file.items())]
    return out


def expected_path(outlet: str, file: str) -> Path:
    return EXPECTED / outlet / (file.replace("/", "__").rsplit(".", 1)[0] + ".json")


def expected_article(outlet: str, file: str, route: dict[str, Any]) -> dict[str, Any]:
    from crawler.extract.article import article_from_page
    from crawler.registry import Registry

    known = outlet in Registry.load()
    article = article_from_page((MIRROR / outlet / file).read_bytes(), route["url"],
                                outlet=outlet if known else None)
    return {"_page": f"{outlet}/{file}", **article}


def main(argv: list[str]) -> int:
    pages = article_pages(argv[0] if argv else None)
    for outlet, file, route in pages:
        path = expected_path(outlet, file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(expected_article(outlet, file, route), ensure_ascii=False,
                                   indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
