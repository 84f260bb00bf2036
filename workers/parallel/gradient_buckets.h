// Fused gradient all-reduce: the parameters' gradients are packed into a few large flat buffers
// ("buckets", in parameter order, each up to bucket_bytes; a larger parameter gets one of its
// own) and each bucket is summed over the group with one call, never one call per parameter.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace fineprune {

class AllReduce;

class GradientBuckets {
 public:
  // bucket_bytes 0 puts every parameter in its own bucket (the per-parameter baseline of the
  // benchmark). Parameters must all be float32 and on one device.
  GradientBuckets(std::vector<torch::Tensor> parameters, int64_t bucket_bytes);

  // Sums every parameter's gradient over the group, in place. A parameter without a gradient
  // (a rank whose shard was empty) counts as zeros and gets the summed gradient.
  void sum_gradients(AllReduce& group);

  size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> params;  // indices into parameters_
    torch::Tensor flat;
  };
  std::vector<torch::Tensor> parameters_;
  std::vector<Bucket> buckets_;
};

}  // namespace fineprune
