"""Where things are in a TOML file's text: the lines tomllib does not report.

tomllib returns plain values without positions, so after parsing, the loader scans the raw
text once more (`SourceMap`) to learn where each `[[question]]` block, key and array item
starts. That scan only has to point a person at the right line; tomllib stays the parser.
tomllib's own errors carry their position only inside the message: `toml_error_at` takes it out.
"""

import re
from dataclasses import dataclass, field

__all__ = ["Block", "Loc", "SourceMap", "Table", "TomlErrorAt", "toml_error_at"]

# A pydantic error location: keys and list indexes from the top of the document.
Loc = tuple[int | str, ...]

_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


@dataclass(frozen=True)
class TomlErrorAt:
    """A tomllib error message split from its position."""

    message: str  # without the position
    line: int | None = None
    column: int | None = None
    at_end: bool = False  # "(at end of document)": the file ended too early


def toml_error_at(message: str) -> TomlErrorAt:
    """Where a TOMLDecodeError happened; Python 3.11's has no lineno, only "(at line 3, column 7)"."""
    if at := _TOML_AT.search(message):
        return TomlErrorAt(message[: at.start()], int(at[1]), int(at[2]))
    if at_end := _TOML_AT_END.search(message):
        return TomlErrorAt(message[: at_end.start()], at_end=True)
    return TomlErrorAt(message)


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.[^=]*)?=""")


@dataclass
class Table:
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
class Block(Table):
    """One `[[question]]` block and its `[[question.talking_points]]` sub-tables."""

    points: list[Table] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int:
        # Sub-tables get their own lines; inline talking points fall through to the array items.
        match loc:
            case ("talking_points", int(index), *rest) if index < len(self.points):
                return self.points[index].line_of(tuple(rest))
        return super().line_of(loc)


class SourceMap:
    """Line numbers for the tables, keys and array items of one TOML file."""

    def __init__(self, text: str) -> None:
        self.top = Table(line=1)
        self.blocks: list[Block] = []
        table: Table | None = self.top  # where key lines are recorded; None for tables we ignore
        value = ValueScanner()
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

    def block(self, index: int) -> Block:
        if index < len(self.blocks):
            return self.blocks[index]
        # Questions written as an inline array (question = [{...}]) have no headers.
        return Block(line=self.top.line_of(("question", index)))

    def _open(self, brackets: str, name: str, lineno: int) -> Table | None:
        if brackets == "[[" and name == "question":
            self.blocks.append(Block(line=lineno))
            return self.blocks[-1]
        if brackets == "[[" and name == "question.talking_points" and self.blocks:
            self.blocks[-1].points.append(Table(line=lineno))
            return self.blocks[-1].points[-1]
        # Any other table is an unknown key of its parent: remember where it starts.
        first, _, rest = name.partition(".")
        owner: Table = self.top
        if first == "question" and rest and self.blocks:
            owner, first = self.blocks[-1], rest.partition(".")[0]
        owner.keys.setdefault(first, lineno)
        return None


class ValueScanner:
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
