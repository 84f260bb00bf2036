// The default network for 28x28 grey images (Fashion-MNIST, MNIST): three 3x3 convolutions, the
// last one prunable, and a two-layer dense head.
#pragma once

#include "workers/models/prunable_net.h"

namespace fineprune {

struct ImageShape {
  int64_t channels;
  int64_t height;
  int64_t width;
};

// conv(w0)-ReLU-pool2, conv(w1)-ReLU-pool2, conv(w2)-ReLU [prunable] (optionally averaged over
// positions), dense(hidden)-ReLU, dense(K).
class SmallCnn : public PrunableNet {
 public:
  // global_pool: average the prunable layer over positions before the head (else flatten it).
  SmallCnn(ImageShape in, int64_t num_classes, std::vector<int64_t> widths, int64_t hidden,
           bool global_pool = false);
  torch::Tensor head_rest(const torch::Tensor& z) override;

 protected:
  TrunkOutput trunk_raw(const torch::Tensor& x) override;
  torch::nn::Linear& first_linear() override { return fc1_; }
  torch::nn::Conv2d prunable_conv() override { return conv3_; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  bool global_pool_ = false;
};

}  // namespace fineprune
