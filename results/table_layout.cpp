// Field lists of the `results`, `curves` and `tasks` tables and the row <-> record conversions.
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

template <size_t N>
void put_string(char (&dst)[N], const std::string& value, const char* table, const char* column,
                const std::string& file) {
  if (value.size() > N - 1) {
    throw IoError(file, std::string("table '") + table + "', column '" + column + "': value '" +
                            value + "' is " + std::to_string(value.size()) +
                            " bytes, longer than the " + std::to_string(N - 1) +
                            " this string column holds");
  }
  if (value.find('\0') != std::string::npos) {
    throw IoError(file, std::string("table '") + table + "', column '" + column +
                            "': value holds a NUL byte, which would cut it short on reading");
  }
  std::memset(dst, 0, N);  // NUL padding, so files are byte-for-byte reproducible
  std::memcpy(dst, value.data(), value.size());
}

template <size_t N>
std::string get_string(const char (&src)[N]) {
  // A value of exactly N bytes (only in files we did not write) has no NUL.
  return std::string(src, strnlen(src, N));
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
                                                 FP_FIELD(ResultRecord, stop_drop, kFloat64),
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
      {FP_FIELD(CurveRecord, attack, kString), FP_FIELD(CurveRecord, model, kString),
       FP_FIELD(CurveRecord, seed, kInt64),
       FP_FIELD(CurveRecord, channels_pruned, kInt64), FP_FIELD(CurveRecord, fraction, kFloat64),
       FP_FIELD(CurveRecord, val_acc, kFloat64), FP_FIELD(CurveRecord, clean_acc, kFloat64),
       FP_FIELD(CurveRecord, asr, kFloat64), FP_FIELD(CurveRecord, robust_acc, kFloat64),
       FP_FIELD(CurveRecord, is_stop, kInt32), FP_FIELD(CurveRecord, key, kString)});
  return layout;
}

const TableLayout& tasks_layout() {
  static const TableLayout layout = make_layout(
      "tasks", sizeof(TaskRecord),
      {FP_FIELD(TaskRecord, key, kString), FP_FIELD(TaskRecord, kind, kString),
       FP_FIELD(TaskRecord, attack, kString), FP_FIELD(TaskRecord, model, kString),
       FP_FIELD(TaskRecord, seed, kInt64),
       FP_FIELD(TaskRecord, prune_mode, kString), FP_FIELD(TaskRecord, prune_rate, kFloat64),
       FP_FIELD(TaskRecord, status, kString), FP_FIELD(TaskRecord, attempts, kInt32),
       FP_FIELD(TaskRecord, worker, kInt32), FP_FIELD(TaskRecord, host, kString),
       FP_FIELD(TaskRecord, wall_s, kFloat64), FP_FIELD(TaskRecord, model_digest, kString),
       FP_FIELD(TaskRecord, error, kString)});
  return layout;
}

#undef FP_FIELD

hid_t file_type_for(const Field& field) {
  switch (field.kind) {
    case FieldKind::kString: {
      const hid_t type = H5Tcopy(H5T_C_S1);
      // UTF-8 because names come from YAML; readers still see fixed strings ("S48", "S65").
      if (type >= 0 &&
          (H5Tset_size(type, field.size) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0 ||
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

std::string truncate_utf8(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  static const std::string kEllipsis = "...";
  if (max_bytes < kEllipsis.size()) return kEllipsis.substr(0, max_bytes);
  size_t cut = max_bytes - kEllipsis.size();
  // text[cut] is the first byte dropped: while it continues a character, that character
  // straddles the cut and goes too.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + kEllipsis;
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
  r.stop_drop = row.stop_drop;
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
  put_string(r.model, row.model, "curves", "model", file);
  r.seed = row.seed;
  r.channels_pruned = row.channels_pruned;
  r.fraction = row.fraction;
  r.val_acc = row.val_acc;
  r.clean_acc = row.clean_acc;
  r.asr = row.asr;
  r.robust_acc = row.robust_acc;
  r.is_stop = row.is_stop;
  put_string(r.key, row.key, "curves", "key", file);
  return r;
}

TaskRecord to_record(const TaskRow& row, const std::string& file) {
  TaskRecord r;
  const char* t = "tasks";
  put_string(r.key, row.key, t, "key", file);
  put_string(r.kind, row.kind, t, "kind", file);
  put_string(r.attack, row.attack, t, "attack", file);
  put_string(r.model, row.model, t, "model", file);
  r.seed = row.seed;
  put_string(r.prune_mode, row.prune_mode, t, "prune_mode", file);
  r.prune_rate = row.prune_rate;
  put_string(r.status, row.status, t, "status", file);
  r.attempts = row.attempts;
  r.worker = row.worker;
  put_string(r.host, row.host, t, "host", file);
  r.wall_s = row.wall_s;
  put_string(r.model_digest, row.model_digest, t, "model_digest", file);
  // Messages come from anywhere (a worker's exception, a signal): recording a failure must
  // never fail, so the message is made to fit rather than refused.
  std::string error = row.error;
  for (char& c : error) c = c == '\0' ? ' ' : c;
  put_string(r.error, truncate_utf8(error, kErrorLength - 1), t, "error", file);
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
  row.stop_drop = r.stop_drop;
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
  row.model = get_string(r.model);
  row.seed = r.seed;
  row.channels_pruned = r.channels_pruned;
  row.fraction = r.fraction;
  row.val_acc = r.val_acc;
  row.clean_acc = r.clean_acc;
  row.asr = r.asr;
  row.robust_acc = r.robust_acc;
  row.is_stop = r.is_stop;
  row.key = get_string(r.key);
  return row;
}

TaskRow from_record(const TaskRecord& r) {
  TaskRow row;
  row.key = get_string(r.key);
  row.kind = get_string(r.kind);
  row.attack = get_string(r.attack);
  row.model = get_string(r.model);
  row.seed = r.seed;
  row.prune_mode = get_string(r.prune_mode);
  row.prune_rate = r.prune_rate;
  row.status = get_string(r.status);
  row.attempts = r.attempts;
  row.worker = r.worker;
  row.host = get_string(r.host);
  row.wall_s = r.wall_s;
  row.model_digest = get_string(r.model_digest);
  row.error = get_string(r.error);
  return row;
}

}  // namespace fineprune::results_detail
