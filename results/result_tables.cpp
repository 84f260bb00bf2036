// ResultWriter: creates the result file, appends rows through H5TB, flushes and closes.
#include "results/result_tables.h"

#include <hdf5_hl.h>

#include "common/error.h"
#include "results/hdf5_handle.h"
#include "results/table_layout.h"

namespace fineprune {

using results_detail::check;
using results_detail::Handle;
using results_detail::owned;
using results_detail::TableLayout;

namespace {

// Rows per chunk: a few KiB of results per chunk, and appending one row at a time (the master
// writes as tasks finish) touches one chunk instead of growing the file a row at a time.
constexpr hsize_t kChunkRows = 256;
// Result files are small (thousands of rows); no compression keeps them readable by any HDF5
// build, including ones without the deflate filter.
constexpr int kCompress = 0;

std::vector<std::string> names_of(const TableLayout& layout) {
  return std::vector<std::string>(layout.names.begin(), layout.names.end());
}

void make_table(hid_t file, const TableLayout& layout, const std::string& path) {
  std::vector<Handle> types;
  std::vector<hid_t> type_ids;
  for (const auto& field : layout.fields) {
    types.push_back(owned(results_detail::file_type_for(field.kind), H5Tclose,
                          std::string("creating the type of column '") + field.name + "'", path));
    type_ids.push_back(types.back().get());
  }
  std::vector<const char*> names = layout.names;  // H5TBmake_table wants a non-const array
  check(H5TBmake_table(layout.name, file, layout.name, layout.fields.size(), 0, layout.record_size,
                       names.data(), layout.offsets.data(), type_ids.data(), kChunkRows, nullptr,
                       kCompress, nullptr),
        std::string("H5TBmake_table '") + layout.name + "'", path);
}

// A scalar variable-length UTF-8 string: no size limit, and h5py and PyTables read it as str.
void write_string_attribute(hid_t loc, const std::string& name, const std::string& value,
                            const std::string& path) {
  if (value.find('\0') != std::string::npos) {
    throw IoError(path, "attribute '" + name + "': value holds a NUL byte");
  }
  const std::string what = "attribute '" + name + "'";
  Handle type = owned(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy for " + what, path);
  check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size for " + what, path);
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset for " + what, path);
  Handle space = owned(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate for " + what, path);
  Handle attr =
      owned(H5Acreate2(loc, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            H5Aclose, "H5Acreate2 " + what, path);
  const char* data = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &data), "H5Awrite " + what, path);
  check(attr.close(), "H5Aclose " + what, path);
}

}  // namespace

const std::vector<std::string>& result_column_names() {
  static const std::vector<std::string> names = names_of(results_detail::results_layout());
  return names;
}

const std::vector<std::string>& curve_column_names() {
  static const std::vector<std::string> names = names_of(results_detail::curves_layout());
  return names;
}

struct ResultWriter::Impl {
  std::string path;
  Handle file;

  hid_t open_file(const char* operation) const {
    if (!file.valid()) throw IoError(path, std::string(operation) + " after close()");
    return file.get();
  }

  // Converts every row before writing any, so a bad string leaves the table as it was.
  template <typename Row>
  void append(const TableLayout& layout, const std::vector<Row>& rows) {
    const hid_t id = open_file("append");
    if (rows.empty()) return;
    using Record = decltype(results_detail::to_record(rows.front(), path));
    std::vector<Record> records;
    records.reserve(rows.size());
    for (const Row& row : rows) records.push_back(results_detail::to_record(row, path));
    check(H5TBappend_records(id, layout.name, records.size(), layout.record_size,
                             layout.offsets.data(), layout.sizes.data(), records.data()),
          std::string("H5TBappend_records '") + layout.name + "'", path);
  }
};

ResultWriter::ResultWriter() : impl_(std::make_unique<Impl>()) {}

ResultWriter::~ResultWriter() {
  if (impl_) impl_->file.reset();  // H5Fclose flushes; errors are dropped, destructors never throw
}

std::unique_ptr<ResultWriter> ResultWriter::create(
    const std::string& path, const std::map<std::string, std::string>& attributes) {
  results_detail::silence_hdf5_errors();
  if (attributes.count("schema") != 0) {
    throw IoError(path, "attribute 'schema' is reserved: the writer sets it to " +
                            std::string(kResultSchema));
  }
  std::unique_ptr<ResultWriter> writer(new ResultWriter());
  Impl& impl = *writer->impl_;
  impl.path = path;
  // Default file-format version on purpose: with the 1.10 "latest" format the superblock marks
  // the file open-for-write, and a file left by a crashed writer would then refuse to open.
  impl.file = owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                    "H5Fcreate", path);
  const hid_t file = impl.file.get();
  write_string_attribute(file, "schema", kResultSchema, path);
  for (const auto& [name, value] : attributes) write_string_attribute(file, name, value, path);
  make_table(file, results_detail::results_layout(), path);
  make_table(file, results_detail::curves_layout(), path);
  writer->flush();  // a crash before the first row still leaves a readable, empty result file
  return writer;
}

void ResultWriter::append_results(const std::vector<ResultRow>& rows) {
  impl_->append(results_detail::results_layout(), rows);
}

void ResultWriter::append_curve(const std::vector<CurveRow>& rows) {
  impl_->append(results_detail::curves_layout(), rows);
}

void ResultWriter::flush() {
  check(H5Fflush(impl_->open_file("flush"), H5F_SCOPE_GLOBAL), "H5Fflush", impl_->path);
}

void ResultWriter::close() {
  flush();
  check(impl_->file.close(), "H5Fclose", impl_->path);
}

}  // namespace fineprune
