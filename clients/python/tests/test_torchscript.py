"""A TorchScript module made by PyTorch, trained by GridTrain (TorchSharp), fetched and loaded in PyTorch again.

The .NET side (PythonClientTests) loads the same trained module with TorchSharp and checks that it gives the outputs
this test records (inputs.bin, pytorch-outputs.bin) within 1e-5."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import gridtrain
from conftest import REPOSITORY_MODULE

torch = pytest.importorskip("torch", reason="python3-torch is not installed")


def test_trained_module_loads_in_pytorch_and_differs_from_the_untrained_one(alice: gridtrain.Client, artifacts: Path) -> None:
    job = alice.jobs.submit(batch=gridtrain.Resources("cpu"), torchscript=REPOSITORY_MODULE,
                            synthetic={"train_examples": 320, "image_size": 8}, epochs=1, batch_size=32,
                            learning_rate=0.01, threads=1)
    finished = job.wait(progress=False)
    assert finished.result is not None and finished.result.best_model_uri.endswith("best-model.pt")

    trained_path = finished.download_model(artifacts / "trained.pt")
    trained = torch.jit.load(str(trained_path)).eval()
    untrained = torch.jit.load(str(REPOSITORY_MODULE)).eval()
    generator = torch.Generator().manual_seed(17)
    inputs = torch.rand(4, 1, 8, 8, generator=generator)
    with torch.no_grad():
        outputs = trained(inputs)
        before = untrained(inputs)
    assert outputs.shape == (4, 10) and bool(torch.isfinite(outputs).all())
    assert float((outputs - before).abs().max()) > 1e-3, "training left the module unchanged"

    (artifacts / "inputs.bin").write_bytes(inputs.contiguous().numpy().astype("<f4").tobytes())
    (artifacts / "pytorch-outputs.bin").write_bytes(outputs.contiguous().numpy().astype("<f4").tobytes())
    (artifacts / "untrained-outputs.bin").write_bytes(before.contiguous().numpy().astype("<f4").tobytes())
    (artifacts / "shapes.json").write_text(json.dumps({"inputs": list(inputs.shape), "outputs": list(outputs.shape),
                                                       "torch": torch.__version__, "job": job.id}))
