// Checks on the result file of a sweep: sorting, row identity, and gtest comparisons of tables.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune::mpi_test {

// Rows sorted by (key, defense, prune_mode, prune_rate) and by (key, channels_pruned).
std::vector<ResultRow> sorted(std::vector<ResultRow> rows);
std::vector<CurveRow> sorted(std::vector<CurveRow> rows);

// The latest tasks row of each key.
std::map<std::string, TaskRow> latest_task_rows(const std::vector<TaskRow>& tasks);

// gtest assertions (non-fatal), each failure naming the row. `what` prefixes the messages.
// Every results and curves row has a key of a done task; no two results rows share
// (key, defense, prune_mode, prune_rate); no two curves rows share (key, channels_pruned); and
// no key has two tasks rows (a task run again by a later session has its row overwritten).
void expect_consistent(const ResultFile& file, const std::string& what);
// Same rows, all columns equal exactly but the wall times (wall_s, train_wall_s).
void expect_same_results(const std::vector<ResultRow>& expected, const std::vector<ResultRow>& actual,
                         const std::string& what);

// The same rows (task, defense, pruning mode; for rates the same channels pruned) with metrics
// that agree on average: for runs that round differently, such as a data-parallel group against
// one rank, whose tiny differences SGD amplifies over hundreds of steps. The mean absolute
// difference of clean and validation accuracy must stay within `mean_acc`, of ASR within
// `mean_asr`.
void expect_close_results(const std::vector<ResultRow>& expected, const std::vector<ResultRow>& actual,
                          const std::string& what, double mean_acc, double mean_asr);
void expect_same_curves(const std::vector<CurveRow>& expected, const std::vector<CurveRow>& actual,
                        const std::string& what);
// Identical tables, wall times included (a resume that did nothing).
void expect_identical_tables(const ResultFile& expected, const ResultFile& actual, const std::string& what);

}  // namespace fineprune::mpi_test
