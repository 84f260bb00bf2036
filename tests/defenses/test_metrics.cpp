// Tests of the metrics on hand-made predictions: validation and clean accuracy, ASR over
// non-target or all triggered images, robust accuracy, empty sets, and evaluate().
#include <gtest/gtest.h>

#include "common/experiment_spec.h"
#include "workers/defenses/metrics.h"
#include "workers/models/model_factory.h"
#include "workers/training/trainer.h"

namespace fineprune {
namespace {

torch::Tensor longs(std::vector<int64_t> v) { return torch::tensor(v, torch::kInt64); }

// Target label 0; triggered true labels {0,1,2,3,0,1}: rows 1, 2, 3 and 5 are non-target.
EvalData hand_made(bool asr_counts_all) {
  EvalData d;
  d.validation = {torch::zeros({4, 1, 2, 2}), longs({0, 1, 2, 3})};
  d.test = {torch::zeros({5, 1, 2, 2}), longs({0, 1, 1, 0, 2})};
  d.triggered.x = torch::zeros({6, 1, 2, 2});
  d.triggered.true_labels = longs({0, 1, 2, 3, 0, 1});
  d.triggered.attack_labels = torch::zeros({6}, torch::kInt64);
  d.triggered.non_target = d.triggered.true_labels.ne(0);
  d.asr_counts_all = asr_counts_all;
  return d;
}

TEST(Metrics, FromHandMadePredictions) {
  const torch::Tensor val = longs({0, 1, 2, 0});        // 3 of 4
  const torch::Tensor test = longs({0, 1, 0, 0, 2});    // 4 of 5
  const torch::Tensor trig = longs({0, 0, 2, 0, 0, 2});  // to target: rows 0, 1, 3, 4
  const Metrics m = metrics_from_predictions(hand_made(false), val, test, trig);
  EXPECT_DOUBLE_EQ(m.val_acc, 0.75);
  EXPECT_DOUBLE_EQ(m.clean_acc, 0.8);
  EXPECT_DOUBLE_EQ(m.asr, 0.5);          // non-target rows 1, 2, 3, 5: rows 1 and 3 hit
  EXPECT_DOUBLE_EQ(m.robust_acc, 0.25);  // non-target rows still right: row 2 only

  const Metrics all = metrics_from_predictions(hand_made(true), val, test, trig);
  EXPECT_DOUBLE_EQ(all.asr, 4.0 / 6.0);  // every triggered row counts
  EXPECT_DOUBLE_EQ(all.robust_acc, 0.25);  // robust accuracy is always over non-target rows
  EXPECT_DOUBLE_EQ(all.val_acc, 0.75);
  EXPECT_DOUBLE_EQ(all.clean_acc, 0.8);
}

TEST(Metrics, PerfectWorstAndEmpty) {
  const EvalData d = hand_made(false);
  const Metrics best = metrics_from_predictions(d, d.validation.y, d.test.y, d.triggered.true_labels);
  EXPECT_DOUBLE_EQ(best.val_acc, 1.0);
  EXPECT_DOUBLE_EQ(best.clean_acc, 1.0);
  EXPECT_DOUBLE_EQ(best.asr, 0.0);
  EXPECT_DOUBLE_EQ(best.robust_acc, 1.0);
  const Metrics backdoored =
      metrics_from_predictions(d, d.validation.y, d.test.y, d.triggered.attack_labels);
  EXPECT_DOUBLE_EQ(backdoored.asr, 1.0);
  EXPECT_DOUBLE_EQ(backdoored.robust_acc, 0.0);

  // Empty sets give zero everywhere.
  EvalData e;
  const torch::Tensor none = torch::zeros({0}, torch::kInt64);
  e.validation = {torch::zeros({0, 1, 2, 2}), none};
  e.test = e.validation;
  e.triggered = {torch::zeros({0, 1, 2, 2}), none, none, torch::zeros({0}, torch::kBool)};
  const Metrics m = metrics_from_predictions(e, none, none, none);
  EXPECT_EQ(m.val_acc, 0.0);
  EXPECT_EQ(m.clean_acc, 0.0);
  EXPECT_EQ(m.asr, 0.0);
  EXPECT_EQ(m.robust_acc, 0.0);
}

TEST(Metrics, EvaluateUsesTheModelsPredictions) {
  torch::set_num_threads(1);
  torch::manual_seed(4);
  ModelSpec spec;
  spec.widths = {4, 8, 8};
  spec.hidden = 16;
  auto model = make_model(spec, {1, 28, 28}, 3);
  EvalData d;
  d.validation = {torch::rand({7, 1, 28, 28}), torch::randint(3, {7}, torch::kInt64)};
  d.test = {torch::rand({9, 1, 28, 28}), torch::randint(3, {9}, torch::kInt64)};
  d.triggered.x = torch::rand({9, 1, 28, 28});
  d.triggered.true_labels = d.test.y;
  d.triggered.attack_labels = torch::zeros({9}, torch::kInt64);
  d.triggered.non_target = d.test.y.ne(0);
  const Metrics got = evaluate(*model, d);
  const Metrics want = metrics_from_predictions(d, predict(*model, d.validation.x),
                                                predict(*model, d.test.x), predict(*model, d.triggered.x));
  EXPECT_DOUBLE_EQ(got.val_acc, want.val_acc);
  EXPECT_DOUBLE_EQ(got.clean_acc, want.clean_acc);
  EXPECT_DOUBLE_EQ(got.asr, want.asr);
  EXPECT_DOUBLE_EQ(got.robust_acc, want.robust_acc);
  EXPECT_DOUBLE_EQ(got.val_acc, accuracy(*model, d.validation));
}

}  // namespace
}  // namespace fineprune
