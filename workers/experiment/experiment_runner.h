// Runs an experiment spec in one process: for every seed and attack, train the backdoored model
// once, then score it under every defense and pruning setting. The orchestrator runs the same
// steps as separate tasks; this is their sequential composition.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "results/result_tables.h"
#include "workers/defenses/metrics.h"
#include "workers/models/model_factory.h"
#include "workers/training/execution_context.h"

namespace fineprune {

// The data one seed uses, shared by all its attacks.
struct SeedData {
  TensorSet train, validation, test;
  int64_t num_classes = 0;
  ImageShape shape{0, 0, 0};
};
SeedData load_seed_data(const DataSpec& spec, uint64_t seed);

// A trained backdoored model and the sets it is scored on.
struct BackdooredModel {
  std::shared_ptr<PrunableNet> model;
  ModelRecipe recipe;
  EvalData eval;
  double train_wall_s = 0;
  std::vector<int64_t> decoys;  // pruning-aware attack: the reinstated dormant channels
};

using LogFn = std::function<void(const std::string&)>;

class Trigger;
// The validation, test and triggered test sets a model of this attack is scored on.
EvalData make_eval_data(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                        const Trigger& trigger);

// `spec` is the spec as it applies to `attack` (spec_for_attack: its overrides), here and in
// run_defenses. `context`: the worker group training together and the epoch-checkpoint folder
// (sweeps).
// An attack with a model_file is not trained: its received model is loaded (received_model.h).
BackdooredModel train_backdoored(const ExperimentSpec& spec, const AttackSpec& attack,
                                 const SeedData& data, uint64_t seed, const LogFn& log,
                                 const ExecutionContext& context = {});

// The rows one backdoored model yields: `curve` gets the pruning curve (stop point marked),
// the return value one row per defense and pruning setting.
std::vector<ResultRow> run_defenses(const ExperimentSpec& spec, const AttackSpec& attack,
                                    BackdooredModel& backdoored, uint64_t seed,
                                    std::vector<CurveRow>& curve, const LogFn& log);

// Everything, in order; rows go to the writer as each attack x seed finishes.
void run_experiment(const ExperimentSpec& spec, ResultWriter& writer, const LogFn& log);

// The seed an attack's random choices derive from: depends on the attack's name, not its position.
uint64_t attack_seed(uint64_t seed, const std::string& attack_name);

}  // namespace fineprune
