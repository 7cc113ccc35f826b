"""Bad configuration a user could type: one line naming what is wrong, exit code 2, never
a traceback.  Commands run in a subprocess each (settings read the environment once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_cli

BAD_OUTLET = '''name = "Broken"
language = "en"
base_url = "https://www.example-news.com/"
allowed_domains = ["www.example-news.com"]
article_pattern = '^https://www\\.example-news\\.com/news/(['
[[feeds]]
url = "https://www.example-news.com/rss"
'''

CASES = [
    # (arguments, extra environment, words the one line must contain)
    (["crawl", "mee", "-s", "WARC_MAX_SIZE=big"], {}, "WARC_MAX_SIZE"),
    (["crawl", "mee", "-s", "DOWNLOAD_DELAY=soon"], {}, "DOWNLOAD_DELAY"),
    (["crawl", "mee", "-s", "ROBOTSTXT_OBEY=maybe"], {}, "ROBOTSTXT_OBEY"),
    (["crawl", "mee", "-s", "EXTRACT_WORKERS=many"], {}, "EXTRACT_WORKERS"),
    (["crawl", "mee", "-s", "DOWNLOAD_TIMEOUT=0"], {}, "DOWNLOAD_TIMEOUT"),
    (["crawl", "mee", "-s", "LOG_LEVEL=LOUD"], {}, "LOG_LEVEL"),
    (["crawl", "mee", "-s", "DEDUP_EXPORT=some"], {}, "DEDUP_EXPORT"),
    (["crawl", "mee", "-s", "NOEQUALSSIGN"], {}, "NAME=VALUE"),
    (["crawl", "mee", "--s3", "s3://"], {}, "--s3"),
    (["crawl", "mee", "--s3", "https://bucket/prefix"], {}, "--s3"),
    (["crawl", "mee"], {"SYRIA_ARCHIVE_S3": "s3://user:pass@bucket/x"}, "S3_URI"),
    (["crawl", "mee", "--since", "2026-13-45"], {}, "since"),
    (["crawl", "mee", "--since", "last tuesday"], {}, "since"),
    (["crawl", "mee", "--max-pages", "many"], {}, "--max-pages"),
    (["crawl", "mee", "--max-pages", "0"], {}, "--max-pages"),
    (["crawl", "no-such-outlet"], {}, "no-such-outlet"),
    (["crawl", "mee", "--url", "https://elsewhere.example/news/x"], {}, "allowed domains"),
    (["crawl", "mee"], {"SYRIA_ARCHIVE_OUTLETS": "/no/such/folder"}, "/no/such/folder"),
    (["crawl", "mee"], {"SYRIA_ARCHIVE_OUTLETS": "{bad}"}, "article_pattern"),
    (["outlets"], {"SYRIA_ARCHIVE_OUTLETS": "{bad}"}, "broken.toml"),
    (["ls", "--local", "--since", "soon"], {}, "--since"),
    (["search", "Syria", "--limit", "lots"], {}, "--limit"),
    (["get", "--local", "--run", "not-a-run"], {}, "--run"),
    (["upload"], {"SYRIA_ARCHIVE_S3": ""}, "S3"),
    (["presign", "x", "--expires", "-5"], {"SYRIA_ARCHIVE_S3": "s3://b/p"}, "--expires"),
    (["extract", "/no/such/page.html"], {}, "/no/such/page.html"),
    (["extract", __file__, "--outlet", "nope"], {}, "nope"),
    (["reextract", "--warc", "/no/such.warc.gz"], {}, "/no/such.warc.gz"),
    (["wacz", "/no/such.warc.gz"], {}, "/no/such.warc.gz"),
    (["mirror", "--pages", "/no/such/pages"], {}, "/no/such/pages"),
]


@pytest.mark.parametrize(("args", "env", "words"), CASES,
                         ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_configuration_is_one_line_and_exit_2(args: list[str], env: dict[str, str],
                                                  words: str, tmp_path: Path) -> None:
    if env.get("SYRIA_ARCHIVE_OUTLETS") == "{bad}":
        (tmp_path / "outlets").mkdir()
        (tmp_path / "outlets" / "broken.toml").write_text(BAD_OUTLET, encoding="utf-8")
        env = {**env, "SYRIA_ARCHIVE_OUTLETS": str(tmp_path / "outlets")}
    full_env = {**os.environ, **env}
    if not env.get("SYRIA_ARCHIVE_S3"):
        full_env.pop("SYRIA_ARCHIVE_S3", None)
    data = [] if args[0] in ("outlets", "extract", "mirror") else ["--data", str(tmp_path / "d")]
    proc = run_cli(*args, *data, env=full_env, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert words in lines[0] and "Traceback" not in proc.stderr, lines[0]
    assert not (tmp_path / "d" / "items").exists()  # nothing started
