// read_result_file: checks a file is of our schema, then reads its tables and attributes.
#include <hdf5_hl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "results/hdf5_handle.h"
#include "results/result_tables.h"
#include "results/table_layout.h"

namespace fineprune {

using results_detail::check;
using results_detail::FieldKind;
using results_detail::Handle;
using results_detail::owned;
using results_detail::Records;
using results_detail::TableLayout;
using results_detail::file_type_for;

namespace {

[[noreturn]] void not_ours(const std::string& path, const std::string& what) {
  throw InputError(path + ": not a fineprune result file: " + what);
}

// Names are gathered first and read outside the callback: exceptions must not cross HDF5's C
// frames.
std::vector<std::string> attribute_names(hid_t loc, const std::string& path) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  check(H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names), "H5Aiterate2",
        path);
  return names;
}

// Every scalar string attribute of `loc`, variable-length or fixed; other attributes are skipped.
std::map<std::string, std::string> read_string_attributes(hid_t loc, const std::string& path) {
  std::map<std::string, std::string> out;
  for (const std::string& name : attribute_names(loc, path)) {
    const std::string what = "attribute '" + name + "'";
    Handle attr = owned(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose, "H5Aopen " + what, path);
    Handle type = owned(H5Aget_type(attr.get()), H5Tclose, "H5Aget_type " + what, path);
    Handle space = owned(H5Aget_space(attr.get()), H5Sclose, "H5Aget_space " + what, path);
    if (H5Tget_class(type.get()) != H5T_STRING || H5Sget_simple_extent_npoints(space.get()) != 1) {
      continue;
    }
    Handle mem = owned(H5Tcopy(type.get()), H5Tclose, "H5Tcopy " + what, path);
    if (check(H5Tis_variable_str(type.get()), "H5Tis_variable_str " + what, path) > 0) {
      char* value = nullptr;
      check(H5Aread(attr.get(), mem.get(), &value), "H5Aread " + what, path);
      out[name] = value != nullptr ? value : "";
      H5free_memory(value);
    } else {
      std::vector<char> buffer(H5Tget_size(type.get()) + 1, '\0');
      check(H5Aread(attr.get(), mem.get(), buffer.data()), "H5Aread " + what, path);
      out[name] = std::string(buffer.data(), strnlen(buffer.data(), buffer.size()));
    }
  }
  return out;
}

bool kind_matches(hid_t member_type, FieldKind kind, size_t size) {
  const H5T_class_t cls = H5Tget_class(member_type);
  const bool class_ok = kind == FieldKind::kString
                            ? cls == H5T_STRING && H5Tis_variable_str(member_type) == 0
                        : kind == FieldKind::kFloat64 ? cls == H5T_FLOAT
                                                      : cls == H5T_INTEGER;
  return class_ok && H5Tget_size(member_type) == size;
}

const char* kind_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::kString:
      return "fixed-length string";
    case FieldKind::kInt32:
      return "32-bit integer";
    case FieldKind::kInt64:
      return "64-bit integer";
    case FieldKind::kFloat64:
      return "64-bit float";
  }
  return "?";
}

// H5TBread_table lays the file's fields out at our offsets by position, so the columns must be
// exactly ours, in order, with matching kinds; anything else would read garbage or overrun.
void check_table(hid_t file, const TableLayout& layout, const std::string& path) {
  const std::string table = std::string("table '/") + layout.name + "'";
  if (check(H5Lexists(file, layout.name, H5P_DEFAULT), "H5Lexists " + table, path) <= 0) {
    not_ours(path, "no " + table);
  }
  Handle object =
      owned(H5Oopen(file, layout.name, H5P_DEFAULT), H5Oclose, "H5Oopen " + table, path);
  if (H5Iget_type(object.get()) != H5I_DATASET)
    not_ours(path, "'/" + std::string(layout.name) + "' is not a dataset");
  Handle type = owned(H5Dget_type(object.get()), H5Tclose, "H5Dget_type " + table, path);
  Handle space = owned(H5Dget_space(object.get()), H5Sclose, "H5Dget_space " + table, path);
  if (H5Tget_class(type.get()) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space.get()) != 1) {
    not_ours(path, "'/" + std::string(layout.name) + "' is not a one-dimensional table");
  }
  const int members = check(H5Tget_nmembers(type.get()), "H5Tget_nmembers " + table, path);
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    const auto& field = layout.fields[i];
    if (static_cast<int>(i) >= members)
      not_ours(path, table + " has no column '" + field.name + "'");
    char* raw = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    const std::string name = raw != nullptr ? raw : "";
    H5free_memory(raw);
    if (name != field.name) {
      not_ours(path, table + ": column " + std::to_string(i) + " is '" + name + "', expected '" +
                         field.name + "'");
    }
    Handle member = owned(H5Tget_member_type(type.get(), static_cast<unsigned>(i)), H5Tclose,
                          "H5Tget_member_type " + table, path);
    if (!kind_matches(member.get(), field.kind, field.size)) {
      not_ours(path, table + ": column '" + name + "' is not a " + kind_name(field.kind) + " of " +
                         std::to_string(field.size) + " bytes");
    }
  }
  if (members > static_cast<int>(layout.fields.size())) {
    not_ours(path, table + " has " + std::to_string(members) + " columns, expected " +
                       std::to_string(layout.fields.size()));
  }
}

// Read with H5Dread itself rather than H5TBread_table: H5TB's clean-up after a failed read
// clears HDF5's error stack, and with it the checksum failure that says the table is damaged.
Records read_table(hid_t file, const TableLayout& layout, const std::string& path) {
  const std::string table = std::string("table '") + layout.name + "'";
  Handle dataset = owned(H5Dopen2(file, layout.name, H5P_DEFAULT), H5Dclose, "H5Dopen2 " + table, path);
  Handle space = owned(H5Dget_space(dataset.get()), H5Sclose, "H5Dget_space " + table, path);
  hsize_t rows = 0;
  check(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), "H5Sget_simple_extent_dims " + table, path);
  Records records;
  records.count = static_cast<size_t>(rows);
  records.bytes.assign(records.count * layout.record_size, 0);
  if (rows > 0) {
    Handle memory = owned(H5Tcreate(H5T_COMPOUND, layout.record_size), H5Tclose, "H5Tcreate " + table, path);
    for (const auto& field : layout.fields) {
      Handle member = owned(file_type_for(field), H5Tclose, "the type of column '" + std::string(field.name) + "'", path);
      check(H5Tinsert(memory.get(), field.name, field.offset, member.get()), "H5Tinsert " + table, path);
    }
    check(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, records.bytes.data()),
          "reading " + table, path);
  }
  return records;
}

// Schema 5's tasks table: today's columns but stop_drop, read into today's records (the
// missing column left 0).
const TableLayout& schema5_tasks_layout() {
  static const TableLayout layout = [] {
    TableLayout l = results_detail::tasks_layout();
    for (size_t i = 0; i < l.fields.size(); ++i) {
      if (std::string(l.fields[i].name) != "stop_drop") continue;
      l.fields.erase(l.fields.begin() + static_cast<std::ptrdiff_t>(i));
      l.names.erase(l.names.begin() + static_cast<std::ptrdiff_t>(i));
      l.offsets.erase(l.offsets.begin() + static_cast<std::ptrdiff_t>(i));
      l.sizes.erase(l.sizes.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    return l;
  }();
  return layout;
}

// Schema 5 kept a stop task's threshold in prune_rate; today it is stop_drop, and prune_rate a
// rate task's fraction only.
void upgrade_schema5_tasks(std::vector<TaskRow>& tasks) {
  for (TaskRow& row : tasks) {
    if (row.prune_mode != "stop") continue;
    row.stop_drop = row.prune_rate;
    row.prune_rate = 0;
  }
}

}  // namespace

ResultFile read_result_file(const std::string& path) {
  results_detail::silence_hdf5_errors();
  // Checked before HDF5 sees the path: its own message for these is a page of driver detail.
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) {
    throw InputError(path + ": cannot open result file: " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) throw InputError(path + ": not a regular file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 == 0) throw InputError(path + ": not an HDF5 file");
  check(is_hdf5, "H5Fis_hdf5", path);

  Handle file =
      owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "H5Fopen", path);
  ResultFile out;
  out.attributes = read_string_attributes(file.get(), path);
  const auto schema = out.attributes.find("schema");
  if (schema == out.attributes.end()) not_ours(path, "no string attribute 'schema' on '/'");
  const bool previous = schema->second == kPreviousResultSchema;
  if (schema->second != kResultSchema && !previous) {
    not_ours(path, "schema is '" + schema->second + "', expected '" + kResultSchema + "' (or '" +
                       kPreviousResultSchema + "', read upgraded)");
  }
  const TableLayout& tasks = previous ? schema5_tasks_layout() : results_detail::tasks_layout();
  check_table(file.get(), results_detail::results_layout(), path);
  check_table(file.get(), results_detail::curves_layout(), path);
  check_table(file.get(), tasks, path);
  out.results = results_detail::result_rows_of(read_table(file.get(), results_detail::results_layout(), path));
  out.curves = results_detail::curve_rows_of(read_table(file.get(), results_detail::curves_layout(), path));
  out.tasks = results_detail::task_rows_of(read_table(file.get(), tasks, path));
  if (previous) upgrade_schema5_tasks(out.tasks);
  check(file.close(), "H5Fclose", path);
  return out;
}

ResultFile read_result_file_or_snapshot(const std::string& path, std::vector<std::string>& notes) {
  try {
    return read_result_file(path);
  } catch (const DamagedFileError& e) {
    // A sweep's file torn by a crash, or changed on disk: its snapshot is whole (it is read
    // with the same checks), and the note says what was read instead and why.
    const std::string snapshot = path + ".snapshot";
    struct stat info {};
    if (stat(snapshot.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) throw;
    ResultFile file = read_result_file(snapshot);
    notes.push_back(std::string(e.what()) + "; read instead: its last snapshot, " + snapshot +
                    " (tasks finished after it are missing here; resuming the sweep starts from it)");
    return file;
  } catch (const InputError&) {
    throw;
  } catch (const IoError& e) {
    const std::string snapshot = path + ".snapshot";
    struct stat info {};
    if (stat(snapshot.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) throw;
    ResultFile file = read_result_file(snapshot);
    notes.push_back("HDF5 could not read " + path + " (a sweep writing it, or a torn file: " + e.what() +
                    "); read instead: its last snapshot, " + snapshot);
    return file;
  }
}

std::string hdf5_library_version() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

}  // namespace fineprune
