"""/export's documents: Markdown, a self-contained HTML page, or CSV, zipped when too big.

Rendering is sync, pure and linear in the number of answers, so a front end can run it in a
thread (asyncio.to_thread) without blocking the event loop. The rows come from the core
(bot.core.export.ExportService).
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.export import ExportRow
from bot.core.feedback import Feedback
from bot.present.labels import POINT_NOT_COUNTED, REMOVED_TOPIC, rating_label, removed_question
from bot.present.render import render_document

# Telegram bots may upload documents of up to 50 MB; stay under the decimal reading of it.
UPLOAD_LIMIT_BYTES = 50_000_000


# ---- the shape both documents render: answers grouped by question, topics totalled ----


@dataclass(frozen=True, slots=True)
class _Attempt:
    row: ExportRow
    local: str  # "2026-03-02 10:00" in the user's zone
    iso: str  # for <time datetime=...>
    rating: str | None  # the rating's label


@dataclass(slots=True)
class _Group:
    number: int
    topic: str
    question: str
    attempts: list[_Attempt] = field(default_factory=list)


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


def _topic(row: ExportRow) -> str:
    return REMOVED_TOPIC if row.topic is None else row.topic


def _question(row: ExportRow) -> str:
    return removed_question(row.question_id) if row.question is None else row.question


def _document(rows: Iterable[ExportRow], user_name: str, generated_at: datetime, tz: ZoneInfo) -> _Document:
    """One pass over the rows: questions in the order first answered, attempts oldest first."""
    ordered = sorted(rows, key=lambda r: r.answered_at)
    groups: dict[tuple[str, str], _Group] = {}
    topics: dict[str, _TopicTotal] = {}
    for row in ordered:
        topic, question = _topic(row), _question(row)
        group = groups.get((topic, question))
        if group is None:
            group = groups[(topic, question)] = _Group(len(groups) + 1, topic, question)
        local = _local(row.answered_at, tz)
        group.attempts.append(
            _Attempt(row, f"{local:%Y-%m-%d %H:%M}", local.isoformat(timespec="seconds"), _label(row))
        )
        total = topics.get(topic)
        if total is None:
            total = topics[topic] = _TopicTotal(topic)
        total.answers += 1
        total.covered += len(row.covered)
        total.points += len(row.covered) + len(row.missed)
    return _Document(
        user_name=user_name,
        generated=f"{_local(generated_at, tz):%Y-%m-%d %H:%M}",
        zone=tz.key,
        total=len(ordered),
        groups=list(groups.values()),
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


def to_markdown(rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo) -> bytes:
    document = _document(rows, user_name, generated_at, tz)
    text = render_document(
        "export/page.md.j2", doc=document, inline=md_inline, quote=md_quote, analysis=analysis_lines
    )
    return (text.rstrip("\n") + "\n").encode("utf-8", errors="replace")


# ---- HTML ----


def to_html(rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo) -> bytes:
    """A self-contained page: inline CSS, no scripts; autoescape escapes every text."""
    document = _document(rows, user_name, generated_at, tz)
    return render_document("export/page.html.j2", doc=document).encode("utf-8", errors="replace")


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


def to_csv(rows: Sequence[ExportRow], tz: ZoneInfo) -> bytes:
    """One row per answer, oldest first; UTF-8 with a BOM so spreadsheets detect the encoding."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in sorted(rows, key=lambda r: r.answered_at):
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
    return buffer.getvalue().encode("utf-8-sig", errors="replace")


# ---- formats ----


class Renderer(Protocol):
    def __call__(
        self, rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo
    ) -> bytes: ...


def _csv_document(
    rows: Sequence[ExportRow], *, user_name: str, generated_at: datetime, tz: ZoneInfo
) -> bytes:
    return to_csv(rows, tz)


@dataclass(frozen=True, slots=True)
class ExportFormat:
    suffix: str
    mime_type: str
    # One call shape for every format, so a front end needs no per-format branches.
    render: Renderer


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "md": ExportFormat(".md", "text/markdown", to_markdown),
    "html": ExportFormat(".html", "text/html", to_html),
    "csv": ExportFormat(".csv", "text/csv", _csv_document),
}
DEFAULT_FORMAT = "md"


def export_filename(fmt: str, generated_at: datetime, tz: ZoneInfo | None = None) -> str:
    """interview-practice-2026-11-26.md; the date is local to `tz` when given."""
    moment = generated_at.astimezone(tz) if tz is not None else generated_at
    return f"interview-practice-{moment:%Y-%m-%d}{EXPORT_FORMATS[fmt].suffix}"


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
    """The document ready to upload (sync: run it in a thread).

    A history too big for one upload (thousands of answers near MAX_ANSWER_CHARS) is sent as
    a zip of the same file, since text compresses several times over; None if even that won't fit.
    """
    spec = EXPORT_FORMATS[fmt]
    data = spec.render(rows, user_name=user_name, generated_at=generated_at, tz=tz)
    filename = export_filename(fmt, generated_at, tz)
    if len(data) <= limit:
        return ExportFile(filename, spec.mime_type, data)
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(filename, _local(generated_at, tz).timetuple()[:6])
    with zipfile.ZipFile(buffer, "w") as archive:
        # A ZipInfo carries its own compression (stored by default), so name it here.
        archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    zipped = buffer.getvalue()
    if len(zipped) > limit:
        return None
    return ExportFile(filename.removesuffix(spec.suffix) + ".zip", "application/zip", zipped)
