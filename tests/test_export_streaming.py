"""/export of a long history: read in pages and chunks, drawn into a temporary file, removed after.

The documents drawn from the database a chunk at a time must be byte for byte the documents drawn
in memory from the same rows (tests/test_export.py checks those), for histories longer than one
outline page and many fetch chunks; no temporary file may outlive the export.
"""

import asyncio
import contextlib
import csv
import io
import tempfile
import zipfile
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, insert

from bot.config import Settings
from bot.core.export import FETCH_CHUNK, OUTLINE_PAGE, ExportEntry, ExportPlan, ExportRow, NothingToExport
from bot.core.interview import Identity
from bot.core.rating import Rating
from bot.core.services import Services
from bot.present.export import EXPORT_FORMATS, export_to_file, write_export
from questions.loader import QuestionBank
from storage.history_repositories import export_outline_query, export_rows_query, query_plan
from storage.models import Answer
from storage.repositories import UserRepository
from tests.conftest import FakeClock, running_bot
from tests.fake_telegram import FakeTelegram
from tests.test_e2e_progress import core, interview_answers, who

ANN = Identity("tg:3001", 3001, "Ann")
BOB = Identity("tg:3002", 3002, "Bob")
# More than one outline page, many fetch chunks; three answers share each timestamp, so ties
# straddle the page boundary (rows 1998-2000) and the keyset must break them by id.
COUNT = OUTLINE_PAGE + 2 * FETCH_CHUNK + 17
START = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


async def seed(services: Services, bank: QuestionBank) -> list[ExportRow]:
    """COUNT answers of Ann's (Bob's in between), as the export must show them, oldest first."""
    questions = list(bank.questions)[:7]
    expected: list[ExportRow] = []
    async with services.db.transaction() as conn:
        ann, _ = await UserRepository(conn).upsert(ANN.external_id, ANN.chat_id, "Ann", START)
        bob, _ = await UserRepository(conn).upsert(BOB.external_id, BOB.chat_id, "Bob", START)
        values = []
        for i in range(COUNT):
            at = START + timedelta(minutes=i // 3)
            question = None if i % 50 == 7 else questions[(i * i) % len(questions)]
            question_id = "gone-question" if question is None else question.id
            covered = (0, 2, 99) if i % 4 == 0 else ()  # 99: a point the question no longer has
            rating = (None, 1, 3, 4)[i % 4]
            text = f"Answer {i}: scope | risks & <b>budget</b>\n# not a heading\n=SUM(A{i})"
            values.append(
                {
                    "user_id": ann.id,
                    "question_id": question_id,
                    "text": text,
                    "word_count": 9,
                    "covered": list(covered),
                    "points_total": 5,
                    "asked_at": at,
                    "answered_at": at,
                    "seconds_taken": i % 4000,
                    "rating": rating,
                }
            )
            if i % 500 == 0:
                values.append({**values[-1], "user_id": bob.id, "text": f"Bob's answer {i}"})
            labels = [] if question is None else [tp.label for tp in question.talking_points]
            expected.append(
                ExportRow(
                    at,
                    question_id,
                    None if question is None else question.topic_name,
                    None if question is None else question.text,
                    text,
                    tuple(label for n, label in enumerate(labels) if n in covered),
                    tuple(label for n, label in enumerate(labels) if n not in covered),
                    None if rating is None else Rating(rating),
                    9,
                    i % 4000,
                )
            )
        await conn.execute(insert(Answer), values)
    return expected


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A folder for the export's temporary files only (tmp_path holds the database too)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def listing(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


async def ann_plan(services: Services) -> ExportPlan:
    plan = await services.exports.plan(ANN)
    assert isinstance(plan, ExportPlan)
    return plan


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
async def test_a_long_history_streams_into_the_same_document(
    services: Services, bank: QuestionBank, scratch: Path, fmt: str
) -> None:
    expected = await seed(services, bank)
    plan = await ann_plan(services)
    assert len(plan.entries) == COUNT

    document = await export_to_file(fmt, plan, directory=scratch)

    assert document is not None
    assert document.filename == f"interview-practice-2026-03-02.{fmt}"
    assert listing(scratch) == [document.path] and document.size == document.path.stat().st_size
    data = document.path.read_bytes()
    document.remove()
    assert listing(scratch) == []
    spec = EXPORT_FORMATS[fmt]
    assert data == spec.render(expected, user_name="Ann", generated_at=plan.generated_at, tz=plan.tz)
    text = data.decode("utf-8-sig")
    assert "Bob's answer" not in text
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(text, newline="")))
        assert len(table) == COUNT + 1
        assert table[1][3] == expected[0].answer and table[-1][3] == expected[-1].answer
        assert table[1][3].startswith("Answer 0:") and table[-1][3].startswith(f"Answer {COUNT - 1}:")
    elif fmt == "md":
        assert text.count("\n#### ") == COUNT and text.endswith("\n") and not text.endswith("\n\n")
        # i * i % 7 takes four values (the quadratic residues), plus the question gone from the bank.
        assert f": {COUNT} answers to 5 questions." in text
    else:
        assert text.count('<article class="attempt">') == COUNT


async def test_a_document_too_big_for_one_upload_is_zipped_and_only_the_zip_is_left(
    services: Services, bank: QuestionBank, scratch: Path
) -> None:
    expected = await seed(services, bank)
    plan = await ann_plan(services)
    plain = EXPORT_FORMATS["csv"].render(
        expected, user_name="Ann", generated_at=plan.generated_at, tz=plan.tz
    )

    document = await export_to_file("csv", plan, limit=len(plain) - 1, directory=scratch)

    assert document is not None
    assert (document.filename, document.mime_type) == ("interview-practice-2026-03-02.zip", "application/zip")
    assert listing(scratch) == [document.path]
    with zipfile.ZipFile(document.path) as archive:
        assert archive.read("interview-practice-2026-03-02.csv") == plain
    document.remove()
    # Not even the zip fits: nothing to send, and nothing left on disk.
    assert await export_to_file("csv", plan, limit=1_000, directory=scratch) is None
    assert listing(scratch) == []


async def test_an_answer_deleted_after_the_outline_is_left_out(
    services: Services, bank: QuestionBank, scratch: Path
) -> None:
    expected = await seed(services, bank)
    plan = await ann_plan(services)
    async with services.db.transaction() as conn:
        await conn.execute(delete(Answer).where(Answer.text == expected[1500].answer))

    document = await export_to_file("csv", plan, directory=scratch)

    assert document is not None
    table = list(csv.reader(io.StringIO(document.path.read_text("utf-8-sig"), newline="")))
    document.remove()
    answers = [r[3] for r in table[1:]]
    assert len(answers) == COUNT - 1 and expected[1500].answer not in answers


async def test_a_cancelled_export_leaves_no_file(
    services: Services, bank: QuestionBank, scratch: Path
) -> None:
    await seed(services, bank)
    plan = await ann_plan(services)
    reached, go_on = asyncio.Event(), asyncio.Event()

    async def paused(ids: Collection[int]) -> Mapping[int, ExportRow]:
        reached.set()
        await go_on.wait()
        return await plan.fetch(ids)

    held = ExportPlan(plan.entries, paused, plan.user_name, plan.generated_at, plan.tz)
    task = asyncio.create_task(export_to_file("md", held, directory=scratch))
    await reached.wait()
    assert len(listing(scratch)) == 1  # the file being drawn
    task.cancel()
    go_on.set()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    # The worker thread stops at its next chunk and removes its file.
    for _ in range(500):
        if not listing(scratch):
            break
        await asyncio.sleep(0.01)
    assert listing(scratch) == []


async def test_nothing_to_export_for_an_unknown_user_or_one_without_answers(services: Services) -> None:
    assert isinstance(await services.exports.plan(ANN), NothingToExport)
    async with services.db.transaction() as conn:
        await UserRepository(conn).upsert(ANN.external_id, ANN.chat_id, "Ann", START)
    assert isinstance(await services.exports.plan(ANN), NothingToExport)


def test_a_failing_fetch_leaves_no_file(scratch: Path) -> None:
    row = ExportRow(START, "q", "Topic", "Question?", "answer", (), (), None, 1, 1)
    entries = [ExportEntry(i, "q", "Topic", "Question?", 0, 0) for i in range(FETCH_CHUNK + 1)]

    def fetch(ids: Collection[int]) -> Mapping[int, ExportRow]:
        if max(ids) >= FETCH_CHUNK:
            raise OSError("the database went away")
        return dict.fromkeys(ids, row)

    with pytest.raises(OSError, match="went away"):
        write_export(
            "csv", entries, fetch, user_name="Ann", generated_at=START, tz=ZoneInfo("UTC"), directory=scratch
        )
    assert listing(scratch) == []


@pytest.mark.sqlite_only  # SQLite's query plans (PostgreSQL's depend on table statistics)
async def test_export_queries_walk_indexes(services: Services) -> None:
    statements = {
        "first outline page": export_outline_query(1, None, OUTLINE_PAGE),
        "next outline page": export_outline_query(1, (START, 42), OUTLINE_PAGE),
    }
    async with services.db.transaction() as conn:
        for name, stmt in statements.items():
            text = "\n".join(await query_plan(conn, stmt))
            # COVERING since migration 0009: the outline is read from the index alone.
            assert "INDEX ix_answer_user_answered" in text and "TEMP B-TREE" not in text, (name, text)
        rows = "\n".join(await query_plan(conn, export_rows_query(1, [5, 3, 9])))
    assert "USING INTEGER PRIMARY KEY" in rows and "SCAN" not in rows, rows


async def test_the_bot_sends_the_export_from_a_file_it_then_removes(
    fake: FakeTelegram,
    bot_settings: Settings,
    bank: QuestionBank,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    ann = fake.user(3001, "Ann")
    async with core(bot_settings, bank, clock) as services:
        await interview_answers(services, clock, who(ann), ["first answer", "second answer"])
    async with running_bot(bot_settings, bank, clock):
        for fmt in ("md", "csv"):
            before = len(fake.files(ann.id))
            fake.send_text(ann, f"/export {fmt}")
            await fake.wait_for(lambda n=before: len(fake.files(ann.id)) == n + 1)  # type: ignore[misc]
            sent = fake.files(ann.id)[-1]
            assert sent.filename == f"interview-practice-2026-03-02.{fmt}"
            assert b"second answer" in (sent.file_bytes or b"")
            await fake.wait_for(lambda: fake.pending_updates() == 0 and fake.waiting_polls >= 1)
            await fake.wait_for(lambda: not listing(scratch))
    assert listing(scratch) == []
