// The HDF5 result store: the `results` and `curves` tables and the file's attributes.
//
// Tables are HDF5 "TABLE" datasets written with the high-level H5TB API, so PyTables reads them
// as tables and pandas reads them with pd.read_hdf(path, "results"). Strings are fixed-length
// (kNameLength bytes, NUL-padded). No torch here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fineprune {

constexpr int kNameLength = 48;  // bytes of every string column, NUL included

// Value of the root attribute "schema" that every file written by ResultWriter carries; readers
// refuse files without it. Bump the number whenever a column is added, renamed or retyped.
constexpr const char* kResultSchema = "fineprune-results-1";

// Column names of the two tables, in file order (they equal the struct field names below).
const std::vector<std::string>& result_column_names();
const std::vector<std::string>& curve_column_names();

// One row of `results`: one attack x defense x prune setting x seed.
struct ResultRow {
  std::string attack;        // the attack's name in the spec
  std::string trigger;       // trigger type: patch | blend | mask | sig | wanet
  std::string target_mode;   // all_to_one | all_to_all
  int64_t target_label = 0;  // -1 for all_to_all
  double poison_rate = 0;
  int32_t pruning_aware = 0;  // 1 if the attack was the pruning-aware one
  std::string defense;        // none | prune | finetune | fineprune
  std::string prune_mode;     // none | stop | rate
  double prune_rate = 0;      // requested fraction (rate mode) or fraction reached (stop mode)
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
  std::string model;
  std::string dataset;
  std::string key;  // content key of the task (empty where none)
};

// One point of a pruning curve: after pruning `channels_pruned` channels.
struct CurveRow {
  std::string attack;
  int64_t seed = 0;
  int64_t channels_pruned = 0;
  double fraction = 0;
  double val_acc = 0;
  double clean_acc = 0;
  double asr = 0;
  double robust_acc = 0;
  int32_t is_stop = 0;  // 1 on the stopping point chosen by the validation-accuracy drop
};

// Writes a result file. Tables are created on open and rows appended as they come; flush() makes
// everything appended so far durable, so a file closed after a crash still opens.
class ResultWriter {
 public:
  // Creates `path` (truncating it) with empty `results` and `curves` tables and the given string
  // attributes on the root group (e.g. "experiment_yaml", "fineprune_version"), plus "schema" =
  // kResultSchema, which is therefore reserved. Throws IoError naming the file.
  static std::unique_ptr<ResultWriter> create(const std::string& path,
                                              const std::map<std::string, std::string>& attributes);
  ~ResultWriter();  // closes the file; never throws
  ResultWriter(const ResultWriter&) = delete;
  ResultWriter& operator=(const ResultWriter&) = delete;

  // Appends rows to a table. A string longer than kNameLength - 1 bytes throws IoError naming
  // the column, and then none of the rows is written.
  void append_results(const std::vector<ResultRow>& rows);
  void append_curve(const std::vector<CurveRow>& rows);
  void flush();
  void close();  // flushes and closes; further calls throw IoError

 private:
  ResultWriter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads a result file written by ResultWriter. Throws InputError naming the file when it is
// missing, not HDF5, or not of this schema (and then the missing attribute, table or column);
// IoError when HDF5 fails on a file of ours. `attributes` holds every string attribute of the
// root group, "schema" included.
struct ResultFile {
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
  std::map<std::string, std::string> attributes;
};
ResultFile read_result_file(const std::string& path);

}  // namespace fineprune
