"""/export's documents: Markdown, a self-contained HTML page, or CSV, zipped when too big.

A document is drawn from the core's outline (bot.core.export.ExportPlan: one small entry per
answer, no texts) and written to a temporary file as it is drawn: the rows are fetched a chunk
at a time, in the document's order, and Jinja2 (Template.generate) and the csv writer hand their
output to the file piece by piece. So memory stays bounded however long the history is, and a
front end sends the file from disk and removes it (`export_to_file`, `ExportDocument`).

Drawing is sync and linear in the number of answers; `export_to_file` runs it in a worker
thread and fetches each chunk of rows on the event loop, which stays free for other users in
between. `to_markdown`, `to_html`, `to_csv` and `build_export` draw the same documents in memory
from a list of rows (tests, small histories).
"""

import asyncio
import csv
import io
import os
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol
from zoneinfo import ZoneInfo

from bot.core.export import FETCH_CHUNK, ExportEntry, ExportPlan, ExportRow
from bot.core.feedback import Feedback
from bot.present.labels import POINT_NOT_COUNTED, REMOVED_TOPIC, rating_label, removed_question
from bot.present.render import generate_document

# Telegram bots may upload documents of up to 50 MB; stay under the decimal reading of it.
UPLOAD_LIMIT_BYTES = 50_000_000

_NO_TIME = datetime.fromtimestamp(0, UTC)

# Rows of some answers by id (sync): what drawing a document pulls as it goes.
SyncFetcher = Callable[[Collection[int]], Mapping[int, ExportRow]]


# ---- rows in the document's order, a chunk at a time ----


class _RowStream:
    """The rows for a fixed order of answer ids, fetched FETCH_CHUNK ids at a time.

    Holds one chunk: a slice asked for in order is read once. An answer deleted since the
    outline was read is skipped.
    """

    def __init__(self, ids: Sequence[int], fetch: SyncFetcher, chunk: int = FETCH_CHUNK) -> None:
        self._ids = ids
        self._fetch = fetch
        self._chunk = chunk
        self._loaded = -1
        self._rows: Mapping[int, ExportRow] = {}

    def rows(self, start: int, count: int) -> Iterator[ExportRow]:
        for position in range(start, start + count):
            index = position // self._chunk
            if index != self._loaded:
                self._rows = {}  # let the previous chunk go before reading the next
                self._rows = self._fetch(self._ids[index * self._chunk : (index + 1) * self._chunk])
                self._loaded = index
            row = self._rows.get(self._ids[position])
            if row is not None:
                yield row


# ---- the shape both documents render: answers grouped by question, topics totalled ----


@dataclass(frozen=True, slots=True)
class _Attempt:
    row: ExportRow
    local: str  # "2026-03-02 10:00" in the user's zone
    iso: str  # for <time datetime=...>
    rating: str | None  # the rating's label


class _Attempts:
    """One question's attempts, oldest first, drawn from the stream only while a template
    iterates them; `len()` is known from the outline without reading a row."""

    def __init__(self, stream: _RowStream, start: int, count: int, tz: ZoneInfo) -> None:
        self._stream = stream
        self._start = start
        self._count = count
        self._tz = tz

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[_Attempt]:
        for row in self._stream.rows(self._start, self._count):
            local = _local(row.answered_at, self._tz)
            yield _Attempt(row, f"{local:%Y-%m-%d %H:%M}", local.isoformat(timespec="seconds"), _label(row))


@dataclass(slots=True)
class _Group:
    number: int
    topic: str
    question: str
    attempts: _Attempts


@dataclass(slots=True)
class _TopicTotal:
    name: str
    answers: int = 0
    covered: int = 0
    points: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.points) if self.points else 0


@dataclass(frozen=True, slots=True)
class _Document:
    user_name: str
    generated: str
    zone: str
    total: int
    groups: list[_Group]
    topics: list[_TopicTotal]


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def _label(row: ExportRow) -> str | None:
    return None if row.rating is None else rating_label(row.rating)


def _topic_of(topic: str | None) -> str:
    return REMOVED_TOPIC if topic is None else topic


def _question_of(question: str | None, question_id: str) -> str:
    return removed_question(question_id) if question is None else question


def _topic(row: ExportRow) -> str:
    return _topic_of(row.topic)


def _question(row: ExportRow) -> str:
    return _question_of(row.question, row.question_id)


def _document(
    entries: Sequence[ExportEntry], fetch: SyncFetcher, user_name: str, generated_at: datetime, tz: ZoneInfo
) -> _Document:
    """One pass over the outline (oldest first): questions in the order first answered, each
    with its attempts oldest first, read from the database only as the template draws them."""
    members: dict[tuple[str, str], list[int]] = {}  # question -> answer ids, oldest first
    topics: dict[str, _TopicTotal] = {}
    for entry in entries:
        topic, question = _topic_of(entry.topic), _question_of(entry.question, entry.question_id)
        members.setdefault((topic, question), []).append(entry.answer_id)
        total = topics.get(topic)
        if total is None:
            total = topics[topic] = _TopicTotal(topic)
        total.answers += 1
        total.covered += entry.covered
        total.points += entry.points
    order = [answer_id for ids in members.values() for answer_id in ids]
    stream = _RowStream(order, fetch)
    groups: list[_Group] = []
    start = 0
    for number, ((topic, question), ids) in enumerate(members.items(), start=1):
        groups.append(_Group(number, topic, question, _Attempts(stream, start, len(ids), tz)))
        start += len(ids)
    return _Document(
        user_name=user_name,
        generated=f"{_local(generated_at, tz):%Y-%m-%d %H:%M}",
        zone=tz.key,
        total=len(entries),
        groups=groups,
        topics=sorted(topics.values(), key=lambda t: (-t.answers, t.name)),
    )


# ---- the stored analysis, one line per kind of point (Markdown and CSV) ----


@dataclass(frozen=True, slots=True)
class AnalysisLines:
    covered: str  # "Label (“evidence”); ..."
    not_counted: str  # "Label: listed, not explained (“evidence”); ..."
    missed: str  # "Label; ..."


def _quoted(evidence: str) -> str:
    return f" (“{evidence}”)" if evidence else ""


def analysis_lines(feedback: Feedback) -> AnalysisLines:
    points = feedback.points
    return AnalysisLines(
        "; ".join(p.label + _quoted(p.evidence) for p in points if p.status == "covered"),
        "; ".join(
            f"{p.label}: {POINT_NOT_COUNTED[p.status]}{_quoted(p.evidence)}"
            for p in points
            if p.status in POINT_NOT_COUNTED
        ),
        "; ".join(p.label for p in points if p.status == "missed"),
    )


# ---- Markdown ----

# Characters that can start inline markup (emphasis, code, links, raw HTML, entities, tables,
# strikethrough, math) anywhere in a line; a backslash makes any of them literal in CommonMark.
# (Backslash first, so the escapes added after it are not escaped again.)
_MD_SPECIAL = "\\`*_{}[]<>|#~&$"
# An ordered-list marker, which only matters at the start of a line.
_MD_ORDERED = re.compile(r"(\d+)([.)])")


def _md_line(text: str) -> str:
    # A chain of str.replace is ~10x faster than str.translate or re.sub on non-ASCII text.
    for char in _MD_SPECIAL:
        if char in text:
            text = text.replace(char, "\\" + char)
    if text[:1] in ("-", "+", "="):  # a list item, or a setext heading's underline
        return "\\" + text
    if text[:1].isdigit() and (ordered := _MD_ORDERED.match(text)):
        return f"{ordered[1]}\\{ordered[2]}{text[ordered.end() :]}"
    return text


def md_inline(text: str) -> str:
    """Text for one line of Markdown (a heading, a table cell): newlines become spaces."""
    return _md_line(" ".join(text.split()))


def md_quote(text: str) -> str:
    """Text as a Markdown blockquote that keeps its line breaks and can start no other block.

    Leading indentation is dropped: four spaces would start a code block inside the quote.
    """
    out: list[str] = []
    blank = True
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if not blank:
                out[-1] = out[-1].removesuffix("  ")
                out.append(">")
            blank = True
            continue
        out.append(f"> {_md_line(line)}  ")  # two trailing spaces: a hard line break
        blank = False
    if out and out[-1] == ">":
        out.pop()
    if out:
        out[-1] = out[-1].removesuffix("  ")
    return "\n".join(out) or ">"


def _write_markdown(
    out: IO[str],
    entries: Sequence[ExportEntry],
    fetch: SyncFetcher,
    *,
    user_name: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> None:
    document = _document(entries, fetch, user_name, generated_at, tz)
    pieces = generate_document(
        "export/page.md.j2", doc=document, inline=md_inline, quote=md_quote, analysis=analysis_lines
    )
    # The file ends in exactly one newline: newlines are held back until more text follows.
    pending = ""
    for piece in pieces:
        body = piece.rstrip("\n")
        if body:
            out.write(pending + body)
            pending = piece[len(body) :]
        else:
            pending += piece
    out.write("\n")


def to_markdown(rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo) -> bytes:
    return EXPORT_FORMATS["md"].render(rows, user_name=user_name, generated_at=generated_at, tz=tz)


# ---- HTML ----


def _write_html(
    out: IO[str],
    entries: Sequence[ExportEntry],
    fetch: SyncFetcher,
    *,
    user_name: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> None:
    """A self-contained page: inline CSS, no scripts; autoescape escapes every text."""
    document = _document(entries, fetch, user_name, generated_at, tz)
    for piece in generate_document("export/page.html.j2", doc=document):
        out.write(piece)


def to_html(rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo) -> bytes:
    """A self-contained page: inline CSS, no scripts; autoescape escapes every text."""
    return EXPORT_FORMATS["html"].render(rows, user_name=user_name, generated_at=generated_at, tz=tz)


# ---- CSV ----

# New columns go at the end, so scripts reading the older ones by position keep working.
CSV_HEADER = (
    "answered_at",
    "topic",
    "question",
    "answer",
    "covered",
    "missed",
    "rating",
    "words",
    "seconds",
    "evidence",
    "not_counted",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_csv(
    out: IO[str],
    entries: Sequence[ExportEntry],
    fetch: SyncFetcher,
    *,
    user_name: str,
    generated_at: datetime,
    tz: ZoneInfo,
) -> None:
    """One row per answer, oldest first (the outline's order)."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in _RowStream([entry.answer_id for entry in entries], fetch).rows(0, len(entries)):
        # Answers from before the analysis was stored leave the last two columns empty.
        lines = analysis_lines(row.feedback) if row.feedback is not None else None
        writer.writerow(
            (
                _local(row.answered_at, tz).isoformat(timespec="seconds"),
                _cell(_topic(row)),
                _cell(_question(row)),
                _cell(row.answer),
                _cell("; ".join(row.covered)),
                _cell("; ".join(row.missed)),
                _cell(_label(row) or ""),
                row.word_count,
                row.seconds_taken,
                _cell(lines.covered if lines else ""),
                _cell(lines.not_counted if lines else ""),
            )
        )


def to_csv(rows: Sequence[ExportRow], tz: ZoneInfo) -> bytes:
    """One row per answer, oldest first; UTF-8 with a BOM so spreadsheets detect the encoding."""
    # A CSV has no title or date line: the name and time are not used.
    return EXPORT_FORMATS["csv"].render(rows, user_name="", generated_at=_NO_TIME, tz=tz)


# ---- formats ----


class Writer(Protocol):
    def __call__(
        self,
        out: IO[str],
        entries: Sequence[ExportEntry],
        fetch: SyncFetcher,
        *,
        user_name: str,
        generated_at: datetime,
        tz: ZoneInfo,
    ) -> None: ...


def _in_memory(rows: Iterable[ExportRow]) -> tuple[list[ExportEntry], SyncFetcher]:
    """An outline and a fetcher over rows already in memory (ids are their places, by time)."""
    ordered = sorted(rows, key=lambda r: r.answered_at)
    entries = [
        ExportEntry(i, r.question_id, r.topic, r.question, len(r.covered), len(r.covered) + len(r.missed))
        for i, r in enumerate(ordered)
    ]

    def fetch(ids: Collection[int]) -> Mapping[int, ExportRow]:
        return {i: ordered[i] for i in ids}

    return entries, fetch


@dataclass(frozen=True, slots=True)
class ExportFormat:
    suffix: str
    mime_type: str
    # One call shape for every format, so a front end needs no per-format branches.
    write: Writer
    encoding: str = "utf-8"  # "utf-8-sig" starts the file with a BOM

    def render(
        self, rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo
    ) -> bytes:
        """The whole document in memory (small histories and tests)."""
        entries, fetch = _in_memory(rows)
        buffer = io.StringIO(newline="")
        self.write(buffer, entries, fetch, user_name=user_name, generated_at=generated_at, tz=tz)
        return buffer.getvalue().encode(self.encoding, errors="replace")


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "md": ExportFormat(".md", "text/markdown", _write_markdown),
    "html": ExportFormat(".html", "text/html", _write_html),
    "csv": ExportFormat(".csv", "text/csv", _write_csv, "utf-8-sig"),
}
DEFAULT_FORMAT = "md"


def export_filename(fmt: str, generated_at: datetime, tz: ZoneInfo | None = None) -> str:
    """interview-practice-2026-11-26.md; the date is local to `tz` when given."""
    moment = generated_at.astimezone(tz) if tz is not None else generated_at
    return f"interview-practice-{moment:%Y-%m-%d}{EXPORT_FORMATS[fmt].suffix}"


# ---- the document as a temporary file ----


@dataclass(frozen=True, slots=True)
class ExportDocument:
    """A document written to a temporary file; whoever holds it sends it and then removes it."""

    path: Path
    filename: str  # the name to send it under
    mime_type: str
    size: int  # bytes

    def open(self) -> IO[bytes]:
        return self.path.open("rb")

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _temp_path(suffix: str, directory: Path | None) -> Path:
    # mkstemp creates the file readable by this user only: it holds someone's answers.
    handle, name = tempfile.mkstemp(prefix="interview-export-", suffix=suffix, dir=directory)
    os.close(handle)
    return Path(name)


def _zip(plain: Path, filename: str, generated_at: datetime, tz: ZoneInfo, directory: Path | None) -> Path:
    """The plain file as the one entry of a zip, copied through in chunks."""
    path = _temp_path(".zip", directory)
    try:
        entry = zipfile.ZipInfo(filename, _local(generated_at, tz).timetuple()[:6])
        # A ZipInfo carries its own compression (stored by default), so name it here.
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.file_size = plain.stat().st_size  # lets zipfile decide on ZIP64 up front
        with (
            zipfile.ZipFile(path, "w") as archive,
            plain.open("rb") as source,
            archive.open(entry, "w") as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def write_export(
    fmt: str,
    entries: Sequence[ExportEntry],
    fetch: SyncFetcher,
    *,
    user_name: str,
    generated_at: datetime,
    tz: ZoneInfo,
    limit: int = UPLOAD_LIMIT_BYTES,
    directory: Path | None = None,
) -> ExportDocument | None:
    """The document in a temporary file, ready to upload (sync and blocking: run it in a thread).

    A history too big for one upload (thousands of answers near MAX_ANSWER_CHARS) is sent as a
    zip of the same file, since text compresses several times over; None if even that won't fit.
    No file is left behind when it returns None or raises.
    """
    spec = EXPORT_FORMATS[fmt]
    filename = export_filename(fmt, generated_at, tz)
    plain = _temp_path(spec.suffix, directory)
    keep = False
    try:
        with plain.open("w", encoding=spec.encoding, errors="replace", newline="") as out:
            spec.write(out, entries, fetch, user_name=user_name, generated_at=generated_at, tz=tz)
        size = plain.stat().st_size
        if size <= limit:
            keep = True
            return ExportDocument(plain, filename, spec.mime_type, size)
        zipped = _zip(plain, filename, generated_at, tz, directory)
        zipped_size = zipped.stat().st_size
        if zipped_size > limit:
            zipped.unlink()
            return None
        return ExportDocument(
            zipped, filename.removesuffix(spec.suffix) + ".zip", "application/zip", zipped_size
        )
    finally:
        if not keep:
            plain.unlink(missing_ok=True)


class ExportAbandoned(Exception):
    """The front end stopped waiting for the document (its task was cancelled)."""


def _discard(work: "asyncio.Future[ExportDocument | None]") -> None:
    if not work.cancelled() and work.exception() is None and (document := work.result()) is not None:
        document.remove()


async def export_to_file(
    fmt: str, plan: ExportPlan, *, limit: int = UPLOAD_LIMIT_BYTES, directory: Path | None = None
) -> ExportDocument | None:
    """Draw the plan's document into a temporary file without holding the event loop.

    The drawing runs in a worker thread; each chunk of rows it needs is fetched by the plan on
    this loop (one short read), so other users' updates are handled in between. If the caller
    is cancelled, the thread stops at its next chunk and no file is left behind.
    """
    loop = asyncio.get_running_loop()
    abandoned = threading.Event()

    def fetch(ids: Collection[int]) -> Mapping[int, ExportRow]:
        if abandoned.is_set():
            raise ExportAbandoned
        return asyncio.run_coroutine_threadsafe(plan.fetch(ids), loop).result()

    def work() -> ExportDocument | None:
        return write_export(
            fmt,
            plan.entries,
            fetch,
            user_name=plan.user_name,
            generated_at=plan.generated_at,
            tz=plan.tz,
            limit=limit,
            directory=directory,
        )

    future = loop.run_in_executor(None, work)
    try:
        # Shielded: a cancelled caller must not orphan a file the thread goes on to write.
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        abandoned.set()
        future.add_done_callback(_discard)
        raise


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    mime_type: str
    data: bytes


def build_export(
    fmt: str,
    rows: Sequence[ExportRow],
    *,
    user_name: str,
    generated_at: datetime,
    tz: ZoneInfo,
    limit: int = UPLOAD_LIMIT_BYTES,
) -> ExportFile | None:
    """The document for rows already in memory, as bytes (small histories and tests); drawn
    through the same temporary file as `write_export`."""
    entries, fetch = _in_memory(rows)
    document = write_export(
        fmt, entries, fetch, user_name=user_name, generated_at=generated_at, tz=tz, limit=limit
    )
    if document is None:
        return None
    try:
        return ExportFile(document.filename, document.mime_type, document.path.read_bytes())
    finally:
        document.remove()
