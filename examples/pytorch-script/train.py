#!/usr/bin/env python3
"""Fashion-MNIST with PyTorch, as a GridTrain command job (docs/user-code.md).

Uses the contract a grid gives a program:
  GRIDTRAIN_CHECKPOINT_DIR  checkpoints are written to NAME.tmp, then renamed: a renamed file is committed
  GRIDTRAIN_RESUME_FROM     the checkpoint to continue from (unset on a first attempt)
  GRIDTRAIN_EVENTS          progress and evaluation lines (JSON) for the job's metrics and progress bar
  SIGTERM                   checkpoint now and exit (eviction, preemption, drain, cancel)
Runs anywhere else too: without the variables it checkpoints to ./checkpoints and reports nothing.

    gridtrain job submit --session ses-… --files examples/pytorch-script -- python3 train.py --epochs 2
"""
import argparse
import gzip
import json
import os
import signal
import struct
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("GRIDTRAIN_DATA_DIR", FASHION_MNIST), help="directory of the four Fashion-MNIST .gz files")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=0, help="use at most N training images (0: all 60,000)")
    p.add_argument("--test-limit", type=int, default=0, help="use at most N test images (0: all 10,000)")
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints")
    p.add_argument("--log-every", type=int, default=10, help="steps between progress events")
    return p.parse_args()


def read_idx(path, limit):
    with gzip.open(path, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic == 2051:
            rows, cols = struct.unpack(">II", f.read(8))
            n = min(count, limit or count)
            data = torch.frombuffer(bytearray(f.read(n * rows * cols)), dtype=torch.uint8)
            return data.view(n, 1, rows, cols).float().div_(255.0)
        if magic == 2049:
            n = min(count, limit or count)
            return torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8).long()
        raise ValueError(f"{path}: not an IDX file (magic {magic})")


def load(directory, split, limit):
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"), limit)
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"), limit)
    return images, labels


class Cnn(nn.Module):
    """The reference CNN: two 3x3 convolutions with pooling, then two dense layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class Grid:
    """The program's side of the contract."""

    def __init__(self):
        self.checkpoints = os.environ.get("GRIDTRAIN_CHECKPOINT_DIR", "checkpoints")
        self.events = os.environ.get("GRIDTRAIN_EVENTS")
        self.resume_from = os.environ.get("GRIDTRAIN_RESUME_FROM")
        self.stop_requested = False
        os.makedirs(self.checkpoints, exist_ok=True)
        signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum, frame):
        self.stop_requested = True

    def event(self, **fields):
        if self.events:
            with open(self.events, "a") as f:
                f.write(json.dumps(fields) + "\n")

    def save(self, state, step):
        path = os.path.join(self.checkpoints, f"ckpt-{step:08d}.pt")
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)  # the rename commits it; the agent stores it and prunes old ones


def evaluate(model, images, labels, batch_size):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            out = model(images[i:i + batch_size])
            loss += F.cross_entropy(out, labels[i:i + batch_size], reduction="sum").item()
            correct += (out.argmax(1) == labels[i:i + batch_size]).sum().item()
    model.train()
    return loss / len(images), correct / len(images)


def main():
    args = parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    grid = Grid()
    train_x, train_y = load(args.data, "train", args.train_limit)
    test_x, test_y = load(args.data, "t10k", args.test_limit)
    steps_per_epoch = len(train_x) // args.batch_size
    total_steps = steps_per_epoch * args.epochs

    torch.manual_seed(args.seed)
    model = Cnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    step = 0
    if grid.resume_from:
        state = torch.load(grid.resume_from)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        step = state["step"]
        print(f"resumed from {grid.resume_from} at step {step}", flush=True)

    def state():
        return {"step": step, "model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state()}

    started, trained, running_loss, running = time.time(), 0, 0.0, 0
    epoch_loss, epoch_batches = 0.0, 0
    while step < total_steps:
        epoch = step // steps_per_epoch
        # The same order on every attempt: an epoch's permutation depends on the seed and the epoch only.
        order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(args.seed * 1000 + epoch))
        for batch in range(step % steps_per_epoch, steps_per_epoch):
            index = order[batch * args.batch_size:(batch + 1) * args.batch_size]
            loss = F.cross_entropy(model(train_x[index]), train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            trained += len(index)
            value = loss.item()
            running_loss += value
            running += 1
            epoch_loss += value
            epoch_batches += 1
            if step % args.log_every == 0 or step == total_steps:
                grid.event(step=step, total_steps=total_steps, epoch=epoch + 1, loss=running_loss / running,
                           samples_per_second=trained / max(time.time() - started, 1e-9))
                running_loss, running = 0.0, 0
            if grid.stop_requested:
                grid.save(state(), step)
                print(f"stopped at step {step} (SIGTERM): checkpoint written", flush=True)
                sys.exit(143)
            if step % args.checkpoint_every == 0 and step < total_steps:
                grid.save(state(), step)
        test_loss, accuracy = evaluate(model, test_x, test_y, 1000)
        grid.event(epoch=epoch + 1, loss=epoch_loss / max(epoch_batches, 1), test_loss=test_loss, test_accuracy=accuracy)
        epoch_loss, epoch_batches = 0.0, 0
        print(f"epoch {epoch + 1}: test loss {test_loss:.4f}, accuracy {accuracy:.2%}", flush=True)

    grid.save(state(), step)
    print(f"done: {step} steps, {trained / max(time.time() - started, 1e-9):.0f} samples/s", flush=True)


if __name__ == "__main__":
    main()
