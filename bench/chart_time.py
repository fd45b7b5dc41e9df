"""How long the /stats chart takes, and the sample chart in docs/.

    .venv/bin/python bench/chart_time.py [--points 1000] [--days 90] [--warm 20]
    .venv/bin/python bench/chart_time.py --sample docs/stats-chart.png

Prints, for one fresh process: the import of ``bot.present.charts`` (matplotlib included), the first
render, then warm renders (min / median / max), in wall-clock and CPU time (on a shared machine
the CPU time is the steadier of the two), the async version's first call in a fresh worker thread,
and the PNG's size and dimensions. Synthetic answers: a user who practises most days over
``--days`` days with a week and a fortnight off, improving over time, stronger in some topics than
others. Exit status 0 whatever the numbers: it is a benchmark, not a test.

``--sample PATH`` writes the README's sample chart (about 300 answers over 12 weeks) and exits.
"""

import argparse
import asyncio
import random
import statistics
import struct
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on sys.path, the repo root is not
    sys.path.insert(0, str(ROOT))

from questions.topics import TOPICS  # noqa: E402

# How well this synthetic user covers each topic at the start (0-1), before practice helps.
STRENGTH = {
    "cloud": 0.45,
    "agile": 0.7,
    "kanban": 0.55,
    "integration": 0.35,
    "lifecycle": 0.6,
    "budget": 0.3,
    "risk": 0.5,
    "stakeholders": 0.65,
    "metrics": 0.4,
    "security": 0.25,
    "scaling": 0.35,
    "leadership": 0.6,
    "background": 0.75,
}


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    topic: str
    covered: int
    total: int


def synthetic_points(answers: int, days: int, *, seed: int = 7, end: date = date(2026, 3, 31)) -> list[Point]:
    """``answers`` answers spread over ``days`` days ending on ``end``, with two breaks."""
    rng = random.Random(seed)
    start = end - timedelta(days=days - 1)
    breaks = {start + timedelta(days=d) for d in range(days * 3 // 10, days * 3 // 10 + 7)}
    breaks |= {start + timedelta(days=d) for d in range(days * 6 // 10, days * 6 // 10 + 14)}
    practice_days = [
        start + timedelta(days=d)
        for d in range(days)
        if start + timedelta(days=d) not in breaks and rng.random() < 0.85
    ]
    slugs = list(TOPICS)
    weights = [3 if s in ("agile", "risk", "stakeholders") else 1 + rng.random() for s in slugs]
    points = []
    for i in range(answers):
        day = practice_days[min(len(practice_days) - 1, i * len(practice_days) // answers)]
        topic = rng.choices(slugs, weights)[0]
        progress = (day - start).days / max(days - 1, 1)
        p = min(0.95, STRENGTH.get(topic, 0.5) + 0.3 * progress + rng.gauss(0, 0.12))
        total = rng.randint(4, 7)
        covered = sum(rng.random() < p for _ in range(total))
        points.append(Point(day, topic, covered, total))
    return points


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--warm", type=int, default=20, help="warm renders to time")
    parser.add_argument("--sample", type=Path, help="write the README's sample chart here and exit")
    args = parser.parse_args()

    t0 = time.perf_counter()
    from bot.present.charts import render_progress_chart, render_progress_chart_async

    imported = time.perf_counter() - t0

    if args.sample:
        png = render_progress_chart(synthetic_points(300, 84), title="Alex's interview practice")
        args.sample.write_bytes(png)
        print(f"wrote {args.sample}: {len(png) / 1024:.1f} KB, {'x'.join(map(str, png_size(png)))} px")
        return

    points = synthetic_points(args.points, args.days)
    title = "Alex's interview practice"

    def timed() -> tuple[float, float, bytes]:
        wall, cpu = time.perf_counter(), time.process_time()
        png = render_progress_chart(points, title=title)
        return time.perf_counter() - wall, time.process_time() - cpu, png

    first_wall, first_cpu, png = timed()
    warm = [timed()[:2] for _ in range(args.warm)]

    async def in_fresh_thread() -> float:
        t0 = time.perf_counter()
        await render_progress_chart_async(points, title=title)
        return time.perf_counter() - t0

    thread_first = asyncio.run(in_fresh_thread())  # asyncio.run makes a new default executor

    def spread(values: list[float]) -> str:
        ms = [1000 * v for v in values]
        return f"min {min(ms):6.1f}  median {statistics.median(ms):6.1f}  max {max(ms):6.1f} ms"

    print(f"{len(points)} answers over {args.days} days, {len({p.topic for p in points})} topics")
    print(f"import bot.present.charts    {1000 * imported:6.1f} ms wall (matplotlib included)")
    print(f"first render                 {1000 * first_wall:6.1f} ms wall, {1000 * first_cpu:6.1f} ms CPU")
    print(f"warm renders (n={args.warm}), wall    {spread([w for w, _ in warm])}")
    print(f"warm renders (n={args.warm}), CPU     {spread([c for _, c in warm])}")
    print(f"async, first in a new thread {1000 * thread_first:6.1f} ms wall")
    print(f"PNG                          {len(png) / 1024:6.1f} KB, {'x'.join(map(str, png_size(png)))} px")


if __name__ == "__main__":
    main()
