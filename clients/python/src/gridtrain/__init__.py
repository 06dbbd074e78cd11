"""GridTrain's Python client: GPU sessions, training jobs and their event streams, from notebooks and scripts.

    import gridtrain
    gt = gridtrain.connect()                       # GRIDTRAIN_CONTROLLER / GRIDTRAIN_TOKEN, or the CLI's context
    s = gt.sessions.create(runtime="gpu", gpus=1, idle_timeout="30m")
    s.wait_ready()
    job = s.submit(model="cnn", data="/data/fashion-mnist", epochs=3)
    for event in job.events(): ...
    job.wait()
    s.exec("nvidia-smi", print_output=True)        # like !nvidia-smi; s.upload(...), s.download(...), s.ls()
"""
from .client import Agents, Client, Tokens, WhoAmI, connect
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    CommandFailed,
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
from .execs import ExecResult, ExecStream
from .jobs import Job, Jobs
from .sessions import Resources, Session, Sessions
from .specs import build_spec
from .states import JobState, Runtime, SessionState
from .workspace import Downloaded, FileType, Uploaded, WorkspaceEntry

__all__ = [
    "Aborted", "Agents", "AlreadyExists", "Cancelled", "Client", "CommandFailed", "ConfigurationError", "DataLoss",
    "DeadlineExceeded", "Downloaded", "EventStream", "ExecResult", "ExecStream", "FailedPrecondition", "FileType",
    "GridTrainError", "Internal", "InvalidArgument", "Job", "JobFailed", "JobState", "Jobs", "NotFound", "OutOfRange",
    "PermissionDenied", "ResourceExhausted", "Resources", "Runtime", "Session", "SessionEnded", "SessionState",
    "Sessions", "Tokens", "Unauthenticated", "Unavailable", "Unimplemented", "Unknown", "Unsupported", "Uploaded",
    "WhoAmI", "WorkspaceEntry", "build_spec", "connect",
]
