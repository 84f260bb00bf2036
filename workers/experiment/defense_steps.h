// The defenses applied to one backdoored model, as separate steps: the baseline and pruning curve,
// fine-tuning, and fine-pruning at one setting. `fineprune experiment` runs them in sequence; a
// sweep runs each as its own task (common/task.h) on whichever worker holds the model.
#pragma once

#include <string>
#include <vector>

#include "workers/defenses/pruning.h"
#include "workers/experiment/experiment_runner.h"
#include "workers/experiment/result_rows.h"

namespace fineprune {

// The pruning order on the validation set, the curve and its stopping points.
struct PruningPlan {
  std::vector<int64_t> order;
  std::vector<CurvePoint> curve;
  std::vector<double> max_val_drops;  // the spec's stopping thresholds, in its order
  std::vector<size_t> stops;          // the curve point each threshold stops at
  size_t stop = 0;                    // stops[0], the one marked on the curve
  double wall_s = 0;
};

PruningPlan plan_pruning(const ExperimentSpec& spec, BackdooredModel& backdoored,
                         const ParallelContext& parallel = {});

// The stopping point of threshold `max_val_drop`, one of the plan's (Error otherwise).
PruneSetting stop_setting(const PruningPlan& plan, double max_val_drop);
// Every threshold's stopping point, in the spec's order.
std::vector<PruneSetting> stop_settings(const PruningPlan& plan);
PruneSetting rate_setting(const PruningPlan& plan, const BackdooredModel& backdoored, double rate);

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

// Fine-tunes a copy of the unpruned model on the validation set.
ResultRow finetune_row(const StepContext& ctx);

// Prunes a copy to `setting`, then fine-tunes it.
ResultRow fineprune_row(const StepContext& ctx, const PruningPlan& plan, const PruneSetting& setting);

}  // namespace fineprune
