// Sharding and group-wide helpers of data-parallel training and evaluation.
#include "workers/parallel/parallel_context.h"

#include "workers/models/prunable_net.h"
#include "workers/parallel/all_reduce.h"

namespace fineprune {

int ParallelContext::rank() const { return group ? group->rank() : 0; }
int ParallelContext::size() const { return group ? group->size() : 1; }

std::pair<int64_t, int64_t> shard_range(int64_t n, int rank, int size) {
  const int64_t base = n / size, extra = n % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

torch::Tensor gather_by_sum(const ParallelContext& parallel, const torch::Tensor& local, int64_t begin,
                            int64_t n) {
  if (!parallel.distributed()) return local;
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] = n;
  torch::Tensor whole = torch::zeros(shape, local.options());
  if (local.size(0) > 0) whole.narrow(0, begin, local.size(0)).copy_(local);
  parallel.group->sum(whole);
  return whole;
}

void sum_over_group(const ParallelContext& parallel, torch::Tensor& tensor) {
  if (parallel.distributed()) parallel.group->sum(tensor);
}

namespace {

// Copies `tensors` (all of one dtype) into one flat tensor, and back.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& t : tensors) flat.push_back(t.reshape(-1));
  return torch::cat(flat);
}

void unflatten(const torch::Tensor& flat, std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (torch::Tensor& t : tensors) {
    t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

}  // namespace

void sync_model(const ParallelContext& parallel, PrunableNet& model) {
  if (!parallel.distributed()) return;
  torch::NoGradGuard no_grad;
  // Three collectives whatever the model's size: the float buffers (BatchNorm's running
  // statistics, the pruning mask) averaged, then rank 0's float parameters and buffers, then its
  // integer buffers (BatchNorm's step counter, which a rank with empty shards did not advance).
  std::vector<torch::Tensor> float_buffers, floats, integers;
  for (const torch::Tensor& b : model.buffers()) (b.is_floating_point() ? float_buffers : integers).push_back(b);
  for (const torch::Tensor& p : model.parameters()) floats.push_back(p.data());
  floats.insert(floats.end(), float_buffers.begin(), float_buffers.end());
  if (!float_buffers.empty()) {
    torch::Tensor mean = flatten(float_buffers);
    parallel.group->sum(mean);
    unflatten(mean.div_(static_cast<double>(parallel.size())), float_buffers);
  }
  for (std::vector<torch::Tensor>* part : {&floats, &integers}) {
    if (part->empty()) continue;
    torch::Tensor root = flatten(*part);
    parallel.group->broadcast(root, 0);
    unflatten(root, *part);
  }
}

}  // namespace fineprune
