"""Builds a JobSpec from keyword arguments, so a notebook cell need not spell out protobuf messages."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import InvalidArgument, Unsupported
from .v1 import types_pb2

TORCHSCRIPT_UPLOAD_LIMIT = 3 * 1024 * 1024


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
    command: Sequence[str] | None = None,
    spec: types_pb2.JobSpec | None = None,
) -> types_pb2.JobSpec:
    """A JobSpec: ``spec`` (copied) with the given fields set on top.

    ``data`` is a directory of IDX files on the agent's machine, ``synthetic`` a number of generated training
    examples (or ``{"train_examples": N, "image_size": S, "classes": C, "test_examples": T}``), ``csv`` a CSV table
    on the agent's machine; give one of them unless ``spec`` has data. ``torchscript`` is a local ``.pt`` file (or
    its bytes) uploaded with the job; ``torchscript_on_agent`` an absolute path on the agent's machine. The server
    validates the rest and answers InvalidArgument naming the field at fault.
    """
    if command is not None:
        raise Unsupported("command: GridTrain's API has no user-code jobs yet (JobSpec has no command field); "
                          "submit a built-in model, a TorchScript module, or use the CLI once user code lands")
    result = types_pb2.JobSpec()
    if spec is not None:
        result.CopyFrom(spec)

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
