// On-disk layout of the `results`, `curves` and `tasks` tables: packed records, field lists.
//
// Records are packed (no padding) so the file's compound types carry no gaps: numpy, PyTables
// and pandas then see exactly the columns below, in this order, with no filler fields.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune::results_detail {

#pragma pack(push, 1)
struct ResultRecord {
  char attack[kNameLength];
  char trigger[kNameLength];
  char target_mode[kNameLength];
  int64_t target_label;
  double poison_rate;
  int32_t pruning_aware;
  char defense[kNameLength];
  char prune_mode[kNameLength];
  double prune_rate;
  double stop_drop;
  int64_t pruned_channels;
  int64_t total_channels;
  int64_t seed;
  double clean_acc;
  double asr;
  double robust_acc;
  double val_acc;
  char asr_counts[kNameLength];
  double finetune_epochs;
  double wall_s;
  double train_wall_s;
  char model[kNameLength];
  char dataset[kNameLength];
  char key[kKeyLength];
};

struct CurveRecord {
  char attack[kNameLength];
  char model[kNameLength];
  int64_t seed;
  int64_t channels_pruned;
  double fraction;
  double val_acc;
  double clean_acc;
  double asr;
  double robust_acc;
  int32_t is_stop;
  char key[kKeyLength];
};

struct TaskRecord {
  char key[kKeyLength];
  char kind[kNameLength];
  char attack[kNameLength];
  char model[kNameLength];
  int64_t seed;
  char prune_mode[kNameLength];
  double prune_rate;
  char status[kNameLength];
  int32_t attempts;
  int32_t worker;
  char host[kNameLength];
  double wall_s;
  char model_digest[kKeyLength];
  char error[kErrorLength];
};
#pragma pack(pop)

enum class FieldKind { kString, kInt32, kInt64, kFloat64 };

struct Field {
  const char* name;
  size_t offset;
  size_t size;
  FieldKind kind;
};

// Everything H5TB needs to make, append to and read one table.
struct TableLayout {
  const char* name;  // dataset name under the root group, also the table's TITLE
  size_t record_size;
  std::vector<Field> fields;
  std::vector<const char*> names;  // fields[i].name, as H5TBmake_table wants them
  std::vector<size_t> offsets;
  std::vector<size_t> sizes;
};

const TableLayout& results_layout();
const TableLayout& curves_layout();
const TableLayout& tasks_layout();

// The HDF5 type stored for a field (strings: fixed-length `size` bytes, NUL-padded, UTF-8).
// The caller owns the returned id.
hid_t file_type_for(const Field& field);

// `text` cut to at most `max_bytes` bytes: unchanged when it fits, else its longest prefix that
// ends on a UTF-8 character boundary and leaves room for "...", followed by "...".
std::string truncate_utf8(const std::string& text, size_t max_bytes);

// Row <-> record. to_record throws IoError(file, ...) naming the column when a string is longer
// than its column minus the NUL or holds a NUL byte, instead of silently cutting it; the one
// exception is TaskRow::error, truncated by truncate_utf8 (NUL bytes become spaces).
ResultRecord to_record(const ResultRow& row, const std::string& file);
CurveRecord to_record(const CurveRow& row, const std::string& file);
TaskRecord to_record(const TaskRow& row, const std::string& file);
ResultRow from_record(const ResultRecord& record);
CurveRow from_record(const CurveRecord& record);
TaskRow from_record(const TaskRecord& record);

}  // namespace fineprune::results_detail
