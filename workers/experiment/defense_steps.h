// The defenses applied to one backdoored model, as separate steps: the baseline and pruning curve,
// and any other defense's step (at one pruning setting, where it takes them). `fineprune experiment` runs them in sequence; a
// sweep runs each as its own task (common/task.h) on whichever worker holds the model.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/task.h"
#include "workers/defenses/pruning_plan.h"
#include "workers/experiment/experiment_runner.h"
#include "workers/experiment/result_rows.h"

namespace fineprune {

// The model's pruning plan on its validation set (workers/defenses/pruning_plan.h).
PruningPlan plan_pruning(const ExperimentSpec& spec, BackdooredModel& backdoored,
                         const ParallelContext& parallel = {});

struct StepContext {
  const ExperimentSpec& spec;
  const AttackSpec& attack;
  BackdooredModel& backdoored;
  uint64_t seed;
  const LogFn& log;
  ExecutionContext context{};  // the worker group, and the epoch-checkpoint folder of the task
};

// The "none" row (if wanted), the "prune" rows at the stop point and every rate (if wanted), and
// the curve rows.
std::vector<ResultRow> baseline_and_pruning_rows(const StepContext& ctx, const PruningPlan& plan,
                                                 bool with_none, bool with_prune,
                                                 std::vector<CurveRow>& curve_rows);

// The row of a Defend task (task.defense: a catalog defense with its own task, such as finetune,
// fineprune, clp): its step (workers/defenses/<name>.cpp) on the model, at the task's pruning
// setting where it runs per setting; the defended model scored. `plan` gives the model's pruning
// plan.
ResultRow defense_row(const StepContext& ctx, const Task& task, const std::function<const PruningPlan&()>& plan);

}  // namespace fineprune
