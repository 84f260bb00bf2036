// Images and labels as tensors: the form training, attacks and defenses work on.
#pragma once

#include <torch/torch.h>

#include "workers/data/image_set.h"

namespace fineprune {

struct TensorSet {
  torch::Tensor x;  // [N, C, H, W] float32 in [0, 1]
  torch::Tensor y;  // [N] int64

  int64_t size() const { return y.defined() ? y.size(0) : 0; }
  TensorSet slice(int64_t begin, int64_t end) const { return {x.slice(0, begin, end), y.slice(0, begin, end)}; }
};

// Copies an ImageSet into tensors (the only ImageSet -> tensor conversion in fineprune).
TensorSet to_tensors(const ImageSet& images);

}  // namespace fineprune
