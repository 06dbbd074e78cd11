#!/usr/bin/python3
"""Loads a TorchScript module with PyTorch and runs it once: check_torchscript.py MODULE.pt N C H W

Prints the output shape and whether every output is finite, e.g. "shape=[4, 10] finite=True"; exits 1 on failure.
"""
import sys

import torch


def main() -> int:
    path, n, c, h, w = sys.argv[1], *map(int, sys.argv[2:6])
    module = torch.jit.load(path)
    module.eval()
    with torch.no_grad():
        out = module(torch.rand(n, c, h, w))
    print(f"shape={list(out.shape)} finite={bool(torch.isfinite(out).all())} parameters={sum(p.numel() for p in module.parameters())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
