// The `channels` subcommand: per-channel activity of a saved backdoored model, clean against
// triggered, in pruning order.
#include "cli/channels_command.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <vector>

#include "cli/saved_model_lookup.h"
#include "cli/thread_count.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/sweep_expansion.h"
#include "workers/defenses/pruning.h"
#include "workers/experiment/backdoored_store.h"
#include "workers/experiment/defense_steps.h"

namespace fineprune {

namespace {

struct ChannelRow {
  int64_t rank = 0;  // position in the pruning order (0: pruned first)
  int64_t channel = 0;
  double clean_val = 0, clean_test = 0, triggered = 0;
  bool pruned_at_stop = false;
  bool decoy = false;  // a pruning-aware attack's reinstated dormant channel
};

}  // namespace

int run_channels_command(const ChannelsOptions& options) {
  const ExperimentSpec spec = load_experiment_spec(options.spec_path);
  torch::set_num_threads(choose_thread_count(options.threads));
  const SavedModelRef saved =
      find_saved_model(spec, options.spec_path, options.attack, options.model, options.seed, options.run_dir);
  const ExperimentSpec& attack_spec = saved.spec;
  const SeedData data = load_seed_data(spec.data, static_cast<uint64_t>(options.seed));
  BackdooredModel bd = load_backdoored(attack_spec, saved.attack, data, saved.dir, saved.key).model;
  const PruningPlan plan = plan_pruning(attack_spec, bd);
  const int64_t stop_channels = plan.curve.at(plan.stop).pruned;

  // The same test images with and without the trigger, those of other classes than the target.
  const torch::Tensor keep = bd.eval.triggered.non_target;
  const torch::Tensor clean_val = mean_channel_activation(*bd.model, bd.eval.validation.x);
  const torch::Tensor clean_test = mean_channel_activation(*bd.model, bd.eval.test.x.index({keep}));
  const torch::Tensor triggered = mean_channel_activation(*bd.model, bd.eval.triggered.x.index({keep}));

  std::vector<ChannelRow> rows;
  for (size_t r = 0; r < plan.order.size(); ++r) {
    const int64_t c = plan.order[r];
    const bool decoy = std::find(bd.decoys.begin(), bd.decoys.end(), c) != bd.decoys.end();
    rows.push_back({static_cast<int64_t>(r), c, clean_val[c].item<double>(), clean_test[c].item<double>(),
                    triggered[c].item<double>(), static_cast<int64_t>(r) < stop_channels, decoy});
  }
  // The trigger's extra activation, channel by channel, and where pruning leaves it.
  double extra_total = 0, extra_pruned = 0;
  for (const ChannelRow& row : rows) {
    const double extra = std::max(0.0, row.triggered - row.clean_test);
    extra_total += extra;
    if (row.pruned_at_stop) extra_pruned += extra;
  }
  std::vector<ChannelRow> by_extra = rows;
  std::sort(by_extra.begin(), by_extra.end(), [](const ChannelRow& a, const ChannelRow& b) {
    return a.triggered - a.clean_test > b.triggered - b.clean_test;
  });

  std::printf("%s, attack %s, seed %lld: %lld channels, the stop (%.0f points) prunes %lld\n", spec.name.c_str(),
              options.attack.c_str(), static_cast<long long>(options.seed), static_cast<long long>(rows.size()),
              100 * plan.max_val_drops.at(0), static_cast<long long>(stop_channels));
  // A pruning-aware model: where its decoys (the channels the attacker pruned, then reinstated
  // dormant) fall against the defender's stop.
  if (!bd.decoys.empty()) {
    int64_t decoys_pruned = 0, others_pruned = 0;
    for (const ChannelRow& row : rows) {
      if (row.pruned_at_stop) ++(row.decoy ? decoys_pruned : others_pruned);
    }
    std::printf("pruning-aware attack: %zu decoy channels; the stop prunes %lld of them and %lld other channels\n",
                bd.decoys.size(), static_cast<long long>(decoys_pruned), static_cast<long long>(others_pruned));
  }
  std::printf("channels the trigger drives hardest (triggered minus clean mean activation, non-target test images):\n");
  std::printf("  channel  rank  clean-val  clean-test  triggered  extra  pruned-at-stop%s\n",
              bd.decoys.empty() ? "" : "  decoy");
  for (size_t i = 0; i < std::min<size_t>(8, by_extra.size()); ++i) {
    const ChannelRow& r = by_extra[i];
    std::printf("  %7lld  %4lld  %9.4f  %10.4f  %9.4f  %5.3f  %s", static_cast<long long>(r.channel),
                static_cast<long long>(r.rank), r.clean_val, r.clean_test, r.triggered, r.triggered - r.clean_test,
                r.pruned_at_stop ? "yes" : "no ");
    std::printf("%s\n", bd.decoys.empty() ? "" : (r.decoy ? "             yes" : "             no"));
  }
  std::printf("share of the trigger's extra activation in channels the stop prunes: %.1f%%\n",
              extra_total > 0 ? 100 * extra_pruned / extra_total : 0.0);

  if (!options.out_path.empty()) {
    std::ofstream out(options.out_path);
    out << "rank,channel,clean_val,clean_test,triggered,pruned_at_stop,decoy\n";
    out.precision(9);
    for (const ChannelRow& r : rows) {
      out << r.rank << ',' << r.channel << ',' << r.clean_val << ',' << r.clean_test << ',' << r.triggered << ','
          << (r.pruned_at_stop ? 1 : 0) << ',' << (r.decoy ? 1 : 0) << '\n';
    }
    if (!out) throw IoError(options.out_path, "cannot write the channel table");
  }
  return kExitOk;
}

}  // namespace fineprune
