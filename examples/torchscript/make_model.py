#!/usr/bin/python3
"""Writes small-cnn.pt: a TorchScript image classifier made by real PyTorch, for GridTrain's tests and examples.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 make_model.py [OUT]  (tests/GridTrain.Training.Tests/Fixtures/small-cnn.pt was made by this script)
The module maps [N, 1, H, W] float images (any H, W >= 4) to [N, 10] logits; adaptive pooling makes it size-agnostic.
"""
import sys

import torch
from torch import nn


class SmallCnn(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.classifier = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "small-cnn.pt"
    torch.manual_seed(1)
    module = torch.jit.script(SmallCnn())
    assert module(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    module.save(out)
    print(f"wrote {out} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
