// The training loop (SGD with momentum on cross-entropy) and evaluation.
//
// Deterministic on CPU for a given seed and thread count: the batch order comes from a generator
// seeded with `seed`, and the loop does nothing else random.
#pragma once

#include <cstdint>
#include <functional>

#include <string>

#include "workers/models/prunable_net.h"
#include "workers/parallel/parallel_context.h"
#include "workers/training/execution_context.h"
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
//
// With a worker group (context.parallel), every rank of the group calls this with the same
// arguments and they train data-parallel (workers/parallel/parallel_context.h): each takes its
// shard of every batch, gradients are summed in fused buckets, and all end with the same model.
// With context.state_dir, the state after every epoch is saved to <state_dir>/<phase>.state
// (by rank 0) and a run finds it there and continues after its last epoch (a finished one just
// loads its result); when a stop was requested (common/stop_request.h, on any rank of the
// group) it throws TaskInterrupted after saving.
//
// `loss` replaces the cross-entropy: given the model, this rank's images and labels of a batch
// and the whole batch's size B, it returns their share of the batch's mean loss (their summed
// loss / B), so that the shares of a group add up to the mean.
using BatchLoss = std::function<torch::Tensor(PrunableNet& model, const torch::Tensor& x, const torch::Tensor& y,
                                              int64_t batch_size)>;
TrainStats train_model(PrunableNet& model, const TensorSet& data, const TrainSpec& spec,
                       uint64_t seed, const ExecutionContext& context = {},
                       const std::string& phase = "train", const BatchLoss& loss = nullptr);

// Predicted labels for x, in eval mode, without gradients, in batches. With a group, each rank
// predicts its shard and all get the whole (parallel_context.h).
torch::Tensor predict(PrunableNet& model, const torch::Tensor& x, int64_t batch = 1000,
                      const ParallelContext& parallel = {});

// Fraction of `data` classified correctly (0 for an empty set).
double accuracy(PrunableNet& model, const TensorSet& data, const ParallelContext& parallel = {});

}  // namespace fineprune
