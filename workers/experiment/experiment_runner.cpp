// The single-process experiment: data, backdoored models, defenses, rows.
#include "workers/experiment/received_model.h"
#include "workers/experiment/experiment_runner.h"

#include <chrono>
#include <cstdio>

#include "common/sweep_expansion.h"
#include "workers/attacks/poisoning.h"
#include "workers/data/image_set.h"
#include "workers/experiment/pruning_aware_attack.h"
#include "workers/experiment/defense_steps.h"
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

EvalData make_eval_data(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                        const Trigger& trigger) {
  EvalData eval;
  eval.validation = data.validation;
  eval.test = data.test;
  eval.triggered = triggered_test_set(data.test, attack, trigger, data.num_classes);
  eval.asr_counts_all = spec.asr_counts == "all";
  return eval;
}

BackdooredModel train_backdoored(const ExperimentSpec& spec, const AttackSpec& attack,
                                 const SeedData& data, uint64_t seed, const LogFn& log,
                                 const ExecutionContext& context) {
  if (!attack.model_file.empty()) return received_backdoored(spec, attack, data, log);  // trained elsewhere
  const auto start = std::chrono::steady_clock::now();
  const uint64_t aseed = attack_seed(seed, attack.name);
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  const PoisonedSet poisoned = poison_training_set(data.train, attack, *trigger, data.num_classes, aseed);

  BackdooredModel out{nullptr, ModelRecipe{spec.model, data.shape, data.num_classes}, {}, 0, {}};
  torch::manual_seed(seed);
  out.model = out.recipe.make();
  if (attack.pruning_aware.enabled) {
    const PruningAwareOutcome pa = train_pruning_aware(*out.model, out.recipe, data.train, poisoned.data,
                                                       spec.training, attack.pruning_aware, seed, context);
    out.decoys = pa.decoys;
    log(attack.name + ": pruning-aware attack reinstated " + std::to_string(pa.decoys.size()) +
        " dormant channels");
  } else {
    const TrainStats stats = train_model(*out.model, poisoned.data, spec.training, seed, context, "train");
    log(attack.name + fmt(": trained %.0f steps at %.0f images/s", static_cast<double>(stats.steps),
                          stats.images_per_s));
  }
  out.train_wall_s = seconds_since(start);
  out.eval = make_eval_data(spec, attack, data, *trigger);
  return out;
}

std::vector<ResultRow> run_defenses(const ExperimentSpec& spec, const AttackSpec& attack,
                                    BackdooredModel& bd, uint64_t seed,
                                    std::vector<CurveRow>& curve_rows, const LogFn& log) {
  const StepContext ctx{spec, attack, bd, seed, log};
  const PruningPlan plan = plan_pruning(spec, bd);
  const std::function<const PruningPlan&()> plan_of_model = [&]() -> const PruningPlan& { return plan; };
  std::vector<ResultRow> rows =
      baseline_and_pruning_rows(ctx, plan, lists_defense(spec, "none"), lists_defense(spec, "prune"), curve_rows);
  // Every other defense task a sweep would run for this model, attack and seed, in its order.
  ExperimentSpec one_seed = spec;
  one_seed.seeds = {static_cast<int64_t>(seed)};
  for (const Task& t : expand_sweep(one_seed, "")) {  // keys unused here
    if (t.kind != TaskKind::Defend || t.attack != attack.name || t.model != model_label(spec.model)) continue;
    rows.push_back(defense_row(ctx, t, plan_of_model));
  }
  return rows;
}

void run_experiment(const ExperimentSpec& spec, ResultWriter& writer, const LogFn& log) {
  const size_t models = sweep_models(spec).size();
  for (int64_t seed : spec.seeds) {
    const SeedData data = load_seed_data(spec.data, static_cast<uint64_t>(seed));
    for (size_t m = 0; m < models; ++m) {
      const ExperimentSpec with_model = spec_for_model(spec, m);
      for (const AttackSpec& attack : spec.attacks) {
        const std::string model = models > 1 ? " model " + model_label(with_model.model) : "";
        const LogFn seed_log = [&](const std::string& line) {
          log("[seed " + std::to_string(seed) + model + "] " + line);
        };
        const ExperimentSpec own = spec_for_attack(with_model, attack);  // the attack's overrides
        BackdooredModel bd = train_backdoored(own, attack, data, static_cast<uint64_t>(seed), seed_log);
        std::vector<CurveRow> curve;
        const std::vector<ResultRow> rows =
            run_defenses(own, attack, bd, static_cast<uint64_t>(seed), curve, seed_log);
        writer.append_results(rows);
        writer.append_curve(curve);
        writer.flush();
      }
    }
  }
}

}  // namespace fineprune
