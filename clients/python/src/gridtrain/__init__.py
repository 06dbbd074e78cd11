"""GridTrain's Python client: GPU sessions, training jobs and their event streams, from notebooks and scripts.

    import gridtrain
    gt = gridtrain.connect()                       # GRIDTRAIN_CONTROLLER / GRIDTRAIN_TOKEN, or the CLI's context
    s = gt.sessions.create(runtime="gpu", gpus=1, idle_timeout="30m")
    s.wait_ready()
    job = s.submit(model="cnn", data="/data/fashion-mnist", epochs=3)
    for event in job.events(): ...
    job.wait()
"""
from .client import Agents, Client, Tokens, WhoAmI, connect
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    ConfigurationError,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    GridTrainError,
    Internal,
    InvalidArgument,
    JobFailed,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    SessionEnded,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
    Unsupported,
)
from ._events import EventStream
from .jobs import Job, Jobs
from .sessions import Resources, Session, Sessions
from .specs import build_spec
from .states import JobState, Runtime, SessionState

__all__ = [
    "Aborted", "Agents", "AlreadyExists", "Cancelled", "Client", "ConfigurationError", "DataLoss", "DeadlineExceeded",
    "EventStream", "FailedPrecondition", "GridTrainError", "Internal", "InvalidArgument", "Job", "JobFailed", "JobState",
    "Jobs", "NotFound", "OutOfRange", "PermissionDenied", "ResourceExhausted", "Resources", "Runtime", "Session",
    "SessionEnded", "SessionState", "Sessions", "Tokens", "Unauthenticated", "Unavailable", "Unimplemented", "Unknown",
    "Unsupported", "WhoAmI", "build_spec", "connect",
]
