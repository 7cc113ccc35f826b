"""The one date parser: every date the project reads goes through here.

Structured data and meta tags (ISO 8601 and RFC 2822), sitemap ``lastmod`` and
``news:publication_date``, dates in URLs, the visible date text of English and
Arabic pages (Arabic-Indic digits, Egyptian/Gulf and Levantine month names,
Arabic AM/PM marks), and the since/until arguments users type.
:func:`parse_date` keeps a date naive when the page gives no offset (the
outlet's time zone applies later, in :func:`to_iso8601`).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from archive.text import ascii_digits, tidy

_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>0?[1-9]|1[0-2])[/-](?P<d>0?[1-9]|[12]\d|3[01])(?:/|\b)")
_URL_DATE_COMPACT = re.compile(r"[/_-](?P<y>20\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])"
                               r"(?=[/_.-]|$)")
ARABIC_MONTHS = {
    "كانون الثاني": "January", "كانون الأول": "December", "كانون الاول": "December",
    "تشرين الأول": "October", "تشرين الاول": "October", "تشرين الثاني": "November",
    "يناير": "January", "فبراير": "February", "شباط": "February", "مارس": "March",
    "آذار": "March", "اذار": "March", "أبريل": "April", "إبريل": "April", "ابريل": "April",
    "نيسان": "April", "مايو": "May", "أيار": "May", "ايار": "May", "يونيو": "June",
    "يونيه": "June", "حزيران": "June", "يوليو": "July", "يوليه": "July", "تموز": "July",
    "أغسطس": "August", "اغسطس": "August", "آب": "August", "اب": "August",
    "سبتمبر": "September", "أيلول": "September", "ايلول": "September",
    "أكتوبر": "October", "اكتوبر": "October", "نوفمبر": "November", "ديسمبر": "December",
}
_ARABIC_MONTH_RE = re.compile(
    r"(?<![\u0600-\u06ff])(" + "|".join(sorted(map(re.escape, ARABIC_MONTHS), key=len,
                                                reverse=True)) + r")(?![\u0600-\u06ff])")
_ARABIC_NOISE = re.compile(
    r"(?:الأحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|"
    r"نشر في|تاريخ النشر|آخر تحديث|اخر تحديث|بتوقيت|غرينتش|مكة المكرمة|دمشق)")
_AMPM = {"ص": "AM", "م": "PM", "صباحاً": "AM", "صباحا": "AM", "مساءً": "PM", "مساء": "PM"}
_AMPM_RE = re.compile(r"(?<=\d)\s*(صباحاً|صباحا|مساءً|مساء|ص|م)(?![\u0600-\u06ff])")


def normalize_date_text(text: str) -> str:
    """Arabic digits, month names and AM/PM marks to forms dateutil reads."""
    text = ascii_digits(text)
    text = _ARABIC_MONTH_RE.sub(lambda m: f" {ARABIC_MONTHS[m.group(1)]} ", text)
    text = _AMPM_RE.sub(lambda m: " " + _AMPM[m.group(1)], text)
    text = _ARABIC_NOISE.sub(" ", text)
    text = re.sub(r"[\u0600-\u06ff]+", " ", text)
    return tidy(text.replace("،", ",").replace("|", " "))


_DEFAULT_DAY = datetime(1900, 1, 1)


def parse_datetime(value: Any) -> datetime | None:
    """A date in any common form (ISO 8601, RFC 2822, English or Arabic text) as a
    datetime; naive when the text gives no offset; None when it is no date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    text = normalize_date_text(str(value)).strip()
    if not text or not re.search(r"\d{4}", text):
        return None
    try:
        moment = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():
                # an unknown zone name ("IST") leaves the date naive: the outlet's zone applies
                warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
                moment = dateparser.parse(text, default=_DEFAULT_DAY, fuzzy=True)
        except (ValueError, OverflowError, TypeError):
            return None
    if not 1990 <= moment.year <= 2100:
        return None
    return moment


_MONTH_WORD = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\b",
                         re.I)
_NUMERIC_DAY = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}\b"
                          r"|\b(?:19|20)\d{2}-\d{2}-\d{2}")


def names_a_day(value: str) -> bool:
    """Whether a date text names a day, not only a month or a year (English or Arabic)."""
    text = normalize_date_text(value)
    if _NUMERIC_DAY.search(text):
        return True
    return bool(_MONTH_WORD.search(text) and re.search(r"(?<!\d)\d{1,2}(?!\d)", text)
                and re.search(r"(?:19|20)\d{2}", text))


def parse_date(value: Any) -> str | None:
    """:func:`parse_datetime` as ISO 8601; naive when the page gives no offset."""
    moment = parse_datetime(value)
    return moment.isoformat() if moment else None


def aware(moment: datetime, default_tz: str = "UTC") -> datetime:
    """A datetime with an offset: naive ones are taken to be in ``default_tz``."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(default_tz))


def to_iso8601(value: Any, default_tz: str = "UTC") -> str | None:
    """A date in any common form to timezone-aware ISO 8601 (``default_tz`` when naive)."""
    moment = parse_datetime(value)
    return aware(moment, default_tz).isoformat() if moment else None


def parse_listing_date(value: Any) -> datetime | None:
    """A feed's or sitemap's date as an aware datetime (UTC when it gives no offset)."""
    moment = parse_datetime(value)
    return aware(moment) if moment else None


def parse_since(value: str | datetime | None, option: str = "since") -> datetime | None:
    """A date argument a user typed (ISO 8601: a day, or a day and time) as an aware
    datetime, UTC when no offset is given.  Raises ValueError naming ``option``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return aware(value)
    try:
        return aware(dateparser.isoparse(value))
    except (ValueError, OverflowError):
        raise ValueError(f"{option}: not an ISO 8601 date (YYYY-MM-DD): {value!r}") from None


def date_from_url(url: str) -> str | None:
    """The day an article URL carries (``/2026/11/21/``, ``-20261121``), as ISO 8601."""
    for pattern in (_URL_DATE, _URL_DATE_COMPACT):
        m = pattern.search(url)
        if m:
            try:
                return datetime(int(m["y"]), int(m["m"]), int(m["d"])).date().isoformat()
            except ValueError:
                continue
    return None

