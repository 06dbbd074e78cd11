"""Session and job states as Python enums; ``str(state)`` is the plain name (``READY``, ``SUCCEEDED``)."""
from __future__ import annotations

import enum

from .v1 import types_pb2


class SessionState(enum.Enum):
    UNSPECIFIED = types_pb2.SESSION_STATE_UNSPECIFIED
    PENDING = types_pb2.SESSION_STATE_PENDING
    STARTING = types_pb2.SESSION_STATE_STARTING
    READY = types_pb2.SESSION_STATE_READY
    BUSY = types_pb2.SESSION_STATE_BUSY
    SUSPENDED = types_pb2.SESSION_STATE_SUSPENDED
    TERMINATED = types_pb2.SESSION_STATE_TERMINATED
    EVICTED = types_pb2.SESSION_STATE_EVICTED
    FAILED = types_pb2.SESSION_STATE_FAILED

    @property
    def live(self) -> bool:
        """Holding (or about to hold) resources: PENDING, STARTING, READY or BUSY."""
        return self in (SessionState.PENDING, SessionState.STARTING, SessionState.READY, SessionState.BUSY)

    def __str__(self) -> str:
        return self.name


class JobState(enum.Enum):
    UNSPECIFIED = types_pb2.JOB_STATE_UNSPECIFIED
    QUEUED = types_pb2.JOB_STATE_QUEUED
    RUNNING = types_pb2.JOB_STATE_RUNNING
    SUCCEEDED = types_pb2.JOB_STATE_SUCCEEDED
    FAILED = types_pb2.JOB_STATE_FAILED
    CANCELLED = types_pb2.JOB_STATE_CANCELLED

    @property
    def finished(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)

    def __str__(self) -> str:
        return self.name


class Runtime(enum.Enum):
    CPU = types_pb2.RUNTIME_CPU
    GPU = types_pb2.RUNTIME_GPU

    def __str__(self) -> str:
        return self.name.lower()
