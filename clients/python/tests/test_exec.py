"""Commands, copies and listings in a session's workspace (SessionService.Exec, UploadFiles, DownloadFiles, ListFiles)
against the real controller and agent; the damaged-download case against a gRPC server on loopback that corrupts a
file on purpose."""
from __future__ import annotations

import _thread
import gc
import hashlib
import io
import os
import stat
import threading
from collections.abc import Iterator
from concurrent import futures
from datetime import datetime, timedelta, timezone
from pathlib import Path

import grpc
import pytest

import gridtrain
from gridtrain.v1 import sessions_pb2, sessions_pb2_grpc


@pytest.fixture(scope="module")
def session(alice: gridtrain.Client) -> Iterator[gridtrain.Session]:
    s = alice.sessions.create("cpu", name="exec tests")
    try:
        yield s.wait_ready(timeout=300)
    finally:
        s.terminate()


def test_exec_returns_stdout_stderr_and_the_exit_code(session: gridtrain.Session) -> None:
    result = session.exec("ls -a; echo err >&2; exit 3")
    assert (result.exit_code, result.signal, result.timed_out, result.ok) == (3, 0, False, False)
    assert result.stderr == b"err\n" and result.stderr_text == "err\n"
    assert {".", ".."} <= set(result.text.splitlines())
    assert result.argv == ["sh", "-c", "ls -a; echo err >&2; exit 3"]

    listed = session.exec(["printf", "%s|", "a b", "$HOME", "*"])  # argv runs as given: no shell expands it
    assert (listed.exit_code, listed.stdout) == (0, b"a b|$HOME|*|")


def test_check_raises_command_failed_naming_the_exit_code_and_the_end_of_stderr(session: gridtrain.Session) -> None:
    with pytest.raises(gridtrain.CommandFailed) as failure:
        session.exec("echo working; echo 'boom: no such dataset' >&2; exit 7", check=True)
    assert isinstance(failure.value, gridtrain.GridTrainError)
    assert failure.value.exit_code == 7 and failure.value.result.stdout == b"working\n"
    assert "exited with code 7" in str(failure.value) and "boom: no such dataset" in str(failure.value)
    assert session.exec(["true"], check=True).ok


def test_binary_stdout_arrives_byte_identical(session: gridtrain.Session) -> None:
    result = session.exec("head -c 3000000 /dev/urandom | tee random.bin; sha256sum random.bin >&2", check=True)
    assert len(result.stdout) == 3_000_000
    assert result.stderr_text.split()[0] == hashlib.sha256(result.stdout).hexdigest()


def test_stdin_reaches_the_command_as_bytes_text_or_a_file(session: gridtrain.Session) -> None:
    data = os.urandom(300_000) + b"\x00\xff\r\n"
    assert session.exec(["cat"], stdin=data, check=True).stdout == data
    assert session.exec(["cat"], stdin=io.BytesIO(data), check=True).stdout == data
    assert session.exec(["wc", "-l"], stdin="héllo\nwörld\n", check=True).text.strip() == "2"
    assert session.exec(["cat"]).stdout == b""  # without stdin the command reads end-of-file at once


def test_timeout_stops_the_command_and_says_so(session: gridtrain.Session) -> None:
    result = session.exec(["sleep", "60"], timeout="1s")
    assert result.timed_out and result.signal in (9, 15) and result.exit_code == 128 + result.signal
    with pytest.raises(gridtrain.CommandFailed, match="ran past its timeout"):
        session.exec(["sleep", "60"], timeout=timedelta(milliseconds=500), check=True)
    with pytest.raises(gridtrain.InvalidArgument, match="timeout"):
        session.exec(["true"], timeout=0)


def test_an_empty_argv_is_invalid_argument_naming_it(alice: gridtrain.Client, session: gridtrain.Session) -> None:
    for command in ([], [""], "  "):
        with pytest.raises(gridtrain.InvalidArgument, match="argv is empty"):
            session.exec(command)  # type: ignore[arg-type]
    with pytest.raises(gridtrain.InvalidArgument, match="command"):
        session.exec([b"ls"])  # type: ignore[list-item]

    # The controller checks it too, for clients that do not.
    stub = sessions_pb2_grpc.SessionServiceStub(alice._channel)
    metadata = alice.sessions._rpc.metadata
    with pytest.raises(gridtrain.InvalidArgument, match="argv is empty"):
        list(gridtrain.ExecStream(lambda requests, deadline: stub.Exec(requests, metadata=metadata, timeout=deadline), session.id, []))


def test_another_users_session_is_not_found(bob: gridtrain.Client, session: gridtrain.Session, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    for attempt in (lambda: bob.sessions.exec(session.id, ["true"]), lambda: bob.sessions.upload(session.id, tmp_path / "f.txt"),
                    lambda: bob.sessions.download(session.id, "random.bin", tmp_path), lambda: bob.sessions.list_files(session.id)):
        with pytest.raises(gridtrain.NotFound) as error:
            attempt()
        assert session.id in error.value.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_exec_stream_yields_output_as_it_arrives_then_the_exit(session: gridtrain.Session) -> None:
    with session.exec_stream("echo one; echo two >&2; exit 4") as run:
        assert run.exit_code is None
        chunks = list(run)
    assert b"".join(d for n, d in chunks if n == "stdout") == b"one\n"
    assert b"".join(d for n, d in chunks if n == "stderr") == b"two\n"
    assert (run.exit_code, run.signal, run.timed_out, run.finished) == (4, 0, False, True)


def test_closing_the_stream_stops_the_command(session: gridtrain.Session) -> None:
    run = session.exec_stream("echo $$ > closed.pid; echo started; exec sleep 300")
    assert next(run) == ("stdout", b"started\n")
    call = run.call
    run.close()
    assert call.done() and call.code() is grpc.StatusCode.CANCELLED  # done() first: code() would wait for an uncancelled call
    assert list(run) == [] and run.exit_code is None
    assert_stopped(session, "closed.pid")


def test_dropping_the_stream_stops_the_command(session: gridtrain.Session) -> None:
    run = session.exec_stream("echo $$ > dropped.pid; echo started; exec sleep 300")
    assert next(run) == ("stdout", b"started\n")
    del run
    gc.collect()
    assert_stopped(session, "dropped.pid")


def test_keyboard_interrupt_stops_the_command(session: gridtrain.Session) -> None:
    run = session.exec_stream("echo $$ > interrupted.pid; echo started; exec sleep 300")
    assert next(run) == ("stdout", b"started\n")
    call = run.call
    interrupt = threading.Timer(0.2, _thread.interrupt_main)  # as Ctrl+C or a notebook's interrupt would, mid-wait
    interrupt.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(run)
    finally:
        interrupt.join()
    assert call.done() and call.code() is grpc.StatusCode.CANCELLED  # done() first: code() would wait for an uncancelled call
    assert list(run) == [] and run.exit_code is None
    assert_stopped(session, "interrupted.pid")


def assert_stopped(session: gridtrain.Session, pid_file: str) -> None:
    """The process whose id is in ``pid_file`` is gone: the server stops the process group once it sees the cancel,
    and this waits (bounded) for exactly that."""
    gone = session.exec(f"while kill -0 $(cat {pid_file}) 2>/dev/null; do sleep 0.05; done", timeout="60s")
    assert gone.ok, "the cancelled command was still running after 60 s"


def test_print_output_writes_live_to_stdout_and_stderr(session: gridtrain.Session, capsys: pytest.CaptureFixture[str]) -> None:
    result = session.exec("echo 'GPU 0: none'; echo 'warning: cpu' >&2; printf 'caf\\303'; printf '\\251\\n'", print_output=True)
    captured = capsys.readouterr()
    assert captured.out == "GPU 0: none\ncafé\n" and captured.err == "warning: cpu\n"
    assert result.stdout == "GPU 0: none\ncafé\n".encode()

    quiet = session.exec("echo out; echo last words >&2; exit 2", print_output=True, capture=False)
    assert (quiet.stdout, quiet.stderr, quiet.exit_code) == (b"", b"", 2)
    with pytest.raises(gridtrain.CommandFailed, match="last words"):
        quiet.check()


def test_upload_and_download_a_file_round_trip_byte_identical(session: gridtrain.Session, tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    source.write_bytes(os.urandom(1024 * 1024 + 17))  # two chunks
    source.chmod(0o640)
    uploaded = session.upload(source)
    assert uploaded == gridtrain.Uploaded("weights.bin", 1, source.stat().st_size)
    assert session.exec(["sha256sum", "weights.bin"], check=True).text.split()[0] == hashlib.sha256(source.read_bytes()).hexdigest()

    renamed = session.upload(source, "copy.bin")
    assert renamed.path == "copy.bin"
    back = tmp_path / "back"
    back.mkdir()
    downloaded = session.download("copy.bin", back)
    assert downloaded == gridtrain.Downloaded(back / "copy.bin", 1, source.stat().st_size)
    assert (back / "copy.bin").read_bytes() == source.read_bytes()
    assert stat.S_IMODE((back / "copy.bin").stat().st_mode) == 0o640
    assert session.download("weights.bin", tmp_path / "named.bin").path == tmp_path / "named.bin"
    assert (tmp_path / "named.bin").read_bytes() == source.read_bytes()
    assert not [p for p in tmp_path.rglob(".*gridtrain-download")]


def test_upload_and_download_a_directory_round_trip_byte_identical(session: gridtrain.Session, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "empty").mkdir()
    (project / "src" / "pkg" / "model.py").write_text("print('train')\n")
    (project / "train.sh").write_text("#!/bin/sh\necho trained\n")
    (project / "train.sh").chmod(0o755)
    (project / "blank.txt").write_bytes(b"")
    (project / "data.bin").write_bytes(os.urandom(20_000))
    (project / "link").symlink_to("/etc/passwd")  # links are not copied

    uploaded = session.upload(project, "")
    assert (uploaded.path, uploaded.files, uploaded.bytes) == ("project", 4, sum(f.stat().st_size for f in project.rglob("*") if f.is_file() and not f.is_symlink()))
    assert session.exec(["./project/train.sh"], check=True).text == "trained\n"

    out = tmp_path / "out"
    out.mkdir()
    downloaded = session.download("project", out)
    assert downloaded.path == out / "project" and downloaded.files == 4
    assert tree(out / "project") == {k: v for k, v in tree(project).items() if k != "link"}

    with pytest.raises(FileExistsError, match="already exists"):
        session.download("project", out)
    with pytest.raises(gridtrain.FailedPrecondition, match="already exists"):
        session.upload(project, "")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        session.upload(tmp_path / "missing")


def tree(root: Path) -> dict[str, tuple[str, bytes | None, int]]:
    """Every entry under ``root``: its kind, its bytes (files) and its permission bits (files)."""
    return {str(p.relative_to(root)): ("dir", None, 0) if p.is_dir() else ("file", p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in root.rglob("*") if not p.is_symlink()}


def test_paths_outside_the_workspace_are_refused_naming_them(session: gridtrain.Session, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    for attempt, path in ((lambda: session.upload(tmp_path / "f.txt", "../escape"), "../escape"),
                          (lambda: session.download("../../etc/passwd", tmp_path / "p"), "../../etc/passwd"),
                          (lambda: session.ls("/etc"), "/etc")):
        with pytest.raises(gridtrain.InvalidArgument) as error:
            attempt()
        assert f"'{path}'" in error.value.message
    assert not (tmp_path / "p").exists()


def test_ls_shows_the_uploaded_file(session: gridtrain.Session, tmp_path: Path) -> None:
    (tmp_path / "listed.csv").write_bytes(b"a,b\n1,2\n")
    session.exec("mkdir -p listing/sub", check=True)
    session.upload(tmp_path / "listed.csv", "listing")
    entries = session.ls("listing")
    assert [(e.name, e.type, e.size) for e in entries] == [("listed.csv", gridtrain.FileType.FILE, 8), ("sub", gridtrain.FileType.DIRECTORY, 0)]
    assert all(e.modified_at.tzinfo is not None and abs(datetime.now(timezone.utc) - e.modified_at) < timedelta(hours=1) for e in entries)
    assert [e.name for e in session.ls("listing/listed.csv")] == ["listed.csv"]
    assert "listing" in [e.name for e in session.ls()]
    with pytest.raises(gridtrain.NotFound, match="'nothing-here'"):
        session.ls("nothing-here")


class _Corrupting(sessions_pb2_grpc.SessionServiceServicer):
    """A SessionService whose downloads send a directory in which the second file's checksum is wrong."""

    def DownloadFiles(self, request: sessions_pb2.DownloadFilesRequest, context: grpc.ServicerContext) -> Iterator[sessions_pb2.DownloadFilesResponse]:
        yield sessions_pb2.DownloadFilesResponse(file=sessions_pb2.FileHeader(path="", type=sessions_pb2.FILE_TYPE_DIRECTORY))
        for name, data, digest in (("good.txt", b"fine", hashlib.sha256(b"fine").digest()), ("bad.txt", b"damaged", b"\0" * 32)):
            yield sessions_pb2.DownloadFilesResponse(file=sessions_pb2.FileHeader(path=name, type=sessions_pb2.FILE_TYPE_FILE, size=len(data), mode=0o644))
            yield sessions_pb2.DownloadFilesResponse(data=data)
            yield sessions_pb2.DownloadFilesResponse(end=sessions_pb2.FileEnd(sha256=digest))


def test_a_damaged_download_raises_and_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    sessions_pb2_grpc.add_SessionServiceServicer_to_server(_Corrupting(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with gridtrain.connect(f"http://127.0.0.1:{port}", token="t", environ={}) as client:
            with pytest.raises(gridtrain.DataLoss, match="'bad.txt' arrived damaged"):
                client.sessions.download("ses-0123456789ab", "results", tmp_path)
    finally:
        server.stop(None)
    assert list(tmp_path.iterdir()) == []


def test_command_job_runs_the_users_program_with_its_files_and_environment(session: gridtrain.Session, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "train.sh").write_text('echo "training with $GREETING in $(pwd)"\n')
    job = session.submit(command="sh pkg/train.sh", files=project, environment={"GREETING": "hello"}, name="own code")
    finished = job.wait(progress=False)
    assert finished.state is gridtrain.JobState.SUCCEEDED, finished.proto.result.reason
    logs = [e.log.text for e in job.events() if e.WhichOneof("kind") == "log"]
    assert any(line.startswith("training with hello in ") for line in logs), logs
    assert finished.spec.command.argv == ["sh", "-c", "sh pkg/train.sh"] and finished.spec.display_name == "own code"


def test_command_job_failure_names_the_exit_code_and_bad_arguments_name_the_field(session: gridtrain.Session) -> None:
    job = session.submit(command=["sh", "-c", "echo 'ValueError: bad shape' >&2; exit 3"])
    with pytest.raises(gridtrain.JobFailed, match="command exited with code 3: ValueError: bad shape"):
        job.wait(progress=False)
    with pytest.raises(gridtrain.InvalidArgument, match="epochs: a command job runs its own program"):
        session.submit(command=["true"], epochs=2)
    with pytest.raises(gridtrain.InvalidArgument, match="files: .* is not a directory"):
        session.submit(command=["true"], files="/nonexistent/project")
    with pytest.raises(gridtrain.InvalidArgument, match="environment: only for a command job"):
        session.submit(model="mlp", synthetic=64, environment={"A": "b"})
