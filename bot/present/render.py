"""Messages from templates: one Jinja2 environment over bot/present/templates.

Every message the bot sends is a template, written in Telegram's HTML subset; the terminal
front end turns the same output into plain text, so both front ends say the same words.
Button labels, the command list and chart labels live in bot/present/labels.py.
"""

import html
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.present import filters, labels

TELEGRAM_TEXT_LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)([^>]*)>")
_TOKEN = re.compile(r"<[^>]*>|&#?[a-zA-Z0-9]+;|[^<&]+|[<&]", re.S)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.present", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = filters.format_date
    env.filters["shorten"] = filters.shorten
    env.filters["plural"] = filters.plural
    env.filters["delay"] = filters.describe_delay
    env.filters["rating"] = filters.rating_label
    env.filters["question_text"] = filters.question_text
    env.globals["rating_names"] = tuple(labels.RATING_LABELS.values())
    env.globals["not_counted_reason"] = labels.POINT_NOT_COUNTED
    return env


def render(template: str, /, **context: Any) -> str:
    """Render bot/present/templates/<template>.html (compiled once, cached by Jinja2)."""
    return _environment().get_template(f"{template}.html").render(**context).strip()


def render_document(template: str, /, **context: Any) -> str:
    """Render a whole document, e.g. "export/page.html.j2", with the same environment.

    Documents are not messages: no Telegram limits apply and the output is not stripped.
    """
    return _environment().get_template(template).render(**context)


def generate_document(template: str, /, **context: Any) -> Iterator[str]:
    """Like render_document, piece by piece as the template runs: a long document is written
    out as it is drawn, never held whole (Jinja2's Template.generate)."""
    return _environment().get_template(template).generate(**context)


def template_names() -> list[str]:
    return sorted(n.removesuffix(".html") for n in _environment().list_templates(extensions=["html"]))


def to_plain(text: str) -> str:
    """Telegram HTML to plain text for the terminal and for callback notices."""
    return html.unescape(_TAG.sub("", text))


def _units(text: str) -> list[str]:
    """Pieces that must stay whole: tags, entities, and single characters of text."""
    units: list[str] = []
    for token in _TOKEN.findall(text):
        units.extend([token] if token[0] in "<&" and len(token) > 1 else list(token))
    return units


def _closers(tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(tags))


def split_message(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into chunks of at most `limit` characters.

    Cuts at the last line break in the chunk's second half, else the last space,
    else anywhere between characters; never inside a tag or an entity. Tags open
    at a cut are closed there and reopened at the start of the next chunk.
    """
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    open_tags: list[tuple[str, str]] = []  # (name, opening tag) at the end of `current`
    breaks: dict[str, tuple[int, list[tuple[str, str]]]] = {}  # kind -> (units before it, tags open)

    for unit in _units(text):
        # Leave room to close every tag open now plus one more that may open.
        if size + len(unit) + len(_closers(open_tags)) + 16 > limit and size:
            cut, tags = len(current), list(open_tags)
            for kind in ("\n", " "):
                if kind in breaks and breaks[kind][0] > len(current) // 2:
                    cut, tags = breaks[kind]
                    break
            head, tail = current[:cut], current[cut:]
            chunks.append(("".join(head) + _closers(tags)).strip())
            current = [tag for _, tag in tags] + tail
            while len(current) > len(tags) and current[len(tags)] in ("\n", " "):
                del current[len(tags)]
            size = sum(map(len, current))
            breaks = {}
        current.append(unit)
        size += len(unit)
        match = _TAG.fullmatch(unit)
        if match and match.group(1):
            for i in range(len(open_tags) - 1, -1, -1):
                if open_tags[i][0] == match.group(2):
                    del open_tags[i]
                    break
        elif match:
            open_tags.append((match.group(2), unit))
        elif unit in ("\n", " "):
            breaks[unit] = (len(current), list(open_tags))
    if "".join(current).strip():
        chunks.append("".join(current).strip())
    return chunks
