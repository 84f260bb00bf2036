"""Opens the file interop_write made with h5py, PyTables and pandas; exits 1 on any mismatch.

The file is a sweep's: `results`, `curves` and `tasks`, rebuilt once without an orphan row.

Exit code 77 (CTest's SKIP_RETURN_CODE) when this Python lacks one of the readers.
Expected values mirror interop_write.cpp: change both together.
"""
import sys

try:
    import h5py
    import numpy as np
    import pandas as pd
    import tables
except ImportError as e:  # not an error of ours: the machine lacks the reader
    print(f"skipping: {e}")
    sys.exit(77)

RESULT_COLUMNS = [
    "attack", "trigger", "target_mode", "target_label", "poison_rate", "pruning_aware",
    "defense", "prune_mode", "prune_rate", "stop_drop", "pruned_channels", "total_channels", "seed",
    "clean_acc", "asr", "robust_acc", "val_acc", "asr_counts", "finetune_epochs", "wall_s",
    "train_wall_s", "model", "dataset", "key",
]
CURVE_COLUMNS = ["attack", "model", "seed", "channels_pruned", "fraction", "val_acc", "clean_acc", "asr",
                 "robust_acc", "is_stop", "key"]
TASK_COLUMNS = ["key", "kind", "attack", "model", "seed", "prune_mode", "prune_rate", "stop_drop", "status", "attempts",
                "worker", "host", "wall_s", "model_digest", "error"]
STRINGS = {"attack", "trigger", "target_mode", "defense", "prune_mode", "asr_counts", "model",
           "dataset", "key", "kind", "status", "host", "model_digest", "error"}
INT32 = {"pruning_aware", "is_stop", "attempts", "worker"}
# Bytes of each string column (NUL included): keys hold a SHA-256 in hex, errors are long.
STRING_SIZES = {"key": 65, "model_digest": 65, "error": 512}
NAME_SIZE = 48

KEYS = ["0123456789abcdef" * 4, "key-1", "key-2-\u00e4"]


def expected_results():
    rows = []
    for i in range(3):
        rows.append({
            "attack": "wanet" if i == 2 else "badnets",
            "trigger": "wanet" if i == 2 else "patch",
            "target_mode": "all_to_all" if i == 1 else "all_to_one",
            "target_label": -1 if i == 1 else 0,
            "poison_rate": 0.1,
            "pruning_aware": 1 if i == 2 else 0,
            "defense": "none" if i == 0 else "fineprune",
            "prune_mode": "none" if i == 0 else "stop",
            "prune_rate": 0.25 * i,
            "stop_drop": 0.0 if i == 0 else 0.04 * i,
            "pruned_channels": 64 * i,
            "total_channels": 512,
            "seed": 1 + i,
            "clean_acc": 0.9 + 0.01 * i,
            "asr": 0.99 - 0.4 * i,
            "robust_acc": 0.05 + 0.3 * i,
            "val_acc": 0.89 + 0.01 * i,
            "asr_counts": "non_target",
            "finetune_epochs": 0.0 if i == 0 else 5.0,
            "wall_s": 10.5 * i,
            "train_wall_s": 120.25,
            "model": "resnet18",
            "dataset": "cifar10",
            "key": KEYS[i],
        })
    return rows


def truncated(message, column_bytes=512):
    """What the writer stores for an over-long error: cut on a UTF-8 boundary, then "..."."""
    data = message.encode("utf-8")
    if len(data) <= column_bytes - 1:
        return message
    cut = column_bytes - 1 - 3
    while cut > 0 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return data[:cut].decode("utf-8") + "..."


def expected_tasks():
    rows = []
    for i in range(5):
        error = ""
        if i == 3:
            error = truncated("Fehler: " + "\u00e4" * 300)
        elif i == 4:
            error = "dependency task-3 failed"
        rows.append({
            "key": KEYS[i] if i < 3 else f"task-{i}",
            "kind": "train" if i == 0 else "defense",
            "attack": "wanet" if i == 2 else "badnets",
            "model": "resnet18",
            "seed": 1 + i,
            "prune_mode": "none" if i == 0 else "stop",
            "prune_rate": 0.0,
            "stop_drop": 0.02 * i,
            "status": "done" if i < 3 else ("failed" if i == 3 else "blocked"),
            "attempts": 3 if i == 3 else 1,
            "worker": -1 if i == 4 else i + 1,
            "host": "" if i == 4 else f"node-{i}",
            "wall_s": 0.0 if i == 4 else 60.5 * (i + 1),
            "model_digest": "abc"[i] * 64 if i < 3 else "",
            "error": error,
        })
    return rows


def expected_curves():
    return [{
        "attack": "badnets", "model": "resnet18", "seed": 1, "channels_pruned": 128 * i, "fraction": 0.25 * i,
        "val_acc": 0.9 - 0.1 * i, "clean_acc": 0.91 - 0.1 * i, "asr": 1.0 - 0.25 * i,
        "robust_acc": 0.2 * i, "is_stop": 1 if i == 2 else 0, "key": KEYS[0],
    } for i in range(4)]


def tables_to_check():
    return (("results", RESULT_COLUMNS, expected_results()),
            ("curves", CURVE_COLUMNS, expected_curves()),
            ("tasks", TASK_COLUMNS, expected_tasks()))


failures = []


def expect(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


string_types = {}  # reader -> type names its string cells came back as, for the log


def plain(reader, value, column):
    """A cell as a Python value. h5py and PyTables give fixed-length strings as bytes; pandas
    1.5 decodes them to str for a generic table (older versions gave bytes): accept both."""
    if column in STRINGS:
        string_types.setdefault(reader, set()).add(type(value).__name__)
        if isinstance(value, (bytes, np.bytes_)):
            return bytes(value).decode("utf-8")
        if isinstance(value, str) and reader == "pandas":
            return value
        failures.append(f"{reader} {column}: string cell of type {type(value).__name__}")
        return value
    return value.item() if hasattr(value, "item") else value


def check_rows(reader, table, got_rows, want_rows, columns):
    expect(f"{reader} {table} row count", len(got_rows), len(want_rows))
    for i, (got, want) in enumerate(zip(got_rows, want_rows)):
        for c in columns:
            expect(f"{reader} {table}[{i}].{c}", plain(reader, got[c], c), want[c])


def check_h5py(path):
    with h5py.File(path, "r") as f:
        expect("h5py root members", sorted(f.keys()), ["curves", "results", "tasks"])
        expect("h5py schema attribute", f.attrs["schema"], "fineprune-results-6")
        expect("h5py experiment_yaml", f.attrs["experiment_yaml"], "seeds: [1, 2]\n")
        expect("h5py sweep_fingerprint", f.attrs["sweep_fingerprint"], "sweep-fingerprint-1")
        expect("h5py fineprune_version", f.attrs["fineprune_version"], "0.1.0")
        expect("h5py session (rewritten by the 2nd session)", f.attrs["session"], "2")
        for name, columns, want in tables_to_check():
            ds = f[name]
            expect(f"h5py {name} CLASS", ds.attrs["CLASS"], b"TABLE")
            expect(f"h5py {name} Fletcher-32 checksum filter", ds.fletcher32, True)
            expect(f"h5py {name} fields", list(ds.dtype.names), columns)
            expect(f"h5py {name} itemsize (packed)", ds.dtype.itemsize,
                   sum(ds.dtype.fields[c][0].itemsize for c in columns))
            for c in columns:
                kind = ds.dtype.fields[c][0]
                if c in STRINGS:
                    expect(f"h5py {name}.{c} dtype", kind.str,
                           f"|S{STRING_SIZES.get(c, NAME_SIZE)}")
                elif c in INT32:
                    expect(f"h5py {name}.{c} dtype", kind.str, "<i4")
            data = ds[()]
            check_rows("h5py", name, [dict(zip(columns, r)) for r in data], want, columns)


def check_pytables(path):
    with tables.open_file(path, "r") as f:
        for name, columns, want in tables_to_check():
            node = f.get_node("/", name)
            if not isinstance(node, tables.Table):
                failures.append(f"PyTables: /{name} is a {type(node).__name__}, not a Table")
                continue
            expect(f"PyTables {name} colnames", node.colnames, columns)
            check_rows("PyTables", name, [{c: r[c] for c in columns} for r in node.iterrows()],
                       want, columns)


def check_pandas(path):
    for name, columns, want in tables_to_check():
        df = pd.read_hdf(path, name)
        expect(f"pandas {name} shape", df.shape, (len(want), len(columns)))
        expect(f"pandas {name} columns", list(df.columns), columns)
        check_rows("pandas", name, df.to_dict("records"), want, columns)
        expect(f"pandas {name} index", list(df.index), list(range(len(want))))


def check_truncation():
    """The stored error is within its column and a whole-character prefix plus "..."."""
    stored = expected_tasks()[3]["error"].encode("utf-8")
    expect("error length", len(stored) <= 511 and len(stored) >= 509, True)
    expect("error ends in ...", stored.endswith(b"..."), True)


def main():
    if len(sys.argv) != 2:
        print("usage: check_interop.py FILE.h5")
        return 2
    path = sys.argv[1]
    print(f"h5py {h5py.__version__}, PyTables {tables.__version__}, pandas {pd.__version__}")
    check_truncation()
    for check in (check_h5py, check_pytables, check_pandas):
        try:
            check(path)
        except Exception as e:  # a reader refusing the file is a failure to report, not a crash
            failures.append(f"{check.__name__}: {type(e).__name__}: {e}")
    for reader, types in sorted(string_types.items()):
        print(f"{reader}: string cells come back as {', '.join(sorted(types))}")
    for f in failures:
        print("MISMATCH", f)
    print("ok" if not failures else f"{len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
