// ImageSet::subset: the one place that copies images by index, with the bounds checked.
#include "workers/data/image_set.h"

#include <algorithm>

#include "common/error.h"

namespace fineprune {

ImageSet ImageSet::subset(const std::vector<int64_t>& indices) const {
  const int64_t numel = image_numel();
  // A set whose pixel buffer disagrees with its shape is a broken invariant: copying from it
  // would read out of bounds, so refuse before touching memory.
  if (numel < 0 || static_cast<int64_t>(pixels.size()) != size() * numel) {
    throw Error("ImageSet::subset: pixel buffer holds " + std::to_string(pixels.size()) +
                " values, shape says " + std::to_string(size()) + " x " + std::to_string(numel));
  }
  ImageSet out;
  out.channels = channels;
  out.height = height;
  out.width = width;
  out.labels.reserve(indices.size());
  out.pixels.resize(indices.size() * static_cast<size_t>(numel));
  float* dst = out.pixels.data();
  for (const int64_t i : indices) {
    if (i < 0 || i >= size()) {
      throw Error("ImageSet::subset: index " + std::to_string(i) + " out of range 0.." +
                  std::to_string(size() - 1));
    }
    out.labels.push_back(labels[static_cast<size_t>(i)]);
    const float* src = pixels.data() + i * numel;
    dst = std::copy(src, src + numel, dst);
  }
  return out;
}

}  // namespace fineprune
