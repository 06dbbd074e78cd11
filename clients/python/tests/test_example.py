"""The notebook in examples/python-client runs, cell by cell, against the grid."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Grid
from harness import REPOSITORY

NOTEBOOK = REPOSITORY / "examples" / "python-client" / "gridtrain.ipynb"


def test_the_example_notebook_runs_end_to_end(grid: Grid, user_token: Callable[[str], str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRIDTRAIN_CONTROLLER", grid.address)
    monkeypatch.setenv("GRIDTRAIN_TOKEN", user_token("notebook-user"))
    monkeypatch.chdir(tmp_path)
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict[str, object] = {}
    for index, cell in enumerate(cells):
        exec(compile("".join(cell["source"]), f"{NOTEBOOK.name} cell {index}", "exec"), namespace)  # noqa: S102

    out = capsys.readouterr().out
    assert "WhoAmI(user='notebook-user'" in out
    assert "running in " in out and "hello from the workspace" in out and "'hello.py'" in out
    assert "epoch 1: test accuracy" in out and "SUCCEEDED" in out
    assert "StatusCode.NOT_FOUND" in out
    assert list((tmp_path / "runs").iterdir())
