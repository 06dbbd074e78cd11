"""Training jobs: submit, watch, wait, cancel, fetch TensorBoard files."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ._events import EventStream
from ._progress import display
from ._rpc import Rpc
from .errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, JobFailed, Unsupported
from .specs import build_spec
from .states import JobState
from .v1 import jobs_pb2, jobs_pb2_grpc, types_pb2

if TYPE_CHECKING:
    from .sessions import Resources


class Job:
    """A job as last seen (``refresh()`` fetches it again); ``proto`` is the full message."""

    def __init__(self, jobs: Jobs, proto: jobs_pb2.Job) -> None:
        self._jobs = jobs
        self.proto = proto

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def session_id(self) -> str:
        return self.proto.session_id

    @property
    def state(self) -> JobState:
        return JobState(self.proto.state)

    @property
    def attempt(self) -> int:
        return self.proto.attempt

    @property
    def progress(self) -> types_pb2.TrainingProgress:
        return self.proto.progress

    @property
    def result(self) -> types_pb2.JobResult | None:
        """The outcome once the job has finished, else None."""
        return self.proto.result if self.proto.HasField("result") else None

    @property
    def spec(self) -> types_pb2.JobSpec:
        return self.proto.spec

    def refresh(self) -> Job:
        self.proto = self._jobs.get(self.id).proto
        return self

    def events(self, after_sequence: int = 0, follow: bool = False) -> EventStream[types_pb2.JobEvent]:
        """The job's events after ``after_sequence``, live until the job finishes (or forever with ``follow``).

        A dropped connection is resumed from the last event seen, without gaps or repeats. Close the stream (or use
        it in a ``with`` block) to stop early; dropping it cancels the call too.
        """
        return self._jobs.events(self.id, after_sequence, follow)

    def wait(self, timeout: float | None = None, progress: bool | None = None, raise_on_failure: bool = True) -> Job:
        """Follows the job until it finishes and returns it refreshed.

        ``progress``: None or True show progress (a tqdm bar, a widget in Jupyter, when tqdm is installed; text lines
        otherwise), False shows nothing. Raises JobFailed for a FAILED or CANCELLED job unless ``raise_on_failure``
        is False, and DeadlineExceeded when ``timeout`` seconds pass first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        shown = display(self.id, progress)
        try:
            with self._jobs.events(self.id, 0, False, deadline) as stream:
                for event in stream:
                    shown.update(event)
        finally:
            shown.close()
        self.refresh()
        if not self.state.finished:
            raise DeadlineExceeded(f"{self.id} is still {self.state} after {timeout} s")
        if raise_on_failure and self.state in (JobState.FAILED, JobState.CANCELLED):
            reason = self.result.reason if self.result is not None else ""
            raise JobFailed(f"{self.id} {self.state}: {reason}", self)
        return self

    def cancel(self) -> Job:
        self.proto = self._jobs.cancel(self.id).proto
        return self

    def tensorboard(self, directory: str | Path, follow: bool = False) -> list[Path]:
        """Rebuilds the job's TensorBoard event files in ``directory`` (created if missing) from the TensorBoard
        chunks of its event stream, up to its newest event (or until it finishes with ``follow``), for
        ``tensorboard --logdir DIRECTORY``. Returns the files written."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        until = None if follow else self.refresh().proto.last_event_sequence
        written: dict[str, Path] = {}
        if until == 0:
            return []
        with self.events() as stream:
            for event in stream:
                if event.WhichOneof("kind") == "tensorboard":
                    chunk = event.tensorboard
                    if not chunk.file or Path(chunk.file).name != chunk.file or chunk.file in (".", "..") or chunk.offset < 0:
                        raise ValueError(f"the controller sent a TensorBoard chunk for '{chunk.file}' at offset {chunk.offset}, which is not a plain file name and offset")
                    path = target / chunk.file
                    with open(path, "r+b" if chunk.file in written else "wb") as output:
                        output.seek(chunk.offset)
                        output.write(chunk.data)
                    written[chunk.file] = path
                if until is not None and event.sequence >= until:
                    break
        return sorted(written.values())

    def download_model(self, destination: str | Path) -> Path:
        """Copies the finished job's best model (``result.best_model_uri``: best-model.pt, TorchScript, for
        TorchScript jobs) to ``destination`` and returns it.

        GridTrain's API has no artifact download yet, so this reads the model where the agent's checkpoint store
        keeps it: it works when that location is a path this machine can read (an agent on this machine, or a
        shared filesystem) and raises Unsupported naming the location otherwise.
        """
        result = self.refresh().result
        if result is None or not result.best_model_uri:
            raise FailedPrecondition(f"{self.id} is {self.state} and has no best model (yet)")
        uri = result.best_model_uri
        parsed = urlsplit(uri)
        source = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri) if not parsed.scheme else None
        if source is None or not source.is_file():
            raise Unsupported(f"{self.id}'s model is at {uri} on the agent's checkpoint store, which this machine cannot "
                              "read, and the API has no artifact download yet")
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    def logs(self) -> list[str]:
        """The job's log lines so far (stdout, stderr, and the agent's notes about it)."""
        until = self.refresh().proto.last_event_sequence
        lines: list[str] = []
        if until == 0:
            return lines
        with self.events() as stream:
            for event in stream:
                if event.WhichOneof("kind") == "log":
                    lines.append(event.log.text)
                if event.sequence >= until:
                    break
        return lines

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, session_id={self.session_id!r}, state={self.state})"


class Jobs:
    """``client.jobs``: the caller's jobs (an admin's: everyone's)."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc
        self._stub = jobs_pb2_grpc.JobServiceStub(rpc.channel)

    def get(self, job_id: str) -> Job:
        return Job(self, self._rpc.unary(self._stub.GetJob, jobs_pb2.GetJobRequest(job_id=job_id)))

    def list(self, session: str | None = None) -> list[Job]:
        """The caller's jobs, newest first; only those of ``session`` (an id) when given."""
        response = self._rpc.unary(self._stub.ListJobs, jobs_pb2.ListJobsRequest(session_id=session or ""))
        return [Job(self, j) for j in response.jobs]

    def cancel(self, job_id: str) -> Job:
        return Job(self, self._rpc.unary(self._stub.CancelJob, jobs_pb2.CancelJobRequest(job_id=job_id)))

    def submit(self, session: str | None = None, *, batch: Resources | None = None, priority: int = 0, **spec: Any) -> Job:
        """Submits a job into ``session`` (an id), or with ``batch=Resources(...)`` as a batch job in a session of
        its own. The other keyword arguments build the JobSpec (see :func:`gridtrain.specs.build_spec`)."""
        request = jobs_pb2.SubmitJobRequest(spec=build_spec(**spec))
        if (session is None) == (batch is None):
            raise InvalidArgument("session, batch: give exactly one (a session id, or batch=Resources(...))")
        if session is not None:
            request.session_id = session
        else:
            request.batch.resources.CopyFrom(batch.to_proto())  # type: ignore[union-attr]
            request.batch.priority = priority
        return Job(self, self._rpc.unary(self._stub.SubmitJob, request))

    def events(self, job_id: str, after_sequence: int = 0, follow: bool = False,
               deadline: float | None = None) -> EventStream[types_pb2.JobEvent]:
        def open_call(after: int) -> Any:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            request = jobs_pb2.StreamJobEventsRequest(job_id=job_id, after_sequence=after, follow=follow)
            return self._rpc.stream(self._stub.StreamJobEvents, request, timeout)

        return EventStream(open_call, after_sequence)
