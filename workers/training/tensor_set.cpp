// ImageSet to tensors.
#include "workers/training/tensor_set.h"

namespace fineprune {

TensorSet to_tensors(const ImageSet& images) {
  const int64_t n = images.size();
  TensorSet out;
  out.x = torch::from_blob(const_cast<float*>(images.pixels.data()),
                           {n, images.channels, images.height, images.width}, torch::kFloat32)
              .clone();
  out.y = torch::from_blob(const_cast<int64_t*>(images.labels.data()), {n}, torch::kInt64).clone();
  return out;
}

}  // namespace fineprune
