"""Templates escape what users typed; long messages split without breaking HTML."""

import html
import re

import pytest

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
