// Layouts of the `results`, `curves` and `tasks` tables and the row <-> record packing, both
// from the column lists of result_tables.h.
#include "results/table_layout.h"

#include <cstddef>
#include <cstring>
#include <utility>

#include "common/error.h"

namespace fineprune::results_detail {
namespace {

// Builds a table's fields from its column list: packed offsets, in order.
struct LayoutBuilder {
  std::vector<Field> fields;
  size_t offset = 0;
  void add(const char* name, size_t size, FieldKind kind) {
    fields.push_back(Field{name, offset, size, kind});
    offset += size;
  }
  void operator()(const char* name, const std::string&, size_t bytes) { add(name, bytes, FieldKind::kString); }
  void operator()(const char* name, const int32_t&, size_t) { add(name, sizeof(int32_t), FieldKind::kInt32); }
  void operator()(const char* name, const int64_t&, size_t) { add(name, sizeof(int64_t), FieldKind::kInt64); }
  void operator()(const char* name, const double&, size_t) { add(name, sizeof(double), FieldKind::kFloat64); }
};

template <class Row>
TableLayout make_layout(const char* name) {
  LayoutBuilder b;
  const Row row{};
  visit_columns(row, b);
  TableLayout layout{name, b.offset, std::move(b.fields), {}, {}, {}};
  for (const Field& f : layout.fields) {
    layout.names.push_back(f.name);
    layout.offsets.push_back(f.offset);
    layout.sizes.push_back(f.size);
  }
  return layout;
}

void put_string(char* dst, size_t bytes, const std::string& value, const char* table, const char* column,
                const std::string& file) {
  if (value.size() > bytes - 1) {
    throw IoError(file, std::string("table '") + table + "', column '" + column + "': value '" +
                            value + "' is " + std::to_string(value.size()) +
                            " bytes, longer than the " + std::to_string(bytes - 1) +
                            " this string column holds");
  }
  if (value.find('\0') != std::string::npos) {
    throw IoError(file, std::string("table '") + table + "', column '" + column +
                            "': value holds a NUL byte, which would cut it short on reading");
  }
  std::memset(dst, 0, bytes);  // NUL padding, so files are byte-for-byte reproducible
  std::memcpy(dst, value.data(), value.size());
}

// Writes one row's columns into its record, in column order.
struct Packer {
  const TableLayout& layout;
  char* record;
  const std::string& file;
  size_t column = 0;
  void operator()(const char* name, const std::string& value, size_t bytes) {
    put_string(record + layout.fields[column++].offset, bytes, value, layout.name, name, file);
  }
  template <class T>
  void operator()(const char*, const T& value, size_t) {
    std::memcpy(record + layout.fields[column++].offset, &value, sizeof value);
  }
};

// Reads one row's columns from its record, in column order.
struct Unpacker {
  const TableLayout& layout;
  const char* record;
  size_t column = 0;
  void operator()(const char*, std::string& value, size_t bytes) {
    const char* src = record + layout.fields[column++].offset;
    value.assign(src, strnlen(src, bytes));
  }
  template <class T>
  void operator()(const char*, T& value, size_t) {
    std::memcpy(&value, record + layout.fields[column++].offset, sizeof value);
  }
};

template <class Row>
Records pack(const std::vector<Row>& rows, const TableLayout& layout, const std::string& file) {
  Records out;
  out.count = rows.size();
  out.bytes.assign(rows.size() * layout.record_size, 0);
  for (size_t i = 0; i < rows.size(); ++i) visit_columns(rows[i], Packer{layout, out.bytes.data() + i * layout.record_size, file});
  return out;
}

template <class Row>
std::vector<Row> unpack(const Records& records, const TableLayout& layout) {
  std::vector<Row> rows(records.count);
  for (size_t i = 0; i < rows.size(); ++i) visit_columns(rows[i], Unpacker{layout, records.at(i, layout)});
  return rows;
}

}  // namespace

const TableLayout& results_layout() {
  static const TableLayout layout = make_layout<ResultRow>("results");
  return layout;
}

const TableLayout& curves_layout() {
  static const TableLayout layout = make_layout<CurveRow>("curves");
  return layout;
}

const TableLayout& tasks_layout() {
  static const TableLayout layout = make_layout<TaskRow>("tasks");
  return layout;
}

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

Records to_records(const std::vector<ResultRow>& rows, const std::string& file) {
  return pack(rows, results_layout(), file);
}

Records to_records(const std::vector<CurveRow>& rows, const std::string& file) {
  return pack(rows, curves_layout(), file);
}

Records to_records(const std::vector<TaskRow>& rows, const std::string& file) {
  // Messages come from anywhere (a worker's exception, a signal): recording a failure must
  // never fail, so the message is made to fit rather than refused.
  std::vector<TaskRow> fitted = rows;
  for (TaskRow& row : fitted) {
    for (char& c : row.error) c = c == '\0' ? ' ' : c;
    row.error = truncate_utf8(row.error, kErrorLength - 1);
  }
  return pack(fitted, tasks_layout(), file);
}

std::vector<ResultRow> result_rows_of(const Records& records) { return unpack<ResultRow>(records, results_layout()); }
std::vector<CurveRow> curve_rows_of(const Records& records) { return unpack<CurveRow>(records, curves_layout()); }
std::vector<TaskRow> task_rows_of(const Records& records) { return unpack<TaskRow>(records, tasks_layout()); }

}  // namespace fineprune::results_detail
