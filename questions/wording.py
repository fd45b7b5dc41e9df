"""Pydantic's validation errors in words for a person editing a TOML file.

Two files are edited by hand and validated with pydantic: bank files (questions.loader) and the
bot's config.toml (bot.config, which may import this module; questions never imports bot). Each
names the expected types its own way and shows a wrong value its own way; the error kinds they
word alike are worded here once.
"""

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pydantic_core import ErrorDetails

from questions.schema import Question, TalkingPoint
from questions.toml_lines import Loc

__all__ = ["BOUNDS", "describe_bank_error", "describe_common", "describe_setting_error", "lower_first"]

# Bound kinds: the words and the pydantic ctx key holding the limit.
BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def describe_common(
    error: ErrorDetails, expected: Mapping[str, str], *, got_value: str, got_type: str
) -> str | None:
    """The words for the kinds both files put alike, or None for a kind each words its own way.

    `expected` names the type a type error wanted ("a whole number"); `got_value` ends a bound
    error and `got_type` a type error (", got 12", ", got text"; "" keeps a secret out of it).
    """
    kind = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    if kind == "value_error":
        # Raised by the models' own validators, which already word their message for people.
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in BOUNDS:
        word, limit_key = BOUNDS[kind]
        return f"must be {word} {ctx[limit_key]}{got_value}"
    if kind in expected:
        return f"expected {expected[kind]}{got_type}"
    return None


# --- bank files ----------------------------------------------------------------------------

# How pydantic's locations read to a person editing the file: ("talking_points", 1, "match", 0)
# becomes "talking point 2: match phrase 1".
_ITEM_NOUNS = {
    "talking_points": "talking point",
    "match": "match phrase",
    "follow_ups": "follow-up",
    "model_answer": "model_answer line",
    "levels": "level",
    "skills": "skill",
}
_BANK_EXPECTED = {
    "string_type": "text in quotes",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def describe_bank_error(error: ErrorDetails) -> str:
    """A short message naming the field, from one pydantic error on a bank question."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return _at(loc[:-1], f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        in_talking_point = len(loc) == 3 and loc[0] == "talking_points"
        allowed = ", ".join((TalkingPoint if in_talking_point else Question).model_fields)
        return _at(loc[:-1], f"unknown key '{loc[-1]}'; allowed keys: {allowed}")
    return _at(loc, _bank_detail(error, loc))


def _bank_detail(error: ErrorDetails, loc: Loc) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind == "literal_error":
        noun = next((part for part in reversed(loc) if isinstance(part, str)), "value").removesuffix("s")
        known = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"unknown {noun} {value!r}; known {noun}s: {known}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id: use 2-64 lowercase letters, digits, '-' or '_'"
    common = describe_common(
        error, _BANK_EXPECTED, got_value=f", got {value!r}", got_type=f", got {_toml_type(value)}"
    )
    return common if common is not None else error["msg"]


def _at(loc: Loc, message: str) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parent = parts.pop()
            parts.append(f"{_ITEM_NOUNS.get(parent, parent + ' item')} {part + 1}")
        else:
            parts.append(str(part))
    return ": ".join([*parts, message])


def _toml_type(value: object) -> str:
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


# --- the bot's config.toml -----------------------------------------------------------------

_SETTING_EXPECTED = {
    "int_type": "an integer",
    "string_type": "a string",
    "list_type": "a list",
    "path_type": "a path string",
    "bool_type": "true or false",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def describe_setting_error(error: ErrorDetails, *, hide_value: bool) -> str:
    """What is wrong with one setting (its place is named by the caller); `hide_value` for secrets."""
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    got = "" if hide_value else f", got {_show(error['input'])}"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        return f"expected one of {str(ctx['expected']).replace(chr(39), chr(34))}{got}"
    common = describe_common(error, _SETTING_EXPECTED, got_value=got, got_type=got)
    return common if common is not None else f"{lower_first(str(error['msg']))}{got}"


def _show(value: object) -> str:
    """The value as it would look in TOML, kept short so the error stays one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 60 else shown[:56] + '..."'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)
