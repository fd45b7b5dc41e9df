"""Telegram's HTML parse mode: a port of tdlib's parse_html, which produces Telegram's error texts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.fake_telegram.records import JSONDict


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's (after "can't parse entities: ")."""


_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = frozenset(" \t\r\n\v\f")
_SPACE_OR_END = frozenset(" \t\r\n\v\f\0")  # tdlib's is_space() is true for NUL, its end of string
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_NAME_TOKEN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PLAIN_RUN = re.compile(r"[^<&]+")
_ENTITY_LIKE = re.compile(r"&#?[0-9A-Za-z]*;?")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _decode_entity(s: str, pos: int) -> tuple[str | None, int]:
    """Decode the HTML entity at ``s[pos] == "&"`` the way tdlib does; (None, pos) if there is none."""
    end = pos + 1
    if s[end] == "#":
        end += 1
        code = 0
        if s[end] == "x":
            end += 1
            while s[end] in _HEX_DIGITS:
                code = code * 16 + int(s[end], 16)
                end += 1
        else:
            while s[end] in _DIGITS:
                code = code * 10 + ord(s[end]) - 48
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None, pos
        char = chr(code)
    else:
        while s[end] in _ASCII_LETTERS:
            end += 1
        named = _NAMED_ENTITIES.get(s[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if s[end] == ";":
        end += 1
    return char, end


@dataclass(slots=True)
class _OpenTag:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the parsed text
    out_index: int  # index into the output chunks, for <a> without href


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into (plain text, entities) or raise :class:`HtmlParseError`.

    Mirrors tdlib's parser: only Telegram's tags, proper nesting, ``</>`` closes any tag, byte
    offsets in errors. With ``strict_entities`` a ``&`` that starts no valid entity is an error
    (Telegram keeps it literally).
    """
    s = text + "\0"
    n = len(text)
    out: list[str] = []
    utf16 = 0
    entities: list[JSONDict] = []
    stack: list[_OpenTag] = []
    surrogate = False

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8", "surrogatepass"))

    i = 0
    while i < n:
        c = s[i]
        if c == "&":
            char, end = _decode_entity(s, i)
            if char is not None:
                out.append(char)
                utf16 += 2 if ord(char) > 0xFFFF else 1
                surrogate = surrogate or 0xD800 <= ord(char) <= 0xDFFF
                i = end
                continue
            if strict_entities:
                match = _ENTITY_LIKE.match(text, i)
                shown = match.group(0) if match else "&"
                raise HtmlParseError(f'Unsupported HTML entity "{shown}" at byte offset {byte_offset(i)}')
            out.append("&")
            utf16 += 1
            i += 1
            continue
        if c != "<":
            run = _PLAIN_RUN.match(text, i)
            assert run is not None
            chunk = run.group(0)
            out.append(chunk)
            utf16 += utf16_len(chunk)
            i = run.end()
            continue

        begin = i
        i += 1
        if s[i] != "/":
            # a start tag
            while s[i] not in _SPACE_OR_END and s[i] != ">":
                i += 1
            if s[i] == "\0":
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = s[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}')
            argument = ""
            while s[i] != ">":
                while s[i] in _SPACE:
                    i += 1
                if s[i] == ">":
                    break
                name_begin = i
                while s[i] not in _SPACE_OR_END and s[i] not in "=>/\"'":
                    i += 1
                name = s[name_begin:i]
                if not name:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                while s[i] in _SPACE:
                    i += 1
                if s[i] != "=":
                    if s[i] == "\0":
                        raise HtmlParseError(
                            f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                        )
                    if tag == "blockquote" and name == "expandable":
                        argument = "1"
                    continue
                i += 1
                while s[i] in _SPACE:
                    i += 1
                if s[i] == "\0":
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}')
                if s[i] not in "\"'":
                    token_begin = i
                    while s[i] in _NAME_TOKEN:
                        i += 1
                    value = s[token_begin:i].lower()
                    if s[i] not in _SPACE_OR_END and s[i] != ">":
                        raise HtmlParseError(
                            f"Unexpected end of name token at byte offset {byte_offset(token_begin)}"
                        )
                else:
                    quote = s[i]
                    i += 1
                    chars: list[str] = []
                    while s[i] != quote and s[i] != "\0":
                        if s[i] == "&":
                            char, end = _decode_entity(s, i)
                            if char is not None:
                                chars.append(char)
                                i = end
                                continue
                        chars.append(s[i])
                        i += 1
                    if s[i] == quote:
                        i += 1
                    value = "".join(chars)
                if s[i] == "\0":
                    raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if tag == "a" and name == "href":
                    argument = value
                elif tag == "code" and name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise HtmlParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append(_OpenTag(tag, argument, utf16, len(out)))
            i += 1  # past ">"
            continue

        # an end tag
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        while s[i] not in _SPACE_OR_END and s[i] != ">":
            i += 1
        end_tag = s[begin + 2 : i].lower()
        while s[i] in _SPACE:
            i += 1
        if s[i] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        top = stack.pop()
        if end_tag and end_tag != top.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{top.tag}>", '
                f'found "</{end_tag}>"'
            )
        i += 1  # past ">"
        length = utf16 - top.offset
        if length > 0:
            _add_html_entity(entities, top, length, out)

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    if surrogate:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    for entity in entities:
        entity.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _add_html_entity(entities: list[JSONDict], top: _OpenTag, length: int, out: list[str]) -> None:
    offset = top.offset
    simple = _SIMPLE_ENTITY_TYPES.get(top.tag)
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if simple is not None:
        entities.append({"type": simple, "offset": offset, "length": length})
    elif top.tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        entities.append(
            {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": top.argument}
        )
    elif top.tag == "a":
        url = top.argument or "".join(out[top.out_index :])
        entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif top.tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("_language"):
            last["type"] = "pre"
            last["language"] = last.pop("_language")
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif top.tag == "code":
        if same_span and last is not None and last["type"] == "pre" and top.argument:
            last["language"] = top.argument
        else:
            entity: JSONDict = {"type": "code", "offset": offset, "length": length}
            if top.argument:
                entity["_language"] = top.argument
            entities.append(entity)
    elif top.tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
