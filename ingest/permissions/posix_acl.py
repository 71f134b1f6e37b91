"""A file's POSIX access ACL, read from its ``system.posix_acl_access`` extended attribute with ``os.getxattr``.

The attribute's layout is the kernel's (``include/uapi/linux/posix_acl_xattr.h``): a 4-byte little-endian version
(2), then 8-byte entries of tag (2 bytes), permissions (2 bytes) and id (4 bytes, a uid or gid for named entries).
A file without an extended ACL has no such attribute: its mode bits say it all.
"""

from __future__ import annotations

import errno
import os
import struct
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

_ATTRIBUTE = "system.posix_acl_access"
_VERSION = 2
_HEADER = struct.Struct("<I")
_ENTRY = struct.Struct("<HHI")
# What means "no ACL here": the attribute is absent, or the file system or platform has no ACLs at all.
_NO_ACL = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, getattr(errno, "ENOATTR", errno.ENODATA)}

READ = 4
EXECUTE = 1


class AclTag(IntEnum):
    USER_OBJ = 0x01  # the owner
    USER = 0x02  # a named user
    GROUP_OBJ = 0x04  # the owning group
    GROUP = 0x08  # a named group
    MASK = 0x10  # the most a named user, a group or the owning group may have
    OTHER = 0x20  # everyone else


@dataclass(frozen=True)
class AclEntry:
    tag: AclTag
    permissions: int  # bits: 4 read, 2 write, 1 execute
    qualifier: int | None  # the uid or gid of a named entry


def read_acl(path: Path) -> list[AclEntry] | None:
    """The access ACL of ``path`` (links followed), or None when it has none beyond its mode bits."""
    try:
        raw = os.getxattr(path, _ATTRIBUTE)
    except OSError as exc:
        if exc.errno in _NO_ACL:
            return None
        raise
    except AttributeError:  # a platform without extended attributes (macOS has no os.getxattr)
        return None
    return parse_acl(raw)


def parse_acl(raw: bytes) -> list[AclEntry]:
    """The entries of an ACL attribute's bytes; ValueError for bytes that are not one."""
    if len(raw) < _HEADER.size or (len(raw) - _HEADER.size) % _ENTRY.size:
        raise ValueError(f"an ACL attribute of {len(raw)} bytes")
    (version,) = _HEADER.unpack_from(raw)
    if version != _VERSION:
        raise ValueError(f"ACL attribute version {version}, not {_VERSION}")
    entries = []
    for offset in range(_HEADER.size, len(raw), _ENTRY.size):
        tag, permissions, qualifier = _ENTRY.unpack_from(raw, offset)
        named = tag in (AclTag.USER, AclTag.GROUP)
        entries.append(AclEntry(AclTag(tag), permissions, qualifier if named else None))
    return entries
