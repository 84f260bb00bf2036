// Pruning of the prunable layer (PAPER.md): channels in increasing order of their mean activation
// on the clean validation set, the whole curve at one-channel steps, the stopping point by maximum
// validation-accuracy drop, and fixed-rate pruning.
#pragma once

#include <cstdint>
#include <vector>

#include "workers/defenses/metrics.h"

namespace fineprune {

// Mean activation of each prunable channel on x (over images and spatial positions).
// Every function here takes an optional worker group: all its ranks call it alike, each runs the
// network on its shard of each set, and all get the same answer (parallel_context.h).
torch::Tensor mean_channel_activation(PrunableNet& model, const torch::Tensor& x,
                                      const ParallelContext& parallel = {});

// The live channels of the model in increasing order of mean activation on x (ties: lower index
// first). Already-pruned channels are not listed.
std::vector<int64_t> pruning_order(PrunableNet& model, const torch::Tensor& x,
                                   const ParallelContext& parallel = {});

struct CurvePoint {
  int64_t pruned = 0;     // channels pruned (already-pruned ones not counted)
  double fraction = 0;    // pruned / prunable channels
  Metrics metrics;
};

// The curve for pruning `order` one channel at a time, from 0 to order.size() channels.
// Runs the trunk once per set and, per step, only subtracts the pruned channel's term from the
// head's first affine map and runs the rest of the head. The model is not changed.
std::vector<CurvePoint> pruning_curve(PrunableNet& model, const EvalData& data,
                                      const std::vector<int64_t>& order,
                                      const ParallelContext& parallel = {});

// The same curve by re-running the whole network after every pruned channel (the way the Python
// toolkits do it). Prunes `model` in place: pass a copy. For tests and benchmarks.
std::vector<CurvePoint> pruning_curve_naive(PrunableNet& model, const EvalData& data,
                                            const std::vector<int64_t>& order);

// Index into the curve of the stopping point: the last step before validation accuracy first
// drops by more than max_val_drop below the unpruned value (the last step if it never does).
size_t stopping_point(const std::vector<CurvePoint>& curve, double max_val_drop);

// How many channels a fixed pruning rate prunes: round(rate * channels).
int64_t channels_for_rate(int64_t channels, double rate);

}  // namespace fineprune
