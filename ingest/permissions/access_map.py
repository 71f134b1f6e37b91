"""Readers from an access map: path globs to principals, for drives whose permissions did not survive the copy.

An access map is a TOML file::

    # Files no rule matches; leave it out and such files are refused, never readable by everyone by accident.
    default = ["everyone"]

    [rules]
    "HR/**" = ["group:hr"]
    "Legal/**" = ["group:legal", "user:dpo"]
    "**/*salary*" = []           # no principal: admins only

Patterns are gitignore's (``pathspec``, case-sensitive) and are matched against each file's path relative to the
folder given to ``enclave ingest`` (a link's target's path); the first rule that matches, in the file's order,
gives the readers.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from ingest.discovery import SourceFile
from rag.access import parse_principals
from rag.errors import InvalidInputError, UnsupportedDocumentError


@dataclass(frozen=True)
class AccessRule:
    pattern: str
    readers: tuple[str, ...]
    spec: pathspec.PathSpec


@dataclass(frozen=True)
class AccessMap:
    """Rules in order, and the readers of a file no rule matches (None: such a file is refused)."""

    path: Path
    rules: tuple[AccessRule, ...]
    default: tuple[str, ...] | None

    def readers_of(self, source_file: SourceFile) -> tuple[str, ...]:
        path = _target_path(source_file)
        for rule in self.rules:
            if rule.spec.match_file(path):
                return rule.readers
        if self.default is None:
            raise UnsupportedDocumentError(
                f"no rule of the access map {self.path.name} matches it, and the map has no default readers"
            )
        return self.default

    def principals(self) -> Iterator[str]:
        """Every principal the map names."""
        for rule in self.rules:
            yield from rule.readers
        yield from self.default or ()


def _target_path(source_file: SourceFile) -> str:
    """The file's path relative to the ingested folder; for a link, its target's (a link takes the target's
    readers, as with the file system's permissions)."""
    if not source_file.path.is_symlink():
        return source_file.source
    try:
        return source_file.path.resolve(strict=True).relative_to(source_file.root.resolve()).as_posix()
    except (OSError, RuntimeError, ValueError) as exc:  # a broken link, a loop: it cannot be read either
        raise UnsupportedDocumentError("a link whose target cannot be found") from exc


def load_access_map(path: Path) -> AccessMap:
    """The access map at ``path``; InvalidInputError naming the file and the fault when it cannot be used."""
    try:
        document = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read the access map {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the access map {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"default", "rules"})
    if unknown:
        raise InvalidInputError(f"the access map {path} has unknown keys {unknown}: use 'default' and [rules]")
    rules_table = document.get("rules", {})
    if not isinstance(rules_table, dict) or not rules_table:
        raise InvalidInputError(f'the access map {path} needs a [rules] table of "glob" = [principals]')
    rules = tuple(_rule(path, pattern, readers) for pattern, readers in rules_table.items())
    default = document.get("default")
    return AccessMap(path=path, rules=rules, default=None if default is None else _principals(path, "default", default))


def _rule(path: Path, pattern: str, readers: Any) -> AccessRule:
    if not pattern.strip() or pattern.lstrip().startswith(("!", "#")):
        raise InvalidInputError(f"the access map {path}: {pattern!r} is not a path glob (no '!' or '#' rules)")
    spec = pathspec.PathSpec.from_lines("gitignore", [pattern])
    return AccessRule(pattern=pattern, readers=_principals(path, pattern, readers), spec=spec)


def _principals(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInputError(f'the access map {path}: {key!r} must be a list of principals, like ["group:hr"]')
    try:
        return parse_principals(value)
    except InvalidInputError as exc:
        raise InvalidInputError(f"the access map {path}: {key!r}: {exc.detail}") from exc
