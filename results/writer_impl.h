// ResultWriter's state, shared by the writer (result_tables.cpp) and open_sweep (sweep_open.cpp).
#pragma once

#include <hdf5_hl.h>

#include <chrono>
#include <cstring>
#include <map>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/file_lock.h"
#include "results/hdf5_handle.h"
#include "results/result_tables.h"
#include "results/table_layout.h"

namespace fineprune {

struct ResultWriter::Impl {
  std::string path;
  std::unique_ptr<FileLock> lock;  // a sweep's writer holds path + ".lock" while it lives
  results_detail::Handle file;
  std::set<std::string> done_keys;
  std::map<std::string, hsize_t> task_rows;  // key -> its row in `tasks`
  hsize_t task_row_count = 0;
  size_t orphans_removed = 0;
  bool recovered = false;
  // A sweep's writer (open_sweep): rows need a key, and snapshots are taken after a task
  // outcome once the time since the last one exceeds kSnapshotCostFactor times what it took.
  static constexpr double kSnapshotCostFactor = 100;
  bool sweep = false;
  std::chrono::steady_clock::time_point last_snapshot;
  double snapshot_seconds = 0;
  // Set when a write failed half-way: the tables may then disagree (rows without their task
  // row), and appending more could duplicate rows, so appends are refused from then on.
  std::string failed_write;

  hid_t open_file(const char* operation) const {
    if (!file.valid()) throw IoError(path, std::string(operation) + " after close()");
    return file.get();
  }

  hid_t open_for_append() const {
    const hid_t id = open_file("append");
    if (!failed_write.empty()) {
      throw IoError(path, "append after an earlier write failed (" + failed_write +
                              "); reopen the file with open_sweep to recover");
    }
    return id;
  }

  // Runs `write`; if it throws, marks the writer failed before passing the error on.
  template <typename F>
  void guarded(F&& write) {
    try {
      write();
    } catch (const std::exception& e) {
      failed_write = e.what();
      throw;
    }
  }

  // In a sweep's file a row without a key would be taken for the trace of a torn flush.
  template <typename Row>
  void check_keys(const std::vector<Row>& rows, const char* table) const {
    if (!sweep) return;
    for (const Row& row : rows) {
      if (row.key.empty()) {
        throw IoError(path, std::string("table '") + table + "': a row without a key, in a sweep");
      }
    }
  }

  // Every row is converted before any is written, so a bad string leaves the table as it was.
  template <typename Row>
  results_detail::Records records_of(const std::vector<Row>& rows) const {
    return results_detail::to_records(rows, path);
  }

  void append_records(const results_detail::TableLayout& layout, const results_detail::Records& records) {
    const hid_t id = open_for_append();
    if (records.count == 0) return;
    guarded([&] {
      results_detail::check(
          H5TBappend_records(id, layout.name, records.count, layout.record_size,
                             layout.offsets.data(), layout.sizes.data(), records.bytes.data()),
          std::string("H5TBappend_records '") + layout.name + "'", path);
    });
  }

  // Writes task records: a key that already has a row gets it overwritten in place, so the
  // `tasks` table holds one row per task, its final state; a new key is appended.
  // `records` are `rows` packed (records_of), in order.
  void write_task_records(const std::vector<TaskRow>& rows, const results_detail::Records& records) {
    const results_detail::TableLayout& layout = results_detail::tasks_layout();
    const hid_t id = open_for_append();
    guarded([&] {
      for (size_t i = 0; i < records.count; ++i) {
        const char* record = records.at(i, layout);
        const std::string& key = rows[i].key;
        const auto row = task_rows.find(key);
        if (row == task_rows.end()) {
          results_detail::check(H5TBappend_records(id, layout.name, 1, layout.record_size, layout.offsets.data(),
                                                   layout.sizes.data(), record),
                                "H5TBappend_records 'tasks'", path);
          task_rows.emplace(key, task_row_count++);
        } else {
          results_detail::check(H5TBwrite_records(id, layout.name, row->second, 1, layout.record_size,
                                                  layout.offsets.data(), layout.sizes.data(), record),
                                "H5TBwrite_records 'tasks'", path);
        }
      }
    });
  }

  // Tracks done_keys as task rows are written: the latest row of a key wins.
  void note_tasks(const std::vector<TaskRow>& rows) {
    for (const TaskRow& row : rows) {
      if (row.status == "done") {
        done_keys.insert(row.key);
      } else {
        done_keys.erase(row.key);
      }
    }
  }
};

}  // namespace fineprune
