"""Exceptions raised by the client: one class per gRPC status code, each carrying the code and the server's message."""
from __future__ import annotations

import grpc


class GridTrainError(Exception):
    """Base of every error this package raises.

    ``code`` is the gRPC status code for errors from a call (None for errors raised by the client itself) and
    ``message`` the server's explanation, which says what to fix.
    """

    code: grpc.StatusCode | None = None

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}" if self.code is not None else self.message


class Cancelled(GridTrainError):
    code = grpc.StatusCode.CANCELLED


class Unknown(GridTrainError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(GridTrainError, ValueError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(GridTrainError, TimeoutError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(GridTrainError, LookupError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(GridTrainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(GridTrainError, PermissionError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(GridTrainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(GridTrainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(GridTrainError):
    code = grpc.StatusCode.ABORTED


class OutOfRange(GridTrainError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(GridTrainError, NotImplementedError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(GridTrainError):
    code = grpc.StatusCode.INTERNAL


class Unavailable(GridTrainError, ConnectionError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(GridTrainError):
    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(GridTrainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class ConfigurationError(GridTrainError, ValueError):
    """The connection settings (arguments, environment, the CLI's config file) are unusable; the message says which."""


class Unsupported(GridTrainError, NotImplementedError):
    """The controller's API has no such operation yet (for example running a command in a session)."""


class SessionEnded(GridTrainError):
    """A session ended (or was evicted or suspended) while the client waited for it to become ready."""

    def __init__(self, message: str, state: object) -> None:
        super().__init__(message)
        self.state = state


class CommandFailed(GridTrainError):
    """A command run with ``Session.exec(..., check=True)`` exited with a non-zero code, was ended by a signal, or ran
    past its timeout; ``result`` is its :class:`gridtrain.ExecResult` (exit code, signal, output)."""

    def __init__(self, message: str, result: object) -> None:
        super().__init__(message)
        self.result = result

    @property
    def exit_code(self) -> int:
        return self.result.exit_code  # type: ignore[attr-defined,no-any-return]


class JobFailed(GridTrainError):
    """A job finished FAILED or CANCELLED; ``job`` is the finished job."""

    def __init__(self, message: str, job: object) -> None:
        super().__init__(message)
        self.job = job


_BY_CODE: dict[grpc.StatusCode, type[GridTrainError]] = {
    cls.code: cls  # type: ignore[misc]
    for cls in (Cancelled, Unknown, InvalidArgument, DeadlineExceeded, NotFound, AlreadyExists, PermissionDenied,
                ResourceExhausted, FailedPrecondition, Aborted, OutOfRange, Unimplemented, Internal, Unavailable,
                DataLoss, Unauthenticated)
}


def error_class(code: grpc.StatusCode) -> type[GridTrainError]:
    """The exception class for a status code (GridTrainError itself for OK, which no failed call carries)."""
    return _BY_CODE.get(code, GridTrainError)


def from_rpc_error(error: grpc.RpcError) -> GridTrainError:
    """The GridTrain exception for a failed gRPC call, with its code and the server's message."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    cls = error_class(code)
    return cls(details) if cls is not GridTrainError else GridTrainError(details, code)
