# syria-archive: `make demo` (offline, end to end) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test soak crawl bench bench-dedup bench-extract bench-web \
	labels lint clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 'setuptools>=77,<81'
	$(BIN)/python -m pip install -q -e '.[test]'
	# pywb (replay for `serve`) pins an old redis client: it gets an environment of its own.
	$(BIN)/python -m venv $(VENV)/pywb
	$(VENV)/pywb/bin/python -m pip install -q --upgrade pip
	$(VENV)/pywb/bin/python -m pip install -q 'pywb>=2.8'
	touch $(STAMP)

install: $(STAMP) system-deps

# Debian packages the tests and benchmarks start themselves (redis-server for distributed
# crawls, Chromium and its driver for the report and web-page tests, nginx for benchmarks,
# cron's crontab for `schedule --install`);
# installed only when missing, never downloaded by a test tool.
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	command -v crontab >/dev/null 2>&1 || missing="$$missing cron"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

demo: $(STAMP)
	$(BIN)/python -m crawler.demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

# Kill-anywhere at length: 100 crawls killed at seeded random moments, each run again
# and checked; prints trials, records checked, records lost (make test runs 10).
soak: $(STAMP) system-deps
	$(BIN)/python tests/soak.py --trials $(or $(TRIALS),100) --json bench/results/soak.json

# The real crawl, for a machine with internet: all outlets, polite settings.
crawl: $(STAMP)
	$(BIN)/syria-archive crawl $(if $(SINCE),--since $(SINCE))

# Measurements, not tests: they print figures and never fail on a slow machine.
# The pipeline beside a ten-line Scrapy + trafilatura spider on a 20,000-page site served
# by nginx (bench/results/latest.json, a Markdown table; ARTICLES=N for another size),
# then S3 upload throughput.  Takes about an hour with the dedup run at a million articles.
bench: $(STAMP) system-deps
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python tests/bench/bench_pipeline.py --articles $(or $(ARTICLES),20000)
	$(BIN)/python tests/bench/bench_s3.py
	$(BIN)/python tests/bench/bench_workers.py --bench-site bench/work/site

bench-dedup: $(STAMP)
	$(BIN)/python tests/bench/bench_dedup.py --sizes 100000,1000000

# Extraction accuracy on ../shared/data/extraction beside trafilatura (plain and precision
# mode) and readability-lxml; our own pages printed apart, as a regression check.
bench-extract: $(STAMP)
	$(BIN)/python tests/bench/bench_extract.py

# The web page (syria-archive serve) over a 100,000-article catalog: ms per page beside SQL alone.
bench-web: $(STAMP)
	$(BIN)/python tests/bench/bench_web.py --articles 100000

# The mirror crawl's articles against the saved pages' hand labels, per field.
labels: $(STAMP)
	$(BIN)/python tests/mirror_labels.py

lint: $(STAMP)
	$(BIN)/python -m pip install -q ruff mypy
	$(BIN)/ruff check crawler spiders pipelines archive tests tools
	$(BIN)/mypy crawler spiders pipelines archive
	$(BIN)/lint-imports

clean-venv:
	rm -rf $(VENV)
