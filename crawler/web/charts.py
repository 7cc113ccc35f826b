"""Charts of the catalog as inline SVG, drawn by matplotlib (no browser script, no
asset from the internet).  Text stays text in the SVG (``svg.fonttype: none``),
so the page's own fonts draw it and Arabic labels shape right.

Each function takes rows from SQL (:data:`WEEKLY_SQL`, :data:`DUPLICATES_SQL`)
and returns an ``<svg>`` element as a string.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Articles per outlet, language and week (the week's Monday), by publication date.
WEEKLY_SQL = """SELECT outlet, language, date(substr(published, 1, 10), '-6 days', 'weekday 1')
    AS week, COUNT(*) AS n FROM articles WHERE length(published) >= 10
    GROUP BY outlet, language, week ORDER BY week"""

#: Per outlet: articles, and those recorded as duplicates of another.
DUPLICATES_SQL = """SELECT outlet, COUNT(*) AS n, SUM(duplicate_of IS NOT NULL) AS dups
    FROM articles GROUP BY outlet ORDER BY outlet"""

_STYLE: Any = {"svg.fonttype": "none", "svg.hashsalt": "syria-archive", "font.size": 9,
          "axes.spines.top": False, "axes.spines.right": False}


def _svg(fig: Figure) -> str:
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(out, format="svg", bbox_inches="tight")
    svg = out.getvalue()
    return svg[svg.index("<svg"):]  # inline: no XML declaration or doctype


def _figure(width: float, height: float) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def _stacked(weeks: list[str], series: dict[str, dict[str, int]], title: str,
             colours: str) -> str:
    import matplotlib

    fig = _figure(8, 3.2)
    with matplotlib.rc_context(_STYLE):
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps[colours]
        bottom = [0] * len(weeks)
        for i, (name, counts) in enumerate(sorted(series.items())):
            values = [counts.get(w, 0) for w in weeks]
            ax.bar(range(len(weeks)), values, bottom=bottom, label=name,
                   color=cmap(i % cmap.N))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(range(len(weeks)), [f"week of {w}" for w in weeks],
                      rotation=30 if len(weeks) > 4 else 0, ha="right" if len(weeks) > 4
                      else "center")
        ax.set_ylabel("articles")
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
                  ncols=2 if len(series) > 10 else 1)
    return _svg(fig)


def weekly_by(rows: Iterable[Sequence[object]], key: str) -> str:
    """Articles per week, stacked by ``outlet`` or ``language``."""
    series: dict[str, dict[str, int]] = defaultdict(dict)
    weeks: set[str] = set()
    for outlet, language, week, n in rows:
        name = str(outlet if key == "outlet" else language)
        series[name][str(week)] = series[name].get(str(week), 0) + int(str(n))
        weeks.add(str(week))
    title = "Articles per outlet per week" if key == "outlet" else \
        "Articles per language per week"
    return _stacked(sorted(weeks), series, title, "tab20" if key == "outlet" else "Set2")


def duplicate_share(rows: Iterable[Sequence[object]]) -> str:
    """Per outlet, the share of its articles recorded as duplicates."""
    import matplotlib

    data = [(str(outlet), int(str(n)), int(str(dups or 0))) for outlet, n, dups in rows]
    fig = _figure(8, 0.3 * len(data) + 1.0)
    with matplotlib.rc_context(_STYLE):
        ax = fig.add_subplot()
        shares = [100 * d / n if n else 0 for _o, n, d in data]
        ax.barh(range(len(data)), shares, color="#b5523b")
        ax.set_yticks(range(len(data)), [o for o, _n, _d in data])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of the outlet's articles recorded as duplicates")
        for i, (_o, n, d) in enumerate(data):
            ax.text(shares[i] + 1, i, f"{d} of {n}", va="center")
        ax.set_title("Share of duplicates", loc="left")
    return _svg(fig)
