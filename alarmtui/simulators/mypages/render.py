"""GraphQL documents as the simulator reads them: a small parser and a projector.

The server must dispatch on a document's root fields, not its operationName
(three vsure camera documents send none, two share a name — §3), and return
only the selected fields, `__typename` included, with union fragments
(`... on YaleLockConfiguration { … }`) honoured by type. Arguments are not
interpreted here: resolvers read the operation's variables by their names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r'\s+|,|#[^\n]*|"(?:[^"\\]|\\.)*"|\.\.\.|[{}():$!\[\]=@]|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*')


class DocumentError(ValueError):
    """Not a GraphQL document this server can read."""


@dataclass
class Selection:
    name: str
    """The field's name, or "" for an inline fragment."""
    alias: str = ""
    on: str = ""
    """An inline fragment's type condition."""
    children: list[Selection] | None = None


@dataclass
class Document:
    kind: str  # query | mutation
    name: str
    roots: list[Selection] = field(default_factory=list)

    @property
    def root_names(self) -> list[str]:
        return [s.name for s in self.roots if s.name]


def _tokens(text: str) -> list[str]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise DocumentError(f"unexpected character {text[position]!r} at {position}")
        token = match.group(0)
        position = match.end()
        if token.strip() and token != "," and not token.startswith("#"):
            tokens.append(token)
    return tokens


@lru_cache(maxsize=256)
def parse_document(text: str) -> Document:
    tokens = _tokens(text)
    index = 0

    def peek() -> str:
        return tokens[index] if index < len(tokens) else ""

    def take(expected: str | None = None) -> str:
        nonlocal index
        if index >= len(tokens):
            raise DocumentError("the document ends too early")
        token = tokens[index]
        if expected is not None and token != expected:
            raise DocumentError(f"expected {expected!r}, found {token!r}")
        index += 1
        return token

    def skip_group(open_: str, close: str) -> None:
        depth = 0
        while True:
            token = take()
            if token == open_:
                depth += 1
            elif token == close:
                depth -= 1
                if depth == 0:
                    return

    def selections() -> list[Selection]:
        take("{")
        found = []
        while peek() != "}":
            if peek() == "...":
                take()
                take("on")
                type_name = take()
                found.append(Selection("", on=type_name, children=selections()))
                continue
            name = take()
            alias = ""
            if peek() == ":":
                take()
                alias, name = name, take()
            if peek() == "(":
                skip_group("(", ")")
            while peek() == "@":  # directives are ignored
                take()
                take()
                if peek() == "(":
                    skip_group("(", ")")
            children = selections() if peek() == "{" else None
            found.append(Selection(name, alias, children=children))
        take("}")
        return found

    kind, name = "query", ""
    if peek() in ("query", "mutation", "subscription"):
        kind = take()
        if peek() not in ("(", "{"):
            name = take()
        if peek() == "(":
            skip_group("(", ")")
    roots = selections()
    return Document(kind, name, roots)


Value = Any
"""A JSON value, or a zero-argument callable producing one (resolved only when selected)."""


def project(value: Value, chosen: list[Selection] | None) -> Any:
    """Only the selected fields of `value` (dicts may hold callables, evaluated only if selected)."""
    if callable(value):
        value = value()
    if chosen is None or value is None:
        return value
    if isinstance(value, list):
        return [project(item, chosen) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for selection in chosen:
        if not selection.name:
            if value.get("__typename") == selection.on:
                out.update(project(value, selection.children))
            continue
        out[selection.alias or selection.name] = project(value.get(selection.name), selection.children)
    return out


def iso(epoch: float | None) -> str | None:
    """The API's time format (`2020-03-11T21:04:40.000Z`)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch * 1000) % 1000:03d}Z"


Resolver = Callable[[dict[str, Any]], Value]

__all__ = ["Document", "DocumentError", "Selection", "iso", "parse_document", "project"]
