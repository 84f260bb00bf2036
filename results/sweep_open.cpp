// ResultWriter::open_sweep: creates a sweep's result file, or resumes it after removing the
// orphan rows a crash can leave (rows whose task row never made it to the file), going back to
// the snapshot where a crash inside an HDF5 flush damaged the file.
#include <sys/stat.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "results/file_ops.h"
#include "results/hdf5_handle.h"
#include "results/result_tables.h"
#include "results/table_layout.h"
#include "results/writer_impl.h"

namespace fineprune {
namespace {

template <typename Row>
std::vector<Row> rows_of_keys(const std::vector<Row>& rows, const std::set<std::string>& keys) {
  std::vector<Row> kept;
  kept.reserve(rows.size());
  for (const Row& row : rows) {
    if (keys.count(row.key) != 0) kept.push_back(row);
  }
  return kept;
}

bool path_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

void check_fingerprint(const ResultFile& file, const std::string& path,
                       const std::string& sweep_fingerprint) {
  const auto found = file.attributes.find(kFingerprintAttribute);
  if (found == file.attributes.end() || found->second != sweep_fingerprint) {
    throw InputError(path + ": written by another sweep (fingerprint " +
                     (found == file.attributes.end() ? std::string("none") : found->second) +
                     ", this sweep " + sweep_fingerprint + "); use --fresh to start over");
  }
}

// Task keys hold the program version: resuming a file another version wrote would run every
// task again beside the old rows, each cell twice.
void check_version(const ResultFile& file, const std::string& path,
                   const std::map<std::string, std::string>& attributes) {
  const auto ours = attributes.find(kVersionAttribute);
  const auto theirs = file.attributes.find(kVersionAttribute);
  if (ours == attributes.end() || theirs == file.attributes.end() || ours->second == theirs->second) return;
  throw InputError(path + ": written by fineprune " + theirs->second + ", this is " + ours->second +
                   "; task keys hold the version, so resuming would compute every task again beside the old "
                   "rows: finish it with fineprune " + theirs->second + ", or use --fresh or another --out");
}

template <typename Row>
bool any_without_key(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    if (row.key.empty()) return true;
  }
  return false;
}

// Every row a sweep writes has a key, so a row without one is HDF5's fill value: a flush torn
// at a new chunk left the table's new length on disk but not the chunk.
bool has_fill_rows(const ResultFile& file) {
  return any_without_key(file.results) || any_without_key(file.curves) ||
         any_without_key(file.tasks);
}

// The snapshot's contents if it is a readable file of this sweep; else nothing, and `why`.
std::optional<ResultFile> read_snapshot(const std::string& path,
                                        const std::string& sweep_fingerprint, std::string& why) {
  try {
    ResultFile saved = read_result_file(path + ".snapshot");
    check_fingerprint(saved, path + ".snapshot", sweep_fingerprint);
    return saved;
  } catch (const Error& e) {
    why = e.what();
    return std::nullopt;
  }
}

// The tasks table with one row per key (rows without a key dropped): each key where it first
// appears, holding its latest row. A sweep's writer keeps it so (it overwrites a task's row).
std::vector<TaskRow> one_row_per_key(const std::vector<TaskRow>& rows) {
  std::vector<TaskRow> out;
  std::map<std::string, size_t> at;
  for (const TaskRow& row : rows) {
    if (row.key.empty()) continue;
    const auto [it, added] = at.emplace(row.key, out.size());
    if (added) out.push_back(row); else out[it->second] = row;
  }
  return out;
}

// Puts the snapshot in place of the damaged `path`, keeping that as path + ".broken".
void restore_snapshot(const std::string& path) {
  results_detail::copy_file_atomically(path, path + ".broken.tmp", path + ".broken");
  results_detail::copy_file_atomically(path + ".snapshot", path + ".resume.tmp", path);
}

}  // namespace

std::unique_ptr<ResultWriter> ResultWriter::open_sweep(
    const std::string& path, const std::map<std::string, std::string>& attributes,
    const std::string& sweep_fingerprint, bool fresh) {
  results_detail::silence_hdf5_errors();
  for (const char* reserved : {"schema", kFingerprintAttribute}) {
    if (attributes.count(reserved) != 0) {
      throw IoError(path, std::string("attribute '") + reserved +
                              "' is reserved: open_sweep sets it itself");
    }
  }
  // Before anything is read or replaced: a second run aimed at a file another is writing would
  // find HDF5 unable to open it, take that for a torn file and put the snapshot in its place.
  auto lock = std::make_unique<FileLock>(path + ".lock", path, this_process_description());

  // Builds a complete file at `tmp` with these attributes and rows, then renames it over `path`:
  // whatever fails before the rename, `path` is left as it was.
  const auto build = [&](const std::string& tmp, std::map<std::string, std::string> file_attributes,
                         const std::vector<ResultRow>& results, const std::vector<CurveRow>& curves,
                         const std::vector<TaskRow>& tasks) {
    file_attributes.erase("schema");  // create() writes the current one
    try {
      auto writer = create(tmp, file_attributes);
      Impl& impl = *writer->impl_;
      // Not append_tasks(): rows read back are copied as they are, even ones it would refuse.
      impl.append_records(results_detail::results_layout(), impl.records_of(results));
      impl.append_records(results_detail::curves_layout(), impl.records_of(curves));
      impl.append_records(results_detail::tasks_layout(), impl.records_of(tasks));
      writer->close();
      results_detail::replace_file(tmp, path);
    } catch (...) {
      results_detail::remove_quietly(tmp);
      throw;
    }
  };

  std::set<std::string> done;
  std::vector<TaskRow> tasks;  // as they stand in the file once it is open
  size_t orphans = 0;
  bool recovered = false;
  const bool create_new = fresh || !path_exists(path);
  if (create_new) {
    auto file_attributes = attributes;
    file_attributes[kFingerprintAttribute] = sweep_fingerprint;
    build(path + ".fresh.tmp", file_attributes, {}, {}, {});
  } else {
    ResultFile old;
    std::string unreadable;  // why HDF5 failed on the file
    bool damaged = false;    // a checksum failed: changed bytes, not a torn flush
    try {
      old = read_result_file(path);  // InputError unless a file of this schema
      check_fingerprint(old, path, sweep_fingerprint);
      check_version(old, path, attributes);
    } catch (const IoError& e) {
      unreadable = e.what();
    } catch (const DamagedFileError& e) {
      unreadable = e.what();
      damaged = true;
    }
    if (!unreadable.empty() || has_fill_rows(old)) {
      // A flush torn by a crash: what else it damaged cannot be told, the snapshot is whole.
      std::string why;
      if (std::optional<ResultFile> saved = read_snapshot(path, sweep_fingerprint, why)) {
        restore_snapshot(path);
        old = std::move(*saved);
        recovered = true;
      } else if (damaged) {
        throw DamagedFileError(path, "cannot resume: " + unreadable + "; and no snapshot to resume from (" + why +
                                         "); use --fresh to start over");
      } else if (!unreadable.empty()) {
        throw IoError(path, "unreadable (" + unreadable + ") and no snapshot to resume from (" +
                                why + ")");
      }  // else the fill rows go below, with the orphans: the best that can be done
    }
    done = done_task_keys(old.tasks);
    const std::vector<ResultRow> results = rows_of_keys(old.results, done);
    const std::vector<CurveRow> curves = rows_of_keys(old.curves, done);
    tasks = one_row_per_key(old.tasks);
    size_t keyless_tasks = 0;
    for (const TaskRow& row : old.tasks) keyless_tasks += row.key.empty() ? 1 : 0;
    orphans = (old.results.size() - results.size()) + (old.curves.size() - curves.size()) + keyless_tasks;
    // A file of the previous schema (read upgraded) is rewritten in today's before appending.
    const auto schema = old.attributes.find("schema");
    const bool upgrade = schema != old.attributes.end() && schema->second != kResultSchema;
    if (orphans > 0 || tasks.size() != old.tasks.size() || upgrade) {
      build(path + ".resume.tmp", old.attributes, results, curves, tasks);
    }
  }

  std::unique_ptr<ResultWriter> writer(new ResultWriter());
  Impl& impl = *writer->impl_;
  impl.path = path;
  impl.lock = std::move(lock);
  impl.file = results_detail::owned(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose,
                                    "H5Fopen", path);
  if (!create_new) {
    for (const auto& [name, value] : attributes) {
      results_detail::write_string_attribute(impl.file.get(), name, value, path);
    }
  }
  writer->snapshot();  // flushes first
  impl.sweep = true;
  // Left by a crash while building one: never the file of record, so not worth keeping.
  for (const char* suffix : {".fresh.tmp", ".resume.tmp", ".snapshot.tmp", ".broken.tmp"}) {
    results_detail::remove_quietly(path + suffix);
  }
  for (const TaskRow& row : tasks) impl.task_rows.emplace(row.key, impl.task_row_count++);
  impl.done_keys = std::move(done);
  impl.orphans_removed = orphans;
  impl.recovered = recovered;
  return writer;
}

}  // namespace fineprune
