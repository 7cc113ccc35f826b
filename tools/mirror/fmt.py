"""Visible dates as each outlet prints them (English and Arabic, Western or Arabic-Indic digits).

A format is a ``str.format`` template over the fields of :func:`date_fields`, e.g.
``"{weekday}, {day2} {month}, {year} - {HH}:{MM} GMT"``.  The wall-clock time is the one of the
ISO 8601 value's own offset, as an outlet prints its local time.
"""

from __future__ import annotations

from datetime import datetime

EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AR_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
             "أكتوبر", "نوفمبر", "ديسمبر"]
# Levantine month names, as Syrian outlets write them
LEV_MONTHS = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
              "تشرين الأول", "تشرين الثاني", "كانون الأول"]
AR_DAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def date_fields(iso: str) -> dict[str, str]:
    d = datetime.fromisoformat(iso)
    h12 = d.hour % 12 or 12
    return {
        "iso": d.isoformat(), "year": str(d.year), "month": EN_MONTHS[d.month - 1],
        "mon": EN_MONTHS[d.month - 1][:3], "m2": f"{d.month:02d}", "m": str(d.month),
        "day": str(d.day), "day2": f"{d.day:02d}", "weekday": EN_DAYS[d.weekday()],
        "HH": f"{d.hour:02d}", "MM": f"{d.minute:02d}", "h12": str(h12), "hh12": f"{h12:02d}",
        "ampm": "AM" if d.hour < 12 else "PM", "ampm_ar": "ص" if d.hour < 12 else "م",
        "month_ar": AR_MONTHS[d.month - 1], "month_lev": LEV_MONTHS[d.month - 1],
        "weekday_ar": AR_DAYS[d.weekday()],
    }


def visible_date(iso: str, template: str, digits: str = "latin") -> str:
    text = template.format(**date_fields(iso))
    return text.translate(ARABIC_INDIC) if digits == "arabic" else text
