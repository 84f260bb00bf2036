// Backdoor triggers: functions from clean images to triggered images.
//
// Patch, blend and shaped-mask triggers all take PAPER.md's form x' = (1 - m) * x + m * P;
// SIG adds a column-wise sinusoid; WaNet warps the image with a fixed smooth field. Every random
// part (noise pattern, warping field) is drawn once from the spec's pattern_seed, so the same
// attack has the same trigger in every seed and every process.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "workers/models/small_cnn.h"

namespace fineprune {

struct TriggerSpec;

class Trigger {
 public:
  virtual ~Trigger() = default;
  // x: [N, C, H, W] in [0, 1]; returns the triggered images, same shape, in [0, 1].
  virtual torch::Tensor apply(const torch::Tensor& x) const = 0;
};

// x' = (1 - m) * x + m * P with m [1 or C, H, W] in [0, 1] and P [C, H, W].
class MaskPatternTrigger : public Trigger {
 public:
  MaskPatternTrigger(torch::Tensor mask, torch::Tensor pattern);
  torch::Tensor apply(const torch::Tensor& x) const override;
  const torch::Tensor& mask() const { return mask_; }
  const torch::Tensor& pattern() const { return pattern_; }

 private:
  torch::Tensor mask_, pattern_;
};

// SIG (Barni et al. 2019): x' = clip(x + delta/255 * sin(2 pi j f / W)) for column j.
class SigTrigger : public Trigger {
 public:
  SigTrigger(ImageShape shape, double delta, double frequency);
  torch::Tensor apply(const torch::Tensor& x) const override;

 private:
  torch::Tensor signal_;  // [1, 1, H, W]
};

// WaNet (Nguyen & Tran 2021): grid_sample through identity + s * upsampled(k x k noise) / H.
class WanetTrigger : public Trigger {
 public:
  WanetTrigger(ImageShape shape, int64_t k, double strength, uint64_t seed);
  torch::Tensor apply(const torch::Tensor& x) const override;

 private:
  torch::Tensor grid_;  // [1, H, W, 2]
};

// Builds the trigger a spec describes for images of `shape`. Throws DataError for an unreadable
// image file and InputError for a patch that does not fit.
std::unique_ptr<Trigger> make_trigger(const TriggerSpec& spec, ImageShape shape);

}  // namespace fineprune
