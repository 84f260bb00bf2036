// One defense step, behind one signature: the backdoored model and the defender's clean data in,
// the defended model and what it pruned out. Each defense of common/defense_catalog.h that runs
// as its own task has its step in workers/defenses/<name>.cpp and registers it there under the
// catalog's name (FINEPRUNE_DEFENSE_UNIT); the worker scores the model it returns and writes
// the row (workers/experiment/defense_steps.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "workers/defenses/pruning_plan.h"
#include "workers/models/model_factory.h"
#include "workers/training/execution_context.h"
#include "workers/training/tensor_set.h"

namespace fineprune {

struct DefenseInput {
  const ExperimentSpec& spec;                  // as it applies to the attack (its overrides)
  const std::map<std::string, double>& settings;  // this defense's, every one filled in
  PrunableNet& model;                          // the backdoored model: read it, copy it, never change it
  const ModelRecipe& recipe;                   // makes and copies models of its architecture
  const TensorSet& clean;                      // the defender's clean data (the validation split)
  // Defenses run per pruning setting (fineprune): the task's setting, "stop" at its threshold
  // stop_drop or "rate" at its rate prune_rate; else "" (and both 0).
  std::string prune_mode;
  double prune_rate = 0;
  double stop_drop = 0;
  // The pruning order and curve of the prunable layer on the clean data, computed on first use
  // and shared by the model's tasks on this worker.
  std::function<const PruningPlan&()> plan;
  uint64_t seed = 0;
  ExecutionContext context;                    // the worker group; checkpoints of training phases
  std::function<void(const std::string&)> log;
};

struct DefenseOutput {
  std::shared_ptr<PrunableNet> model;  // the defended model (a copy; the input is unchanged)
  // What it pruned: mode "none" unless the defense prunes by a pruning setting (fineprune);
  // channels counts every channel it removed, of total_channels (0: the prunable layer's).
  PruneSetting setting;
  int64_t total_channels = 0;
  double finetune_epochs = 0;  // epochs of training on the clean data, 0 if none
  double shared_wall_s = 0;    // time of shared work (the pruning plan) to count in its row
};

using DefenseStep = std::function<DefenseOutput(const DefenseInput&)>;

// Registers `step` under `name` (a catalog name); returns true. Throws Error on a second step
// under one name.
bool register_defense_step(const std::string& name, DefenseStep step);
// The step registered under `name`; throws Error naming the registered ones otherwise.
const DefenseStep& defense_step(const std::string& name);
// Names with a registered step, sorted.
std::vector<std::string> registered_defense_steps();

// Registers a step from its own file. The symbol fineprune_defense_unit_<name> is what the
// linker is told to keep (workers/defenses/CMakeLists.txt), so that the file is linked although
// nothing calls it by name.
#define FINEPRUNE_DEFENSE_UNIT(name, step) \
  extern "C" const bool fineprune_defense_unit_##name = ::fineprune::register_defense_step(#name, step)

}  // namespace fineprune
