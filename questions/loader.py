"""Load question bank files and report every problem with its file and line.

tomllib returns plain values without positions, so after parsing, the loader scans the raw
text once more (`_SourceMap`) to learn where each `[[question]]` block, key and array item
starts. That scan only has to point a person at the right line; tomllib stays the parser.
"""

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from questions.schema import Question, TalkingPoint
from questions.topics import TOPICS

__all__ = [
    "BankError",
    "Problem",
    "QuestionBank",
    "builtin_bank_files",
    "load_bank",
    "validate_paths",
]

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file. Line 0 means the file as a whole (e.g. it is missing)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class BankError(Exception):
    """The bank could not be loaded; `problems` lists every reason, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class QuestionBank:
    """The loaded questions in file order, with lookups by id and by topic."""

    questions: tuple[Question, ...]
    by_id: Mapping[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {question.id: question for question in self.questions}
        if len(by_id) != len(self.questions):
            raise ValueError("question ids must be unique")
        # The dataclass is frozen; the index is derived once here and read-only afterwards.
        object.__setattr__(self, "by_id", MappingProxyType(by_id))

    def by_topic(self, topic: str) -> tuple[Question, ...]:
        return tuple(question for question in self.questions if question.topic == topic)

    def topics(self) -> list[str]:
        """Topics that have at least one question, in the fixed TOPICS order."""
        present = {question.topic for question in self.questions}
        return [topic for topic in TOPICS if topic in present]

    def __len__(self) -> int:
        return len(self.questions)


def builtin_bank_files() -> list[Path]:
    """The bank files shipped inside the package, sorted by name."""
    bank = files("questions") / "bank"
    # pip installs this package as a plain directory, so the resource is a real Path.
    # A zipped install would need extracting first; fail loudly rather than load nothing.
    if not isinstance(bank, Path):
        raise RuntimeError(f"the built-in question bank is not on the file system: {bank}")
    return sorted(bank.glob("*.toml"))


def load_bank(extra_paths: Sequence[Path] = ()) -> QuestionBank:
    """The built-in bank plus the user's packs; raises BankError listing every problem."""
    questions, problems = validate_paths([*builtin_bank_files(), *extra_paths])
    if problems:
        raise BankError(problems)
    return QuestionBank(tuple(questions))


def validate_paths(paths: Sequence[Path]) -> tuple[list[Question], list[Problem]]:
    """Load every file (a directory means its *.toml files); never raises for bad content.

    Returns the valid questions and the problems found. A question whose id was already
    seen is reported and left out, so the questions returned always have unique ids.
    """
    questions: list[Question] = []
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}  # id -> "file:line" where it was first defined
    for path in _expand(paths, problems):
        file_problems: list[Problem] = []
        for entry in _load_file(path, file_problems):
            # Invalid questions take part too, so one run reports every clash at once.
            if entry.id is not None and (first := first_seen.get(entry.id)) is not None:
                message = f"question '{entry.id}': duplicate id; first defined at {first}"
                file_problems.append(Problem(str(path), entry.line, message))
                continue
            if entry.id is not None:
                first_seen[entry.id] = f"{path}:{entry.line}"
            if entry.question is not None:
                questions.append(entry.question)
        # Read top to bottom, like the file the person is about to fix.
        problems.extend(sorted(file_problems, key=lambda problem: problem.line))
    return questions, problems


def _expand(paths: Sequence[Path], problems: list[Problem]) -> Iterator[Path]:
    """The files to load, in the order given; missing paths are reported as they come up."""
    # A file listed twice (or listed and also inside a listed directory) would otherwise
    # report each of its questions as a duplicate of itself.
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            members = sorted(path.glob("*.toml"))
            if not members:
                problems.append(Problem(str(path), 0, "directory holds no *.toml files"))
        elif path.exists():
            members = [path]
        else:
            problems.append(Problem(str(path), 0, "no such file or directory"))
            members = []
        for member in members:
            if member.resolve() not in seen:
                seen.add(member.resolve())
                yield member


@dataclass(frozen=True)
class _Entry:
    """One `[[question]]` table as read from a file: its id and line, and the question if valid."""

    id: str | None
    line: int
    question: Question | None


def _load_file(path: Path, problems: list[Problem]) -> list[_Entry]:
    """Every question table in one file; problems found on the way are appended to `problems`."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        problems.append(Problem(name, line, "not valid UTF-8 text"))
        return []
    except OSError as error:
        problems.append(Problem(name, 0, f"cannot read file: {error.strerror or error}"))
        return []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        problems.append(_toml_problem(name, text, error))
        return []

    source = _SourceMap(text)
    entries: list[_Entry] = []
    for index, raw in enumerate(_raw_questions(name, data, source, problems)):
        block = source.block(index)
        question: Question | None = None
        try:
            # strict: TOML already has types, so "2" for a difficulty is a mistake, not a number.
            question = Question.model_validate(raw, strict=True)
        except ValidationError as error:
            label = _question_label(raw, index)
            for detail in error.errors():
                line = block.line_of(tuple(detail["loc"]))
                problems.append(Problem(name, line, f"{label}: {_describe(detail)}"))
        raw_id = raw.get("id")
        entries.append(_Entry(raw_id if isinstance(raw_id, str) else None, block.line_of(("id",)), question))
    return entries


def _raw_questions(
    name: str, data: dict[str, Any], source: "_SourceMap", problems: list[Problem]
) -> list[dict[str, Any]]:
    """The `[[question]]` tables of a parsed file, after checking the file's overall shape."""
    for key in data:
        if key != "question":
            message = f"unknown top-level key '{key}'; a bank file holds only [[question]] tables"
            problems.append(Problem(name, source.top.line_of((key,)), message))
    raw = data.get("question")
    if raw is None:
        if not data:
            problems.append(Problem(name, 1, "no questions: a bank file holds [[question]] tables"))
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        message = "'question' must be a list of tables, each starting with a [[question]] line"
        problems.append(Problem(name, source.top.line_of(("question",)), message))
        return []
    return raw


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def _toml_problem(name: str, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    # tomllib only reports the position inside its message, e.g. "... (at line 3, column 7)".
    message = str(error)
    if at := _TOML_AT.search(message):
        line, detail = int(at[1]), f"{message[: at.start()]} (column {at[2]})"
    elif at_end := _TOML_AT_END.search(message):
        line, detail = max(1, len(text.splitlines())), f"{message[: at_end.start()]} at the end of the file"
    else:
        line, detail = 1, message
    return Problem(name, line, f"invalid TOML: {detail[:1].lower()}{detail[1:]}")


def _question_label(raw: dict[str, Any], index: int) -> str:
    question_id = raw.get("id")
    if isinstance(question_id, str) and question_id.strip():
        return f"question '{question_id}'"
    return f"question #{index + 1}"


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
_EXPECTED = {
    "string_type": "text in quotes",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "list_type": "a list",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dict_type": "a table",
}


def _describe(error: ErrorDetails) -> str:
    """A short message naming the field, from one pydantic error."""
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return _at(loc[:-1], f"missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        in_talking_point = len(loc) == 3 and loc[0] == "talking_points"
        allowed = ", ".join((TalkingPoint if in_talking_point else Question).model_fields)
        return _at(loc[:-1], f"unknown key '{loc[-1]}'; allowed keys: {allowed}")
    return _at(loc, _detail(error, loc))


def _detail(error: ErrorDetails, loc: Loc) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind == "value_error":
        # Raised by the schema's own validators, which already word their message for people.
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind == "literal_error":
        noun = next((part for part in reversed(loc) if isinstance(part, str)), "value").removesuffix("s")
        known = ", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return f"unknown {noun} {value!r}; known {noun}s: {known}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id: use 2-64 lowercase letters, digits, '-' or '_'"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {value!r}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {value!r}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_toml_type(value)}"
    return error["msg"]


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


# --- Finding lines in the raw text -------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.[^=]*)?=""")


@dataclass
class _Table:
    """Where one table starts, and the first line of each of its keys and array items."""

    line: int
    keys: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int:
        if not loc or not isinstance(loc[0], str) or loc[0] not in self.keys:
            return self.line
        if len(loc) > 1 and isinstance(loc[1], int):
            items = self.items.get(loc[0], [])
            if loc[1] < len(items):
                return items[loc[1]]
        return self.keys[loc[0]]


@dataclass
class _Block(_Table):
    """One `[[question]]` block and its `[[question.talking_points]]` sub-tables."""

    points: list[_Table] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        # Sub-tables get their own lines; inline talking points fall through to the array items.
        match loc:
            case ("talking_points", int(index), *rest) if index < len(self.points):
                return self.points[index].line_of(tuple(rest))
        return super().line_of(loc)


class _SourceMap:
    """Line numbers for the tables, keys and array items of one TOML file."""

    def __init__(self, text: str) -> None:
        self.top = _Table(line=1)
        self.blocks: list[_Block] = []
        table: _Table | None = self.top  # where key lines are recorded; None for tables we ignore
        value = _ValueScanner()
        for lineno, line in enumerate(text.splitlines(), start=1):
            if value.unfinished:  # inside a multi-line array or string: no headers or keys here
                value.feed(line, lineno)
            elif header := _HEADER.match(line):
                table = self._open(header[1], re.sub(r"\s+", "", header[2]), lineno)
            elif key := _KEY.match(line):
                name = next(group for group in key.groups() if group is not None)
                items: list[int] = []
                if table is not None and name not in table.keys:
                    table.keys[name] = lineno
                    table.items[name] = items
                value.start(items)
                value.feed(line[key.end() :], lineno)

    def block(self, index: int) -> _Block:
        if index < len(self.blocks):
            return self.blocks[index]
        # Questions written as an inline array (question = [{...}]) have no headers.
        return _Block(line=self.top.line_of(("question", index)))

    def _open(self, brackets: str, name: str, lineno: int) -> _Table | None:
        if brackets == "[[" and name == "question":
            self.blocks.append(_Block(line=lineno))
            return self.blocks[-1]
        if brackets == "[[" and name == "question.talking_points" and self.blocks:
            self.blocks[-1].points.append(_Table(line=lineno))
            return self.blocks[-1].points[-1]
        # Any other table is an unknown key of its parent: remember where it starts.
        first, _, rest = name.partition(".")
        owner: _Table = self.top
        if first == "question" and rest and self.blocks:
            owner, first = self.blocks[-1], rest.partition(".")[0]
        owner.keys.setdefault(first, lineno)
        return None


class _ValueScanner:
    """Follows one value across lines, noting the line where each item of an array starts.

    It tracks only what decides where a value ends: strings, brackets and comments.
    """

    def __init__(self) -> None:
        self.start([])

    @property
    def unfinished(self) -> bool:
        return self.depth > 0 or self.quote is not None

    def start(self, items: list[int]) -> None:
        """Begin a new value; the line of each array item will be appended to `items`."""
        self.items = items
        self.quote: str | None = None
        self.depth = 0
        self.in_array = False
        self.expecting_item = False

    def feed(self, text: str, lineno: int) -> None:
        i = 0
        while i < len(text):
            if self.quote is not None:
                i = self._skip_string(text, i)
                continue
            char = text[i]
            if char == "#":
                break
            if char in " \t":
                i += 1
                continue
            if self.depth == 1 and self.in_array and self.expecting_item and char not in ",]":
                self.items.append(lineno)
                self.expecting_item = False
            if char in "\"'":
                self.quote = char * 3 if text.startswith(char * 3, i) else char
                i += len(self.quote)
                continue
            self._punctuation(char)
            i += 1
        if self.quote in ('"', "'"):  # single-line strings cannot continue on the next line
            self.quote = None

    def _skip_string(self, text: str, i: int) -> int:
        assert self.quote is not None
        if text[i] == "\\" and self.quote.startswith('"'):
            return i + 2
        if text.startswith(self.quote, i):
            end = i + len(self.quote)
            self.quote = None
            return end
        return i + 1

    def _punctuation(self, char: str) -> None:
        if char in "[{":
            if self.depth == 0:
                self.in_array = char == "["
                self.expecting_item = self.in_array
            self.depth += 1
        elif char in "]}":
            self.depth = max(0, self.depth - 1)
        elif char == "," and self.depth == 1:
            self.expecting_item = True
