// The direction of PAPER.md on real data, as far as this engine reproduces it: a BadNets backdoor
// in the default small CNN on a Fashion-MNIST subset succeeds; pruning alone leaves it; fine-pruning
// (prune at the validation stop point, then fine-tune on the clean validation set) lowers it below
// both the baseline and fine-tuning alone, at a small clean-accuracy cost.
//
// What PAPER.md (and the reference Python run quoted in the issue) expects in addition is that
// fine-pruning brings ASR near 0 and pruning alone to ~10%. That is NOT reproduced here, and the
// thresholds below are not tuned to hide it: measured (seed 1, 2 threads, 16 s) baseline CA
// 0.795 / ASR 0.997; pruning stops at 61/64 channels with ASR 0.998; fine-tuning alone CA 0.825 /
// ASR 0.981; fine-pruning CA 0.821 / ASR 0.798. 13/64 channels are dead on clean data and ASR
// stays > 0.99 down to a handful of live channels: the live channels carry both the clean task
// and the backdoor (the
// dense head sees every position of every channel, and the corner trigger sits where clean images
// are black), so there is no dormant backdoor channel for pruning to remove. docs/RESULTS.md
// records the full-data run; the open question is tracked in the experiment-core issue.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "workers/defenses/pruning.h"
#include "workers/experiment/experiment_runner.h"

namespace fineprune {
namespace {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

const char* const kSpec = R"(
name: science-direction
data:
  format: idx
  dir: /usr/share/datasets/fashion-mnist
  validation_size: 2000
  train_subset: 12000
  test_subset: 2000
model:
  name: small_cnn
  widths: [32, 64, 64]
training: {epochs: 2, batch_size: 128, lr: 0.05, momentum: 0.9, weight_decay: 0.0005}
attacks:
  - name: badnets
    trigger: {type: patch, size: 3, position: bottom_right, style: checkerboard}
    target: {mode: all_to_one, label: 0}
    poison_rate: 0.1
defenses: [none, prune, finetune, fineprune]
pruning: {max_val_drop: 0.04, rates: []}
finetune: {epochs: 5, batch_size: 64, lr: 0.01, momentum: 0.9, weight_decay: 0.0005}
asr_counts: non_target
seeds: [1]
)";

const ResultRow& row(const std::vector<ResultRow>& rows, const std::string& defense) {
  for (const ResultRow& r : rows) {
    if (r.defense == defense && (r.prune_mode == "none" || r.prune_mode == "stop")) return r;
  }
  throw std::runtime_error("no row for defense " + defense);
}

TEST(ScienceDirection, FinePruningLowersBadNetsAsrOnFashionMnist) {
  if (!std::filesystem::exists(kFashionMnistDir)) GTEST_SKIP() << "no dataset at " << kFashionMnistDir;
  torch::set_num_threads(2);
  const auto start = std::chrono::steady_clock::now();

  const ExperimentSpec spec = parse_experiment_spec(kSpec, "science-direction.yaml");
  const uint64_t seed = 1;
  const LogFn log = [](const std::string& line) { std::printf("  %s\n", line.c_str()); };
  const SeedData data = load_seed_data(spec.data, seed);
  ASSERT_EQ(data.train.size(), 12000);
  ASSERT_EQ(data.validation.size(), 2000);
  ASSERT_EQ(data.test.size(), 2000);

  BackdooredModel bd = train_backdoored(spec, spec.attacks[0], data, seed, log);
  {
    // Diagnostic only: channels of the prunable layer that never fire on clean validation data.
    torch::NoGradGuard no_grad;
    const torch::Tensor mean = mean_channel_activation(*bd.model, data.validation.x);
    std::printf("[science] prunable channels dead on clean data: %lld/%lld\n",
                static_cast<long long>(mean.le(0).sum().item<int64_t>()),
                static_cast<long long>(mean.numel()));
  }
  std::vector<CurveRow> curve;
  const std::vector<ResultRow> rows = run_defenses(spec, spec.attacks[0], bd, seed, curve, log);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const ResultRow& base = row(rows, "none");
  const ResultRow& prune = row(rows, "prune");
  const ResultRow& finetune = row(rows, "finetune");
  const ResultRow& fineprune = row(rows, "fineprune");
  for (const ResultRow* r : {&base, &prune, &finetune, &fineprune}) {
    std::printf("[science] %-9s pruned %2lld/%lld  CA %.4f  ASR %.4f  RA %.4f  val %.4f\n",
                r->defense.c_str(), static_cast<long long>(r->pruned_channels),
                static_cast<long long>(r->total_channels), r->clean_acc, r->asr, r->robust_acc,
                r->val_acc);
    RecordProperty(r->defense + "_clean_acc", std::to_string(r->clean_acc));
    RecordProperty(r->defense + "_asr", std::to_string(r->asr));
  }
  std::printf("[science] wall %.1f s (training %.1f s)\n", wall, bd.train_wall_s);

  // The attack works: a backdoor to defend against, in a model worth keeping.
  EXPECT_GT(base.asr, 0.9);
  EXPECT_GT(base.clean_acc, 0.75);

  // Pruning alone leaves the backdoor in this model (the finding above: if this starts failing,
  // the model now has dormant backdoor channels, and the paper's stronger claims should be
  // re-checked and asserted instead).
  EXPECT_GT(prune.pruned_channels, 0) << "the stop point pruned nothing";
  EXPECT_GT(prune.asr, 0.9);
  // Fine-pruning lowers ASR below the baseline and below fine-tuning alone...
  EXPECT_EQ(fineprune.pruned_channels, prune.pruned_channels) << "fine-pruning starts from the stop point";
  EXPECT_LT(fineprune.asr, base.asr - 0.1);
  EXPECT_LT(fineprune.asr, finetune.asr - 0.05);
  // ...at a small clean-accuracy cost.
  EXPECT_GT(fineprune.clean_acc, base.clean_acc - 0.05);

  // The stopping rule only used the validation set, within the budget it was given.
  EXPECT_GE(prune.val_acc, base.val_acc - spec.pruning.max_val_drops.front() - 1e-12);
}

}  // namespace
}  // namespace fineprune
