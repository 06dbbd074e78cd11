"""Sessions: holds on an agent's CPU or GPUs that jobs run in, like a notebook runtime."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ._durations import Span, to_proto
from ._events import EventStream
from ._rpc import Rpc
from .errors import DeadlineExceeded, InvalidArgument, SessionEnded, Unsupported
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

    def exec(self, command: str | list[str]) -> Any:
        """Not available yet: GridTrain's API has no SessionService.Exec RPC, so nothing can run a command in a
        session. Raises Unsupported."""
        raise Unsupported("Session.exec: the controller's API has no SessionService.Exec RPC yet "
                          "(protos/gridtrain/v1/sessions.proto); run code as a job with submit() instead")

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

    def events(self, session_id: str, after_sequence: int = 0, deadline: float | None = None) -> EventStream[sessions_pb2.SessionEvent]:
        def open_call(after: int) -> Any:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = sessions_pb2.WatchSessionRequest(session_id=session_id, after_sequence=after)
            return self._rpc.stream(self._stub.WatchSession, request, timeout)

        return EventStream(open_call, after_sequence)
