"""The /stats chart: talking-point coverage over time and per topic, as one PNG.

Drawn with matplotlib's object-oriented API on the Agg canvas (``Figure`` + ``FigureCanvasAgg``),
never pyplot: pyplot keeps a global registry of open figures and is not thread-safe, and these
charts are drawn in worker threads (``asyncio.to_thread``) so the bot keeps answering meanwhile.

Coverage is pooled like an interview summary counts it: talking points covered out of talking
points asked, ``sum(covered) / sum(total)``, over a day's answers, a 7-day window or a topic.
Answers to questions without talking points (``total == 0``) count as answers but not towards
coverage.

No answers at all: ``render_progress_chart`` still returns a PNG, a small "no answers yet" card,
so callers never have to handle a missing picture. A handler that already knows the user has no
answers may simply not send a photo.
"""

import asyncio
import functools
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from typing import Any, Final, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, PercentFormatter
from PIL import Image

from bot.present.labels import CHART
from questions.topics import TOPICS

ROLLING_DAYS: Final = 7
# Rows in the per-topic panel; more topics than this (only possible with slugs no longer in
# TOPICS) are folded into one "Other topics" row so the picture keeps its size.
MAX_TOPIC_ROWS: Final = len(TOPICS)

# Telegram shows photos at most about 1280 px wide and phones show them portrait: 1080 px wide and
# at most 1280 px tall, laid out in inches at 200 dpi so that matplotlib's usual 8-10 pt text
# comes out at about 1/40 of the width (readable on a phone without zooming).
DPI: Final = 200
WIDTH_IN: Final = 5.4
MAX_HEIGHT_IN: Final = 6.4

# Vertical layout, in inches from the top.
_TITLE_BAND = 0.66
_PANEL_HEADING = 0.3
_TIME_AXES = 1.6
_DATE_TICKS = 0.3
_TOPIC_HEADING = 0.38
_ROW = 0.235
_BOTTOM = 0.1
_LEFT = 0.62  # room for the "100%" tick labels
_EDGE = 0.16
_VALUE_COLUMN = 1.25  # "100%  10,000" right of the bars

# The bundled DejaVu Sans: same look everywhere, no font lookups that depend on the host, and it
# covers Latin, Cyrillic and Greek names in titles.
_FONT: Final = "DejaVu Sans"
_INK = "#1f2933"
_MUTED = "#616e7c"
_ACCENT = "#2f6fb3"
_DOT = "#8fb3de"
_TRACK = "#e8eef6"
_FILL = "#b3cdee"
_GRID = "#dde3ea"

# Matplotlib's documentation says it is not thread-safe and leaves locking to the caller. Separate
# figures in separate threads usually work, but drawing is Python under the GIL, so running two at
# once gains nothing: building and drawing a figure holds this lock, and only the PNG encoding
# (quantising, zlib) of one chart overlaps the drawing of the next.
_DRAW_LOCK = threading.Lock()


class ProgressPoint(Protocol):
    """One answer: the day it was given (in the user's time zone), its topic and its score."""

    @property
    def day(self) -> date: ...

    @property
    def topic(self) -> str: ...

    @property
    def covered(self) -> int: ...

    @property
    def total(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TopicCoverage:
    slug: str
    name: str
    answers: int
    covered: int
    total: int

    @property
    def percent(self) -> float | None:
        return 100 * self.covered / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class ProgressSummary:
    """What the chart shows, as plain numbers (testable without drawing)."""

    answers: int
    # Every calendar day from the first answer to the last, gaps included.
    days: tuple[date, ...]
    # Pooled coverage % per day in ``days``; None on days without a scored answer.
    daily: tuple[float | None, ...]
    # Pooled coverage % over the ROLLING_DAYS days ending on each day; None if the window is empty.
    rolling: tuple[float | None, ...]
    # Weakest first; topics with no scored answer last.
    topics: tuple[TopicCoverage, ...]
    overall: float | None


def summarise_progress(points: Iterable[ProgressPoint]) -> ProgressSummary:
    """Pool answers by day, by 7-day window and by topic."""
    by_day: dict[date, list[int]] = {}  # day -> [covered, total]
    by_topic: dict[str, list[int]] = {}  # slug -> [answers, covered, total]
    answers = 0
    for point in points:
        total = max(point.total, 0)
        covered = min(max(point.covered, 0), total)
        answers += 1
        day = by_day.setdefault(point.day, [0, 0])
        day[0] += covered
        day[1] += total
        topic = by_topic.setdefault(point.topic, [0, 0, 0])
        topic[0] += 1
        topic[1] += covered
        topic[2] += total
    if not by_day:
        return ProgressSummary(0, (), (), (), (), None)

    first, last = min(by_day), max(by_day)
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    sums = [by_day.get(d, [0, 0]) for d in days]
    daily = tuple(_percent(c, t) for c, t in sums)
    rolling: list[float | None] = []
    window_covered = window_total = 0
    for i, (c, t) in enumerate(sums):
        window_covered += c
        window_total += t
        if i >= ROLLING_DAYS:
            window_covered -= sums[i - ROLLING_DAYS][0]
            window_total -= sums[i - ROLLING_DAYS][1]
        rolling.append(_percent(window_covered, window_total))

    topics = [TopicCoverage(slug, topic_name(slug), a, c, t) for slug, (a, c, t) in by_topic.items()]
    topics.sort(key=_weakest_first)
    covered = sum(c for c, _ in by_day.values())
    total = sum(t for _, t in by_day.values())
    return ProgressSummary(answers, days, daily, tuple(rolling), tuple(topics), _percent(covered, total))


def topic_name(slug: str) -> str:
    """The display name; a slug no longer in TOPICS shows as itself."""
    return TOPICS.get(slug, slug)


def render_progress_chart(points: Iterable[ProgressPoint], *, title: str) -> bytes:
    """The /stats chart as PNG bytes: 1080 px wide, at most 1280 px tall, typically 15-70 KB.

    CPU-bound (0.2-0.3 s on a small shared server, for any number of answers: the cost is in
    drawing text, not in the data): from async code use ``render_progress_chart_async``.
    """
    return _render(summarise_progress(points), title)


async def render_progress_chart_async(points: Iterable[ProgressPoint], *, title: str) -> bytes:
    """``render_progress_chart`` in a worker thread, so the event loop keeps serving other users."""
    # Only materialise the points here (a generator is consumed on the thread that made it);
    # even pooling them costs milliseconds per thousand answers, so that runs in the worker too.
    return await asyncio.to_thread(render_progress_chart, tuple(points), title=title)


def _percent(covered: int, total: int) -> float | None:
    return 100 * covered / total if total else None


def _weakest_first(topic: TopicCoverage) -> tuple[bool, float, int, str]:
    pct = topic.percent
    return (pct is None, pct if pct is not None else 0.0, -topic.answers, topic.name)


# --- drawing ---------------------------------------------------------------------------------------


def _render(summary: ProgressSummary, title: str) -> bytes:
    with _DRAW_LOCK:
        fig = _empty_figure(title) if summary.answers == 0 else _progress_figure(summary, title)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's stubs leave these unannotated
        width, height = canvas.get_width_height(physical=True)
        pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        rgb = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1).convert("RGB")
    # A flat chart needs few colours: a palette PNG is a third of the size of an RGB one and looks
    # the same (Telegram recompresses photos to JPEG anyway). Fast octree: 20 ms where the default
    # median cut takes 140.
    image = rgb.quantize(256, method=Image.Quantize.FASTOCTREE)
    # Octree colours are cluster means: the background comes out as (254, 254, 254). Snap it back.
    palette = image.getpalette() or []
    for i in range(0, len(palette) - 2, 3):
        if min(palette[i : i + 3]) >= 250:
            palette[i : i + 3] = [255, 255, 255]
    image.putpalette(palette)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class _Layout:
    """Places things in inches from the figure's top left (matplotlib counts from bottom left)."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.height = fig.get_figheight()

    def rect(self, left: float, top: float, width: float, height: float) -> tuple[float, float, float, float]:
        return (left / WIDTH_IN, 1 - (top + height) / self.height, width / WIDTH_IN, height / self.height)

    def text(self, left: float, top: float, text: str, **kwargs: Any) -> None:
        kwargs.setdefault("va", "baseline")
        kwargs.setdefault("color", _INK)
        # parse_math=False: titles may carry user text, and a "$" must not start TeX math.
        self.fig.text(
            left / WIDTH_IN, 1 - top / self.height, text, fontfamily=_FONT, parse_math=False, **kwargs
        )

    def box(self, left: float, top: float, width: float, height: float, color: str) -> None:
        x, y, w, h = self.rect(left, top, width, height)
        self.fig.add_artist(Rectangle((x, y), w, h, transform=self.fig.transFigure, color=color, lw=0))


def _progress_figure(summary: ProgressSummary, title: str) -> Figure:
    rows = _topic_rows(summary.topics)
    fixed = _TITLE_BAND + _PANEL_HEADING + _TIME_AXES + _DATE_TICKS + _TOPIC_HEADING + _BOTTOM
    row = min(_ROW, (MAX_HEIGHT_IN - fixed) / len(rows))
    fig = Figure(figsize=(WIDTH_IN, fixed + row * len(rows)), dpi=DPI, facecolor="white")
    at = _Layout(fig)
    _title(at, title, _subtitle(summary))
    top = _TITLE_BAND + _PANEL_HEADING
    at.text(_EDGE, top - 0.1, CHART.coverage_heading, fontsize=10, fontweight="bold")
    ax = fig.add_axes(at.rect(_LEFT, top, WIDTH_IN - _LEFT - _EDGE, _TIME_AXES))
    _time_panel(ax, summary)
    top += _TIME_AXES + _DATE_TICKS + _TOPIC_HEADING
    at.text(_EDGE, top - 0.1, CHART.topics_heading, fontsize=10, fontweight="bold")
    _topic_panel(at, top, row, rows)
    return fig


def _empty_figure(title: str) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, 2.2), dpi=DPI, facecolor="white")
    at = _Layout(fig)
    _title(at, title, CHART.no_answers)
    at.text(
        WIDTH_IN / 2,
        1.45,
        CHART.no_answers_hint,
        ha="center",
        va="center",
        fontsize=10,
        color=_MUTED,
        linespacing=1.5,
    )
    return fig


def _title(at: _Layout, title: str, subtitle: str) -> None:
    at.text(_EDGE, 0.32, _drawable(title, 44), fontsize=12.5, fontweight="bold")
    at.text(_EDGE, 0.55, subtitle, fontsize=8.5, color=_MUTED)


def _subtitle(summary: ProgressSummary) -> str:
    first, last = summary.days[0], summary.days[-1]
    span = _day(first) if first == last else f"{_day(first)} – {_day(last)}"
    overall = "" if summary.overall is None else CHART.overall.format(percent=summary.overall)
    return f"{CHART.count(summary.answers)} · {span}{overall}"


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _time_panel(ax: Axes, summary: ProgressSummary) -> None:
    # matplotlib's stubs leave date2num and the date locator/formatter unannotated
    x = date2num(np.array(summary.days, dtype="datetime64[D]"))  # type: ignore[no-untyped-call]
    daily = np.array([np.nan if v is None else v for v in summary.daily])
    answered = ~np.isnan(daily)
    ax.scatter(
        x[answered],
        daily[answered],
        s=16,
        color=_DOT,
        linewidths=0,
        zorder=3,
        clip_on=False,
        label=CHART.daily_legend,
    )
    if len(summary.days) > 1:
        line_x, line_y = _rolling_line(
            x[answered], [v for v, a in zip(summary.rolling, answered, strict=True) if a]
        )
        ax.plot(
            line_x,
            line_y,
            color=_ACCENT,
            linewidth=2.2,
            zorder=4,
            label=CHART.rolling_legend.format(days=ROLLING_DAYS),
        )

    pad = max(3.0, 0.02 * len(summary.days))  # one day alone sits in the middle of a week
    ax.set_xlim(x[0] - pad, x[-1] + pad)
    locator = AutoDateLocator(minticks=3, maxticks=6)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(FixedLocator([0, 25, 50, 75, 100]))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.tick_params(labelsize=8, labelcolor=_MUTED, color=_GRID, labelfontfamily=_FONT)
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(_GRID)
    ax.legend(
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.4,
        columnspacing=1.2,
        prop={"family": _FONT, "size": 8},
    )


def _rolling_line(x: np.ndarray, values: Sequence[float | None]) -> tuple[list[float], list[float]]:
    """The rolling average on answered days only, broken where no window spans the gap.

    Drawn through every calendar day, the line would run on for a week after each burst of
    practice, as the window empties; on answered days only it stays under the dots.
    """
    line_x: list[float] = []
    line_y: list[float] = []
    for i, (day, value) in enumerate(zip(x, values, strict=True)):
        if i and day - x[i - 1] > ROLLING_DAYS:
            line_x.append(float(day))
            line_y.append(math.nan)
        line_x.append(float(day))
        line_y.append(math.nan if value is None else value)
    return line_x, line_y


def _topic_rows(topics: Sequence[TopicCoverage]) -> list[TopicCoverage]:
    """At most MAX_TOPIC_ROWS rows: the most answered topics, the rest folded into one."""
    if len(topics) <= MAX_TOPIC_ROWS:
        return list(topics)
    kept = sorted(topics, key=lambda t: -t.answers)[: MAX_TOPIC_ROWS - 1]
    kept_slugs = {t.slug for t in kept}
    rest = [t for t in topics if t.slug not in kept_slugs]
    other = TopicCoverage(
        "",
        CHART.other_topics.format(count=len(rest)),
        sum(t.answers for t in rest),
        sum(t.covered for t in rest),
        sum(t.total for t in rest),
    )
    return [*sorted(kept, key=_weakest_first), other]


def _topic_panel(at: _Layout, top: float, row: float, rows: Sequence[TopicCoverage]) -> None:
    """One progress bar per topic with its name inside; coverage and answers in two columns.

    Figure-level rectangles and texts rather than an Axes: no ticks, no axis, a third of the cost.
    Text is most of the drawing time (matplotlib lays out and renders each glyph), so the answers
    column says "answers" once in its header rather than on every row.
    """
    bar_width = WIDTH_IN - 2 * _EDGE - _VALUE_COLUMN
    pct_right = _EDGE + bar_width + 0.55
    bar_height = row * 0.8
    fontsize = min(8.5, 8.5 * row / _ROW)
    header = {"ha": "right", "fontsize": 7.5, "color": _MUTED}
    at.text(pct_right, top - 0.1, CHART.covered_column, **header)
    at.text(WIDTH_IN - _EDGE, top - 0.1, CHART.answers_column, **header)
    for i, topic in enumerate(rows):
        bar_top = top + i * row + (row - bar_height) / 2
        middle = bar_top + bar_height / 2
        at.box(_EDGE, bar_top, bar_width, bar_height, _TRACK)
        if topic.percent:
            at.box(_EDGE, bar_top, bar_width * topic.percent / 100, bar_height, _FILL)
        cells = {"va": "center_baseline", "fontsize": fontsize}
        at.text(_EDGE + 0.07, middle, _drawable(topic.name, 40), **cells)
        pct = "–" if topic.percent is None else f"{topic.percent:.0f}%"
        at.text(pct_right, middle, pct, ha="right", **cells)
        at.text(WIDTH_IN - _EDGE, middle, f"{topic.answers:,}", ha="right", color=_MUTED, **cells)


@functools.cache
def _font_code_points() -> frozenset[int]:
    """What the chart font can draw; read from the font file once per process, on first use."""
    return frozenset(get_font(findfont(FontProperties(family=_FONT))).get_charmap())


def _drawable(text: str, limit: int) -> str:
    """User text the font can draw (no emoji boxes, no "missing glyph" warnings), on one line, cut
    to ``limit`` characters."""
    known = _font_code_points()
    text = " ".join("".join(c for c in text if c.isspace() or ord(c) in known).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
