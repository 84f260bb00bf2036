// NAD (workers/defenses/nad.cpp): the attention term holds the student's attention maps to the
// teacher's. With no teacher epochs the teacher is the backdoored model itself, so with beta 1
// the student's maps stay nearer the model's than with beta 0 (plain fine-tuning), the same seed
// and data otherwise. (On this tiny model and lr, betas of 100 and more overshoot: the maps end
// farther away than with none, seen by running this test with larger betas.) The backdoored model is left as it was.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/defenses/unit_input.h"

namespace fineprune {
namespace {

// Mean squared distance between two models' normalised attention maps (computed here, not with
// the step's code), summed over the maps the models list.
double attention_distance(PrunableNet& a, PrunableNet& b, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> fa, fb;
  a.forward_with_features(x, fa);
  b.forward_with_features(x, fb);
  double total = 0;
  for (size_t i = 0; i < fa.size(); ++i) {
    torch::Tensor ma = fa[i].pow(2).sum(1).flatten(1), mb = fb[i].pow(2).sum(1).flatten(1);
    ma = ma / (ma.norm(2, 1, true) + 1e-6);
    mb = mb / (mb.norm(2, 1, true) + 1e-6);
    total += (ma - mb).pow(2).mean().item<double>();
  }
  return total;
}

TEST(Nad, AttentionTermHoldsTheStudentToTheTeacher) {
  test::UnitCase c = test::tiny_case({4, 8, 8}, 64);
  c.spec.finetune.lr = 0.05;
  c.spec.finetune.batch_size = 16;
  const std::shared_ptr<PrunableNet> before = c.recipe.copy_of(*c.model);
  c.settings = {{"teacher_epochs", 0}, {"epochs", 4}, {"beta_low", 0}, {"beta_mid", 0}, {"beta_high", 0}, {"p", 2}};
  const DefenseOutput plain = c.run("nad");
  for (const char* beta : {"beta_low", "beta_mid", "beta_high"}) c.settings[beta] = 1;
  const DefenseOutput held = c.run("nad");
  const double d_plain = attention_distance(*plain.model, *c.model, c.clean.x);
  const double d_held = attention_distance(*held.model, *c.model, c.clean.x);
  std::printf("[ info     ] attention distance to the teacher: beta 0 %.3g, beta 1 %.3g\n", d_plain, d_held);
  EXPECT_GT(d_plain, 0) << "fine-tuning did not move the maps: the test would show nothing";
  EXPECT_LT(d_held, 0.5 * d_plain);
  EXPECT_FALSE(test::same_parameters(*held.model, *c.model)) << "the student did not train";
  EXPECT_EQ(held.finetune_epochs, 4);
  EXPECT_TRUE(test::same_parameters(*c.model, *before)) << "the backdoored model itself was changed";
}

}  // namespace
}  // namespace fineprune
