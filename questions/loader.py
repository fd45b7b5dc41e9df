"""Load question bank files and report every problem with its file and line.

The bank API (`QuestionBank`, `load_bank`, `validate_paths`) lives here; the lines of keys and
items come from questions.toml_lines (tomllib reports no positions) and the words for pydantic's
errors from questions.wording. That scan of a file's lines costs about as much as parsing it, so
it runs only for a file with something to report (a pack of 30,000 valid questions skips it).

Only regular files are read: a named pipe, socket or device called `*.toml` would block the
read (and start-up) forever, so it is reported and skipped, never opened.
"""

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from questions.schema import Question
from questions.toml_lines import SourceMap, toml_error_at
from questions.topics import TOPICS
from questions.wording import describe_bank_error, lower_first

__all__ = [
    "BankError",
    "Problem",
    "QuestionBank",
    "builtin_bank_files",
    "load_bank",
    "validate_paths",
]


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
    first_seen: dict[str, _Entry] = {}  # id -> where it was first defined
    for path in _expand(paths, problems):
        file_problems: list[Problem] = []
        entries = _load_file(path, file_problems)
        for entry in entries:
            # Invalid questions take part too, so one run reports every clash at once.
            if entry.id is not None and (first := first_seen.get(entry.id)) is not None:
                message = f"question '{entry.id}': duplicate id; first defined at {first.path}:{first.line}"
                file_problems.append(Problem(str(path), entry.line, message))
                continue
            if entry.id is not None:
                first_seen[entry.id] = entry
            if entry.question is not None:
                questions.append(entry.question)
        if entries:
            entries[0].lines.forget_text()  # a big bank is never all in memory as text
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
            # is_file() asks stat(), which never blocks; opening a named pipe would.
            if not member.is_file():
                problems.append(Problem(str(member), 0, _NOT_A_FILE))
            elif member.resolve() not in seen:
                seen.add(member.resolve())
                yield member


_NOT_A_FILE = "not a regular file (a folder, named pipe, socket or device?); skipped"


class _Lines:
    """Where a file's blocks, keys and items start, scanned only when first asked."""

    def __init__(self, path: Path, text: str) -> None:
        self._path = path
        self._text: str | None = text

    def forget_text(self) -> None:
        """Drop the text once the file is loaded; a later question re-reads the file."""
        self._text = None

    @cached_property
    def map(self) -> SourceMap:
        text = self._text
        if text is None:
            # Only to point at the first of two questions with one id: a file that changed
            # or vanished meanwhile just points less precisely.
            try:
                text = self._path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
        self._text = None
        return SourceMap(text)


@dataclass(frozen=True)
class _Entry:
    """One `[[question]]` table as read from a file: its id and place, and the question if valid."""

    id: str | None
    path: Path
    index: int  # among the file's [[question]] tables
    question: Question | None
    lines: _Lines = field(repr=False, compare=False)

    @cached_property
    def line(self) -> int:
        """The line of its id (of the table if it has none); works out the file's lines."""
        return self.lines.map.block(self.index).line_of(("id",))


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

    lines = _Lines(path, text)
    entries: list[_Entry] = []
    for index, raw in enumerate(_raw_questions(name, data, lines, problems)):
        question: Question | None = None
        try:
            # strict: TOML already has types, so "2" for a difficulty is a mistake, not a number.
            question = Question.model_validate(raw, strict=True)
        except ValidationError as error:
            label = _question_label(raw, index)
            block = lines.map.block(index)
            for detail in error.errors():
                line = block.line_of(tuple(detail["loc"]))
                problems.append(Problem(name, line, f"{label}: {describe_bank_error(detail)}"))
        raw_id = raw.get("id")
        entries.append(_Entry(raw_id if isinstance(raw_id, str) else None, path, index, question, lines))
    return entries


def _raw_questions(
    name: str, data: dict[str, Any], lines: _Lines, problems: list[Problem]
) -> list[dict[str, Any]]:
    """The `[[question]]` tables of a parsed file, after checking the file's overall shape."""
    for key in data:
        if key != "question":
            message = f"unknown top-level key '{key}'; a bank file holds only [[question]] tables"
            problems.append(Problem(name, lines.map.top.line_of((key,)), message))
    raw = data.get("question")
    if raw is None:
        if not data:
            problems.append(Problem(name, 1, "no questions: a bank file holds [[question]] tables"))
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        message = "'question' must be a list of tables, each starting with a [[question]] line"
        problems.append(Problem(name, lines.map.top.line_of(("question",)), message))
        return []
    return raw


def _toml_problem(name: str, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    at = toml_error_at(str(error))
    if at.column is not None and at.line is not None:
        line, detail = at.line, f"{at.message} (column {at.column})"
    elif at.at_end:
        line, detail = max(1, len(text.splitlines())), f"{at.message} at the end of the file"
    else:
        line, detail = 1, at.message
    return Problem(name, line, f"invalid TOML: {lower_first(detail)}")


def _question_label(raw: dict[str, Any], index: int) -> str:
    question_id = raw.get("id")
    if isinstance(question_id, str) and question_id.strip():
        return f"question '{question_id}'"
    return f"question #{index + 1}"
