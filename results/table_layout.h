// On-disk layout of the `results`, `curves` and `tasks` tables: packed records, field lists, both
// made from the column lists of result_tables.h (visit_columns).
//
// Records are packed (no padding) so the file's compound types carry no gaps: numpy, PyTables
// and pandas then see exactly the columns, in order, with no filler fields.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune::results_detail {


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

// Rows packed into records, `count` of `layout.record_size` bytes each, back to back (what H5TB
// appends and H5Dread fills).
struct Records {
  std::vector<char> bytes;
  size_t count = 0;
  const char* at(size_t i, const TableLayout& layout) const { return bytes.data() + i * layout.record_size; }
  bool empty() const { return count == 0; }
};

// Rows -> records. Throws IoError(file, ...) naming the table and column when a string is longer
// than its column minus the NUL or holds a NUL byte, instead of silently cutting it; the one
// exception is TaskRow::error, truncated by truncate_utf8 (NUL bytes become spaces).
Records to_records(const std::vector<ResultRow>& rows, const std::string& file);
Records to_records(const std::vector<CurveRow>& rows, const std::string& file);
Records to_records(const std::vector<TaskRow>& rows, const std::string& file);
// Records -> rows (a string column of exactly its size, only in files we did not write, is read
// whole).
std::vector<ResultRow> result_rows_of(const Records& records);
std::vector<CurveRow> curve_rows_of(const Records& records);
std::vector<TaskRow> task_rows_of(const Records& records);

}  // namespace fineprune::results_detail
