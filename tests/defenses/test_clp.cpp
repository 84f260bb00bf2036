// CLP (workers/defenses/clp.cpp): the channel with an outsized Lipschitz bound is the one pruned,
// in a plain conv (by its weights) and a conv with BatchNorm (by gamma / sigma too); the
// threshold follows u; no data is used; the input model is left as it was.
#include <gtest/gtest.h>

#include "tests/defenses/unit_input.h"

namespace fineprune {
namespace {

using test::tiny_case;

TEST(Clp, PrunesTheChannelWithTheOutsizedBound) {
  test::UnitCase c = tiny_case({4, 8, 32}, 8);
  {
    torch::NoGradGuard no_grad;
    c.model->last_conv()->weight[5].mul_(10);  // a bound 10 times its layer's
  }
  const std::shared_ptr<PrunableNet> before = c.recipe.copy_of(*c.model);
  c.settings = {{"u", 3}, {"all_layers", 0}};
  const DefenseOutput out = c.run("clp");
  EXPECT_EQ(out.model->pruned_channels(), std::vector<int64_t>{5});
  EXPECT_EQ(out.setting.channels, 1);
  EXPECT_EQ(out.total_channels, 32);
  EXPECT_TRUE(out.model->last_conv()->weight[5].eq(0).all().item<bool>());
  EXPECT_TRUE(test::same_parameters(*c.model, *before)) << "the backdoored model itself was changed";
}

TEST(Clp, ThresholdFollowsU) {
  test::UnitCase c = tiny_case({4, 8, 32}, 8);
  c.settings = {{"u", 100}, {"all_layers", 1}};
  EXPECT_EQ(c.run("clp").setting.channels, 0);
  // u = 0: every channel above its layer's mean bound, so some in each layer but not all.
  c.settings["u"] = 0;
  const DefenseOutput all = c.run("clp");
  EXPECT_EQ(all.total_channels, 4 + 8 + 32);
  EXPECT_GT(all.setting.channels, 3);
  EXPECT_LT(all.setting.channels, 4 + 8 + 32 - 3);
  EXPECT_GT(all.model->pruned_channels().size(), 0u);
  EXPECT_LT(all.model->pruned_channels().size(), 32u);
}

TEST(Clp, NeedsNoData) {
  test::UnitCase c = tiny_case({4, 8, 32}, 8);
  c.settings = {{"u", 1}, {"all_layers", 1}};
  const DefenseOutput with_data = c.run("clp");
  c.clean = {};
  const DefenseOutput without = c.run("clp");
  EXPECT_TRUE(test::same_parameters(*with_data.model, *without.model));
}

TEST(Clp, BatchNormScaleCountsAndItsChannelIsZeroed) {
  torch::manual_seed(3);
  ModelSpec m;
  m.name = "vgg";
  m.widths = {4, 4, 8, 8, 16, 32};
  m.hidden = 16;
  const ModelRecipe recipe{m, ImageShape{3, 32, 32}, 4};
  test::UnitCase c{recipe, recipe.make(), {}, {}, {{"u", 3}, {"all_layers", 1}}};
  c.model->eval();
  // Conv weights alike, but one BatchNorm channel of an inner layer scaled up 20 times: only the
  // BatchNorm factor |gamma / sigma| makes its bound stand out.
  torch::nn::BatchNorm2dImpl* inner = nullptr;
  for (const auto& item : c.model->named_modules("", false)) {
    auto* bn = item.value()->as<torch::nn::BatchNorm2d>();
    if (bn != nullptr && bn->options.num_features() == 16) inner = bn;
  }
  ASSERT_NE(inner, nullptr);
  {
    torch::NoGradGuard no_grad;
    inner->weight[7].mul_(20);
  }
  const DefenseOutput out = c.run("clp");
  torch::nn::BatchNorm2dImpl* pruned_bn = nullptr;
  for (const auto& item : out.model->named_modules("", false)) {
    auto* bn = item.value()->as<torch::nn::BatchNorm2d>();
    if (bn != nullptr && bn->options.num_features() == 16) pruned_bn = bn;
  }
  ASSERT_NE(pruned_bn, nullptr);
  EXPECT_EQ(pruned_bn->weight[7].item<float>(), 0.0f);
  EXPECT_EQ(pruned_bn->bias[7].item<float>(), 0.0f);
  EXPECT_GE(out.setting.channels, 1);
}

}  // namespace
}  // namespace fineprune
