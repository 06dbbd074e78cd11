"""The message and stub modules come from protos/ and a check fails when they are stale."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import gridtrain
from harness import REPOSITORY

GENERATOR = REPOSITORY / "clients" / "python" / "generate_protos.py"
PROTOS = REPOSITORY / "protos"


def check(out: Path, protos: Path = PROTOS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), "--check", "--protos", str(protos), "--out", str(out)],
                          capture_output=True, text=True)


def test_the_package_under_test_was_generated_from_the_current_protos() -> None:
    installed = Path(gridtrain.__file__).parent.parent
    result = check(installed)
    assert result.returncode == 0, result.stderr


def test_the_check_fails_naming_each_stale_or_missing_module(tmp_path: Path) -> None:
    protos = tmp_path / "protos"
    shutil.copytree(PROTOS, protos)
    out = tmp_path / "out"
    generated = subprocess.run([sys.executable, str(GENERATOR), "--protos", str(protos), "--out", str(out)], capture_output=True, text=True)
    assert generated.returncode == 0, generated.stderr
    assert check(out, protos).returncode == 0

    jobs = protos / "gridtrain" / "v1" / "jobs.proto"
    jobs.write_text(jobs.read_text() + "\nmessage AddedLater { string note = 1; }\n")
    (out / "gridtrain" / "v1" / "tokens_pb2_grpc.py").unlink()
    result = check(out, protos)
    assert result.returncode == 1
    assert "stale: v1/jobs_pb2.py" in result.stderr and "missing: v1/tokens_pb2_grpc.py" in result.stderr
    assert "regenerate with: python3 generate_protos.py" in result.stderr


def test_protos_importing_google_api_annotations_still_generate_and_import(tmp_path: Path) -> None:
    # protos/ carries google/api/{annotations,http}.proto for the HTTP/JSON API's google.api.http options.
    protos = PROTOS
    out = tmp_path / "out"
    generated = subprocess.run([sys.executable, str(GENERATOR), "--protos", str(protos), "--out", str(out)], capture_output=True, text=True)
    assert generated.returncode == 0, generated.stderr
    (out / "gridtrain" / "__init__.py").write_text("")
    probe = ("from gridtrain.v1 import sessions_pb2\n"
             "from gridtrain._vendor.google.api import annotations_pb2\n"
             "method = sessions_pb2.DESCRIPTOR.services_by_name['SessionService'].methods_by_name['GetSession']\n"
             "print(method.GetOptions().Extensions[annotations_pb2.http].get)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env={"PYTHONPATH": str(out)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/v1/sessions/{session_id}"
