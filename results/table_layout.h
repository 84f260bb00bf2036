// On-disk layout of the `results` and `curves` tables: packed records and their field lists.
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
  char key[kNameLength];
};

struct CurveRecord {
  char attack[kNameLength];
  int64_t seed;
  int64_t channels_pruned;
  double fraction;
  double val_acc;
  double clean_acc;
  double asr;
  double robust_acc;
  int32_t is_stop;
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

// The HDF5 type stored for a field kind (string types are fixed-length kNameLength, NUL-padded).
// The caller owns the returned id.
hid_t file_type_for(FieldKind kind);

// Row <-> record. to_record throws IoError(file, ...) naming the column when a string is longer
// than kNameLength - 1 bytes or holds a NUL byte, instead of silently cutting it.
ResultRecord to_record(const ResultRow& row, const std::string& file);
CurveRecord to_record(const CurveRow& row, const std::string& file);
ResultRow from_record(const ResultRecord& record);
CurveRow from_record(const CurveRecord& record);

}  // namespace fineprune::results_detail
