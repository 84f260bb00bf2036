// The pruning plan and its settings.
#include "workers/defenses/pruning_plan.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"

namespace fineprune {

PruningPlan plan_pruning(const std::vector<double>& max_val_drops, PrunableNet& model, const EvalData& eval,
                         const ParallelContext& parallel) {
  const auto start = std::chrono::steady_clock::now();
  PruningPlan plan;
  plan.order = pruning_order(model, eval.validation.x, parallel);
  plan.curve = pruning_curve(model, eval, plan.order, parallel);
  plan.max_val_drops = max_val_drops;
  for (double drop : plan.max_val_drops) plan.stops.push_back(stopping_point(plan.curve, drop));
  plan.stop = plan.stops.at(0);
  plan.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return plan;
}

PruneSetting stop_setting(const PruningPlan& plan, double max_val_drop) {
  for (size_t i = 0; i < plan.max_val_drops.size(); ++i) {
    if (plan.max_val_drops[i] != max_val_drop) continue;
    const CurvePoint& p = plan.curve[plan.stops[i]];
    return {"stop", p.fraction, p.pruned, max_val_drop};
  }
  throw Error("no stopping threshold " + std::to_string(max_val_drop) + " in this sweep's pruning.max_val_drop");
}

std::vector<PruneSetting> stop_settings(const PruningPlan& plan) {
  std::vector<PruneSetting> out;
  for (double drop : plan.max_val_drops) out.push_back(stop_setting(plan, drop));
  return out;
}

PruneSetting rate_setting(const PruningPlan& plan, const PrunableNet& model, double rate) {
  const int64_t k = std::min<int64_t>(channels_for_rate(model.prunable_channels(), rate),
                                      static_cast<int64_t>(plan.order.size()));
  return {"rate", rate, k};
}

}  // namespace fineprune
