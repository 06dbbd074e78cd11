"""Every error a real controller produces arrives as its GridTrain exception, with the code and the server's message."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

import gridtrain
from conftest import Grid, tiny_job
from gridtrain.errors import error_class, from_rpc_error
from harness import Controller, new_token


def test_not_found_for_an_unknown_session(alice: gridtrain.Client) -> None:
    with pytest.raises(gridtrain.NotFound) as error:
        alice.sessions.get("ses-000000000000")
    assert error.value.code is grpc.StatusCode.NOT_FOUND and "ses-000000000000" in error.value.message
    assert isinstance(error.value, LookupError)


def test_invalid_argument_names_the_field_at_fault(alice: gridtrain.Client) -> None:
    session = alice.sessions.create("cpu")
    try:
        with pytest.raises(gridtrain.InvalidArgument) as error:
            session.submit(**tiny_job(epochs=-1))
        assert error.value.code is grpc.StatusCode.INVALID_ARGUMENT and "epochs" in error.value.message
        assert isinstance(error.value, ValueError)
    finally:
        session.terminate()


def test_permission_denied_for_a_user_creating_tokens(alice: gridtrain.Client) -> None:
    with pytest.raises(gridtrain.PermissionDenied) as error:
        alice.tokens.create("mallory")
    assert error.value.code is grpc.StatusCode.PERMISSION_DENIED and error.value.message


def test_unauthenticated_without_a_token_and_with_a_wrong_one(grid: Grid) -> None:
    for token in ("", "gt_nosuchtoken_secret"):
        client = grid.connect(token)
        with pytest.raises(gridtrain.Unauthenticated) as error:
            client.whoami()
        assert error.value.code is grpc.StatusCode.UNAUTHENTICATED and error.value.message


def test_failed_precondition_resuming_a_session_that_is_not_evicted(alice: gridtrain.Client) -> None:
    session = alice.sessions.create("cpu")
    session.terminate()
    with pytest.raises(gridtrain.FailedPrecondition) as error:
        session.resume()
    assert error.value.code is grpc.StatusCode.FAILED_PRECONDITION and session.id in error.value.message
    with pytest.raises(gridtrain.FailedPrecondition):
        session.submit(**tiny_job())


def test_deadline_exceeded_when_the_call_outlives_its_timeout(grid: Grid, alice: gridtrain.Client) -> None:
    session = alice.sessions.create("cpu")
    try:
        with pytest.raises(gridtrain.DeadlineExceeded) as error:
            session.submit(**tiny_job(epochs=10_000)).wait(timeout=0.5, progress=False)
        assert isinstance(error.value, TimeoutError)
    finally:
        session.terminate()


@pytest.fixture(scope="module")
def quota_controller(gridtrain_dll: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Controller]:
    controller = Controller(gridtrain_dll, tmp_path_factory.mktemp("quota"), new_token("admin"), new_token("join"),
                            ["--quota-gpus", "1"])
    yield controller
    controller.stop()


def test_resource_exhausted_over_the_gpu_quota(quota_controller: Controller) -> None:
    admin = gridtrain.connect(quota_controller.address, token=quota_controller.admin_token, environ={})
    try:
        user = gridtrain.connect(quota_controller.address, token=admin.tokens.create("erin").token, environ={})
        with pytest.raises(gridtrain.ResourceExhausted) as error:
            user.sessions.create("gpu", gpus=2)
        assert error.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED and "quota" in error.value.message.lower()
        user.close()
    finally:
        admin.close()


def test_unavailable_when_nothing_listens() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    client = gridtrain.connect(f"127.0.0.1:{port}", token="any", environ={}, timeout=30)
    try:
        with pytest.raises(gridtrain.Unavailable) as error:
            client.whoami()
        assert error.value.code is grpc.StatusCode.UNAVAILABLE and isinstance(error.value, ConnectionError)
    finally:
        client.close()


def test_unimplemented_for_a_method_the_controller_lacks(admin: gridtrain.Client) -> None:
    call = admin.sessions._rpc.channel.unary_unary("/gridtrain.v1.SessionService/NoSuchMethod")
    with pytest.raises(grpc.RpcError) as raw:
        call(b"", metadata=admin.sessions._rpc.metadata, timeout=30)
    error = from_rpc_error(raw.value)
    assert isinstance(error, gridtrain.Unimplemented) and error.code is grpc.StatusCode.UNIMPLEMENTED


def test_cancelled_when_the_client_cancels_a_stream(alice: gridtrain.Client) -> None:
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), **tiny_job())
    stream = job.events(follow=True)
    next(stream)
    call = stream.call
    call.cancel()
    with pytest.raises(grpc.RpcError) as raw:
        next(call)
    assert isinstance(from_rpc_error(raw.value), gridtrain.Cancelled)
    stream.close()
    job.wait(progress=False)


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c is not grpc.StatusCode.OK])
def test_every_status_code_has_its_exception_class(code: grpc.StatusCode) -> None:
    cls = error_class(code)
    assert cls is not gridtrain.GridTrainError and cls.code is code
    assert getattr(gridtrain, cls.__name__) is cls
    assert str(cls("what to fix")) == f"{code.name}: what to fix"
