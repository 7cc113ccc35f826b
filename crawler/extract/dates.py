"""The one date parser: every date the project reads goes through here.

Structured data and meta tags (ISO 8601, RFC 2822), sitemap ``lastmod`` and
``news:publication_date``, dates in URLs, the visible date text of English and Arabic
pages, and the since/until arguments users type.

Dates as the outlets write them: English with or without the weekday ("Wed 28 Aug
2013 14.30 BST", "August 28, 2013"); Arabic with Levantine (كانون الثاني … آب …
تشرين الأول), Egyptian/Gulf (يناير … أغسطس, يونيه, يوليه), Maghrebi (ماي، يوليوز، غشت،
شتنبر، نونبر، دجنبر; جانفي، أفريل، جوان، جويلية، أوت) and combined (آب/أغسطس, حزيران
(يونيو)) month names, Arabic-Indic and Persian digits, ص/م for AM/PM; offsets written
as ``GMT+0400``, ``+03:00`` or a zone name (``BST``, بتوقيت دمشق, "Mecca time").  Hijri
dates (15 رمضان 1446 هـ) are recognised and set aside, never read as Gregorian ones.

**Precision is kept** (:class:`DateValue`): a text that gives only a year or a month
yields a year or a month ("2013", "2013-08"), never the 1st of January; a date without
a time is a day ("2013-08-28"), not midnight.  A date is naive when the text names no
offset or zone (the outlet's time zone applies later, in :func:`to_iso8601`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from archive.text import ascii_digits, fold

#: Precisions, coarsest first.
PRECISIONS = ("year", "month", "day", "time")
_MIN_YEAR, _MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class DateValue:
    """A date as precise as its source: year, month, day, or a time (with an offset
    when the source names one)."""

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int = 0
    second: int = 0
    tz: tzinfo | None = None

    @property
    def precision(self) -> str:
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        return "day" if self.hour is None else "time"

    def moment(self) -> datetime | None:
        """The moment (midnight for a day), or None when only a year or month is known."""
        if self.month is None or self.day is None:
            return None
        return datetime(self.year, self.month, self.day, self.hour or 0, self.minute,
                        self.second, tzinfo=self.tz)

    def isoformat(self) -> str:
        """ISO 8601 no more precise than the source: 2013, 2013-08, 2013-08-28, or a time."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        if self.hour is None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        moment = self.moment()
        assert moment is not None
        return moment.isoformat()

    def in_zone(self, default_tz: str) -> DateValue:
        """A time without an offset placed in ``default_tz`` (other values unchanged)."""
        if self.hour is None or self.tz is not None:
            return self
        moment = self.moment()
        assert moment is not None
        offset = moment.replace(tzinfo=ZoneInfo(default_tz)).utcoffset()
        assert offset is not None
        return DateValue(self.year, self.month, self.day, self.hour, self.minute, self.second,
                         timezone(offset))

    @classmethod
    def of(cls, moment: datetime | date) -> DateValue:
        if isinstance(moment, datetime):
            return cls(moment.year, moment.month, moment.day, moment.hour, moment.minute,
                       moment.second, moment.tzinfo)
        return cls(moment.year, moment.month, moment.day)


def _valid(year: int, month: int | None = None, day: int | None = None) -> bool:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return False
    if month is None:
        return day is None
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# -- month names, in matching form (archive.text.fold: أإآ as ا, ة as ه, ى as ي) ------------

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "كانون الثاني", "يناير", "جانفي", "جانفييه"),
    2: ("february", "feb", "شباط", "فبراير", "فيفري", "فبرير"),
    3: ("march", "mar", "اذار", "مارس"),
    4: ("april", "apr", "نيسان", "ابريل", "افريل", "أبريل"),
    5: ("may", "ايار", "مايو", "ماي"),
    6: ("june", "jun", "حزيران", "يونيو", "يونيه", "جوان"),
    7: ("july", "jul", "تموز", "يوليو", "يوليه", "يوليوز", "جويليه", "جويلية"),
    8: ("august", "aug", "اب", "اغسطس", "غشت", "اوت", "أغسطس"),
    9: ("september", "sept", "sep", "ايلول", "سبتمبر", "شتنبر"),
    10: ("october", "oct", "تشرين الاول", "اكتوبر"),
    11: ("november", "nov", "تشرين الثاني", "نوفمبر", "نونبر"),
    12: ("december", "dec", "كانون الاول", "ديسمبر", "دجنبر"),
}
MONTHS: dict[str, int] = {fold(name): n for n, names in _MONTH_NAMES.items() for name in names}
_MONTH = "(?:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
# A month written twice, Levantine and Egyptian: آب/أغسطس, حزيران (يونيو), August/آب.
_MONTH_PAIR = rf"(?P<mon>{_MONTH})(?:\s*[/\-(]\s*(?P<mon2>{_MONTH})\s*\)?)?"

_HIJRI_MONTHS = (
    "محرم", "صفر", "ربيع الاول", "ربيع الثاني", "ربيع الاخر", "جمادي الاولي", "جمادي الاول",
    "جمادي الثانيه", "جمادي الاخره", "جمادي الثاني", "رجب", "شعبان", "رمضان", "شوال",
    "ذو القعده", "ذي القعده", "ذو الحجه", "ذي الحجه",
    "muharram", "safar", r"rabi\S*\s+(?:al|ul|el)?[\s\-]?\S+",
    r"jumad[aie]\S*\s+(?:al|ul|el)?[\s\-]?\S+", "rajab", r"sha'?ban", r"ramad[h]?an",
    r"shaww?al", r"dh?[ui]\S*[\s\-]+(?:al|el)?[\s\-]?(?:qi?'?d[ae]h?|hijj?ah?)",
)
_HIJRI = re.compile(
    r"(?<!\w)\d{1,2}\s+(?:" + "|".join(_HIJRI_MONTHS) + r")[\s,،]+1[34]\d\d"
    r"(?:\s*(?:هـ|ه|ah|a\.h\.|h)(?!\w))?"
    r"|(?<!\d)1[34]\d\d\s*(?:هـ|ه)(?!\w)", re.IGNORECASE)

_WEEKDAYS = re.compile(
    r"(?<!\w)(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?"
    r"\.?(?!\w)|(?<!\w)(?:ال)?(?:احد|اثنين|ثلاثاء|اربعاء|خميس|جمعه|سبت)(?!\w)")

_SEPS = r"[\s,،./\-]*"
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<d>[0-3]?\d)(?:st|nd|rd|th)?{_SEPS}(?:of\s+)?{_MONTH_PAIR}{_SEPS}"
    rf"(?P<y>(?:19|20)\d\d)(?!\d)")
_MONTH_DAY_YEAR = re.compile(
    rf"(?<!\w){_MONTH_PAIR}\s*(?P<d>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)[\s,،]*"
    rf"(?P<y>(?:19|20)\d\d)(?!\d)")
_YMD = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<s>[-/.])(?P<m>[01]?\d)(?P=s)"
                  r"(?P<d>[0-3]?\d)(?!\d)")
_DMY = re.compile(r"(?<!\d)(?P<a>[0-3]?\d)(?P<s>[-/.])(?P<b>[01]?\d|[0-3]\d)(?P=s)"
                  r"(?P<y>(?:19|20)\d\d)(?!\d)")
_MONTH_YEAR = re.compile(rf"(?<!\w){_MONTH_PAIR}[\s,،]*(?P<y>(?:19|20)\d\d)(?!\d)")
_YEAR_ONLY = re.compile(r"^\W*(?:in\s+|©\s*)?(?P<y>(?:19|20)\d\d)\W*$")

_TIME = re.compile(
    r"(?<![\d.:/])(?P<h>[0-2]?\d)[:.](?P<mi>[0-5]\d)(?:[:.](?P<s>[0-5]\d)(?:\.\d+)?)?(?![\d/])"
    r"(?:\s*(?P<ampm>a\.?m\.?|p\.?m\.?|صباحا|مساء|ص|م)(?!\w))?", re.IGNORECASE)
_OFFSET = re.compile(
    r"(?:(?<!\w)(?:gmt|utc|ت\s*غ|غرينتش)\s*(?P<sign>[+-])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?"
    r"|(?<![\w+-])(?P<sign2>[+-])(?P<oh2>\d{2}):?(?P<om2>\d{2})(?!\d)"
    r"|(?P<z>(?<=\d)z)(?!\w))", re.IGNORECASE)
# Zones by name: abbreviations outlets print (ambiguous ones such as IST, AST and CST are
# left out) and "بتوقيت <city>" / "<city> time".
_ZONE_ABBREVIATIONS = {
    "gmt": "UTC", "utc": "UTC", "bst": "Europe/London", "cet": "Europe/Paris",
    "cest": "Europe/Paris", "eet": "Africa/Cairo", "eest": "Asia/Beirut", "msk": "Europe/Moscow",
    "est": "-05:00", "edt": "-04:00", "pst": "-08:00", "pdt": "-07:00",
}
_ZONE_CITIES = {
    "دمشق": "Asia/Damascus", "damascus": "Asia/Damascus", "مكه المكرمه": "Asia/Riyadh",
    "مكه": "Asia/Riyadh", "mecca": "Asia/Riyadh", "makkah": "Asia/Riyadh",
    "الرياض": "Asia/Riyadh", "السعوديه": "Asia/Riyadh", "riyadh": "Asia/Riyadh",
    "غرينتش": "UTC", "غرينيتش": "UTC", "جرينتش": "UTC", "greenwich": "UTC",
    "بيروت": "Asia/Beirut", "beirut": "Asia/Beirut", "القدس": "Asia/Jerusalem",
    "القاهره": "Africa/Cairo", "cairo": "Africa/Cairo", "ابوظبي": "Asia/Dubai",
    "ابو ظبي": "Asia/Dubai", "الامارات": "Asia/Dubai", "دبي": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai", "uae": "Asia/Dubai", "الدوحه": "Asia/Qatar", "doha": "Asia/Qatar",
    "بغداد": "Asia/Baghdad", "baghdad": "Asia/Baghdad", "انقره": "Europe/Istanbul",
    "اسطنبول": "Europe/Istanbul", "istanbul": "Europe/Istanbul", "ankara": "Europe/Istanbul",
}
_ZONE_NAME = re.compile(
    r"(?:بتوقيت|توقيت)\s+(?P<ar>" + "|".join(map(re.escape, sorted(
        (k for k in _ZONE_CITIES if not k.isascii()), key=len, reverse=True))) + r")"
    r"|(?<!\w)(?P<en>" + "|".join(map(re.escape, sorted(
        (k for k in _ZONE_CITIES if k.isascii()), key=len, reverse=True))) + r")\s+time(?!\w)"
    r"|(?<!\w)(?P<abbr>" + "|".join(_ZONE_ABBREVIATIONS) + r")(?!\w)", re.IGNORECASE)

_ISO = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                  r"(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?")


def _month(m: re.Match[str]) -> int | None:
    first = MONTHS.get(m["mon"].rstrip("."))
    second = MONTHS.get(m["mon2"].rstrip(".")) if m["mon2"] else first
    return first if first == second else None  # آب/أيلول is no date


def _zone(text: str, moment: datetime) -> tzinfo | None:
    """The offset a date text names, if it names one (for the given local moment)."""
    m = _OFFSET.search(text)
    if m:
        if m["z"]:
            return UTC
        sign, oh, om = ((m["sign"], m["oh"], m["om"]) if m["sign"]
                        else (m["sign2"], m["oh2"], m["om2"]))
        delta = timedelta(hours=int(oh), minutes=int(om or 0))
        if delta > timedelta(hours=14):
            return None
        return timezone(-delta if sign == "-" else delta)
    m = _ZONE_NAME.search(text)
    if not m:
        return None
    name = (_ZONE_CITIES.get(m["ar"] or (m["en"] or "").lower())
            or _ZONE_ABBREVIATIONS.get((m["abbr"] or "").lower()))
    if not name:
        return None
    if name[0] in "+-":
        hours, minutes = map(int, name[1:].split(":"))
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if name[0] == "-" else delta)
    offset = moment.replace(tzinfo=ZoneInfo(name)).utcoffset()
    return timezone(offset) if offset is not None else None


def _time(text: str) -> tuple[int, int, int] | None:
    m = _TIME.search(text)
    if not m:
        return None
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    ampm = (m["ampm"] or "").lower().replace(".", "")
    if ampm in ("pm", "م", "مساء") and hour < 12:
        hour += 12
    elif ampm in ("am", "ص", "صباحا") and hour == 12:
        hour = 0
    if hour > 23:
        return None
    return hour, minute, second


def _from_iso(text: str) -> DateValue | None:
    if not _ISO.fullmatch(text):
        return None
    if len(text) == 4:
        year = int(text)
        return DateValue(year) if _valid(year) else None
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:7])
        return DateValue(year, month) if _valid(year, month) else None
    try:
        moment = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        return None
    if not _valid(moment.year):
        return None
    return DateValue.of(moment.date() if len(text) == 10 else moment)


def read_date(value: Any, *, dayfirst: bool = True) -> DateValue | None:
    """The date a value gives, as precisely as it gives it; None when it gives none.

    ``value``: an ISO 8601 or RFC 2822 string, a visible date text in English or
    Arabic, or a datetime.  Numeric dates are read day first (15/3/2024, 05/03/2024 as
    5 March), as the region writes them, unless the first number cannot be a month...
    a day above 12 settles it either way.  A Hijri date is set aside; a year or a
    month alone stays a year or a month.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return DateValue.of(value)
    raw = " ".join(str(value).split())
    if not raw or len(raw) > 400:
        return None
    iso = _from_iso(raw)
    if iso is not None:
        return iso
    text = fold(ascii_digits(raw)).replace("،", ",")
    text = _HIJRI.sub(" ", text)
    text = _WEEKDAYS.sub(" ", text)
    found = _find_date(text, dayfirst)
    if found is None:
        return None
    value_, span = found
    if value_.day is None:
        return value_
    rest = text[:span[0]] + " " + text[span[1]:]
    clock = _time(rest)
    if clock is None:
        return value_
    local = datetime(value_.year, value_.month or 1, value_.day, *clock)
    return DateValue(value_.year, value_.month, value_.day, *clock, tz=_zone(rest, local))


def _find_date(text: str, dayfirst: bool) -> tuple[DateValue, tuple[int, int]] | None:
    """The first Gregorian date in a folded text, with its span."""
    best: tuple[DateValue, tuple[int, int]] | None = None
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in pattern.finditer(text):
            month, year, day = _month(m), int(m["y"]), int(m["d"])
            if month and _valid(year, month, day):
                if best is None or m.start() < best[1][0]:
                    best = (DateValue(year, month, day), m.span())
                break
    for m in _YMD.finditer(text):
        year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
        if _valid(year, month, day):
            if best is None or m.start() < best[1][0]:
                best = (DateValue(year, month, day), m.span())
            break
    for m in _DMY.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
        day, month = (a, b) if (dayfirst and b <= 12) or a > 12 else (b, a)
        if _valid(year, month, day):
            if best is None or m.start() < best[1][0]:
                best = (DateValue(year, month, day), m.span())
            break
    if best is not None:
        return best
    for m in _MONTH_YEAR.finditer(text):
        month, year = _month(m), int(m["y"])
        if month and _valid(year, month):
            return DateValue(year, month), m.span()
    year_only = _YEAR_ONLY.match(text)
    if year_only and _valid(int(year_only["y"])):
        return DateValue(int(year_only["y"])), year_only.span()
    return None


def parse_datetime(value: Any) -> datetime | None:
    """A date as a datetime, only when it gives at least the day (midnight when it gives
    no time); naive when it names no offset.  A year or month alone gives None."""
    found = read_date(value)
    return found.moment() if found else None


def names_a_day(value: str) -> bool:
    """Whether a date text names a day, not only a month or a year (English or Arabic)."""
    found = read_date(value)
    return found is not None and found.precision in ("day", "time")


def parse_date(value: Any) -> str | None:
    """:func:`read_date` as ISO 8601 at its own precision ("2013", "2013-08", a day, a time)."""
    found = read_date(value)
    return found.isoformat() if found else None


def aware(moment: datetime, default_tz: str = "UTC") -> datetime:
    """A datetime with an offset: naive ones are taken to be in ``default_tz``."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(default_tz))


def to_iso8601(value: Any, default_tz: str = "UTC") -> str | None:
    """A date as ISO 8601 at its own precision; a time without an offset is taken to be
    in ``default_tz``.  A day stays a day: no midnight is invented."""
    found = read_date(value)
    return found.in_zone(default_tz).isoformat() if found else None


def precision_of(iso: str | None) -> str | None:
    """The precision of an ISO 8601 value as :func:`to_iso8601` writes it."""
    if not iso:
        return None
    return {4: "year", 7: "month", 10: "day"}.get(len(iso), "time")


def parse_listing_date(value: Any) -> datetime | None:
    """A feed's or sitemap's date as an aware datetime (UTC when it gives no offset);
    None when it gives less than a day."""
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


# -- dates in article URLs ---------------------------------------------------------------

_URL_DAY = re.compile(
    r"/(?P<y>(?:19|20)\d{2})/(?:[a-z_\-]+/)?(?P<m>0?[1-9]|1[0-2])/(?P<d>0?[1-9]|[12]\d|3[01])"
    r"(?=/|$|[?#])|/(?P<y2>(?:19|20)\d{2})-(?P<m2>0[1-9]|1[0-2])-(?P<d2>0[1-9]|[12]\d|3[01])"
    r"(?=[/_.\-]|$)")
_URL_COMPACT = re.compile(r"[/_-](?P<y>20\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])"
                          r"(?=[/_.-]|$)")
_URL_MONTH = re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>0[1-9]|1[0-2])/(?=[^/\d])")


def url_date(url: str) -> DateValue | None:
    """The date an article URL carries: a day (``/2026/11/21/``, ``/2013/middle_east/8/28/``,
    ``-20261121``) or a month (``/2013/08/slug``), never more than it says."""
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else ""
    for m in _URL_DAY.finditer(path):
        y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y2"], m["m2"], m["d2"])
        if _valid(int(y), int(mo), int(d)):
            return DateValue(int(y), int(mo), int(d))
    for m in _URL_COMPACT.finditer(path):
        if _valid(int(m["y"]), int(m["m"]), int(m["d"])):
            return DateValue(int(m["y"]), int(m["m"]), int(m["d"]))
    month = _URL_MONTH.search(path)
    if month and _valid(int(month["y"]), int(month["m"])):
        return DateValue(int(month["y"]), int(month["m"]))
    return None


def date_from_url(url: str) -> str | None:
    """:func:`url_date` as ISO 8601 ("2026-11-21", or "2013-08" for a month)."""
    found = url_date(url)
    return found.isoformat() if found else None
