// The HDF5 result store: the `results`, `curves` and `tasks` tables and the file's attributes.
//
// Tables are HDF5 "TABLE" datasets written with the high-level H5TB API, so PyTables reads them
// as tables and pandas reads them with pd.read_hdf(path, "results"). Strings are fixed-length,
// NUL-padded: kKeyLength bytes for `key`, kErrorLength for `error`, kNameLength for the rest.
// No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace fineprune {

// Bytes of a string column, NUL included.
constexpr int kNameLength = 48;    // names: attack, defense, model, ...
constexpr int kKeyLength = 65;     // task keys: SHA-256 in hex (64 characters)
constexpr int kErrorLength = 512;  // error messages, truncated to fit (see TaskRow::error)

// Value of the root attribute "schema" that every file written by ResultWriter carries; readers
// refuse files without it. Bump the number whenever a column is added, renamed or retyped.
// 3: results.stop_drop; 4: tasks.model_digest, one tasks row per key, Fletcher-32 on every table;
// 5: curves.model and tasks.model, results.model the model's label (models as a sweep axis);
// 6: tasks.stop_drop (a stop task's threshold, which schema 5 kept in tasks.prune_rate)
constexpr const char* kResultSchema = "fineprune-results-6";
// The schema before: read_result_file reads its files too, upgraded to today's rows (a stop
// task's threshold moved from tasks.prune_rate to tasks.stop_drop); the "schema" attribute it
// returns still names the old one. open_sweep rewrites such a file in today's schema before it
// appends to it, so a sweep begun by an earlier build resumes.
constexpr const char* kPreviousResultSchema = "fineprune-results-5";

// Root attributes a sweep's file always has: what it is a sweep of (task_key.h's fingerprint)
// and the program that wrote it (task keys hold the version, so files of two versions do not mix).
constexpr const char* kFingerprintAttribute = "sweep_fingerprint";
constexpr const char* kVersionAttribute = "fineprune_version";

// Column names of the tables, in file order (visit_columns below).
const std::vector<std::string>& result_column_names();
const std::vector<std::string>& curve_column_names();
const std::vector<std::string>& task_column_names();

// One row of `results`: one attack x defense x prune setting x seed.
struct ResultRow {
  std::string attack;        // the attack's name in the spec
  std::string trigger;       // trigger type: patch | blend | mask | sig | wanet
  std::string target_mode;   // all_to_one | all_to_all
  int64_t target_label = 0;  // -1 for all_to_all
  double poison_rate = 0;
  int32_t pruning_aware = 0;  // 1 if the attack was the pruning-aware one
  std::string defense;        // a defense of common/defense_catalog.h: none, prune, fineprune, clp, ...
  std::string prune_mode;     // none | stop | rate
  // The fraction of prunable channels pruned: in rate mode the requested rate, in stop mode the
  // fraction the stop reached (its threshold is stop_drop); 0 where nothing was pruned by rate
  // or stop (none, finetune, and the defenses that prune by their own rule: pruned_channels).
  double prune_rate = 0;
  double stop_drop = 0;       // stop mode: the validation-accuracy drop it stopped at; else 0
  int64_t pruned_channels = 0;
  int64_t total_channels = 0;
  int64_t seed = 0;
  double clean_acc = 0;   // on the test set
  double asr = 0;         // attack success rate on triggered test images
  double robust_acc = 0;  // triggered non-target images classified as their true label
  double val_acc = 0;     // on the defender's validation set
  std::string asr_counts;  // non_target | all
  double finetune_epochs = 0;
  double wall_s = 0;       // wall time of this defense (pruning and/or fine-tuning)
  double train_wall_s = 0;  // wall time of training the backdoored model
  std::string model;  // the model's label: a `models:` entry's name, else the architecture name
  std::string dataset;
  std::string key;  // content key of the task (empty where none); up to kKeyLength - 1 bytes
};

// One point of a pruning curve: after pruning `channels_pruned` channels.
struct CurveRow {
  std::string attack;
  std::string model;  // the model's label, as in ResultRow
  int64_t seed = 0;
  int64_t channels_pruned = 0;
  double fraction = 0;
  double val_acc = 0;
  double clean_acc = 0;
  double asr = 0;
  double robust_acc = 0;
  int32_t is_stop = 0;  // 1 on the stopping point chosen by the validation-accuracy drop
  std::string key;      // the task that produced the row (empty where none)
};

// One row of `tasks`: the final outcome of one task of a sweep. The master writes a row when a
// task ends for good (a failure it will retry is not a row). A later session may end the same
// task again (a task that failed, retried after a resume): its row is then overwritten, so the
// table holds one row per key, the task's final state.
struct TaskRow {
  std::string key;  // the task's content key; never empty
  std::string kind;
  std::string attack;
  std::string model;  // the model's label, as in ResultRow
  int64_t seed = 0;
  std::string prune_mode;
  double prune_rate = 0;  // a "rate" task's fraction; else 0
  double stop_drop = 0;   // a "stop" task's threshold (pruning.max_val_drops); else 0
  std::string status;  // done | failed | blocked (a dependency failed)
  int32_t attempts = 0;
  int32_t worker = 0;  // rank of the worker (group) that ran it last; -1 where none did
  std::string host;
  double wall_s = 0;
  // SHA-256 (hex) of the saved backdoored model file: for a training task the model it saved,
  // for a defense task the model it started from; empty where none (failed, blocked, experiment).
  std::string model_digest;
  // Empty for done tasks. The one column that is truncated instead of refused: a message longer
  // than kErrorLength - 1 bytes is cut at a UTF-8 character boundary and ends in "...". NUL
  // bytes become spaces.
  std::string error;
};

// Each table's columns in file order, listed once: v(name, member, bytes) per column, `bytes` the
// fixed size of a string column (its NUL included), 0 for a number. These lists make the HDF5
// layout and the record packing (table_layout.cpp) and the MPI wire encoding of rows
// (messaging/protocol.cpp): a new column is one line here (and a schema bump). R: the row type,
// const or not.
template <class R, class V>
void visit_columns(R& r, V&& v) {
  using Row = std::remove_const_t<R>;
  if constexpr (std::is_same_v<Row, ResultRow>) {
    v("attack", r.attack, kNameLength);
    v("trigger", r.trigger, kNameLength);
    v("target_mode", r.target_mode, kNameLength);
    v("target_label", r.target_label, 0);
    v("poison_rate", r.poison_rate, 0);
    v("pruning_aware", r.pruning_aware, 0);
    v("defense", r.defense, kNameLength);
    v("prune_mode", r.prune_mode, kNameLength);
    v("prune_rate", r.prune_rate, 0);
    v("stop_drop", r.stop_drop, 0);
    v("pruned_channels", r.pruned_channels, 0);
    v("total_channels", r.total_channels, 0);
    v("seed", r.seed, 0);
    v("clean_acc", r.clean_acc, 0);
    v("asr", r.asr, 0);
    v("robust_acc", r.robust_acc, 0);
    v("val_acc", r.val_acc, 0);
    v("asr_counts", r.asr_counts, kNameLength);
    v("finetune_epochs", r.finetune_epochs, 0);
    v("wall_s", r.wall_s, 0);
    v("train_wall_s", r.train_wall_s, 0);
    v("model", r.model, kNameLength);
    v("dataset", r.dataset, kNameLength);
    v("key", r.key, kKeyLength);
  } else if constexpr (std::is_same_v<Row, CurveRow>) {
    v("attack", r.attack, kNameLength);
    v("model", r.model, kNameLength);
    v("seed", r.seed, 0);
    v("channels_pruned", r.channels_pruned, 0);
    v("fraction", r.fraction, 0);
    v("val_acc", r.val_acc, 0);
    v("clean_acc", r.clean_acc, 0);
    v("asr", r.asr, 0);
    v("robust_acc", r.robust_acc, 0);
    v("is_stop", r.is_stop, 0);
    v("key", r.key, kKeyLength);
  } else {
    static_assert(std::is_same_v<Row, TaskRow>, "visit_columns: a ResultRow, CurveRow or TaskRow");
    v("key", r.key, kKeyLength);
    v("kind", r.kind, kNameLength);
    v("attack", r.attack, kNameLength);
    v("model", r.model, kNameLength);
    v("seed", r.seed, 0);
    v("prune_mode", r.prune_mode, kNameLength);
    v("prune_rate", r.prune_rate, 0);
    v("stop_drop", r.stop_drop, 0);
    v("status", r.status, kNameLength);
    v("attempts", r.attempts, 0);
    v("worker", r.worker, 0);
    v("host", r.host, kNameLength);
    v("wall_s", r.wall_s, 0);
    v("model_digest", r.model_digest, kKeyLength);
    v("error", r.error, kErrorLength);
  }
}

// Keys whose latest row in `tasks` (file order) has status "done".
std::set<std::string> done_task_keys(const std::vector<TaskRow>& tasks);

// Writes a result file. Rows are appended as they come; flush() makes everything appended so far
// durable against a crash of this process (it does not fsync).
//
// Crash protocol of a sweep (the master is the single writer): a task's outcome is written by
// append_task_outcome() as its `results` and `curves` rows, a flush, its `tasks` row, a flush.
// Hence a file left by a crash between HDF5 calls holds, for every key, either nothing new or
// rows without a task row (orphans) or rows and their task row; never a task row without its
// rows. open_sweep() removes the orphans, so a resumed sweep re-runs those tasks without
// duplicating a row.
//
// HDF5 itself is not crash-safe *inside* a flush. Killed between the writes of one H5Fflush
// (seen with HDF5 1.10.8 where a flush grows the file: a new chunk, a new heap), a file can be
// left that HDF5 no longer opens ("addr overflow" from H5Fopen) or reads (H5TBread_table fails),
// or that reads back with rows of HDF5's fill value (all zero, empty key) where a new chunk
// should be. So a sweep's writer also keeps a snapshot, path + ".snapshot": a copy of the file
// made right after a flush (fsync, then rename, so it is always whole). It is taken on open, by
// snapshot(), and after a task outcome whenever the time since the last one exceeds 100 times
// what that copy took (at most ~1% of the wall time). open_sweep() resumes from it when HDF5
// fails on the file or the file holds a row without a key (a sweep writes none); the tasks done
// since the snapshot are then run again.
class ResultWriter {
 public:
  // Creates `path` (truncating it) with empty tables and the given string attributes on the
  // root group (e.g. "experiment_yaml", "fineprune_version"), plus "schema" = kResultSchema,
  // which is therefore reserved. Throws IoError naming the file.
  static std::unique_ptr<ResultWriter> create(const std::string& path,
                                              const std::map<std::string, std::string>& attributes);

  // Opens the result file of a sweep for appending, creating or resuming it. First it takes
  // path + ".lock" (common/file_lock.h) for as long as the writer lives: when another process
  // holds it, InputError "<path>: another fineprune run is writing it (<host, pid, job>)" and
  // nothing is read or changed.
  //  - `path` missing, or `fresh`: a new file is built at path + ".fresh.tmp" and renamed over
  //    `path`, so an old file survives any failure before the new one is complete. The root
  //    attribute "sweep_fingerprint" is set to `sweep_fingerprint` (reserved, like "schema").
  //  - `path` exists: it must be a result file of this schema or the previous one (else
  //    InputError, as from read_result_file; one of the previous schema is rewritten in this
  //    one at path + ".resume.tmp" and renamed over `path`, its rows upgraded) written by the same sweep (else InputError "<path>: written by another
  //    sweep (...); use --fresh to start over") by the same program version, when `attributes`
  //    and the file both name one in kVersionAttribute (else InputError "<path>: written by
  //    fineprune X, this is Y ..."). Rows of `results` and `curves` whose key is not
  //    in done_keys() are orphans of a crash; if there are any, the file is rebuilt without
  //    them at path + ".resume.tmp" and renamed over `path` (atomic: a crash leaves the old file
  //    or the new one).
  //    If HDF5 fails on `path` (IoError) or it holds rows without a key (both: a flush torn by
  //    a crash) and path + ".snapshot" is a readable file of this sweep, the torn file is copied
  //    to path + ".broken", the snapshot is copied over `path`, and the resume goes on from
  //    there (recovered_from_snapshot()). Without a usable snapshot an unreadable file is an
  //    IoError, and rows without a key are removed like orphans (counted with them).
  // Either way `attributes` are then (re)written, so they describe the latest session, and a
  // snapshot is taken. IoError when HDF5 or the file system fails and no snapshot helps.
  static std::unique_ptr<ResultWriter> open_sweep(
      const std::string& path, const std::map<std::string, std::string>& attributes,
      const std::string& sweep_fingerprint, bool fresh);

  ~ResultWriter();  // closes the file; never throws
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  // Appends rows to a table. A string longer than its column (but `error`) throws IoError naming
  // the column, and then none of the rows is written. Tasks rows must have a key and a status of
  // done | failed | blocked; in a sweep's writer (open_sweep) every row must have a key.
  void append_results(const std::vector<ResultRow>& rows);
  void append_curve(const std::vector<CurveRow>& rows);
  void append_tasks(const std::vector<TaskRow>& rows);

  // Writes one task's outcome following the crash protocol above, then flushes. Every row must
  // carry task.key, rows are only allowed with status "done", and a key already in done_keys()
  // is refused (its rows would be duplicated); all is checked before anything is written.
  void append_task_outcome(const TaskRow& task, const std::vector<ResultRow>& results,
                           const std::vector<CurveRow>& curves);

  void flush();
  void close();  // flushes and closes; further calls throw IoError

  // Flushes, then copies the file to path + ".snapshot" (see above). Writers made by open_sweep
  // also do this on their own; call it where losing the tasks since the last one would hurt.
  void snapshot();

  // Keys whose latest `tasks` row is "done": as found by open_sweep (empty for create), kept up
  // to date by this writer's appends.
  const std::set<std::string>& done_keys() const;
  // Rows open_sweep removed: orphans of `results` and `curves`, and rows without a key that a
  // torn flush left where no snapshot could replace the file; 0 for create.
  size_t orphan_rows_removed() const;
  // Whether open_sweep found the file damaged by a torn flush and resumed from its snapshot.
  bool recovered_from_snapshot() const;

 private:
  ResultWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a result file written by ResultWriter. Throws InputError naming the file when it is
// missing, not HDF5, or not of this schema (and then the missing attribute, table or column);
// DamagedFileError (an InputError) naming the file and the table when a checksum fails or the
// file is shorter than HDF5 recorded; IoError when HDF5 fails on a file of ours otherwise. `attributes` holds every string attribute of the
// root group, "schema" included.
struct ResultFile {
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
  std::vector<TaskRow> tasks;
  std::map<std::string, std::string> attributes;
};
ResultFile read_result_file(const std::string& path);

// read_result_file, or, where HDF5 fails on the file (IoError: a run writing it holds it, or a
// crash tore it) and path + ".snapshot" exists, that snapshot, always whole, with a sentence in
// `notes` saying so; the same for a damaged file (DamagedFileError: a checksum failed, or it was
// cut short), the note then naming the damage. InputError as read_result_file's, DamagedFileError
// where there is no snapshot.
ResultFile read_result_file_or_snapshot(const std::string& path, std::vector<std::string>& notes);

// The HDF5 library this program links, "1.10.8" (a root attribute of sweep files).
std::string hdf5_library_version();

}  // namespace fineprune
