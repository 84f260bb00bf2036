// A VGG-style network for 32x32 colour images: pairs of 3x3 conv-BN-ReLU with max-pooling after
// each pair; the last convolution (with its BN, ReLU and pooling) is prunable.
#pragma once

#include "workers/models/small_cnn.h"

namespace fineprune {

class Vgg : public PrunableNet {
 public:
  // widths: conv widths (default 64 64 128 128 256 256); a 2x2 max-pool follows every second
  // conv and the last one.
  Vgg(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden);
  torch::Tensor head_rest(const torch::Tensor& z) override;

 protected:
  TrunkOutput trunk_raw(const torch::Tensor& x) override;
  torch::nn::Linear& first_linear() override { return fc1_; }
  torch::nn::Conv2d prunable_conv() override { return convs_.back(); }
  torch::nn::BatchNorm2d prunable_bn() override { return bns_.back(); }

 private:
  // A pool follows every second conv and the last one (`count` convs in all).
  static bool pools_after(size_t i, size_t count) { return i % 2 == 1 || i + 1 == count; }
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> bns_;
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};

}  // namespace fineprune
