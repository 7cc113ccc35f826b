"""Charts of the catalog, and of the runs for the nightly report, as inline SVG drawn by
matplotlib (no browser script, no asset from the internet).  Text stays text in the SVG
(``svg.fonttype: none``), so the page's own fonts draw it and Arabic labels shape right.

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


# -- over runs: the nightly health report (crawler.report) ----------------------------

def _run_axis(ax: Any, runs: Sequence[str]) -> None:
    """Runs on the x axis, labelled by their day and time (``11-29 02:30``)."""
    step = max(1, len(runs) // 12)
    ticks = list(range(0, len(runs), step))
    ax.set_xticks(ticks, [f"{runs[i][4:6]}-{runs[i][6:8]} {runs[i][9:11]}:{runs[i][11:13]}"
                          for i in ticks], rotation=30 if len(ticks) > 4 else 0,
                  ha="right" if len(ticks) > 4 else "center")
    ax.set_xlim(-0.6, len(runs) - 0.4)


def runs_stacked(runs: Sequence[str], series: dict[str, Sequence[float]], title: str,
                 ylabel: str) -> str:
    """Bars per run (``runs``: run ids, oldest first), stacked by series (e.g. outlet)."""
    import matplotlib

    fig = _figure(8, 3.2)
    with matplotlib.rc_context(_STYLE):
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps["tab20"]
        bottom = [0.0] * len(runs)
        for i, (name, values) in enumerate(sorted(series.items())):
            ax.bar(range(len(runs)), values, bottom=bottom, label=name, color=cmap(i % cmap.N))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        _run_axis(ax, runs)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        if len(series) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
                      ncols=2 if len(series) > 10 else 1)
    return _svg(fig)


def runs_lines(runs: Sequence[str], series: dict[str, Sequence[float | None]], title: str,
               ylabel: str, percent: bool = False) -> str:
    """A line per series over the runs; None leaves a gap (no articles that night)."""
    import matplotlib
    from matplotlib.ticker import PercentFormatter

    fig = _figure(8, 3.0)
    with matplotlib.rc_context(_STYLE):
        ax = fig.add_subplot()
        for name, values in series.items():
            ax.plot(range(len(runs)), [float("nan") if v is None else v for v in values],
                    marker="o", markersize=3, label=name)
        _run_axis(ax, runs)
        if percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(-0.03, 1.05)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _svg(fig)
