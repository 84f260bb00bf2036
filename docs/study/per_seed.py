#!/usr/bin/python3
"""Per-seed ASR and clean accuracy (%) of a fineprune result file, one line per (model, attack,
defense) at the stopping point, seeds in order: the per-seed columns of docs/RESULTS.md.

    /usr/bin/python3 docs/study/per_seed.py where-fp-works.h5 [more.h5 ...]

Reads the `results` table with h5py (Debian: python3-h5py); `fineprune report` gives the means.
"""
import sys

import h5py


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


for name in sys.argv[1:]:
    with h5py.File(name, "r") as f:
        rows = {}
        for r in f["results"][:]:
            if text(r["prune_mode"]) == "rate":
                continue  # fixed-rate rows: not in the study's tables
            key = (text(r["model"]), text(r["attack"]), text(r["defense"]))
            rows.setdefault(key, []).append((int(r["seed"]), 100 * float(r["asr"]), 100 * float(r["clean_acc"])))
    print(name)
    for (model, attack, defense), seeds in sorted(rows.items()):
        cells = ", ".join(f"seed {s}: ASR {asr:.1f} clean {clean:.1f}" for s, asr, clean in sorted(seeds))
        print(f"  {model} {attack} {defense}: {cells}")
