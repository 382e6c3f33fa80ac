"""Read a plan file into a validated ``PlanFile``, or a ``PlanFileError`` that says where.

Errors name the file, the field (as a dotted path such as ``items[3].due``) and, where
YAML knows it, the line, so an admin can fix the file without guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.planfile.schema import FieldErrors, PlanFile

MAX_PLAN_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        field = f" [{self.path}]" if self.path else ""
        return f"{where}:{field} {self.message}"


class PlanFileError(Exception):
    """The plan file cannot be used; ``problems`` says every reason found."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__("\n".join(p.render(file) for p in problems))


class _PlanLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic reports impossible ones clearly."""


_PlanLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_plan_file(path: Path) -> PlanFile:
    """Parse and validate ``path``; raise ``PlanFileError`` on any problem."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_PLAN_FILE_BYTES:
            raise PlanFileError(name, [Problem("", None, "file is larger than 5 MB")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(name, [Problem("", None, "file not found")]) from None
    except UnicodeDecodeError:
        raise PlanFileError(name, [Problem("", None, "file is not UTF-8 text")]) from None
    return parse_plan_text(text, name)


def parse_plan_text(text: str, name: str = "<plan>") -> PlanFile:
    """Parse and validate plan text; ``name`` is the file name used in error messages."""
    try:
        root = yaml.compose(text, Loader=_PlanLoader)
        data = yaml.load(text, Loader=_PlanLoader)
    except yaml.YAMLError as exc:
        raise PlanFileError(name, [_syntax_problem(exc)]) from None
    if not isinstance(data, dict):
        raise PlanFileError(
            name, [Problem("", 1, "expected a mapping with 'plan', 'agencies' and 'items'")]
        )
    duplicates = _duplicate_keys(root)
    if duplicates:
        raise PlanFileError(name, duplicates)
    lines = _line_map(root)
    try:
        return PlanFile.model_validate(data)
    except ValidationError as exc:
        raise PlanFileError(name, _problems(exc, lines)) from None


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    """The line YAML stopped at, plus the line of the construct it was reading if different."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    message = f"YAML syntax error: {getattr(exc, 'problem', None) or exc}"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        message += f" ({context} on line {context_mark.line + 1})"
    return Problem("", line, message)


def _problems(exc: ValidationError, lines: dict[tuple[Any, ...], int]) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, FieldErrors):
            found = [(loc + path, message) for path, message in cause.problems]
        else:
            found = [(loc, str(cause) if cause is not None else error["msg"])]
        problems += [
            Problem(_dotted(where), _nearest_line(where, lines), message)
            for where, message in found
        ]
    return problems


def _duplicate_keys(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> list[Problem]:
    """Keys given twice in one mapping. YAML keeps only the last one, silently; a second
    ``items:`` block would then archive every item of the first, so it is an error here."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                continue
            line = key.start_mark.line + 1
            if key.value in first:
                problems.append(
                    Problem(
                        _dotted((*path, key.value)),
                        line,
                        f"duplicate key {key.value!r} (first on line {first[key.value]})",
                    )
                )
            else:
                first[key.value] = line
            problems += _duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            problems += _duplicate_keys(value, (*path, index))
    return problems


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _nearest_line(loc: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _line_map(node: yaml.Node | None, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each field path to the 1-based line where its value starts."""
    if node is None:
        return {}
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            found[child] = key.start_mark.line + 1
            found.update({k: v for k, v in _line_map(value, child).items() if k != child})
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            found.update(_line_map(value, (*path, index)))
    return found
