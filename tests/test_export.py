"""/export's documents: Markdown, HTML and CSV rendering, and loading a user's rows."""

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from bot.core.export import (
    ExportData,
    ExportRow,
    NothingToExport,
    load_export_rows,
)
from bot.core.feedback import FeedbackMatcher
from bot.core.interview import Answered, Identity, Started
from bot.core.rating import Rating
from bot.core.services import Services
from bot.present.export import (
    CSV_HEADER,
    EXPORT_FORMATS,
    UPLOAD_LIMIT_BYTES,
    build_export,
    export_filename,
    md_inline,
    md_quote,
    to_csv,
    to_html,
    to_markdown,
)
from questions.loader import QuestionBank
from storage.records import NewAnswer
from storage.repositories import AnswerRepository, UserRepository
from tests.conftest import FakeClock

BERLIN = ZoneInfo("Europe/Berlin")
GENERATED = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
NASTY = (
    "# not a heading\n"
    "| a | b |\n"
    "|---|---|\n"
    "```\n"
    "## escaped the fence?\n"
    "```\n"
    "<script>alert(1)</script> & &amp; $5 and $6\n"
    "    indented code?\n"
    "- list item\n"
    "1. ordered\n"
    "===\n"
    "> quoted\n"
    "*bold* _it_ [link](http://x.test) ~~gone~~ \\ backslash"
)


def row(
    answer: str,
    *,
    at: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    topic: str | None = "Agile and Scrum",
    question: str | None = "How do you run a sprint review?",
    question_id: str = "sprint-review",
    covered: tuple[str, ...] = ("Demo working software",),
    missed: tuple[str, ...] = ("Invite stakeholders", "Update the backlog"),
    rating: Rating | int | None = Rating.GOOD,
    words: int = 42,
    seconds: int = 95,
) -> ExportRow:
    return ExportRow(at, question_id, topic, question, answer, covered, missed, rating, words, seconds)


def markdown(rows: list[ExportRow], user_name: str = "Ann") -> str:
    data = to_markdown(rows, user_name=user_name, generated_at=GENERATED, tz=BERLIN)
    return data.decode("utf-8")


# ---------------------------------------------------------------- Markdown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words, with commas.", "plain words, with commas."),
        ("# heading", "\\# heading"),
        ("a | b", "a \\| b"),
        ("```", "\\`\\`\\`"),
        ("<b>bold</b> & more", "\\<b\\>bold\\</b\\> \\& more"),
        ("*x* _y_ ~z~", "\\*x\\* \\_y\\_ \\~z\\~"),
        ("[t](u) ![i](j)", "\\[t\\](u) !\\[i\\](j)"),
        ("$5 budget", "\\$5 budget"),
        ("back\\slash", "back\\\\slash"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("=== underline", "\\=== underline"),
        ("12. ordered", "12\\. ordered"),
        ("3) ordered", "3\\) ordered"),
        ("2026 was a year", "2026 was a year"),
        ("two\nlines  and   spaces", "two lines and spaces"),
        ("emoji 🚀 and עברית", "emoji 🚀 and עברית"),
    ],
)
def test_md_inline_escapes_markup(text: str, expected: str) -> None:
    assert md_inline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one line", "> one line"),
        ("first\nsecond", "> first  \n> second"),
        ("para one\n\n\n\npara two", "> para one\n>\n> para two"),
        ("```\ncode\n```", "> \\`\\`\\`  \n> code  \n> \\`\\`\\`"),
        ("    indented", "> indented"),
        ("# title\n> quote\n- item", "> \\# title  \n> \\> quote  \n> \\- item"),
        ("\n\ntrailing blank lines\n\n", "> trailing blank lines"),
    ],
)
def test_md_quote_keeps_lines_and_starts_no_block(text: str, expected: str) -> None:
    assert md_quote(text) == expected


def test_markdown_document_structure() -> None:
    q1, q2 = "How do you run a sprint review?", "How do you size | estimate *work*?"
    rows = [
        row("first try", question=q1, rating=None, seconds=30),
        row("second topic", at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC), topic="Risk | Issues", question=q2),
        row(NASTY, at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC), question=q1, seconds=3725, words=1),
    ]
    text = markdown(rows, user_name="Ann <b>")
    lines = text.splitlines()
    assert lines[0] == "# Interview practice: Ann \\<b\\>"
    assert lines[2] == "Exported 2026-11-26 09:30 (Europe/Berlin): 3 answers to 2 questions."
    assert text.endswith("\n") and not text.endswith("\n\n")
    # Only our own headings: one title, two sections, one per question, one per answer.
    assert [line for line in lines if line.startswith("#")] == [
        "# Interview practice: Ann \\<b\\>",
        "## Topics",
        "## Answers",
        "### 1. How do you run a sprint review?",
        "#### 2026-03-02 10:00 · not rated · 42 words · 30 s",
        "#### 2026-03-05 00:30 · rated Good · 1 word · 1 h 02 min",
        "### 2. How do you size \\| estimate \\*work\\*?",
        "#### 2026-03-03 10:00 · rated Good · 42 words · 1 min 35 s",
    ]
    # The topic table: every row has exactly four unescaped pipes.
    table = [line for line in lines if line.startswith("| ")]
    assert table == [
        "| Topic | Answers | Talking points covered |",
        "| :--- | ---: | ---: |",
        "| Agile and Scrum | 2 | 33% (2 of 6) |",
        "| Risk \\| Issues | 1 | 33% (1 of 3) |",
    ]
    assert all(line.replace("\\|", "").count("|") == 4 for line in table)
    assert "*Agile and Scrum* · 2 attempts" in lines
    assert lines.count("- Covered: Demo working software") == 3
    assert lines.count("- Missed: Invite stakeholders; Update the backlog") == 3


def test_markdown_answer_stays_inside_its_quote() -> None:
    text = markdown([row(NASTY)])
    lines = text.splitlines()
    start = lines.index("#### 2026-03-02 10:00 · rated Good · 42 words · 1 min 35 s") + 2
    end = lines.index("- Covered: Demo working software") - 1
    block = lines[start:end]
    assert lines[end] == ""
    assert len(block) == len(NASTY.splitlines())
    assert all(line == ">" or line.startswith("> ") for line in block)
    assert block[:6] == [
        "> \\# not a heading  ",
        "> \\| a \\| b \\|  ",
        "> \\|---\\|---\\|  ",  # no longer a table's delimiter row
        "> \\`\\`\\`  ",
        "> \\#\\# escaped the fence?  ",
        "> \\`\\`\\`  ",
    ]
    assert block[6] == "> \\<script\\>alert(1)\\</script\\> \\& \\&amp; \\$5 and \\$6  "
    assert block[7:] == [
        "> indented code?  ",
        "> \\- list item  ",
        "> 1\\. ordered  ",
        "> \\===  ",
        "> \\> quoted  ",
        "> \\*bold\\* \\_it\\_ \\[link\\](http://x.test) \\~\\~gone\\~\\~ \\\\ backslash",
    ]
    # Nothing outside the quote can open a fence, a block of HTML or a heading from the answer.
    assert not any(line.startswith(("```", "<", "## escaped")) for line in lines)


def test_markdown_for_a_user_without_answers() -> None:
    assert markdown([]) == (
        "# Interview practice: Ann\n\nExported 2026-11-26 09:30 (Europe/Berlin). No answers yet. "
        "/interview starts a mock interview, and your answers will show up here.\n"
    )


# ---------------------------------------------------------------- HTML


class PageParser(HTMLParser):
    """Records every element, checks nesting, and collects the text of each answer."""

    VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.answers: list[str] = []
        self.style = ""
        self.title = ""
        self._answer: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "div" and ("class", "answer") in attrs:
            self._answer = []

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "div" and self._answer is not None:
            self.answers.append("".join(self._answer))
            self._answer = None

    def handle_data(self, data: str) -> None:
        if self._answer is not None:
            self._answer.append(data)
        if self.stack and self.stack[-1] == "style":
            self.style += data
        if self.stack and self.stack[-1] == "title":
            self.title += data


def parse_page(data: bytes) -> PageParser:
    parser = PageParser()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return parser


def test_html_page_is_well_formed_and_escapes_user_text() -> None:
    answers = [
        NASTY,
        "<script>alert(1)</script>",
        'emoji 🚀, שלום and "quotes" & <img src=x onerror=alert(1)>',
    ]
    rows = [
        row(text, at=datetime(2026, 3, 2 + i, 9, 0, tzinfo=UTC), question=f"Q{i} <i>?</i>")
        for i, text in enumerate(answers)
    ]
    data = to_html(rows, user_name="</title><script>x()</script>", generated_at=GENERATED, tz=BERLIN)
    page = parse_page(data)
    assert page.errors == [] and page.stack == []
    assert page.tags[:2] == ["html", "head"]
    # User text arrives as text, exactly, and never as an element.
    assert page.answers == answers
    assert page.title == "Interview practice: </title><script>x()</script>"
    assert not {"script", "img", "iframe", "object", "embed", "link", "i"} & set(page.tags)
    assert not any(name.startswith("on") for name, _ in page.attrs)
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in data
    assert page.tags.count("article") == 3 and page.tags.count("h2") == 3


def test_html_page_is_self_contained() -> None:
    data = to_html(
        [row("a link to https://example.com in an answer")],
        user_name="Ann",
        generated_at=GENERATED,
        tz=BERLIN,
    )
    page = parse_page(data)
    assert "style" in page.tags and "white-space: pre-wrap" in page.style
    values = [value or "" for _, value in page.attrs]
    assert not any("http:" in v or "https:" in v or v.startswith("//") for v in values)
    assert "@import" not in page.style and "url(" not in page.style
    assert ("content", "default-src 'none'; style-src 'unsafe-inline'") in page.attrs
    assert ("href", "#q1") in page.attrs and ("id", "q1") in page.attrs
    assert ("datetime", "2026-03-02T10:00:00+01:00") in page.attrs


def test_html_for_a_user_without_answers() -> None:
    page = parse_page(to_html([], user_name="Ann", generated_at=GENERATED, tz=BERLIN))
    assert page.errors == [] and "article" not in page.tags and "table" not in page.tags


# ---------------------------------------------------------------- CSV


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("answer", "cell"),
    [
        ('commas, "quotes", and ""doubled""', 'commas, "quotes", and ""doubled""'),
        ("line one\nline two\n\nline four", "line one\nline two\n\nline four"),
        ("emoji 🚀👩‍💻 and flags 🇩🇪", "emoji 🚀👩‍💻 and flags 🇩🇪"),
        ("مرحبا بالعالم, RTL with שלום", "مرحبا بالعالم, RTL with שלום"),
        ('=HYPERLINK("http://evil.test","x")', '\'=HYPERLINK("http://evil.test","x")'),
        ("+1 sum", "'+1 sum"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("a = b is fine mid-cell", "a = b is fine mid-cell"),
    ],
)
def test_csv_round_trips_and_guards_formulas(answer: str, cell: str) -> None:
    table = read_csv(to_csv([row(answer)], BERLIN))
    assert table == [
        list(CSV_HEADER),
        [
            "2026-03-02T10:00:00+01:00",
            "Agile and Scrum",
            "How do you run a sprint review?",
            cell,
            "Demo working software",
            "Invite stakeholders; Update the backlog",
            "Good",
            "42",
            "95",
            "",  # a row without a stored analysis: no evidence, nothing "not counted"
            "",
        ],
    ]


def test_csv_rows_are_chronological_and_local() -> None:
    rows = [
        row("later", at=datetime(2026, 7, 1, 22, 15, tzinfo=UTC), rating=None, covered=(), topic="=Risk"),
        row("earlier", at=datetime(2026, 1, 1, 23, 0, tzinfo=UTC), missed=()),
    ]
    table = read_csv(to_csv(rows, BERLIN))
    assert [r[0] for r in table[1:]] == ["2026-01-02T00:00:00+01:00", "2026-07-02T00:15:00+02:00"]
    assert [r[3] for r in table[1:]] == ["earlier", "later"]
    assert table[1][4:7] == ["Demo working software", "", "Good"]
    assert table[2][1] == "'=Risk" and table[2][4:7] == ["", "Invite stakeholders; Update the backlog", ""]
    assert read_csv(to_csv([], BERLIN)) == [list(CSV_HEADER)]


def test_documents_word_a_question_no_longer_in_the_bank() -> None:
    gone = "(question gone-question is no longer in the question bank)"
    rows = [
        row("old", question_id="gone-question", topic=None, question=None, covered=(), missed=()),
        row(
            "older still",
            at=datetime(2026, 3, 1, tzinfo=UTC),
            question_id="gone-question",
            topic=None,
            question=None,
        ),
        row("current"),
    ]
    md = markdown(rows)
    assert f"### 1. {gone}\n\n*Unknown topic* · 2 attempts" in md
    assert "### 2. How do you run a sprint review?" in md
    page = to_html(rows, user_name="Ann", generated_at=GENERATED, tz=BERLIN).decode()
    assert f'<h2><span class="n">1.</span> {gone}</h2>' in page
    assert '<p class="topic">Unknown topic · 2 attempts</p>' in page
    table = read_csv(to_csv(rows, BERLIN))
    assert [r[1:3] for r in table[1:]] == [
        ["Unknown topic", gone],
        ["Unknown topic", gone],
        ["Agile and Scrum", "How do you run a sprint review?"],
    ]


# ---------------------------------------------------------------- formats and files


@pytest.mark.parametrize(
    ("fmt", "suffix", "mime_type"),
    [("md", ".md", "text/markdown"), ("html", ".html", "text/html"), ("csv", ".csv", "text/csv")],
)
def test_formats_name_their_files(fmt: str, suffix: str, mime_type: str) -> None:
    spec = EXPORT_FORMATS[fmt]
    assert (spec.suffix, spec.mime_type) == (suffix, mime_type)
    assert export_filename(fmt, GENERATED) == f"interview-practice-2026-11-26{suffix}"
    # 23:30 UTC is already the next day in Berlin.
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert export_filename(fmt, late, BERLIN) == f"interview-practice-2026-11-27{suffix}"
    built = build_export(fmt, [row("hi")], user_name="Ann", generated_at=GENERATED, tz=BERLIN)
    assert built is not None
    assert (built.filename, built.mime_type) == (f"interview-practice-2026-11-26{suffix}", mime_type)
    assert built.data == spec.render([row("hi")], user_name="Ann", generated_at=GENERATED, tz=BERLIN)


def test_a_document_too_big_to_upload_is_zipped() -> None:
    rows = [row("stakeholders and risks " * 200, at=GENERATED - timedelta(days=i)) for i in range(50)]
    plain = to_csv(rows, BERLIN)
    built = build_export(
        "csv", rows, user_name="Ann", generated_at=GENERATED, tz=BERLIN, limit=len(plain) - 1
    )
    assert built is not None
    assert (built.filename, built.mime_type) == ("interview-practice-2026-11-26.zip", "application/zip")
    assert len(built.data) < len(plain) // 10
    with zipfile.ZipFile(io.BytesIO(built.data)) as archive:
        assert archive.namelist() == ["interview-practice-2026-11-26.csv"]
        assert archive.read("interview-practice-2026-11-26.csv") == plain
    assert build_export("csv", rows, user_name="Ann", generated_at=GENERATED, tz=BERLIN, limit=100) is None


def test_five_thousand_answers_fit_one_upload() -> None:
    # About 250 words an answer, in several scripts, with every character we escape.
    answer = ("In my last role I aligned stakeholders | risks & budget <b>, then shipped 🚀; ") * 20
    answer += "\nمرحبا بالعالم — Привет, мир\n# not a heading\n```\n=SUM(A1)"
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows = [
        row(answer, at=start + timedelta(hours=5 * i), question=f"Question {i % 150}?", words=250)
        for i in range(5000)
    ]
    md = to_markdown(rows, user_name="Ann", generated_at=GENERATED, tz=BERLIN)
    html = to_html(rows, user_name="Ann", generated_at=GENERATED, tz=BERLIN)
    table = to_csv(rows, BERLIN)
    for data in (md, html, table):
        assert 5000 * len(answer) < len(data) < UPLOAD_LIMIT_BYTES
    assert md.decode().count("\n#### ") == 5000 and md.decode().count("\n### ") == 150
    assert parse_page(html).tags.count("article") == 5000
    assert len(read_csv(table)) == 5001


# ---------------------------------------------------------------- loading from the database

ANN = Identity("tg:2001", 2001, "Ann")
BOB = Identity("tg:2002", 2002, "Bob")


async def test_load_export_rows_returns_this_users_answers_oldest_first(
    services: Services, clock: FakeClock
) -> None:
    bank = services.bank
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    prompt = started.prompt
    answered: list[Answered] = []
    for n, seconds in enumerate((40, 75, 12)):
        clock.advance(seconds=seconds)
        points = " and ".join(tp.match[0] for tp in prompt.question.talking_points[:n])
        result = await services.interviews.answer(ANN, f"Answer {n}: I would {points}, <b>|</b>")
        assert isinstance(result, Answered) and result.next is not None
        answered.append(result)
        prompt = result.next
    assert await services.interviews.rate(ANN, answered[1].answer_id, Rating.GOOD) is not None
    # Bob's answer is given in between and must not show up in Ann's export.
    bob = await services.interviews.start(BOB)
    assert isinstance(bob, Started)
    clock.advance(seconds=5)
    assert isinstance(await services.interviews.answer(BOB, "Bob's answer"), Answered)
    # An answer to a question since removed from the bank keeps its row.
    async with services.db.transaction() as conn:
        user = await UserRepository(conn).get(ANN.external_id)
        assert user is not None
        await AnswerRepository(conn).add(
            NewAnswer(
                user.id,
                None,
                None,
                "gone-question",
                "an old answer",
                3,
                (0, 1),
                2,
                clock.now,
                clock.advance(minutes=1),
                60,
                None,
            )
        )

    rows = await load_export_rows(services.db, bank, ANN.external_id)

    assert [r.answer for r in rows] == [
        "Answer 0: I would , <b>|</b>",
        f"Answer 1: I would {answered[1].question.talking_points[0].match[0]}, <b>|</b>",
        "Answer 2: I would "
        + " and ".join(tp.match[0] for tp in answered[2].question.talking_points[:2])
        + ", <b>|</b>",
        "an old answer",
    ]
    assert [r.answered_at for r in rows] == sorted(r.answered_at for r in rows)
    assert rows[0].answered_at == datetime(2026, 3, 2, 9, 0, 40, tzinfo=UTC)
    for got, result in zip(rows[:3], answered, strict=True):
        assert got.question == result.question.text
        assert got.topic == result.question.topic_name
        assert got.covered == tuple(result.feedback.covered_labels)
        assert got.missed == tuple(result.feedback.missed_labels)
        assert got.word_count == result.feedback.word_count
        assert got.seconds_taken == result.seconds_taken
        assert got.feedback == result.feedback  # the analysis stored at answer time
    assert [len(r.covered) for r in rows[:3]] == [0, 1, 2]
    assert [r.seconds_taken for r in rows] == [40, 75, 12, 60]
    assert [r.rating for r in rows] == [None, Rating.GOOD, None, None]
    # Its topic and question are not in the bank: the core says so, the documents word it.
    assert rows[3] == ExportRow(
        rows[3].answered_at,
        "gone-question",
        None,
        None,
        "an old answer",
        (),
        (),
        None,
        3,
        60,
    )
    assert [r.answer for r in await load_export_rows(services.db, bank, BOB.external_id)] == ["Bob's answer"]
    assert await load_export_rows(services.db, bank, "tg:404") == []


async def test_the_export_service_gives_rows_with_the_users_zone_and_time(
    services: Services, clock: FakeClock
) -> None:
    assert isinstance(await services.exports.rows(ANN), NothingToExport)
    started = await services.interviews.start(ANN)
    assert isinstance(started, Started)
    assert isinstance(await services.interviews.answer(ANN, "An answer"), Answered)
    await services.daily_settings.set_daily(ANN, "07:30", "Asia/Tokyo")

    data = await services.exports.rows(ANN)

    assert isinstance(data, ExportData)
    assert [r.answer for r in data.rows] == ["An answer"]
    assert (data.user_name, data.generated_at, data.tz) == ("Ann", clock.now, ZoneInfo("Asia/Tokyo"))
    assert isinstance(await services.exports.rows(BOB), NothingToExport)


NEGATED_CLOUD = (
    "First I would agree the business case and success criteria with a sponsor. Security, compliance. "
    "I would not bother with a pilot, we just go big bang."
)


def analysed_row(bank: QuestionBank) -> ExportRow:
    question = bank.by_id["cloud-begin-implementation"]
    feedback = FeedbackMatcher(bank.questions).assess(question, NEGATED_CLOUD)
    return ExportRow(
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        question.id,
        question.topic_name,
        question.text,
        NEGATED_CLOUD,
        tuple(feedback.covered_labels),
        tuple(feedback.missed_labels),
        None,
        feedback.word_count,
        30,
        feedback,
    )


def test_documents_show_the_stored_analysis(bank: QuestionBank) -> None:
    row_ = analysed_row(bank)
    assert row_.feedback is not None
    points = row_.feedback.points
    covered = [p for p in points if p.status == "covered"]
    negated = [p for p in points if p.status == "negated"]
    listed = [p for p in points if p.status == "listed"]
    missed = [p.label for p in points if p.status == "missed"]
    assert covered and negated and listed and missed

    md = markdown([row_])
    assert "- Covered: " + "; ".join(f"{p.label} (“{p.evidence}”)" for p in covered) in md
    assert f"{negated[0].label}: you said you wouldn't (“{negated[0].evidence}”)" in md
    assert f"{listed[0].label}: listed, not explained (“{listed[0].evidence}”)" in md
    assert "- Missed: " + "; ".join(missed) in md

    page = to_html([row_], user_name="Ann", generated_at=GENERATED, tz=BERLIN).decode()
    assert f'<li class="covered">{covered[0].label} <q>{covered[0].evidence}</q></li>' in page
    assert f'<li class="negated">{negated[0].label}: you said you wouldn&#39;t <q>' in page
    assert f'<li class="missed">{missed[0]}</li>' in page

    [header, cells] = read_csv(to_csv([row_], BERLIN))
    by_name = dict(zip(header, cells, strict=True))
    assert by_name["evidence"] == "; ".join(f"{p.label} (“{p.evidence}”)" for p in covered)
    assert f"{negated[0].label}: you said you wouldn't" in by_name["not_counted"]
    assert f"{listed[0].label}: listed, not explained" in by_name["not_counted"]
