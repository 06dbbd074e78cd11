"""Files in a session's workspace: copies in (``UploadFiles``) and out (``DownloadFiles``) and listings
(``ListFiles``), as ``gridtrain session cp`` / ``session ls`` do them.

A copy is a file or a directory tree, sent in chunks of at most 1 MiB with each file's SHA-256. Both ends are all or
nothing: the receiver assembles the copy under a hidden temporary name next to its destination and renames it into
place only when every file arrived intact.
"""
from __future__ import annotations

import enum
import errno
import hashlib
import hmac
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import grpc

from .errors import DataLoss, from_rpc_error
from .v1 import sessions_pb2

CHUNK_BYTES = 1024 * 1024


class FileType(enum.Enum):
    """What a workspace entry is; ``str(type)`` is the lower-case name (``file``, ``directory``)."""

    UNSPECIFIED = sessions_pb2.FILE_TYPE_UNSPECIFIED
    FILE = sessions_pb2.FILE_TYPE_FILE
    DIRECTORY = sessions_pb2.FILE_TYPE_DIRECTORY
    SYMLINK = sessions_pb2.FILE_TYPE_SYMLINK
    OTHER = sessions_pb2.FILE_TYPE_OTHER

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class WorkspaceEntry:
    """An entry of a workspace directory: ``size`` in bytes (files; 0 otherwise), ``modified_at`` in UTC."""

    name: str
    type: FileType
    size: int
    modified_at: datetime

    @classmethod
    def from_proto(cls, entry: sessions_pb2.WorkspaceEntry) -> WorkspaceEntry:
        try:
            kind = FileType(entry.type)
        except ValueError:
            kind = FileType.OTHER
        return cls(entry.name, kind, entry.size, entry.modified_at.ToDatetime(tzinfo=timezone.utc))


@dataclass(frozen=True)
class Uploaded:
    """Where an upload went (``path``, relative to the workspace), with the files and bytes written."""

    path: str
    files: int
    bytes: int


@dataclass(frozen=True)
class Downloaded:
    """Where a download went on this machine, with the files and bytes written."""

    path: Path
    files: int
    bytes: int


def upload(call: Callable[[Iterator[sessions_pb2.UploadFilesRequest]], Any], session_id: str, local_path: str | os.PathLike[str],
           remote_path: str) -> Uploaded:
    """Copies the local file or directory ``local_path`` to ``remote_path`` in the workspace (into it, under the same
    name, when that is an existing directory); see :meth:`gridtrain.Session.upload`."""
    root = os.path.abspath(os.fspath(local_path))
    if os.path.isdir(root):
        directories, files = _tree(root)
    elif os.path.isfile(root):
        directories, files = None, [(root, "")]
    else:
        if os.path.lexists(root):
            raise FileNotFoundError(errno.ENOENT, f"'{local_path}' is neither a file nor a directory", os.fspath(local_path))
        raise FileNotFoundError(errno.ENOENT, f"'{local_path}' does not exist", os.fspath(local_path))
    name = os.path.basename(root.rstrip(os.sep)) or root
    total = sum(os.stat(path).st_size for path, _ in files)
    failures: list[BaseException] = []

    def requests() -> Iterator[sessions_pb2.UploadFilesRequest]:
        yield sessions_pb2.UploadFilesRequest(start=sessions_pb2.UploadStart(session_id=session_id, path=remote_path, name=name, total_bytes=total))
        try:
            if directories is not None:
                yield sessions_pb2.UploadFilesRequest(file=sessions_pb2.FileHeader(path="", type=sessions_pb2.FILE_TYPE_DIRECTORY))
                for relative in directories:
                    yield sessions_pb2.UploadFilesRequest(file=sessions_pb2.FileHeader(path=relative, type=sessions_pb2.FILE_TYPE_DIRECTORY))
            for path, relative in files:
                yield from _send_file(path, relative)
        except Exception as error:  # a local read failed: raised instead of gRPC's "Exception iterating requests!"
            failures.append(error)
            raise

    future = call(requests())
    try:
        response = future.result()
    except grpc.RpcError as error:
        if failures:
            raise failures[0] from None
        raise from_rpc_error(error) from None
    except BaseException:  # KeyboardInterrupt: the server drops the partial copy
        future.cancel()
        raise
    return Uploaded(response.path, response.files, response.bytes)


def _tree(root: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The directories (relative, '/'-separated, sorted) and regular files (absolute and relative, sorted) under
    ``root``; symbolic links and special files are skipped, as the .NET client skips them."""
    directories: list[str] = []
    files: list[tuple[str, str]] = []

    def walk(path: str, relative: str) -> None:
        with os.scandir(path) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                child = entry.name if not relative else relative + "/" + entry.name
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    directories.append(child)
                    walk(entry.path, child)
                elif entry.is_file(follow_symlinks=False):
                    files.append((entry.path, child))

    walk(root, "")
    return sorted(directories), sorted(files, key=lambda f: f[1])


def _send_file(path: str, relative: str) -> Iterator[sessions_pb2.UploadFilesRequest]:
    with open(path, "rb") as source:
        info = os.fstat(source.fileno())
        yield sessions_pb2.UploadFilesRequest(file=sessions_pb2.FileHeader(
            path=relative, type=sessions_pb2.FILE_TYPE_FILE, size=info.st_size, mode=stat.S_IMODE(info.st_mode)))
        digest = hashlib.sha256()
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            yield sessions_pb2.UploadFilesRequest(data=chunk)
    yield sessions_pb2.UploadFilesRequest(end=sessions_pb2.FileEnd(sha256=digest.digest()))


def download(call: Callable[[sessions_pb2.DownloadFilesRequest], Any], session_id: str, remote_path: str,
             local_path: str | os.PathLike[str]) -> Downloaded:
    """Copies ``remote_path`` out of the workspace to ``local_path`` (into it, under the same name, when that is an
    existing directory); see :meth:`gridtrain.Session.download`."""
    destination = os.path.abspath(os.fspath(local_path))
    if os.path.isdir(destination):
        name = os.path.basename(remote_path.rstrip("/"))
        destination = os.path.join(destination, session_id if name in ("", ".") else name)
    parent = os.path.dirname(destination)
    if not os.path.isdir(parent):
        raise FileNotFoundError(errno.ENOENT, f"directory '{parent}' does not exist", parent)
    staging = os.path.join(parent, f".{os.path.basename(destination)}.{secrets.token_hex(6)}.gridtrain-download")
    shown = remote_path or "."
    files = size = 0
    root_is_directory: bool | None = None
    output: Any = None
    digest: Any = None
    current = ""
    stream = call(sessions_pb2.DownloadFilesRequest(session_id=session_id, path=remote_path))
    try:
        try:
            for message in stream:
                kind = message.WhichOneof("message")
                if kind == "file":
                    if output is not None:
                        raise DataLoss(f"'{current or shown}' of the copy of '{shown}' has no end before the next entry; nothing was written")
                    header = message.file
                    current = header.path
                    target = staging if not header.path else os.path.join(staging, *_parts(header.path, root_is_directory))
                    if root_is_directory is None:
                        root_is_directory = header.type == sessions_pb2.FILE_TYPE_DIRECTORY
                    if header.type == sessions_pb2.FILE_TYPE_DIRECTORY:
                        os.makedirs(target, exist_ok=True)
                        continue
                    output = open(target, "xb")
                    if header.mode:
                        os.chmod(target, header.mode & 0o777)
                    digest = hashlib.sha256()
                elif kind == "data":
                    if output is None:
                        raise DataLoss(f"the copy of '{shown}' sent data outside a file; nothing was written")
                    digest.update(message.data)
                    output.write(message.data)
                    size += len(message.data)
                elif kind == "end":
                    if output is None:
                        raise DataLoss(f"the copy of '{shown}' sent a file end outside a file; nothing was written")
                    output.close()
                    output = None
                    if not hmac.compare_digest(digest.digest(), message.end.sha256):
                        raise DataLoss(f"'{current or shown}' arrived damaged (its SHA-256 does not match); nothing was written, copy again")
                    files += 1
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        if root_is_directory is None or output is not None:
            raise DataLoss(f"the copy of '{shown}' ended before it was complete; nothing was written")
        if root_is_directory:
            if os.path.lexists(destination):
                raise FileExistsError(errno.EEXIST, f"'{destination}' already exists; remove it first or copy to another path", destination)
            os.rename(staging, destination)
        else:
            if os.path.isdir(destination):
                raise IsADirectoryError(errno.EISDIR, f"'{destination}' is a directory; remove it first or copy to another path", destination)
            os.replace(staging, destination)
        return Downloaded(Path(destination), files, size)
    finally:
        stream.cancel()  # a no-op once the call completed; ends it on an error or a KeyboardInterrupt
        if output is not None:
            output.close()
        if os.path.isdir(staging) and not os.path.islink(staging):
            shutil.rmtree(staging, ignore_errors=True)
        elif os.path.lexists(staging):
            os.remove(staging)


def _parts(path: str, root_is_directory: bool | None) -> list[str]:
    """The parts of an entry's path, each a plain name, inside a directory root: the controller cannot make the copy
    write outside it."""
    parts = path.split("/")
    if root_is_directory is not True or any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
        raise DataLoss(f"entry '{path}' of the copy is not a plain relative path inside it; nothing was written")
    return parts


def listing(response: sessions_pb2.ListFilesResponse) -> list[WorkspaceEntry]:
    return [WorkspaceEntry.from_proto(entry) for entry in response.entries]
