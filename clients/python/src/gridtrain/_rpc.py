"""Calls with the token, a deadline, and GridTrain exceptions instead of grpc.RpcError."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from .errors import from_rpc_error

Request = TypeVar("Request")
Response = TypeVar("Response")


class Rpc:
    """What every call needs: the channel, the bearer token and the default deadline (seconds) of unary calls."""

    def __init__(self, channel: grpc.Channel, token: str, timeout: float) -> None:
        self.channel = channel
        self.timeout = timeout
        self.metadata: tuple[tuple[str, str], ...] = (("authorization", "Bearer " + token),) if token else ()

    def unary(self, method: Callable[..., Response], request: Any, timeout: float | None = None) -> Response:
        try:
            return method(request, metadata=self.metadata, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def stream(self, method: Callable[..., Iterator[Response]], request: Any, timeout: float | None = None) -> Any:
        """Opens a server stream (a grpc call that is also an iterator); no deadline unless ``timeout`` is given."""
        return method(request, metadata=self.metadata, timeout=timeout)
