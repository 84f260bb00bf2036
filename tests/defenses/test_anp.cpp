// ANP (workers/defenses/anp.cpp): one mask step moves each neuron's mask against the gradient of
// the loss in that neuron's scale, measured here by finite differences on a copy whose kernel is
// scaled; pruning zeroes the weights of the neurons at or below the threshold and keeps their
// biases.
#include <gtest/gtest.h>

#include "tests/defenses/unit_input.h"
#include "workers/defenses/anp.h"

namespace fineprune {
namespace {

using test::tiny_case;

// The clean loss with conv `layer`'s output channel k's kernel scaled by s (bias not), in double.
double loss_with_scale(const test::UnitCase& c, size_t layer, int64_t k, double s) {
  std::shared_ptr<PrunableNet> copy = c.recipe.copy_of(*c.model);
  copy->to(torch::kFloat64);
  std::vector<torch::nn::Conv2dImpl*> convs;
  for (const auto& item : copy->named_modules("", false)) {
    if (auto* conv = item.value()->as<torch::nn::Conv2d>()) convs.push_back(conv);
  }
  {
    torch::NoGradGuard no_grad;
    convs.at(layer)->weight[k].mul_(s);
  }
  torch::NoGradGuard no_grad;
  return torch::nn::functional::cross_entropy(copy->forward(c.clean.x.to(torch::kFloat64)), c.clean.y)
      .item<double>();
}

TEST(Anp, OneMaskStepMovesAgainstTheGradient) {
  test::UnitCase c = tiny_case({3, 4, 6}, 1);
  // One image, repeated: every drawn batch is the same batch.
  c.clean = {c.clean.x.repeat({8, 1, 1, 1}), c.clean.y.repeat({8})};
  const double lr = 0.5;
  const std::map<std::string, double> s = {{"eps", 0}, {"alpha", 1}, {"iterations", 1}, {"batch_size", 4}, {"lr", lr},
                                           {"threshold", 0.2}};
  const std::vector<torch::Tensor> masks = anp_masks(*c.recipe.copy_of(*c.model), c.clean, s, 7);
  ASSERT_EQ(masks.size(), 3u);  // no BatchNorm: one group per conv
  int moved = 0;
  for (size_t layer = 0; layer < masks.size(); ++layer) {
    for (int64_t k = 0; k < masks[layer].size(0); ++k) {
      const double h = 1e-4;
      const double g = (loss_with_scale(c, layer, k, 1 + h) - loss_with_scale(c, layer, k, 1 - h)) / (2 * h);
      const double expected = std::min(1.0, std::max(0.0, 1 - lr * g));
      EXPECT_NEAR(masks[layer][k].item<double>(), expected, 1e-4 + 0.01 * std::abs(lr * g)) << layer << " " << k;
      if (std::abs(lr * g) > 1e-3) ++moved;
    }
  }
  EXPECT_GT(moved, 3) << "too few masks moved for the test to mean anything";
}

TEST(Anp, PrunesWeightsAtOrBelowTheThresholdAndKeepsBiases) {
  test::UnitCase c = tiny_case({3, 4, 6}, 16);
  c.settings = {{"eps", 0.4}, {"alpha", 0.2}, {"iterations", 3}, {"batch_size", 8}, {"lr", 0.2}, {"threshold", 1}};
  const DefenseOutput all = c.run("anp");  // every mask is <= 1
  EXPECT_EQ(all.setting.channels, 3 + 4 + 6);
  EXPECT_EQ(all.total_channels, 3 + 4 + 6);
  EXPECT_TRUE(all.model->last_conv()->weight.eq(0).all().item<bool>());
  EXPECT_TRUE(torch::equal(all.model->last_conv()->bias, c.model->last_conv()->bias));
  c.settings["threshold"] = 0;  // three small steps take no mask to 0
  const DefenseOutput none = c.run("anp");
  EXPECT_EQ(none.setting.channels, 0);
  EXPECT_TRUE(test::same_parameters(*none.model, *c.model));
}

TEST(Anp, SameSeedSameMasks) {
  test::UnitCase c = tiny_case({3, 4, 6}, 16);
  const std::map<std::string, double> s = {{"eps", 0.4}, {"alpha", 0.2}, {"iterations", 5}, {"batch_size", 8},
                                           {"lr", 0.2}, {"threshold", 0.2}};
  const auto a = anp_masks(*c.recipe.copy_of(*c.model), c.clean, s, 11);
  const auto b = anp_masks(*c.recipe.copy_of(*c.model), c.clean, s, 11);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

}  // namespace
}  // namespace fineprune
