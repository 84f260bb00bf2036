// The pruning plan of one trained model (its order, curve and stopping points on the clean
// validation set), and the pruning settings taken from it: a stopping point, a fixed rate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/defenses/pruning.h"

namespace fineprune {

// One pruning setting: a stopping point ("stop"), a fixed rate ("rate"), or none ("none").
struct PruneSetting {
  std::string mode = "none";
  double rate = 0;       // requested rate, or the fraction reached at the stopping point
  int64_t channels = 0;  // how many channels it prunes
  double stop_drop = 0;  // "stop": the threshold it stopped at
};

// The pruning order on the validation set, the curve and its stopping points.
struct PruningPlan {
  std::vector<int64_t> order;
  std::vector<CurvePoint> curve;
  std::vector<double> max_val_drops;  // the spec's stopping thresholds, in its order
  std::vector<size_t> stops;          // the curve point each threshold stops at
  size_t stop = 0;                    // stops[0], the one marked on the curve
  double wall_s = 0;
};

PruningPlan plan_pruning(const std::vector<double>& max_val_drops, PrunableNet& model, const EvalData& eval,
                         const ParallelContext& parallel = {});

// The stopping point of threshold `max_val_drop`, one of the plan's (Error otherwise).
PruneSetting stop_setting(const PruningPlan& plan, double max_val_drop);
// Every threshold's stopping point, in the spec's order.
std::vector<PruneSetting> stop_settings(const PruningPlan& plan);
PruneSetting rate_setting(const PruningPlan& plan, const PrunableNet& model, double rate);

}  // namespace fineprune
