"""Tests of the fake Bot API itself, driven by the real python-telegram-bot ``Bot`` and ``Application``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.conftest import http_client
from tests.fake_telegram import FakeTelegram, HtmlParseError, UploadedFile, parse_html

App = Application[Any, Any, Any, Any, Any, Any]
ANN = 42


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=http_client(256),
        get_updates_request=http_client(1),
    ) as client:
        yield client


@pytest.fixture
def ann_chat(fake: FakeTelegram) -> int:
    """Ann has written to the bot, so her private chat is known."""
    fake.send_text(fake.user(ANN, "Ann", "ann"), "hello")
    return ANN


def build_app(fake: FakeTelegram) -> App:
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


# ------------------------------------------------------------------------------ updates and polling


async def test_echo_round_trip_through_get_updates_with_offsets(fake: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = build_app(fake)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    ann = fake.user(ANN, "Ann")

    async with running(app):
        for text in ("one", "two", "three"):
            fake.send_text(ann, text)
        first = await fake.wait_for_messages(ANN, 3)
        await fake.wait_for(lambda: fake.pending_updates() == 0)
        fake.send_text(ann, "four")  # fed while the bot is long polling
        await fake.wait_for_messages(ANN, 4)

    assert [m.text for m in first] == ["echo: one", "echo: two", "echo: three"]
    # Each update was delivered once, and every one was confirmed by a later offset.
    assert fake.sent_texts(ANN) == ["echo: one", "echo: two", "echo: three", "echo: four"]
    assert fake.pending_updates() == 0
    assert fake.last_update_id is not None
    offsets = [c.params.get("offset") for c in fake.calls_to("getUpdates")]
    assert offsets[-1] == fake.last_update_id + 1
    # Bot messages take the chat's next message ids after the user's ones.
    assert [m.message_id for m in fake.messages(ANN)] == [4, 5, 6, 8]
    assert fake.calls[0].method == "getMe"
    assert "deleteWebhook" in [c.method for c in fake.calls]


async def test_get_updates_offset_limit_and_negative_offset(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(ANN, "Ann")
    for text in ("a", "b", "c", "d"):
        fake.send_text(ann, text)

    everything = await bot.get_updates()
    assert [u.message.text for u in everything if u.message] == ["a", "b", "c", "d"]
    ids = [u.update_id for u in everything]
    assert ids == sorted(ids) and len(set(ids)) == 4

    limited = await bot.get_updates(offset=ids[1], limit=2)
    assert [u.update_id for u in limited] == ids[1:3]
    assert fake.pending_updates() == 3  # "a" is confirmed and gone

    last = await bot.get_updates(offset=-1)
    assert [u.update_id for u in last] == [ids[3]]
    assert fake.pending_updates() == 1

    assert await bot.get_updates(offset=ids[3] + 1) == ()
    assert fake.pending_updates() == 0


async def test_long_poll_waits_for_a_new_update_and_times_out_empty(fake: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.wait_for(lambda: fake.waiting_polls == 1)  # the request is parked, waiting
    started = time.monotonic()
    fake.send_text(fake.user(ANN, "Ann"), "wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 5
    assert [u.message.text for u in updates if u.message] == ["wake up"]


async def test_allowed_updates_filters_and_is_remembered(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(ANN, "Ann")
    fake.send_text(ann, "text")
    fake.press_button(ann, 1, "data")

    only_queries = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in only_queries if u.callback_query] == ["data"]
    assert len(only_queries) == 1
    # Not given again: the previous setting holds.
    again = await bot.get_updates()
    assert [u.callback_query is not None for u in again] == [True]


async def test_scripted_updates_have_telegram_shapes(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(ANN, "Ann", "ann_pm", language_code="ru")
    command = fake.send_command(ann, "/interview agile")
    fake.edit_text(ann, command["message_id"], "/interview scrum")
    fake.send_sticker(ann)
    fake.send_photo(ann, caption="whiteboard")
    fake.send_voice(ann)
    fake.send_document(ann, filename="cv.pdf", content=b"%PDF-1.4", mime_type="application/pdf")
    fake.send_text(ann, "hi all", chat_type="group", chat_id=-100)

    updates = await bot.get_updates()
    assert len(updates) == 7
    first = updates[0].message
    assert first is not None and first.from_user is not None
    assert first.text == "/interview agile"
    assert first.from_user.username == "ann_pm" and first.from_user.language_code == "ru"
    assert first.from_user.is_bot is False
    assert first.chat.type == "private" and first.chat.first_name == "Ann"
    assert first.parse_entities(["bot_command"]) and list(first.parse_entities().values()) == ["/interview"]
    assert isinstance(first.date, dtm.datetime)
    edited = updates[1].edited_message
    assert edited is not None and edited.text == "/interview scrum" and edited.edit_date is not None
    assert edited.message_id == first.message_id
    assert updates[2].message is not None and updates[2].message.sticker is not None
    photo = updates[3].message
    assert photo is not None and photo.photo and photo.caption == "whiteboard"
    assert updates[4].message is not None and updates[4].message.voice is not None
    document = updates[5].message
    assert document is not None and document.document is not None
    assert document.document.file_name == "cv.pdf"
    downloaded = await (await document.document.get_file()).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4"
    group = updates[6].message
    assert group is not None and group.chat.type == "group" and group.chat.id == -100


# ------------------------------------------------------------------------------------- sending


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("&foo;", 'Unsupported HTML entity "&foo;" at byte offset 0'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
    ],
)
async def test_send_message_rejects_malformed_html(
    fake: FakeTelegram, bot: Bot, ann_chat: int, text: str, detail: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as raised:
        await bot.send_message(ann_chat, text, parse_mode="HTML")
    assert detail.lower() in raised.value.message.lower()
    assert fake.messages(ann_chat) == []
    assert fake.calls[-1].response_ok is False
    assert fake.calls[-1].description == "Bad Request: can't parse entities: " + detail


async def test_send_message_accepts_nested_html_and_escaped_text(
    fake: FakeTelegram, bot: Bot, ann_chat: int
) -> None:
    html = (
        "<b>Q1 <i>scope</i></b> &lt;draft&gt; R&amp;D &quot;ok&quot; it&#39;s &#x27;fine&#x27;\n"
        '<a href="https://example.com/?a=1&amp;b=2">link</a> <tg-spoiler>s</tg-spoiler> '
        '<span class="tg-spoiler">t</span> <pre><code class="language-python">x = 1</code></pre> '
        "<blockquote expandable>quote</blockquote>"
    )
    sent = await bot.send_message(ann_chat, html, parse_mode="HTML")

    assert sent.text == "Q1 scope <draft> R&D \"ok\" it's 'fine'\nlink s t x = 1 quote"
    types = [(e.type, e.offset, e.length) for e in sent.entities]
    assert ("bold", 0, 8) in types and ("italic", 3, 5) in types
    assert ("text_link", 38, 4) in types
    pre = next(e for e in sent.entities if e.type == "pre")
    assert pre.language == "python"
    assert "expandable_blockquote" in [e.type for e in sent.entities]
    stored = fake.last_message(ann_chat)
    assert stored.text == html and stored.parse_mode == "HTML"
    assert stored.plain_text == sent.text


def test_parse_html_counts_utf16_and_reports_byte_offsets() -> None:
    plain, entities = parse_html("😀 <b>жир</b>")
    assert plain == "😀 жир"
    assert entities == [{"type": "bold", "offset": 3, "length": 3}]
    with pytest.raises(HtmlParseError, match="byte offset 7"):
        parse_html("😀 ж<x>")  # 4 bytes, a space, 2 bytes
    with pytest.raises(HtmlParseError, match='Tag "span" must have class "tg-spoiler"'):
        parse_html("<span>x</span>")
    assert parse_html("<b>x</>")[0] == "x"  # </> closes the innermost tag, as in Telegram
    assert parse_html("Q&A", strict_entities=False)[0] == "Q&A"


async def test_text_length_limits(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ann_chat, "x" * 4097)
    await bot.send_message(ann_chat, "x" * 4096)
    # The limit applies after entity parsing: markup does not count.
    await bot.send_message(ann_chat, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ann_chat, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(ann_chat, b"data", filename="a.txt", caption="c" * 1025)
    assert len(fake.messages(ann_chat)) == 2


async def test_callback_data_is_limited_to_64_utf8_bytes(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ann_chat, "pick", reply_markup=keyboard(("A", "я" * 40)))
    sent = await bot.send_message(ann_chat, "pick", reply_markup=keyboard(("A", "я" * 32), ("B", "b")))
    assert sent.reply_markup is not None
    assert fake.last_message(ann_chat).buttons() == [("A", "я" * 32), ("B", "b")]


async def test_edits_follow_telegram_rules(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    sent = await bot.send_message(ann_chat, "<b>Q1</b>", parse_mode="HTML", reply_markup=keyboard(("A", "a")))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Q1</b>", ann_chat, sent.message_id, parse_mode="HTML", reply_markup=keyboard(("A", "a"))
        )
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", ann_chat, 999)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("new", ann_chat, 1)  # Ann's own "hello"

    # An edit without reply_markup drops the keyboard, as on Telegram.
    edited = await bot.edit_message_text("Q1 answered", ann_chat, sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Q1 answered" and edited.edit_date is not None
    [stored] = fake.messages(ann_chat)
    assert stored.text == "Q1 answered" and stored.edited and stored.reply_markup is None
    assert stored.message_id == sent.message_id

    await bot.edit_message_reply_markup(ann_chat, sent.message_id, reply_markup=keyboard(("B", "b")))
    assert fake.last_message(ann_chat).buttons() == [("B", "b")]
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(ann_chat, sent.message_id, reply_markup=keyboard(("B", "b")))

    assert await bot.delete_message(ann_chat, sent.message_id) is True
    assert fake.messages(ann_chat) == []
    [deleted] = await fake.wait_for_messages(ann_chat, 1)  # counts every message ever sent
    assert deleted.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ann_chat, sent.message_id)
    assert await bot.delete_message(ann_chat, 1) is True  # bots may delete incoming private messages


async def test_unknown_chat_and_blocked_chat(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "hi")

    fake.block(ann_chat)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ann_chat, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(ann_chat, "typing")
    fake.unblock(ann_chat)
    await bot.send_message(ann_chat, "hi again")
    assert fake.sent_texts(ann_chat) == ["hi again"]


async def test_injected_429_raises_retry_after(
    fake: FakeTelegram, bot: Bot, ann_chat: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PTB_TIMEDELTA", "true"
    )  # RetryAfter.retry_after as a timedelta, no deprecation warning
    fake.fail_next("sendMessage", 2, retry_after=7)

    for _ in range(2):
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(ann_chat, "hi")
        assert raised.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message(ann_chat, "hi")

    outcomes = [(c.response_ok, c.status, c.description) for c in fake.calls_to("sendMessage")]
    assert outcomes == [
        (False, 429, "Too Many Requests: retry after 7"),
        (False, 429, "Too Many Requests: retry after 7"),
        (True, 200, None),
    ]
    assert fake.sent_texts(ann_chat) == ["hi"]  # the failed calls sent nothing


async def test_injected_server_errors(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    fake.fail_next("sendMessage", status=502)
    fake.fail_next("answerCallbackQuery", status=500)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ann_chat, "hi")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.answer_callback_query("1")
    with pytest.raises(ValueError, match="does not serve"):
        fake.fail_next("sendCarrierPigeon")


async def test_press_button_reaches_the_application(fake: FakeTelegram) -> None:
    seen: list[tuple[str | None, str | None]] = []
    edit_errors: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Pick one", reply_markup=keyboard(("Agile", "pick:agile")))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        seen.append((query.data, getattr(query.message, "text", None)))
        await query.answer("Noted")
        try:
            await query.edit_message_text(f"You picked {query.data}")
        except BadRequest as exc:
            edit_errors.append(exc.message)

    app = build_app(fake)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    ann = fake.user(ANN, "Ann")

    async with running(app):
        fake.send_command(ann, "/start")
        [menu] = await fake.wait_for_messages(ANN, 1)
        assert menu.buttons() == [("Agile", "pick:agile")]
        query_id = fake.press_button(ann, menu.message_id, "pick:agile")
        await fake.wait_for(lambda: fake.last_message(ANN).edited)
        forged_id = fake.press_button(ann, 999, "pick:forged")
        await fake.wait_for(lambda: fake.callback_answer(forged_id) is not None and bool(edit_errors))

    assert seen == [("pick:agile", "Pick one"), ("pick:forged", None)]
    assert fake.last_message(ANN).text == "You picked pick:agile"
    assert fake.last_message(ANN).reply_markup is None
    answer = fake.callback_answer(query_id)
    assert answer is not None and answer.text == "Noted" and answer.show_alert is False
    assert "message to edit not found" in edit_errors[0].lower()

    async with Bot(
        fake.token, base_url=fake.base_url, request=http_client(256), get_updates_request=http_client(1)
    ) as bot:
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(query_id)


async def test_command_handler_gets_arguments(fake: FakeTelegram) -> None:
    received: list[list[str]] = []

    async def interview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        received.append(list(context.args or []))
        assert update.message is not None
        await update.message.reply_text("starting")

    app = build_app(fake)
    app.add_handler(CommandHandler("interview", interview))
    async with running(app):
        fake.send_command(fake.user(ANN, "Ann"), "/interview agile")
        await fake.wait_for_messages(ANN, 1)
    assert received == [["agile"]]


async def test_send_document_and_photo_are_recorded_with_bytes(
    fake: FakeTelegram, bot: Bot, ann_chat: int
) -> None:
    payload = b"question,answer\nwhy,because\n"
    sent = await bot.send_document(
        ann_chat, payload, filename="report.csv", caption="<b>Report</b>", parse_mode="HTML"
    )
    await bot.send_photo(ann_chat, b"\x89PNG\r\n\x1a\nfake", filename="chart.png")

    assert sent.document is not None and sent.document.file_name == "report.csv"
    assert sent.caption == "Report"
    document, photo = fake.files(ann_chat)
    assert (document.kind, document.filename, document.file_bytes, document.text) == (
        "document",
        "report.csv",
        payload,
        "<b>Report</b>",
    )
    assert photo.kind == "photo" and photo.file_bytes == b"\x89PNG\r\n\x1a\nfake"
    upload = fake.calls_to("sendDocument")[0].params["document"]
    assert isinstance(upload, UploadedFile) and upload.content == payload
    assert fake.calls_to("sendDocument")[0].params["chat_id"] == ann_chat

    fake.max_upload_bytes = 10
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.send_document(ann_chat, b"x" * 11, filename="big.bin")
    assert len(fake.files(ann_chat)) == 2


async def test_commands_round_trip(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("interview", "Start a mock interview"), BotCommand("stop", "Stop")])
    assert fake.commands() == [("interview", "Start a mock interview"), ("stop", "Stop")]
    assert [c.command for c in await bot.get_my_commands()] == ["interview", "stop"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Interview-Now", "bad")])
    await bot.delete_my_commands()
    assert fake.commands() == []
    assert await bot.get_my_commands() == ()


async def test_token_methods_and_raw_http_envelopes(fake: FakeTelegram, ann_chat: int) -> None:
    with pytest.raises(InvalidToken):
        async with Bot(
            "654321:WRONG",
            base_url=fake.base_url,
            request=http_client(256),
            get_updates_request=http_client(1),
        ):
            pass

    async with Bot(
        fake.token, base_url=fake.base_url, request=http_client(256), get_updates_request=http_client(1)
    ) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendCarrierPigeon", api_kwargs={"chat_id": ann_chat})

    root = fake.base_url + fake.token
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{root}/sendMessage", json={"chat_id": ann_chat, "text": "via json"}
        ) as response:
            body = await response.json()
            assert response.status == 200 and body["ok"] is True
            assert body["result"]["text"] == "via json" and body["result"]["chat"]["id"] == ann_chat
        async with http.get(f"{root}/sendMessage", params={"chat_id": str(ann_chat), "text": ""}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{root}/nope") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
        async with http.get(f"{fake.base_url}654321:WRONG/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        fake.fail_next("getMe", retry_after=3)
        async with http.get(f"{root}/getMe") as response:
            assert response.status == 429
            assert (await response.json())["parameters"] == {"retry_after": 3}
    assert fake.sent_texts(ann_chat) == ["via json"]


async def test_wait_for_times_out_with_a_summary(fake: FakeTelegram, bot: Bot, ann_chat: int) -> None:
    await bot.send_message(ann_chat, "only one")
    with pytest.raises(AssertionError) as raised:
        await fake.wait_for_messages(ann_chat, 2, timeout=0.2)
    message = str(raised.value)
    assert "expected 2 messages to chat 42, got 1" in message
    assert "sendMessage -> ok" in message

    # The waiter wakes up on the call that satisfies it.
    task = asyncio.create_task(bot.send_message(ann_chat, "second"))
    first, second = await fake.wait_for_messages(ann_chat, 2, timeout=5)
    await task
    assert (first.text, second.text) == ("only one", "second")


async def test_stop_answers_a_waiting_long_poll_and_start_works_again() -> None:
    fake = FakeTelegram()
    await fake.start()
    await fake.stop()
    await fake.start()
    try:
        async with Bot(
            fake.token, base_url=fake.base_url, request=http_client(256), get_updates_request=http_client(1)
        ) as bot:
            poll = asyncio.create_task(bot.get_updates(timeout=30))
            await fake.wait_for(lambda: fake.waiting_polls == 1)
            started = time.monotonic()
            await fake.stop()
            assert await asyncio.wait_for(poll, 5) == ()
            assert time.monotonic() - started < 5
            assert fake.waiting_polls == 0
    finally:
        await fake.stop()
