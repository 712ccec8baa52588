"""Scenario files: YAML read with the line of every value kept, and validation errors
(pydantic's) told as ``file:line: field: problem``, so that a user finds the mistake at once.

Any text is read in bounded time and memory: the file's size, the nesting depth and the
number of values with aliases expanded are limited (:data:`MAX_SCENARIO_BYTES`,
:data:`MAX_YAML_DEPTH`, :data:`MAX_YAML_VALUES`) and checked on the stream of parser events
before anything is built, so an alias bomb or a deeply nested document is refused at
once; a key given twice in one mapping is refused too (YAML would keep the last silently).

Shared by the station and campaign scenarios; it knows nothing of what they hold.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ilrs.errors import IlrsError, InputError
from ilrs.textfiles import read_text

__all__ = [
    "MAX_SCENARIO_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_VALUES",
    "ScenarioSource",
    "named_file_problem",
    "parse_scenario_text",
    "read_scenario_yaml",
]

# The reference campaign (the largest scenario file) is 10 kB, 756 parser events and 6
# levels deep; these leave a hundredfold room and keep any file under a second to read.
MAX_SCENARIO_BYTES = 1 << 20
MAX_YAML_DEPTH = 64
MAX_YAML_VALUES = 200_000  # scalars and collections, each alias counted as what it repeats
MAX_LISTED_PROBLEMS = 20  # a message lists the first ones and counts the rest

# libyaml's parser where PyYAML has it (20 times faster); the same results.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe YAML whose dates stay text (times are read by ilrs.sky: UTC, leap seconds) and
    that knows no base-60 numbers (YAML 1.1's ``1:30:00``; a long one costs time growing
    with its square, and no scenario field is written so)."""


def _without_base_60(regexp: re.Pattern) -> re.Pattern:
    """A YAML 1.1 int or float pattern without its sexagesimal alternatives."""
    kept = [line for line in regexp.pattern.split("\n") if ":[0-5]?[0-9]" not in line]
    pattern = "\n".join(kept)
    if not pattern.rstrip().endswith(")$"):  # the last alternative was dropped: close it
        pattern = pattern.rstrip() + ")$"
    return re.compile(pattern, regexp.flags)


_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, _without_base_60(regexp) if tag in _NUMBERS else regexp)
        for tag, regexp in resolvers
        if tag != "tag:yaml.org,2002:timestamp"
    ]
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
        """One InputError listing ``(location, message)`` problems, each with its line
        (the first :data:`MAX_LISTED_PROBLEMS` of them)."""
        lines = [f"{self.where(location)}: {message}" for location, message in problems]
        if len(lines) == 1:
            return InputError(lines[0])
        shown = lines[:MAX_LISTED_PROBLEMS]
        if len(lines) > len(shown):
            shown.append(f"… and {len(lines) - len(shown)} more")
        return InputError(f"{len(lines)} problems:\n  " + "\n  ".join(shown))


def read_scenario_yaml(path: str | Path, kind: str = "scenario") -> ScenarioSource:
    """Parse a YAML file, keeping the line of each mapping value and list item."""
    path = Path(path)
    return parse_scenario_text(read_text(path, kind, max_bytes=MAX_SCENARIO_BYTES), path, kind)


def parse_scenario_text(text: str, path: Path, kind: str = "scenario") -> ScenarioSource:
    """Parse YAML ``text`` (from ``path``, as messages name it) within the limits."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise InputError(
            f"{path}: a {kind} file may hold at most {MAX_SCENARIO_BYTES >> 10} KiB of text "
            f"(this one {len(text) >> 10} KiB)"
        )
    try:
        _check_shape(text, path)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise InputError(f"{path}: a {kind} file must hold a mapping of fields at the top")
            lines: dict[tuple, int] = {}
            _collect_lines(node, (), lines, path)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except IlrsError:
        raise
    except yaml.YAMLError as error:
        raise _yaml_error(path, error) from None
    except UnicodeEncodeError as error:  # text pasted into the web app: a lone surrogate
        raise InputError(
            f"{path}: holds a character that is not Unicode text ({error.object[error.start]!r})"
        ) from None
    except ValueError as error:  # a value YAML cannot make: a 5,000-digit integer
        raise InputError(f"{path}: a value cannot be read: {str(error).split(';')[0]}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a {kind} file must hold a mapping of fields at the top")
    return ScenarioSource(path, data, lines)


MAX_NAME_CHARS = 1024  # a file named in a scenario; a part of it at most 255 (the systems')


def named_file_problem(
    name: str,
    within: Path | None = None,
    *,
    base: Path | None = None,
    scenario: bool = False,
) -> str | None:
    """Why a file name written in a scenario may not be read (None: it may).

    Always: a name no file can have (a NUL character, too long). With ``within`` (a plan
    sent to the web application, whose files must stay in that folder): an absolute path,
    a ``..``, or a path that leads out once every link on it is followed (the very path
    that would be opened, taken from ``base``, default ``within``); ``scenario``: it must
    also be a YAML file, since a scenario's mistakes quote its text. Says nothing of
    whether the file exists."""
    if "\0" in name:
        return "a file name cannot hold a NUL character"
    if len(name) > MAX_NAME_CHARS or any(len(part) > 255 for part in Path(name).parts):
        return f"too long for a file name (at most {MAX_NAME_CHARS} characters, 255 a part)"
    if within is None:
        return None
    given = Path(name)
    if given.is_absolute() or name.startswith("~") or "\\" in name:
        return "give a path inside the plan's folder, not an absolute one"
    if ".." in given.parts:
        return "give a path inside the plan's folder ('..' leaves it)"
    root = Path(within).resolve()
    if not (Path(base or within).resolve() / given).resolve().is_relative_to(root):
        return "the path leads out of the plan's folder (a link)"
    if scenario and given.suffix.lower() not in (".yaml", ".yml"):
        return "a scenario file is a YAML file (.yaml, .yml)"
    return None


def _yaml_error(path: Path, error: yaml.YAMLError) -> InputError:
    mark = getattr(error, "problem_mark", None)
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return InputError(f"{path}{line}: not valid YAML: {problem}")


def _check_shape(text: str, path: Path) -> None:
    """Walk the parser's events (no value built) and stop at the first limit passed: the
    nesting depth and the number of values, both with every alias expanded (an alias bomb
    of a few hundred bytes stands for billions of values; a chain of aliases each nesting
    the last stands for thousands of levels)."""
    sizes: dict[str, int] = {}  # anchor -> the values it stands for
    heights: dict[str, int] = {}  # anchor -> the levels it nests (a scalar: 0)
    # Per open collection: [values before it, its anchor, its highest child].
    open_collections: list[list] = []
    expanded = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_collections) >= MAX_YAML_DEPTH:
                raise _limit_error(path, event, f"nested more than {MAX_YAML_DEPTH} levels deep")
            open_collections.append([expanded, event.anchor, 0])
            expanded += 1
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            before, anchor, highest_child = open_collections.pop()
            height = highest_child + 1
            if anchor is not None:
                sizes[anchor], heights[anchor] = expanded - before, height
        elif isinstance(event, yaml.ScalarEvent):
            height = 0
            expanded += 1
            if event.anchor is not None:
                sizes[event.anchor], heights[event.anchor] = 1, 0
        elif isinstance(event, yaml.AliasEvent):
            if any(entry[1] == event.anchor for entry in open_collections):
                raise _limit_error(path, event, f"*{event.anchor} refers to itself", limit=False)
            height = heights.get(event.anchor, 0)
            expanded += sizes.get(event.anchor, 1)
        else:
            continue
        if open_collections:
            open_collections[-1][2] = max(open_collections[-1][2], height)
        if len(open_collections) + height > MAX_YAML_DEPTH:
            raise _limit_error(
                path,
                event,
                f"nested more than {MAX_YAML_DEPTH} levels deep once aliases are expanded",
            )
        if expanded > MAX_YAML_VALUES:
            raise _limit_error(
                path, event, f"holds more than {MAX_YAML_VALUES:,} values once aliases are expanded"
            )


def _limit_error(path: Path, event, problem: str, *, limit: bool = True) -> InputError:
    line = f":{event.start_mark.line + 1}" if event.start_mark is not None else ""
    return InputError(f"{path}{line}: {problem}" + (" (the limit for a scenario file)" * limit))


def _collect_lines(
    node, location: tuple, lines: dict[tuple, int], path: Path, visited: set | None = None
) -> None:
    """The line of each value by its location; a node met again (through an alias) is not
    walked again: the values under it keep the lines of the anchored ones."""
    visited = set() if visited is None else visited
    lines[location] = node.start_mark.line + 1
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                field = _dotted(location) or "the top"
                raise InputError(f"{path}:{line}: {field}: a key must be a plain name")
            if key != "<<":
                if key in seen:
                    field = _dotted(location + (key,))
                    raise InputError(
                        f"{path}:{line}: {field}: given twice (first on line {seen[key]})"
                    )
                seen[key] = line
            lines[location + (key,)] = line
            _collect_lines(value_node, location + (key,), lines, path, visited)
            lines[location + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, location + (index,), lines, path, visited)


def _is_union_tag(part) -> bool:
    # pydantic names the branch of a union it tried ("function-after[...]", a model name);
    # the file has no such level.
    return isinstance(part, str) and ("[" in part or part[:1].isupper())


def _dotted(location: tuple) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
