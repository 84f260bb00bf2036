// Packing gradients into buckets and back.
#include "workers/parallel/gradient_buckets.h"

#include "common/error.h"
#include "workers/parallel/all_reduce.h"

namespace fineprune {

GradientBuckets::GradientBuckets(std::vector<torch::Tensor> parameters, int64_t bucket_bytes)
    : parameters_(std::move(parameters)) {
  int64_t filled = 0;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const torch::Tensor& p = parameters_[i];
    if (p.scalar_type() != torch::kFloat32) throw Error("gradient buckets: parameters must be float32");
    const int64_t bytes = p.numel() * static_cast<int64_t>(sizeof(float));
    if (buckets_.empty() || filled + bytes > bucket_bytes) {
      buckets_.push_back({});
      filled = 0;
    }
    buckets_.back().params.push_back(i);
    filled += bytes;
  }
  for (Bucket& b : buckets_) {
    int64_t numel = 0;
    for (size_t i : b.params) numel += parameters_[i].numel();
    b.flat = torch::empty({numel}, parameters_[b.params.front()].options().requires_grad(false));
  }
}

void GradientBuckets::sum_gradients(AllReduce& group) {
  torch::NoGradGuard no_grad;
  for (Bucket& b : buckets_) {
    int64_t offset = 0;
    for (size_t i : b.params) {
      torch::Tensor& p = parameters_[i];
      // view(sizes) of a slice of the flat buffer is a contiguous NCHW view: copy_ moves values by
      // index, so channels-last gradients pack and unpack correctly.
      torch::Tensor slot = b.flat.narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) slot.copy_(p.grad()); else slot.zero_();
      offset += p.numel();
    }
    group.sum(b.flat);
    offset = 0;
    for (size_t i : b.params) {
      torch::Tensor& p = parameters_[i];
      torch::Tensor slot = b.flat.narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slot);
      } else {
        p.mutable_grad() = torch::empty_like(p.data()).copy_(slot);
      }
      offset += p.numel();
    }
  }
}

}  // namespace fineprune
