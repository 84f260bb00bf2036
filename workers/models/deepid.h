// A DeepID-style network for 55x47 colour faces (the paper's face network): four convolutions, and
// a dense layer that sees both the third stage's pooled output and the last convolution. The last
// convolution is prunable; the pooled third stage is the head's `side` input.
#pragma once

#include "workers/models/small_cnn.h"

namespace fineprune {

class DeepId : public PrunableNet {
 public:
  // widths: the four conv widths (default 20 40 60 80); hidden: the dense layer (default 160).
  DeepId(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden);
  torch::Tensor head_rest(const torch::Tensor& z) override;

 protected:
  TrunkOutput trunk_raw(const torch::Tensor& x) override;
  torch::nn::Linear& first_linear() override { return fc1_; }
  torch::nn::Conv2d prunable_conv() override { return conv4_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr}, conv4_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};

}  // namespace fineprune
