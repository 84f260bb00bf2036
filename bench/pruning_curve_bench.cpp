// Benchmark: the whole pruning curve, incremental (pruning_curve) against re-running the network
// after every pruned channel (pruning_curve_naive), on the default Fashion-MNIST experiment's
// model and sets. Prints both times, the speed-up, the training time, and the largest difference
// between the two curves (they must agree).
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "common/experiment_spec.h"
#include "workers/defenses/pruning.h"
#include "workers/experiment/experiment_runner.h"

using namespace fineprune;

static double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int main(int argc, char** argv) {
  const std::string config = argc > 1 ? argv[1] : FINEPRUNE_SOURCE_DIR "/configs/fmnist-experiment.yaml";
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  torch::set_num_threads(threads);
  ExperimentSpec spec = load_experiment_spec(config);
  const AttackSpec& attack = spec.attacks.front();
  const SeedData data = load_seed_data(spec.data, 1);
  BackdooredModel bd = train_backdoored(spec, attack, data, 1, [](const std::string&) {});
  std::printf("model %s, %lld prunable channels, %d threads\n", spec.model.name.c_str(),
              static_cast<long long>(bd.model->prunable_channels()), threads);
  std::printf("sets: validation %lld, test %lld, triggered %lld images\n",
              static_cast<long long>(bd.eval.validation.size()), static_cast<long long>(bd.eval.test.size()),
              static_cast<long long>(bd.eval.triggered.x.size(0)));
  std::printf("training (%lld epochs): %.2f s\n", static_cast<long long>(spec.training.epochs), bd.train_wall_s);

  const std::vector<int64_t> order = pruning_order(*bd.model, bd.eval.validation.x);
  auto t0 = std::chrono::steady_clock::now();
  const auto fast = pruning_curve(*bd.model, bd.eval, order);
  const double fast_s = seconds_since(t0);
  auto copy = bd.recipe.copy_of(*bd.model);
  t0 = std::chrono::steady_clock::now();
  const auto naive = pruning_curve_naive(*copy, bd.eval, order);
  const double naive_s = seconds_since(t0);

  double max_diff = 0;
  for (size_t k = 0; k < fast.size(); ++k) {
    const Metrics& a = fast[k].metrics;
    const Metrics& b = naive[k].metrics;
    for (double d : {a.val_acc - b.val_acc, a.clean_acc - b.clean_acc, a.asr - b.asr,
                     a.robust_acc - b.robust_acc}) {
      max_diff = std::max(max_diff, std::fabs(d));
    }
  }
  std::printf("curve points: %zu\n", fast.size());
  std::printf("incremental curve: %.3f s\n", fast_s);
  std::printf("naive curve:       %.3f s\n", naive_s);
  std::printf("speed-up:          %.1fx\n", naive_s / fast_s);
  std::printf("naive curve / training time: %.2f\n", naive_s / bd.train_wall_s);
  std::printf("largest metric difference between the curves: %.3g\n", max_diff);
  return 0;
}
