"""Issue 32: who may read a document, from the file system or an access map, and the filter in each index."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from ingest.discovery import SourceFile, discover
from ingest.permissions import FileSystemReaders, load_access_map
from ingest.permissions.coverage import unheld_principals
from ingest.permissions.filesystem import group_principal, narrowed, principals_allowed, user_principal
from ingest.permissions.posix_acl import READ, parse_acl
from rag.access import EVERYONE, Readers, parse_principal, split_principals
from rag.errors import InvalidInputError, UnsupportedDocumentError
from rag.lexical import LexicalIndex
from rag.types import Chunk

ME = user_principal(os.getuid())
MY_GROUP = group_principal(os.getgid())


def _file(path: Path, mode: int, text: str = "text") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _readers(root: Path, relative: str) -> tuple[str, ...]:
    path = root / relative
    return FileSystemReaders().readers_of(SourceFile(root=root, path=path, source=relative))


# ---- principals and callers -----------------------------------------------------------------------------------


def test_principals_are_everyone_users_and_groups() -> None:
    assert parse_principal(" group:hr ") == "group:hr"
    assert split_principals("user:alice, group:hr,,everyone") == ("everyone", "group:hr", "user:alice")
    for bad in ("hr", "group:", "role:admin", "group:h r", "Everyone"):
        with pytest.raises(InvalidInputError, match="invalid principal"):
            parse_principal(bad)


def test_a_caller_reads_what_shares_a_principal_with_it() -> None:
    support = Readers.holding(["group:support"])
    assert support.may_read(["everyone"]) and support.may_read(["group:support", "group:hr"])
    assert not support.may_read(["group:hr"]) and not support.may_read([])
    assert not support.may_read(None)  # readers unknown: admins only
    assert Readers.everything().may_read(None) and Readers.everything().chroma_where() is None
    assert support.chroma_where() == {"$or": [{"reader:everyone": True}, {"reader:group:support": True}]}
    assert Readers.holding([]).chroma_where() == {"reader:everyone": True}


# ---- the file system's permissions ------------------------------------------------------------------------------


def test_mode_bits_give_owner_group_or_everyone(tmp_path: Path) -> None:
    _file(tmp_path / "open.txt", 0o644)
    _file(tmp_path / "team.txt", 0o640)
    _file(tmp_path / "mine.txt", 0o600)
    _file(tmp_path / "nobody.txt", 0o000)
    _file(tmp_path / "not-the-group.txt", 0o604)  # POSIX denies the group what it grants others
    assert _readers(tmp_path, "open.txt") == (EVERYONE,)
    assert _readers(tmp_path, "team.txt") == tuple(sorted([MY_GROUP, ME]))
    assert _readers(tmp_path, "mine.txt") == (ME,)
    assert _readers(tmp_path, "nobody.txt") == ()
    assert _readers(tmp_path, "not-the-group.txt") == (ME,)  # not everyone: only who is granted by name


def test_a_folder_narrows_what_its_files_allow(tmp_path: Path) -> None:
    """A world-readable file in a folder only its group may enter is read by that group (and its owner) only."""
    _file(tmp_path / "HR" / "pay.txt", 0o644)
    _file(tmp_path / "HR" / "deep" / "review.txt", 0o644)
    _file(tmp_path / "Owner" / "notes.txt", 0o640)
    (tmp_path / "HR").chmod(0o750)
    (tmp_path / "Owner").chmod(0o700)
    team = tuple(sorted([MY_GROUP, ME]))
    assert _readers(tmp_path, "HR/pay.txt") == team
    assert _readers(tmp_path, "HR/deep/review.txt") == team
    assert _readers(tmp_path, "Owner/notes.txt") == (ME,)


def test_a_link_takes_its_targets_permissions(tmp_path: Path) -> None:
    _file(tmp_path / "HR" / "pay.txt", 0o644)
    (tmp_path / "HR").chmod(0o750)
    (tmp_path / "pay-link.txt").symlink_to(tmp_path / "HR" / "pay.txt")
    assert _readers(tmp_path, "pay-link.txt") == tuple(sorted([MY_GROUP, ME]))


def test_narrowing_keeps_a_user_who_is_in_the_folders_group() -> None:
    assert narrowed({EVERYONE}, {"group:hr"}) == {"group:hr"}
    assert narrowed({"group:hr", "user:x"}, {EVERYONE}) == {"group:hr", "user:x"}
    assert narrowed({"group:hr"}, {"group:legal"}) == frozenset()  # members of both cannot be named
    account = next((e for e in pwd.getpwall() if grp.getgrgid(e.pw_gid) is not None), None)
    assert account is not None
    primary = grp.getgrgid(account.pw_gid).gr_name
    assert narrowed({f"user:{account.pw_name}"}, {f"group:{primary}"}) == {f"user:{account.pw_name}"}


def test_acl_bytes_are_read_as_the_kernel_writes_them() -> None:
    # getfacl: user::rw- user:65534:r-- group::r-- mask::r-- other::---
    raw = bytes.fromhex("0200000001000600ffffffff02000400feff000004000400ffffffff10000400ffffffff")
    entries = parse_acl(raw + bytes.fromhex("20000000ffffffff"))
    assert [(e.tag.name, e.permissions, e.qualifier) for e in entries] == [
        ("USER_OBJ", 6, None),
        ("USER", 4, 65534),
        ("GROUP_OBJ", 4, None),
        ("MASK", 4, None),
        ("OTHER", 0, None),
    ]
    with pytest.raises(ValueError, match="version"):
        parse_acl(bytes.fromhex("01000000"))
    with pytest.raises(ValueError, match="bytes"):
        parse_acl(bytes.fromhex("0200000001"))


def _setfacl(path: Path, *arguments: str) -> None:
    if shutil.which("setfacl") is None:
        pytest.skip("setfacl (Debian's acl package) is not installed: ACLs cannot be written for the test")
    done = subprocess.run(["setfacl", *arguments, str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"setfacl {' '.join(arguments)} failed here (no POSIX ACLs on this file system?): {done.stderr}")


def _other_user() -> pwd.struct_passwd:
    others = [entry for entry in pwd.getpwall() if entry.pw_uid != os.getuid()]
    if not others:
        pytest.skip("no other account on this machine to name in an ACL")
    return others[0]


def _other_group() -> grp.struct_group:
    others = [entry for entry in grp.getgrall() if entry.gr_gid != os.getgid()]
    if not others:
        pytest.skip("no other group on this machine to name in an ACL")
    return others[0]


def test_posix_acls_name_users_and_groups_within_the_mask(tmp_path: Path) -> None:
    """getfacl semantics: named entries count with what the mask leaves them; "other" readable is everyone."""
    path = _file(tmp_path / "shared.txt", 0o600)
    user, group = _other_user().pw_name, _other_group().gr_name
    _setfacl(path, "-m", f"u:{user}:r,g:{group}:r")
    assert principals_allowed(path, READ) == {ME, f"user:{user}", f"group:{group}"}
    _setfacl(path, "-m", "m::---")  # the mask takes the named entries' read away
    assert principals_allowed(path, READ) == {ME}
    _setfacl(path, "-m", "o::r")  # others may read (setfacl widens the mask again), the owning group may not
    assert principals_allowed(path, READ) == {ME, f"user:{user}", f"group:{group}"}  # so not everyone
    _setfacl(path, "-m", "g::r")
    assert principals_allowed(path, READ) == {EVERYONE}


def test_an_acl_on_a_folder_lets_a_named_group_through(tmp_path: Path) -> None:
    _file(tmp_path / "Legal" / "contract.txt", 0o644)
    (tmp_path / "Legal").chmod(0o700)
    group = _other_group().gr_name
    _setfacl(tmp_path / "Legal", "-m", f"g:{group}:rx")
    assert _readers(tmp_path, "Legal/contract.txt") == tuple(sorted([f"group:{group}", ME]))


# ---- the access map ----------------------------------------------------------------------------------------------


def _map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "access.toml"
    path.write_text(text)
    return path


def test_the_first_matching_rule_gives_the_readers(tmp_path: Path) -> None:
    access = load_access_map(
        _map(
            tmp_path,
            'default = ["everyone"]\n[rules]\n"HR/**" = ["group:hr"]\n"**/*.xlsx" = ["group:finance"]\n'
            '"Legal/**" = ["group:legal", "user:dpo"]\n"**/*salary*" = []\n',
        )
    )
    drive = tmp_path / "drive"
    for name in ("HR/a.xlsx", "Legal/b.docx", "sales/c.xlsx", "sales/salary-2026.txt", "readme.txt"):
        _file(drive / name, 0o644)
    readers = {f.source: access.readers_of(f) for f in discover([drive])}
    assert readers == {
        "HR/a.xlsx": ("group:hr",),  # the HR rule comes first
        "Legal/b.docx": ("group:legal", "user:dpo"),
        "sales/c.xlsx": ("group:finance",),
        "sales/salary-2026.txt": (),  # admins only
        "readme.txt": ("everyone",),
    }
    assert sorted(set(access.principals())) == ["everyone", "group:finance", "group:hr", "group:legal", "user:dpo"]


def test_a_file_no_rule_matches_is_refused_without_a_default(tmp_path: Path) -> None:
    access = load_access_map(_map(tmp_path, '[rules]\n"HR/**" = ["group:hr"]\n'))
    with pytest.raises(UnsupportedDocumentError, match="no rule of the access map"):
        access.readers_of(SourceFile(root=tmp_path, path=tmp_path / "x.txt", source="x.txt"))


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ('[rules\n"HR/**" = ["group:hr"]', "not valid TOML"),
        ('defaults = ["everyone"]\n[rules]\n"a" = ["everyone"]', "unknown keys"),
        ('default = ["everyone"]', r"needs a \[rules\] table"),
        ('[rules]\n"HR/**" = "group:hr"', "must be a list of principals"),
        ('[rules]\n"HR/**" = ["hr"]', "invalid principal"),
        ('[rules]\n"!HR/**" = ["group:hr"]', "not a path glob"),
    ],
)
def test_an_access_map_that_cannot_be_used_is_an_error(tmp_path: Path, text: str, fault: str) -> None:
    with pytest.raises(InvalidInputError, match=fault):
        load_access_map(_map(tmp_path, text))


def test_principals_no_key_holds_are_listed() -> None:
    from ingest.ledger import LedgerEntry

    def entry(readers: tuple[str, ...] | None) -> LedgerEntry:
        return LedgerEntry("c", "d", "r", "s", "p", "h", "v", "done", readers=readers)  # type: ignore[arg-type]

    entries = [entry(("group:hr",)), entry(("group:hr", "everyone")), entry(("group:legal",)), entry(None)]
    unheld = unheld_principals(entries, ["group:lega1", "group:legal"], held=["group:legal"])
    assert [u.to_dict() for u in unheld] == [
        {"principal": "group:hr", "documents": 2, "in_access_map": False},
        {"principal": "group:lega1", "documents": 0, "in_access_map": True},
    ]


# ---- the filter inside the lexical index, on FTS5 and on the in-memory ranking -----------------------------------


def _chunk(number: int, document: str, text: str) -> Chunk:
    return Chunk(f"{document}-{number}", document, f"{document}.txt", 1, number, 0, len(text), text, token_count=0)


@pytest.mark.parametrize("in_memory", [False, True])
def test_the_lexical_index_ranks_only_what_the_caller_may_read(tmp_path: Path, in_memory: bool) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3", in_memory_min_chunks=1 if in_memory else 10**9)
    hr = [_chunk(n, "hr", "salary band salary band review") for n in range(20)]
    general = [_chunk(n, "general", f"salary note {n}") for n in range(5)]
    index.upsert("c", hr, {"hr": ["group:hr"]})
    index.upsert("c", general, {"general": ["everyone"]})
    index.prepare()  # builds the in-memory ranking when the collection is large enough for it

    def documents(readers: Collection[str] | None) -> set[str]:
        return {hit.document_id for hit in index.search("c", "salary band", 5, readers=readers)}

    support = Readers.holding(["group:support"]).principals
    assert documents(None) == {"hr"}  # unrestricted: the best matches are HR's
    hits = index.search("c", "salary band", 5, readers=support)
    assert {hit.document_id for hit in hits} == {"general"} and len(hits) == 5  # still a full top 5
    assert documents(Readers.holding(["group:hr"]).principals) == {"hr"}
    index.set_readers("c", {"hr": ["everyone"]})  # metadata only: in effect at once
    assert index.readers("c", ["hr", "general"]) == {"hr": ["everyone"], "general": ["everyone"]}
    assert documents(support) == {"hr"}
    index.delete_documents("c", ["hr"])
    assert index.readers("c", ["hr"]) == {}
    index.close()


# ---- the exact dense search over the readable chunks' vectors ----------------------------------------------------


class _VectorsStore:
    """A store's ``embeddings`` over fixed vectors, counting the vectors read."""

    def __init__(self, vectors: dict[str, Any]) -> None:
        self.vectors, self.read = vectors, 0

    def embeddings(self, collection: str, chunk_ids: Any) -> dict[str, Any]:
        self.read += len(chunk_ids)
        return {i: self.vectors[i] for i in chunk_ids if i in self.vectors}


def test_the_readable_vectors_search_is_exact_and_reads_each_vector_once() -> None:
    import numpy as np

    from rag.lexical_readers import ReadableSet
    from rag.readable_vectors import ReadableVectors

    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(50, 8)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    store = _VectorsStore({f"c{i}": matrix[i] for i in range(50)})
    vectors = ReadableVectors(store, max_vectors=40)  # type: ignore[arg-type]
    readable = ReadableSet("c", 1, tuple(f"c{i}" for i in range(0, 50, 2)))
    query = matrix[7] + matrix[8]
    query /= np.linalg.norm(query)
    found = vectors.search(readable, frozenset({"group:a"}), query, 5)
    assert found is not None
    expected = sorted(range(0, 50, 2), key=lambda i: -float(matrix[i] @ query))[:5]
    assert [chunk_id for chunk_id, _ in found] == [f"c{i}" for i in expected]  # exact, and only readable rows
    assert store.read == 25
    grown = ReadableSet("c", 2, (*readable.chunk_ids, "c1", "gone"))  # a new generation: one chunk more
    assert vectors.search(grown, frozenset({"group:a"}), query, 50) is not None
    assert store.read == 27  # only the two new ids were read; "gone" has no vector and is no candidate
    assert vectors.search(ReadableSet("c", 3, tuple(f"c{i}" for i in range(50))), frozenset(), query, 5) is None


def test_a_link_takes_its_targets_rule_in_an_access_map(tmp_path: Path) -> None:
    access = load_access_map(_map(tmp_path, '[rules]\n"HR/**" = ["group:hr"]\n"General/**" = ["everyone"]\n'))
    drive = tmp_path / "drive"
    _file(drive / "HR" / "pay.txt", 0o644)
    (drive / "General").mkdir()
    (drive / "General" / "pay-link.txt").symlink_to(drive / "HR" / "pay.txt")
    readers = {f.source: access.readers_of(f) for f in discover([drive])}
    assert readers == {"HR/pay.txt": ("group:hr",), "General/pay-link.txt": ("group:hr",)}
