"""Item pipelines, one concern each, wired in ``crawler.settings.ITEM_PIPELINES``."""
