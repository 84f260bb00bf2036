// What the training and evaluation code needs to know about its worker group: the all-reduce to
// use (none when the rank works alone), the gradient bucket size and the device it trains on.
//
// Data-parallel contract (train_model, evaluate, pruning_curve, pruning_order):
//  - Every rank of the group calls the same function with the same arguments (the same data, the
//    same seed), so all ranks draw the same batch order.
//  - A global batch of B images is cut into `size` contiguous shards by shard_range(); rank r
//    computes the loss over its shard as sum / B, and the gradients are summed over the group in
//    fused buckets (gradient_buckets.h). That is exactly the gradient of the mean loss over the
//    batch, so R ranks with batch B follow one rank with batch B, to rounding.
//  - Evaluation: each rank predicts its shard of each set, the predictions are summed into a
//    whole-set tensor over the group (gather_by_sum), and every rank computes the same metrics.
//  - BatchNorm: each rank normalises with its own shard's batch statistics while training (as
//    PyTorch's DDP without SyncBatchNorm), so groups of models with BatchNorm do not follow one
//    rank exactly. After training, the running statistics are averaged over the group and
//    rank 0's parameters and buffers are broadcast (sync_model), so all ranks hold the same model.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace fineprune {

class AllReduce;
class PrunableNet;

struct ParallelContext {
  AllReduce* group = nullptr;        // null: this rank trains and evaluates alone
  int64_t bucket_bytes = 25 << 20;   // gradient fusion bucket size; 0 = one bucket per parameter
  torch::Device device = torch::kCPU;  // where training runs; evaluation stays on the CPU

  int rank() const;
  int size() const;
  bool distributed() const { return size() > 1; }
};

// The half-open range [begin, end) of `n` items that rank `rank` of `size` takes: contiguous,
// sizes differing by at most one, the first n % size ranks one larger; empty when rank >= n.
std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int size);

// `local` holds rows [begin, begin + local.size(0)) of a whole of `n` rows: returns the whole,
// each rank's rows put in place and summed over the group (zeros elsewhere). Without a group,
// `local` itself.
torch::Tensor gather_by_sum(const ParallelContext& parallel, const torch::Tensor& local, int64_t begin,
                            int64_t n);

// Sums a CPU tensor over the group in place (nothing without a group).
void sum_over_group(const ParallelContext& parallel, torch::Tensor& tensor);

// Makes every rank hold rank 0's model: floating-point buffers (BatchNorm's running statistics)
// are averaged over the group first, then parameters and buffers are broadcast from rank 0.
void sync_model(const ParallelContext& parallel, PrunableNet& model);

}  // namespace fineprune
