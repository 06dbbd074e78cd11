"""Sessions: holds on an agent's CPU or GPUs that jobs run in, like a notebook runtime."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from ._durations import Span, to_proto
from ._events import EventStream
from ._rpc import Rpc
from . import execs, workspace
from .errors import DeadlineExceeded, InvalidArgument, SessionEnded
from .execs import Command, ExecResult, ExecStream, Stdin
from .jobs import Job, Jobs
from .states import Runtime, SessionState
from .v1 import sessions_pb2, sessions_pb2_grpc, types_pb2


@dataclass(frozen=True)
class Resources:
    """What a session holds: ``runtime`` "cpu" or "gpu", ``gpus`` whole GPUs (>= 1 for gpu, 0 for cpu), and an
    optional ``gpu_model`` substring such as "H100"."""

    runtime: str | Runtime = "cpu"
    gpus: int = 0
    gpu_model: str = ""

    def to_proto(self) -> types_pb2.ResourceRequest:
        runtime = self.runtime if isinstance(self.runtime, Runtime) else _runtime(self.runtime)
        gpus = self.gpus if self.gpus or runtime is Runtime.CPU else 1
        return types_pb2.ResourceRequest(runtime=runtime.value, gpu_count=gpus, gpu_model=self.gpu_model)


def _runtime(name: str) -> Runtime:
    try:
        return Runtime[name.upper()]
    except KeyError:
        raise InvalidArgument(f"runtime: '{name}' is not a runtime; use 'cpu' or 'gpu'") from None


class Session:
    """A session as last seen (``refresh()`` fetches it again); ``proto`` is the full message."""

    def __init__(self, sessions: Sessions, proto: sessions_pb2.Session) -> None:
        self._sessions = sessions
        self.proto = proto

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def state(self) -> SessionState:
        return SessionState(self.proto.state)

    @property
    def agent_id(self) -> str:
        return self.proto.agent_id

    @property
    def gpu_indexes(self) -> list[int]:
        return list(self.proto.gpu_indexes)

    @property
    def owner(self) -> str:
        return self.proto.owner

    def refresh(self) -> Session:
        self.proto = self._sessions.get(self.id).proto
        return self

    def wait_ready(self, timeout: float | None = None) -> Session:
        """Waits until the session holds its resources (READY or BUSY) and returns it refreshed.

        Raises SessionEnded when it ends, is evicted or suspended first, DeadlineExceeded after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._sessions.events(self.id, deadline=deadline) as stream:
            for event in stream:
                state = SessionState(event.state)
                if state in (SessionState.READY, SessionState.BUSY):
                    return self.refresh()
                if not state.live and state is not SessionState.UNSPECIFIED:
                    self.refresh()
                    raise SessionEnded(f"{self.id} is {state}: {event.reason or self.proto.state_reason}", state)
        raise DeadlineExceeded(f"{self.id} was not ready within {timeout} s")

    def events(self, after_sequence: int = 0) -> EventStream[sessions_pb2.SessionEvent]:
        """The session's state changes and eviction warnings; resumes after a dropped connection."""
        return self._sessions.events(self.id, after_sequence)

    def submit(self, **spec: Any) -> Job:
        """Submits a job into this session; see :func:`gridtrain.specs.build_spec` for the arguments."""
        return self._sessions.jobs.submit(self.id, **spec)

    def jobs(self) -> list[Job]:
        return self._sessions.jobs.list(self.id)

    def exec(self, command: Command, *, stdin: Stdin | None = None, timeout: Span | None = None, check: bool = False,
             print_output: bool = False, capture: bool = True) -> ExecResult:
        """Runs ``command`` in the session's workspace on its agent, with the session's GPUs, and waits for it to end.

        ``command`` is a list of argv, run as given (no shell), or a string, which runs as ``["sh", "-c", command]``
        (so pipes, ``&&`` and redirections work). ``stdin`` is bytes, a string (sent as UTF-8) or a binary file object
        streamed in 64 KiB chunks; without it the command reads end-of-file at once. ``timeout`` (``"10m"``, seconds,
        a timedelta) stops the command's process group after that long (the result says ``timed_out``).

        Returns an :class:`ExecResult`: ``exit_code`` (128 + N when signal N ended it), ``signal``, ``timed_out``,
        ``stdout`` and ``stderr`` as bytes (``.text`` / ``.stdout_text`` / ``.stderr_text`` decoded). A failed
        command is not an error unless ``check=True``, which raises :class:`gridtrain.CommandFailed` naming the exit
        code and the end of its standard error. ``print_output=True`` writes the output live to ``sys.stdout`` /
        ``sys.stderr`` as it arrives (in a notebook: ``s.exec("nvidia-smi", print_output=True)`` behaves like
        ``!nvidia-smi``); ``capture=False`` keeps none of it in the result (for long, chatty commands).

        A KeyboardInterrupt (interrupting the notebook cell) cancels the call, and the server stops the command's
        whole process group. Raises ``NotFound`` for an unknown or another user's session, ``FailedPrecondition`` for
        one that is not READY or BUSY, ``PermissionDenied`` when the grid runs with user code off,
        ``InvalidArgument`` for an empty command.
        """
        return self._sessions.exec(self.id, command, stdin=stdin, timeout=timeout, check=check, print_output=print_output,
                                   capture=capture)

    def exec_stream(self, command: Command, *, stdin: Stdin | None = None, timeout: Span | None = None) -> ExecStream:
        """Starts ``command`` (as :meth:`exec` does) and returns its output as it arrives: iterate the
        :class:`ExecStream` for ``(stream, data)`` pairs (``"stdout"`` or ``"stderr"``, bytes); when it ends,
        ``exit_code``, ``signal`` and ``timed_out`` say how the command ended. Closing it early (``close()``, a
        ``with`` block, dropping it) cancels the call and stops the command.

            with s.exec_stream(["python3", "train.py"]) as run:
                for name, data in run:
                    print(data.decode(), end="")
            print(run.exit_code)
        """
        return self._sessions.exec_stream(self.id, command, stdin=stdin, timeout=timeout)

    def upload(self, local_path: str | os.PathLike[str], remote_path: str = "") -> workspace.Uploaded:
        """Copies a local file or directory into the session's workspace, as ``gridtrain session cp LOCAL ses-…:PATH``.

        ``remote_path`` is relative to the workspace ("" for the workspace itself). When it is an existing directory the
        copy goes into it under its own name (``upload("data.csv")`` makes ``data.csv``); otherwise the copy takes that
        path (its parent must exist). A file replaces a file of that name; a directory never replaces anything
        (``FailedPrecondition``). Directories are copied whole, empty ones and permission bits included; symbolic links
        and special files are skipped. Each file goes in 1 MiB chunks with its SHA-256, and the workspace receives the
        copy all or nothing. Returns where it went (relative to the workspace) with the files and bytes written.

        Raises FileNotFoundError when ``local_path`` does not exist, ``InvalidArgument`` naming a path outside the
        workspace (``..``, absolute paths, links that lead out), ``ResourceExhausted`` when the workspace would exceed
        its limit.
        """
        return self._sessions.upload(self.id, local_path, remote_path)

    def download(self, remote_path: str, local_path: str | os.PathLike[str]) -> workspace.Downloaded:
        """Copies a file or directory out of the session's workspace, as ``gridtrain session cp ses-…:PATH LOCAL``.

        When ``local_path`` is an existing directory the copy goes into it under the remote name (the session id for
        the whole workspace); otherwise it takes that path, whose directory must exist. Every file is checked against
        its SHA-256 and the copy is assembled under a hidden temporary name next to the destination, renamed into place
        only when all of it arrived intact: a damaged or interrupted copy raises (``DataLoss`` for a checksum mismatch)
        and leaves nothing under the final name. A file replaces an existing file; a directory never replaces anything
        (FileExistsError). Returns the local path with the files and bytes written.
        """
        return self._sessions.download(self.id, remote_path, local_path)

    def ls(self, path: str = "") -> list[workspace.WorkspaceEntry]:
        """The entries of a directory of the workspace ("" for the workspace itself), by name, or the one entry of a
        file: ``name``, ``type`` (:class:`gridtrain.FileType`), ``size`` and ``modified_at`` (a UTC datetime).
        Listing is not activity: it does not keep an idle session alive."""
        return self._sessions.list_files(self.id, path)

    def terminate(self) -> Session:
        self.proto = self._sessions.terminate(self.id).proto
        return self

    def resume(self) -> Session:
        """Brings an evicted or suspended session back (FailedPrecondition for any other)."""
        self.proto = self._sessions.resume(self.id).proto
        return self

    def keep_alive(self) -> Session:
        self.proto = self._sessions.keep_alive(self.id).proto
        return self

    def explain_idleness(self) -> sessions_pb2.IdleExplanation:
        return self._sessions.explain_idleness(self.id)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.state.live:
            self.terminate()

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, state={self.state}, agent_id={self.agent_id!r})"


class Sessions:
    """``client.sessions``: the caller's sessions (an admin's: everyone's)."""

    def __init__(self, rpc: Rpc, jobs: Jobs) -> None:
        self._rpc = rpc
        self._stub = sessions_pb2_grpc.SessionServiceStub(rpc.channel)
        self.jobs = jobs

    def create(self, runtime: str | Runtime = "cpu", gpus: int = 0, *, gpu_model: str = "", idle_timeout: Span | None = None,
               max_lifetime: Span | None = None, priority: int = 0, name: str = "") -> Session:
        """Creates a session and queues it for placement; ``wait_ready()`` waits for an agent to take it.

        Durations are ``"30m"``-style strings, seconds, or timedeltas. ``gpus`` defaults to 1 for a gpu runtime.
        """
        request = sessions_pb2.CreateSessionRequest(
            resources=Resources(runtime, gpus, gpu_model).to_proto(), priority=priority, display_name=name)
        if idle_timeout is not None:
            request.idle_timeout.CopyFrom(to_proto(idle_timeout, "idle_timeout"))
        if max_lifetime is not None:
            request.max_lifetime.CopyFrom(to_proto(max_lifetime, "max_lifetime"))
        return Session(self, self._rpc.unary(self._stub.CreateSession, request))

    def get(self, session_id: str) -> Session:
        return Session(self, self._rpc.unary(self._stub.GetSession, sessions_pb2.GetSessionRequest(session_id=session_id)))

    def list(self, include_ended: bool = False) -> list[Session]:
        response = self._rpc.unary(self._stub.ListSessions, sessions_pb2.ListSessionsRequest(include_ended=include_ended))
        return [Session(self, s) for s in response.sessions]

    def terminate(self, session_id: str) -> Session:
        return Session(self, self._rpc.unary(self._stub.TerminateSession, sessions_pb2.TerminateSessionRequest(session_id=session_id)))

    def resume(self, session_id: str) -> Session:
        return Session(self, self._rpc.unary(self._stub.ResumeSession, sessions_pb2.ResumeSessionRequest(session_id=session_id)))

    def keep_alive(self, session_id: str) -> Session:
        return Session(self, self._rpc.unary(self._stub.KeepAlive, sessions_pb2.KeepAliveRequest(session_id=session_id)))

    def explain_idleness(self, session_id: str) -> sessions_pb2.IdleExplanation:
        return self._rpc.unary(self._stub.ExplainIdleness, sessions_pb2.ExplainIdlenessRequest(session_id=session_id))

    def quota(self) -> sessions_pb2.Quota:
        return self._rpc.unary(self._stub.GetQuota, sessions_pb2.GetQuotaRequest())

    def exec_stream(self, session_id: str, command: Command, *, stdin: Stdin | None = None,
                    timeout: Span | None = None) -> ExecStream:
        """Runs ``command`` in the session (see :meth:`Session.exec_stream`)."""
        argv = execs.to_argv(command)
        return ExecStream(lambda requests, deadline: self._stub.Exec(requests, metadata=self._rpc.metadata, timeout=deadline),
                          session_id, argv, stdin=stdin, timeout=timeout)

    def exec(self, session_id: str, command: Command, *, stdin: Stdin | None = None, timeout: Span | None = None,
             check: bool = False, print_output: bool = False, capture: bool = True) -> ExecResult:
        """Runs ``command`` in the session and waits for it to end (see :meth:`Session.exec`)."""
        stream = self.exec_stream(session_id, command, stdin=stdin, timeout=timeout)
        result = execs.run(stream, capture=capture, print_output=print_output)
        return result.check() if check else result

    def upload(self, session_id: str, local_path: str | os.PathLike[str], remote_path: str = "") -> workspace.Uploaded:
        """Copies a local file or directory into the session's workspace (see :meth:`Session.upload`)."""
        return workspace.upload(self._upload_call, session_id, local_path, remote_path)

    def download(self, session_id: str, remote_path: str, local_path: str | os.PathLike[str]) -> workspace.Downloaded:
        """Copies a file or directory out of the session's workspace (see :meth:`Session.download`)."""
        return workspace.download(self._download_call, session_id, remote_path, local_path)

    def list_files(self, session_id: str, path: str = "") -> list[workspace.WorkspaceEntry]:
        """A directory of the session's workspace (see :meth:`Session.ls`)."""
        return workspace.listing(self._rpc.unary(self._stub.ListFiles, sessions_pb2.ListFilesRequest(session_id=session_id, path=path)))

    def _upload_call(self, requests: Any) -> Any:
        return self._stub.UploadFiles.future(requests, metadata=self._rpc.metadata)

    def _download_call(self, request: sessions_pb2.DownloadFilesRequest) -> Any:
        return self._stub.DownloadFiles(request, metadata=self._rpc.metadata)

    def events(self, session_id: str, after_sequence: int = 0, deadline: float | None = None) -> EventStream[sessions_pb2.SessionEvent]:
        def open_call(after: int) -> Any:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = sessions_pb2.WatchSessionRequest(session_id=session_id, after_sequence=after)
            return self._rpc.stream(self._stub.WatchSession, request, timeout)

        return EventStream(open_call, after_sequence)
