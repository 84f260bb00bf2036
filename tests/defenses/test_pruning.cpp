// Tests of pruning: mean activations and the pruning order, the incremental pruning curve against
// the naive one (re-running the network on a copy) on small backdoored models, the stopping
// point and fixed-rate channel counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "common/experiment_spec.h"
#include "workers/attacks/poisoning.h"
#include "workers/defenses/pruning.h"
#include "workers/models/model_factory.h"
#include "workers/training/trainer.h"

namespace fineprune {
namespace {

constexpr int64_t kClasses = 4;

// Four classes told apart by which quadrant of the image is bright, plus noise. With
// `by_brightness`, by how bright the whole image is instead: a head that averages the pruned
// layer over positions (global_pool) cannot tell quadrants apart.
TensorSet quadrant_set(int64_t n, ImageShape s, uint64_t seed, bool by_brightness = false) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor x = torch::rand({n, s.channels, s.height, s.width}, gen) * 0.4;
  const torch::Tensor y = torch::arange(n, torch::kInt64).remainder(kClasses);
  const int64_t h2 = s.height / 2, w2 = s.width / 2;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t q = i % kClasses;
    if (by_brightness) {
      x[i] += 0.2 * static_cast<double>(q);
    } else {
      x[i].slice(1, (q / 2) * h2, (q / 2 + 1) * h2).slice(2, (q % 2) * w2, (q % 2 + 1) * w2) += 0.5;
    }
  }
  return {x.clamp(0, 1), y};
}

struct CurveCase {
  std::string label;
  std::string name;
  ImageShape shape;
  std::vector<int64_t> widths;
  // DeepID's head also sees the pooled third stage, and trained this small it leans on that
  // path so much that pruning conv4 flips no prediction. Scaling conv4 (weights and bias; ReLU
  // is positively homogeneous) by this factor after training makes the prunable layer matter.
  double amplify = 1.0;
  std::string head = "flatten";  // small_cnn: how the pruned layer reaches the dense head
  bool by_brightness = false;    // classes by brightness, not by quadrant (see quadrant_set)
  int64_t epochs = 10;           // of the backdoored training
};

std::ostream& operator<<(std::ostream& os, const CurveCase& c) { return os << c.label; }

ModelRecipe recipe_of(const CurveCase& c) {
  ModelSpec spec;
  spec.name = c.name;
  spec.widths = c.widths;
  spec.hidden = 16;
  spec.head = c.head;
  return {spec, c.shape, kClasses};
}

AttackSpec patch_attack() {
  AttackSpec a;
  a.name = "badnets";
  a.trigger.type = "patch";
  a.trigger.size = 5;
  a.trigger.margin = 1;
  a.target.label = 0;
  a.poison_rate = 0.2;
  return a;
}

// A small backdoored model and the data it is scored on.
struct Backdoored {
  ModelRecipe recipe;
  std::shared_ptr<PrunableNet> model;
  EvalData eval;
};

Backdoored backdoored(const CurveCase& c) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  Backdoored b{recipe_of(c), recipe_of(c).make(), {}};
  const AttackSpec a = patch_attack();
  const auto trigger = make_trigger(a.trigger, c.shape);
  const PoisonedSet train =
      poison_training_set(quadrant_set(160, c.shape, 1, c.by_brightness), a, *trigger, kClasses, 1);
  TrainSpec spec;
  spec.epochs = c.epochs;
  spec.batch_size = 16;
  spec.lr = 0.02;
  train_model(*b.model, train.data, spec, 1);
  if (c.amplify != 1.0) {
    torch::NoGradGuard no_grad;
    for (const auto& p : b.model->named_parameters(true)) {
      if (p.key().rfind("conv4.", 0) == 0) p.value().mul_(c.amplify);
    }
  }
  b.eval.validation = quadrant_set(60, c.shape, 2, c.by_brightness);
  b.eval.test = quadrant_set(60, c.shape, 3, c.by_brightness);
  b.eval.triggered = triggered_test_set(b.eval.test, a, *trigger, kClasses);
  return b;
}

void expect_same_state(PrunableNet& a, PrunableNet& b) {
  auto pb = b.named_parameters(true);
  for (const auto& p : a.named_parameters(true)) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  auto bb = b.named_buffers(true);
  for (const auto& x : a.named_buffers(true)) EXPECT_TRUE(torch::equal(x.value(), bb[x.key()])) << x.key();
}

class PruningCurveTest : public ::testing::TestWithParam<CurveCase> {};

// THE KEY TEST: the incremental curve (one trunk pass, per-channel head terms subtracted) equals
// the naive one (prune, re-run the whole network) point by point. Exact equality is expected in
// practice; float rounding of the subtracted terms may flip a near-tie, so at most one image's
// worth of difference per metric is allowed, and the measured differences are printed. Then the
// same on a copy with two channels already pruned.
TEST_P(PruningCurveTest, IncrementalEqualsNaive) {
  Backdoored b = backdoored(GetParam());
  PrunableNet& model = *b.model;
  const std::vector<int64_t> order = pruning_order(model, b.eval.validation.x);
  ASSERT_EQ(static_cast<int64_t>(order.size()), model.prunable_channels());
  auto untouched = b.recipe.copy_of(model);

  const std::vector<CurvePoint> fast = pruning_curve(model, b.eval, order);
  expect_same_state(model, *untouched);  // the incremental curve leaves the model as it was
  EXPECT_TRUE(model.pruned_channels().empty());

  auto copy = b.recipe.copy_of(model);
  const std::vector<CurvePoint> naive = pruning_curve_naive(*copy, b.eval, order);
  EXPECT_EQ(copy->pruned_channels().size(), order.size());

  ASSERT_EQ(fast.size(), order.size() + 1);
  ASSERT_EQ(naive.size(), fast.size());
  const double val_n = static_cast<double>(b.eval.validation.size());
  const double test_n = static_cast<double>(b.eval.test.size());
  const double nt_n = static_cast<double>(b.eval.triggered.non_target.sum().item<int64_t>());
  double max_diff[4] = {0, 0, 0, 0};
  int points_differing = 0;
  for (size_t k = 0; k < fast.size(); ++k) {
    EXPECT_EQ(fast[k].pruned, static_cast<int64_t>(k));
    EXPECT_EQ(naive[k].pruned, static_cast<int64_t>(k));
    EXPECT_DOUBLE_EQ(fast[k].fraction, static_cast<double>(k) / model.prunable_channels());
    EXPECT_DOUBLE_EQ(naive[k].fraction, fast[k].fraction);
    const Metrics& f = fast[k].metrics;
    const Metrics& n = naive[k].metrics;
    const double d[4] = {std::abs(f.val_acc - n.val_acc), std::abs(f.clean_acc - n.clean_acc),
                         std::abs(f.asr - n.asr), std::abs(f.robust_acc - n.robust_acc)};
    EXPECT_LE(d[0], 1.0 / val_n + 1e-9) << "val_acc at k=" << k;
    EXPECT_LE(d[1], 1.0 / test_n + 1e-9) << "clean_acc at k=" << k;
    EXPECT_LE(d[2], 1.0 / nt_n + 1e-9) << "asr at k=" << k;
    EXPECT_LE(d[3], 1.0 / nt_n + 1e-9) << "robust_acc at k=" << k;
    bool differs = false;
    for (int i = 0; i < 4; ++i) {
      max_diff[i] = std::max(max_diff[i], d[i]);
      differs = differs || d[i] > 1e-9;
    }
    points_differing += differs ? 1 : 0;
  }
  std::printf("[curve %s] %zu points, %d differ by >1e-9; max |diff| val %.3g clean %.3g asr %.3g "
              "robust %.3g; unpruned val %.3f clean %.3f asr %.3f, all pruned val %.3f asr %.3f\n",
              GetParam().label.c_str(), fast.size(), points_differing, max_diff[0], max_diff[1],
              max_diff[2], max_diff[3], fast.front().metrics.val_acc, fast.front().metrics.clean_acc,
              fast.front().metrics.asr, fast.back().metrics.val_acc, fast.back().metrics.asr);
  ::testing::Test::RecordProperty("points_differing", points_differing);

  // The first point is the unpruned model.
  const Metrics base = evaluate(*untouched, b.eval);
  EXPECT_DOUBLE_EQ(fast.front().metrics.val_acc, base.val_acc);
  EXPECT_DOUBLE_EQ(fast.front().metrics.asr, base.asr);
  // The curve is not flat (a model that learnt something loses it when every channel is pruned):
  // the comparison is not vacuous.
  bool changes = false;
  for (const auto& p : fast) {
    changes = changes || p.metrics.val_acc != base.val_acc || p.metrics.asr != base.asr ||
              p.metrics.robust_acc != base.robust_acc;
  }
  EXPECT_TRUE(changes) << "pruning never changed a metric: a vacuous comparison";

  // With channels already pruned, the order skips them and both curves still agree.
  auto partly = b.recipe.copy_of(*untouched);
  partly->prune_channels({0, 3});
  const std::vector<int64_t> rest = pruning_order(*partly, b.eval.validation.x);
  EXPECT_EQ(static_cast<int64_t>(rest.size()), partly->prunable_channels() - 2);
  EXPECT_EQ(std::count(rest.begin(), rest.end(), 0), 0);
  EXPECT_EQ(std::count(rest.begin(), rest.end(), 3), 0);
  const auto fast_rest = pruning_curve(*partly, b.eval, rest);
  auto partly_copy = b.recipe.copy_of(*partly);
  const auto naive_rest = pruning_curve_naive(*partly_copy, b.eval, rest);
  ASSERT_EQ(fast_rest.size(), naive_rest.size());
  EXPECT_EQ(fast_rest.back().pruned, partly->prunable_channels() - 2);  // new prunings only
  for (size_t k = 0; k < fast_rest.size(); ++k) {
    const Metrics& f = fast_rest[k].metrics;
    const Metrics& n = naive_rest[k].metrics;
    EXPECT_LE(std::abs(f.val_acc - n.val_acc), 1.0 / val_n + 1e-9) << "partly pruned, k=" << k;
    EXPECT_LE(std::abs(f.clean_acc - n.clean_acc), 1.0 / test_n + 1e-9) << "partly pruned, k=" << k;
    EXPECT_LE(std::abs(f.asr - n.asr), 1.0 / nt_n + 1e-9) << "partly pruned, k=" << k;
    EXPECT_LE(std::abs(f.robust_acc - n.robust_acc), 1.0 / nt_n + 1e-9) << "partly pruned, k=" << k;
  }
}

// The "vgg" case fails until the pooling-count bug of workers/models/vgg.h:23 is fixed (forward
// throws "mat1 and mat2 shapes cannot be multiplied" for 3 or more widths; see
// tests/models/model_cases.h). "vgg_one_stage" (one conv, BatchNorm, pooling) works meanwhile.
INSTANTIATE_TEST_SUITE_P(
    Models, PruningCurveTest,
    ::testing::Values(CurveCase{"small_cnn", "small_cnn", {1, 28, 28}, {8, 16, 16}},
                      CurveCase{"small_cnn_max_pool", "small_cnn", {1, 28, 28}, {8, 16, 16}, 1.0, "max_pool"},
                      CurveCase{"small_cnn_global_pool", "small_cnn", {1, 28, 28}, {8, 16, 16}, 1.0, "global_pool", true, 40},
                      CurveCase{"deepid", "deepid", {3, 55, 47}, {8, 16, 16, 16}, 10.0},
                      CurveCase{"vgg", "vgg", {3, 32, 32}, {8, 8, 16, 16}},
                      CurveCase{"vgg_one_stage", "vgg", {3, 32, 32}, {16}}),
    [](const auto& info) { return info.param.label; });

// --- mean activation and order ---------------------------------------------------------------

class PruningOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(7);
    ModelSpec spec;
    spec.widths = {4, 8, 10};
    spec.hidden = 16;
    model = make_model(spec, {1, 28, 28}, kClasses);
    x = torch::rand({12, 1, 28, 28});
  }
  std::shared_ptr<PrunableNet> model;
  torch::Tensor x;
};

// The mean is over images and positions; the order is by increasing mean, ties by lower index,
// with already-pruned channels left out.
TEST_F(PruningOrderTest, MeanActivationAndOrder) {
  {
    const torch::Tensor mean = mean_channel_activation(*model, x);
    ASSERT_EQ(mean.sizes(), (std::vector<int64_t>{10}));
    torch::NoGradGuard no_grad;
    const torch::Tensor want = model->trunk(x).act.mean({0, 2, 3}).to(torch::kFloat64);
    EXPECT_TRUE(torch::allclose(mean, want, 1e-5, 1e-7)) << mean << want;
  }
  {
    // Silence channels 6 and 2 without pruning them: a tie at mean 0, broken by index.
    torch::NoGradGuard no_grad;
    for (const auto& p : model->named_parameters(true)) {
      if (p.key().rfind("conv3.", 0) == 0) {
        p.value()[6].zero_();
        p.value()[2].zero_();
      }
    }
  }
  model->prune_channels({4});
  const torch::Tensor mean = mean_channel_activation(*model, x);
  const std::vector<int64_t> order = pruning_order(*model, x);
  ASSERT_EQ(order.size(), 9u);
  EXPECT_EQ(std::count(order.begin(), order.end(), 4), 0);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{0, 1, 2, 3, 5, 6, 7, 8, 9}));
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    const double a = mean[order[i]].item<double>(), b = mean[order[i + 1]].item<double>();
    EXPECT_TRUE(a < b || (a == b && order[i] < order[i + 1]))
        << "channel " << order[i] << " (" << a << ") before " << order[i + 1] << " (" << b << ")";
  }
  EXPECT_EQ(mean[2].item<double>(), 0.0);
  EXPECT_LT(std::find(order.begin(), order.end(), 2), std::find(order.begin(), order.end(), 6));
}

// --- stopping point and rates ----------------------------------------------------------------

std::vector<CurvePoint> curve_of(const std::vector<double>& val) {
  std::vector<CurvePoint> c;
  for (size_t k = 0; k < val.size(); ++k) {
    CurvePoint p;
    p.pruned = static_cast<int64_t>(k);
    p.metrics.val_acc = val[k];
    c.push_back(p);
  }
  return c;
}

TEST(StoppingPoint, HandMadeCurves) {
  // A drop of exactly the threshold is allowed.
  // 45/50 -> 43/50 is a drop of exactly 0.04 (as a count of images).
  EXPECT_EQ(stopping_point(curve_of({45 / 50.0, 44 / 50.0, 43 / 50.0, 42 / 50.0}), 0.04), 2u);
  EXPECT_EQ(stopping_point(curve_of({0.9, 0.89, 0.86, 0.85}), 0.04), 2u);
  // The first step that exceeds the drop stops the curve at the step before it.
  EXPECT_EQ(stopping_point(curve_of({0.9, 0.9, 0.88, 0.7, 0.9}), 0.04), 2u);
  EXPECT_EQ(stopping_point(curve_of({0.9, 0.8, 0.9, 0.9}), 0.04), 0u);  // no recovery counted
  // Never exceeding it gives the last step.
  EXPECT_EQ(stopping_point(curve_of({0.9, 0.91, 0.88, 0.87}), 0.04), 3u);
  EXPECT_EQ(stopping_point(curve_of({0.5}), 0.04), 0u);
  EXPECT_EQ(stopping_point({}, 0.04), 0u);
  EXPECT_EQ(stopping_point(curve_of({0.9, 0.1}), 1.0), 1u);
}

TEST(ChannelsForRate, RoundsToNearest) {
  EXPECT_EQ(channels_for_rate(64, 0.0), 0);
  EXPECT_EQ(channels_for_rate(8, 0.5), 4);
  EXPECT_EQ(channels_for_rate(10, 0.25), 3);  // 2.5 rounds half away from zero
  EXPECT_EQ(channels_for_rate(10, 0.24), 2);
  EXPECT_EQ(channels_for_rate(7, 0.99), 7);
  EXPECT_EQ(channels_for_rate(60, 0.8), 48);
}

}  // namespace
}  // namespace fineprune
