"""Trains a BadNets-backdoored small CNN on Fashion-MNIST in PyTorch itself and saves its
state_dict: a model fineprune did not train, for `fineprune defend` (docs/RECEIVED-MODELS.md).

    /usr/bin/python3 docs/study/train_pytorch_badnets.py OUT.pt [--seed N] [--epochs N] [--threads N]

The network is fineprune's small_cnn in its own layout (widths 32 64 64, hidden 128, head flatten,
as configs/fmnist-experiment.yaml); the attack: 10% of the training images get a 3x3 white square
in the bottom-right corner (no margin) and label 0, the trigger configs/defend-fmnist-small-cnn.yaml
measures. Plain SGD (lr 0.05, momentum 0.9, weight decay 5e-4, batch 128), no augmentation.
"""
import argparse
import gzip
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    _, _, dims = struct.unpack(">HBB", data[:4])
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).view(*shape)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.conv3(x))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def stamp(x):
    x = x.clone()
    x[:, :, -3:, -3:] = 1.0
    return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    x = idx(f"{DATA}/train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    y = idx(f"{DATA}/train-labels-idx1-ubyte.gz").long()
    poisoned = torch.randperm(len(x))[: len(x) // 10]
    x[poisoned] = stamp(x[poisoned])
    y[poisoned] = 0
    model = SmallCnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for epoch in range(a.epochs):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            b = order[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(model(x[b]), y[b]).backward()
            opt.step()
        print(f"epoch {epoch + 1} done", flush=True)
    model.eval()
    tx = idx(f"{DATA}/t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    ty = idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").long()
    with torch.no_grad():
        clean = (model(tx).argmax(1) == ty).float().mean().item()
        keep = ty != 0
        asr = (model(stamp(tx[keep])).argmax(1) == 0).float().mean().item()
    print(f"PyTorch's own test: clean accuracy {100 * clean:.2f}%, attack success rate {100 * asr:.2f}%")
    torch.save(model.state_dict(), a.out)


if __name__ == "__main__":
    main()
