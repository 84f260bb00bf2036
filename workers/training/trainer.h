// The training loop (SGD with momentum on cross-entropy) and evaluation.
//
// Deterministic on CPU for a given seed and thread count: the batch order comes from a generator
// seeded with `seed`, and the loop does nothing else random.
#pragma once

#include <cstdint>
#include <functional>

#include "workers/models/prunable_net.h"
#include "workers/training/tensor_set.h"

namespace fineprune {

struct TrainSpec;

struct TrainStats {
  int64_t steps = 0;
  double wall_s = 0;
  double images_per_s = 0;
  double last_epoch_loss = 0;  // mean loss over the last epoch
};

// Trains `model` in place on `data`. Pruned channels stay pruned (the mask is re-applied after
// every step). Throws Error when the loss becomes NaN or infinite (bad numerics: say so rather
// than return a useless model).
TrainStats train_model(PrunableNet& model, const TensorSet& data, const TrainSpec& spec,
                       uint64_t seed);

// Predicted labels for x, in eval mode, without gradients, in batches.
torch::Tensor predict(PrunableNet& model, const torch::Tensor& x, int64_t batch = 1000);

// Fraction of `data` classified correctly (0 for an empty set).
double accuracy(PrunableNet& model, const TensorSet& data);

}  // namespace fineprune
