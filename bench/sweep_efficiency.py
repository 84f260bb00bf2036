#!/usr/bin/python3
"""Scheduling figures of a finished sweep, from its result file and its elapsed time.

    /usr/bin/python3 bench/sweep_efficiency.py RESULTS.h5 WORKER_GROUPS ELAPSED_SECONDS

- busy: the sum of the tasks' wall times (the `tasks` table); ideal makespan = busy / groups.
- critical path: per training, its wall time plus its curve task plus its longest follow-up task
  (fine-tuning and fine-pruning wait for the model, fine-pruning and pruning rows for the curve);
  no schedule can finish before the longest of these.
- makespan against max(ideal, critical path): the scheduler's overhead (dispatch, idle ends).
- one job per cell: what the same results would cost as independent jobs (one per results row,
  as a job array of cells runs them), each training its own model: the sum over rows of the
  model's training time and the row's own defense time. Training once per (attack, seed) and
  sharing the model saves the difference.
"""
import sys

import h5py
import numpy as np


def text(column):
    return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in column])


def main():
    path, groups, elapsed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with h5py.File(path, "r") as f:
        tasks = f["tasks"][:]
        results = f["results"][:]
    kind, status = text(tasks["kind"]), text(tasks["status"])
    attack, seed, wall = text(tasks["attack"]), tasks["seed"], tasks["wall_s"]
    done = status == "done"
    busy = float(wall[done].sum())
    ideal = busy / groups
    chains = []
    for a, s in sorted(set(zip(attack[done], seed[done]))):
        mine = done & (attack == a) & (seed == s)
        train = float(wall[mine & (kind == "train")].sum())
        curve = float(wall[mine & (kind == "curve")].sum())
        after_train = wall[mine & (kind == "finetune")]
        after_curve = wall[mine & (kind == "fineprune")]
        chains.append(max(train + (after_train.max() if after_train.size else 0.0),
                          train + curve + (after_curve.max() if after_curve.size else 0.0)))
    bound = max(ideal, max(chains))
    per_cell = float((results["train_wall_s"] + results["wall_s"]).sum())
    print(f"tasks done: {int(done.sum())} of {len(tasks)}; results rows: {len(results)}; worker groups: {groups}")
    print(f"busy (sum of task wall times): {busy:.1f} s; ideal makespan busy/groups: {ideal:.1f} s")
    print(f"longest training chain (critical path): {max(chains):.1f} s")
    print(f"makespan: {elapsed:.1f} s = {100 * (elapsed / bound - 1):+.1f}% over max(ideal, critical path), "
          f"{100 * (elapsed / ideal - 1):+.1f}% over busy/groups")
    print(f"one job per cell would cost {per_cell:.1f} s of work; the sweep did {busy:.1f} s: "
          f"{100 * (1 - busy / per_cell):.1f}% saved ({per_cell / busy:.2f}x)")


if __name__ == "__main__":
    main()
