"""Readers of a file from the file system: owner, group and mode bits, POSIX ACLs, and the folders above it.

A file's readers are the principals its permissions let read it (``getfacl`` semantics: named users and groups
count with what the ACL mask leaves them; "other" readable means ``everyone``), narrowed by every folder between
the ingested root and the file, which must let them in (search permission): a world-readable file in a folder
only group ``hr`` may enter is read by ``hr`` only. The root's own permissions do not count (they say who may use
the copy on this machine), so ingest a drive from its top folder: a sub-folder ingested alone does not see the
folders above it. A link takes its target's permissions and its target's folders. The owner counts like any user
(``user:root`` for a file root owns); a file whose permissions name no one gets no readers (admins only).
"""

from __future__ import annotations

import grp
import pwd
import stat
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ingest.discovery import SourceFile
from ingest.permissions.posix_acl import EXECUTE, READ, AclTag, read_acl
from rag.access import EVERYONE
from rag.errors import UnsupportedDocumentError


class FileSystemReaders:
    """The reader policy that reads permissions off the files themselves (the default)."""

    def readers_of(self, source_file: SourceFile) -> tuple[str, ...]:
        try:
            target = source_file.path.resolve(strict=True)
            root = source_file.root.resolve(strict=True)
            readers = principals_allowed(target, READ)
            # The folders of the drive, not the root's own: where the operator keeps the drive on this machine
            # (a mount point, a copy readable by the ingesting account only) is not the drive's audience.
            folder = target.parent
            while folder != root and root in folder.parents:
                readers = narrowed(readers, principals_allowed(folder, EXECUTE))
                folder = folder.parent
        except OSError as exc:
            raise UnsupportedDocumentError(f"cannot read the file's permissions: {exc.strerror or exc}") from exc
        except ValueError as exc:  # an ACL attribute this code does not know how to read
            raise UnsupportedDocumentError(f"cannot read the file's ACL: {exc}") from exc
        return tuple(sorted(readers))


def principals_allowed(path: Path, permission: int) -> frozenset[str]:
    """Who ``permission`` (READ or EXECUTE) is granted to on ``path``, from its ACL or else its mode bits.

    POSIX checks the most specific class that applies (owner, named user, groups, then other), so a file that
    grants "other" what it denies its owner, a named user or a group is not everyone's: Enclave cannot say
    "everyone but these", and gives it only the principals that are granted by name (fewer readers, never more).
    """
    status = path.stat()
    owner, group = user_principal(status.st_uid), group_principal(status.st_gid)
    acl = read_acl(path)
    if acl is None:
        mode = status.st_mode
        bits = (
            (owner, stat.S_IRUSR if permission == READ else stat.S_IXUSR),
            (group, stat.S_IRGRP if permission == READ else stat.S_IXGRP),
        )
        entries = [(principal, bool(mode & bit)) for principal, bit in bits]
        other = bool(mode & (stat.S_IROTH if permission == READ else stat.S_IXOTH))
        return _readers(entries, other)
    mask = next((entry.permissions for entry in acl if entry.tag is AclTag.MASK), 7)
    entries, other = [], False
    for entry in acl:
        granted = bool(
            (entry.permissions if entry.tag in (AclTag.USER_OBJ, AclTag.OTHER) else entry.permissions & mask)
            & permission
        )
        if entry.tag is AclTag.OTHER:
            other = granted
        elif entry.tag is AclTag.USER_OBJ:
            entries.append((owner, granted))
        elif entry.tag is AclTag.GROUP_OBJ:
            entries.append((group, granted))
        elif entry.tag is AclTag.USER and entry.qualifier is not None:
            entries.append((user_principal(entry.qualifier), granted))
        elif entry.tag is AclTag.GROUP and entry.qualifier is not None:
            entries.append((group_principal(entry.qualifier), granted))
    return _readers(entries, other)


def _readers(entries: list[tuple[str, bool]], other: bool) -> frozenset[str]:
    """``everyone`` when "other" is granted and no named class is denied; else the principals granted by name."""
    if other and all(granted for _, granted in entries):
        return frozenset({EVERYONE})
    return frozenset(principal for principal, granted in entries if granted)


def narrowed(readers: Iterable[str], admitted: Iterable[str]) -> frozenset[str]:
    """Those of ``readers`` whom ``admitted`` (a folder's principals) lets through.

    ``everyone`` on one side leaves the other. A principal on both sides stays; a user on one side stays when
    they belong to a group on the other. Two different groups leave nobody: the members of both cannot be
    named by one principal, so the document goes to admins rather than to too many.
    """
    readers, admitted = frozenset(readers), frozenset(admitted)
    if EVERYONE in admitted:
        return readers
    if EVERYONE in readers:
        return admitted
    kept = set(readers & admitted)
    for one, other in ((readers, admitted), (admitted, readers)):
        groups = [principal[len("group:") :] for principal in other if principal.startswith("group:")]
        for principal in one:
            if principal.startswith("user:") and any(is_member(principal[len("user:") :], g) for g in groups):
                kept.add(principal)
    return frozenset(kept)


@lru_cache(maxsize=4096)
def user_principal(uid: int) -> str:
    try:
        return f"user:{pwd.getpwuid(uid).pw_name}"
    except KeyError:  # an id without a name on this machine (a copied drive): the id stands for it
        return f"user:{uid}"


@lru_cache(maxsize=4096)
def group_principal(gid: int) -> str:
    try:
        return f"group:{grp.getgrgid(gid).gr_name}"
    except KeyError:
        return f"group:{gid}"


@lru_cache(maxsize=4096)
def is_member(user: str, group: str) -> bool:
    """Whether ``user`` belongs to ``group`` on this machine (as a listed member or by primary group)."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return False
    if user in entry.gr_mem:
        return True
    try:
        return pwd.getpwnam(user).pw_gid == entry.gr_gid
    except KeyError:
        return False
