// The trigger implementations.
#include "workers/attacks/trigger.h"

#include <cmath>

namespace fineprune {

namespace F = torch::nn::functional;

MaskPatternTrigger::MaskPatternTrigger(torch::Tensor mask, torch::Tensor pattern)
    : mask_(std::move(mask)), pattern_(std::move(pattern)) {}

torch::Tensor MaskPatternTrigger::apply(const torch::Tensor& x) const {
  return (1 - mask_) * x + mask_ * pattern_;
}

SigTrigger::SigTrigger(ImageShape shape, double delta, double frequency) {
  const torch::Tensor j = torch::arange(shape.width, torch::kFloat32);
  const torch::Tensor wave = torch::sin(2 * M_PI * j * frequency / static_cast<double>(shape.width));
  signal_ = (delta / 255.0 * wave).view({1, 1, 1, shape.width}).expand({1, 1, shape.height, shape.width}).contiguous();
}

torch::Tensor SigTrigger::apply(const torch::Tensor& x) const {
  return torch::clamp(x + signal_, 0.0, 1.0);
}

WanetTrigger::WanetTrigger(ImageShape shape, int64_t k, double strength, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor noise = torch::rand({1, 2, k, k}, gen) * 2 - 1;
  noise = noise / noise.abs().mean();
  noise = F::interpolate(noise, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{shape.height, shape.width})
                                    .mode(torch::kBicubic)
                                    .align_corners(true))
              .permute({0, 2, 3, 1});
  const torch::Tensor ys = torch::linspace(-1, 1, shape.height);
  const torch::Tensor xs = torch::linspace(-1, 1, shape.width);
  auto mesh = torch::meshgrid({ys, xs}, "ij");
  const torch::Tensor identity = torch::stack({mesh[1], mesh[0]}, 2).unsqueeze(0);  // (x, y)
  grid_ = torch::clamp(identity + strength * noise / static_cast<double>(shape.height), -1, 1);
}

torch::Tensor WanetTrigger::apply(const torch::Tensor& x) const {
  const torch::Tensor grid = grid_.expand({x.size(0), -1, -1, -1});
  return torch::clamp(F::grid_sample(x, grid, F::GridSampleFuncOptions()
                                                  .mode(torch::kBilinear)
                                                  .padding_mode(torch::kZeros)
                                                  .align_corners(true)),
                      0.0, 1.0);
}

}  // namespace fineprune
