"""The README's notebook flow against a real controller and agent, on CPU."""
from __future__ import annotations

import gc
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

import gridtrain
from conftest import Grid, tiny_job


def test_notebook_flow_on_cpu_session_job_events_wait_tensorboard(grid: Grid, user_token: Callable[[str], str],
                                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = user_token("carol")
    monkeypatch.setenv("GRIDTRAIN_CONTROLLER", grid.address)
    monkeypatch.setenv("GRIDTRAIN_TOKEN", token)
    monkeypatch.setenv("GRIDTRAIN_CONFIG", str(tmp_path / "no-config.json"))
    gt = gridtrain.connect()
    try:
        assert gt.whoami() == gridtrain.WhoAmI("carol", "user", token.split("_")[1])
        s = gt.sessions.create(runtime="cpu", idle_timeout="30m", name="notebook")
        assert s.id.startswith("ses-") and s.owner == "carol"
        assert s.proto.idle_timeout.seconds == 1800
        s.wait_ready(timeout=300)
        assert s.state in (gridtrain.SessionState.READY, gridtrain.SessionState.BUSY) and s.agent_id

        hello = s.exec(["echo", "hello from", s.id])
        assert (hello.exit_code, hello.text) == (0, f"hello from {s.id}\n")

        job = s.submit(**tiny_job(name="first"))
        assert job.session_id == s.id and job.spec.display_name == "first"
        events = list(job.events())
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        states = [gridtrain.JobState(e.state_changed.state) for e in events if e.WhichOneof("kind") == "state_changed"]
        assert states[-1] is gridtrain.JobState.SUCCEEDED and gridtrain.JobState.RUNNING in states
        kinds = {e.WhichOneof("kind") for e in events}
        assert {"progress", "epoch", "tensorboard"} <= kinds

        finished = job.wait(progress=False)
        assert finished.state is gridtrain.JobState.SUCCEEDED and finished.result is not None
        assert finished.proto.last_event_sequence == events[-1].sequence
        files = job.tensorboard(tmp_path / "runs")
        assert files and all(tfrecords(f) for f in files)
        assert any(b"train/loss" in record for f in files for record in tfrecords(f))

        assert str(gt.jobs.get(job.id).state) == "SUCCEEDED"
        assert job.id in [j.id for j in gt.jobs.list()]
        assert [j.id for j in gt.jobs.list(session=s.id)] == [job.id]
        assert s.id in [x.id for x in gt.sessions.list()]
        quota = gt.quota()
        assert quota.owner == "carol" and quota.concurrent_gpus == 0
        assert any(a.state and a.inventory.cpu_slots >= 1 for a in gt.agents.list())

        assert s.terminate().state is gridtrain.SessionState.TERMINATED
        assert s.id not in [x.id for x in gt.sessions.list()]
        assert s.id in [x.id for x in gt.sessions.list(include_ended=True)]
    finally:
        gt.close()


def tfrecords(path: Path) -> list[bytes]:
    """The records of a TensorBoard event file (TFRecord framing: length, its CRC, data, its CRC), checking that the
    framing covers the whole file."""
    content, records, offset = path.read_bytes(), [], 0
    while offset < len(content):
        (length,) = struct.unpack_from("<Q", content, offset)
        records.append(content[offset + 12: offset + 12 + length])
        offset += 12 + length + 4
    assert offset == len(content), f"{path} is cut off in a record"
    return records


def test_batch_job_runs_in_a_session_of_its_own_which_ends_with_it(alice: gridtrain.Client) -> None:
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job())
    assert job.wait(progress=False).state is gridtrain.JobState.SUCCEEDED
    session = alice.sessions.get(job.session_id)
    assert session.proto.batch
    with session.events() as stream:
        ended = next(e for e in stream if not gridtrain.SessionState(e.state).live)
    assert gridtrain.SessionState(ended.state) is gridtrain.SessionState.TERMINATED


def test_wait_shows_plain_text_progress_without_tqdm(alice: gridtrain.Client, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job())
    job.wait()
    lines = capsys.readouterr().out.splitlines()
    assert f"{job.id}: SUCCEEDED" in lines
    assert any(line.startswith(f"{job.id}: epoch 1 train loss") for line in lines)


def test_wait_shows_a_tqdm_bar_when_tqdm_is_installed(alice: gridtrain.Client, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm", reason="python3-tqdm is not installed")
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job())
    job.wait()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert job.id in captured.err and "step" in captured.err


def test_wait_raises_job_failed_with_the_reason(alice: gridtrain.Client) -> None:
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job(data="/nonexistent/fashion-mnist", synthetic=None))
    with pytest.raises(gridtrain.JobFailed) as failure:
        job.wait(progress=False)
    assert failure.value.job.state is gridtrain.JobState.FAILED
    assert "/nonexistent/fashion-mnist" in str(failure.value)


def test_closing_or_dropping_an_event_iterator_cancels_its_stream(alice: gridtrain.Client) -> None:
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job())
    stream = job.events(follow=True)
    first = next(stream)
    assert first.sequence == 1
    call = stream.call
    stream.close()
    assert call.code() is grpc.StatusCode.CANCELLED
    assert list(stream) == []

    dropped = job.events(follow=True)
    next(dropped)
    call = dropped.call
    del dropped
    gc.collect()
    assert call.code() is grpc.StatusCode.CANCELLED
    job.wait(progress=False)
