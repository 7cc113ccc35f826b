"""Archiving: WARC capture and writing, CDXJ index, WACZ and S3 upload."""
