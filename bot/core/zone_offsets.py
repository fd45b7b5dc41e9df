"""A time zone's UTC offsets over a range of instants, as a few spans, so SQL can give each
answer its local date (``/stats`` groups by it) without a row per answer reaching Python.

`offset_spans(tz, first, last)` returns spans such that every instant in [first, last] has
exactly the offset of the span it falls in, the same offset ``at.astimezone(tz)`` uses:

- zoneinfo exposes no list of transitions, so a year is sampled every `STEP` and each change
  between two samples is bisected to the second (transitions in the tz database are whole
  seconds: an instant before T has the old offset, T and later the new one);
- two changes within one `STEP` that cancel out would be missed. Since 1970 the closest two
  offset changes of any zone in the tz database are about 7 days apart (Brazil, 2000), 28 times
  `STEP`;
- a year's changes are computed once per process and zone (a cache), a few hundred samples.
"""

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.records import OffsetSpan

STEP = timedelta(hours=6)


def _offset(tz: ZoneInfo, ts: int) -> int:
    offset = datetime.fromtimestamp(ts, tz).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@functools.lru_cache(maxsize=512)
def _changes(tz: ZoneInfo, year: int) -> tuple[tuple[int, int], ...]:
    """(first second with the new offset, new offset) for each change in that UTC year."""
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    step = int(STEP.total_seconds())
    changes = []
    # From the second before the year starts, so a change at exactly 00:00:00 UTC is this year's.
    lo, before = start - 1, _offset(tz, start - 1)
    while lo < end - 1:
        hi = min(lo + step, end - 1)
        after = _offset(tz, hi)
        if after != before:
            a, b = lo, hi  # offset(a) == before, offset(b) == after
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(tz, mid) == before:
                    a = mid
                else:
                    b = mid
            changes.append((b, after))
        lo, before = hi, after
    return tuple(changes)


def offset_spans(tz: ZoneInfo, first: datetime, last: datetime) -> tuple[OffsetSpan, ...]:
    """Spans covering [first, last], oldest first; the last one has no end (`until` None)."""
    if first.tzinfo is None or last.tzinfo is None:
        raise ValueError("offset_spans needs aware datetimes")
    low, high = first.timestamp(), last.timestamp()
    current = _offset(tz, int(low // 1))
    spans: list[OffsetSpan] = []
    for year in range(first.astimezone(UTC).year, last.astimezone(UTC).year + 1):
        for at, offset in _changes(tz, year):
            if low < at <= high and offset != current:
                spans.append(OffsetSpan(datetime.fromtimestamp(at, UTC), current))
                current = offset
    spans.append(OffsetSpan(None, current))
    return tuple(spans)
