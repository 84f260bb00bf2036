"""Writes the PyTorch files the received-model tests read (run with Debian's /usr/bin/python3,
which has python3-torch).

    make_state_dicts.py OUT_DIR
    make_state_dicts.py reload ARCH IN.pt INPUT.pt OUT.pt

The second form is PyTorch's side of an export: it builds ARCH (small_cnn | preact_bb | vgg_seq), loads
IN.pt with model.load_state_dict(torch.load(IN.pt)) (strict: every name and shape), saves
{"output": logits} on INPUT.pt's "input" (INPUT "-": a seeded random batch) to OUT.pt.io.pt and
the model's state_dict to OUT.pt.

OUT_DIR gets, each written by torch.save as a user would:
  small_cnn.pt            state_dict of fineprune's small_cnn (widths 8 16 16, hidden 32, 28x28 grey,
                          10 classes) in fineprune's own names
  small_cnn.io.pt         {"input": a batch of 4 images, "output": the network's logits on it}
  preact_bb.pt            state_dict of the PreAct-ResNet-18 of BackdoorBench's layout (no
                          BatchNorm after the last stage), stage widths 8 16 32 64, 32x32 colour
  preact_bb.io.pt         its input batch and logits, inputs normalised by CIFAR-10's mean and std
  vgg_seq.pt              state_dict of a plain VGG (nn.Sequential features and classifier) of
                          fineprune's vgg configuration, widths 8 8 16 16, hidden 32, 32x32 colour
  vgg_seq.io.pt           its input batch and logits
  bad_shape.pt            small_cnn with conv2.weight of the wrong shape
  bad_missing.pt          small_cnn without fc1.bias
  bad_extra.pt            small_cnn with one tensor more ("conv4.weight")
  bad_module.pt           a whole pickled nn.Module, not a state_dict
  bad_legacy.pt           small_cnn's state_dict in the pre-1.6 (non-zip) format
  cifar/                  a tiny CIFAR-10-format set (data_batch_1.bin: 400 images, test_batch.bin:
                          100) of random pixels and labels
  preact_bb.cifar.pt      {"clean_acc": preact_bb's accuracy on cifar/test_batch.bin, its pixels
                          in [0, 1] normalised as above}
The networks below are written from the architecture descriptions in fineprune's
workers/models/ and docs/RECEIVED-MODELS.md, not copied from any project.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)


class SmallCnn(nn.Module):
    """fineprune's small_cnn, head `flatten`: conv-relu-pool, conv-relu-pool, conv-relu, two dense."""

    def __init__(self, widths=(8, 16, 16), hidden=32, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, padding=1)
        self.conv2 = nn.Conv2d(widths[0], widths[1], 3, padding=1)
        self.conv3 = nn.Conv2d(widths[1], widths[2], 3, padding=1)
        self.fc1 = nn.Linear(widths[2] * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2(x), 2))
        x = F.relu(self.conv3(x))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class Block(nn.Module):
    """Pre-activation basic block: bn-relu, conv3x3(stride), bn-relu, conv3x3, plus the shortcut
    (a 1x1 conv of the pre-activated input where the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        skip = self.shortcut(a) if hasattr(self, "shortcut") else x
        return self.conv2(F.relu(self.bn2(self.conv1(a)))) + skip


class PreActResNet18(nn.Module):
    """The benchmarks' layout: conv1, layer1..4 of two blocks, adaptive average pool, linear."""

    def __init__(self, widths=(8, 16, 32, 64), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        cin = widths[0]
        for stage, width in enumerate(widths):
            blocks = []
            for b in range(2):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.conv1(x)
        for stage in range(1, 5):
            x = getattr(self, f"layer{stage}")(x)
        return self.linear(self.avgpool(x).flatten(1))


def vgg_sequential(widths=(8, 8, 16, 16), hidden=32, classes=10):
    """fineprune's vgg as a plain nn.Sequential VGG: per conv, Conv(3x3, padding 1), BatchNorm,
    ReLU, and a 2x2 MaxPool after every second conv and after the last; then Linear, ReLU, Linear."""
    layers, cin, side = [], 3, 32
    for i, width in enumerate(widths):
        layers += [nn.Conv2d(cin, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
        if i % 2 == 1 or i + 1 == len(widths):
            layers.append(nn.MaxPool2d(2))
            side //= 2
        cin = width
    model = nn.Module()
    model.features = nn.Sequential(*layers)
    model.classifier = nn.Sequential(nn.Linear(cin * side * side, hidden), nn.ReLU(), nn.Linear(hidden, classes))
    model.forward = lambda x: model.classifier(model.features(x).flatten(1))
    return model


def randomise_batchnorm(model, generator):
    """Running statistics and affine parameters away from their defaults, so a mix-up shows."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
            m.num_batches_tracked.fill_(7)


def main(out):
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        small = SmallCnn().eval()
        x = torch.rand(4, 1, 28, 28, generator=g)
        torch.save(small.state_dict(), f"{out}/small_cnn.pt")
        torch.save({"input": x, "output": small(x)}, f"{out}/small_cnn.io.pt")

        preact = PreActResNet18().eval()
        randomise_batchnorm(preact, g)
        pixels = torch.rand(4, 3, 32, 32, generator=g)
        mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
        torch.save(preact.state_dict(), f"{out}/preact_bb.pt")
        torch.save({"input": pixels, "output": preact((pixels - mean) / std)}, f"{out}/preact_bb.io.pt")

        vgg = vgg_sequential().eval()
        randomise_batchnorm(vgg, g)
        images = torch.rand(4, 3, 32, 32, generator=g)
        torch.save(vgg.state_dict(), f"{out}/vgg_seq.pt")
        torch.save({"input": images, "output": vgg(images)}, f"{out}/vgg_seq.io.pt")

        sd = small.state_dict()
        bad = dict(sd)
        bad["conv2.weight"] = torch.zeros(16, 8, 5, 5)
        torch.save(bad, f"{out}/bad_shape.pt")
        bad = dict(sd)
        del bad["fc1.bias"]
        torch.save(bad, f"{out}/bad_missing.pt")
        bad = dict(sd)
        bad["conv4.weight"] = torch.zeros(16, 16, 3, 3)
        torch.save(bad, f"{out}/bad_extra.pt")
        torch.save(small, f"{out}/bad_module.pt")
        torch.save(sd, f"{out}/bad_legacy.pt", _use_new_zipfile_serialization=False)

        # CIFAR-10's binary format: per image a label byte, then 1024 red, 1024 green, 1024 blue bytes.
        import os
        os.makedirs(f"{out}/cifar", exist_ok=True)
        for name, count in (("data_batch_1.bin", 400), ("test_batch.bin", 100)):
            labels = torch.randint(0, 10, (count, 1), generator=g, dtype=torch.uint8)
            pixels = torch.randint(0, 256, (count, 3 * 32 * 32), generator=g, dtype=torch.uint8)
            with open(f"{out}/cifar/{name}", "wb") as f:
                f.write(torch.cat([labels, pixels], dim=1).numpy().tobytes())
        images = (pixels.float() / 255).view(count, 3, 32, 32)
        predicted = preact((images - mean) / std).argmax(dim=1)
        accuracy = (predicted == labels.view(-1).long()).double().mean()
        torch.save({"clean_acc": accuracy.view(1)}, f"{out}/preact_bb.cifar.pt")


def reload(arch, source, inputs, out):
    model = {"small_cnn": SmallCnn, "preact_bb": PreActResNet18, "vgg_seq": vgg_sequential}[arch]().eval()
    model.load_state_dict(torch.load(source))
    if inputs == "-":  # no input file: a seeded batch of the model's image shape
        x = torch.rand(4, *((1, 28, 28) if arch == "small_cnn" else (3, 32, 32)), generator=torch.Generator().manual_seed(5))
    else:
        x = torch.load(inputs)["input"]
    if arch == "preact_bb":
        x = (x - torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.save({"output": model(x)}, f"{out}.io.pt")
    torch.save(model.state_dict(), out)


if __name__ == "__main__":
    if sys.argv[1] == "reload":
        reload(*sys.argv[2:6])
    else:
        main(sys.argv[1])
