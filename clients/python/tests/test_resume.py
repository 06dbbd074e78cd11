"""Event streams survive a connection cut mid-stream: the client reconnects after the last sequence it saw."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import gridtrain
from conftest import Grid, tiny_job
from harness import CuttableProxy


@pytest.fixture
def proxy(grid: Grid) -> Iterator[CuttableProxy]:
    proxy = CuttableProxy(grid.address.removeprefix("http://").rstrip("/"))
    yield proxy
    proxy.close()


def test_job_events_resume_after_the_connection_is_cut_mid_stream_without_gap_or_repeat(
        grid: Grid, user_token: Callable[[str], str], proxy: CuttableProxy) -> None:
    token = user_token("dave")
    direct = grid.connect(token)
    through_proxy = gridtrain.connect(f"http://{proxy.address}", token=token, environ={})
    try:
        session = direct.sessions.create("cpu")
        # A long job holds the session, so the watched job stays queued until the test lets it run.
        blocker = session.submit(**tiny_job(epochs=10_000))
        watched = session.submit(**tiny_job())

        stream = through_proxy.jobs.get(watched.id).events()
        first = next(stream)
        assert first.sequence == 1 and first.state_changed.state == gridtrain.JobState.QUEUED.value
        proxy.pause()                      # the network goes quiet: nothing more reaches the client
        blocker.cancel()
        finished = direct.jobs.get(watched.id).wait(progress=False)   # it runs and finishes while the client is cut off
        proxy.drop()                       # then the connection breaks
        proxy.resume()

        rest = list(stream)
        sequences = [first.sequence] + [e.sequence for e in rest]
        assert stream.reconnects >= 1 and proxy.connections >= 2
        assert sequences == list(range(1, finished.proto.last_event_sequence + 1))
        assert rest[-1].state_changed.state == gridtrain.JobState.SUCCEEDED.value
        session.terminate()
    finally:
        through_proxy.close()
