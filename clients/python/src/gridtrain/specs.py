"""Builds a JobSpec from keyword arguments, so a notebook cell need not spell out protobuf messages."""
from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import InvalidArgument
from .v1 import types_pb2

TORCHSCRIPT_UPLOAD_LIMIT = 3 * 1024 * 1024
COMMAND_FILES_LIMIT = 3 * 1024 * 1024


def build_spec(
    *,
    model: str | None = None,
    data: str | os.PathLike[str] | None = None,
    synthetic: int | Mapping[str, int] | None = None,
    csv: str | os.PathLike[str] | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    optimizer: str | None = None,
    max_steps: int | None = None,
    seed: int | None = None,
    hidden_sizes: Sequence[int] | None = None,
    torchscript: bytes | str | os.PathLike[str] | None = None,
    torchscript_on_agent: str | None = None,
    train_limit: int | None = None,
    test_limit: int | None = None,
    checkpoint_every: int | None = None,
    device: str | None = None,
    threads: int | None = None,
    name: str | None = None,
    command: str | Sequence[str] | None = None,
    environment: Mapping[str, str] | None = None,
    working_directory: str | None = None,
    files: str | os.PathLike[str] | None = None,
    drive_folder: str | None = None,
    spec: types_pb2.JobSpec | None = None,
) -> types_pb2.JobSpec:
    """A JobSpec: ``spec`` (copied) with the given fields set on top.

    ``data`` is a directory of IDX files on the agent's machine, ``synthetic`` a number of generated training
    examples (or ``{"train_examples": N, "image_size": S, "classes": C, "test_examples": T}``), ``csv`` a CSV table
    on the agent's machine; give one of them unless ``spec`` has data. ``torchscript`` is a local ``.pt`` file (or
    its bytes) uploaded with the job; ``torchscript_on_agent`` an absolute path on the agent's machine. The server
    validates the rest and answers InvalidArgument naming the field at fault.

    ``command`` makes a command job: the user's own program (a list of argv, or a string run with ``sh -c``) in the
    session's workspace, like ``!python train.py`` on Colab, with ``environment``, a ``working_directory`` inside the
    workspace, ``files`` (a local directory zipped and sent with the job, at most 3 MiB) and ``drive_folder`` (a
    Drive folder the agent downloads; the program finds it at ``GRIDTRAIN_DATA_DIR``). Its checkpoints, resume and
    events follow the contract in docs/user-code.md. A command job takes no model, data or hyperparameters.
    """
    result = types_pb2.JobSpec()
    if spec is not None:
        result.CopyFrom(spec)

    if command is not None:
        builtin = {"model": model, "data": data, "synthetic": synthetic, "csv": csv, "epochs": epochs,
                   "batch_size": batch_size, "learning_rate": learning_rate, "optimizer": optimizer,
                   "max_steps": max_steps, "seed": seed, "hidden_sizes": hidden_sizes, "torchscript": torchscript,
                   "torchscript_on_agent": torchscript_on_agent, "train_limit": train_limit, "test_limit": test_limit,
                   "checkpoint_every": checkpoint_every}
        given = [key for key, value in builtin.items() if value is not None]
        if given:
            raise InvalidArgument(f"{', '.join(given)}: a command job runs its own program and takes no {given[0]}; "
                                  "its checkpoints follow GRIDTRAIN_CHECKPOINT_DIR (docs/user-code.md)")
        result.command.CopyFrom(_command(command, environment, working_directory, files, drive_folder))
        if device is not None:
            result.device = device
        if threads is not None:
            result.threads = threads
        if name is not None:
            result.display_name = name
        return result
    extras = {"environment": environment, "working_directory": working_directory, "files": files, "drive_folder": drive_folder}
    given_extras = [key for key, value in extras.items() if value is not None]
    if given_extras:
        raise InvalidArgument(f"{', '.join(given_extras)}: only for a command job (give command=)")

    sources = {"data": data, "synthetic": synthetic, "csv": csv}
    given = [key for key, value in sources.items() if value is not None]
    if len(given) > 1:
        raise InvalidArgument(f"{' and '.join(given)}: give one data source")
    if not given and not (result.data.WhichOneof("source") or result.data.HasField("csv")):
        raise InvalidArgument("data: give data= (an IDX directory on the agent), synthetic= or csv=")
    if data is not None:
        result.data.idx_directory = os.fspath(data)
    if csv is not None:
        result.data.csv.train_path = os.fspath(csv)
    if synthetic is not None:
        result.data.synthetic.CopyFrom(_synthetic(synthetic))
    if train_limit is not None:
        result.data.train_limit = train_limit
    if test_limit is not None:
        result.data.test_limit = test_limit

    if torchscript is not None or torchscript_on_agent is not None:
        if model not in (None, "torchscript"):
            raise InvalidArgument(f"model: '{model}' takes no TorchScript module; leave model out or use 'torchscript'")
        model = "torchscript"
        result.model.torchscript.CopyFrom(_torchscript(torchscript, torchscript_on_agent))
    if model is not None:
        result.model.name = model
    elif not result.model.name:
        raise InvalidArgument("model: name a built-in model ('mlp', 'cnn', 'resnet') or give torchscript=")
    if hidden_sizes is not None:
        result.model.hidden_sizes[:] = list(hidden_sizes)

    hyper = result.hyperparameters
    for field, value in (("epochs", epochs), ("batch_size", batch_size), ("learning_rate", learning_rate),
                         ("optimizer", optimizer), ("max_steps", max_steps), ("seed", seed)):
        if value is not None:
            setattr(hyper, field, value)
    if checkpoint_every is not None:
        result.checkpoint.every_steps = checkpoint_every
    if device is not None:
        result.device = device
    if threads is not None:
        result.threads = threads
    if name is not None:
        result.display_name = name
    return result


def _synthetic(value: int | Mapping[str, int]) -> types_pb2.SyntheticData:
    if isinstance(value, bool) or not isinstance(value, (int, Mapping)):
        raise InvalidArgument(f"synthetic: expected a number of examples or a mapping, got {value!r}")
    if isinstance(value, int):
        return types_pb2.SyntheticData(train_examples=value)
    known = {f.name for f in types_pb2.SyntheticData.DESCRIPTOR.fields}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InvalidArgument(f"synthetic: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return types_pb2.SyntheticData(**value)


def _torchscript(module: bytes | str | os.PathLike[str] | None, on_agent: str | None) -> types_pb2.TorchScriptModel:
    if module is not None and on_agent is not None:
        raise InvalidArgument("torchscript, torchscript_on_agent: give one")
    if on_agent is not None:
        return types_pb2.TorchScriptModel(path=on_agent)
    if isinstance(module, (bytes, bytearray)):
        content = bytes(module)
    else:
        path = Path(module)  # type: ignore[arg-type]
        if not path.is_file():
            raise InvalidArgument(f"torchscript: '{path}' is not a file (use torchscript_on_agent= for a path on the agent)")
        content = path.read_bytes()
    if len(content) > TORCHSCRIPT_UPLOAD_LIMIT:
        raise InvalidArgument(f"torchscript: {len(content)} bytes; uploads are limited to 3 MiB (use torchscript_on_agent=)")
    return types_pb2.TorchScriptModel(module=content)


def _command(command: str | Sequence[str], environment: Mapping[str, str] | None, working_directory: str | None,
             files: str | os.PathLike[str] | None, drive_folder: str | None) -> types_pb2.CommandSpec:
    if isinstance(command, str):
        if not command.strip():
            raise InvalidArgument("command: the command string is blank; name the program to run, e.g. 'python train.py'")
        argv = ["sh", "-c", command]
    elif isinstance(command, Sequence) and command and all(isinstance(arg, str) for arg in command) and command[0].strip():
        argv = list(command)
    else:
        raise InvalidArgument(f"command: expected a string (run with sh -c) or a non-empty list of strings (argv), got {command!r}")
    result = types_pb2.CommandSpec(argv=argv)
    if environment is not None:
        if not isinstance(environment, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
            raise InvalidArgument(f"environment: expected a mapping of strings to strings, got {environment!r}")
        result.environment.update(environment)
    if working_directory is not None:
        result.working_directory = working_directory
    if files is not None:
        result.files = _zip_directory(Path(files))
    if drive_folder is not None:
        result.drive_folder_id = drive_folder
    return result


def _zip_directory(directory: Path) -> bytes:
    """The directory's files as a zip archive, paths relative to it (as the CLI's --files sends them)."""
    if not directory.is_dir():
        raise InvalidArgument(f"files: '{directory}' is not a directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.relative_to(directory).as_posix())
    content = buffer.getvalue()
    if len(content) > COMMAND_FILES_LIMIT:
        raise InvalidArgument(f"files: '{directory}' zips to {len(content)} bytes; a job's files are limited to 3 MiB "
                              "(copy larger data with session.upload or use drive_folder=)")
    return content
