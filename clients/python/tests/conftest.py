"""Fixtures: a real controller and agent for the whole run, and clients acting as an admin and as two users.

When GRIDTRAIN_TEST_CONTROLLER is set (the .NET test that runs this suite sets it), the tests use that controller
(with its agent) and GRIDTRAIN_TEST_ADMIN_TOKEN; otherwise they start their own from the built CLI (see harness.py).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import gridtrain  # noqa: E402
from harness import Agent, Controller, find_gridtrain_dll, new_token  # noqa: E402


@dataclass
class Grid:
    address: str
    admin_token: str
    clients: list[gridtrain.Client] = field(default_factory=list)

    def connect(self, token: str, **kwargs: object) -> gridtrain.Client:
        client = gridtrain.connect(self.address, token=token, environ={}, **kwargs)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    def user_token(self, user: str) -> str:
        admin = self.connect(self.admin_token)
        return admin.tokens.create(user, description="python client tests").token


@pytest.fixture(scope="session")
def gridtrain_dll() -> Path:
    return find_gridtrain_dll()


@pytest.fixture(scope="session")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grid]:
    if address := os.environ.get("GRIDTRAIN_TEST_CONTROLLER"):
        grid = Grid(address, os.environ["GRIDTRAIN_TEST_ADMIN_TOKEN"])
        yield grid
    else:
        dll = find_gridtrain_dll()
        root = tmp_path_factory.mktemp("grid")
        controller = Controller(dll, root / "controller", new_token("admin"), new_token("join"))
        try:
            agent = Agent(dll, controller.address, controller.join_token, root / "agent")
            try:
                grid = Grid(controller.address, controller.admin_token)
                yield grid
            finally:
                agent.stop()
        finally:
            controller.stop()
    for client in grid.clients:
        client.close()


@pytest.fixture(scope="session")
def admin(grid: Grid) -> gridtrain.Client:
    return grid.connect(grid.admin_token)


@pytest.fixture(scope="session")
def user_token(grid: Grid) -> Callable[[str], str]:
    return grid.user_token


@pytest.fixture(scope="session")
def alice(grid: Grid) -> gridtrain.Client:
    return grid.connect(grid.user_token("alice"))


@pytest.fixture(scope="session")
def bob(grid: Grid) -> gridtrain.Client:
    return grid.connect(grid.user_token("bob"))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tests leave files for the .NET side to check ($GRIDTRAIN_TEST_ARTIFACTS, else a temporary directory)."""
    if explicit := os.environ.get("GRIDTRAIN_TEST_ARTIFACTS"):
        Path(explicit).mkdir(parents=True, exist_ok=True)
        return Path(explicit)
    return tmp_path_factory.mktemp("artifacts")


def tiny_job(**overrides: object) -> dict[str, object]:
    """A job that trains in seconds on one CPU thread."""
    spec: dict[str, object] = {"model": "mlp", "hidden_sizes": [16], "synthetic": {"train_examples": 256, "image_size": 8},
                               "epochs": 1, "batch_size": 32, "threads": 1}
    spec.update(overrides)
    return spec


REPOSITORY_MODULE = Path(__file__).resolve().parents[3] / "examples" / "torchscript" / "small-cnn.pt"
"""A TorchScript image classifier made by real PyTorch (examples/torchscript/make_model.py)."""
