// Checks on the result file of a sweep.
#include "sweep_tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

namespace fineprune::mpi_test {

namespace {

auto result_id(const ResultRow& r) { return std::make_tuple(r.key, r.defense, r.prune_mode, r.prune_rate); }
auto curve_id(const CurveRow& r) { return std::make_tuple(r.key, r.channels_pruned); }

std::string name(const ResultRow& r) {
  return "results row [" + r.key.substr(0, 12) + " " + r.attack + " seed " + std::to_string(r.seed) + " " +
         r.defense + " " + r.prune_mode + " " + std::to_string(r.prune_rate) + "]";
}

std::string name(const CurveRow& r) {
  return "curves row [" + r.key.substr(0, 12) + " " + r.attack + " seed " + std::to_string(r.seed) +
         " channels " + std::to_string(r.channels_pruned) + "]";
}

// Every column but the wall times; `timed` adds them.
auto result_values(const ResultRow& r) {
  return std::make_tuple(r.attack, r.trigger, r.target_mode, r.target_label, r.poison_rate, r.pruning_aware,
                         r.defense, r.prune_mode, r.prune_rate, r.pruned_channels, r.total_channels, r.seed,
                         r.clean_acc, r.asr, r.robust_acc, r.val_acc, r.asr_counts, r.finetune_epochs, r.model,
                         r.dataset, r.key);
}

auto curve_values(const CurveRow& r) {
  return std::make_tuple(r.attack, r.model, r.seed, r.channels_pruned, r.fraction, r.val_acc, r.clean_acc, r.asr,
                         r.robust_acc, r.is_stop, r.key);
}

auto task_values(const TaskRow& r) {
  return std::make_tuple(r.key, r.kind, r.attack, r.model, r.seed, r.prune_mode, r.prune_rate, r.stop_drop, r.status, r.attempts,
                         r.worker, r.host, r.wall_s, r.error);
}

}  // namespace

std::vector<ResultRow> sorted(std::vector<ResultRow> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ResultRow& a, const ResultRow& b) { return result_id(a) < result_id(b); });
  return rows;
}

std::vector<CurveRow> sorted(std::vector<CurveRow> rows) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const CurveRow& a, const CurveRow& b) { return curve_id(a) < curve_id(b); });
  return rows;
}

std::map<std::string, TaskRow> latest_task_rows(const std::vector<TaskRow>& tasks) {
  std::map<std::string, TaskRow> latest;
  for (const TaskRow& t : tasks) latest[t.key] = t;
  return latest;
}

void expect_consistent(const ResultFile& file, const std::string& what) {
  const std::set<std::string> done = done_task_keys(file.tasks);
  std::set<decltype(result_id(ResultRow{}))> result_ids;
  for (const ResultRow& r : file.results) {
    EXPECT_FALSE(r.key.empty()) << what << ": " << name(r) << " has no key";
    EXPECT_TRUE(done.count(r.key)) << what << ": " << name(r) << " has no done task";
    EXPECT_TRUE(result_ids.insert(result_id(r)).second) << what << ": " << name(r) << " is duplicated";
  }
  std::set<decltype(curve_id(CurveRow{}))> curve_ids;
  for (const CurveRow& r : file.curves) {
    EXPECT_FALSE(r.key.empty()) << what << ": " << name(r) << " has no key";
    EXPECT_TRUE(done.count(r.key)) << what << ": " << name(r) << " has no done task";
    EXPECT_TRUE(curve_ids.insert(curve_id(r)).second) << what << ": " << name(r) << " is duplicated";
  }
  std::set<std::string> task_keys;
  for (const TaskRow& t : file.tasks) {
    EXPECT_TRUE(task_keys.insert(t.key).second)
        << what << ": task " << t.key.substr(0, 12) << " (" << t.kind << ") has two tasks rows";
  }
}

void expect_same_results(const std::vector<ResultRow>& expected, const std::vector<ResultRow>& actual,
                         const std::string& what) {
  const std::vector<ResultRow> e = sorted(expected), a = sorted(actual);
  ASSERT_EQ(e.size(), a.size()) << what << ": results row counts differ";
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_TRUE(result_values(e[i]) == result_values(a[i]))
        << what << ": " << name(a[i]) << " differs from " << name(e[i]) << ": clean_acc " << a[i].clean_acc
        << " vs " << e[i].clean_acc << ", asr " << a[i].asr << " vs " << e[i].asr << ", val_acc "
        << a[i].val_acc << " vs " << e[i].val_acc << ", pruned " << a[i].pruned_channels << " vs "
        << e[i].pruned_channels;
  }
}

void expect_close_results(const std::vector<ResultRow>& expected, const std::vector<ResultRow>& actual,
                          const std::string& what, double mean_acc, double mean_asr) {
  const std::vector<ResultRow> e = sorted(expected), a = sorted(actual);
  ASSERT_EQ(e.size(), a.size()) << what << ": results row counts differ";
  double clean = 0, val = 0, asr = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    ASSERT_TRUE(e[i].key == a[i].key && e[i].defense == a[i].defense && e[i].prune_mode == a[i].prune_mode)
        << what << ": " << name(a[i]) << " has no counterpart (" << name(e[i]) << ")";
    if (e[i].prune_mode == "rate") EXPECT_EQ(e[i].pruned_channels, a[i].pruned_channels) << what << ": " << name(a[i]);
    clean += std::abs(e[i].clean_acc - a[i].clean_acc);
    val += std::abs(e[i].val_acc - a[i].val_acc);
    asr += std::abs(e[i].asr - a[i].asr);
  }
  const double n = static_cast<double>(std::max<size_t>(1, e.size()));
  EXPECT_LE(clean / n, mean_acc) << what << ": mean |clean_acc difference|";
  EXPECT_LE(val / n, mean_acc) << what << ": mean |val_acc difference|";
  EXPECT_LE(asr / n, mean_asr) << what << ": mean |asr difference|";
  std::printf("%s: mean |difference| clean_acc %.4f, val_acc %.4f, asr %.4f over %zu rows\n", what.c_str(),
              clean / n, val / n, asr / n, e.size());
}

void expect_same_curves(const std::vector<CurveRow>& expected, const std::vector<CurveRow>& actual,
                        const std::string& what) {
  const std::vector<CurveRow> e = sorted(expected), a = sorted(actual);
  ASSERT_EQ(e.size(), a.size()) << what << ": curves row counts differ";
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_TRUE(curve_values(e[i]) == curve_values(a[i]))
        << what << ": " << name(a[i]) << " differs from " << name(e[i]) << ": val_acc " << a[i].val_acc
        << " vs " << e[i].val_acc << ", asr " << a[i].asr << " vs " << e[i].asr;
  }
}

void expect_identical_tables(const ResultFile& expected, const ResultFile& actual, const std::string& what) {
  ASSERT_EQ(expected.results.size(), actual.results.size()) << what << ": results row counts differ";
  ASSERT_EQ(expected.curves.size(), actual.curves.size()) << what << ": curves row counts differ";
  ASSERT_EQ(expected.tasks.size(), actual.tasks.size()) << what << ": tasks row counts differ";
  for (size_t i = 0; i < expected.results.size(); ++i) {
    const ResultRow &e = expected.results[i], &a = actual.results[i];
    EXPECT_TRUE(result_values(e) == result_values(a) && e.wall_s == a.wall_s && e.train_wall_s == a.train_wall_s)
        << what << ": results row " << i << " changed: " << name(e) << " -> " << name(a);
  }
  for (size_t i = 0; i < expected.curves.size(); ++i) {
    EXPECT_TRUE(curve_values(expected.curves[i]) == curve_values(actual.curves[i]))
        << what << ": curves row " << i << " changed: " << name(expected.curves[i]);
  }
  for (size_t i = 0; i < expected.tasks.size(); ++i) {
    EXPECT_TRUE(task_values(expected.tasks[i]) == task_values(actual.tasks[i]))
        << what << ": tasks row " << i << " changed: " << expected.tasks[i].key.substr(0, 12);
  }
}

}  // namespace fineprune::mpi_test
