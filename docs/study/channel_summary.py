#!/usr/bin/python3
"""One line per `fineprune channels --out` CSV: the columns of docs/RESULTS.md's channel tables.

    /usr/bin/python3 docs/study/channel_summary.py pa10-1.csv [more.csv ...]

Per file: channels, how many the stop prunes, the attacker's decoys (pruning-aware models) and
how many of them the stop prunes, the real (non-decoy) channels and how many it prunes; the
channel the trigger drives hardest (triggered minus clean-test mean activation) with its rank
in the pruning order and its place among the real channels; the share of the trigger's extra
activation in the real channels and the share of that the stop prunes; mean clean activation
of decoys and of real channels; clean activation min / median / max; and how many channels the
trigger drives by more than 1.0, with how many of those the stop prunes.
"""
import csv
import statistics
import sys

for name in sys.argv[1:]:
    with open(name, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["extra"] = max(0.0, float(r["triggered"]) - float(r["clean_test"]))
        r["clean"] = float(r["clean_val"])
        r["pruned"] = r["pruned_at_stop"] == "1"
        r["is_decoy"] = r.get("decoy", "0") == "1"
    decoys = [r for r in rows if r["is_decoy"]]
    real = [r for r in rows if not r["is_decoy"]]  # in pruning order, as the file lists them
    top = max(rows, key=lambda r: r["extra"])
    place = real.index(top) + 1 if not top["is_decoy"] else None
    total = sum(r["extra"] for r in rows)
    real_extra = sum(r["extra"] for r in real)
    real_extra_pruned = sum(r["extra"] for r in real if r["pruned"])
    clean = sorted(r["clean"] for r in rows)
    strong = [r for r in rows if r["extra"] > 1.0]
    parts = [
        f"channels {len(rows)}",
        f"stop prunes {sum(r['pruned'] for r in rows)}",
        f"decoys {len(decoys)} (pruned {sum(r['pruned'] for r in decoys)})",
        f"real {len(real)} (pruned {sum(r['pruned'] for r in real)})",
        f"strongest trigger channel {top['channel']}: rank {top['rank']}, "
        + (f"place {place} of {len(real)} real" if place else "a decoy")
        + (", pruned" if top["pruned"] else ", kept"),
        f"extra in real {100 * real_extra / total:.0f}%" if total > 0 else "extra in real -",
        f"real extra pruned {100 * real_extra_pruned / real_extra:.0f}%" if real_extra > 0 else "real extra pruned -",
        f"clean mean decoys {statistics.mean(r['clean'] for r in decoys):.3f}" if decoys else "clean mean decoys -",
        f"real {statistics.mean(r['clean'] for r in real):.3f}",
        f"clean min {clean[0]:.3f} median {statistics.median(clean):.3f} max {clean[-1]:.3f}",
        f"trigger extra > 1.0: {len(strong)} channels, {sum(r['pruned'] for r in strong)} pruned",
    ]
    print(f"{name}: " + "; ".join(parts))
