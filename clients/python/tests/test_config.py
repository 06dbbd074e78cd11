"""Connection settings resolved the way the CLI resolves them, the CLI's context file, and TLS with a CA file."""
from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import gridtrain
from conftest import Grid
from gridtrain.config import resolve
from harness import Controller, new_token


def write_config(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def test_the_cli_context_file_is_read_from_xdg_config_home_with_its_current_context(grid: Grid, tmp_path: Path) -> None:
    token = grid.user_token("frank")
    # As `gridtrain context` writes it: JSON web naming (camelCase), at $XDG_CONFIG_HOME/gridtrain/config.json.
    write_config(tmp_path / "gridtrain" / "config.json", {
        "current": "lab",
        "contexts": {"lab": {"controller": grid.address, "token": token}, "other": {"controller": "http://10.0.0.1:1"}},
    })
    client = gridtrain.connect(environ={"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/nonexistent"})
    try:
        assert client.whoami().user == "frank"
    finally:
        client.close()


def test_precedence_argument_then_environment_then_context_then_default(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = write_config(tmp_path / "config.json", {
        "Current": "a",
        "Contexts": {"a": {"Controller": "https://a.example:7443", "Token": "ctx-a", "CaFile": str(ca)},
                     "b": {"controller": "b.example:7070", "token": "ctx-b"}},
    })
    env = {"GRIDTRAIN_CONFIG": str(config)}
    from_context = resolve(environ=env)
    assert (from_context.address.target, from_context.address.tls, from_context.token, from_context.ca_file, from_context.context) == (
        "a.example:7443", True, "ctx-a", str(ca), "a")

    named = resolve(environ={**env, "GRIDTRAIN_CONTEXT": "b"})
    assert (named.address.url, named.address.target, named.address.tls, named.token) == ("http://b.example:7070", "b.example:7070", False, "ctx-b")

    from_env = resolve(environ={**env, "GRIDTRAIN_CONTROLLER": "http://env.example:1", "GRIDTRAIN_TOKEN": "env"})
    assert (from_env.address.target, from_env.token) == ("env.example:1", "env")

    given = resolve("https://arg.example", token="arg", context="b", environ={**env, "GRIDTRAIN_TOKEN": "env"})
    assert (given.address.target, given.token) == ("arg.example:443", "arg")

    default = resolve(environ={"HOME": str(tmp_path / "empty-home")})
    assert (default.address.url, default.token, default.ca_file) == ("http://127.0.0.1:7070", "", None)


@pytest.mark.parametrize(("environ", "message"), [
    ({"GRIDTRAIN_CONTROLLER": "ftp://x:1"}, "GRIDTRAIN_CONTROLLER: 'ftp://x:1' is not a controller address"),
    ({"GRIDTRAIN_CONTROLLER": "http://x:1/path"}, "is not a controller address"),
    ({"GRIDTRAIN_CONTROLLER": "http://x:notaport"}, "is not a controller address"),
    ({"GRIDTRAIN_CONTEXT": "missing"}, "no context named 'missing'"),
    ({"GRIDTRAIN_CA_FILE": "/nonexistent/ca.pem"}, "ca_file: '/nonexistent/ca.pem' does not exist"),
])
def test_bad_settings_are_configuration_errors_naming_the_setting(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(gridtrain.ConfigurationError, match=re.escape(message)):
        resolve(environ={"GRIDTRAIN_CONFIG": str(tmp_path / "none.json"), **environ})


def test_a_config_file_that_is_not_json_is_named_in_the_error(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("{not json")
    with pytest.raises(gridtrain.ConfigurationError, match=f"config file {config}: not valid JSON"):
        resolve(environ={"GRIDTRAIN_CONFIG": str(config)})


def test_durations_as_the_cli_writes_them(alice: gridtrain.Client) -> None:
    session = alice.sessions.create("cpu", idle_timeout="1h", max_lifetime="02:00:00")
    try:
        assert (session.proto.idle_timeout.seconds, session.proto.max_lifetime.seconds) == (3600, 7200)
    finally:
        session.terminate()
    with pytest.raises(gridtrain.InvalidArgument, match="idle_timeout: 'soon' is not a duration"):
        alice.sessions.create("cpu", idle_timeout="soon")
    with pytest.raises(gridtrain.InvalidArgument, match="runtime: 'tpu' is not a runtime"):
        alice.sessions.create("tpu")


@pytest.fixture(scope="module")
def tls_controller(gridtrain_dll: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Controller, Path, Path]]:
    pki = tmp_path_factory.mktemp("pki")
    openssl = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    for name in ("ca", "rogue"):
        subprocess.run([*openssl, "-keyout", str(pki / f"{name}.key"), "-out", str(pki / f"{name}.pem"), "-subj", f"/CN=test {name}"],
                       check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(pki / "server.key"), "-out", str(pki / "server.csr"), "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    (pki / "san.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", str(pki / "server.csr"), "-CA", str(pki / "ca.pem"), "-CAkey", str(pki / "ca.key"),
                    "-CAcreateserial", "-days", "2", "-extfile", str(pki / "san.ext"), "-out", str(pki / "server.pem")],
                   check=True, capture_output=True)
    controller = Controller(gridtrain_dll, pki / "data", new_token("admin"), new_token("join"),
                            ["--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key")])
    yield controller, pki / "ca.pem", pki / "rogue.pem"
    controller.stop()


def test_tls_with_a_ca_file_verifies_the_controller(tls_controller: tuple[Controller, Path, Path]) -> None:
    controller, ca, rogue = tls_controller
    assert controller.address.startswith("https://")
    trusted = gridtrain.connect(controller.address, token=controller.admin_token, ca_file=ca, environ={})
    untrusted = gridtrain.connect(controller.address, token=controller.admin_token, ca_file=rogue, environ={}, timeout=30)
    try:
        assert trusted.whoami().role == "admin"
        with pytest.raises(gridtrain.Unavailable):
            untrusted.whoami()
    finally:
        trusted.close()
        untrusted.close()
