from setuptools import setup

# Configuration lives in pyproject.toml; this file lets scrapyd-deploy build an egg.
setup()
