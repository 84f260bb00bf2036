// ResultWriter: creates the result file, appends rows through H5TB, flushes and closes.
// open_sweep, which resumes an existing file, is in sweep_open.cpp.
#include "results/result_tables.h"

#include "common/error.h"
#include "results/file_ops.h"
#include "results/hdf5_handle.h"
#include "results/table_layout.h"
#include "results/writer_impl.h"

namespace fineprune {

using results_detail::check;
using results_detail::TableLayout;

namespace {

std::vector<std::string> names_of(const TableLayout& layout) {
  return std::vector<std::string>(layout.names.begin(), layout.names.end());
}

// A task row the orphan rule can rely on: a key to match rows against and a known status.
void check_task_row(const TaskRow& row, const std::string& path) {
  if (row.key.empty()) throw IoError(path, "table 'tasks': a row has an empty key");
  if (row.status != "done" && row.status != "failed" && row.status != "blocked") {
    throw IoError(path, "table 'tasks', key " + row.key + ": status '" + row.status +
                            "' is not done, failed or blocked");
  }
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

const std::vector<std::string>& task_column_names() {
  static const std::vector<std::string> names = names_of(results_detail::tasks_layout());
  return names;
}

std::set<std::string> done_task_keys(const std::vector<TaskRow>& tasks) {
  std::map<std::string, const std::string*> latest;
  for (const TaskRow& row : tasks) latest[row.key] = &row.status;
  std::set<std::string> done;
  for (const auto& [key, status] : latest) {
    if (*status == "done") done.insert(key);
  }
  return done;
}

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
  const results_detail::Handle fapl(results_detail::file_creation_access(path), H5Pclose);
  impl.file =
      results_detail::owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                            H5Fclose, "H5Fcreate", path);
  const hid_t file = impl.file.get();
  results_detail::write_string_attribute(file, "schema", kResultSchema, path);
  for (const auto& [name, value] : attributes) {
    results_detail::write_string_attribute(file, name, value, path);
  }
  results_detail::make_table(file, results_detail::results_layout(), path);
  results_detail::make_table(file, results_detail::curves_layout(), path);
  results_detail::make_table(file, results_detail::tasks_layout(), path);
  writer->flush();  // a crash before the first row still leaves a readable, empty result file
  return writer;
}

void ResultWriter::append_results(const std::vector<ResultRow>& rows) {
  impl_->check_keys(rows, "results");
  impl_->append_records(results_detail::results_layout(), impl_->records_of(rows));
}

void ResultWriter::append_curve(const std::vector<CurveRow>& rows) {
  impl_->check_keys(rows, "curves");
  impl_->append_records(results_detail::curves_layout(), impl_->records_of(rows));
}

void ResultWriter::append_tasks(const std::vector<TaskRow>& rows) {
  for (const TaskRow& row : rows) check_task_row(row, impl_->path);
  impl_->write_task_records(rows, impl_->records_of(rows));
  impl_->note_tasks(rows);
}

void ResultWriter::append_task_outcome(const TaskRow& task, const std::vector<ResultRow>& results,
                                       const std::vector<CurveRow>& curves) {
  const std::string& path = impl_->path;
  impl_->open_for_append();
  check_task_row(task, path);
  const std::string where = "task " + task.key + ": ";
  if (impl_->done_keys.count(task.key) != 0) {
    throw IoError(path, where + "already done; writing its outcome again would duplicate rows");
  }
  if (task.status != "done" && !(results.empty() && curves.empty())) {
    throw IoError(path, where + "rows given with status '" + task.status +
                            "': they would be dropped as orphans on resume");
  }
  for (const ResultRow& row : results) {
    if (row.key != task.key) throw IoError(path, where + "a results row has key '" + row.key + "'");
  }
  for (const CurveRow& row : curves) {
    if (row.key != task.key) throw IoError(path, where + "a curves row has key '" + row.key + "'");
  }
  const auto result_records = impl_->records_of(results);
  const auto curve_records = impl_->records_of(curves);
  const std::vector<TaskRow> task_rows{task};
  const auto task_records = impl_->records_of(task_rows);

  impl_->guarded([&] {
    impl_->append_records(results_detail::results_layout(), result_records);
    impl_->append_records(results_detail::curves_layout(), curve_records);
    // This flush orders the rows before the task row on disk. Without it a crash during the one
    // flush below could leave the task row and not the rows (HDF5 writes its dirty metadata in
    // an order of its own), and open_sweep would take the task for done with rows missing.
    if (!(result_records.empty() && curve_records.empty())) flush();
    impl_->write_task_records(task_rows, task_records);
    flush();
  });
  impl_->note_tasks({task});
  if (impl_->sweep) {
    const std::chrono::duration<double> since =
        std::chrono::steady_clock::now() - impl_->last_snapshot;
    if (since.count() >= Impl::kSnapshotCostFactor * impl_->snapshot_seconds) snapshot();
  }
}

void ResultWriter::snapshot() {
  flush();  // the file on disk is whole between two flushes, and this writer is its only writer
  const auto start = std::chrono::steady_clock::now();
  results_detail::copy_file_atomically(impl_->path, impl_->path + ".snapshot.tmp",
                                       impl_->path + ".snapshot");
  impl_->last_snapshot = std::chrono::steady_clock::now();
  impl_->snapshot_seconds = std::chrono::duration<double>(impl_->last_snapshot - start).count();
}

void ResultWriter::flush() {
  check(H5Fflush(impl_->open_file("flush"), H5F_SCOPE_GLOBAL), "H5Fflush", impl_->path);
}

void ResultWriter::close() {
  flush();
  check(impl_->file.close(), "H5Fclose", impl_->path);
  impl_->lock.reset();
}

const std::set<std::string>& ResultWriter::done_keys() const { return impl_->done_keys; }

size_t ResultWriter::orphan_rows_removed() const { return impl_->orphans_removed; }

bool ResultWriter::recovered_from_snapshot() const { return impl_->recovered; }

}  // namespace fineprune
