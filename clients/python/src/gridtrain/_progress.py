"""Shows a job's progress while waiting for it: a tqdm bar (a widget in Jupyter) when tqdm is installed, plain text
lines otherwise."""
from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO

from .v1 import types_pb2


class ProgressDisplay(Protocol):
    def update(self, event: types_pb2.JobEvent) -> None: ...

    def close(self) -> None: ...


class TextProgress:
    """One line per state change, epoch evaluation, and progress report."""

    def __init__(self, job_id: str, out: TextIO | None = None) -> None:
        self._job_id = job_id
        self._out = out or sys.stdout

    def update(self, event: types_pb2.JobEvent) -> None:
        line = describe(event)
        if line is not None:
            print(f"{self._job_id}: {line}", file=self._out, flush=True)

    def close(self) -> None:
        pass


class TqdmProgress:
    """A progress bar over the job's steps, with the loss and state as its postfix."""

    def __init__(self, job_id: str, tqdm: Any) -> None:
        self._bar = tqdm(total=None, desc=job_id, unit="step", dynamic_ncols=True)

    def update(self, event: types_pb2.JobEvent) -> None:
        kind = event.WhichOneof("kind")
        if kind == "progress":
            progress = event.progress
            if progress.total_steps and self._bar.total != progress.total_steps:
                self._bar.total = progress.total_steps
            self._bar.n = progress.step
            self._bar.set_postfix(epoch=progress.epoch, loss=f"{progress.loss:.4f}", refresh=False)
            self._bar.refresh()
        elif kind in ("state_changed", "epoch"):
            self._bar.set_description(f"{self._bar.desc.split(' ')[0]} {describe(event)}")

    def close(self) -> None:
        self._bar.close()


class NoProgress:
    def update(self, event: types_pb2.JobEvent) -> None:
        pass

    def close(self) -> None:
        pass


def describe(event: types_pb2.JobEvent) -> str | None:
    """A short text for events worth showing; None for the rest (log lines, TensorBoard chunks, checkpoints)."""
    kind = event.WhichOneof("kind")
    if kind == "state_changed":
        state = types_pb2.JobState.Name(event.state_changed.state).removeprefix("JOB_STATE_")
        return state + (f" ({event.state_changed.reason})" if event.state_changed.reason else "")
    if kind == "progress":
        p = event.progress
        return (f"epoch {p.epoch} step {p.step}/{p.total_steps} loss {p.loss:.4f} "
                f"({p.samples_per_second:.0f} samples/s, eta {p.eta_seconds:.0f}s)")
    if kind == "epoch":
        e = event.epoch
        return f"epoch {e.epoch} train loss {e.train_loss:.4f}, test loss {e.test_loss:.4f}, test accuracy {e.test_accuracy:.3f}"
    return None


def display(job_id: str, progress: bool | None) -> ProgressDisplay:
    """True: tqdm if installed, else text; None: the same; False: nothing."""
    if progress is False:
        return NoProgress()
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return TextProgress(job_id)
    return TqdmProgress(job_id, tqdm)
