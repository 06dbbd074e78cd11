"""Commands run in a session's workspace on its agent (``SessionService.Exec``), like ``docker exec`` or a notebook's
``!command``: output as bytes, standard input streamed in, the exit code at the end."""
from __future__ import annotations

import codecs
import shlex
import sys
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Literal

import grpc

from ._durations import Span, seconds, to_proto
from .errors import CommandFailed, Internal, InvalidArgument, from_rpc_error
from .v1 import sessions_pb2

Command = str | list[str] | tuple[str, ...]
"""A command: a list of argv (run as given, no shell) or a string, which runs as ``["sh", "-c", command]``."""

Stdin = bytes | bytearray | memoryview | str | IO[bytes] | IO[str]
"""Standard input for a command: bytes, a string (sent as UTF-8), or a file-like object read to its end in chunks."""

StreamName = Literal["stdout", "stderr"]

STDIN_CHUNK_BYTES = 64 * 1024
DEADLINE_MARGIN_SECONDS = 60.0
"""How long after its own timeout an exec's call is given up on when the server never answers (the server stops the
command at the timeout and answers with timed_out; the margin covers the agent's stop grace and the output in flight)."""

_TAIL_BYTES = 4096


def to_argv(command: Command) -> list[str]:
    """The argv of ``command``: a string becomes ``["sh", "-c", command]``, a list or tuple is used as given.

    Raises InvalidArgument naming what is wrong (not a string or list of strings, an empty argv or program).
    """
    if isinstance(command, str):
        argv = ["sh", "-c", command]
        if not command.strip():
            raise InvalidArgument("argv is empty: the command string is blank; name the program to run, e.g. session.exec('ls -a')")
        return argv
    if not isinstance(command, (list, tuple)) or not all(isinstance(arg, str) for arg in command):
        raise InvalidArgument(f"command: expected a string (run with sh -c) or a list of strings (argv), got {command!r}")
    if not command or not command[0].strip():
        raise InvalidArgument(f"argv is empty: name the program to run, e.g. session.exec(['ls', '-a']) (got {list(command)!r})")
    return list(command)


def describe(argv: list[str]) -> str:
    """How to show an argv in messages: the ``sh -c`` string for a string command, else the shell-quoted argv."""
    if len(argv) == 3 and argv[:2] == ["sh", "-c"]:
        return repr(argv[2])
    return repr(shlex.join(argv))


@dataclass(frozen=True, repr=False)
class ExecResult:
    """How a command ended, with its output.

    ``exit_code`` is the command's exit code, or 128 + N when signal N ended it (as a shell reports it); ``signal`` is
    that signal (0 when it exited); ``timed_out`` says the exec's timeout stopped it. ``stdout`` and ``stderr`` are the
    bytes it wrote, exactly (empty when the output was not captured).
    """

    argv: list[str]
    exit_code: int
    signal: int
    timed_out: bool
    stdout: bytes = b""
    stderr: bytes = b""
    stderr_tail: bytes = field(default=b"", repr=False)
    """The last few KiB of standard error, kept even when the output was not captured (for error messages)."""

    @property
    def ok(self) -> bool:
        """The command exited with code 0 (no signal, no timeout)."""
        return self.exit_code == 0 and self.signal == 0 and not self.timed_out

    @property
    def stdout_text(self) -> str:
        """Standard output decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def stderr_text(self) -> str:
        """Standard error decoded as UTF-8 (undecodable bytes replaced)."""
        return self.stderr.decode("utf-8", errors="replace")

    @property
    def text(self) -> str:
        """Standard output as text: the same as ``stdout_text``."""
        return self.stdout_text

    def check(self) -> ExecResult:
        """Returns this result when the command succeeded; raises CommandFailed naming how it ended otherwise."""
        if self.ok:
            return self
        if self.timed_out:
            how = f"ran past its timeout and was stopped (exit code {self.exit_code})"
        elif self.signal:
            how = f"was ended by signal {self.signal} (exit code {self.exit_code})"
        else:
            how = f"exited with code {self.exit_code}"
        tail = (self.stderr_tail or self.stderr[-_TAIL_BYTES:]).decode("utf-8", errors="replace").rstrip()
        lines = tail.splitlines()[-20:]
        detail = ("; its standard error ends with:\n" + "\n".join(lines)) if lines else "; it wrote nothing to standard error"
        raise CommandFailed(f"command {describe(self.argv)} {how}{detail}", self)

    def __str__(self) -> str:
        return self.stdout_text

    def __repr__(self) -> str:
        """Short enough for a notebook cell: the exit, and the output's size and start."""
        def preview(data: bytes) -> str:
            return repr(data[:60] + b"...") + f" ({len(data)} bytes)" if len(data) > 60 else repr(data)

        timed_out = ", timed_out=True" if self.timed_out else ""
        return (f"ExecResult(argv={self.argv!r}, exit_code={self.exit_code}, signal={self.signal}{timed_out}, "
                f"stdout={preview(self.stdout)}, stderr={preview(self.stderr)})")


class ExecStream:
    """A running command's output as it arrives: iterating yields ``(stream, data)`` pairs, ``stream`` being
    ``"stdout"`` or ``"stderr"`` and ``data`` the bytes as the command wrote them.

    When iteration ends, ``exit_code``, ``signal`` and ``timed_out`` say how the command ended (None before). Closing the
    stream early (``close()``, leaving a ``with`` block, dropping the last reference to it), a KeyboardInterrupt while
    it waits, or an error cancels the call, and the server then stops the command's whole process group. Errors are
    raised as GridTrain exceptions (``NotFound`` for an unknown or another user's session, ``FailedPrecondition`` for
    one that is not READY or BUSY, ``PermissionDenied`` when the grid runs with user code off).
    """

    def __init__(self, open_call: Callable[[Iterator[sessions_pb2.ExecRequest], float | None], Any], session_id: str,
                 argv: list[str], stdin: Stdin | None = None, timeout: Span | None = None) -> None:
        limit = None if timeout is None else seconds(timeout, "timeout")
        if limit is not None and limit <= 0:
            raise InvalidArgument(f"timeout must be positive, got {timeout!r}")
        if stdin is not None and not isinstance(stdin, (bytes, bytearray, memoryview, str)) and not callable(getattr(stdin, "read", None)):
            raise InvalidArgument(f"stdin: expected bytes, a string or a readable file object, got {type(stdin).__name__}")
        start = sessions_pb2.ExecStart(session_id=session_id, argv=argv, stdin=stdin is not None)
        if timeout is not None:
            start.timeout.CopyFrom(to_proto(timeout, "timeout"))
        self.argv = argv
        self._stdin_errors: list[BaseException] = []
        self._exit: sessions_pb2.ExecExit | None = None
        self._closed = False
        self._call: Any = None
        self._call = open_call(_requests(start, stdin, self._stdin_errors), None if limit is None else limit + DEADLINE_MARGIN_SECONDS)

    @property
    def exit_code(self) -> int | None:
        """The command's exit code (128 + N when signal N ended it); None until it ended."""
        return None if self._exit is None else self._exit.exit_code

    @property
    def signal(self) -> int | None:
        """The signal that ended the command (0 when it exited); None until it ended."""
        return None if self._exit is None else self._exit.signal

    @property
    def timed_out(self) -> bool | None:
        """Whether the exec's timeout stopped the command; None until it ended."""
        return None if self._exit is None else self._exit.timed_out

    @property
    def finished(self) -> bool:
        """The command ended and its exit status arrived."""
        return self._exit is not None

    @property
    def call(self) -> Any:
        """The gRPC call (None once the stream was closed or ran to its end)."""
        return self._call

    def __iter__(self) -> Iterator[tuple[StreamName, bytes]]:
        return self

    def __next__(self) -> tuple[StreamName, bytes]:
        while not self._closed:
            try:
                message = next(self._call)
            except StopIteration:
                self._closed = True
                self._call = None
                if self._exit is None:
                    raise Internal(f"the exec of {describe(self.argv)} ended without the command's exit status") from None
                break
            except grpc.RpcError as error:
                if self._closed:
                    break
                self.close()
                if self._stdin_errors:
                    raise self._stdin_errors[0]
                raise from_rpc_error(error) from None
            except BaseException:  # KeyboardInterrupt while waiting: stop the command
                self.close()
                raise
            kind = message.WhichOneof("message")
            if kind == "stdout":
                return "stdout", message.stdout
            if kind == "stderr":
                return "stderr", message.stderr
            if kind == "exit":
                self._exit = message.exit
        raise StopIteration

    def result(self, stdout: bytes = b"", stderr: bytes = b"", stderr_tail: bytes = b"") -> ExecResult:
        """The command's ExecResult (with the output given, since the stream keeps none); the stream must have ended."""
        if self._exit is None:
            raise Internal(f"the exec of {describe(self.argv)} has not ended yet: iterate the stream to its end first")
        return ExecResult(self.argv, self._exit.exit_code, self._exit.signal, self._exit.timed_out, stdout, stderr,
                          stderr_tail or stderr[-_TAIL_BYTES:])

    def close(self) -> None:
        """Cancels the call unless the command already ended (the server stops its process group); iteration ends."""
        self._closed = True
        call, self._call = self._call, None
        if call is not None and self._exit is None:
            call.cancel()

    def __enter__(self) -> ExecStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()

    def __repr__(self) -> str:
        state = "running" if self._exit is None else f"exit_code={self._exit.exit_code}"
        return f"ExecStream(argv={self.argv!r}, {state})"


def run(stream: ExecStream, *, capture: bool, print_output: bool) -> ExecResult:
    """Reads ``stream`` to its end: keeps the output (``capture``), writes it live to ``sys.stdout`` /
    ``sys.stderr`` as UTF-8 text (``print_output``), and returns how the command ended."""
    out: list[bytes] = []
    err: list[bytes] = []
    tail: deque[bytes] = deque()
    tail_bytes = 0
    decoders = {name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in ("stdout", "stderr")}
    with stream:
        for name, data in stream:
            if capture:
                (out if name == "stdout" else err).append(data)
            if name == "stderr":
                tail.append(data)
                tail_bytes += len(data)
                while tail_bytes - len(tail[0]) >= _TAIL_BYTES:
                    tail_bytes -= len(tail.popleft())
            if print_output:
                _write(name, decoders[name].decode(data))
        if print_output:
            for name, decoder in decoders.items():
                _write(name, decoder.decode(b"", final=True))
    return stream.result(b"".join(out), b"".join(err), b"".join(tail)[-_TAIL_BYTES:])


def _write(name: str, text: str) -> None:
    """Writes to the current sys.stdout / sys.stderr (looked up on each write: notebooks replace them per cell)."""
    if not text:
        return
    target = sys.stdout if name == "stdout" else sys.stderr
    target.write(text)
    target.flush()


def _requests(start: sessions_pb2.ExecStart, stdin: Stdin | None, errors: list[BaseException]) -> Iterator[sessions_pb2.ExecRequest]:
    """The request stream, read by gRPC's own thread: start, then standard input in chunks and its close. A local read
    that fails is kept in ``errors`` (and cancels the call), to be raised instead of gRPC's "Exception iterating
    requests!"."""
    yield sessions_pb2.ExecRequest(start=start)
    if stdin is None:
        return
    try:
        for chunk in _chunks(stdin):
            yield sessions_pb2.ExecRequest(stdin=chunk)
    except Exception as error:
        errors.append(error)
        raise
    yield sessions_pb2.ExecRequest(stdin_close=True)


def _chunks(stdin: Stdin) -> Iterator[bytes]:
    """Standard input as chunks of at most STDIN_CHUNK_BYTES."""
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        data = bytes(stdin)
        for offset in range(0, len(data), STDIN_CHUNK_BYTES):
            yield data[offset:offset + STDIN_CHUNK_BYTES]
        return
    read = stdin.read
    while chunk := read(STDIN_CHUNK_BYTES):
        yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
