// Shared by the result-store tests: rows with every field set, row comparison, a temp-dir fixture.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "results/result_tables.h"

namespace fineprune::testing_rows {

namespace fs = std::filesystem;

// Every field distinct per row and none at its default, so a swapped or dropped column shows.
inline ResultRow result_row(int i) {
  ResultRow r;
  r.attack = "badnets_" + std::to_string(i);
  r.trigger = i % 2 ? "blend" : "patch";
  r.target_mode = i % 2 ? "all_to_all" : "all_to_one";
  r.target_label = i % 2 ? -1 : i;
  r.poison_rate = 0.01 * (i + 1);
  r.pruning_aware = i % 2;
  r.defense = "fineprune";
  r.prune_mode = i % 2 ? "rate" : "stop";
  r.prune_rate = 0.125 + i;
  r.stop_drop = i % 2 ? 0.0 : 0.02 + 0.01 * i;
  r.pruned_channels = 100 + i;
  r.total_channels = 512 + i;
  r.seed = 1000000000000LL + i;  // beyond int32, to catch a narrowed column
  r.clean_acc = 0.9 + 0.001 * i;
  r.asr = 0.5 - 0.01 * i;
  r.robust_acc = 0.3 + 0.002 * i;
  r.val_acc = 0.88 + 0.003 * i;
  r.asr_counts = i % 2 ? "all" : "non_target";
  r.finetune_epochs = 2.5 + i;
  r.wall_s = 12.25 * (i + 1);
  r.train_wall_s = 300.5 + i;
  r.model = "resnet18";
  r.dataset = "cifar10";
  r.key = std::string(kKeyLength - 1, static_cast<char>('a' + i % 26));  // longest allowed
  return r;
}

inline CurveRow curve_row(int i) {
  CurveRow c;
  c.attack = "wanet_" + std::to_string(i);
  c.model = "max_pool-" + std::to_string(i);
  c.seed = 7 + i;
  c.channels_pruned = 8 * i;
  c.fraction = i / 64.0;
  c.val_acc = 0.9 - 0.01 * i;
  c.clean_acc = 0.91 - 0.01 * i;
  c.asr = 0.99 - 0.05 * i;
  c.robust_acc = 0.01 * i;
  c.is_stop = i == 3 ? 1 : 0;
  c.key = std::string(kKeyLength - 1, static_cast<char>('A' + i % 26));
  return c;
}

inline TaskRow task_row(int i) {
  TaskRow t;
  t.key = std::string(kKeyLength - 1, static_cast<char>('0' + i % 10));
  t.kind = i % 2 ? "defense" : "train";
  t.attack = "badnets_" + std::to_string(i);
  t.model = "global_pool-" + std::to_string(i);
  t.seed = 1000000000000LL + i;
  t.prune_mode = i % 2 ? "rate" : "stop";
  t.prune_rate = i % 2 ? 0.125 + i : 0.0;
  t.stop_drop = i % 2 ? 0.0 : 0.0625 + i;
  const char* statuses[] = {"done", "failed", "blocked"};
  t.status = statuses[i % 3];
  t.attempts = 1 + i;
  t.worker = i % 4 == 3 ? -1 : i;
  t.host = "node-" + std::to_string(i);
  t.wall_s = 3.5 * (i + 1);
  t.model_digest = t.status == "done" ? std::string(64, static_cast<char>('a' + i % 6)) : "";
  t.error = t.status == "done" ? "" : "CUDA out of memory, try " + std::to_string(i);
  return t;
}

#define FP_EXPECT_FIELD(f) EXPECT_EQ(a.f, b.f) << "column " #f

inline void expect_same(const ResultRow& a, const ResultRow& b) {
  FP_EXPECT_FIELD(attack);
  FP_EXPECT_FIELD(trigger);
  FP_EXPECT_FIELD(target_mode);
  FP_EXPECT_FIELD(target_label);
  FP_EXPECT_FIELD(poison_rate);
  FP_EXPECT_FIELD(pruning_aware);
  FP_EXPECT_FIELD(defense);
  FP_EXPECT_FIELD(prune_mode);
  FP_EXPECT_FIELD(prune_rate);
  FP_EXPECT_FIELD(stop_drop);
  FP_EXPECT_FIELD(pruned_channels);
  FP_EXPECT_FIELD(total_channels);
  FP_EXPECT_FIELD(seed);
  FP_EXPECT_FIELD(clean_acc);
  FP_EXPECT_FIELD(asr);
  FP_EXPECT_FIELD(robust_acc);
  FP_EXPECT_FIELD(val_acc);
  FP_EXPECT_FIELD(asr_counts);
  FP_EXPECT_FIELD(finetune_epochs);
  FP_EXPECT_FIELD(wall_s);
  FP_EXPECT_FIELD(train_wall_s);
  FP_EXPECT_FIELD(model);
  FP_EXPECT_FIELD(dataset);
  FP_EXPECT_FIELD(key);
}

inline void expect_same(const CurveRow& a, const CurveRow& b) {
  FP_EXPECT_FIELD(attack);
  FP_EXPECT_FIELD(model);
  FP_EXPECT_FIELD(seed);
  FP_EXPECT_FIELD(channels_pruned);
  FP_EXPECT_FIELD(fraction);
  FP_EXPECT_FIELD(val_acc);
  FP_EXPECT_FIELD(clean_acc);
  FP_EXPECT_FIELD(asr);
  FP_EXPECT_FIELD(robust_acc);
  FP_EXPECT_FIELD(is_stop);
  FP_EXPECT_FIELD(key);
}

inline void expect_same(const TaskRow& a, const TaskRow& b) {
  FP_EXPECT_FIELD(key);
  FP_EXPECT_FIELD(kind);
  FP_EXPECT_FIELD(attack);
  FP_EXPECT_FIELD(model);
  FP_EXPECT_FIELD(seed);
  FP_EXPECT_FIELD(prune_mode);
  FP_EXPECT_FIELD(prune_rate);
  FP_EXPECT_FIELD(stop_drop);
  FP_EXPECT_FIELD(status);
  FP_EXPECT_FIELD(attempts);
  FP_EXPECT_FIELD(worker);
  FP_EXPECT_FIELD(host);
  FP_EXPECT_FIELD(wall_s);
  FP_EXPECT_FIELD(model_digest);
  FP_EXPECT_FIELD(error);
}

#undef FP_EXPECT_FIELD

template <typename Row>
void expect_rows(const std::vector<Row>& got, const std::vector<Row>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_same(got[i], want[i]);
  }
}

template <typename Row>
std::vector<Row> rows(int first, int count, Row (*make)(int)) {
  std::vector<Row> out;
  for (int i = first; i < first + count; ++i) out.push_back(make(i));
  return out;
}

// Each test gets its own directory, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "fineprune_results_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `f` and returns the message of the exception of type E it throws ("" if none).
  template <typename E, typename F>
  static std::string message_of(F&& f) {
    try {
      f();
    } catch (const E& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected an exception";
    return "";
  }

  fs::path dir_;
};

}  // namespace fineprune::testing_rows
