"""The /stats chart: real PNGs of bounded size for every shape of history, drawn off the event loop."""

import ast
import asyncio
import random
import struct
import warnings
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from bot.present.charts import (
    ProgressSummary,
    render_progress_chart,
    render_progress_chart_async,
    summarise_progress,
    topic_name,
)
from questions.topics import TOPICS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 1280
MAX_BYTES = 150_000
START = date(2026, 1, 5)


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    topic: str
    covered: int
    total: int


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature and the chunk's CRC."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    header = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + header) == crc
    width, height = struct.unpack(">II", header[:8])
    return width, height


def assert_valid_chart(data: bytes) -> tuple[int, int]:
    width, height = png_size(data)
    assert 600 <= width <= MAX_SIDE
    assert 200 <= height <= MAX_SIDE
    assert 2_000 < len(data) < MAX_BYTES
    with Image.open(BytesIO(data)) as image:  # decodes every chunk: a truncated file fails here
        image.load()
        assert image.size == (width, height)
    return width, height


def many_points(n: int = 1000, days: int = 90, seed: int = 3) -> list[Point]:
    rng = random.Random(seed)
    slugs = list(TOPICS)
    points = []
    for i in range(n):
        total = rng.randint(3, 7)
        points.append(
            Point(START + timedelta(days=i * days // n), slugs[i % len(slugs)], rng.randint(0, total), total)
        )
    return points


def test_a_thousand_answers_over_ninety_days_and_every_topic() -> None:
    points = many_points()
    assert len({p.topic for p in points}) == len(TOPICS)
    assert len({p.day for p in points}) == 90
    assert_valid_chart(render_progress_chart(points, title="Alex's interview practice"))


@pytest.mark.parametrize(
    "points",
    [
        pytest.param([Point(START, "agile", 3, 5)], id="one answer"),
        pytest.param([Point(START + timedelta(days=i), "risk", i % 5, 5) for i in range(30)], id="one topic"),
        pytest.param(
            [Point(START + timedelta(days=d), "budget", 2, 4) for d in (0, 1, 30, 31, 75, 120)],
            id="gaps of weeks",
        ),
        pytest.param(
            [Point(START + timedelta(days=i % 40), f"retired-topic-{i % 30}", i % 3, 3) for i in range(300)],
            id="more topics than rows",
        ),
        pytest.param([Point(START, "agile", 0, 0), Point(START, "cloud", 0, 0)], id="no talking points"),
        pytest.param(many_points(400, 730), id="two years"),
        pytest.param([], id="no answers"),
    ],
)
def test_edge_cases_still_give_a_valid_png(points: list[Point]) -> None:
    assert_valid_chart(render_progress_chart(points, title="Progress"))


def test_more_topics_than_rows_keep_the_picture_within_limits() -> None:
    few = render_progress_chart([Point(START, "agile", 1, 2)], title="t")
    many = render_progress_chart([Point(START, f"slug-{i}", 1, 2) for i in range(40)], title="t")
    assert png_size(few)[1] < png_size(many)[1] <= MAX_SIDE


def test_no_answers_gives_a_small_friendly_card() -> None:
    empty = render_progress_chart([], title="Progress")
    full = render_progress_chart(many_points(), title="Progress")
    assert png_size(empty)[1] < png_size(full)[1]


def test_user_text_in_the_title_is_drawn_as_text() -> None:
    # "$...$" would be TeX math to matplotlib, and DejaVu Sans has no emoji: neither may break
    # the render nor warn about missing glyphs.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = render_progress_chart(many_points(50), title="$Ma$ría 🚀 O'Neil\n\t<b>" + "x" * 200)
    assert_valid_chart(data)


async def test_points_may_come_from_a_generator() -> None:
    points = many_points(200)
    expected = render_progress_chart(points, title="t")
    assert render_progress_chart(iter(points), title="t") == expected
    assert await render_progress_chart_async(iter(points), title="t") == expected


async def test_two_charts_render_concurrently_in_threads() -> None:
    a, b = many_points(1000, 90, seed=1), many_points(300, 20, seed=2)
    charts = await asyncio.gather(
        render_progress_chart_async(a, title="User A"),
        render_progress_chart_async(b, title="User B"),
        render_progress_chart_async(a, title="User A"),
    )
    for data in charts:
        assert_valid_chart(data)
    # Deterministic output: threads did not trample on each other's figures.
    assert charts[0] == charts[2] == render_progress_chart(a, title="User A")
    assert charts[1] == render_progress_chart(b, title="User B")


async def test_the_async_render_leaves_the_event_loop_free() -> None:
    ticks = 0
    render = asyncio.ensure_future(render_progress_chart_async(many_points(), title="t"))

    async def tick() -> None:
        nonlocal ticks
        while not render.done():
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.ensure_future(tick())
    data = await render
    await ticker
    assert_valid_chart(data)
    # A render on the loop thread would have kept the ticker from running until it was over.
    assert ticks >= 2


def test_charts_never_use_pyplot() -> None:
    source = Path(__file__).resolve().parent.parent / "bot" / "present" / "charts.py"
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    assert not {m for m in modules if "pyplot" in m or m == "pylab"}


# --- the numbers behind the picture -----------------------------------------------------------------


def day(n: int) -> date:
    return START + timedelta(days=n)


@pytest.mark.parametrize(
    ("points", "daily", "overall"),
    [
        # pooled: (1 + 3) / (2 + 4), not the mean of 50% and 75%
        ([Point(day(0), "agile", 1, 2), Point(day(0), "risk", 3, 4)], [400 / 6], 400 / 6),
        ([Point(day(0), "agile", 1, 2), Point(day(2), "agile", 2, 2)], [50.0, None, 100.0], 75.0),
        # out-of-range scores are clamped, answers without talking points do not count
        ([Point(day(0), "agile", 9, 4), Point(day(0), "cloud", 0, 0)], [100.0], 100.0),
        ([Point(day(0), "agile", -1, 4)], [0.0], 0.0),
        ([Point(day(0), "agile", 0, 0)], [None], None),
    ],
)
def test_daily_coverage_is_pooled(
    points: list[Point], daily: list[float | None], overall: float | None
) -> None:
    summary = summarise_progress(points)
    assert summary.answers == len(points)
    assert summary.days == tuple(day(i) for i in range(len(daily)))
    assert summary.daily == pytest.approx(tuple(daily))
    assert summary.overall == pytest.approx(overall)


def test_rolling_window_covers_seven_days_and_breaks_across_longer_gaps() -> None:
    points = [Point(day(0), "agile", 0, 2), Point(day(6), "agile", 2, 2), Point(day(14), "agile", 1, 2)]
    rolling = summarise_progress(points).rolling
    assert len(rolling) == 15
    assert rolling[0] == 0.0
    assert rolling[6] == 50.0  # days 0..6
    assert rolling[7] == 100.0  # day 0 has left the window
    assert rolling[12] == 100.0
    assert rolling[13] is None  # nothing in days 7..13
    assert rolling[14] == 50.0


def test_topics_are_listed_weakest_first_with_display_names() -> None:
    points = [
        Point(day(0), "agile", 4, 4),
        Point(day(0), "risk", 1, 4),
        Point(day(1), "risk", 1, 4),
        Point(day(0), "budget", 0, 0),
        Point(day(0), "gone", 2, 4),
    ]
    topics = summarise_progress(points).topics
    assert [(t.slug, t.name, t.answers, t.percent) for t in topics] == [
        ("risk", "Risk management", 2, 25.0),
        ("gone", "gone", 1, 50.0),
        ("agile", "Agile and Scrum", 1, 100.0),
        ("budget", "Budgeting and cost control", 1, None),
    ]
    assert topic_name("gone") == "gone"


def test_no_points_summarise_to_nothing() -> None:
    assert summarise_progress([]) == ProgressSummary(0, (), (), (), (), None)
