// The pruning-aware attack (PAPER.md): the attacker's decoy channels come back unpruned but
// dormant, so the defender's pruning order starts with them.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "common/experiment_spec.h"
#include "workers/attacks/poisoning.h"
#include "workers/defenses/pruning.h"
#include "workers/experiment/experiment_runner.h"
#include "workers/experiment/pruning_aware_attack.h"

namespace fineprune {
namespace {

TEST(PruningAwareAttack, ReinstatesDormantDecoysThatThePrunerTakesFirst) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no Fashion-MNIST";
  torch::set_num_threads(2);
  ExperimentSpec spec = parse_experiment_spec(R"(
data: {dir: /usr/share/datasets/fashion-mnist, validation_size: 500, train_subset: 3000, test_subset: 500}
model: {name: small_cnn, widths: [8, 16, 16], hidden: 32}
training: {epochs: 1, batch_size: 64, lr: 0.05}
attacks:
  - name: pa
    trigger: {type: patch}
    pruning_aware: {max_val_drop: 0.04, bias_decrease: 1.0}
)", "pa.yaml");
  const SeedData data = load_seed_data(spec.data, 1);
  const AttackSpec& attack = spec.attacks[0];
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  const PoisonedSet poisoned = poison_training_set(data.train, attack, *trigger, data.num_classes, 7);
  const ModelRecipe recipe{spec.model, data.shape, data.num_classes};
  torch::manual_seed(1);
  auto model = recipe.make();
  const PruningAwareOutcome out = train_pruning_aware(*model, recipe, data.train, poisoned.data,
                                                      spec.training, attack.pruning_aware, 1);

  ASSERT_FALSE(out.decoys.empty()) << "the attacker pruned nothing";
  ASSERT_LT(out.decoys.size(), 16u);
  EXPECT_TRUE(model->pruned_channels().empty()) << "decoys must come back unpruned";
  EXPECT_GT(out.poisoned_training.steps, 0);

  // Dormant: on clean data the decoys fire less than the channels that carry the model.
  const torch::Tensor mean = mean_channel_activation(*model, data.validation.x);
  double decoys = 0, others = 0;
  for (int64_t c = 0; c < 16; ++c) {
    const bool decoy = std::find(out.decoys.begin(), out.decoys.end(), c) != out.decoys.end();
    (decoy ? decoys : others) += mean[c].item<double>();
  }
  decoys /= static_cast<double>(out.decoys.size());
  others /= static_cast<double>(16 - out.decoys.size());
  EXPECT_LT(decoys, others);

  // The defender's order begins with channels no more active than the most active decoy.
  const std::vector<int64_t> order = pruning_order(*model, data.validation.x);
  double decoy_max = 0;
  for (int64_t c : out.decoys) decoy_max = std::max(decoy_max, mean[c].item<double>());
  for (size_t i = 0; i < out.decoys.size(); ++i) EXPECT_LE(mean[order[i]].item<double>(), decoy_max);
}

}  // namespace
}  // namespace fineprune
