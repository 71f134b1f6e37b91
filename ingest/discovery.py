"""Find the files to ingest under the paths a user names, staying inside each root."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InvalidInputError


@dataclass(frozen=True)
class SourceFile:
    root: Path  # absolute folder the source path is relative to
    path: Path  # absolute path of the file, as found (not resolved through links)
    source: str  # path relative to root, with forward slashes

    @property
    def is_within_root(self) -> bool:
        try:
            self.path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        except (RuntimeError, OSError):
            # A link loop leads nowhere, so not out of the root: listed, it fails on reading with its reason.
            return True
        return True


def discover(paths: Sequence[Path]) -> list[SourceFile]:
    """Every regular file under ``paths``, hidden files and folders skipped, links out of the root skipped."""
    found: list[SourceFile] = []
    for given in paths:
        path = Path(os.path.abspath(given))
        if path.is_file():
            found.append(SourceFile(root=path.parent, path=path, source=path.name))
        elif path.is_dir():
            found.extend(_walk(path))
        else:
            raise InvalidInputError(f"no such file or folder: {given}")
    return found


def _walk(root: Path) -> Iterator[SourceFile]:
    # followlinks=False: a linked folder could lead out of the root or into a loop.
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            candidate = SourceFile(root=root, path=path, source=path.relative_to(root).as_posix())
            if path.is_symlink() and not candidate.is_within_root:
                continue
            yield candidate
