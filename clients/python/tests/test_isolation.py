"""Users see only their own sessions, jobs and events: another user's ids are NotFound, as if they did not exist."""
from __future__ import annotations

import pytest

import gridtrain
from conftest import tiny_job


def test_another_users_job_and_session_are_not_found(alice: gridtrain.Client, bob: gridtrain.Client, admin: gridtrain.Client) -> None:
    session = alice.sessions.create("cpu", name="alice's")
    try:
        job = session.submit(**tiny_job())
        for attempt in (lambda: bob.jobs.get(job.id), lambda: bob.jobs.cancel(job.id), lambda: list(bob.jobs.events(job.id)),
                        lambda: bob.sessions.get(session.id), lambda: bob.sessions.terminate(session.id),
                        lambda: bob.jobs.submit(session.id, **tiny_job())):
            with pytest.raises(gridtrain.NotFound) as error:
                attempt()
            assert job.id in error.value.message or session.id in error.value.message
        assert job.id not in [j.id for j in bob.jobs.list()]
        assert session.id not in [s.id for s in bob.sessions.list(include_ended=True)]

        assert admin.jobs.get(job.id).session_id == session.id
        assert job.wait(progress=False).state is gridtrain.JobState.SUCCEEDED
    finally:
        session.terminate()
