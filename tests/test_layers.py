"""The layers' import rules, checked on the AST so that no spelling of an import slips past.

Relative imports are resolved against the importing module's package, and literal
`importlib.import_module("...")` / `__import__("...")` strings count as imports: the
/stats handler loads the chart module lazily that way.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (importer prefix, prefixes it must not import)
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "bot.core",
        ("telegram", "bot.tg", "bot.chat", "bot.present", "bot.render", "sqlalchemy"),
    ),
    ("bot.present", ("telegram", "bot.tg", "bot.chat", "storage", "sqlalchemy")),
    ("bot.tg", ("storage", "sqlalchemy", "bot.chat")),
    ("bot.chat", ("storage", "sqlalchemy", "telegram", "bot.tg")),
    ("storage", ("bot", "telegram")),
    ("questions", ("bot", "telegram", "storage", "sqlalchemy")),
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every module `source` imports, absolute, with its line; names imported from a module
    are yielded as `module.name` too, since they may be submodules."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield node.args[0].value, node.lineno


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    found: list[str] = []
    for importer, forbidden in RULES:
        if module != importer and not module.startswith(importer + "."):
            continue
        for target, line in imports_of(source, module, is_package):
            if any(target == f or target.startswith(f + ".") for f in forbidden):
                found.append(f"{module}:{line} imports {target}")
    return found


def project_modules() -> Iterator[tuple[str, Path]]:
    for top in ("bot", "storage", "questions"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield module_name(path, ROOT), path


def test_layers_import_only_downwards() -> None:
    modules = list(project_modules())
    assert len(modules) > 40, "the walk found too few modules to be looking at the project"
    bad = [
        v
        for module, path in modules
        for v in violations(module, path.read_text(encoding="utf-8"), path.name == "__init__.py")
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        ("bot.core.probe", "from ..tg import send", False),
        ("bot.core.probe", "from .. import tg", False),
        ("bot.core", "from ..chat.terminal import TerminalChat", True),
        ("bot.core.probe", "import importlib\nimportlib.import_module('bot.present.charts')", False),
        ("bot.core.probe", "__import__('telegram')", False),
        ("bot.core.probe", "from sqlalchemy.exc import IntegrityError", False),
        ("bot.core.probe", "import sqlalchemy.ext.asyncio as sa", False),
        ("bot.core.sub.probe", "from ...render import render", False),
        ("bot.tg.handlers.probe", "from storage.records import UserRecord", False),
        ("bot.chat.probe", "import storage", False),
        ("storage.probe", "from bot.core import clock", False),
        ("questions.probe", "from storage import db", False),
    ],
)
def test_checker_sees_every_spelling(module: str, source: str, is_package: bool) -> None:
    assert violations(module, source, is_package)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bot.core.probe", "from .clock import Clock"),
        ("bot.core.probe", "from questions.schema import Question"),
        ("bot.tg.probe", "from bot.present.render import render"),
        ("bot.chat.probe", "from ..core.services import Services"),
    ],
)
def test_checker_allows_downward_imports(module: str, source: str) -> None:
    assert violations(module, source) == []
