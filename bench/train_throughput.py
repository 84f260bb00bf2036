"""Benchmark: the default CNN and training loop of bench/train_throughput.cpp in PyTorch's Python API.

Run with Debian's interpreter, which has torch 1.13:
    /usr/bin/python3 bench/train_throughput.py [threads] [images] [epochs] [--engine-layout]
The model is written the way PyTorch users write it (conv, ReLU, pool; NCHW tensors). With
--engine-layout it uses the two choices fineprune's C++ engine makes (pool before ReLU, which gives
the same values, and channels-last tensors), to separate those gains from the language's.
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DIR = "/usr/share/datasets/fashion-mnist/"


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


class SmallCnn(nn.Module):
    """conv32-ReLU-pool, conv64-ReLU-pool, conv64-ReLU, dense128-ReLU, dense10 (as small_cnn)."""

    def __init__(self, pool_first=False):
        super().__init__()
        self.pool_first = pool_first
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.register_buffer("prune_mask", torch.ones(64))

    def forward(self, x):
        if self.pool_first:
            h = F.relu(F.max_pool2d(self.conv1(x), 2))
            h = F.relu(F.max_pool2d(self.conv2(h), 2))
        else:
            h = F.max_pool2d(F.relu(self.conv1(x)), 2)
            h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.conv3(h)) * self.prune_mask.view(1, -1, 1, 1)
        return self.fc2(F.relu(self.fc1(h.flatten(1))))


def train(model, x, y, epochs, seed, channels_last=False):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    n = x.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for begin in range(0, n, 128):
            idx = order[begin:begin + 128]
            opt.zero_grad()
            batch = x.index_select(0, idx)
            if channels_last:
                batch = batch.contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(batch), y.index_select(0, idx))
            loss.backward()
            opt.step()
            if not torch.isfinite(loss):
                raise RuntimeError("diverged")


def main():
    layout = "--engine-layout" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    threads = int(args[0]) if len(args) > 0 else 2
    images = int(args[1]) if len(args) > 1 else 20000
    epochs = int(args[2]) if len(args) > 2 else 2
    torch.set_num_threads(threads)
    pixels = read_idx(DIR + "train-images-idx3-ubyte.gz", 16)[: images * 784]
    labels = read_idx(DIR + "train-labels-idx1-ubyte.gz", 8)[:images]
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0).view(images, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))
    torch.manual_seed(1)
    model = SmallCnn(pool_first=layout)
    if layout:
        model = model.to(memory_format=torch.channels_last)
    train(model, x[:2048], y[:2048], 1, 1, layout)  # warm-up
    start = time.perf_counter()
    train(model, x, y, epochs, 2, layout)
    wall = time.perf_counter() - start
    print(f"Python PyTorch {torch.__version__}{' (engine layout)' if layout else ''}: threads {threads}, {images} images x {epochs} epochs, "
          f"batch 128: {wall:.1f} s, {images * epochs / wall:.0f} images/s")


if __name__ == "__main__":
    main()
