"""Scenario files: YAML read with the line of every value kept, and validation errors
(pydantic's) told as ``file:line: field: problem``, so that a user finds the mistake at once.

Shared by the station and campaign scenarios; it knows nothing of what they hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ilrs.errors import IlrsError, InputError
from ilrs.textfiles import read_text

__all__ = ["ScenarioSource", "read_scenario_yaml"]


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay text: times are read by ilrs.sky (UTC, leap seconds)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ScenarioSource:
    """A parsed YAML document and where each of its values stands in the file."""

    def __init__(self, path: Path, data: Any, lines: dict[tuple, int]):
        self.path = path
        self.data = data
        self._lines = lines

    def line_of(self, location: tuple) -> int | None:
        """The line [1-based] of the value at ``location`` (keys and list indices), or of
        its nearest enclosing value that the file has (a missing field: its parent)."""
        location = tuple(location)
        while location:
            if location in self._lines:
                return self._lines[location]
            location = location[:-1]
        return self._lines.get((), None)

    def where(self, location: tuple) -> str:
        """``file:line: a.b[2].c`` for messages."""
        line = self.line_of(location)
        field = _dotted(location)
        place = f"{self.path}:{line}" if line is not None else str(self.path)
        return f"{place}: {field}" if field else place

    def error(self, location: tuple, problem: str) -> InputError:
        return InputError(f"{self.where(location)}: {problem}")

    def validate(self, model, data, location: tuple = ()):
        """``model`` (a pydantic model) from ``data``, the part of the file at ``location``;
        every problem reported with its line."""
        from pydantic import ValidationError

        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise self.validation_error(error, location) from None
        except IlrsError as error:  # raised outside a field validator
            raise self.error(location, str(error)) from None

    def validation_error(self, error, prefix: tuple = ()) -> InputError:
        """One InputError listing every problem pydantic found, each with its line;
        ``prefix``: where in the file the validated part sits."""
        problems = []
        for item in error.errors():
            location = prefix + tuple(part for part in item["loc"] if not _is_union_tag(part))
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field (not part of the scenario schema)"
            elif item["type"] == "missing":
                message = "required field is missing"
            problems.append((location, message))
        return self.problems_error(problems)

    def problems_error(self, problems: list[tuple[tuple, str]]) -> InputError:
        """One InputError listing ``(location, message)`` problems, each with its line."""
        lines = [f"{self.where(location)}: {message}" for location, message in problems]
        if len(lines) == 1:
            return InputError(lines[0])
        return InputError(f"{len(lines)} problems:\n  " + "\n  ".join(lines))


def read_scenario_yaml(path: str | Path, kind: str = "scenario") -> ScenarioSource:
    """Parse a YAML file, keeping the line of each mapping value and list item."""
    path = Path(path)
    text = read_text(path, kind)
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InputError(f"{path}{line}: not valid YAML: {problem}") from error
    if not isinstance(data, dict):
        raise InputError(f"{path}: a {kind} file must hold a mapping of fields at the top")
    lines: dict[tuple, int] = {}
    _collect_lines(node, (), lines)
    return ScenarioSource(path, data, lines)


def _collect_lines(node, location: tuple, lines: dict[tuple, int]) -> None:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[location + (key,)] = key_node.start_mark.line + 1
            _collect_lines(value_node, location + (key,), lines)
            lines[location + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, location + (index,), lines)


def _is_union_tag(part) -> bool:
    # pydantic names the branch of a union it tried ("function-after[...]", a model name);
    # the file has no such level.
    return isinstance(part, str) and ("[" in part or part[:1].isupper())


def _dotted(location: tuple) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
