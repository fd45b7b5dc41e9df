"""Templates escape what users typed; long messages split without breaking HTML."""

import ast
import html
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.core.rating import Rating
from bot.present import labels
from bot.present.render import render, split_message, to_plain

_TAG = re.compile(r"<(/?)([a-z-]+)[^>]*>")


def balanced(chunk: str) -> bool:
    stack: list[str] = []
    for closing, name in _TAG.findall(chunk):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


@pytest.mark.parametrize(
    "hostile", ["<script>alert(1)</script>", "a < b & c", "</b>", "&amp; &lt;", "x\u202ey"]
)
def test_user_text_is_escaped(hostile: str) -> None:
    out = render("unknown_command", command=hostile)
    assert html.escape(hostile, quote=False) in out
    assert "<script>" not in out
    assert balanced(out)
    assert hostile in to_plain(out)


def test_split_respects_limit_and_keeps_tags_balanced() -> None:
    lines = [f"<b>Line {i}</b> with &amp; entity and <i>italic {i}</i> words" for i in range(600)]
    text = "\n".join(lines)
    chunks = split_message(text, 1000)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 1000
        assert balanced(chunk)
        assert not re.search(r"&[a-z]*$", chunk)  # no entity cut in half
    assert to_plain("\n".join(chunks)).split() == to_plain(text).split()


def test_split_cuts_a_single_huge_line_inside_a_tag() -> None:
    text = "<b>" + "word " * 3000 + "</b>"
    chunks = split_message(text, 4096)
    assert len(chunks) == 4
    assert all(len(c) <= 4096 and balanced(c) and c.startswith("<b>") for c in chunks)
    assert sum(c.count("word") for c in chunks) == 3000


def test_short_text_is_untouched() -> None:
    assert split_message("<b>hi</b>") == ["<b>hi</b>"]


# ---- one home for each kind of text -------------------------------------------------------------

TG = Path(__file__).resolve().parent.parent / "bot" / "tg"


def _has_words(node: ast.expr) -> bool:
    """A string literal with letters in it, alone or as a piece of an f-string."""
    parts = node.values if isinstance(node, ast.JoinedStr) else [node]
    return any(
        isinstance(p, ast.Constant) and isinstance(p.value, str) and re.search(r"[^\W\d_]", p.value)
        for p in parts
    )


def test_buttons_take_their_labels_from_the_labels_module() -> None:
    """A button whose label is a string literal in a handler would be a second home for labels."""
    literal: list[str] = []
    for path in sorted(TG.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "InlineKeyboardButton"
                and node.args
                and _has_words(node.args[0])
            ):
                literal.append(f"{path.name}:{node.lineno}")
    assert literal == []


def test_one_command_list_serves_both_front_ends() -> None:
    telegram, terminal = dict(labels.TELEGRAM_COMMANDS), dict(labels.TERMINAL_COMMANDS)
    assert list(terminal) == ["interview", "cancel", "review", "history", "help", "quit"]
    # Shared commands keep one description, except where the terminal does less.
    assert {n for n in terminal.keys() & telegram.keys() if terminal[n] != telegram[n]} == {"history"}
    assert "quit" not in telegram
    # Telegram's limits for setMyCommands: 1-32 lowercase characters, descriptions up to 256.
    for name, description in labels.TELEGRAM_COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name) and 1 <= len(description) <= 256


def test_every_rating_has_a_label_and_an_old_value_shows_as_its_number() -> None:
    assert [labels.rating_label(r) for r in Rating] == ["Again", "Hard", "Good", "Easy"]
    assert labels.rating_label(9) == "9"
    rated = SimpleNamespace(rating=Rating.HARD, next_review_in=timedelta(hours=3))
    assert render("rated", rated=rated) == "Saved: Hard — next review in 3 hours"
