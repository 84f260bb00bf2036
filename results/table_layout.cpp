// Field lists of the `results` and `curves` tables and the row <-> packed record conversions.
#include "results/table_layout.h"

#include <cstddef>
#include <cstring>
#include <utility>

#include "common/error.h"

namespace fineprune::results_detail {
namespace {

TableLayout make_layout(const char* name, size_t record_size, std::vector<Field> fields) {
  TableLayout layout{name, record_size, std::move(fields), {}, {}, {}};
  for (const Field& f : layout.fields) {
    layout.names.push_back(f.name);
    layout.offsets.push_back(f.offset);
    layout.sizes.push_back(f.size);
  }
  return layout;
}

void put_string(char (&dst)[kNameLength], const std::string& value, const char* table,
                const char* column, const std::string& file) {
  if (value.size() > static_cast<size_t>(kNameLength - 1)) {
    throw IoError(file, std::string("table '") + table + "', column '" + column + "': value '" +
                            value + "' is " + std::to_string(value.size()) +
                            " bytes, longer than the " + std::to_string(kNameLength - 1) +
                            " a string column holds");
  }
  if (value.find('\0') != std::string::npos) {
    throw IoError(file, std::string("table '") + table + "', column '" + column +
                            "': value holds a NUL byte, which would cut it short on reading");
  }
  std::memset(dst, 0, kNameLength);  // NUL padding, so files are byte-for-byte reproducible
  std::memcpy(dst, value.data(), value.size());
}

std::string get_string(const char (&src)[kNameLength]) {
  // A value of exactly kNameLength bytes (only in files we did not write) has no NUL.
  return std::string(src, strnlen(src, kNameLength));
}

}  // namespace

// Column name = struct field name, so the file, numpy and pandas all use the C++ names.
#define FP_FIELD(Record, member, kind) \
  Field { #member, offsetof(Record, member), sizeof(Record::member), FieldKind::kind }

const TableLayout& results_layout() {
  static const TableLayout layout = make_layout("results", sizeof(ResultRecord),
                                                {FP_FIELD(ResultRecord, attack, kString),
                                                 FP_FIELD(ResultRecord, trigger, kString),
                                                 FP_FIELD(ResultRecord, target_mode, kString),
                                                 FP_FIELD(ResultRecord, target_label, kInt64),
                                                 FP_FIELD(ResultRecord, poison_rate, kFloat64),
                                                 FP_FIELD(ResultRecord, pruning_aware, kInt32),
                                                 FP_FIELD(ResultRecord, defense, kString),
                                                 FP_FIELD(ResultRecord, prune_mode, kString),
                                                 FP_FIELD(ResultRecord, prune_rate, kFloat64),
                                                 FP_FIELD(ResultRecord, pruned_channels, kInt64),
                                                 FP_FIELD(ResultRecord, total_channels, kInt64),
                                                 FP_FIELD(ResultRecord, seed, kInt64),
                                                 FP_FIELD(ResultRecord, clean_acc, kFloat64),
                                                 FP_FIELD(ResultRecord, asr, kFloat64),
                                                 FP_FIELD(ResultRecord, robust_acc, kFloat64),
                                                 FP_FIELD(ResultRecord, val_acc, kFloat64),
                                                 FP_FIELD(ResultRecord, asr_counts, kString),
                                                 FP_FIELD(ResultRecord, finetune_epochs, kFloat64),
                                                 FP_FIELD(ResultRecord, wall_s, kFloat64),
                                                 FP_FIELD(ResultRecord, train_wall_s, kFloat64),
                                                 FP_FIELD(ResultRecord, model, kString),
                                                 FP_FIELD(ResultRecord, dataset, kString),
                                                 FP_FIELD(ResultRecord, key, kString)});
  return layout;
}

const TableLayout& curves_layout() {
  static const TableLayout layout = make_layout(
      "curves", sizeof(CurveRecord),
      {FP_FIELD(CurveRecord, attack, kString), FP_FIELD(CurveRecord, seed, kInt64),
       FP_FIELD(CurveRecord, channels_pruned, kInt64), FP_FIELD(CurveRecord, fraction, kFloat64),
       FP_FIELD(CurveRecord, val_acc, kFloat64), FP_FIELD(CurveRecord, clean_acc, kFloat64),
       FP_FIELD(CurveRecord, asr, kFloat64), FP_FIELD(CurveRecord, robust_acc, kFloat64),
       FP_FIELD(CurveRecord, is_stop, kInt32)});
  return layout;
}

#undef FP_FIELD

hid_t file_type_for(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString: {
      const hid_t type = H5Tcopy(H5T_C_S1);
      // UTF-8 because names come from YAML; readers still see 48-byte fixed strings ("S48").
      if (type >= 0 &&
          (H5Tset_size(type, kNameLength) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0 ||
           H5Tset_cset(type, H5T_CSET_UTF8) < 0)) {
        H5Tclose(type);
        return -1;
      }
      return type;
    }
    // Fixed little-endian types rather than NATIVE ones: the file reads the same everywhere.
    case FieldKind::kInt32:
      return H5Tcopy(H5T_STD_I32LE);
    case FieldKind::kInt64:
      return H5Tcopy(H5T_STD_I64LE);
    case FieldKind::kFloat64:
      return H5Tcopy(H5T_IEEE_F64LE);
  }
  return -1;
}

ResultRecord to_record(const ResultRow& row, const std::string& file) {
  ResultRecord r;
  const char* t = "results";
  put_string(r.attack, row.attack, t, "attack", file);
  put_string(r.trigger, row.trigger, t, "trigger", file);
  put_string(r.target_mode, row.target_mode, t, "target_mode", file);
  r.target_label = row.target_label;
  r.poison_rate = row.poison_rate;
  r.pruning_aware = row.pruning_aware;
  put_string(r.defense, row.defense, t, "defense", file);
  put_string(r.prune_mode, row.prune_mode, t, "prune_mode", file);
  r.prune_rate = row.prune_rate;
  r.pruned_channels = row.pruned_channels;
  r.total_channels = row.total_channels;
  r.seed = row.seed;
  r.clean_acc = row.clean_acc;
  r.asr = row.asr;
  r.robust_acc = row.robust_acc;
  r.val_acc = row.val_acc;
  put_string(r.asr_counts, row.asr_counts, t, "asr_counts", file);
  r.finetune_epochs = row.finetune_epochs;
  r.wall_s = row.wall_s;
  r.train_wall_s = row.train_wall_s;
  put_string(r.model, row.model, t, "model", file);
  put_string(r.dataset, row.dataset, t, "dataset", file);
  put_string(r.key, row.key, t, "key", file);
  return r;
}

CurveRecord to_record(const CurveRow& row, const std::string& file) {
  CurveRecord r;
  put_string(r.attack, row.attack, "curves", "attack", file);
  r.seed = row.seed;
  r.channels_pruned = row.channels_pruned;
  r.fraction = row.fraction;
  r.val_acc = row.val_acc;
  r.clean_acc = row.clean_acc;
  r.asr = row.asr;
  r.robust_acc = row.robust_acc;
  r.is_stop = row.is_stop;
  return r;
}

ResultRow from_record(const ResultRecord& r) {
  ResultRow row;
  row.attack = get_string(r.attack);
  row.trigger = get_string(r.trigger);
  row.target_mode = get_string(r.target_mode);
  row.target_label = r.target_label;
  row.poison_rate = r.poison_rate;
  row.pruning_aware = r.pruning_aware;
  row.defense = get_string(r.defense);
  row.prune_mode = get_string(r.prune_mode);
  row.prune_rate = r.prune_rate;
  row.pruned_channels = r.pruned_channels;
  row.total_channels = r.total_channels;
  row.seed = r.seed;
  row.clean_acc = r.clean_acc;
  row.asr = r.asr;
  row.robust_acc = r.robust_acc;
  row.val_acc = r.val_acc;
  row.asr_counts = get_string(r.asr_counts);
  row.finetune_epochs = r.finetune_epochs;
  row.wall_s = r.wall_s;
  row.train_wall_s = r.train_wall_s;
  row.model = get_string(r.model);
  row.dataset = get_string(r.dataset);
  row.key = get_string(r.key);
  return row;
}

CurveRow from_record(const CurveRecord& r) {
  CurveRow row;
  row.attack = get_string(r.attack);
  row.seed = r.seed;
  row.channels_pruned = r.channels_pruned;
  row.fraction = r.fraction;
  row.val_acc = r.val_acc;
  row.clean_acc = r.clean_acc;
  row.asr = r.asr;
  row.robust_acc = r.robust_acc;
  row.is_stop = r.is_stop;
  return row;
}

}  // namespace fineprune::results_detail
