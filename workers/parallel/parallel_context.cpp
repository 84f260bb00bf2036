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

void sync_model(const ParallelContext& parallel, PrunableNet& model) {
  if (!parallel.distributed()) return;
  torch::NoGradGuard no_grad;
  const double ranks = static_cast<double>(parallel.size());
  for (torch::Tensor& b : model.buffers()) {
    if (!b.is_floating_point()) continue;
    torch::Tensor flat = b.contiguous().clone();
    parallel.group->sum(flat);
    b.copy_(flat / ranks);
  }
  for (torch::Tensor t : model.parameters()) {
    torch::Tensor flat = t.data().contiguous().clone();
    parallel.group->broadcast(flat, 0);
    t.data().copy_(flat);
  }
  for (torch::Tensor t : model.buffers()) {
    torch::Tensor flat = t.contiguous().clone();
    parallel.group->broadcast(flat, 0);
    t.copy_(flat);
  }
}

}  // namespace fineprune
