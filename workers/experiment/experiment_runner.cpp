// The single-process experiment: data, backdoored models, defenses, rows.
#include "workers/experiment/experiment_runner.h"

#include <chrono>
#include <cstdio>

#include "workers/attacks/poisoning.h"
#include "workers/data/image_set.h"
#include "workers/defenses/pruning.h"
#include "workers/experiment/pruning_aware_attack.h"
#include "workers/experiment/result_rows.h"
#include "workers/training/trainer.h"

namespace fineprune {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

}  // namespace

uint64_t attack_seed(uint64_t seed, const std::string& attack_name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : attack_name) h = (h ^ ch) * 1099511628211ull;
  return h ^ (seed * 0x9E3779B97F4A7C15ull);
}

SeedData load_seed_data(const DataSpec& spec, uint64_t seed) {
  const DataSplits splits = load_splits(spec, seed);
  SeedData d;
  d.train = to_tensors(splits.train);
  d.validation = to_tensors(splits.validation);
  d.test = to_tensors(splits.test);
  d.num_classes = splits.num_classes;
  d.shape = {splits.train.channels, splits.train.height, splits.train.width};
  return d;
}

BackdooredModel train_backdoored(const ExperimentSpec& spec, const AttackSpec& attack,
                                 const SeedData& data, uint64_t seed, const LogFn& log) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t aseed = attack_seed(seed, attack.name);
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  const PoisonedSet poisoned = poison_training_set(data.train, attack, *trigger, data.num_classes, aseed);

  BackdooredModel out{nullptr, ModelRecipe{spec.model, data.shape, data.num_classes}, {}, 0, {}};
  torch::manual_seed(seed);
  out.model = out.recipe.make();
  if (attack.pruning_aware.enabled) {
    const PruningAwareOutcome pa = train_pruning_aware(*out.model, out.recipe, data.train, poisoned.data,
                                                       spec.training, attack.pruning_aware, seed);
    out.decoys = pa.decoys;
    log(attack.name + ": pruning-aware attack reinstated " + std::to_string(pa.decoys.size()) +
        " dormant channels");
  } else {
    const TrainStats stats = train_model(*out.model, poisoned.data, spec.training, seed);
    log(attack.name + fmt(": trained %.0f steps at %.0f images/s", static_cast<double>(stats.steps),
                          stats.images_per_s));
  }
  out.train_wall_s = seconds_since(start);
  out.eval.validation = data.validation;
  out.eval.test = data.test;
  out.eval.triggered = triggered_test_set(data.test, attack, *trigger, data.num_classes);
  out.eval.asr_counts_all = spec.asr_counts == "all";
  return out;
}

std::vector<ResultRow> run_defenses(const ExperimentSpec& spec, const AttackSpec& attack,
                                    BackdooredModel& bd, uint64_t seed,
                                    std::vector<CurveRow>& curve_rows, const LogFn& log) {
  const RowContext ctx{spec, attack, bd, seed};
  std::vector<ResultRow> rows;
  const auto has = [&](const char* d) {
    return std::find(spec.defenses.begin(), spec.defenses.end(), d) != spec.defenses.end();
  };
  const int64_t channels = bd.model->prunable_channels();

  auto t0 = std::chrono::steady_clock::now();
  const Metrics base = evaluate(*bd.model, bd.eval);
  if (has("none")) rows.push_back(make_row(ctx, "none", "none", 0, 0, base, 0, seconds_since(t0)));
  log(attack.name + fmt(": baseline clean %.4f  ASR %.4f", base.clean_acc, base.asr));

  t0 = std::chrono::steady_clock::now();
  const std::vector<int64_t> order = pruning_order(*bd.model, bd.eval.validation.x);
  const std::vector<CurvePoint> curve = pruning_curve(*bd.model, bd.eval, order);
  const size_t stop = stopping_point(curve, spec.pruning.max_val_drop);
  const double curve_s = seconds_since(t0);
  append_curve_rows(ctx, curve, stop, curve_rows);

  // The pruning settings: the stopping point, then each fixed rate.
  struct Setting { const char* mode; double rate; int64_t k; };
  std::vector<Setting> settings{{"stop", curve[stop].fraction, curve[stop].pruned}};
  for (double r : spec.pruning.rates) {
    settings.push_back({"rate", r, std::min<int64_t>(channels_for_rate(channels, r),
                                                     static_cast<int64_t>(order.size()))});
  }
  if (has("prune")) {
    for (const Setting& s : settings) {
      rows.push_back(make_row(ctx, "prune", s.mode, s.rate, s.k, curve[static_cast<size_t>(s.k)].metrics,
                              0, curve_s));
    }
  }
  log(attack.name + fmt(": pruning stops at %.0f channels: clean %.4f  ASR %.4f",
                        static_cast<double>(curve[stop].pruned), curve[stop].metrics.clean_acc,
                        curve[stop].metrics.asr));

  const auto fine_tuned = [&](int64_t k) {
    const auto start = std::chrono::steady_clock::now();
    std::shared_ptr<PrunableNet> copy = bd.recipe.copy_of(*bd.model);
    copy->prune_channels(std::vector<int64_t>(order.begin(), order.begin() + k));
    train_model(*copy, bd.eval.validation, spec.finetune, seed + 2);
    return std::make_pair(evaluate(*copy, bd.eval), seconds_since(start));
  };
  const double ft_epochs = static_cast<double>(spec.finetune.epochs);
  if (has("finetune")) {
    const auto [m, s] = fine_tuned(0);
    rows.push_back(make_row(ctx, "finetune", "none", 0, 0, m, ft_epochs, s));
    log(attack.name + fmt(": fine-tuning: clean %.4f  ASR %.4f", m.clean_acc, m.asr));
  }
  if (has("fineprune")) {
    for (const Setting& st : settings) {
      const auto [m, s] = fine_tuned(st.k);
      rows.push_back(make_row(ctx, "fineprune", st.mode, st.rate, st.k, m, ft_epochs, s + curve_s));
      log(attack.name + fmt(": fine-pruning (%.0f channels): clean %.4f  ASR %.4f",
                            static_cast<double>(st.k), m.clean_acc, m.asr));
    }
  }
  return rows;
}

void run_experiment(const ExperimentSpec& spec, ResultWriter& writer, const LogFn& log) {
  for (int64_t seed : spec.seeds) {
    const SeedData data = load_seed_data(spec.data, static_cast<uint64_t>(seed));
    for (const AttackSpec& attack : spec.attacks) {
      const LogFn seed_log = [&](const std::string& line) {
        log("[seed " + std::to_string(seed) + "] " + line);
      };
      BackdooredModel bd = train_backdoored(spec, attack, data, static_cast<uint64_t>(seed), seed_log);
      std::vector<CurveRow> curve;
      const std::vector<ResultRow> rows = run_defenses(spec, attack, bd, static_cast<uint64_t>(seed), curve, seed_log);
      writer.append_results(rows);
      writer.append_curve(curve);
      writer.flush();
    }
  }
}

}  // namespace fineprune
