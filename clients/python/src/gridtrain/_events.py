"""Event streams that reopen after a dropped connection from the last sequence seen: no gaps, no repeats."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

import grpc

from .errors import from_rpc_error


class Sequenced(Protocol):
    sequence: int


Event = TypeVar("Event", bound=Sequenced)


class EventStream(Generic[Event]):
    """An iterator over a server stream of sequenced events (job or session events).

    When the connection drops (UNAVAILABLE), it reopens the stream after the last sequence it yielded, up to
    ``max_retries`` times in a row with a growing pause, so the caller sees every event once and in order.
    Other errors are raised as GridTrain exceptions. Closing the stream (``close()``, leaving a ``with`` block, or
    dropping the last reference) cancels the call on the server.
    """

    def __init__(self, open_call: Callable[[int], Any], after_sequence: int = 0, max_retries: int = 30) -> None:
        self._open = open_call
        self._last = after_sequence
        self._max_retries = max_retries
        self._call: Any = None
        self._closed = False
        self.reconnects = 0
        """How many times the stream was reopened after a dropped connection."""

    @property
    def last_sequence(self) -> int:
        """Sequence number of the last event yielded (or the starting point)."""
        return self._last

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        failures = 0
        while not self._closed:
            if self._call is None:
                self._call = self._open(self._last)
            try:
                event = next(self._call)
            except StopIteration:
                self.close()
                break
            except grpc.RpcError as error:
                if self._closed:
                    break
                if error.code() == grpc.StatusCode.UNAVAILABLE and failures < self._max_retries:  # type: ignore[attr-defined]
                    failures += 1
                    self._call = None
                    self.reconnects += 1
                    time.sleep(min(2.0, 0.1 * failures))
                    continue
                self.close()
                raise from_rpc_error(error) from None
            if event.sequence <= self._last:
                continue
            self._last = event.sequence
            return event
        raise StopIteration

    def close(self) -> None:
        """Cancels the stream; iteration ends."""
        self._closed = True
        call, self._call = self._call, None
        if call is not None:
            call.cancel()

    @property
    def call(self) -> Any:
        """The current gRPC call (None before the first event is asked for and after the stream ended)."""
        return self._call

    def __enter__(self) -> EventStream[Event]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()
